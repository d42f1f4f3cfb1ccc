"""The Sellers Commerce simulator itself, over real sockets with raw httpx: the token endpoint (grants,
rotation, expiry, one use, the 4-hour death, presentation counts), the 51 routes and their envelope, every
response code 20-36 from the situation that causes it, OData per operator and literal kind, writes visible in
reads, faults, and the generated order book."""

from __future__ import annotations

import copy
import datetime as dt
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest

from sellerkit.testing import odata
from sellerkit.testing.__main__ import main
from sellerkit.testing.sellerscommerce import ROUTES, SellersCommerceSimulator
from sellerkit.testing.sellerscommerce_data import CODES, ENUMS, FIRST_ORDER_NUMBER, SERVICE_TYPES

MakeSim = Callable[..., SellersCommerceSimulator]


@pytest.fixture
def sim(make_sellerscommerce_sim: MakeSim) -> SellersCommerceSimulator:
    return make_sellerscommerce_sim(access_key="key-1", shared_secret="secret-1")


@pytest.fixture
def api(sim: SellersCommerceSimulator) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=sim.base_url, headers=sim.auth_headers(), timeout=10.0) as client:
        yield client


def token(sim: SellersCommerceSimulator, **form: str) -> httpx.Response:
    return httpx.post(sim.url("/token"), data=form, timeout=10.0)


def password_grant(sim: SellersCommerceSimulator) -> httpx.Response:
    return token(sim, grant_type="password", username=sim.access_key, password=sim.shared_secret)


def refresh(sim: SellersCommerceSimulator, refresh_token: str) -> httpx.Response:
    return token(sim, grant_type="refresh_token", refresh_token=refresh_token)


def results(response: httpx.Response, code: int = 20) -> Any:
    body = response.json()
    assert set(body) == {"Results", "ResponseMessage", "StatusCode"}, body
    assert body["StatusCode"] == code, body
    assert response.status_code == CODES[code][2], body
    return body["Results"]


def orders(api: httpx.Client, **options: str) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = results(api.get("/api/order/getall", params=options))
    return rows


# ---------------------------------------------------------------- token endpoint


def test_password_grant_answers_the_documented_token_body(sim: SellersCommerceSimulator) -> None:
    response = password_grant(sim)
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"access_token", "token_type", "expires_in", "refresh_token"}
    assert body["token_type"] == "bearer" and body["expires_in"] == 3599
    assert sim.password_grants == 1 and sim.refresh_grants == 0
    ok = httpx.get(sim.url("/api/order/getall"), headers={"Authorization": f"bearer {body['access_token']}"})
    assert ok.status_code == 200


def test_the_token_endpoint_reads_forms_only_json_gets_owins_answer(sim: SellersCommerceSimulator) -> None:
    form = {"grant_type": "password", "username": sim.access_key, "password": sim.shared_secret}
    response = httpx.post(sim.url("/token"), json=form)
    assert (response.status_code, response.json()) == (400, {"error": "unsupported_grant_type"})
    assert sim.password_grants == 0


@pytest.mark.parametrize(
    ("form", "error"),
    [
        ({"grant_type": "password", "username": "key-1", "password": "wrong"}, "invalid_grant"),
        ({"grant_type": "password", "username": "other", "password": "secret-1"}, "invalid_grant"),
        ({"grant_type": "password"}, "invalid_grant"),
        ({"grant_type": "client_credentials"}, "unsupported_grant_type"),
        ({}, "unsupported_grant_type"),
        ({"grant_type": "refresh_token"}, "invalid_request"),
        (
            {"grant_type": "refresh_token", "refresh_token": "83895c3b-d59f-420e-b67a-8ca6ce3a17b4"},
            "invalid_grant",
        ),
    ],
)
def test_refused_grants(sim: SellersCommerceSimulator, form: dict[str, str], error: str) -> None:
    response = token(sim, **form)
    assert response.status_code == 400
    assert response.json()["error"] == error
    assert "secret-1" not in response.text
    assert sim.stats.rejected_grants == 1 and sim.password_grants == 0


def test_refresh_rotates_and_a_refresh_token_works_once(sim: SellersCommerceSimulator) -> None:
    first = password_grant(sim).json()
    second = refresh(sim, first["refresh_token"])
    assert second.status_code == 200
    pair = second.json()
    assert pair["refresh_token"] != first["refresh_token"] and pair["access_token"] != first["access_token"]
    again = refresh(sim, first["refresh_token"])
    assert (again.status_code, again.json()) == (400, {"error": "invalid_grant"})
    assert refresh(sim, pair["refresh_token"]).status_code == 200
    assert sim.refresh_grants == 2 and sim.password_grants == 1
    assert sim.refresh_presentations == {first["refresh_token"]: 2, pair["refresh_token"]: 1}
    assert sim.reused_refresh_tokens() == [first["refresh_token"]]


def test_access_tokens_expire_after_an_hour_of_simulated_time(sim: SellersCommerceSimulator) -> None:
    access = password_grant(sim).json()["access_token"]
    headers = {"Authorization": f"Bearer {access}"}
    sim.clock.advance(3599)
    assert httpx.get(sim.url("/api/category/getall"), headers=headers).status_code == 200
    sim.clock.advance(1)
    denied = httpx.get(sim.url("/api/category/getall"), headers=headers)
    assert denied.status_code == 401
    assert denied.json() == {"Message": "Authorization has been denied for this request."}


def test_refresh_tokens_die_four_hours_after_issue(sim: SellersCommerceSimulator) -> None:
    early = password_grant(sim).json()["refresh_token"]
    late = sim.issue()["refresh_token"]
    sim.clock.advance(4 * 3600 - 1)
    assert refresh(sim, early).status_code == 200
    sim.clock.advance(1)
    assert refresh(sim, late).json() == {"error": "invalid_grant"}
    assert sim.refresh_grants == 1


def test_a_refreshed_pair_lives_from_its_own_issue(sim: SellersCommerceSimulator) -> None:
    chain = password_grant(sim).json()["refresh_token"]
    for _ in range(3):  # 3 x 3 h: each new refresh token gets its own 4 hours
        sim.clock.advance(3 * 3600)
        response = refresh(sim, chain)
        assert response.status_code == 200
        chain = response.json()["refresh_token"]
    assert sim.refresh_grants == 3 and not sim.reused_refresh_tokens()


@pytest.mark.parametrize(
    "authorization", [None, "bearer", "bearer not-a-token", "Basic a2V5LTE6c2VjcmV0LTE=", "token x"]
)
def test_api_routes_need_a_bearer_access_token(
    sim: SellersCommerceSimulator, authorization: str | None
) -> None:
    headers = {} if authorization is None else {"Authorization": authorization}
    response = httpx.get(sim.url("/api/order/getall"), headers=headers)
    assert response.status_code == 401
    assert sim.stats.unauthorized == 1


# ---------------------------------------------------------------- routes


