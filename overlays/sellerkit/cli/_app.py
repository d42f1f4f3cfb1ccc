"""The `sellerkit` command: export, jobs, resume, download, cancel, simulate.

cyclopts, not typer: both build commands from typed signatures (what the export commands are generated
from), but typer pulls pydantic in, which sellerkit otherwise doesn't need, and is slower to start
(toolchain notes §10: `--help` 0.16 s vs 0.24 s).
"""

from __future__ import annotations

import hashlib
import inspect
import logging
import os
import sys
import traceback
import typing
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import cyclopts
from cyclopts import Parameter

from sellerkit._core import waits
from sellerkit._core.download import DownloadResult
from sellerkit._core.errors import ConfigurationError
from sellerkit._core.jobs import UNKNOWN, JobSpec
from sellerkit._core.journal import Journal, Record

from . import _config, _display
from ._errors import Exit, classify, fix
from ._exports import RESERVED, Export, client_class, exports, vendor_names

_LIST_OPTIONS: dict[str, Any] = {"consume_multiple": True, "negative_iterable": ""}
# the options resume, download and cancel share
Reference = Annotated[str, Parameter(help="the job's reference (`sellerkit jobs`)")]
VendorName = Annotated[str | None, Parameter(help="the vendor, if the journal doesn't know the job")]
BaseUrl = Annotated[str | None, Parameter(help="API base URL (default: the one the export used)")]
AsJson = Annotated[bool, Parameter(help="one JSON object per file on stdout", negative="")]


class _Context:
    """What an error message needs from the command that raised it."""

    vendor: str | None = None
    reference: str | None = None
    rerun = False  # a paged export: the same command resumes it
    debug = False


CONTEXT = _Context()


def _app() -> cyclopts.App:
    app = cyclopts.App(
        name="sellerkit",
        help="Exports from seller platforms, with progress, resumable jobs and offline simulators.",
        version=_version,
        help_on_error=False,
        suppress_keyboard_interrupt=False,  # main() says how to resume
        help_format="plaintext",  # docstrings as written: rendering them as markdown costs ~20 % of --help
    )
    app.command(_export_app(), name="export")
    app.command(jobs)
    needs_credentials = _ARGV[:1] in (["resume"], ["download"], ["cancel"])
    for command in (resume, download, cancel):
        app.command(_with_credentials(command) if needs_credentials else command)
    app.command(simulate)
    return app


def _version() -> str:
    import sellerkit

    return str(sellerkit.__version__)


# ---------------------------------------------------------------- export


def _export_app() -> cyclopts.App:
    export = cyclopts.App(
        name="export",
        help="Start an export, wait for it and download its file into --out "
        "(`sellerkit export VENDOR --help`).",
    )
    wanted = _argv_vendor()
    for vendor in vendor_names():
        sub = cyclopts.App(name=vendor, help=f"{vendor} exports: sellerkit export {vendor} EXPORT --help")
        # only the vendor asked for is imported and introspected: `sellerkit --help` stays fast
        if wanted in (vendor, "*"):
            title = client_class(vendor).vendor.title
            sub.help = f"{title} exports"
            for item in exports(vendor).values():
                sub.command(_export_command(item), name=item.name)
        export.command(sub)
    return export


_ARGV: list[str] = []


def _argv_vendor() -> str | None:
    """The vendor named after `export` on the command line; "*" for `sellerkit export --help`."""
    if len(_ARGV) >= 2 and _ARGV[0] == "export":
        return _ARGV[1] if not _ARGV[1].startswith("-") else "*"
    return None


def _credential_params() -> list[inspect.Parameter]:
    """One option per credential any installed vendor declares (`--api-key`, `--username`, ...)."""
    found: dict[str, list[Any]] = {}
    for vendor in vendor_names():
        for c in client_class(vendor).vendor.credentials:
            found.setdefault(c.name, []).append(c)
    seen = {
        name: (same[0].what if len(same) == 1 else f"the job's vendor's {name.replace('_', ' ')}")
        + f" (default {' / '.join('$' + c.env for c in same)}, the config file, the keyring)"
        for name, same in found.items()
    }
    return [
        inspect.Parameter(
            name,
            inspect.Parameter.KEYWORD_ONLY,
            annotation=Annotated[str | None, Parameter(help=text, show_default=False)],
            default=None,
        )
        for name, text in seen.items()
    ]


