"""What an export shows while it runs: rich progress bars in a terminal, plain lines otherwise (cron, CI),
and the finished files on stdout (one JSON object each with `--json`).

Every display gets the same events from the runner: a job submitted or adopted, its status and progress,
bytes downloaded, a wait announced by the kit (`sellerkit._core.waits.listening`: quota, throttle, retry
backoff, a long poll gap — its reason and end time), a file saved.
"""

from __future__ import annotations

import json
import sys
import time
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, TextIO

from rich.console import Console
from rich.progress import (
    BarColumn,
    Progress,
    ProgressColumn,
    SpinnerColumn,
    Task,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)
from rich.text import Text

if TYPE_CHECKING:
    from sellerkit._core.download import DownloadResult
    from sellerkit._core.polling import Progress as JobProgress
    from sellerkit._core.waits import Waiting


def _until(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%H:%M:%S UTC")


def size(n: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} GiB"


def _percent(progress: JobProgress | None) -> float | None:
    if progress is None:
        return None
    if progress.fraction is not None:
        return 100.0 * progress.fraction
    if progress.processed is not None and progress.total:
        return 100.0 * progress.processed / progress.total
    return None


def _counts(progress: JobProgress | None) -> str:
    if progress is not None and progress.processed is not None:
        return (
            f"{progress.processed}/{progress.total}"
            if progress.total is not None
            else str(progress.processed)
        )
    return ""


class Display:
    """The events; the base prints nothing but the results (to `out`)."""

    def __init__(self, *, out: TextIO | None = None, as_json: bool = False) -> None:
        self.out = out or sys.stdout
        self.as_json = as_json
        self.submitted = 0
        self.finished = 0

    def __enter__(self) -> Display:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        pass

    def started(self, key: str, label: str, *, adopted: bool = False, job: bool = True) -> None:
        self.submitted += 1

    def status(self, key: str, status: str, progress: JobProgress | None) -> None:
        pass

    def downloading(self, key: str, got: int, total: int | None) -> None:
        pass

    def paging(self, key: str, pages: int, rows: int, *, last: bool = False) -> None:
        """A paged export's progress: complete pages and rows in its file (`last`: all of them)."""

    def waiting(self, notice: Waiting) -> None:
        pass

    def note(self, text: str) -> None:
        pass

    def done(self, key: str, result: DownloadResult | None, *, reference: str | None = None) -> None:
        """A file saved (None: the job finished without one)."""
        self.finished += 1
        if result is None:
            if self.as_json:
                self._line(json.dumps({"reference": reference, "path": None, "size": 0, "sha256": None}))
            return
        if self.as_json:
            record = {"path": str(result.path), "size": result.size, "sha256": result.sha256}
            if reference is not None:
                record["reference"] = reference
            self._line(json.dumps(record))
        else:
            self._line(f"{result.path}\t{result.size}\t{result.sha256}")

    def _line(self, text: str) -> None:
        print(text, file=self.out, flush=True)


class PlainDisplay(Display):
    """Line by line on `err`: each change once, download progress at most every 2 s or 25 %."""

    def __init__(self, *, err: TextIO | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.err = err or sys.stderr
        self._last: dict[str, tuple[str, float | None]] = {}
        self._bytes: dict[str, tuple[float, int, float]] = {}  # key -> (start, last bytes, last print)
        self._pages: dict[str, tuple[int, float]] = {}  # key -> (last pages, last print)

    def _say(self, text: str) -> None:
        stamp = datetime.now(UTC).strftime("%H:%M:%S")
        print(f"{stamp} {text}", file=self.err, flush=True)

    def started(self, key: str, label: str, *, adopted: bool = False, job: bool = True) -> None:
        super().started(key, label, adopted=adopted, job=job)
        what = "adopted" if adopted else ("submitted" if job else "downloading")
        self._say(f"{what} {label}")

    def status(self, key: str, status: str, progress: JobProgress | None) -> None:
        percent = _percent(progress)
        bucket = None if percent is None else round(percent / 10) * 10.0
        if self._last.get(key) == (status, bucket):
            return
        self._last[key] = (status, bucket)
        shown = f" {percent:.0f}%" if percent is not None else ""
        counts = _counts(progress)
        self._say(f"job {key}: {status}{shown}{f' ({counts})' if counts else ''}")

    def downloading(self, key: str, got: int, total: int | None) -> None:
        now = time.monotonic()
        start, last, printed = self._bytes.get(key, (now, -1, 0.0))
        self._bytes[key] = (start, got, printed)
        complete = total is not None and got >= total
        step = total is not None and total > 0 and got * 4 // total != max(last, 0) * 4 // total
        if last >= 0 and not complete and not step and now - printed < 2.0:
            return
        self._bytes[key] = (start, got, now)
        rate = got / (now - start) if now > start else 0.0
        of = f" of {size(total)}" if total is not None else ""
        self._say(f"downloading {key}: {size(got)}{of}, {size(rate)}/s")

    def paging(self, key: str, pages: int, rows: int, *, last: bool = False) -> None:
        now = time.monotonic()
        shown, printed = self._pages.get(key, (-1, 0.0))
        if not last and (pages == shown or (shown >= 0 and now - printed < 2.0 and pages % 10)):
            return  # a line at most every 2 s (or 10 pages), and the total
        if last and pages == shown:
            return
        self._pages[key] = (pages, now)
        self._say(f"{key}: {pages} pages, {rows} rows")

    def waiting(self, notice: Waiting) -> None:
        if notice.seconds < 1.0:
            return  # a quick retry backoff: a line each would bury the rest
        self._say(f"waiting {notice.seconds:.0f} s, until {_until(notice.until)}: {notice.reason}")

    def note(self, text: str) -> None:
        self._say(text)

    def done(self, key: str, result: DownloadResult | None, *, reference: str | None = None) -> None:
        if result is None:
            self._say(f"job {key} finished; it makes no file to download")
        else:
            self._say(f"saved {result.path} ({size(result.size)}, sha256 {result.sha256[:12]}…)")
        super().done(key, result, reference=reference)
        self._say(f"jobs: {self.submitted} started, {self.finished} finished")


class RichDisplay(Display):
    """Progress bars: a total line (finished of started), per job its status and percent, then its download
    with bytes, total and throughput; waits and notes printed above the bars."""

    def __init__(self, console: Console | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.console = console or Console(stderr=True)
        self.progress = Progress(
            SpinnerColumn(),
            TextColumn("{task.description}"),
            BarColumn(),
            TextColumn("{task.fields[percent]}", justify="right"),
            _Detail(),
            TimeElapsedColumn(),
            console=self.console,
            transient=False,
        )
        self.total = self.progress.add_task("jobs", total=0, percent="", detail="", kind="total")
        self._tasks: dict[str, TaskID] = {}
        self._downloads: dict[str, TaskID] = {}
        self.progress.start()

    def close(self) -> None:
        self.progress.refresh()
        self.progress.stop()

    def _totals(self) -> None:
        self.progress.update(
            self.total,
            total=max(self.submitted, 1),
            completed=self.finished,
            percent=f"{self.finished}/{self.submitted}",
            detail=f"{self.submitted} started, {self.finished} finished",
        )

    def started(self, key: str, label: str, *, adopted: bool = False, job: bool = True) -> None:
        super().started(key, label, adopted=adopted, job=job)
        if job:
            status = "adopted" if adopted else "submitted"
            self._tasks[key] = self.progress.add_task(
                label, total=None, percent="", detail=status, kind="job"
            )
        self._totals()

    def status(self, key: str, status: str, progress: JobProgress | None) -> None:
        task = self._tasks.get(key)
        if task is None:
            return
        percent = _percent(progress)
        counts = _counts(progress)
        fields: dict[str, Any] = {"detail": f"{status} {counts}".strip()}
        if percent is not None:
            fields.update(total=100.0, completed=percent, percent=f"{percent:.0f}%")
        self.progress.update(task, **fields)

    def downloading(self, key: str, got: int, total: int | None) -> None:
        task = self._downloads.get(key)
        if task is None:
            task = self.progress.add_task(f"  ↓ {key}", total=total, percent="", detail="", kind="download")
            self._downloads[key] = task
        percent = f"{100.0 * got / total:.0f}%" if total else ""
        self.progress.update(task, completed=got, total=total, percent=percent)

    def paging(self, key: str, pages: int, rows: int, *, last: bool = False) -> None:
        task = self._downloads.get(key)
        if task is None:
            task = self.progress.add_task(f"  ⇣ {key}", total=None, percent="", detail="", kind="pages")
            self._downloads[key] = task
        self.progress.update(task, completed=rows, detail=f"{pages} pages, {rows} rows")
        if last:
            self.progress.update(task, total=max(rows, 1), percent="100%")

    def waiting(self, notice: Waiting) -> None:
        line = f"waiting {notice.seconds:.0f} s, until {_until(notice.until)}: {notice.reason}"
        self.progress.console.print(f"[yellow]⏳ {line}[/]", markup=True, highlight=False)
        for task in self._tasks.values():
            if not self.progress.tasks[task].finished:
                self.progress.update(task, detail=f"waiting until {_until(notice.until)}")

    def note(self, text: str) -> None:
        self.progress.console.print(text, highlight=False, markup=False)

    def done(self, key: str, result: DownloadResult | None, *, reference: str | None = None) -> None:
        task = self._tasks.get(key)
        if task is not None:
            self.progress.update(task, total=100.0, completed=100.0, percent="100%", detail="done")
        if result is None:
            self.note(f"job {key} finished; it makes no file to download")
        elif not self.as_json and self.out.isatty():
            self.finished += 1  # the saved line is printed through the bars, not under them
            self.console.print(
                f"saved {result.path} ({size(result.size)}, sha256 {result.sha256})",
                markup=False,
                highlight=False,
            )
            self._totals()
            return
        super().done(key, result, reference=reference)
        self._totals()


class _Detail(ProgressColumn):
    """A column per task kind: a job's status, a download's bytes of total and throughput."""

    def render(self, task: Task) -> Text:
        if task.fields.get("kind") != "download":
            return Text(str(task.fields.get("detail", "")))
        speed = task.finished_speed or task.speed
        total = f" / {size(task.total)}" if task.total is not None else ""
        rate = f"  {size(speed)}/s" if speed else ""
        return Text(f"{size(task.completed)}{total}{rate}")


def make(*, as_json: bool, console: Console | None = None) -> Display:
    """Rich bars when stderr is a terminal (or a console is given), else plain lines."""
    if console is not None or sys.stderr.isatty():
        return RichDisplay(console, as_json=as_json)
    return PlainDisplay(as_json=as_json)