def test_the_route_table_is_the_docs_51_rows() -> None:
    assert len(ROUTES) == 51
    assert len({(r.method, r.path.lower()) for r in ROUTES}) == 51
    assert {r.method for r in ROUTES if r.path == "/api/PortalAdmin/Admin"} == {"GET", "POST"}
    assert [r.path for r in ROUTES if r.method == "DELETE"] == [
        "/api/category/category",
        "/api/PortalAdmin/RemoveAdmin",
    ]


#: one valid request per route: (path, query, body)
VALID: dict[tuple[str, str], tuple[str, dict[str, str], Any]] = {
    ("GET", "/api/product/getall"): ("/api/product/getall", {}, None),
    ("GET", "/api/product/getallproducts"): ("/api/product/getallproducts", {}, None),
    ("GET", "/api/product/getallproductskus"): (
        "/api/product/getallproductskus",
        {"top": "5", "skip": "0", "SCproductID": "501", "ProductCode": "TSHIRT-01"},
        None,
    ),
    ("GET", "/api/product/get/{productcode}"): ("/api/product/get/TSHIRT-01", {}, None),
    ("POST", "/api/product/products"): (
        "/api/product/products",
        {},
        {
            "ProductCode": "NEW-1",
            "ProductName": "New",
            "Price": 5.0,
            "BrandName": "Acme",
            "Categories": ["sale"],
        },
    ),
    ("POST", "/api/product/updateskuprice"): (
        "/api/product/updateskuprice",
        {},
        [{"SKUCode": "MUG-01-ONE", "Price": 8.0}],
    ),
    ("POST", "/api/product/updateskuinventory"): (
        "/api/product/updateskuinventory",
        {},
        [{"SKUCode": "MUG-01-ONE", "Inventory": 3}],
    ),
    ("GET", "/api/product/getallsuppliers"): ("/api/product/getallsuppliers", {}, None),
    ("GET", "/api/product/getproducts"): ("/api/product/getproducts", {}, None),
    ("GET", "/api/shopper/getall"): ("/api/shopper/getall", {}, None),
    ("GET", "/api/shopper/get/{username}"): ("/api/shopper/get/jdoe", {}, None),
    ("POST", "/api/shopper/shoppers"): (
        "/api/shopper/shoppers",
        {},
        [
            {
                "FirstName": "sample string 1",
                "LastName": "sample string 2",
                "DOB": "2016-04-27T14:38:17.1709364+00:00",
                "Deleted": True,
                "ShopperTypeID": 11,
                "Address": [
                    {
                        "AddressName": "sample string 1",
                        "AddressLine1": "sample string 3",
                        "City": "sample string 5",
                        "StateCode": "sample string 6",
                        "CountryCode": "sample string 7",
                        "ZipCode": "sample string 8",
                    }
                ],
            }
        ],  # the docs' example, verbatim
    ),
    ("POST", "/api/shopper/shopperaddress"): (
        "/api/shopper/shopperaddress",
        {},
        {"UserName": "jdoe", "Address": [{"AddressName": "Work", "AddressLine1": "1 Office Park"}]},
    ),
    ("GET", "/api/return/getall"): ("/api/return/getall", {}, None),
    ("GET", "/api/return/get/{returnnumber}"): ("/api/return/get/R100009-1", {}, None),
    ("POST", "/api/return/return"): (
        "/api/return/return",
        {},
        {"OrderNumber": "100023", "ReturnTypeID": 103, "Items": [{"SKUCode": "?", "Quantity": 1}]},
    ),
    ("GET", "/api/embellishments/getall"): ("/api/embellishments/getall", {}, None),
    ("GET", "/api/embellishments/getproductembellishment"): (
        "/api/embellishments/getproductembellishment",
        {"productCode": "TSHIRT-01"},
        None,
    ),
    ("GET", "/api/category/getall"): ("/api/category/getall", {}, None),
    ("GET", "/api/category/get/{categorycode}"): ("/api/category/get/shirts", {}, None),
    ("GET", "/api/category/categoryproducts/{categorycode}"): (
        "/api/category/categoryproducts/shoes",
        {},
        None,
    ),
    ("POST", "/api/category/categories"): (
        "/api/category/categories",
        {},
        [{"CategoryCode": "hats", "CategoryName": "Hats", "ParentCategoryCode": "apparel"}],
    ),
    ("DELETE", "/api/category/category"): (
        "/api/category/category",
        {},
        {"CategoryCode": "sale", "ActionId": 1},
    ),
    ("POST", "/api/category/productcategory"): (
        "/api/category/productcategory",
        {},
        [{"ProductCode": "MUG-01", "CategoryCode": "sale"}],
    ),
    ("GET", "/api/category/getallbrands"): ("/api/category/getallbrands", {}, None),
    ("GET", "/api/order/getall"): ("/api/order/getall", {}, None),
    ("GET", "/api/order/getorders"): ("/api/order/getorders", {}, None),
    ("GET", "/api/order/get/{ordernumber}"): ("/api/order/get/100001", {}, None),
    ("POST", "/api/order/shippinginformation"): (
        "/api/order/shippinginformation",
        {},
        {"OrderNumber": "100007", "CarrierId": 1, "ServiceTypeId": 1, "TrackingNumber": "1Z", "Items": []},
    ),
    ("POST", "/api/order/paymentinformation"): (
        "/api/order/paymentinformation",
        {},
        {"OrderNumber": "100002", "TransactionNumber": "T-1", "AuthorizationCode": "A-1"},
    ),
    ("POST", "/api/order/updateorderstatus"): (
        "/api/order/updateorderstatus",
        {},
        {"OrderNumber": "100003", "OrderStatusId": 35},
    ),
    ("POST", "/api/order/OrderSamplePost"): ("/api/order/OrderSamplePost", {}, {"OrderNumber": "X"}),
    ("GET", "/api/PortalAdmin/Admins"): ("/api/PortalAdmin/Admins", {}, None),
    ("GET", "/api/PortalAdmin/Admin"): ("/api/PortalAdmin/Admin", {"userid": "1"}, None),
    ("POST", "/api/PortalAdmin/Admin"): (
        "/api/PortalAdmin/Admin",
        {},
        {"UserName": "newbie", "Email": "newbie@shop.test", "RoleID": 2},
    ),
    ("GET", "/api/PortalAdmin/IsEmailOrUserNameExists"): (
        "/api/PortalAdmin/IsEmailOrUserNameExists",
        {"param": "admin", "userid": "0", "isContact": "true"},
        None,
    ),
    ("GET", "/api/PortalAdmin/GetUserByID"): ("/api/PortalAdmin/GetUserByID", {"userid": "2"}, None),
    ("GET", "/api/PortalAdmin/AllRoles"): ("/api/PortalAdmin/AllRoles", {}, None),
    ("POST", "/api/PortalAdmin/RaiseRequest"): (
        "/api/PortalAdmin/RaiseRequest",
        {},
        {"StoreSSO": "store-sso-1", "RequestedBy": "admin", "Reason": "closing"},
    ),
    ("DELETE", "/api/PortalAdmin/RemoveAdmin"): ("/api/PortalAdmin/RemoveAdmin", {}, {"UserID": 3}),
    ("POST", "/api/PortalAdmin/SendExportEmail"): (
        "/api/PortalAdmin/SendExportEmail",
        {"exportName": "orders", "exportedBy": "admin"},
        None,
    ),
    ("GET", "/api/PortalAdmin/RedirectURL"): (
        "/api/PortalAdmin/RedirectURL",
        {"ProviderID": "1", "type": "x"},
        None,
    ),
    ("POST", "/api/PortalLogin/Login"): (
        "/api/PortalLogin/Login",
        {},
        {"UserName": "admin", "Password": "admin-password"},
    ),
    ("GET", "/api/PortalLogin/ForgotPassword"): (
        "/api/PortalLogin/ForgotPassword",
        {"userid": "1", "resetkey": "nope"},
        None,
    ),
    ("POST", "/api/PortalLogin/ChangeForgotPassword"): ("/api/PortalLogin/ChangeForgotPassword", {}, "reset"),
    ("POST", "/api/PortalLogin/ResetPassword"): (
        "/api/PortalLogin/ResetPassword",
        {"username": "admin"},
        None,
    ),
    ("POST", "/api/PortalLogin/UpdatePasswordResetHistory"): (
        "/api/PortalLogin/UpdatePasswordResetHistory",
        {"PasswordResetHistoryID": "reset"},
        None,
    ),
    ("GET", "/api/PortalLogin/ValiadateStoreSSO"): (
        "/api/PortalLogin/ValiadateStoreSSO",
        {"storeSSO": "store-sso-1"},
        None,
    ),
    ("GET", "/api/PortalLogin/ClosureFormSSO"): (
        "/api/PortalLogin/ClosureFormSSO",
        {"storeSSO": "store-sso-1"},
        None,
    ),
    ("POST", "/api/PortalLogin/UpdateClientFeedBack"): (
        "/api/PortalLogin/UpdateClientFeedBack",
        {},
        {"FeedBack": "great", "Rating": 5},
    ),
    ("POST", "/api/PortalLogin/UpdateClosureForm"): (
        "/api/PortalLogin/UpdateClosureForm",
        {},
        {"StoreSSO": "store-sso-1", "Reason": "moving"},
    ),
}


