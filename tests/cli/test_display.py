"""The progress display: rendered into a rich recording console (and the plain one into a string), checked
for the figures it must show — jobs started/finished, percent, bytes of total, throughput, the reason and
end time of a wait, the saved file."""

from __future__ import annotations

import io
import json
import time
from datetime import UTC, datetime
from pathlib import Path

from rich.console import Console

from sellerkit._core import waits
from sellerkit._core.download import DownloadResult
from sellerkit._core.polling import Progress
from sellerkit.cli._display import PlainDisplay, RichDisplay

RESULT = DownloadResult(Path("exports/stocks.xlsx"), 4 << 20, "ab" * 32, None)


def _console() -> Console:
    return Console(record=True, width=140, force_terminal=True, color_system=None, file=io.StringIO())


def _run(display: RichDisplay | PlainDisplay) -> tuple[float, list[str]]:
    """One job: submitted, 45 % with counts, a throttle wait announced by the kit, a 4 MiB download.
    Returns the wait's end time and, for the bars, the screen after each event."""
    frames: list[str] = []

    def frame() -> None:
        if isinstance(display, RichDisplay):
            display.progress.refresh()
            frames.append(display.console.export_text(clear=True))

    display.started("1001", "selsup export-stocks-file 1001")
    frame()
    display.status("1001", "RUNNING", Progress(0.45, 45, 100))
    frame()
    until = time.time() + 30
    with waits.listening(display.waiting):
        waits.announce("selsup quota 60/min used up", 30.0)
    frame()
    for got in range(0, (4 << 20) + 1, 1 << 20):
        display.downloading("1001", got, 4 << 20)
        time.sleep(0.02)  # throughput needs elapsed time
        frame()
    display.status("1001", "FINISHED", Progress(1.0, 100, 100))
    display.done("1001", RESULT, reference="1001")
    frame()
    display.close()
    frame()
    return until, frames


def test_the_bars_show_every_figure() -> None:
    console = _console()
    until, frames = _run(RichDisplay(console, out=io.StringIO()))
    submitted, running, waiting, *downloading, done, _closed = frames
    assert "selsup export-stocks-file 1001" in submitted and "submitted" in submitted
    assert "0/1" in submitted and "1 started, 0 finished" in submitted  # the jobs line
    assert "45%" in running and "RUNNING 45/100" in running  # percent and counts
    when = datetime.fromtimestamp(until, UTC).strftime("%H:%M:%S UTC")
    assert f"waiting 30 s, until {when}: selsup quota 60/min used up" in waiting  # reason and end time
    assert f"waiting until {when}" in waiting  # on the job's line too
    half = downloading[2]
    assert "2.0 MiB / 4.0 MiB" in half and "50%" in half and "MiB/s" in half  # bytes, total, throughput
    assert "4.0 MiB / 4.0 MiB" in downloading[-1]
    assert "1/1" in done and "1 started, 1 finished" in done and "100%" in done


def test_json_results_go_to_stdout_only() -> None:
    out, console = io.StringIO(), _console()
    _, frames = _run(RichDisplay(console, out=out, as_json=True))
    assert json.loads(out.getvalue()) == {
        "path": "exports/stocks.xlsx",
        "size": 4 << 20,
        "sha256": "ab" * 32,
        "reference": "1001",
    }
    assert not any("sha256" in f for f in frames)


def test_plain_lines_for_cron_and_ci() -> None:
    err, out = io.StringIO(), io.StringIO()
    until, _ = _run(PlainDisplay(err=err, out=out))
    lines = err.getvalue().splitlines()
    text = "\n".join(lines)
    assert "submitted selsup export-stocks-file 1001" in text
    assert "job 1001: RUNNING 45% (45/100)" in text
    when = datetime.fromtimestamp(until, UTC).strftime("%H:%M:%S UTC")
    assert f"waiting 30 s, until {when}: selsup quota 60/min used up" in text
    downloads = [line for line in lines if "downloading 1001" in line]
    assert 2 <= len(downloads) <= 6 and downloads[-1].split(": ", 1)[1].startswith("4.0 MiB of 4.0 MiB, ")
    assert downloads[-1].endswith("/s")
    assert "saved exports/stocks.xlsx (4.0 MiB, sha256 abababababab…)" in text
    assert "jobs: 1 started, 1 finished" in text
    assert "\x1b" not in text  # no terminal codes in a log file
    assert out.getvalue() == f"exports/stocks.xlsx\t{4 << 20}\t{'ab' * 32}\n"


def test_short_waits_are_not_a_line_each() -> None:
    err = io.StringIO()
    display = PlainDisplay(err=err, out=io.StringIO())
    with waits.listening(display.waiting):
        waits.announce("retry backoff", 0.2)
    assert err.getvalue() == ""


def test_a_paged_export_shows_pages_and_rows() -> None:
    """Sellers Commerce's kind of export: no job, pages and rows as they reach the file."""
    key, result = "sellerscommerce orders", DownloadResult(Path("out/orders.jsonl"), 2048, "cd" * 32, None)
    console = _console()
    rich = RichDisplay(console, out=io.StringIO())
    rich.started(key, key, job=False)
    rich.paging(key, 3, 1500)
    rich.progress.refresh()
    during = console.export_text(clear=True)
    rich.paging(key, 4, 1720, last=True)
    rich.done(key, result)
    rich.close()
    after = console.export_text(clear=True)
    assert "3 pages, 1500 rows" in during and "4 pages, 1720 rows" in after and "100%" in after

    err, out = io.StringIO(), io.StringIO()
    plain = PlainDisplay(err=err, out=out)
    plain.started(key, key, job=False)
    for page in range(1, 25):
        plain.paging(key, page, page * 100)
    plain.paging(key, 24, 2400, last=True)
    plain.done(key, result)
    lines = [line for line in err.getvalue().splitlines() if "pages," in line]
    # the first page, every 10th within 2 s, never the same count twice
    assert [line.split(" ", 1)[1] for line in lines] == [
        f"{key}: 1 pages, 100 rows",
        f"{key}: 10 pages, 1000 rows",
        f"{key}: 20 pages, 2000 rows",
        f"{key}: 24 pages, 2400 rows",
    ]
    assert out.getvalue() == f"out/orders.jsonl\t2048\t{'cd' * 32}\n"