def _with_credentials(fn: Callable[..., int]) -> Callable[..., int]:
    """`fn` with the credential options added; it gets them as `credentials={name: value}`."""
    extra = _credential_params()
    names = {p.name for p in extra}

    def command(*args: Any, **kwargs: Any) -> int:
        given = {k: kwargs.pop(k) for k in list(kwargs) if k in names}
        return fn(*args, credentials=given, **kwargs)

    own = [p for p in inspect.signature(fn).parameters.values() if p.name != "credentials"]
    command.__signature__ = inspect.Signature([*own, *extra])  # type: ignore[attr-defined]
    command.__annotations__ = {
        **typing.get_type_hints(fn, include_extras=True),
        **{p.name: p.annotation for p in extra},
    }
    command.__annotations__.pop("credentials", None)
    command.__doc__, command.__name__ = fn.__doc__, fn.__name__
    return command


def _cli_name(name: str) -> str:
    return name.rstrip("_")  # generated `format_`, `type_` (Python keywords/builtins) are --format, --type


_FRESH = {
    "job": "start a new job even if an identical one ran before",
    "file": "start a new job even if an identical one ran before",
    "pages": "start over instead of resuming an interrupted run of the same export",
}


def _export_command(item: Export) -> Callable[..., int]:
    credentials = client_class(item.vendor).vendor.credentials
    names = {_cli_name(f.name): f.name for f in item.filters}
    clash = set(names) & ({c.name for c in credentials} | RESERVED)
    if clash:
        raise ConfigurationError(
            f"{item.vendor} {item.name}: filter(s) {sorted(clash)} clash with CLI options"
        )

    def command(**values: Any) -> int:
        filters = {names[k]: v for k, v in values.items() if k in names}
        given = {c.name: values.get(c.name) for c in credentials}
        return run_export(
            item,
            filters,
            out=values["out"],
            as_json=values.get("json", False),
            fresh=values.get("fresh", False),
            base_url=values.get("base_url"),
            credentials=given,
        )

    kw = inspect.Parameter.KEYWORD_ONLY
    params: list[inspect.Parameter] = []
    for f in item.filters:
        annotation = f.annotation
        listed = getattr(annotation, "__origin__", None) is list
        meta = Parameter(help=f.help, **(_LIST_OPTIONS if listed else {}))
        if f.required:
            params.append(inspect.Parameter(_cli_name(f.name), kw, annotation=Annotated[annotation, meta]))
        else:
            params.append(
                inspect.Parameter(
                    _cli_name(f.name), kw, annotation=Annotated[annotation | None, meta], default=f.default
                )
            )
    params += [
        inspect.Parameter(
            "out", kw, annotation=Annotated[Path, Parameter(help="folder for the file (created if needed)")]
        ),
        inspect.Parameter(
            "json",
            kw,
            annotation=AsJson,
            default=False,
        ),
        inspect.Parameter(
            "fresh",
            kw,
            annotation=Annotated[bool, Parameter(help=_FRESH[item.kind], negative="")],
            default=False,
        ),
        inspect.Parameter(
            "base_url",
            kw,
            annotation=Annotated[
                str | None, Parameter(help=f"API base URL (default ${item.vendor.upper()}_BASE_URL)")
            ],
            default=None,
        ),
    ]
    for c in credentials:
        help_text = f"{c.what} (default ${c.env}, the config file, the keyring)"
        params.append(
            inspect.Parameter(
                c.name,
                kw,
                annotation=Annotated[str | None, Parameter(help=help_text, show_default=False)],
                default=None,
            )
        )
    command.__signature__ = inspect.Signature(params)  # type: ignore[attr-defined]
    command.__annotations__ = {p.name: p.annotation for p in params} | {"return": int}
    command.__doc__ = item.summary or f"{item.vendor} {item.name}"
    command.__name__ = item.name.replace("-", "_")
    return command


class _ToDisplay(logging.Handler):
    """sellerkit's warnings (a job adopted, a fetch retried) as notes of the display; the waits it
    announces arrive as `waits.listening` events instead (shown once, with their end time)."""

    def __init__(self, display: _display.Display) -> None:
        super().__init__(logging.DEBUG if CONTEXT.debug else logging.INFO)
        self.display = display

    def emit(self, record: logging.LogRecord) -> None:
        if record.msg is waits.MESSAGE:
            return
        level = "" if record.levelno == logging.INFO else f"{record.levelname.lower()}: "
        self.display.note(level + record.getMessage())


@contextmanager
def _watching(as_json: bool) -> Iterator[_display.Display]:
    """The display for a command, fed by the kit's wait events and its log."""
    logger = logging.getLogger("sellerkit")
    with _display.make(as_json=as_json) as display, waits.listening(display.waiting):
        handler = _ToDisplay(display)
        previous = logger.level, logger.propagate
        logger.addHandler(handler)
        logger.setLevel(handler.level)
        logger.propagate = False
        try:
            yield display
        finally:
            logger.removeHandler(handler)
            logger.setLevel(previous[0])
            logger.propagate = previous[1]