def test_every_route_has_a_valid_example() -> None:
    assert set(VALID) == {(r.method, r.path) for r in ROUTES}


def _prepared(
    sim: SellersCommerceSimulator, api: httpx.Client, path: str, query: dict[str, str], body: Any
) -> Any:
    """Fill in what a valid request needs from the store (an item of a shipped order, a reset key)."""
    if path == "/api/return/return":
        order = results(api.get("/api/order/get/100023"))
        body["Items"][0]["SKUCode"] = next(i["SKUCode"] for i in order["Items"] if not i["QuantityReturned"])
    if path == "/api/order/shippinginformation":
        order = results(api.get("/api/order/get/100007"))
        body["Items"] = [{"SKUCode": order["Items"][0]["SKUCode"], "Quantity": 1}]
    if "reset" in (body, query.get("PasswordResetHistoryID")):
        entry = results(api.post("/api/PortalLogin/ResetPassword", params={"username": "catalog"}))
        if body == "reset":
            body = {"UserID": entry["UserID"], "ResetKey": entry["ResetKey"], "NewPassword": "n3w"}
        else:
            query["PasswordResetHistoryID"] = str(entry["PasswordResetHistoryID"])
    return body


@pytest.mark.parametrize(("method", "route"), sorted(VALID), ids=[f"{m} {p}" for m, p in sorted(VALID)])
def test_every_route_answers_its_envelope(
    sim: SellersCommerceSimulator, api: httpx.Client, method: str, route: str
) -> None:
    path, query, body = copy.deepcopy(VALID[(method, route)])
    body = _prepared(sim, api, path, query, body)
    response = (
        api.request(method, path, params=query, json=body)
        if body is not None
        else api.request(method, path, params=query)
    )
    assert response.headers["content-type"].startswith("application/json")
    got = results(response)
    definition = next(r for r in ROUTES if (r.method, r.path) == (method, route))
    if definition.list_of is not None or route.endswith("getallproductskus"):
        assert isinstance(got, list) and got, got
    assert sim.requests[-1].route == route


def test_routes_match_case_insensitively_and_other_methods_get_405(api: httpx.Client) -> None:
    assert results(api.get("/API/Order/GetAll", params={"$top": "1"}))
    assert results(api.get("/api/portaladmin/admins"))
    wrong = api.post("/api/order/getall")
    assert wrong.status_code == 405 and wrong.headers["allow"] == "GET"
    assert api.put("/api/PortalAdmin/Admin").headers["allow"] == "GET, POST"
    missing = api.get("/api/order/nothing")
    assert missing.status_code == 404 and "No HTTP resource" in missing.json()["Message"]
    assert api.get("/token").status_code == 405


# ---------------------------------------------------------------- response codes


def test_the_code_table_is_the_docs() -> None:
    assert sorted(CODES) == [20, 21, 22, *range(24, 37)]
    assert {CODES[c][2] for c in (21, 22, 24, 25)} == {404}
    assert {CODES[c][2] for c in range(26, 37)} == {406}


