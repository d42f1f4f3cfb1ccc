"""`call()` is typed from the generated operation (its request builder's parameters, its parser's answer):
mypy --strict checks this module, and each `type: ignore[...]` must be needed (`warn_unused_ignores`), so a
parameter typo, a wrong type or a missing required one is a static error. At run time they are refused too,
before any request."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any, assert_type

import httpx
import pytest

from sellerkit._core.retry import RetryPolicy
from sellerkit.sellerscommerce import (
    AsyncSellersCommerceClient,
    ConfigurationError,
    ExportResult,
    Orders,
    SellersCommerceClient,
)
from sellerkit.sellerscommerce_api.api.orders import get_order, list_orders, update_order_status
from sellerkit.sellerscommerce_api.models import (
    ApiMessage,
    BadRequestBody,
    ErrorEnvelope,
    Order,
    OrderEnvelope,
    OrderListEnvelope,
    OrderStatusUpdate,
    ProcessedEnvelope,
)
from tests.clients import make_client

# what the generated parsers also answer for documented errors (sellerkit raises those instead) and None
Answer = ApiMessage | BadRequestBody | ErrorEnvelope | None
Listed = ApiMessage | BadRequestBody | None


def _refuse(request: httpx.Request) -> httpx.Response:
    raise AssertionError(f"no request may be sent: {request.url}")


def _client() -> SellersCommerceClient:
    hooks = {"inner_transport": httpx.MockTransport(_refuse), "retry": RetryPolicy(jitter=False)}
    return make_client(
        SellersCommerceClient, hooks=hooks, access_key="k", shared_secret="s", token_store=False
    )


def typed_calls(client: SellersCommerceClient, body: OrderStatusUpdate) -> None:
    """Never run: only type-checked."""
    assert_type(client.call(get_order, ordernumber="100001"), Answer | OrderEnvelope)
    assert_type(client.call(list_orders, filter_="OrderNumber eq '1'", top=5), Listed | OrderListEnvelope)
    assert_type(client.call(update_order_status, body=body), Answer | ProcessedEnvelope)
    assert_type(client.order("100001"), Order)
    assert_type(client.rows("orders", filter=Orders.OrderStatusId == 3), Iterator[dict[str, Any]])
    assert_type(client.export("orders", "exports/"), ExportResult)


async def typed_async_calls(client: AsyncSellersCommerceClient) -> None:
    """Never run: only type-checked."""
    assert_type(await client.call(get_order, ordernumber="1"), Answer | OrderEnvelope)
    assert_type(await client.order("1"), Order)
    assert_type(client.rows("orders"), AsyncIterator[dict[str, Any]])
    assert_type(await client.export("orders", "exports/", format="csv"), ExportResult)


def test_wrong_parameters_are_static_errors_and_runtime_errors() -> None:
    with _client() as client:
        with pytest.raises(ConfigurationError):
            client.call(get_order, ordernumber=100001)  # type: ignore[arg-type]
        with pytest.raises(ConfigurationError):
            client.call(get_order, order_number="1")  # type: ignore[call-arg]
        with pytest.raises(ConfigurationError):
            client.call(get_order)  # type: ignore[call-arg]
        with pytest.raises(ConfigurationError):
            client.call(list_orders, top="5")  # type: ignore[arg-type]
        with pytest.raises(ConfigurationError):
            client.call(update_order_status, body={"OrderNumber": "1"})  # type: ignore[arg-type]
        with pytest.raises(ConfigurationError):
            client.export("orders", "x.jsonl", format="xml")  # type: ignore[arg-type]
