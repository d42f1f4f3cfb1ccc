"""`rows()` against the simulator: OData filters built by the client evaluated by the simulator over HTTP
(every operator, every literal kind, hostile strings), `$top`/`$skip` paging as sync and async iterators,
and checks before any request."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from sellerkit.sellerscommerce import (
    ConfigurationError,
    Filter,
    Orders,
    Products,
    SellersCommerceClient,
    Shoppers,
)
from sellerkit.testing.odata import parse_datetime
from sellerkit.testing.sellerscommerce import SellersCommerceSimulator
from sellerkit.testing.sellerscommerce_data import FIRST_ORDER_NUMBER
from tests.sellerscommerce.conftest import MODES, OPS, MakeSim, aw, collect, dual

ORDERS = 40 + 160


@pytest.fixture
def sim(make_sim: MakeSim) -> SellersCommerceSimulator:
    return make_sim(extra_orders=160)


def fetch(mode: str, sim: SellersCommerceSimulator, entity: str, **kw: Any) -> list[dict[str, Any]]:
    async def script(client: Any) -> list[dict[str, Any]]:
        return await collect(client.rows(entity, **kw))

    return dual(mode, sim, script)


def when(row: dict[str, Any], name: str) -> datetime | None:
    value = row.get(name)
    return None if value is None else parse_datetime(value)


CASES: list[tuple[str, Any, Callable[[dict[str, Any]], Any]]] = [  # field, value, the row's value to compare
    ("OrderNumber", str(FIRST_ORDER_NUMBER + 77), lambda r: r["OrderNumber"]),
    ("OrderStatusId", 9, lambda r: r["OrderStatusId"]),
    ("OrderTotal", 60.5, lambda r: r["OrderTotal"]),
    ("ModifiedDate", datetime(2016, 1, 3, 12, tzinfo=UTC), lambda r: when(r, "ModifiedDate")),
    ("OrderPlacedDate", "2016-01-02T08:00:00", lambda r: when(r, "OrderPlacedDate")),
]


@pytest.mark.parametrize("mode", MODES)
def test_every_operator_and_literal_kind_filters_like_python_does(
    mode: str, sim: SellersCommerceSimulator
) -> None:
    everything = fetch(mode, sim, "orders", page_size=1000)
    assert len(everything) == ORDERS
    for name, value, get in CASES:
        for op, python in OPS.items():
            built: Filter = getattr(Orders.field(name), op)(value)
            got = [r["OrderNumber"] for r in fetch(mode, sim, "orders", filter=built, page_size=1000)]
            target = parse_datetime(value) if isinstance(value, str) and name.endswith("Date") else value
            want = [
                r["OrderNumber"]
                for r in everything
                if (get(r) is not None or op in ("eq", "ne")) and python(get(r), target)
            ]
            assert got == want, (name, op)


@pytest.mark.parametrize("mode", MODES)
def test_quotes_and_injection_attempts_stay_values(mode: str, sim: SellersCommerceSimulator) -> None:
    oneil = fetch(mode, sim, "orders", filter=Orders.LastName == "O'Neil", page_size=1000)
    assert oneil and {r["LastName"] for r in oneil} == {"O'Neil"}
    for hostile in ["' or 1 eq 1", "x' or OrderStatusId ne 0 or LastName eq '", "'", "''", "O''Neil"]:
        assert fetch(mode, sim, "orders", filter=Orders.LastName == hostile) == []
    kids = fetch(mode, sim, "products", filter=Products.ProductName == 'Kids\' Tee "Rocket"')
    assert [p["ProductCode"] for p in kids] == ["KIDS-TEE"]
    both = (Shoppers.LastName == "García") | (Shoppers.Deleted == True)  # noqa: E712
    assert sorted(s["UserName"] for s in fetch(mode, sim, "shoppers", filter=both)) == [
        "deleted.user",
        "pgarcia",
    ]


@pytest.mark.parametrize("mode", MODES)
def test_pages_are_followed_until_an_empty_one(mode: str, sim: SellersCommerceSimulator) -> None:
    calls = sim.stats.api_calls
    rows = fetch(mode, sim, "orders", orderby=Orders.OrderNumber.desc, page_size=30)
    assert [r["OrderNumber"] for r in rows] == [str(FIRST_ORDER_NUMBER + i) for i in reversed(range(ORDERS))]
    assert sim.stats.api_calls - calls == 8  # 6 full pages, a short one and the empty one that ends it
    limited = fetch(mode, sim, "orders", page_size=30, max_pages=2)
    assert len(limited) == 60
    skus = fetch(mode, sim, "product_skus", page_size=4, filter={"IsActive": True})  # its own top/skip
    assert len(skus) == len(sim.store.skus) and len({s["SKUCode"] for s in skus}) == len(skus)
    assert len(fetch(mode, sim, "roles", page_size=1)) == 3  # no paging: one answer with every row


@pytest.mark.parametrize("mode", MODES)
def test_iteration_is_lazy(mode: str, sim: SellersCommerceSimulator) -> None:
    async def script(client: Any) -> list[Any]:
        iterator = client.rows("orders", page_size=10)
        before = sim.stats.api_calls
        first = await aw(anext(iterator)) if hasattr(iterator, "__anext__") else next(iterator)
        return [sim.stats.api_calls - before, first["OrderNumber"]]

    assert dual(mode, sim, script) == [1, str(FIRST_ORDER_NUMBER)]


@pytest.mark.parametrize(
    ("entity", "kw", "message"),
    [
        ("orders", {"filter": "OrderNumbr eq '1'"}, "Order has no field 'OrderNumbr'; its fields: "),
        (
            "orders",
            {"filter": {"OrderStatusId": "3"}},
            "OrderStatusId: an int field cannot be compared with str",
        ),
        ("orders", {"orderby": "OrderNumber up"}, "'Field asc' or 'Field desc'"),
        ("orders", {"page_size": 5000}, "page_size must be an int from 1 to 1000"),
        ("customers", {}, "entity must be one of orders"),
        ("admins", {"filter": "UserID eq 1"}, "takes no query options"),
    ],
)
def test_bad_queries_are_refused_when_called_before_any_request(
    entity: str, kw: dict[str, Any], message: str, sim: SellersCommerceSimulator
) -> None:
    for mode in MODES:
        with pytest.raises(ConfigurationError, match=message):
            fetch(mode, sim, entity, **kw)
    assert sim.requests.calls() == 0


def test_a_server_capping_top_below_the_page_size_still_yields_every_row(tmp_path: Any) -> None:
    """Short pages are not the end: `$skip` advances by the rows received, an empty page ends the list."""
    table = [{"OrderNumber": str(n)} for n in range(23)]
    seen: list[tuple[str, str]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/token":
            return httpx.Response(200, json={"access_token": "a", "token_type": "bearer", "expires_in": 3599})
        top, skip = request.url.params["$top"], request.url.params["$skip"]
        seen.append((top, skip))
        rows = table[int(skip) : int(skip) + min(int(top), 5)]  # the server's own cap: 5
        return httpx.Response(200, json={"Results": rows, "ResponseMessage": "Processed", "StatusCode": 20})

    with SellersCommerceClient(
        "key",
        "secret",
        base_url="https://api.test",
        token_store=False,
        http_client=httpx.Client(transport=httpx.MockTransport(handler)),
    ) as client:
        got = list(client.rows("orders", page_size=10))
        exported = client.export("orders", tmp_path / "o.jsonl", page_size=10)
    assert [r["OrderNumber"] for r in got] == [r["OrderNumber"] for r in table]
    assert seen[:6] == [("10", str(skip)) for skip in (0, 5, 10, 15, 20, 23)]
    assert exported.rows == 23 and exported.pages == 5