#: (description, method, path, query, body, code): each code from a situation that causes it
ERRORS: list[tuple[str, str, str, dict[str, str], Any, int]] = [
    ("unknown provider", "GET", "/api/PortalAdmin/RedirectURL", {"ProviderID": "77", "type": "a"}, None, 21),
    ("unknown store SSO", "GET", "/api/PortalLogin/ClosureFormSSO", {"storeSSO": "nope"}, None, 21),
    ("unknown shopper", "GET", "/api/shopper/get/nobody", {}, None, 22),
    (
        "address of an unknown shopper",
        "POST",
        "/api/shopper/shopperaddress",
        {},
        {"UserName": "nobody", "Address": []},
        22,
    ),
    ("unknown admin", "GET", "/api/PortalAdmin/GetUserByID", {"userid": "99"}, None, 22),
    ("unknown admin (Admin)", "GET", "/api/PortalAdmin/Admin", {"userid": "99"}, None, 22),
    ("removing an unknown admin", "DELETE", "/api/PortalAdmin/RemoveAdmin", {}, {"UserID": 99}, 22),
    (
        "wrong portal password",
        "POST",
        "/api/PortalLogin/Login",
        {},
        {"UserName": "admin", "Password": "x"},
        22,
    ),
    ("reset for an unknown user", "POST", "/api/PortalLogin/ResetPassword", {"username": "nobody"}, None, 22),
    ("unknown order", "GET", "/api/order/get/999999", {}, None, 24),
    (
        "status of an unknown order",
        "POST",
        "/api/order/updateorderstatus",
        {},
        {"OrderNumber": "1", "OrderStatusId": 3},
        24,
    ),
    (
        "return on an unknown order",
        "POST",
        "/api/return/return",
        {},
        {"OrderNumber": "5", "ReturnTypeID": 102, "Items": [{"SKUCode": "MUG-01-ONE", "Quantity": 1}]},
        24,
    ),
    ("unknown return", "GET", "/api/return/get/R1", {}, None, 24),
    (
        "shipping a SKU not in the order",
        "POST",
        "/api/order/shippinginformation",
        {},
        {
            "OrderNumber": "100007",
            "CarrierId": 1,
            "TrackingNumber": "1Z",
            "Items": [{"SKUCode": "NOPE", "Quantity": 1}],
        },
        25,
    ),
    (
        "returning a SKU not in the order",
        "POST",
        "/api/return/return",
        {},
        {"OrderNumber": "100010", "ReturnTypeID": 102, "Items": [{"SKUCode": "NOPE", "Quantity": 1}]},
        25,
    ),
    (
        "over-shipment",
        "POST",
        "/api/order/shippinginformation",
        {},
        {
            "OrderNumber": "100007",
            "CarrierId": 1,
            "TrackingNumber": "1Z",
            "Items": [{"SKUCode": "first", "Quantity": 99}],
        },
        26,
    ),
    (
        "returning what was not shipped",
        "POST",
        "/api/return/return",
        {},
        {"OrderNumber": "100007", "ReturnTypeID": 102, "Items": [{"SKUCode": "first", "Quantity": 1}]},
        26,
    ),
    (
        "paying an order paid with AuthorizeAndCapture",
        "POST",
        "/api/order/paymentinformation",
        {},
        {"OrderNumber": "100001", "TransactionNumber": "T", "AuthorizationCode": "A"},
        27,
    ),
    (
        "capturing an order captured before",
        "POST",
        "/api/order/paymentinformation",
        {},
        {"OrderNumber": "100003", "TransactionNumber": "T", "AuthorizationCode": "A"},
        28,
    ),
    (
        "missing field",
        "POST",
        "/api/order/paymentinformation",
        {},
        {"OrderNumber": "100002", "TransactionNumber": "T"},
        30,
    ),
    (
        "mistyped field",
        "POST",
        "/api/order/updateorderstatus",
        {},
        {"OrderNumber": "100002", "OrderStatusId": "3"},
        30,
    ),
    (
        "value outside the enum",
        "POST",
        "/api/order/updateorderstatus",
        {},
        {"OrderNumber": "100002", "OrderStatusId": 11},
        30,
    ),
    (
        "service type of another carrier",
        "POST",
        "/api/order/shippinginformation",
        {},
        {
            "OrderNumber": "100007",
            "CarrierId": 2,
            "ServiceTypeId": 1,
            "TrackingNumber": "1Z",
            "Items": [{"SKUCode": "first", "Quantity": 1}],
        },
        30,
    ),
    (
        "an object where an array belongs",
        "POST",
        "/api/product/updateskuprice",
        {},
        {"SKUCode": "MUG-01-ONE", "Price": 1},
        30,
    ),
    ("no body", "POST", "/api/order/updateorderstatus", {}, None, 30),
    (
        "a SKU returned twice in one request",
        "POST",
        "/api/return/return",
        {},
        {
            "OrderNumber": "100023",
            "ReturnTypeID": 102,
            "Items": [{"SKUCode": "second", "Quantity": 1}, {"SKUCode": "second", "Quantity": 1}],
        },
        30,
    ),
    (
        "negative inventory",
        "POST",
        "/api/product/updateskuinventory",
        {},
        [{"SKUCode": "MUG-01-ONE", "Inventory": -1}],
        30,
    ),
    (
        "bad date",
        "POST",
        "/api/shopper/shoppers",
        {},
        [{"FirstName": "a", "LastName": "b", "DOB": "yesterday"}],
        30,
    ),
    ("unknown category", "GET", "/api/category/get/nope", {}, None, 31),
    ("products of an unknown category", "GET", "/api/category/categoryproducts/nope", {}, None, 31),
    (
        "deleting an unknown category",
        "DELETE",
        "/api/category/category",
        {},
        {"CategoryCode": "nope", "ActionId": 1},
        31,
    ),
    (
        "mapping to an unknown category",
        "POST",
        "/api/category/productcategory",
        {},
        [{"ProductCode": "MUG-01", "CategoryCode": "nope"}],
        31,
    ),
    (
        "a category under itself",
        "POST",
        "/api/category/categories",
        {},
        [{"CategoryCode": "shirts", "CategoryName": "Shirts", "ParentCategoryCode": "SHIRTS"}],
        30,
    ),
    (
        "a category under its descendant",
        "POST",
        "/api/category/categories",
        {},
        [{"CategoryCode": "apparel", "CategoryName": "Apparel", "ParentCategoryCode": "kids-shirts"}],
        30,
    ),
    (
        "a cycle in one batch",
        "POST",
        "/api/category/categories",
        {},
        [
            {"CategoryCode": "a", "CategoryName": "A", "ParentCategoryCode": "b"},
            {"CategoryCode": "b", "CategoryName": "B", "ParentCategoryCode": "a"},
        ],
        30,
    ),
    (
        "shipping a cancelled order",
        "POST",
        "/api/order/shippinginformation",
        {},
        {
            "OrderNumber": "100005",
            "CarrierId": 1,
            "TrackingNumber": "1Z",
            "Items": [{"SKUCode": "first", "Quantity": 1}],
        },
        26,
    ),
    (
        "unknown parent category",
        "POST",
        "/api/category/categories",
        {},
        [{"CategoryCode": "x", "CategoryName": "X", "ParentCategoryCode": "nope"}],
        32,
    ),
    (
        "duplicate return",
        "POST",
        "/api/return/return",
        {},
        {"OrderNumber": "100009", "ReturnTypeID": 102, "Items": [{"SKUCode": "first", "Quantity": 1}]},
        33,
    ),
    (
        "duplicate admin user name",
        "POST",
        "/api/PortalAdmin/Admin",
        {},
        {"UserName": "ADMIN", "Email": "n@x", "RoleID": 1},
        33,
    ),
    ("unknown SKU price", "POST", "/api/product/updateskuprice", {}, [{"SKUCode": "NOPE", "Price": 1.0}], 34),
    (
        "unknown SKU inventory",
        "POST",
        "/api/product/updateskuinventory",
        {},
        [{"SKUCode": "NOPE", "Inventory": 1}],
        34,
    ),
    ("unknown product", "GET", "/api/product/get/NOPE", {}, None, 34),
    (
        "mapping an unknown product",
        "POST",
        "/api/category/productcategory",
        {},
        [{"ProductCode": "NOPE", "CategoryCode": "sale"}],
        34,
    ),
    (
        "a SKU of another product",
        "POST",
        "/api/product/products",
        {},
        {"ProductCode": "MUG-01", "ProductName": "Mug", "Price": 1, "Skus": [{"SKUCode": "TSHIRT-01-S"}]},
        34,
    ),
    (
        "an unknown brand",
        "POST",
        "/api/product/products",
        {},
        {"ProductCode": "P", "ProductName": "P", "Price": 1, "BrandName": "Nobrand"},
        35,
    ),
    (
        "a brand that is not a brand",
        "POST",
        "/api/product/products",
        {},
        {"ProductCode": "P", "ProductName": "P", "Price": 1, "BrandName": "apparel"},
        35,
    ),
    (
        "a product in an unknown category",
        "POST",
        "/api/product/products",
        {},
        {"ProductCode": "P", "ProductName": "P", "Price": 1, "Categories": ["nope"]},
        36,
    ),
]


