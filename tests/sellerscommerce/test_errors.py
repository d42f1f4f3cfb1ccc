"""The envelope's StatusCode as typed errors: every documented code 21-36 becomes its class (carrying the
code and the vendor's message), also when it arrives with HTTP 200, and the situations that cause them."""

from __future__ import annotations

from typing import Any

import pytest

from sellerkit.sellerscommerce import (
    ERROR_CLASSES,
    AlreadyCapturedError,
    ApiError,
    BadRequestError,
    InvalidQuantityError,
    NotFoundError,
    OrderNotFoundError,
    SkuNotInOrderError,
    UserNotFoundError,
)
from sellerkit.sellerscommerce_api.api.orders import (
    get_order,
    save_payment_information,
    save_shipping_information,
)
from sellerkit.sellerscommerce_api.api.portal_admin import list_roles
from sellerkit.sellerscommerce_api.api.shoppers import get_shopper
from sellerkit.sellerscommerce_api.models import PaymentInformation, ShippingInformation
from sellerkit.testing.sellerscommerce import SellersCommerceSimulator
from sellerkit.testing.sellerscommerce_data import CODES
from tests.sellerscommerce.conftest import MODES, aw, dual


def raised(mode: str, sim: SellersCommerceSimulator, operation: Any, **params: Any) -> ApiError:
    async def script(client: Any) -> Any:
        return await aw(client.call(operation, **params))

    with pytest.raises(ApiError) as caught:
        dual(mode, sim, script)
    return caught.value


def test_every_documented_code_has_a_class() -> None:
    assert sorted(ERROR_CLASSES) == sorted(code for code in CODES if code != 20)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("code", sorted(ERROR_CLASSES))
def test_each_code_raises_its_class_with_code_and_message(
    code: int, mode: str, sim: SellersCommerceSimulator
) -> None:
    sim.faults.add("vendor_error", code=code)
    error = raised(mode, sim, list_roles)
    name, message, status = CODES[code]
    assert type(error) is ERROR_CLASSES[code]
    assert (error.code, error.vendor_message, error.status_code) == (str(code), message, status)
    assert isinstance(error, NotFoundError) == (code in (21, 22, 24, 25, 31, 32))
    assert message in str(error) and f"code {code}" in str(error)
    assert isinstance(error.body, dict) and error.body["Results"] == name  # the envelope, kept


@pytest.mark.parametrize("mode", MODES)
def test_a_status_code_other_than_20_is_an_error_even_with_http_200(
    mode: str, sim: SellersCommerceSimulator
) -> None:
    body = {"Results": "OrderNotExist", "ResponseMessage": "Order Does Not Exist", "StatusCode": 24}
    sim.faults.add("status", path="/api/order/get/100001", status=200, body=body)
    error = raised(mode, sim, get_order, ordernumber="100001")
    assert type(error) is OrderNotFoundError and error.status_code == 200 and error.code == "24"
    sim.faults.add("status", path="/api/order/get/100001", status=200, body={**body, "StatusCode": 99})
    other = raised(mode, sim, get_order, ordernumber="100001")
    assert type(other) is ApiError and other.code == "99"


@pytest.mark.parametrize("mode", MODES)
def test_the_situations_behind_the_codes(mode: str, sim: SellersCommerceSimulator) -> None:
    missing = raised(mode, sim, get_order, ordernumber="42")
    assert type(missing) is OrderNotFoundError and missing.code == "24"
    assert type(raised(mode, sim, get_shopper, username="nobody")) is UserNotFoundError
    placed = next(sim.store.orders.row(i) for i in range(40) if sim.store.orders.row(i)["OrderStatusId"] == 3)
    item = placed["Items"][0]
    ship: dict[str, Any] = {"OrderNumber": placed["OrderNumber"], "CarrierId": 1, "TrackingNumber": "1Z"}
    too_many = ShippingInformation.from_dict(
        {**ship, "Items": [{"SKUCode": item["SKUCode"], "Quantity": 99}]}
    )
    error = raised(mode, sim, save_shipping_information, body=too_many)
    assert type(error) is InvalidQuantityError and isinstance(error, BadRequestError)
    stranger = ShippingInformation.from_dict({**ship, "Items": [{"SKUCode": "NOT-IN-ORDER", "Quantity": 1}]})
    assert type(raised(mode, sim, save_shipping_information, body=stranger)) is SkuNotInOrderError
    captured = next(
        sim.store.orders.row(i) for i in range(40) if sim.store.orders.row(i)["PaymentStatusId"] == 86
    )
    pay = PaymentInformation.from_dict(
        {"OrderNumber": captured["OrderNumber"], "TransactionNumber": "T", "AuthorizationCode": "A"}
    )
    assert type(raised(mode, sim, save_payment_information, body=pay)) is AlreadyCapturedError


@pytest.mark.parametrize("mode", MODES)
def test_the_single_reads_answer_typed_models_or_their_not_found_error(
    mode: str, sim: SellersCommerceSimulator
) -> None:
    number = next(iter(sim.store.returns.values()))["ReturnNumber"]

    async def script(client: Any) -> list[Any]:
        return [
            await aw(client.order("100002")),
            await aw(client.product("TSHIRT-01")),
            await aw(client.shopper("asmith")),
            await aw(client.category("shirts")),
            await aw(client.return_request(number)),
        ]

    order, product, shopper, category, returned = dual(mode, sim, script)
    assert (order.order_number, product.product_code, shopper.user_name) == ("100002", "TSHIRT-01", "asmith")
    assert (category.category_code, returned.return_number) == ("shirts", number)
    assert type(raised_by(mode, sim, lambda c: c.order("42"))) is OrderNotFoundError
    assert type(raised_by(mode, sim, lambda c: c.shopper("nobody"))) is UserNotFoundError
    assert isinstance(raised_by(mode, sim, lambda c: c.category("nope")), NotFoundError)


def raised_by(mode: str, sim: SellersCommerceSimulator, call: Any) -> ApiError:
    async def script(client: Any) -> Any:
        return await aw(call(client))

    with pytest.raises(ApiError) as caught:
        dual(mode, sim, script)
    return caught.value
