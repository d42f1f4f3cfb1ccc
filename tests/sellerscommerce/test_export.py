"""`export()` against the simulator: every page into one file (jsonl, csv), resumed after a crash at the last
complete page (a failing callback, a dropped connection, a killed process), incremental with `since=`, and
bad arguments refused before any request."""

from __future__ import annotations

import csv
import io
import json
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from sellerkit.sellerscommerce import (
    APIConnectionError,
    ConfigurationError,
    ExportProgress,
    Orders,
)
from sellerkit.sellerscommerce_api.api.orders import update_order_status
from sellerkit.sellerscommerce_api.models import OrderStatusUpdate
from sellerkit.testing.sellerscommerce import SellersCommerceSimulator
from sellerkit.testing.sellerscommerce_data import FIRST_ORDER_NUMBER
from tests.conftest import ROOT
from tests.sellerscommerce.conftest import MODES, MakeSim, aw, dual

ORDERS = 40 + 460  # the seeded ones and generated ones


@pytest.fixture
def sim(make_sim: MakeSim) -> SellersCommerceSimulator:
    return make_sim(extra_orders=460)


def jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text("utf-8").splitlines()]


class Crash(Exception):
    pass


def crash_after(pages: int, seen: list[ExportProgress]) -> Any:
    def progress(p: ExportProgress) -> None:
        seen.append(p)
        if p.pages == pages:
            raise Crash

    return progress


@pytest.mark.parametrize("mode", MODES)
def test_every_order_lands_in_one_jsonl_file_in_order_with_progress(
    mode: str, sim: SellersCommerceSimulator, tmp_path: Path
) -> None:
    seen: list[ExportProgress] = []

    async def script(client: Any) -> Any:
        return await aw(
            client.export("orders", f"{tmp_path}/exports/", page_size=64, on_progress=seen.append)
        )

    result = dual(mode, sim, script)
    assert result.path == tmp_path / "exports" / "orders.jsonl" and result.format == "jsonl"
    rows = jsonl(result.path)
    assert [r["OrderNumber"] for r in rows] == [str(FIRST_ORDER_NUMBER + i) for i in range(ORDERS)]
    assert (result.pages, result.rows, result.resumed_pages) == (8, ORDERS, 0)
    assert seen == [ExportProgress(n, min(64 * n, ORDERS)) for n in range(1, 9)]
    assert sorted(p.name for p in result.path.parent.iterdir()) == ["orders.jsonl"]  # no part file left
    latest = max(r["ModifiedDate"] for r in rows)  # Json.NET's form: compare as instants
    assert result.high_water_mark is not None and latest.startswith(result.high_water_mark[:19])


@pytest.mark.parametrize("mode", MODES)
def test_csv_has_the_entitys_columns_and_nested_objects_as_json(
    mode: str, sim: SellersCommerceSimulator, tmp_path: Path
) -> None:
    async def script(client: Any) -> Any:
        return await aw(
            client.export(
                "orders", tmp_path / "o.csv", format="csv", filter=Orders.OrderStatusId == 3, page_size=5
            )
        )

    result = dual(mode, sim, script)
    table = list(csv.DictReader(io.StringIO(result.path.read_text("utf-8"), newline="")))
    assert list(table[0]) == list(Orders.columns())
    assert len(table) == result.rows > 5 and {r["OrderStatusId"] for r in table} == {"3"}
    items = json.loads(table[0]["Items"])
    assert isinstance(items, list) and items[0]["SKUCode"]
    assert any(r["LastName"] == "O'Neil" for r in table)  # a quote survives the CSV quoting


@pytest.mark.parametrize("mode", MODES)
def test_a_crash_resumes_at_the_last_complete_page_and_the_file_is_the_same(
    mode: str, sim: SellersCommerceSimulator, tmp_path: Path
) -> None:
    whole = dual(mode, sim, lambda c: aw(c.export("orders", tmp_path / "whole.jsonl", page_size=50)))
    seen: list[ExportProgress] = []
    dest = tmp_path / "resumed.jsonl"

    async def crashing(client: Any) -> Any:
        return await aw(client.export("orders", dest, page_size=50, on_progress=crash_after(4, seen)))

    with pytest.raises(Crash):
        dual(mode, sim, crashing)
    assert not dest.exists() and (tmp_path / "resumed.jsonl.sellerkit-part").exists()
    calls = sim.stats.api_calls
    result = dual(mode, sim, lambda c: aw(c.export("orders", dest, page_size=50)))
    assert result.resumed_pages == 4 and result.pages == 10 and result.rows == ORDERS
    assert sim.stats.api_calls - calls == 7  # pages 5..10, and the empty one after the last full page
    assert dest.read_bytes() == whole.path.read_bytes()
    assert not (tmp_path / "resumed.jsonl.sellerkit-part").exists()