def _first_sku(api: httpx.Client, body: Any) -> Any:
    placeholders = ("first", "second")
    if isinstance(body, dict) and any(i["SKUCode"] in placeholders for i in body.get("Items") or []):
        order = results(api.get(f"/api/order/get/{body['OrderNumber']}"))
        for item in body["Items"]:
            if item["SKUCode"] in placeholders:
                item["SKUCode"] = order["Items"][0 if item["SKUCode"] == "first" else 1]["SKUCode"]
    return body


@pytest.mark.parametrize(
    ("what", "method", "path", "query", "body", "code"), ERRORS, ids=[e[0] for e in ERRORS]
)
def test_each_code_comes_from_its_situation(
    sim: SellersCommerceSimulator,
    api: httpx.Client,
    what: str,
    method: str,
    path: str,
    query: dict[str, str],
    body: Any,
    code: int,
) -> None:
    version = sim.store.version
    body = _first_sku(api, copy.deepcopy(body))
    response = (
        api.request(method, path, params=query, json=body)
        if body is not None
        else api.request(method, path, params=query)
    )
    assert results(response, code) == CODES[code][0]
    assert response.json()["ResponseMessage"].startswith(CODES[code][1])
    assert sim.store.version == version  # a refused write changes nothing


def test_every_documented_error_code_has_a_situation() -> None:
    assert {e[5] for e in ERRORS} | {20, 29} == set(CODES)


def test_capturing_twice_is_already_captured(api: httpx.Client) -> None:
    body = {"OrderNumber": "100002", "TransactionNumber": "T-9", "AuthorizationCode": "A-9"}
    assert results(api.post("/api/order/paymentinformation", json=body)) == "Processed"
    assert results(api.post("/api/order/paymentinformation", json=body), 28) == "AlreadyCaptured"
    order = results(api.get("/api/order/get/100002"))
    assert order["PaymentStatusId"] == 86 and order["TransactionNumber"] == "T-9"


def test_process_failed_comes_from_the_vendor_error_fault(
    sim: SellersCommerceSimulator, api: httpx.Client
) -> None:
    sim.faults.add("vendor_error", path="/api/order/updateorderstatus")
    body = {"OrderNumber": "100003", "OrderStatusId": 35}
    assert results(api.post("/api/order/updateorderstatus", json=body), 29) == "ProcessFailed"
    assert results(api.post("/api/order/updateorderstatus", json=body)) == "Processed"


def test_query_string_types_are_checked(api: httpx.Client) -> None:
    response = api.get("/api/PortalAdmin/GetUserByID", params={"userid": "abc"})
    assert response.status_code == 400 and response.json()["StatusCode"] == 30
    assert "'userid' must be an integer" in response.json()["ResponseMessage"]
    missing = api.get("/api/PortalAdmin/GetUserByID")
    assert missing.status_code == 400 and "'userid' is required" in missing.json()["ResponseMessage"]
    assert api.get("/api/product/getallproductskus", params={"top": "x"}).status_code == 400


def test_a_non_json_body_is_415(api: httpx.Client) -> None:
    response = api.post(
        "/api/order/updateorderstatus", content=b"a=b", headers={"Content-Type": "text/plain"}
    )
    assert response.status_code == 415
    assert "'text/plain' is not supported" in response.json()["Message"]
    untyped = api.post(
        "/api/order/updateorderstatus", content=b'{"OrderNumber": "100003", "OrderStatusId": 35}'
    )
    assert untyped.status_code == 415 and "'application/octet-stream'" in untyped.json()["Message"]
    broken = api.post(
        "/api/order/updateorderstatus", content=b"{", headers={"Content-Type": "application/json"}
    )
    assert results(broken, 30) == "InvalidData"


# ---------------------------------------------------------------- OData

DAY = dt.timedelta(days=1)


