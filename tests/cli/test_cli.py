"""The `sellerkit` command through its real entry point (the console script, in a subprocess) against the
simulators on loopback: exports with --json, plain output, Ctrl-C and a rerun, a killed download resumed,
`jobs` / `resume` / `download` / `cancel`, and every documented exit code."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from sellerkit.cli import Exit
from sellerkit.testing.framework import ScaledClock
from sellerkit.testing.selsup import SelsupSimulator

SELLERKIT = Path(sys.executable).with_name("sellerkit")
KEY = "cli-test-key"
TIMEOUT = 60


@pytest.fixture
def fast_selsup(make_selsup_sim: Callable[..., SelsupSimulator]) -> SelsupSimulator:
    """SelSup at 20 simulated seconds per real second: a task takes about 0.2 s."""
    return make_selsup_sim(clock=ScaledClock(20.0), api_key=KEY)


def sk(env: dict[str, str], *args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(SELLERKIT), *args],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
    )


def export(sim: SelsupSimulator, what: str, out: Path, *extra: str) -> list[str]:
    return ["export", "selsup", what, "--base-url", sim.base_url, "--api-key", KEY, "--out", str(out), *extra]


def json_lines(text: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def test_a_background_export_with_json(
    env: dict[str, str], fast_selsup: SelsupSimulator, tmp_path: Path
) -> None:
    done = sk(env, *export(fast_selsup, "export-stocks-file", tmp_path / "out", "--json"))
    assert done.returncode == 0, done.stderr
    (line,) = json_lines(done.stdout)
    assert line["reference"] == "1001"
    path = Path(line["path"])
    assert path.parent == tmp_path / "out" and path.stat().st_size == line["size"]
    assert line["sha256"] == fast_selsup.task_file_sha256(1001)
    # not a terminal: plain lines on stderr, each figure once
    assert "submitted selsup export-stocks-file 1001" in done.stderr
    assert "job 1001: FINISHED 100%" in done.stderr
    assert f"saved {path}" in done.stderr
    assert KEY not in done.stdout + done.stderr  # the secret given as an option is never echoed


def test_a_file_export_and_its_filters(
    env: dict[str, str], fast_selsup: SelsupSimulator, tmp_path: Path
) -> None:
    done = sk(
        env, *export(fast_selsup, "download-edo-invoice", tmp_path, "--order-id", "7", "--format", "pdf")
    )
    assert done.returncode == 0, done.stderr
    path, size, sha = done.stdout.strip().split("\t")
    expected = fast_selsup.expected_file("downloadEdoInvoice", {"orderId": 7, "format": "pdf"})
    assert (sha, int(size)) == (expected.sha256, expected.size)
    assert Path(path).read_bytes()[:5] == b"%PDF-"


def test_every_export_of_every_vendor_is_a_command(env: dict[str, str]) -> None:
    from sellerkit._core.registry import vendor_names
    from sellerkit.cli._exports import exports

    for vendor in vendor_names():
        listed = sk(env, "export", vendor, "--help")
        assert listed.returncode == 0, listed.stderr
        for name in exports(vendor):
            assert name in listed.stdout, (vendor, name)
    assert sk(env, "export", "--help").stdout.count("exports") >= len(vendor_names())


def test_bad_input_is_one_line_and_the_fix(
    env: dict[str, str], fast_selsup: SelsupSimulator, tmp_path: Path
) -> None:
    cases = [
        ["export", "nosuchvendor", "x", "--out", str(tmp_path)],
        export(fast_selsup, "export-product-sets-file", tmp_path),  # its required --organization-id
        export(
            fast_selsup, "download-products-delivery-file", tmp_path, "--order-id", "1", "--service", "MARS"
        ),
        export(fast_selsup, "download-customers-file", tmp_path, "--limit", "0"),
        ["resume", "424242"],  # not in the journal
        export(fast_selsup, "export-stocks-file", tmp_path / "a-file"),  # --out is a file
        export(fast_selsup, "export-stocks-file", tmp_path / "a-file" / "sub"),  # --out cannot be made
    ]
    (tmp_path / "a-file").write_text("not a folder")
    for args in cases:
        done = sk(env, *args)
        assert done.returncode == Exit.BAD_INPUT, (args, done.stderr)
        lines = done.stderr.strip().splitlines()
        assert len(lines) == 2 and lines[1].strip().startswith("fix:"), done.stderr
        assert "Traceback" not in done.stderr
    assert fast_selsup.stats.files_served == 0 and fast_selsup.stats.tasks_created == 0  # nothing was sent


def test_a_missing_credential_names_its_sources(
    env: dict[str, str], fast_selsup: SelsupSimulator, tmp_path: Path
) -> None:
    args = [
        "export",
        "selsup",
        "download-customers-file",
        "--base-url",
        fast_selsup.base_url,
        "--out",
        str(tmp_path),
    ]
    done = sk(env, *args)
    assert done.returncode == Exit.BAD_INPUT and "SELSUP_API_KEY" in done.stderr
    # from the environment, then from the config file
    assert sk({**env, "SELSUP_API_KEY": KEY}, *args).returncode == 0
    Path(env["SELLERKIT_CONFIG"]).write_text(
        f'[selsup]\napi_key = "{KEY}"\nbase_url = "{fast_selsup.base_url}"\n'
    )
    done = sk(env, "export", "selsup", "download-customers-file", "--out", str(tmp_path), "--json")
    assert done.returncode == 0, done.stderr
    assert json_lines(done.stdout)[0]["sha256"] == fast_selsup.file_sha256("downloadCustomersFile")


def test_debug_shows_the_traceback(env: dict[str, str], tmp_path: Path) -> None:
    args = ["export", "selsup", "download-customers-file", "--base-url", f"http://127.0.0.1:{_closed_port()}"]
    done = sk(env, *args, "--api-key", KEY, "--out", str(tmp_path), "--debug")
    assert done.returncode == Exit.NETWORK
    assert "Traceback" in done.stderr and KEY not in done.stderr


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.parametrize(
    ("setup", "code"),
    [
        ("wrong key", Exit.AUTH),
        ("unknown file", Exit.NOT_FOUND),
        ("throttled", Exit.RATE_LIMITED),
        ("job failed", Exit.JOB_FAILED),
        ("no server", Exit.NETWORK),
        ("server error", Exit.SERVER),
    ],
)
def test_exit_codes(
    env: dict[str, str], fast_selsup: SelsupSimulator, tmp_path: Path, setup: str, code: Exit
) -> None:
    sim = fast_selsup
    args = export(sim, "export-stocks-file", tmp_path)
    if setup == "wrong key":
        args[args.index(KEY)] = "not-the-key"
    elif setup == "unknown file":
        sim.settings.ozon_invoice_missing = (5,)
        args = export(sim, "download-ozon-invoice", tmp_path, "--order-id", "5")
    elif setup == "throttled":  # the server asks for longer than the client's max_wait (120 s)
        sim.faults.add("rate_limit", path="/api/export", retry_after=10_000.0, times=None)
    elif setup == "job failed":
        sim.settings.outcome = "ERROR"
    elif setup == "no server":
        args[args.index(sim.base_url)] = f"http://127.0.0.1:{_closed_port()}"
    elif setup == "server error":
        sim.faults.add("server_error", path="/api/export", times=None)
    done = sk(env, *args)
    assert done.returncode == code, done.stderr
    message, hint = done.stderr.strip().splitlines()[-2:]
    assert message.startswith("sellerkit: ") and hint.strip().startswith("fix:")


def _interruptible() -> None:
    # a test run started in the background (`make test &`, nohup) ignores SIGINT; its children inherit
    # that and Python then never installs its KeyboardInterrupt handler: give the child the default back
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _popen(env: dict[str, str], args: list[str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [str(SELLERKIT), *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=_interruptible,
    )


def _wait_for(condition: Callable[[], bool], what: str, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def test_ctrl_c_says_how_to_resume_and_a_rerun_adopts_the_job(
    env: dict[str, str], make_selsup_sim: Callable[..., SelsupSimulator], tmp_path: Path
) -> None:
    sim = make_selsup_sim(clock=ScaledClock(1.0), api_key=KEY, outcome="stuck")
    out = tmp_path / "out"
    running = _popen(env, export(sim, "export-stocks-file", out))
    _wait_for(
        lambda: sim.stats.tasks_created == 1 and sim.requests.calls(path="/api/task/findTask") >= 1, "a poll"
    )
    running.send_signal(signal.SIGINT)
    _, stderr = running.communicate(timeout=TIMEOUT)
    assert running.returncode == Exit.INTERRUPTED, stderr
    assert "interrupted: selsup job 1001" in stderr and "sellerkit resume 1001" in stderr
    assert "Traceback" not in stderr

    listed = sk(env, "jobs", "--json")
    (job,) = json_lines(listed.stdout)
    assert (job["vendor"], job["export"], job["state"], job["reference"]) == (
        "selsup",
        "export_stocks_file",
        "started",
        "1001",
    )
    table = sk(env, "jobs").stdout
    assert all(word in table for word in ("vendor", "export", "state", "age", "reference", "1001", "started"))

    sim.complete(1001)
    rerun = sk(env, *export(sim, "export-stocks-file", out, "--json"))
    assert rerun.returncode == 0, rerun.stderr
    assert "adopted" in rerun.stderr and sim.stats.tasks_created == 1  # the same job, not a duplicate
    (saved,) = json_lines(rerun.stdout)
    assert saved["sha256"] == sim.task_file_sha256(1001)
    assert json_lines(sk(env, "jobs", "--json").stdout)[0]["state"] == "downloaded"
    # once more: the file is there, nothing is fetched again
    served = sim.stats.files_served
    again = sk(env, *export(sim, "export-stocks-file", out, "--json"))
    assert json_lines(again.stdout) == [saved] and sim.stats.files_served == served


def test_a_killed_download_resumes_where_it_stopped(
    env: dict[str, str], make_selsup_sim: Callable[..., SelsupSimulator], tmp_path: Path
) -> None:
    size = 24 << 20
    sim = make_selsup_sim(clock=ScaledClock(20.0), api_key=KEY, large_file_bytes=size, chunk_size=1 << 20)
    sim.faults.add("slow", path="/api/files", chunk_delay=0.05, chunk_size=1 << 20, times=1)
    out = tmp_path / "out"
    running = _popen(env, export(sim, "export-stocks-file", out))

    def partial() -> bool:
        return out.exists() and any(p.stat().st_size >= 4 << 20 for p in out.glob("*.sellerkit-part"))

    _wait_for(partial, "a partial download")
    running.kill()  # a crash: no handler runs
    running.communicate(timeout=TIMEOUT)
    done = sk(env, "resume", "1001", "--api-key", KEY, "--json")
    assert done.returncode == 0, done.stderr
    (saved,) = json_lines(done.stdout)
    assert saved["size"] == size and saved["sha256"] == sim.task_file_sha256(1001)
    ranged = [r for r in sim.requests.matching(path="/api/files/file") if r.header("range")]
    assert ranged and ranged[-1].header("range") != "bytes=0-"  # continued, not started over
    assert not list(out.glob("*.sellerkit-*"))


def test_download_and_cancel_by_reference(
    env: dict[str, str], make_selsup_sim: Callable[..., SelsupSimulator], tmp_path: Path
) -> None:
    sim = make_selsup_sim(clock=ScaledClock(20.0), api_key=KEY)
    first = sk(env, *export(sim, "export-stocks-file", tmp_path / "a"))
    assert first.returncode == 0, first.stderr
    again = sk(env, "download", "1001", str(tmp_path / "b"), "--api-key", KEY, "--json")
    assert again.returncode == 0, again.stderr
    assert json_lines(again.stdout)[0]["sha256"] == sim.task_file_sha256(1001)
    assert Path(json_lines(again.stdout)[0]["path"]).parent == tmp_path / "b"

    sim.settings.outcome = "stuck"
    started = _popen(env, export(sim, "export-models-file", tmp_path / "c"))
    remembered = Path(env["SELLERKIT_STATE_DIR"]) / "cli" / "selsup"
    _wait_for(lambda: len(list(remembered.glob("*.json"))) == 2, "the second job remembered")
    started.send_signal(signal.SIGINT)
    started.communicate(timeout=TIMEOUT)
    cancelled = sk(env, "cancel", "1002", "--api-key", KEY)
    assert cancelled.returncode == 0, cancelled.stderr
    assert sim.stats.cancels == 1 and "cancel" in cancelled.stderr
    unknown = sk(env, "cancel", "999", "--vendor", "selsup", "--api-key", KEY, "--base-url", sim.base_url)
    assert unknown.returncode in (Exit.BAD_INPUT, Exit.NOT_FOUND), unknown.stderr


def test_python_dash_m_sellerkit_is_the_same_command(env: dict[str, str]) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "sellerkit", "--help"],
        env=env,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
    )
    assert done.returncode == 0
    for command in ("export", "jobs", "resume", "download", "cancel", "simulate"):
        assert command in done.stdout


def test_simulate_serves_until_its_duration(env: dict[str, str]) -> None:
    done = sk(env, "simulate", "selsup", "--api-key", KEY, "--duration", "0.5", "--time-scale", "10",
              "--fault", "rate_limit:path=/api/task,times=2")  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "SelSup simulator: http://127.0.0.1:" in done.stdout and "fault: rate_limit" in done.stdout
    bad = sk(env, "simulate", "selsup", "--fault", "nonsense", "--duration", "0.1")
    assert bad.returncode == 2 and "unknown fault kind" in bad.stderr


def test_in_a_terminal_the_bars_are_drawn(
    env: dict[str, str], make_selsup_sim: Callable[..., SelsupSimulator], tmp_path: Path
) -> None:
    """The console script on a pseudo-terminal (what tmux gives it): rich bars, not plain lines."""
    import pty

    sim = make_selsup_sim(clock=ScaledClock(20.0), api_key=KEY, large_file_bytes=8 << 20)
    leader, follower = pty.openpty()
    proc = subprocess.Popen(
        [str(SELLERKIT), *export(sim, "export-stocks-file", tmp_path)],
        env={**env, "TERM": "xterm-256color", "COLUMNS": "120"},
        stdin=follower,
        stdout=follower,
        stderr=follower,
        close_fds=True,
    )
    os.close(follower)
    screen = b""
    deadline = time.monotonic() + TIMEOUT
    while time.monotonic() < deadline:
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # the terminal closed: the process ended
            break
        if not chunk:
            break
        screen += chunk
    os.close(leader)
    assert proc.wait(timeout=TIMEOUT) == 0
    text = screen.decode("utf-8", "replace")
    assert "\x1b[" in text and "━" in text  # cursor control and bars: a live display
    assert "1/1" in text and "1 started, 1 finished" in text
    assert "8.0 MiB / 8.0 MiB" in text and "MiB/s" in text
    saved = f"saved {tmp_path}/stocksFile_1001.xlsx (8.0 MiB, sha256 {sim.task_file_sha256(1001)})"
    plain = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", text)
    assert "".join(saved.split()) in "".join(plain.split())  # wrapped at the terminal's width
    assert "submitted" in text and "FINISHED" in text