def _client(vendor: str, credentials: dict[str, str | None], base_url: str | None) -> Any:
    cls = client_class(vendor)
    return cls(**_config.client_options(vendor, credentials, base_url))


def _folder(out: Path) -> str:
    return str(out) + os.sep  # a trailing separator: always a folder, created if needed


def _writable(out: Path, option: str) -> Path:
    """`out` as a folder this process can create files in (made if needed), before any request is sent:
    a job must not be started, nor a quota spent, for a file that could not be saved."""
    import tempfile

    try:
        out.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=out):
            pass
    except FileExistsError:
        raise ConfigurationError(f"{option} {out} is a file, not a folder: pass a folder") from None
    except OSError as exc:
        raise ConfigurationError(
            f"{option} {out} cannot be written to ({exc.strerror or exc}): pass a folder you can write to"
        ) from None
    return out


def run_export(
    item: Export,
    filters: dict[str, Any],
    *,
    out: Path,
    as_json: bool,
    fresh: bool,
    base_url: str | None,
    credentials: dict[str, str | None],
) -> int:
    CONTEXT.vendor = item.vendor
    began = _now()
    _writable(out, "--out")
    client = _client(item.vendor, credentials, base_url)
    with client, _watching(as_json) as display:
        label = f"{item.vendor} {item.name}"
        if item.kind == "pages":
            return _pages(client, item, filters, out, fresh, display)
        if item.kind == "file":
            display.started(label, label, job=False)
            result = item.download(
                client, filters, _folder(out), lambda got, total: display.downloading(label, got, total)
            )
            display.done(label, result)
            return Exit.OK
        job = item.start(client, filters, fresh=fresh)
        CONTEXT.reference = job.reference
        record = job.state.record
        adopted = record is not None and record.created_at < began
        display.started(job.reference, f"{label} {job.reference}", adopted=adopted)
        earlier = _earlier_file(item.vendor, job.reference) if adopted else None
        if earlier is not None:
            display.note(f"job {job.reference} was downloaded before; pass --fresh for a new export")
            display.done(job.reference, earlier, reference=job.reference)
            return Exit.OK
        _config.remember(
            _config.Started(item.vendor, item.name, job.reference, str(out), client.base_url, _now())
        )
        return _finish(client, job, out, display)


def _pages(
    client: Any, item: Export, filters: dict[str, Any], out: Path, fresh: bool, display: _display.Display
) -> int:
    """A paged export: pages and rows as they reach the file; an interrupted run of the same command
    resumes after its last complete page (the export's journal checkpoint)."""
    label = f"{item.vendor} {item.name}"
    CONTEXT.rerun = True
    display.started(label, label, job=False)
    result = item.pages(
        client,
        filters,
        _folder(out),
        fresh=fresh,
        on_progress=lambda progress: display.paging(label, progress.pages, progress.rows),
    )
    if result.resumed_pages:
        display.note(f"resumed after page {result.resumed_pages} of an interrupted run")
    display.paging(label, result.pages, result.rows, last=True)
    with result.path.open("rb") as fh:
        digest = hashlib.file_digest(fh, "sha256").hexdigest()
    display.done(label, DownloadResult(result.path, result.path.stat().st_size, digest, None))
    return Exit.OK


def _earlier_file(vendor: str, reference: str) -> DownloadResult | None:
    """The file an earlier run of the same export saved, if it is still there, unchanged in size."""
    for started in _config.recalled(reference, vendor):
        if started.path and started.size is not None and started.sha256:
            path = Path(started.path)
            if path.is_file() and path.stat().st_size == started.size:
                return DownloadResult(path, started.size, started.sha256, None)
    return None


def _now() -> float:
    import time

    return time.time()


def _finish(client: Any, job: Any, out: Path, display: _display.Display) -> int:
    """Wait for the job (status and percent shown), then download its file (bytes and throughput)."""
    ref = job.reference
    if job.status != UNKNOWN:
        display.status(ref, job.status, job.progress)
    if not job.done:
        job.wait(on_progress=lambda progress: display.status(ref, job.status, progress))
    display.status(ref, job.status, job.progress)
    spec: JobSpec = client.vendor.jobs
    plain_result = type(spec).result is JobSpec.result and type(spec).download is JobSpec.download
    if plain_result and not job.result_url:
        display.done(ref, None, reference=ref)  # e.g. SelSup's uploads: the task pushes data elsewhere
        return Exit.OK
    result = job.download(_folder(out), lambda got, total: display.downloading(ref, got, total))
    _config.downloaded(client.vendor.name, ref, result.path, result.size, result.sha256)
    if job.state.record is None:  # a handle rebuilt from its reference: the journal still says "started"
        for record in client.journal.records(client.vendor.name):
            if record.reference == ref and record.finished_at is None:
                client.journal.finished(record)
    display.done(ref, result, reference=ref)
    return Exit.OK