def _created(row: dict[str, Any]) -> dt.datetime:
    return dt.datetime.fromisoformat(row["CreatedDate"])


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("OrderStatusId eq 9", lambda o: o["OrderStatusId"] == 9),
        ("OrderStatusId ne 9", lambda o: o["OrderStatusId"] != 9),
        ("OrderTotal gt 50", lambda o: o["OrderTotal"] > 50),
        ("OrderTotal ge 30.86", lambda o: o["OrderTotal"] >= 30.86),
        ("OrderTotal lt 30.5M", lambda o: o["OrderTotal"] < 30.5),
        ("OrderID le 3", lambda o: o["OrderID"] <= 3),
        ("LastName eq 'O''Neil'", lambda o: o["LastName"] == "O'Neil"),
        (
            "ShopperUserName eq 'jdoe' or ShopperUserName eq 'asmith'",
            lambda o: o["ShopperUserName"] in ("jdoe", "asmith"),
        ),
        (
            "OrderStatusId eq 9 and (CarrierId eq 1 or CarrierId eq 8)",
            lambda o: o["OrderStatusId"] == 9 and o["CarrierId"] in (1, 8),
        ),
        ("not (OrderStatusId eq 9)", lambda o: o["OrderStatusId"] != 9),
        ("OrderPlacedDate eq null", lambda o: o["OrderPlacedDate"] is None),
        (
            "ServiceTypeId ne null and ServiceTypeId lt 3",
            lambda o: o["ServiceTypeId"] is not None and o["ServiceTypeId"] < 3,
        ),
        ("CouponCode eq null", lambda o: o["CouponCode"] is None),
        (
            "CreatedDate ge datetime'2016-01-01T12:00:00' and CreatedDate lt datetime'2016-01-01T18:00'",
            lambda o: (
                dt.datetime(2016, 1, 1, 12, tzinfo=dt.UTC)
                <= _created(o)
                < dt.datetime(2016, 1, 1, 18, tzinfo=dt.UTC)
            ),
        ),
        (
            "CreatedDate gt datetimeoffset'2016-01-01T10:00:00+02:00'",
            lambda o: _created(o) > dt.datetime(2016, 1, 1, 8, tzinfo=dt.UTC),
        ),
        ("OrderPlacedDate gt datetime'2016-01-01'", lambda o: o["OrderPlacedDate"] is not None),
    ],
)
def test_filter_operators_and_literals(
    api: httpx.Client, expression: str, expected: Callable[[dict[str, Any]], bool]
) -> None:
    every = orders(api)
    want = [o["OrderNumber"] for o in every if expected(o)]
    got = [o["OrderNumber"] for o in orders(api, **{"$filter": expression})]
    assert got == want
    assert 0 < len(got) < len(every) or expression.startswith("OrderPlacedDate gt")


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("substringof('Neil', LastName)", lambda o: "Neil" in o["LastName"]),
        (
            "startswith(ShopperUserName, 'j') or endswith(ShopperUserName, 'user')",
            lambda o: o["ShopperUserName"].startswith("j") or o["ShopperUserName"].endswith("user"),
        ),
        (
            "tolower(FirstName) eq 'asmith' and length(Email) gt 5",
            lambda o: o["FirstName"].lower() == "asmith",
        ),
        ("toupper(trim(LastName)) eq 'SMITH'", lambda o: o["LastName"] == "Smith"),
        (
            "year(CreatedDate) eq 2016 and day(CreatedDate) eq 1 and hour(CreatedDate) lt 6",
            lambda o: _created(o).day == 1 and _created(o).hour < 6,
        ),
        (
            "month(OrderPlacedDate) eq 1 and minute(OrderPlacedDate) ge 10",
            lambda o: (
                o["OrderPlacedDate"] is not None
                and dt.datetime.fromisoformat(o["OrderPlacedDate"]).minute >= 10
            ),
        ),
        ("startswith(CouponCode, 'SAVE1')", lambda o: (o["CouponCode"] or "").startswith("SAVE1")),
    ],
)
def test_canonical_functions(
    api: httpx.Client, expression: str, expected: Callable[[dict[str, Any]], bool]
) -> None:
    every = orders(api)
    want = [o["OrderNumber"] for o in every if expected(o)]
    assert 0 < len(want) < len(every)
    assert [o["OrderNumber"] for o in orders(api, **{"$filter": expression})] == want


def test_booleans_filter_bare_or_compared(api: httpx.Client) -> None:
    shoppers = results(api.get("/api/shopper/getall"))
    deleted = [s["UserName"] for s in shoppers if s["Deleted"]]
    for expression in ("Deleted", "Deleted eq true", "not (Deleted eq false)"):
        rows = results(api.get("/api/shopper/getall", params={"$filter": expression}))
        assert [s["UserName"] for s in rows] == deleted
    dob = results(api.get("/api/shopper/getall", params={"$filter": "DOB lt datetime'1980-01-01'"}))
    assert [s["UserName"] for s in dob] == ["jdoe", "asmith"]


def test_the_docs_example_queries_as_written(api: httpx.Client) -> None:
    # verbatim from the docs, `+` for spaces
    docs = "$filter=OrderPlacedDate+gt+datetime'2016-01-01'+and+OrderPlacedDate+lt+datetime'2016-06-01'"
    rows = results(api.get(f"/api/order/getall?{docs}"))
    placed = [o["OrderNumber"] for o in orders(api) if o["OrderPlacedDate"] is not None]
    assert [o["OrderNumber"] for o in rows] == placed
    descending = results(api.get("/api/order/getall?$orderby=OrderNumber desc"))
    assert [o["OrderNumber"] for o in descending] == sorted(
        (o["OrderNumber"] for o in orders(api)), reverse=True
    )


def test_orderby_several_keys_top_and_skip(api: httpx.Client) -> None:
    every = orders(api)
    ordered = sorted(every, key=lambda o: o["OrderNumber"], reverse=True)
    ordered = sorted(ordered, key=lambda o: o["OrderStatusId"])
    got = orders(api, **{"$orderby": "OrderStatusId, OrderNumber desc"})
    assert [o["OrderNumber"] for o in got] == [o["OrderNumber"] for o in ordered]
    assert (
        orders(api, **{"$orderby": "OrderNumber desc", "$top": "1"})[0]["OrderNumber"]
        == every[-1]["OrderNumber"]
    )
    page = orders(api, **{"$orderby": "OrderStatusId asc,OrderNumber desc", "$skip": "5", "$top": "3"})
    assert [o["OrderNumber"] for o in page] == [o["OrderNumber"] for o in ordered[5:8]]
    nulls_first = orders(api, **{"$orderby": "OrderPlacedDate", "$top": "2"})
    assert [o["OrderPlacedDate"] for o in nulls_first] == [None, None]
    assert orders(api, **{"$skip": "1000"}) == []
    assert [o["OrderID"] for o in orders(api, **{"$top": "2", "$skip": "3"})] == [4, 5]


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"$filter": "Nope eq 1"}, "Could not find a property named 'Nope' on type 'Order'."),
        ({"$filter": "LastName eq 'O' 'Neil'"}, "Syntax error at position 16"),
        ({"$filter": "LastName eq 'unterminated"}, "unterminated string literal"),
        ({"$filter": "CreatedDate gt '2016-01-01'"}, "incompatible types"),
        ({"$filter": "CreatedDate gt datetime'yesterday'"}, "Unrecognized 'Edm.DateTime' literal"),
        ({"$filter": "OrderTotal gt true"}, "incompatible types"),
        ({"$filter": "OrderTotal"}, "must evaluate to a single boolean"),
        ({"$filter": "(OrderID eq 1"}, "')' or operator expected"),
        ({"$filter": "OrderID eq"}, "Expression expected"),
        ({"$filter": "contains(LastName, 'a')"}, "Unknown function 'contains'"),
        (
            {"$filter": "substringof(LastName)"},
            "No function signature for the function with name 'substringof'",
        ),
        ({"$filter": "startswith(OrderID, '1')"}, "No function signature"),
        ({"$filter": "year(CreatedDate"}, "')' or ',' expected"),
        ({"$filter": "Items eq null"}, "not a primitive property"),
        ({"$filter": ""}, "empty"),
        ({"$orderby": "Nope desc"}, "Could not find a property named 'Nope'"),
        ({"$orderby": "OrderID sideways"}, "Syntax error in $orderby"),
        ({"$top": "-1"}, "Invalid value '-1' for $top"),
        ({"$skip": "ten"}, "Invalid value 'ten' for $skip"),
        ({"$select": "OrderID"}, "The query parameter '$select' is not supported."),
    ],
)
def test_bad_queries_are_400_with_aspnets_message(
    api: httpx.Client, options: dict[str, str], message: str
) -> None:
    response = api.get("/api/order/getall", params=options)
    assert response.status_code == 400
    body = response.json()
    assert body["StatusCode"] == 30 and body["Results"] == "InvalidData"
    assert "The query specified in the URI is not valid." in body["ResponseMessage"]
    assert message in body["ResponseMessage"]