@pytest.mark.parametrize("mode", MODES)
def test_a_page_cut_mid_body_is_read_again_within_the_retry_budget(
    mode: str, sim: SellersCommerceSimulator, tmp_path: Path
) -> None:
    dest = tmp_path / "o.csv"
    sim.faults.add("reset", path="/api/order/getall", after=2, after_bytes=200, times=2)

    async def script(client: Any) -> Any:
        return await aw(client.export("orders", dest, format="csv", page_size=100))

    result = dual(mode, sim, script)
    assert (result.resumed_pages, result.pages, result.rows) == (0, 5, ORDERS)
    assert sim.requests.calls(path="/api/order/getall") == 6 + 2  # 5 pages, the empty end, 2 again
    numbers = [r["OrderNumber"] for r in csv.DictReader(io.StringIO(dest.read_text("utf-8"), newline=""))]
    assert numbers == [str(FIRST_ORDER_NUMBER + i) for i in range(ORDERS)]


@pytest.mark.parametrize("mode", MODES)
def test_out_of_retries_nothing_partial_is_left_and_the_next_run_starts_over(
    mode: str, sim: SellersCommerceSimulator, tmp_path: Path
) -> None:
    dest = tmp_path / "o.jsonl"
    sim.faults.add("reset", path="/api/order/getall", after=3, times=None)

    async def script(client: Any) -> Any:
        return await aw(client.export("orders", dest, page_size=100))

    with pytest.raises(APIConnectionError) as caught:
        dual(mode, sim, script, max_retries=2)
    assert caught.value.attempts == 3 and sorted(tmp_path.iterdir()) == []  # the budget, not 3 x 3
    assert sim.requests.calls(path="/api/order/getall") == 3 + 3
    sim.faults.clear()
    result = dual(mode, sim, script)
    assert (result.resumed_pages, result.rows) == (0, ORDERS)


def test_a_fresh_export_ignores_the_checkpoint_and_a_changed_call_does_not_adopt_it(
    sim: SellersCommerceSimulator, tmp_path: Path
) -> None:
    dest = tmp_path / "o.jsonl"
    with pytest.raises(Crash):
        dual(
            "sync", sim, lambda c: aw(c.export("orders", dest, page_size=50, on_progress=crash_after(2, [])))
        )
    other = dual("sync", sim, lambda c: aw(c.export("orders", dest, page_size=100)))  # another page size
    assert other.resumed_pages == 0 and other.rows == ORDERS
    dest.unlink()
    with pytest.raises(Crash):
        dual(
            "sync", sim, lambda c: aw(c.export("orders", dest, page_size=50, on_progress=crash_after(2, [])))
        )
    fresh = dual("sync", sim, lambda c: aw(c.export("orders", dest, page_size=50, fresh=True)))
    assert fresh.resumed_pages == 0 and len(jsonl(dest)) == ORDERS


KILLED = """
import os, sys
from sellerkit.sellerscommerce import SellersCommerceClient
client = SellersCommerceClient(sys.argv[1], sys.argv[2], base_url=sys.argv[3])
client.export("orders", sys.argv[4], page_size=20, on_progress=lambda p: print(p.pages, flush=True))
"""