# ---------------------------------------------------------------- jobs, resume, download, cancel


def jobs(
    *,
    vendor: Annotated[str | None, Parameter(help="only this vendor's jobs")] = None,
    json: Annotated[bool, Parameter(help="one JSON object per job", negative="")] = False,
) -> int:
    """List the job journal: vendor, export, state, age and reference of each job of the last 24 h."""
    import json as _json

    journal = Journal()
    records = list(journal.records(vendor))
    # paged exports (no vendor job): an interrupted one, resumed by running the same command again
    paged = [_paged_row(name, data) for name, data in journal.checkpoints(vendor)]
    if json:
        for r in records:
            print(_json.dumps({**_row(r), "created_at": r.created_at, "finished_at": r.finished_at}))
        for row, saved_at in paged:
            print(_json.dumps({**row, "created_at": None, "finished_at": None, "saved_at": saved_at}))
        return Exit.OK
    if not records and not paged:
        print("no jobs in the journal (it keeps the last 24 hours)", file=sys.stderr)
        return Exit.OK
    from rich.console import Console
    from rich.table import Table

    table = Table("vendor", "export", "state", "age", "reference", box=None, pad_edge=False)
    for r in records:
        row = _row(r)
        table.add_row(row["vendor"], row["export"], row["state"], row["age"], row["reference"])
    for row, _ in paged:
        table.add_row(row["vendor"], row["export"], row["state"], row["age"], row["reference"])
    Console(width=200 if not sys.stdout.isatty() else None).print(table)
    return Exit.OK


def _row(record: Record) -> dict[str, str]:
    state = "downloaded" if record.finished_at is not None else "started"
    return {
        "vendor": record.vendor,
        "export": record.operation,
        "state": state,
        "age": _config.age(record.created_at),
        "reference": record.reference,
    }


def _paged_row(vendor: str, data: dict[str, Any]) -> tuple[dict[str, str], float]:
    saved_at = float(data.get("saved_at", 0))
    row = {
        "vendor": vendor,
        "export": Path(str(data.get("final", "?"))).name,
        "state": f"interrupted after page {data.get('pages')} ({data.get('rows')} rows): run it again",
        "age": _config.age(saved_at),
        "reference": "-",
    }
    return row, saved_at


def _locate(reference: str, vendor: str | None) -> tuple[str, _config.Started | None]:
    """The vendor of a job reference (from the journal and what `export` remembered)."""
    started = _config.recalled(reference, vendor)
    vendors = {s.vendor for s in started} | {
        r.vendor for r in Journal().records(vendor) if r.reference == reference
    }
    if vendor:
        vendors = {vendor} if vendor in vendor_names() else set()
        if not vendors:
            raise ConfigurationError(f"unknown vendor {vendor!r}; known: {', '.join(vendor_names())}")
    if not vendors:
        raise ConfigurationError(
            f"no job {reference!r} in the journal; pass --vendor NAME for a job started elsewhere "
            "(`sellerkit jobs` lists the journal)"
        )
    if len(vendors) > 1:
        raise ConfigurationError(
            f"job {reference!r} exists at {', '.join(sorted(vendors))}: pass --vendor NAME"
        )
    chosen = vendors.pop()
    return chosen, next((s for s in started if s.vendor == chosen), None)


def _handle(
    reference: str, vendor: str | None, base_url: str | None, credentials: dict[str, str | None] | None
) -> tuple[Any, Any, _config.Started | None]:
    name, started = _locate(reference, vendor)
    CONTEXT.vendor, CONTEXT.reference = name, reference
    client = _client(name, credentials or {}, base_url or (started.base_url if started else None))
    return client, client.job(reference), started


def resume(
    reference: Reference,
    *,
    out: Annotated[Path | None, Parameter(help="folder for the file (default: the export's --out)")] = None,
    vendor: VendorName = None,
    base_url: BaseUrl = None,
    json: AsJson = False,
    credentials: dict[str, str | None] | None = None,
) -> int:
    """Finish a job started earlier: wait for it and download its file where `export` was asked to put it."""
    client, job, started = _handle(reference, vendor, base_url, credentials)
    folder = out or (Path(started.out) if started else None)
    if folder is None:
        raise ConfigurationError(f"job {reference!r} was not started by `sellerkit export`: pass --out DIR")
    _writable(folder, "--out" if out is not None else "the export's --out")
    with client, _watching(json) as display:
        display.started(job.reference, f"{client.vendor.name} {job.reference}", adopted=True)
        return _finish(client, job, folder, display)