def test_odata_options_on_a_non_list_route_are_refused(
    sim: SellersCommerceSimulator, api: httpx.Client
) -> None:
    response = api.get("/api/order/get/100001", params={"$top": "1"})
    assert response.status_code == 400 and "list routes only" in response.json()["ResponseMessage"]
    body = {"OrderNumber": "100003", "OrderStatusId": 35}
    write = api.post("/api/order/updateorderstatus", params={"$filter": "x"}, json=body)
    assert write.status_code == 400 and sim.store.version == 0
    assert results(api.get("/api/order/get/100003"))["OrderStatusId"] == 3
    skus = api.get("/api/product/getallproductskus", params={"$top": "1"})
    assert skus.status_code == 400


def test_getallproductskus_pages_with_its_own_top_and_skip(api: httpx.Client) -> None:
    every = results(api.get("/api/product/getallproductskus"))
    assert len(every) == 14
    page = results(api.get("/api/product/getallproductskus", params={"top": "4", "skip": "2"}))
    assert [s["SKUCode"] for s in page] == [s["SKUCode"] for s in every[2:6]]
    by_code = results(api.get("/api/product/getallproductskus", params={"productcode": "sneaker-1"}))
    assert {s["SKUCode"] for s in by_code} == {"SNEAKER-1-40", "SNEAKER-1-41", "SNEAKER-1-42"}
    by_id = results(api.get("/api/product/getallproductskus", params={"SCproductID": "503"}))
    assert [s["ProductCode"] for s in by_id] == ["KIDS-TEE"]
    cheap = {"$filter": "Price lt 20", "$orderby": "Price desc,SKUCode", "top": "3", "skip": "1"}
    want = sorted((s for s in every if s["Price"] < 20), key=lambda s: s["SKUCode"])
    want = sorted(want, key=lambda s: s["Price"], reverse=True)[1:4]
    got = results(api.get("/api/product/getallproductskus", params=cheap))
    assert [s["SKUCode"] for s in got] == [s["SKUCode"] for s in want]
    refused = api.get("/api/product/getallproductskus", params={"$skip": "1"})
    assert refused.status_code == 400 and "its own top and skip" in refused.json()["ResponseMessage"]


# ---------------------------------------------------------------- the store


def test_the_seed_uses_every_enum_value(api: httpx.Client) -> None:
    every = orders(api)
    for column in (
        "OrderStatusId",
        "CarrierId",
        "PaymentMethodId",
        "DiscountTypeId",
        "PaymentStatusId",
        "PaymentGatewayId",
    ):
        assert {o[column] for o in every} == set(ENUMS[column]), column
    assert {o["ServiceTypeId"] for o in every} - {None} == set(SERVICE_TYPES)
    assert all(SERVICE_TYPES[o["ServiceTypeId"]][1] == o["CarrierId"] for o in every if o["ServiceTypeId"])
    shoppers = results(api.get("/api/shopper/getall"))
    assert {s["Gender"] for s in shoppers} == set(ENUMS["Gender"])
    assert {c["IsBrand"] for c in results(api.get("/api/category/getall"))} == set(ENUMS["IsBrand"])
    assert {p["OptionTypeId"] for p in results(api.get("/api/product/getall"))} == set(ENUMS["OptionTypeId"])
    embellishments = results(api.get("/api/embellishments/getall"))
    for column in ("PricingType", "DisplayTypeID", "DiscountTypeID"):
        assert {e[column] for e in embellishments} == set(ENUMS[column]), column
    returns = results(api.get("/api/return/getall"))
    assert {r["ReturnStatusID"] for r in returns} == set(ENUMS["ReturnStatusID"])
    assert {r["ReturnTypeID"] for r in returns} == set(ENUMS["ReturnTypeID"])
    # five returns can't use all seven payment methods; the orders do (the same table, printed twice)
    assert {r["PaymentMethodID"] for r in returns} <= set(ENUMS["ReturnPaymentMethodID"])
    assert ENUMS["ReturnPaymentMethodID"] == ENUMS["PaymentMethodId"]


def test_dates_are_written_as_jsonnet_writes_them(api: httpx.Client) -> None:
    order = results(api.get("/api/order/get/100003"))
    assert order["CreatedDate"] == "2016-01-01T01:00:00.209458+00:00"
    assert results(api.get("/api/order/get/100001"))["CreatedDate"] == "2016-01-01T00:00:00+00:00"


def test_writes_are_visible_in_reads(sim: SellersCommerceSimulator, api: httpx.Client) -> None:
    sim.clock.advance(60)
    results(api.post("/api/order/updateorderstatus", json={"OrderNumber": "100003", "OrderStatusId": 35}))
    order = results(api.get("/api/order/get/100003"))
    assert order["OrderStatusId"] == 35
    assert dt.datetime.fromisoformat(order["ModifiedDate"]) == sim.now()
    changed = orders(api, **{"$filter": f"ModifiedDate gt datetime'{sim.now().year - 1}-01-01'"})
    assert [o["OrderNumber"] for o in changed] == ["100003"]

    results(api.post("/api/product/updateskuprice", json=[{"SKUCode": "mug-01-one", "Price": 8.5}]))
    results(api.post("/api/product/updateskuinventory", json=[{"SKUCode": "MUG-01-ONE", "Inventory": 7}]))
    mug = results(api.get("/api/product/get/mug-01"))
    assert (mug["Skus"][0]["Price"], mug["Skus"][0]["Inventory"]) == (8.5, 7)

    item = order["Items"][0]
    ship = {
        "OrderNumber": "100003",
        "CarrierId": 8,
        "ServiceTypeId": 21,
        "TrackingNumber": "FX1",
        "Items": [{"SKUCode": item["SKUCode"], "Quantity": item["Quantity"]}],
    }
    results(api.post("/api/order/shippinginformation", json=ship))
    shipped = results(api.get("/api/order/get/100003"))
    assert shipped["Items"][0]["QuantityShipped"] == item["Quantity"]
    assert shipped["OrderStatusId"] in (8, 9) and shipped["Shipments"][-1]["TrackingNumber"] == "FX1"
    assert results(api.post("/api/order/shippinginformation", json=ship), 26) == "InvalidQty"

    made = results(
        api.post(
            "/api/return/return",
            json={
                "OrderNumber": "100003",
                "ReturnTypeID": 102,
                "Items": [{"SKUCode": item["SKUCode"], "Quantity": 1}],
            },
        )
    )
    assert made["ReturnStatusID"] == 97
    assert results(api.get(f"/api/return/get/{made['ReturnNumber']}"))["OrderNumber"] == "100003"

    batch = [
        {"CategoryCode": "caps", "CategoryName": "Caps", "ParentCategoryCode": "HATS"},
        {"CategoryCode": "hats", "CategoryName": "Hats"},
    ]
    results(api.post("/api/category/categories", json=batch))  # a parent may come later in the same list
    assert results(api.get("/api/category/get/caps"))["ParentCategoryCode"] == "hats"
    results(
        api.post("/api/category/productcategory", json=[{"ProductCode": "MUG-01", "CategoryCode": "hats"}])
    )
    assert [p["ProductCode"] for p in results(api.get("/api/category/categoryproducts/hats"))] == ["MUG-01"]
    results(api.request("DELETE", "/api/category/category", json={"CategoryCode": "hats", "ActionId": 1}))
    assert results(api.get("/api/category/get/hats"), 31) == "CategoryNotExist"
    assert "hats" not in results(api.get("/api/product/get/MUG-01"))["Categories"]
    assert results(api.get("/api/category/get/caps"))["ParentCategoryCode"] is None  # moved up


