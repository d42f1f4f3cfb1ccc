"""The job journal: records survive processes, expire, and never hold the credential."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from sellerkit._core.errors import ConfigurationError
from sellerkit._core.journal import ENV_STATE_DIR, Journal, default_folder, fingerprint


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


def test_fingerprint_depends_on_every_part_and_hides_the_credential() -> None:
    base = fingerprint("acme", "https://x/", "SECRET-KEY", "export", {"a": 1})
    assert base == fingerprint("acme", "https://x", "SECRET-KEY", "export", {"a": 1})
    others = {
        fingerprint("other", "https://x", "SECRET-KEY", "export", {"a": 1}),
        fingerprint("acme", "https://y", "SECRET-KEY", "export", {"a": 1}),
        fingerprint("acme", "https://x", "OTHER-KEY", "export", {"a": 1}),
        fingerprint("acme", "https://x", "SECRET-KEY", "import", {"a": 1}),
        fingerprint("acme", "https://x", "SECRET-KEY", "export", {"a": 2}),
    }
    assert base not in others and len(others) == 5


def test_started_record_is_found_by_another_journal_on_the_same_folder(tmp_path: Path) -> None:
    clock = Clock()
    key = fingerprint("acme", "https://x", "SECRET-KEY", "export", [1, 2])
    Journal(tmp_path, clock=clock).started("acme", key, "export", "job-7")
    record = Journal(tmp_path, clock=clock).find("acme", key)
    assert record is not None and record.reference == "job-7" and record.finished_at is None
    assert "SECRET-KEY" not in (tmp_path / "acme" / f"{key}.json").read_text()


def test_records_expire_after_max_age_and_are_dropped(tmp_path: Path) -> None:
    clock = Clock()
    journal = Journal(tmp_path, max_age=60, clock=clock)
    journal.started("acme", "k", "export", "job-1")
    clock.now += 59
    assert journal.find("acme", "k") is not None
    clock.now += 2
    assert journal.find("acme", "k") is None
    assert not (tmp_path / "acme" / "k.json").exists()


def test_finished_and_forget_and_listing(tmp_path: Path) -> None:
    clock = Clock()
    journal = Journal(tmp_path, clock=clock)
    first = journal.started("acme", "k1", "export", "job-1")
    clock.now += 1
    journal.started("beta", "k2", "export", "job-2")
    journal.finished(first)
    found = journal.find("acme", "k1")
    assert found is not None and found.finished_at == clock.now
    assert [r.reference for r in journal.records()] == ["job-1", "job-2"]
    journal.forget("acme", "k1")
    assert [r.reference for r in journal.records()] == ["job-2"]


def test_unreadable_record_is_ignored_with_a_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    (tmp_path / "acme").mkdir()
    (tmp_path / "acme" / "k.json").write_text("{not json")
    assert Journal(tmp_path).find("acme", "k") is None
    assert "unreadable job record" in caplog.text


def test_default_folder_follows_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ENV_STATE_DIR, str(tmp_path))
    assert default_folder() == tmp_path / "jobs"
    monkeypatch.delenv(ENV_STATE_DIR)
    assert default_folder().name == "jobs"


def test_bad_max_age_is_a_configuration_error() -> None:
    with pytest.raises(ConfigurationError, match="max_age"):
        Journal(max_age=0)


def test_a_record_file_is_plain_json(tmp_path: Path) -> None:
    record = Journal(tmp_path).started("acme", "k", "export", "job-1")
    data = json.loads((tmp_path / "acme" / "k.json").read_text())
    assert data["reference"] == record.reference and data["vendor"] == "acme"


def test_export_checkpoints_expire_marks_do_not_and_neither_shows_up_as_a_job(tmp_path: Path) -> None:
    clock = Clock()
    journal = Journal(tmp_path, max_age=60, clock=clock)
    journal.started("acme", "job", "export", "job-1")
    journal.save_checkpoint("acme", "k", {"pages": 3, "offset": 120})
    journal.save_mark("acme", "q", "2016-01-01T00:00:00+00:00")
    assert journal.checkpoint("acme", "k") == {"pages": 3, "offset": 120, "saved_at": clock.now}
    assert [r.reference for r in journal.records()] == ["job-1"]
    clock.now += 61
    assert journal.checkpoint("acme", "k") is None
    assert journal.mark("acme", "q") == "2016-01-01T00:00:00+00:00"
    journal.save_checkpoint("acme", "k", {"pages": 1})
    journal.clear_checkpoint("acme", "k")
    assert journal.checkpoint("acme", "k") is None and journal.mark("acme", "other") is None
    (tmp_path / "acme" / "marks" / "bad.json").write_text("{not json")
    assert journal.mark("acme", "bad") is None


def test_a_claim_is_exclusive_until_given_back(tmp_path: Path) -> None:
    first, second = Journal(tmp_path), Journal(tmp_path)
    token = first.claim("acme", "k1", 60.0)
    assert token is not None and second.claim("acme", "k1", 60.0) is None
    assert second.claim("acme", "k2", 60.0) is not None  # another call: its own claim
    first.unclaim("acme", "k1", token)
    assert second.claim("acme", "k1", 60.0) is not None
    assert [r.fingerprint for r in second.records()] == []  # claims are not records


def test_a_dead_process_leaves_no_claim_behind(tmp_path: Path) -> None:
    """The claim is a lock the system drops with its process: a worker killed while starting a job doesn't
    block the next one."""
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time; from sellerkit._core.journal import Journal; "
            f"t = Journal({str(tmp_path)!r}).claim('acme', 'k1', 60.0); print(t is not None, flush=True); "
            "time.sleep(60)",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "True"
        assert Journal(tmp_path).claim("acme", "k1", 60.0) is None
    finally:
        holder.kill()
        holder.wait(10)
    assert Journal(tmp_path).claim("acme", "k1", 60.0) is not None