def test_a_killed_process_resumes_after_its_last_complete_page(
    sim: SellersCommerceSimulator, tmp_path: Path
) -> None:
    dest = tmp_path / "orders.jsonl"
    sim.faults.add("slow", path="/api/order/getall", delay=0.05, times=None)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "overlays"), str(ROOT / "generated")])}
    args = [sys.executable, "-c", KILLED, sim.access_key, sim.shared_secret, sim.base_url, str(dest)]
    with subprocess.Popen(args, env=env, stdout=subprocess.PIPE, text=True) as child:
        assert child.stdout is not None
        for line in child.stdout:
            if int(line) >= 5:
                break
        child.send_signal(signal.SIGKILL)
    assert not dest.exists()
    sim.faults.clear()
    result = dual("sync", sim, lambda c: aw(c.export("orders", dest, page_size=20)))
    assert result.resumed_pages >= 5 and result.rows == ORDERS
    assert [r["OrderNumber"] for r in jsonl(dest)] == [str(FIRST_ORDER_NUMBER + i) for i in range(ORDERS)]


@pytest.mark.parametrize("mode", MODES)
def test_since_last_exports_only_what_changed_since_the_last_complete_export(
    mode: str, sim: SellersCommerceSimulator, tmp_path: Path
) -> None:
    first = dual(mode, sim, lambda c: aw(c.export("orders", tmp_path / "all.jsonl", page_size=100)))
    mark = first.high_water_mark
    assert mark is not None
    boundary = [r["OrderNumber"] for r in jsonl(first.path) if r["ModifiedDate"].startswith(mark[:19])]
    changed = ["100007", "100250", "100499"]

    async def change_and_export(client: Any) -> Any:
        for number in changed:
            body = OrderStatusUpdate.from_dict({"OrderNumber": number, "OrderStatusId": 10})
            await aw(client.call(update_order_status, body=body))
        return await aw(client.export("orders", tmp_path / "delta.jsonl", since="last"))

    delta = dual(mode, sim, change_and_export)
    got = [r["OrderNumber"] for r in jsonl(delta.path)]
    assert sorted(got) == sorted(set(changed) | set(boundary))  # the boundary row(s) again: >=, not >
    assert delta.high_water_mark is not None and delta.high_water_mark > mark
    again = dual(mode, sim, lambda c: aw(c.export("orders", tmp_path / "again.jsonl", since="last")))
    assert again.rows <= len(changed)  # only rows at the new mark
    explicit = dual(
        mode, sim, lambda c: aw(c.export("orders", tmp_path / "x.jsonl", since=delta.high_water_mark))
    )
    assert explicit.rows == again.rows


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"entity": "invoices"}, "entity must be one of orders, products"),
        ({"format": "xml"}, "format must be one of jsonl, csv"),
        ({"filter": "Nope eq 1"}, "Order has no field 'Nope'"),
        ({"filter": Orders.OrderNumber == "1", "entity": "products"}, "Product has no field 'OrderNumber'"),
        ({"orderby": "Items desc"}, "object or list"),
        ({"page_size": 0}, "page_size must be an int from 1 to 1000"),
        ({"since": "yesterday"}, "since must be 'last'"),
        ({"entity": "suppliers", "since": "last"}, "carry no change date"),
        ({"entity": "roles", "filter": "RoleID eq 1"}, "takes no query options"),
    ],
)
def test_bad_arguments_are_refused_before_any_request(
    kwargs: dict[str, Any], message: str, sim: SellersCommerceSimulator, tmp_path: Path
) -> None:
    entity = kwargs.pop("entity", "orders")

    async def script(client: Any) -> Any:
        return await aw(client.export(entity, tmp_path / "x.jsonl", **kwargs))

    with pytest.raises(ConfigurationError, match=message):
        dual("sync", sim, script)
    assert sim.requests.calls() == 0


def test_an_existing_file_is_never_replaced_without_overwrite(
    sim: SellersCommerceSimulator, tmp_path: Path
) -> None:
    dest = tmp_path / "o.jsonl"
    dest.write_text("mine")
    with pytest.raises(ConfigurationError, match="already exists"):
        dual("sync", sim, lambda c: aw(c.export("orders", dest)))
    assert dest.read_text() == "mine" and sim.requests.calls() == 0
    dual("sync", sim, lambda c: aw(c.export("orders", dest, overwrite=True)))
    assert len(jsonl(dest)) == ORDERS
    folder = dual("sync", sim, lambda c: aw(c.export("orders", f"{tmp_path}/")))
    assert folder.path.name == "orders.jsonl"
    second = dual("sync", sim, lambda c: aw(c.export("orders", f"{tmp_path}/")))
    assert second.path.name == "orders (1).jsonl"