def test_concurrent_presentations_of_one_refresh_token_grant_once(sim: SellersCommerceSimulator) -> None:
    chain = password_grant(sim).json()["refresh_token"]
    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(lambda _: refresh(sim, chain).status_code, range(8)))
    assert sorted(answers) == [200] + [400] * 7
    assert sim.refresh_grants == 1 and sim.refresh_presentations == {chain: 8}


# ---------------------------------------------------------------- faults


def test_framework_faults_apply(sim: SellersCommerceSimulator, api: httpx.Client) -> None:
    sim.faults.add("status", path="/api/order/getall", status=503)
    assert api.get("/api/order/getall").status_code == 503
    sim.faults.add("rate_limit", path="/token", retry_after=30)
    throttled = password_grant(sim)
    assert throttled.status_code == 429 and throttled.headers["retry-after"] == "30"
    sim.faults.add("malformed_json", path="/api/order/get/")
    with pytest.raises(ValueError):
        api.get("/api/order/get/100001").json()
    assert results(api.get("/api/order/get/100001"))["OrderNumber"] == "100001"


def test_unknown_enum_rewrites_one_list_response(sim: SellersCommerceSimulator, api: httpx.Client) -> None:
    sim.faults.add("unknown_enum", path="/api/order/getall")
    assert {o["OrderStatusId"] for o in orders(api, **{"$top": "3"})} == {999}
    assert 999 not in {o["OrderStatusId"] for o in orders(api, **{"$top": "3"})}
    sim.faults.add("unknown_enum", path="/api/return/getall", field="ReturnTypeID", value=101)
    assert {r["ReturnTypeID"] for r in results(api.get("/api/return/getall"))} == {101}


def test_vendor_error_answers_any_code_with_its_status(
    sim: SellersCommerceSimulator, api: httpx.Client
) -> None:
    sim.faults.add("vendor_error", path="/api/order/getall", code=24, detail="gone")
    response = api.get("/api/order/getall")
    assert response.status_code == 404
    assert response.json() == {
        "Results": "OrderNotExist",
        "ResponseMessage": "Order Does Not Exist: gone",
        "StatusCode": 24,
    }


# ---------------------------------------------------------------- a big generated order book


def test_extra_orders_page_without_evaluating_the_book(make_sellerscommerce_sim: MakeSim) -> None:
    sim = make_sellerscommerce_sim(extra_orders=100_000)
    with httpx.Client(base_url=sim.base_url, headers=sim.auth_headers(), timeout=30.0) as api:
        assert len(sim.store.orders) == 100_040
        last = orders(api, **{"$skip": "100039", "$top": "5"})
        assert [o["OrderNumber"] for o in last] == [str(FIRST_ORDER_NUMBER + 100_039)]
        middle = orders(api, **{"$skip": "50000", "$top": "1000"})
        assert len(middle) == 1000 and middle[0]["OrderID"] == 50_001
        assert sim.stats.queries_evaluated == 0
        assert len(sim.store.orders.changed) == 5  # only the seeded returns' orders are kept
        assert results(api.get("/api/order/get/170000"))["OrderID"] == 70_000


def test_a_filtered_query_is_evaluated_once_for_all_its_pages(make_sellerscommerce_sim: MakeSim) -> None:
    sim = make_sellerscommerce_sim(extra_orders=2_000)
    with httpx.Client(base_url=sim.base_url, headers=sim.auth_headers(), timeout=30.0) as api:
        where = {"$filter": "OrderStatusId eq 9 or OrderStatusId eq 10", "$orderby": "OrderNumber desc"}
        pages = [orders(api, **where, **{"$top": "100", "$skip": str(skip)}) for skip in range(0, 400, 100)]
        numbers = [o["OrderNumber"] for page in pages for o in page]
        assert sim.stats.queries_evaluated == 1
        assert numbers == sorted(numbers, reverse=True) and len(set(numbers)) == len(numbers)
        assert {o["OrderStatusId"] for page in pages for o in page} == {9, 10}
        assert len(numbers) == sum(1 for i in range(2_040) if i % 14 in (8, 9))
        first = numbers[-1]
        results(api.post("/api/order/updateorderstatus", json={"OrderNumber": first, "OrderStatusId": 3}))
        again = [o["OrderNumber"] for o in orders(api, **where, **{"$top": "100", "$skip": "300"})]
        assert first not in again and sim.stats.queries_evaluated == 2  # a write invalidates the kept result


# ---------------------------------------------------------------- command line


def test_the_command_line_starts_it(capsys: pytest.CaptureFixture[str]) -> None:
    args = [
        "sellerscommerce",
        "--duration",
        "0",
        "--extra-orders",
        "10",
        "--access-key",
        "k",
        "--shared-secret",
        "s",
    ]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "Sellers Commerce simulator: http://127.0.0.1:" in out and "50 orders" in out
    assert "access key:    k" in out and "shared secret: s" in out


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2016-01-01", dt.datetime(2016, 1, 1, tzinfo=dt.UTC)),
        ("2016-01-01T10:30", dt.datetime(2016, 1, 1, 10, 30, tzinfo=dt.UTC)),
        ("2016-04-27T14:38:17.1709364+00:00", dt.datetime(2016, 4, 27, 14, 38, 17, 170936, tzinfo=dt.UTC)),
        ("2016-04-27T14:38:17.5Z", dt.datetime(2016, 4, 27, 14, 38, 17, 500000, tzinfo=dt.UTC)),
        ("2016-04-27T14:38:17-05:30", dt.datetime(2016, 4, 27, 20, 8, 17, tzinfo=dt.UTC)),
    ],
)
def test_date_literals_and_body_dates_parse(text: str, expected: dt.datetime) -> None:
    assert odata.parse_datetime(text) == expected


@pytest.mark.parametrize("text", ["2016-1-1", "yesterday", "2016-01-01T25", "2016-01-01 10:00", "2016-02-30"])
def test_malformed_dates_are_refused(text: str) -> None:
    with pytest.raises(ValueError):
        odata.parse_datetime(text)
