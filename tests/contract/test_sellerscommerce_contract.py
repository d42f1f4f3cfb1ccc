"""Contract (targeted): the Sellers Commerce answers a fuzzer can't reach on its own (the token grants, 400,
401, and every documented response code 21-36 from the situation that causes it), validated against
specs/sellerscommerce.yaml; the fuzzing is `test_contract.py` (row "sellerscommerce" of `harness.CONTRACTS`).
"""

from __future__ import annotations

from functools import partial
from typing import Any

import pytest

from sellerkit.testing.sellerscommerce import SellersCommerceSimulator
from tests.contract.harness import case as vendor_case
from tests.contract.harness import validate

_case = partial(vendor_case, "sellerscommerce")
FORM = "application/x-www-form-urlencoded"

#: (situation, method, spec path, case arguments, HTTP status, response code), on the seeded store: order
#: 100007 is awaiting shipment with one TSHIRT-01-S and paid AuthorizeAndCapture, 100003 is captured
#: (PriorAuthCapture), 100009's TSHIRT-01-S already has an open return, `apparel` is not a brand
SITUATIONS: list[tuple[str, str, str, dict[str, Any], int, int]] = [
    ("unknown provider", "GET", "/api/PortalAdmin/RedirectURL", {"query": {"ProviderID": 77}}, 404, 21),
    (
        "unknown shopper",
        "GET",
        "/api/shopper/get/{username}",
        {"path_parameters": {"username": "nobody"}},
        404,
        22,
    ),
    (
        "unknown order",
        "GET",
        "/api/order/get/{ordernumber}",
        {"path_parameters": {"ordernumber": "999"}},
        404,
        24,
    ),
    (
        "a SKU the order lacks",
        "POST",
        "/api/order/shippinginformation",
        {
            "body": {
                "OrderNumber": "100007",
                "CarrierId": 1,
                "TrackingNumber": "1Z",
                "Items": [{"SKUCode": "MUG-01-ONE", "Quantity": 1}],
            }
        },
        404,
        25,
    ),
    (
        "shipping more than is left",
        "POST",
        "/api/order/shippinginformation",
        {
            "body": {
                "OrderNumber": "100007",
                "CarrierId": 1,
                "ServiceTypeId": 1,
                "TrackingNumber": "1Z",
                "Items": [{"SKUCode": "TSHIRT-01-S", "Quantity": 5}],
            }
        },
        406,
        26,
    ),
    (
        "paying an order paid with AuthorizeAndCapture",
        "POST",
        "/api/order/paymentinformation",
        {"body": {"OrderNumber": "100007", "TransactionNumber": "T1", "AuthorizationCode": "A1"}},
        406,
        27,
    ),
    (
        "capturing twice",
        "POST",
        "/api/order/paymentinformation",
        {"body": {"OrderNumber": "100003", "TransactionNumber": "T1", "AuthorizationCode": "A1"}},
        406,
        28,
    ),
    ("a shopper without a name", "POST", "/api/shopper/shoppers", {"body": [{"FirstName": "Jo"}]}, 406, 30),
    (
        "deleting an unknown category",
        "DELETE",
        "/api/category/category",
        {"body": {"CategoryCode": "nope", "ActionId": 1}},
        406,
        31,
    ),
    (
        "an unknown parent",
        "POST",
        "/api/category/categories",
        {"body": [{"CategoryCode": "new", "CategoryName": "New", "ParentCategoryCode": "nope"}]},
        406,
        32,
    ),
    (
        "a duplicate return",
        "POST",
        "/api/return/return",
        {
            "body": {
                "OrderNumber": "100009",
                "ReturnTypeID": 103,
                "Items": [{"SKUCode": "TSHIRT-01-S", "Quantity": 1}],
            }
        },
        406,
        33,
    ),
    (
        "an unknown SKU",
        "POST",
        "/api/product/updateskuprice",
        {"body": [{"SKUCode": "nope", "Price": 1.0}]},
        406,
        34,
    ),
    (
        "a brand that is not one",
        "POST",
        "/api/product/products",
        {"body": {"ProductCode": "NEW-1", "ProductName": "New", "Price": 5.0, "BrandName": "apparel"}},
        406,
        35,
    ),
    (
        "an unknown category on a product",
        "POST",
        "/api/product/products",
        {"body": {"ProductCode": "NEW-1", "ProductName": "New", "Price": 5.0, "Categories": ["nope"]}},
        406,
        36,
    ),
]


@pytest.mark.parametrize(
    ("method", "path", "arguments", "status", "code"),
    [s[1:] for s in SITUATIONS],
    ids=[s[0] for s in SITUATIONS],
)
def test_each_response_code_conforms(
    sellerscommerce_sim: SellersCommerceSimulator,
    method: str,
    path: str,
    arguments: dict[str, Any],
    status: int,
    code: int,
) -> None:
    if "body" in arguments:
        arguments = {**arguments, "media_type": "application/json"}
    response = validate(sellerscommerce_sim, _case(method, path, **arguments))
    assert response.status_code == status
    assert response.json()["StatusCode"] == code


def test_the_documented_codes_all_have_a_situation() -> None:
    assert {s[5] for s in SITUATIONS} | {20, 29} == {20, 21, 22, *range(24, 37)}


def test_a_capture_conforms_and_then_is_already_captured(
    sellerscommerce_sim: SellersCommerceSimulator,
) -> None:
    body = {"OrderNumber": "100002", "TransactionNumber": "T2", "AuthorizationCode": "A2"}
    pay = partial(_case, "POST", "/api/order/paymentinformation", body=body, media_type="application/json")
    assert validate(sellerscommerce_sim, pay()).json() == {
        "Results": "Processed",
        "ResponseMessage": "Processed Successfully",
        "StatusCode": 20,
    }
    assert validate(sellerscommerce_sim, pay()).json()["StatusCode"] == 28


def test_the_token_grants_conform(sellerscommerce_sim: SellersCommerceSimulator) -> None:
    sim = sellerscommerce_sim
    password = {"grant_type": "password", "username": sim.access_key, "password": sim.shared_secret}
    granted = validate(sim, _case("POST", "/token", body=password, media_type=FORM), headers={}).json()
    assert granted["token_type"] == "bearer" and granted["expires_in"] == 3599
    refresh = {"grant_type": "refresh_token", "refresh_token": granted["refresh_token"]}
    renewed = validate(sim, _case("POST", "/token", body=refresh, media_type=FORM), headers={}).json()
    assert renewed["refresh_token"] != granted["refresh_token"]
    reused = validate(sim, _case("POST", "/token", body=refresh, media_type=FORM), headers={})
    assert (reused.status_code, reused.json()["error"]) == (400, "invalid_grant")
    wrong = {**password, "password": "nope"}
    refused = validate(sim, _case("POST", "/token", body=wrong, media_type=FORM), headers={})
    assert (refused.status_code, refused.json()["error"]) == (400, "invalid_grant")


def test_a_bad_odata_query_and_a_dead_token_conform(sellerscommerce_sim: SellersCommerceSimulator) -> None:
    sim = sellerscommerce_sim
    bad = validate(sim, _case("GET", "/api/order/getall", query={"$filter": "Nope eq 1"}))
    assert bad.status_code == 400
    dead = validate(sim, _case("GET", "/api/order/getall"), headers={"Authorization": "bearer dead"})
    assert dead.status_code == 401 and dead.json()["Message"]
