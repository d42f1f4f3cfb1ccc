"""`sellerkit export sellerscommerce ENTITY` (a paged export, not a vendor job) through the console script
against the simulator: plain progress and --json, OData options, credentials from the environment, bad input
before any request, and Ctrl-C in the middle of an export, listed by `sellerkit jobs`, resumed by a rerun."""

from __future__ import annotations

import hashlib
import json
import re
import signal
from collections.abc import Callable
from pathlib import Path

import pytest

from sellerkit.cli import Exit
from sellerkit.testing.sellerscommerce import SellersCommerceSimulator

from .test_cli import TIMEOUT, _popen, _wait_for, json_lines, sk

KEY, SECRET = "ak-cli-test", "cli-test-secret"
BAD = "not-the-shared-secret"
ORDERS = "/api/order/getall"


@pytest.fixture
def sc(make_sellerscommerce_sim: Callable[..., SellersCommerceSimulator]) -> SellersCommerceSimulator:
    return make_sellerscommerce_sim(access_key=KEY, shared_secret=SECRET)


def export(sim: SellersCommerceSimulator, entity: str, out: Path, *extra: str) -> list[str]:
    return ["export", "sellerscommerce", entity, "--base-url", sim.base_url, "--out", str(out), *extra]


def with_credentials(env: dict[str, str]) -> dict[str, str]:
    return {**env, "SELLERSCOMMERCE_ACCESS_KEY": KEY, "SELLERSCOMMERCE_SHARED_SECRET": SECRET}


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_an_orders_export_with_json_and_plain_progress(
    env: dict[str, str], sc: SellersCommerceSimulator, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    args = export(sc, "orders", out, "--json", "--page-size", "7")
    done = sk(env, *args, "--access-key", KEY, "--shared-secret", SECRET)
    assert done.returncode == 0, done.stderr
    (line,) = json_lines(done.stdout)
    path = Path(line["path"])
    assert path == out / "orders.jsonl" and path.stat().st_size == line["size"]
    assert line["sha256"] == sha256(path)
    rows = [json.loads(text) for text in path.read_text().splitlines()]
    assert len(rows) == 40 and [r["OrderNumber"] for r in rows] == sorted(r["OrderNumber"] for r in rows)
    # not a terminal: plain lines on stderr, the total once; 40 rows in pages of 7 are 6 pages
    assert "sellerscommerce orders: 6 pages, 40 rows" in done.stderr
    assert f"saved {path}" in done.stderr
    assert sc.requests.calls(path=ORDERS) == 7  # and the empty page that ends the list
    assert KEY not in done.stdout + done.stderr and SECRET not in done.stdout + done.stderr


def test_csv_with_a_filter_an_ordering_and_credentials_from_the_environment(
    env: dict[str, str], sc: SellersCommerceSimulator, tmp_path: Path
) -> None:
    args = export(sc, "orders", tmp_path, "--format", "csv", "--filter", "OrderStatusId eq 3")
    done = sk(with_credentials(env), *args, "--orderby", "OrderNumber desc")
    assert done.returncode == 0, done.stderr
    path_text, size, digest = done.stdout.strip().split("\t")
    path = Path(path_text)
    assert path.name == "orders.csv" and int(size) == path.stat().st_size and digest == sha256(path)
    header, *lines = path.read_text().splitlines()
    assert "OrderStatusId" in header.split(",") and lines
    (last,) = [r for r in sc.requests.matching(path=ORDERS) if "skip=0" in r.query]
    assert "OrderStatusId" in last.query and "desc" in last.query


def test_since_last_exports_only_what_changed(
    env: dict[str, str], sc: SellersCommerceSimulator, tmp_path: Path
) -> None:
    environment = with_credentials(env)
    first = sk(environment, *export(sc, "orders", tmp_path / "a", "--json", "--since", "last"))
    assert first.returncode == 0, first.stderr
    (full,) = json_lines(first.stdout)
    again = sk(environment, *export(sc, "orders", tmp_path / "b", "--json", "--since", "last"))
    assert again.returncode == 0, again.stderr
    (changed,) = json_lines(again.stdout)
    # inclusive mark: the most recently changed order(s) again, not all 40
    assert (
        0
        < len(Path(changed["path"]).read_text().splitlines())
        < 40
        == len(Path(full["path"]).read_text().splitlines())
    )


@pytest.mark.parametrize(
    ("extra", "says"),
    [
        (["--since", "yesterday"], "since must be"),
        (["--filter", "Nope eq 1"], "no field 'Nope'"),
        (["--format", "xml"], "xml"),
    ],
)
def test_bad_input_is_refused_before_any_request(
    env: dict[str, str], sc: SellersCommerceSimulator, tmp_path: Path, extra: list[str], says: str
) -> None:
    done = sk(with_credentials(env), *export(sc, "orders", tmp_path, *extra))
    assert done.returncode == Exit.BAD_INPUT, done.stderr
    assert says in done.stderr and "Traceback" not in done.stderr
    assert sc.requests.calls(path="/api") == 0


def test_wrong_credentials_are_an_auth_error(
    env: dict[str, str], sc: SellersCommerceSimulator, tmp_path: Path
) -> None:
    done = sk(env, *export(sc, "orders", tmp_path, "--access-key", KEY, "--shared-secret", BAD))
    assert done.returncode == Exit.AUTH, done.stderr
    assert "SELLERSCOMMERCE_SHARED_SECRET" in done.stderr and BAD not in done.stderr


def test_ctrl_c_keeps_the_pages_and_a_rerun_resumes(
    env: dict[str, str], sc: SellersCommerceSimulator, tmp_path: Path
) -> None:
    environment = with_credentials(env)
    out = tmp_path / "out"
    sc.faults.add("slow", path=ORDERS, delay=30.0, after=3)  # the 4th page hangs
    running = _popen(environment, export(sc, "orders", out, "--page-size", "5"))
    _wait_for(lambda: sc.requests.calls(path=ORDERS) >= 4, "the fourth page")
    running.send_signal(signal.SIGINT)
    _, stderr = running.communicate(timeout=TIMEOUT)
    assert running.returncode == Exit.INTERRUPTED, stderr
    assert "interrupted" in stderr and "run the same command again" in stderr
    assert "Traceback" not in stderr
    assert list(out.glob("*.sellerkit-part")) and not (out / "orders.jsonl").exists()

    (listed,) = json_lines(sk(environment, "jobs", "--json").stdout)
    assert (listed["vendor"], listed["export"]) == ("sellerscommerce", "orders.jsonl")
    assert "after page 3 (15 rows)" in listed["state"]
    assert "orders.jsonl" in sk(environment, "jobs").stdout

    sc.faults.clear()
    before = sc.requests.calls(path=ORDERS)
    rerun = sk(environment, *export(sc, "orders", out, "--page-size", "5", "--json"))
    assert rerun.returncode == 0, rerun.stderr
    assert "resumed after page 3" in rerun.stderr
    (saved,) = json_lines(rerun.stdout)
    skips = [r.query for r in sc.requests.matching(path=ORDERS)[before:]]
    assert not any("skip=0&" in q or q.endswith("skip=0") for q in skips)  # the first pages not again
    # the same file an uninterrupted export makes
    fresh = sk(environment, *export(sc, "orders", tmp_path / "fresh", "--page-size", "5", "--json"))
    assert json_lines(fresh.stdout)[0]["sha256"] == saved["sha256"]
    assert len(Path(saved["path"]).read_text().splitlines()) == 40
    assert json_lines(sk(environment, "jobs", "--json").stdout) == []


def test_every_entity_is_a_command_with_its_typed_options(env: dict[str, str]) -> None:
    from sellerkit.sellerscommerce import ENTITIES

    listed = sk(env, "export", "sellerscommerce", "--help").stdout
    assert all(entity.replace("_", "-") in listed for entity in ENTITIES)
    shown = " ".join(
        re.sub(r"[│╭╮╰╯─]", " ", sk(env, "export", "sellerscommerce", "orders", "--help").stdout).split()
    )
    assert "choices: jsonl, csv" in shown and "OrderStatusId eq 3" in shown and "ISO-8601" in shown
    assert "--page-size" in shown and "resuming an interrupted run" in shown