def download(
    reference: Reference,
    dest: Annotated[Path, Parameter(help="folder for the file")],
    *,
    vendor: VendorName = None,
    base_url: BaseUrl = None,
    json: AsJson = False,
    credentials: dict[str, str | None] | None = None,
) -> int:
    """Download a job's file into DEST (waiting for the job first if it still runs)."""
    return resume(reference, out=dest, vendor=vendor, base_url=base_url, json=json, credentials=credentials)


def cancel(
    reference: Reference,
    *,
    vendor: VendorName = None,
    base_url: BaseUrl = None,
    credentials: dict[str, str | None] | None = None,
) -> int:
    """Ask the vendor to cancel a job."""
    client, job, _ = _handle(reference, vendor, base_url, credentials)
    with client:
        job.cancel()
    print(f"asked {client.vendor.title} to cancel job {reference}", file=sys.stderr)
    return Exit.OK


def simulate(vendor: str, *args: str) -> int:
    """Run a vendor simulator on 127.0.0.1 (needs `pip install 'sellerkit[testing]'`):
    `sellerkit simulate VENDOR [--port N] [--time-scale X] ...`; `sellerkit simulate VENDOR --help` lists
    its settings and fault controls.

    Parameters
    ----------
    vendor
        the simulator (wabi2b, sellercloud, selsup, websale, ...)
    """
    return _simulate([vendor, *args])  # reached only through cyclopts' own parsing (main() hands it over)


def _simulate(argv: Sequence[str]) -> int:
    try:
        from sellerkit.testing.__main__ import main as simulator
    except ImportError as exc:
        raise ConfigurationError(
            f"sellerkit simulate needs the simulators' server packages ({exc.name}): "
            "pip install 'sellerkit[testing]'"
        ) from None
    return simulator(list(argv), prog="sellerkit simulate")


# ---------------------------------------------------------------- entry point


def main(argv: Sequence[str] | None = None) -> int:
    """`sellerkit ...`: returns the exit code (see `Exit`)."""
    args = list(sys.argv[1:] if argv is None else argv)
    CONTEXT.debug = "--debug" in args
    args = [a for a in args if a != "--debug"]
    _ARGV[:] = args
    try:
        if args[:1] == ["simulate"] and len(args) > 1 and args[1] not in ("--help", "-h"):
            return _simulate(args[1:])  # its options are the simulator's own (argparse, from the table)
        result = _app()(args, result_action="return_value", exit_on_error=False, print_error=False)
        return int(result) if isinstance(result, int) else Exit.OK
    except cyclopts.CycloptsError as exc:
        _error(str(exc).strip().replace("\n", " "), "fix: see --help for the command's options")
        return Exit.BAD_INPUT
    except KeyboardInterrupt:
        where = (
            f"{CONTEXT.vendor} job {CONTEXT.reference}"
            if CONTEXT.reference
            else "the file so far is kept"
            if CONTEXT.rerun
            else "nothing left running"
        )
        _error(
            f"interrupted: {where}",
            f"resume with: sellerkit resume {CONTEXT.reference} (or run the same command again)"
            if CONTEXT.reference
            else "run the same command again (it resumes after the last complete page)"
            if CONTEXT.rerun
            else "run the same command again",
        )
        return Exit.INTERRUPTED
    except Exception as exc:
        code = classify(exc)
        if CONTEXT.debug:
            traceback.print_exc()
        credentials = _credential_hint(CONTEXT.vendor)
        _error(
            f"{type(exc).__name__}: {exc}",
            fix(code, exc, credentials=credentials, reference=CONTEXT.reference),
        )
        return code


def _credential_hint(vendor: str | None) -> str:
    if vendor is None:
        return "options, environment variables or the config file"
    declared = client_class(vendor).vendor
    options = ", ".join(f"--{c.name.replace('_', '-')} / ${c.env}" for c in declared.credentials)
    return f"{options}, or [{vendor}] in {_config.config_path()}"


def _error(message: str, hint: str) -> None:
    print(f"sellerkit: {message}", file=sys.stderr)
    print(f"  {hint}", file=sys.stderr, flush=True)


def run() -> None:
    """The console script."""
    sys.exit(main())
