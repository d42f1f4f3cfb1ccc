"""Sellers Commerce Open API simulator: the OAuth token endpoint and all 51 routes of the docs' endpoint
tables, with their `{Results, ResponseMessage, StatusCode}` envelope, OData query options on the list routes,
writes that change the store and the documented response codes 20-36. Written from
vendor-docs/001_045c309ad2f15292.txt and vendor-notes.md § Sellers Commerce, independently of the spec.

`SellersCommerceSimulator(clock=None, settings=SellersCommerceSettings(), *, access_key=None,
shared_secret=None)` (random credentials by default); `with sim.running(host, port=0): ...`; `base_url` is the
origin (paths `/token`, `/api/...`). Fixtures `sellerscommerce_sim` and `make_sellerscommerce_sim(clock=,
host=, access_key=, shared_secret=, **settings)`; `sellerkit simulate sellerscommerce`.

Token endpoint (`POST /token`, read as an ASP.NET OWIN OAuth server reads it):
- form-encoded only: any other body (JSON included) leaves the form empty, so 400
  `{"error": "unsupported_grant_type"}`, which is what OWIN answers;
- `grant_type=password&username=<access key>&password=<shared secret>` → `{access_token, token_type: "bearer",
  expires_in: 3599, refresh_token}` (the docs' example; a refresh token is a GUID, as in the docs); wrong
  credentials 400 `{"error": "invalid_grant", "error_description": "The user name or password is
  incorrect."}`;
- `grant_type=refresh_token&refresh_token=<the last one>` → a new pair; the presented refresh token dies on
  use (rotation) and every refresh token dies `refresh_ttl` (4 h) after it was issued; a dead, used or unknown
  one → 400 `{"error": "invalid_grant"}`; no refresh_token field → 400 `{"error": "invalid_request"}`;
- access tokens live `access_ttl` (1 h) on the simulator's clock (old ones stay valid after a refresh).
Every other route needs `Authorization: bearer <access token>` (scheme case-insensitive), else 401
`{"Message": "Authorization has been denied for this request."}` (ASP.NET's [Authorize]).

Counters (for rotation tests): `sim.password_grants`, `sim.refresh_grants` (successful grants),
`sim.refresh_presentations` (every refresh token value presented -> times, valid or not),
`sim.reused_refresh_tokens()` (those presented more than once), `sim.stats` (all of them plus refusals,
`api_calls`, `unauthorized`). Test helpers: `issue()` (a token response without counting a grant), `token()`,
`auth_headers()`, `expire_access_tokens()`, `refresh_valid(token)`, `revoke_refresh(token=None)`.

API behaviour:
- Routes match case-insensitively (IIS/ASP.NET do); an unknown path → 404, a known path with another method
  → 405 with `Allow` (ASP.NET `{"Message"}` bodies). Methods (the docs never state them): `get*`, `Is*`,
  `All*`, `Admins`, `Valiadate*`, `ClosureFormSSO`, `RedirectURL` and `PortalAdmin/Admin?userid=` are GET;
  `category/category` (JSON body `{CategoryCode, ActionId}`) and `PortalAdmin/RemoveAdmin` (`{UserID}`) are
  DELETE, the action table's "Delete"; everything else POST.
- Success: HTTP 200 `{"Results": <data>, "ResponseMessage": "Processed Successfully", "StatusCode": 20}`;
  writes answer `Results: "Processed"` (the code table's Results text). Errors: the code table's Results
  name and message (plus `: <detail>` naming the field or value) with its HTTP status: 21 unknown provider
  or store SSO, 22 unknown shopper or admin user, 24 unknown order or return, 25 SKU not in the order,
  26 shipping or returning more than is left (nothing is, on a cart or a cancelled or rejected order),
  27 paying an order whose payment was captured with its authorization (PaymentStatusId 74), 28 capturing
  an order twice (86), 29 the `vendor_error` fault (an internal error has no other cause here), 30 a
  missing, mistyped or out-of-range field, a category cycle, a SKU twice in a return (406; on the query
  string: 400), 31 unknown category, 32 unknown parent category, 33 a duplicate return or admin, 34 unknown
  SKU or product code (the docs have no product-not-found code; a product code is its master SKU), 35 a
  product's BrandName that is not a first-level brand category (IsBrand 0 = Yes), 36 a product's Categories
  naming an unknown one.
- OData on every list route (`odata.py`): `$filter`, `$orderby`, `$top`, `$skip`; other `$` options, or any
  on a non-list route, and a bad expression → 400 with `StatusCode` 30 and ASP.NET's message
  ("The query specified in the URI is not valid. ..."). `product/getallproductskus` takes `$filter` and
  `$orderby` but pages with its own `top` and `skip` (and filters with `SCproductID`, `ProductCode`).
- Bodies: JSON (another Content-Type, or none, → 415 as Web API answers); unknown properties are ignored
  (Json.NET does); documented field types are checked strictly (a string for an int is 30). Dates out as
  Json.NET writes them (`2016-04-27T14:38:17.1709364+00:00`, trailing zeros dropped); in as ISO 8601.
- Store (`sellerscommerce_data.Store.seeded()`): 40 orders using every value of the order enum tables, 8
  products / 14 SKUs, 8 categories (3 brands), 6 shoppers, 5 returns (every ReturnStatusID and ReturnTypeID),
  6 embellishments, 3 suppliers, 3 admins / roles, 2 providers, one store SSO (`store-sso-1`).
  `extra_orders=N` adds N generated orders, built on demand from their number: nothing is kept per order until
  a write changes it, a page without `$filter`/`$orderby` costs O(page), and a filtered or sorted query is
  evaluated once per store version and kept (as row positions) for the following pages.
- Faults: every framework kind; `vendor_error` (`code=29`, `detail=None`: that envelope and HTTP status,
  after auth, before the route runs); `unknown_enum` on list routes (`field=None`: the entity's first enum
  property, e.g. `OrderStatusId`; `value=None`: 999) rewrites that one response's rows.

`SellersCommerceSettings` (mutable while running): `access_ttl=3600.0`, `expires_in=3599`,
`refresh_ttl=14400.0`, `extra_orders=0` (read at construction), `seed_orders=40`.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import secrets
import threading
import uuid
from array import array
from collections.abc import Callable, Iterable, Mapping, Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar, Final
from urllib.parse import parse_qsl

from starlette.applications import Starlette
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp

from . import odata
from .framework import FAULT_KINDS, ScaledClock, Simulator, bearer_token, settings_from, settings_options
from .sellerscommerce_data import CODES, ENTITY_FIELDS, ENUMS, SERVICE_TYPES, Store, net_datetime

if TYPE_CHECKING:
    import argparse

    from sellerkit.sellerscommerce import AsyncSellersCommerceClient, SellersCommerceClient  # noqa: F401 (the simulator's type arguments)

__all__ = [
    "ROUTES",
    "ApiError",
    "RouteDef",
    "SellersCommerceSettings",
    "SellersCommerceSimulator",
    "SellersCommerceStats",
    "cli_arguments",
    "cli_start",
]

TOKEN_PATH: Final = "/token"
UNAUTHORIZED: Final = "Authorization has been denied for this request."
PROCESSED: Final = 20


@dataclass
class SellersCommerceSettings:
    """Lifetimes in simulated seconds and the size of the order book."""

    access_ttl: float = 3600.0  # [doc] "bearer access token is valid for 1 hr"
    expires_in: int = 3599  # [doc] what the token response says
    refresh_ttl: float = 4 * 3600.0  # [doc] "valid for next 4 hrs"
    extra_orders: int = 0  # generated orders after the seeded ones (read when the simulator is made)
    seed_orders: int = 40


@dataclass
class SellersCommerceStats:
    password_grants: int = 0
    refresh_grants: int = 0
    rejected_grants: int = 0
    # token -> times presented; kept out of the repr (tokens are credentials, even simulated ones)
    refresh_presentations: dict[str, int] = field(default_factory=dict, repr=False)
    api_calls: int = 0
    unauthorized: int = 0
    queries_evaluated: int = 0  # filtered/sorted queries computed over the whole table (not cache hits)


class ApiError(Exception):
    """A response code of the docs' table (or an HTTP status of the framework around it)."""

    def __init__(self, code: int, detail: str | None = None, *, status: int | None = None) -> None:
        super().__init__(detail or CODES[code][1])
        self.code, self.detail, self.status = code, detail, status or CODES[code][2]


def _envelope(results: Any, code: int = PROCESSED, detail: str | None = None) -> dict[str, Any]:
    message = CODES[code][1] + (f": {detail}" if detail else "")
    return {"Results": results, "ResponseMessage": message, "StatusCode": code}


def _json_default(value: object) -> object:
    if isinstance(value, dt.datetime):
        return net_datetime(value)
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


class _Json(JSONResponse):
    """Compact JSON like Json.NET, with its date format."""

    def render(self, content: Any) -> bytes:
        text = json.dumps(content, default=_json_default, ensure_ascii=False, separators=(",", ":"))
        return text.encode("utf-8")


def _aspnet(status: int, message: str, headers: Mapping[str, str] | None = None) -> Response:
    return _Json({"Message": message}, status_code=status, headers=dict(headers or {}))


# ---------------------------------------------------------------- request bodies


@dataclass(frozen=True)
class F:
    """A body property: its kind (odata.KINDS keys; "list" of `item` objects, or of `of` scalars), whether it
    is required, an enum table it must come from, a minimum."""

    kind: str
    required: bool = False
    enum: str | None = None
    item: Mapping[str, F] | None = None
    of: str | None = None
    minimum: float | None = None


_ADDRESS: Final = {
    name: F("string")
    for name in ("AddressName", "AddressLine1", "AddressLine2", "City", "StateCode", "CountryCode", "ZipCode")
}
_TYPE_NAMES: Final = {
    "string": "a string",
    "int": "a 32-bit integer",
    "number": "a number",
    "bool": "true or false",
    "datetime": "an ISO 8601 date",
    "list": "an array",
    "object": "an object",
}


def _check(value: Any, spec: F, where: str) -> Any:
    """The value as the store keeps it (dates parsed); ApiError 30 naming the field otherwise."""
    if value is None:
        if spec.required:
            raise ApiError(30, f"'{where}' is required")
        return None
    kind = spec.kind
    ok = {
        "string": isinstance(value, str),
        "int": isinstance(value, int) and not isinstance(value, bool) and -(2**31) <= value < 2**31,
        "number": isinstance(value, int | float) and not isinstance(value, bool),
        "bool": isinstance(value, bool),
        "datetime": isinstance(value, str),
        "list": isinstance(value, list),
        "object": isinstance(value, dict),
    }[kind]
    if not ok:
        raise ApiError(30, f"'{where}' must be {_TYPE_NAMES[kind]}, not {json.dumps(value)[:40]}")
    if kind == "string" and spec.required and not value.strip():
        raise ApiError(30, f"'{where}' must not be empty")
    if kind == "datetime":
        try:
            return odata.parse_datetime(value)
        except ValueError:
            raise ApiError(30, f"'{where}' must be an ISO 8601 date, not {value!r}") from None
    if spec.enum is not None and value not in ENUMS[spec.enum]:
        allowed = ", ".join(str(v) for v in ENUMS[spec.enum])
        raise ApiError(30, f"'{where}' must be one of {allowed} ({spec.enum}), not {value}")
    if spec.minimum is not None and value < spec.minimum:
        raise ApiError(30, f"'{where}' must be at least {spec.minimum:g}, not {value}")
    if kind == "list":
        if spec.item is not None:
            return [_object(v, spec.item, f"{where}[{i}]") for i, v in enumerate(value)]
        if spec.of is not None:
            return [_check(v, F(spec.of, required=True), f"{where}[{i}]") for i, v in enumerate(value)]
    return value


def _object(value: Any, fields: Mapping[str, F], where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ApiError(30, f"'{where}' must be an object, not {json.dumps(value)[:40]}")
    return {
        name: _check(value.get(name), spec, f"{where}.{name}" if where else name)
        for name, spec in fields.items()
    }


def _one(body: Any, fields: Mapping[str, F]) -> dict[str, Any]:
    if body is None:
        raise ApiError(30, "a JSON object body is required")
    return _object(body, fields, "")


def _many(body: Any, fields: Mapping[str, F]) -> list[dict[str, Any]]:
    if not isinstance(body, list) or not body:
        raise ApiError(30, "a non-empty JSON array body is required")
    return [_object(v, fields, f"[{i}]") for i, v in enumerate(body)]


SHOPPER_BODY: Final = {
    "UserName": F("string"),
    "Email": F("string"),
    "FirstName": F("string", True),
    "LastName": F("string", True),
    "DOB": F("datetime"),
    "Gender": F("int", enum="Gender"),
    "Deleted": F("bool"),
    "ShopperTypeID": F("int"),
    "Address": F("list", item=_ADDRESS),
}
SHOPPER_ADDRESS_BODY: Final = {"UserName": F("string", True), "Address": F("list", True, item=_ADDRESS)}
SKU_BODY: Final = {
    "SKUCode": F("string", True),
    "OptionName": F("string"),
    "OptionValue": F("string"),
    "Price": F("number", minimum=0),
    "SalePrice": F("number", minimum=0),
    "Inventory": F("int", minimum=0),
    "IsActive": F("bool"),
}
PRODUCT_BODY: Final = {
    "ProductCode": F("string", True),
    "ProductName": F("string", True),
    "Description": F("string"),
    "BrandName": F("string"),
    "Price": F("number", True, minimum=0),
    "SalePrice": F("number", minimum=0),
    "Weight": F("number", minimum=0),
    "IsActive": F("bool"),
    "OptionTypeId": F("int", enum="OptionTypeId"),
    "SupplierID": F("int"),
    "Categories": F("list", of="string"),
    "Skus": F("list", item=SKU_BODY),
}
SKU_PRICE_BODY: Final = {
    "SKUCode": F("string", True),
    "Price": F("number", True, minimum=0),
    "SalePrice": F("number", minimum=0),
}
SKU_INVENTORY_BODY: Final = {"SKUCode": F("string", True), "Inventory": F("int", True, minimum=0)}
RETURN_BODY: Final = {
    "OrderNumber": F("string", True),
    "ReturnTypeID": F("int", True, enum="ReturnTypeID"),
    "Reason": F("string"),
    "Items": F(
        "list",
        True,
        item={"SKUCode": F("string", True), "Quantity": F("int", True, minimum=1), "Reason": F("string")},
    ),
}
CATEGORY_BODY: Final = {
    "CategoryCode": F("string", True),
    "CategoryName": F("string", True),
    "ParentCategoryCode": F("string"),
    "IsBrand": F("int", enum="IsBrand"),
    "IsActive": F("bool"),
    "DisplayOrder": F("int", minimum=0),
}
CATEGORY_DELETE_BODY: Final = {"CategoryCode": F("string", True), "ActionId": F("int", True, enum="ActionId")}
PRODUCT_CATEGORY_BODY: Final = {"ProductCode": F("string", True), "CategoryCode": F("string", True)}
SHIPPING_BODY: Final = {
    "OrderNumber": F("string", True),
    "CarrierId": F("int", True, enum="CarrierId"),
    "ServiceTypeId": F("int", enum="ServiceTypeId"),
    "TrackingNumber": F("string", True),
    "ShippedDate": F("datetime"),
    "Items": F("list", True, item={"SKUCode": F("string", True), "Quantity": F("int", True, minimum=1)}),
}
PAYMENT_BODY: Final = {
    "OrderNumber": F("string", True),
    "TransactionNumber": F("string", True),
    "AuthorizationCode": F("string", True),
    "Amount": F("number", minimum=0),
}
ORDER_STATUS_BODY: Final = {
    "OrderNumber": F("string", True),
    "OrderStatusId": F("int", True, enum="OrderStatusId"),
}
ADMIN_BODY: Final = {
    "UserID": F("int", minimum=0),
    "UserName": F("string", True),
    "Email": F("string", True),
    "FirstName": F("string"),
    "LastName": F("string"),
    "RoleID": F("int", True),
    "IsActive": F("bool"),
    "IsContact": F("bool"),
    "Password": F("string"),
}
REMOVE_ADMIN_BODY: Final = {"UserID": F("int", True)}
RAISE_REQUEST_BODY: Final = {
    "StoreSSO": F("string"),
    "RequestedBy": F("string", True),
    "Reason": F("string", True),
    "ClosureDate": F("datetime"),
}
LOGIN_BODY: Final = {"UserName": F("string", True), "Password": F("string", True)}
CHANGE_PASSWORD_BODY: Final = {
    "UserID": F("int", True),
    "ResetKey": F("string", True),
    "NewPassword": F("string", True),
}
FEEDBACK_BODY: Final = {"StoreSSO": F("string"), "FeedBack": F("string", True), "Rating": F("int", minimum=1)}
CLOSURE_FORM_BODY: Final = {
    "StoreSSO": F("string", True),
    "Reason": F("string", True),
    "ClosureDate": F("datetime"),
}


# ---------------------------------------------------------------- routes


@dataclass
class Call:
    """One API request as a handler sees it."""

    method: str
    path: str
    query: Mapping[str, str]  # casefolded names (ASP.NET binds them case-insensitively), first value
    arg: str | None  # the path parameter, if the route has one
    body: Any  # parsed JSON, or None

    def optional_object(self) -> None:
        """For a write whose input is its query string: a body, if any, must be a JSON object."""
        if self.body is not None and not isinstance(self.body, dict):
            raise ApiError(30, "the body, if any, must be a JSON object")

    def param(self, name: str, kind: str = "string", *, required: bool = True) -> Any:
        raw = self.query.get(name.casefold())
        if raw is None or raw == "":  # ASP.NET binds an empty value as null
            if required:
                raise ApiError(30, f"the query parameter '{name}' is required", status=400)
            return None
        if kind == "int":
            if not re.fullmatch(r"-?[0-9]{1,10}", raw) or not -(2**31) <= int(raw) < 2**31:
                raise ApiError(
                    30, f"the query parameter '{name}' must be an integer, not {raw!r}", status=400
                )
            return int(raw)
        if kind == "bool":
            if raw.lower() not in ("true", "false"):
                raise ApiError(
                    30, f"the query parameter '{name}' must be true or false, not {raw!r}", status=400
                )
            return raw.lower() == "true"
        return raw


@dataclass(frozen=True)
class Listing:
    """A list result OData applies to: `row(i)` for i in range(size). A route with its own paging
    (`own_paging`: getallproductskus) takes `$filter`/`$orderby`, and its own `skip`/`top` for OData's."""

    entity: str
    size: int
    row: Callable[[int], dict[str, Any]]
    own_paging: tuple[int, int | None] | None = None


@dataclass(frozen=True)
class RouteDef:
    """One row of the docs' endpoint tables."""

    method: str
    path: str  # as the docs write it, without the query template
    handler: str
    list_of: str | None = None  # entity of a list route (OData applies)
    query: tuple[str, ...] = ()  # the docs' query template's parameters

    @property
    def param(self) -> str | None:
        match = re.search(r"\{(\w+)\}$", self.path)
        return match.group(1) if match else None

    @property
    def static(self) -> str:
        """The path up to its parameter, lowercased."""
        return self.path.split("{")[0].lower()


ROUTES: Final[tuple[RouteDef, ...]] = (
    RouteDef("GET", "/api/product/getall", "products", "Product"),
    RouteDef("GET", "/api/product/getallproducts", "products", "Product"),
    RouteDef(
        "GET",
        "/api/product/getallproductskus",
        "product_skus",
        "ProductSku",
        query=("top", "skip", "SCproductID", "ProductCode"),
    ),
    RouteDef("GET", "/api/product/get/{productcode}", "product"),
    RouteDef("POST", "/api/product/products", "post_product"),
    RouteDef("POST", "/api/product/updateskuprice", "update_sku_price"),
    RouteDef("POST", "/api/product/updateskuinventory", "update_sku_inventory"),
    RouteDef("GET", "/api/product/getallsuppliers", "suppliers", "Supplier"),
    RouteDef("GET", "/api/product/getproducts", "products", "Product"),
    RouteDef("GET", "/api/shopper/getall", "shoppers", "Shopper"),
    RouteDef("GET", "/api/shopper/get/{username}", "shopper"),
    RouteDef("POST", "/api/shopper/shoppers", "post_shoppers"),
    RouteDef("POST", "/api/shopper/shopperaddress", "post_shopper_address"),
    RouteDef("GET", "/api/return/getall", "returns", "Return"),
    RouteDef("GET", "/api/return/get/{returnnumber}", "return_"),
    RouteDef("POST", "/api/return/return", "post_return"),
    RouteDef("GET", "/api/embellishments/getall", "embellishments", "Embellishment"),
    RouteDef(
        "GET",
        "/api/embellishments/getproductembellishment",
        "product_embellishments",
        "Embellishment",
        ("productCode",),
    ),
    RouteDef("GET", "/api/category/getall", "categories", "Category"),
    RouteDef("GET", "/api/category/get/{categorycode}", "category"),
    RouteDef("GET", "/api/category/categoryproducts/{categorycode}", "category_products", "Product"),
    RouteDef("POST", "/api/category/categories", "post_categories"),
    RouteDef("DELETE", "/api/category/category", "delete_category"),
    RouteDef("POST", "/api/category/productcategory", "post_product_categories"),
    RouteDef("GET", "/api/category/getallbrands", "brands", "Category"),
    RouteDef("GET", "/api/order/getall", "orders", "Order"),
    RouteDef("GET", "/api/order/getorders", "orders", "Order"),
    RouteDef("GET", "/api/order/get/{ordernumber}", "order"),
    RouteDef("POST", "/api/order/shippinginformation", "post_shipping"),
    RouteDef("POST", "/api/order/paymentinformation", "post_payment"),
    RouteDef("POST", "/api/order/updateorderstatus", "post_order_status"),
    RouteDef("POST", "/api/order/OrderSamplePost", "post_order_sample"),
    RouteDef("GET", "/api/PortalAdmin/Admins", "admins", "Admin"),
    RouteDef("GET", "/api/PortalAdmin/Admin", "admin", query=("userid",)),
    RouteDef("POST", "/api/PortalAdmin/Admin", "post_admin"),
    RouteDef(
        "GET",
        "/api/PortalAdmin/IsEmailOrUserNameExists",
        "email_or_user_exists",
        query=("param", "userid", "isContact"),
    ),
    RouteDef("GET", "/api/PortalAdmin/GetUserByID", "admin", query=("userid",)),
    RouteDef("GET", "/api/PortalAdmin/AllRoles", "roles", "Role"),
    RouteDef("POST", "/api/PortalAdmin/RaiseRequest", "raise_request"),
    RouteDef("DELETE", "/api/PortalAdmin/RemoveAdmin", "remove_admin"),
    RouteDef(
        "POST", "/api/PortalAdmin/SendExportEmail", "send_export_email", query=("exportName", "exportedBy")
    ),
    RouteDef("GET", "/api/PortalAdmin/RedirectURL", "redirect_url", query=("ProviderID", "type")),
    RouteDef("POST", "/api/PortalLogin/Login", "login"),
    RouteDef("GET", "/api/PortalLogin/ForgotPassword", "forgot_password", query=("userid", "resetkey")),
    RouteDef("POST", "/api/PortalLogin/ChangeForgotPassword", "change_forgot_password"),
    RouteDef("POST", "/api/PortalLogin/ResetPassword", "reset_password", query=("username",)),
    RouteDef(
        "POST",
        "/api/PortalLogin/UpdatePasswordResetHistory",
        "update_reset_history",
        query=("PasswordResetHistoryID",),
    ),
    RouteDef("GET", "/api/PortalLogin/ValiadateStoreSSO", "validate_store_sso", query=("storeSSO",)),
    RouteDef("GET", "/api/PortalLogin/ClosureFormSSO", "closure_form_sso", query=("storeSSO",)),
    RouteDef("POST", "/api/PortalLogin/UpdateClientFeedBack", "update_feedback"),
    RouteDef("POST", "/api/PortalLogin/UpdateClosureForm", "update_closure_form"),
)
_UNSHIPPABLE: Final = frozenset({1, 2, 5, 36})  # Live Cart, Abandoned Cart, Cancelled, Rejected
_ODATA_OPTIONS: Final = ("$filter", "$orderby", "$top", "$skip")
#: per entity, the enum property the unknown_enum fault rewrites by default
_ENUM_FIELD: Final = {
    "Order": "OrderStatusId",
    "Product": "OptionTypeId",
    "Shopper": "Gender",
    "Return": "ReturnStatusID",
    "Category": "IsBrand",
    "Embellishment": "PricingType",
    "Supplier": "SupplierID",
    "Admin": "RoleID",
    "Role": "RoleID",
}


class SellersCommerceSimulator(Simulator["SellersCommerceClient", "AsyncSellersCommerceClient"]):
    """A Sellers Commerce store behind its Open API (see the module docstring)."""

    name: ClassVar[str] = "sellerscommerce"
    fault_kinds: ClassVar[Mapping[str, Mapping[str, Any]]] = {
        **FAULT_KINDS,
        "vendor_error": {"code": 29, "detail": None},
    }

    def __init__(
        self,
        clock: ScaledClock | None = None,
        settings: SellersCommerceSettings | None = None,
        *,
        access_key: str | None = None,
        shared_secret: str | None = None,
    ) -> None:
        self.settings = settings if settings is not None else SellersCommerceSettings()
        self.access_key = access_key if access_key is not None else "ak-" + secrets.token_hex(12)
        self.shared_secret = shared_secret if shared_secret is not None else secrets.token_urlsafe(24)
        self.lock = threading.Lock()
        self.stats = SellersCommerceStats()
        self.store = Store.seeded(self.settings.seed_orders + self.settings.extra_orders)
        self._access: dict[str, float] = {}  # access token -> expiry (simulated time)
        self._refresh: dict[str, float] = {}  # live refresh token -> expiry
        self._query_cache: dict[tuple[str, str, str, str], tuple[int, array[int]]] = {}
        self._exact: dict[tuple[str, str], list[RouteDef]] = {}
        self._prefixed: list[RouteDef] = []
        for route in ROUTES:
            if route.param is None:
                self._exact.setdefault((route.static, ""), []).append(route)
            else:
                self._prefixed.append(route)
        super().__init__(clock)

    # ---- counters and tokens, for tests

    @property
    def password_grants(self) -> int:
        return self.stats.password_grants

    @property
    def refresh_grants(self) -> int:
        return self.stats.refresh_grants

    @property
    def refresh_presentations(self) -> dict[str, int]:
        with self.lock:
            return dict(self.stats.refresh_presentations)

    def reused_refresh_tokens(self) -> list[str]:
        """Refresh tokens presented more than once (a rotating client should never do that)."""
        return sorted(t for t, n in self.refresh_presentations.items() if n > 1)

    def issue(self) -> dict[str, Any]:
        """A token response as a password grant gives it, without counting a grant."""
        with self.lock:
            return self._issue()

    def token(self) -> str:
        return str(self.issue()["access_token"])

    def auth_headers(self, token: str | None = None) -> dict[str, str]:
        return {"Authorization": f"bearer {token or self.token()}", "Accept": "application/json"}

    def expire_access_tokens(self) -> None:
        """Every access token dies now (refresh tokens stay usable)."""
        with self.lock:
            self._access.clear()

    def refresh_valid(self, token: str) -> bool:
        with self.lock:
            expiry = self._refresh.get(token)
            return expiry is not None and self.clock.now() < expiry

    def revoke_refresh(self, token: str | None = None) -> None:
        with self.lock:
            if token is None:
                self._refresh.clear()
            else:
                self._refresh.pop(token, None)

    def now(self) -> dt.datetime:
        """Simulated time as UTC (simulated seconds are Unix seconds)."""
        return dt.datetime.fromtimestamp(self.clock.now(), dt.UTC)

    def _issue(self) -> dict[str, Any]:
        now = self.clock.now()
        access = secrets.token_urlsafe(72)
        refresh = str(uuid.uuid4())
        self._access[access] = now + self.settings.access_ttl
        self._refresh[refresh] = now + self.settings.refresh_ttl
        return {
            "access_token": access,
            "token_type": "bearer",
            "expires_in": self.settings.expires_in,
            "refresh_token": refresh,
        }

    # ---- the app

    def route_of(self, method: str, path: str) -> str:
        found = self._match(path)
        return found[0][0].path if found else path

    def build_app(self) -> ASGIApp:
        every = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]
        return Starlette(routes=[Route("/{path:path}", self._serve, methods=every)])

    def _match(self, path: str) -> tuple[list[RouteDef], str | None] | None:
        lowered = path.lower().rstrip("/") or "/"
        exact = self._exact.get((lowered, ""))
        if exact:
            return exact, None
        for route in self._prefixed:
            rest = path[len(route.static) :]
            if lowered.startswith(route.static) and rest and "/" not in rest.rstrip("/"):
                same = [r for r in self._prefixed if r.static == route.static]
                return same, rest.rstrip("/")
        return None

    async def _serve(self, request: Request) -> Response:
        try:
            raw = await request.body()
        except ClientDisconnect:
            return Response(status_code=499)
        # the scope's, not request.url's: urlsplit drops tabs and line breaks (WHATWG), and a path parameter
        # may hold one (%0D)
        path: str = request.scope["path"]
        if path.lower().rstrip("/") == TOKEN_PATH:
            if request.method != "POST":
                return _aspnet(
                    405,
                    f"The requested resource does not support http method '{request.method}'.",
                    {"Allow": "POST"},
                )
            return self._token(request.headers.get("content-type", ""), raw)
        found = self._match(path)
        if found is None:
            return _aspnet(404, f"No HTTP resource was found that matches the request URI '{request.url}'.")
        routes, arg = found
        route = next((r for r in routes if r.method == request.method), None)
        if route is None:
            allow = ", ".join(sorted({r.method for r in routes}))
            return _aspnet(
                405,
                f"The requested resource does not support http method '{request.method}'.",
                {"Allow": allow},
            )
        with self.lock:
            token = bearer_token(request.headers.get("authorization")) or ""
            expiry = self._access.get(token)
            if expiry is None or self.clock.now() >= expiry:
                self.stats.unauthorized += 1
                return _aspnet(401, UNAUTHORIZED, {"WWW-Authenticate": "Bearer"})
            self.stats.api_calls += 1
        fault = self.take_fault(request.scope, "vendor_error")
        if fault is not None:
            code = int(fault["code"])
            return _Json(_envelope(CODES[code][0], code, fault["detail"]), status_code=CODES[code][2])
        try:
            body = self._body(request.headers.get("content-type", ""), raw)
            query_string = bytes(request.scope.get("query_string", b"")).decode("latin-1")
            query_pairs = parse_qsl(query_string, keep_blank_values=True)
            options = {k: v for k, v in query_pairs if k.startswith("$")}
            query: dict[str, str] = {}
            for name, value in query_pairs:
                if not name.startswith("$"):
                    query.setdefault(name.casefold(), value)
            if options and route.list_of is None:  # refused before a write could happen
                listed = ", ".join(options)
                raise ApiError(
                    30,
                    odata.ODataError(f"The query options {listed} apply to list routes only.").args[0],
                    status=400,
                )
            call = Call(request.method, path, query, arg, body)
            with self.lock:
                result = getattr(self, "_h_" + route.handler)(call)
                if isinstance(result, Listing):
                    rows = self._page(result, options)
                    fault = self.take_fault(request.scope, "unknown_enum")
                    if fault is not None:
                        prop = str(fault["field"] or _ENUM_FIELD[result.entity])
                        odd = 999 if fault["value"] is None else fault["value"]
                        rows = [{**r, prop: odd} for r in rows]
                    return _Json(_envelope(rows))
                if result is None:
                    return _Json(_envelope(CODES[PROCESSED][0]))
                return _Json(_envelope(result))
        except ApiError as error:
            return _Json(_envelope(CODES[error.code][0], error.code, error.detail), status_code=error.status)
        except _UnsupportedMedia as error:
            return _aspnet(415, str(error))

    def _body(self, content_type: str, raw: bytes) -> Any:
        if not raw.strip():
            return None
        # a body without Content-Type is application/octet-stream to Web API, which has no formatter for it
        # ([doc] "Every request ... must have a Content-Type Http Request Header with a value of
        # application/json")
        media = content_type.split(";")[0].strip().lower() or "application/octet-stream"
        if media not in ("application/json", "text/json") and not media.endswith("+json"):
            raise _UnsupportedMedia(
                f"The request entity's media type '{media}' is not supported for this resource."
            )
        try:
            return json.loads(raw)
        except (ValueError, UnicodeDecodeError):
            raise ApiError(30, "the body is not valid JSON") from None

    # ---- token endpoint

    def _token(self, content_type: str, raw: bytes) -> Response:
        form: dict[str, str] = {}
        if content_type.split(";")[0].strip().lower() == "application/x-www-form-urlencoded":
            # parsed by hand: Starlette's request.form() needs python-multipart, which is not a dependency
            for name, value in parse_qsl(raw.decode("utf-8", "replace"), keep_blank_values=True):
                form.setdefault(name, value)
        grant = form.get("grant_type")
        with self.lock:
            if grant == "password":
                key, secret = form.get("username", ""), form.get("password", "")
                if not (
                    secrets.compare_digest(key.encode(), self.access_key.encode())
                    and secrets.compare_digest(secret.encode(), self.shared_secret.encode())
                ):
                    self.stats.rejected_grants += 1
                    return _oauth_error("invalid_grant", "The user name or password is incorrect.")
                self.stats.password_grants += 1
                return _Json(self._issue(), headers=_NO_STORE)
            if grant == "refresh_token":
                presented = form.get("refresh_token")
                if not presented:
                    self.stats.rejected_grants += 1
                    return _oauth_error("invalid_request")
                seen = self.stats.refresh_presentations
                seen[presented] = seen.get(presented, 0) + 1
                expiry = self._refresh.pop(presented, None)  # one use: rotation kills it now
                if expiry is None or self.clock.now() >= expiry:
                    self.stats.rejected_grants += 1
                    return _oauth_error("invalid_grant")
                self.stats.refresh_grants += 1
                return _Json(self._issue(), headers=_NO_STORE)
            self.stats.rejected_grants += 1
        return _oauth_error("unsupported_grant_type")

    # ---- OData

    def _page(self, listing: Listing, options: Mapping[str, str]) -> list[dict[str, Any]]:
        allowed = _ODATA_OPTIONS if listing.own_paging is None else ("$filter", "$orderby")
        unknown = [name for name in options if name not in allowed]
        if unknown:
            hint = " (this route pages with its own top and skip)" if unknown[0] in _ODATA_OPTIONS else ""
            raise ApiError(
                30,
                odata.ODataError(f"The query parameter '{unknown[0]}' is not supported{hint}.").args[0],
                status=400,
            )
        try:
            fields = ENTITY_FIELDS[listing.entity]
            where = options.get("$filter")
            order = options.get("$orderby")
            predicate = odata.parse_filter(where, fields, listing.entity) if where is not None else None
            keys = odata.parse_orderby(order, fields, listing.entity) if order is not None else []
            skip = odata.parse_count("$skip", options["$skip"]) if "$skip" in options else 0
            top = odata.parse_count("$top", options["$top"]) if "$top" in options else None
        except odata.ODataError as error:
            raise ApiError(30, str(error), status=400) from None
        if listing.own_paging is not None:
            skip, top = listing.own_paging
        end = listing.size if top is None else min(listing.size, skip + top)
        if predicate is None and not keys:
            return [listing.row(i) for i in range(skip, end)]
        positions = self._positions(listing, where or "", order or "", predicate, keys)
        return [listing.row(i) for i in positions[skip : skip + top if top is not None else None]]

    def _positions(
        self,
        listing: Listing,
        where: str,
        order: str,
        predicate: odata.Predicate | None,
        keys: odata.OrderBy,
    ) -> Sequence[int]:
        """Row positions matching the filter, in the requested order: computed once per store version."""
        cache_key = (listing.entity, str(listing.size), where, order)
        cached = self._query_cache.get(cache_key)
        if cached is not None and cached[0] == self.store.version and listing.entity == "Order":
            return cached[1]
        self.stats.queries_evaluated += 1
        positions: list[int] = []
        values: dict[int, dict[str, Any]] = {}  # the sort keys of the matching rows (rows aren't kept)
        for i in range(listing.size):
            row = listing.row(i)
            if predicate is None or predicate(row):
                positions.append(i)
                if keys:
                    values[i] = {name: row.get(name) for name, _ in keys}
        for name, descending in reversed(keys):  # stable sorts, last key first
            key = odata.sort_key(name)
            positions.sort(key=lambda i, key=key: key(values[i]), reverse=descending)  # type: ignore[misc]
        kept = array("l", positions)
        if listing.entity == "Order":  # the only table big enough to page through; the others are rebuilt
            self._query_cache = {cache_key: (self.store.version, kept)}
        return kept

    # ---- helpers

    def _write(self) -> dt.datetime:
        self.store.version += 1
        return self.now()

    @staticmethod
    def _listing(entity: str, rows: Iterable[dict[str, Any]]) -> Listing:
        snapshot = list(rows)
        return Listing(entity, len(snapshot), snapshot.__getitem__)

    def _product_of(self, code: str, where: str = "ProductCode") -> dict[str, Any]:
        product = self.store.products.get(code.casefold())
        if product is None:
            raise ApiError(34, f"no product with {where} {code!r}")
        return product

    def _category_of(self, code: str) -> dict[str, Any]:
        category = self.store.categories.get(code.casefold())
        if category is None:
            raise ApiError(31, f"no category with CategoryCode {code!r}")
        return category

    def _order_of(self, number: str) -> dict[str, Any]:
        order = self.store.orders.editable(number) if number else None
        if order is None:
            raise ApiError(24, f"no order with OrderNumber {number!r}")
        return order

    def _admin_of(self, user_id: int) -> dict[str, Any]:
        admin = self.store.admins.get(user_id)
        if admin is None:
            raise ApiError(22, f"no user with UserID {user_id}")
        return admin

    # ---- products

    def _h_products(self, call: Call) -> Listing:
        return self._listing("Product", self.store.products.values())

    def _h_product_skus(self, call: Call) -> Listing:
        top = call.param("top", "int", required=False)
        skip = call.param("skip", "int", required=False) or 0
        product_id = call.param("SCproductID", "int", required=False)
        code = call.param("ProductCode", required=False)
        if (top is not None and top < 0) or skip < 0:
            raise ApiError(30, "top and skip must not be negative", status=400)
        rows = [
            s
            for s in self.store.skus.values()
            if (product_id is None or s["SCProductID"] == product_id)
            and (not code or str(s["ProductCode"]).casefold() == code.casefold())
        ]
        rows.sort(key=lambda s: int(s["SKUID"]))
        return Listing("ProductSku", len(rows), rows.__getitem__, own_paging=(skip, top))

    def _h_product(self, call: Call) -> dict[str, Any]:
        return self._product_of(call.arg or "")

    def _h_post_product(self, call: Call) -> None:
        body = _one(call.body, PRODUCT_BODY)
        code = body["ProductCode"]
        existing = self.store.products.get(code.casefold())
        brand = body["BrandName"]
        if brand is not None:
            match = self.store.categories.get(brand.casefold()) or next(
                (
                    c
                    for c in self.store.categories.values()
                    if str(c["CategoryName"]).casefold() == brand.casefold()
                ),
                None,
            )
            if match is None or match["IsBrand"] != 0 or match["ParentCategoryCode"] is not None:
                raise ApiError(35, f"{brand!r} is not a first-level brand category")
            brand = match["CategoryName"]
        for cat in body["Categories"] or []:
            if cat.casefold() not in self.store.categories:
                raise ApiError(36, f"no category with CategoryCode {cat!r}")
        if body["SupplierID"] is not None and all(
            s["SupplierID"] != body["SupplierID"] for s in self.store.suppliers
        ):
            raise ApiError(30, f"no supplier with SupplierID {body['SupplierID']}")
        for sku in body["Skus"] or []:
            owner = self.store.skus.get(sku["SKUCode"].casefold())
            if owner is not None and str(owner["ProductCode"]).casefold() != code.casefold():
                raise ApiError(34, f"SKU {sku['SKUCode']!r} belongs to product {owner['ProductCode']!r}")
        now = self._write()
        product = (
            existing
            if existing is not None
            else {
                "SCProductID": self.store.next_id("product"),
                "ProductCode": code,
                "CreatedDate": now,
                "Skus": [],
                "Categories": [],
                "Description": None,
                "BrandName": None,
                "SalePrice": None,
                "Weight": None,
                "IsActive": True,
                "OptionTypeId": 46,
                "SupplierID": None,
            }
        )
        for name in (
            "ProductName",
            "Description",
            "Price",
            "SalePrice",
            "Weight",
            "IsActive",
            "OptionTypeId",
            "SupplierID",
            "Categories",
        ):
            if body[name] is not None:
                product[name] = body[name]
        if brand is not None:
            product["BrandName"] = brand
        product["ModifiedDate"] = now
        self.store.products[code.casefold()] = product
        for given in body["Skus"] or []:
            sku = self.store.skus.get(given["SKUCode"].casefold())
            if sku is None:
                sku = {
                    "SKUID": self.store.next_id("sku"),
                    "SKUCode": given["SKUCode"],
                    "SCProductID": product["SCProductID"],
                    "ProductCode": code,
                    "OptionName": None,
                    "OptionValue": None,
                    "Price": product["Price"],
                    "SalePrice": None,
                    "Inventory": 0,
                    "IsActive": True,
                }
                product["Skus"].append(sku)
                self.store.skus[given["SKUCode"].casefold()] = sku
            for name in ("OptionName", "OptionValue", "Price", "SalePrice", "Inventory", "IsActive"):
                if given[name] is not None:
                    sku[name] = given[name]
            sku["ModifiedDate"] = now

    def _sku_update(self, call: Call, fields: Mapping[str, F], names: tuple[str, ...]) -> None:
        updates = _many(call.body, fields)
        for update in updates:  # all or nothing: check every SKU first
            if update["SKUCode"].casefold() not in self.store.skus:
                raise ApiError(34, f"no SKU with SKUCode {update['SKUCode']!r}")
        now = self._write()
        for update in updates:
            sku = self.store.skus[update["SKUCode"].casefold()]
            for name in names:
                if update[name] is not None:
                    sku[name] = update[name]
            sku["ModifiedDate"] = now
            self.store.products[str(sku["ProductCode"]).casefold()]["ModifiedDate"] = now

    def _h_update_sku_price(self, call: Call) -> None:
        self._sku_update(call, SKU_PRICE_BODY, ("Price", "SalePrice"))

    def _h_update_sku_inventory(self, call: Call) -> None:
        self._sku_update(call, SKU_INVENTORY_BODY, ("Inventory",))

    def _h_suppliers(self, call: Call) -> Listing:
        return self._listing("Supplier", self.store.suppliers)

    # ---- shoppers

    def _h_shoppers(self, call: Call) -> Listing:
        return self._listing("Shopper", self.store.shoppers.values())

    def _h_shopper(self, call: Call) -> dict[str, Any]:
        shopper = self.store.shoppers.get((call.arg or "").casefold())
        if shopper is None:
            raise ApiError(22, f"no shopper with UserName {call.arg!r}")
        return shopper

    def _h_post_shoppers(self, call: Call) -> None:
        given = _many(call.body, SHOPPER_BODY)
        now = self._write()
        for body in given:
            user = body["UserName"]
            shopper = self.store.shoppers.get(user.casefold()) if user else None
            if shopper is None and body["Email"]:
                shopper = next(
                    (
                        s
                        for s in self.store.shoppers.values()
                        if str(s["Email"]).casefold() == body["Email"].casefold()
                    ),
                    None,
                )
            if shopper is None:
                sid = self.store.next_id("shopper")
                user = user or f"shopper{sid}"
                shopper = {
                    "ShopperID": sid,
                    "UserName": user,
                    "Email": None,
                    "DOB": None,
                    "Gender": None,
                    "Deleted": False,
                    "ShopperTypeID": None,
                    "CreatedDate": now,
                    "Address": [],
                }
                self.store.shoppers[user.casefold()] = shopper
            for name in (
                "Email",
                "FirstName",
                "LastName",
                "DOB",
                "Gender",
                "Deleted",
                "ShopperTypeID",
                "Address",
            ):
                if body[name] is not None:
                    shopper[name] = body[name]
            shopper["ModifiedDate"] = now

    def _h_post_shopper_address(self, call: Call) -> None:
        body = _one(call.body, SHOPPER_ADDRESS_BODY)
        shopper = self.store.shoppers.get(body["UserName"].casefold())
        if shopper is None:
            raise ApiError(22, f"no shopper with UserName {body['UserName']!r}")
        shopper["ModifiedDate"] = self._write()
        for address in body["Address"]:
            name = (address["AddressName"] or "").casefold()
            kept = [
                a for a in shopper["Address"] if not name or (a.get("AddressName") or "").casefold() != name
            ]
            shopper["Address"] = [*kept, address]

    # ---- returns

    def _h_returns(self, call: Call) -> Listing:
        return self._listing("Return", self.store.returns.values())

    def _h_return_(self, call: Call) -> dict[str, Any]:
        found = self.store.returns.get((call.arg or "").casefold())
        if found is None:
            raise ApiError(24, f"no return request with ReturnNumber {call.arg!r}")
        return found

    def _h_post_return(self, call: Call) -> dict[str, Any]:
        body = _one(call.body, RETURN_BODY)
        if not body["Items"]:
            raise ApiError(30, "'Items' must not be empty")
        order = self._order_of(body["OrderNumber"])
        open_skus = {
            str(i["SKUCode"]).casefold()
            for r in self.store.returns.values()
            if r["OrderNumber"] == order["OrderNumber"] and r["ReturnStatusID"] != 99
            for i in r["Items"]
        }
        lines: list[tuple[dict[str, Any], dict[str, Any]]] = []
        for item in body["Items"]:
            line = next(
                (i for i in order["Items"] if str(i["SKUCode"]).casefold() == item["SKUCode"].casefold()),
                None,
            )
            if line is None:
                raise ApiError(25, f"SKU {item['SKUCode']!r} is not in order {order['OrderNumber']}")
            if any(line is taken for taken, _ in lines):
                raise ApiError(30, f"SKU {item['SKUCode']!r} is listed twice")
            if item["SKUCode"].casefold() in open_skus:
                raise ApiError(
                    33, f"a return for SKU {item['SKUCode']!r} of order {order['OrderNumber']} exists"
                )
            left = line["QuantityShipped"] - line["QuantityReturned"]
            if item["Quantity"] > left:
                raise ApiError(
                    26,
                    f"{item['Quantity']} of SKU {item['SKUCode']!r} to return, {left} shipped, not returned",
                )
            lines.append((line, item))
        now = self._write()
        earlier = sum(r["OrderNumber"] == order["OrderNumber"] for r in self.store.returns.values())
        number = f"R{order['OrderNumber']}-{1 + earlier}"
        for line, item in lines:
            line["QuantityReturned"] += item["Quantity"]
        order["ModifiedDate"] = now
        created = {
            "ReturnID": self.store.next_id("return"),
            "ReturnNumber": number,
            "OrderNumber": order["OrderNumber"],
            "ReturnStatusID": 97,
            "ReturnTypeID": body["ReturnTypeID"],
            "PaymentMethodID": order["PaymentMethodId"],  # refunded the way the order was paid
            "RefundAmount": round(sum(line["UnitPrice"] * item["Quantity"] for line, item in lines), 2),
            "Reason": body["Reason"],
            "CreatedDate": now,
            "ModifiedDate": now,
            "Items": [
                {"SKUCode": line["SKUCode"], "Quantity": item["Quantity"], "Reason": item["Reason"]}
                for line, item in lines
            ],
        }
        self.store.returns[number.casefold()] = created
        return created

    # ---- embellishments

    def _h_embellishments(self, call: Call) -> Listing:
        return self._listing("Embellishment", self.store.embellishments)

    def _h_product_embellishments(self, call: Call) -> Listing:
        code = str(self._product_of(call.param("productCode"))["ProductCode"])
        rows = [e for e in self.store.embellishments if code in e["ProductCodes"]]
        return self._listing("Embellishment", rows)

    # ---- categories

    def _h_categories(self, call: Call) -> Listing:
        return self._listing("Category", self.store.categories.values())

    def _h_category(self, call: Call) -> dict[str, Any]:
        return self._category_of(call.arg or "")

    def _h_category_products(self, call: Call) -> Listing:
        code = str(self._category_of(call.arg or "")["CategoryCode"])
        return self._listing("Product", [p for p in self.store.products.values() if code in p["Categories"]])

    def _h_post_categories(self, call: Call) -> None:
        given = _many(call.body, CATEGORY_BODY)
        # code -> its parent's code once the batch is in (casefolded), to find unknown parents and cycles
        spelled = {key: str(c["CategoryCode"]) for key, c in self.store.categories.items()}
        parents = {key: _fold(c["ParentCategoryCode"]) for key, c in self.store.categories.items()}
        for body in given:
            key = body["CategoryCode"].casefold()
            spelled.setdefault(key, body["CategoryCode"])
            if body["ParentCategoryCode"] is not None or key not in parents:
                parents[key] = _fold(body["ParentCategoryCode"])
        for body in given:
            parent = body["ParentCategoryCode"]
            if parent is not None and parent.casefold() not in spelled:
                raise ApiError(32, f"no category with CategoryCode {parent!r}")
            seen, at = {body["CategoryCode"].casefold()}, parents[body["CategoryCode"].casefold()]
            while at is not None:
                if at in seen:
                    raise ApiError(30, f"category {body['CategoryCode']!r} would be its own ancestor")
                seen.add(at)
                at = parents.get(at)
            if parent is not None:
                body["ParentCategoryCode"] = spelled[parent.casefold()]  # the parent's own spelling
        now = self._write()
        for body in given:
            key = body["CategoryCode"].casefold()
            category = self.store.categories.get(key) or {
                "CategoryID": self.store.next_id("category"),
                "CategoryCode": body["CategoryCode"],
                "ParentCategoryCode": None,
                "IsBrand": 1,
                "IsActive": True,
                "DisplayOrder": 0,
                "CreatedDate": now,
            }
            for name in ("CategoryName", "ParentCategoryCode", "IsBrand", "IsActive", "DisplayOrder"):
                if body[name] is not None:
                    category[name] = body[name]
            category["ModifiedDate"] = now
            self.store.categories[key] = category

    def _h_delete_category(self, call: Call) -> None:
        body = _one(call.body, CATEGORY_DELETE_BODY)
        category = self._category_of(body["CategoryCode"])
        code = category["CategoryCode"]
        if body["ActionId"] == 2:  # remove the mapping from its parent: it becomes first-level
            if category["ParentCategoryCode"] is None:
                raise ApiError(30, f"category {code!r} has no parent")
            category["ParentCategoryCode"] = None
            category["ModifiedDate"] = self._write()
            return
        now = self._write()
        del self.store.categories[code.casefold()]
        for child in self.store.categories.values():
            if child["ParentCategoryCode"] == code:
                child["ParentCategoryCode"], child["ModifiedDate"] = category["ParentCategoryCode"], now
        for product in self.store.products.values():
            if code in product["Categories"]:
                product["Categories"] = [c for c in product["Categories"] if c != code]
                product["ModifiedDate"] = now

    def _h_post_product_categories(self, call: Call) -> None:
        given = _many(call.body, PRODUCT_CATEGORY_BODY)
        pairs = [(self._product_of(m["ProductCode"]), self._category_of(m["CategoryCode"])) for m in given]
        now = self._write()
        for product, category in pairs:
            if category["CategoryCode"] not in product["Categories"]:
                product["Categories"] = [*product["Categories"], category["CategoryCode"]]
            product["ModifiedDate"] = now

    def _h_brands(self, call: Call) -> Listing:
        return self._listing("Category", [c for c in self.store.categories.values() if c["IsBrand"] == 0])

    # ---- orders

    def _h_orders(self, call: Call) -> Listing:
        book = self.store.orders
        return Listing("Order", len(book), book.row)

    def _h_order(self, call: Call) -> dict[str, Any]:
        order = self.store.orders.get(call.arg or "")
        if order is None:
            raise ApiError(24, f"no order with OrderNumber {call.arg!r}")
        return order

    def _h_post_shipping(self, call: Call) -> None:
        body = _one(call.body, SHIPPING_BODY)
        carrier, service = body["CarrierId"], body["ServiceTypeId"]
        if service is not None and SERVICE_TYPES[service][1] != carrier:
            raise ApiError(
                30, f"ServiceTypeId {service} belongs to CarrierId {SERVICE_TYPES[service][1]}, not {carrier}"
            )
        if not body["Items"]:
            raise ApiError(30, "'Items' must not be empty")
        order = self._order_of(body["OrderNumber"])
        wanted: dict[str, int] = {}
        for item in body["Items"]:
            wanted[item["SKUCode"].casefold()] = wanted.get(item["SKUCode"].casefold(), 0) + item["Quantity"]
        lines = {str(i["SKUCode"]).casefold(): i for i in order["Items"]}
        for sku, quantity in wanted.items():
            line = lines.get(sku)
            if line is None:
                raise ApiError(25, f"SKU {sku!r} is not in order {order['OrderNumber']}")
            # a cart, a cancelled or a rejected order has nothing to be shipped
            left = 0 if order["OrderStatusId"] in _UNSHIPPABLE else line["Quantity"] - line["QuantityShipped"]
            if quantity > left:
                status = ENUMS["OrderStatusId"][order["OrderStatusId"]]
                raise ApiError(
                    26,
                    f"{quantity} of SKU {line['SKUCode']!r} to ship, {left} left to ship (order: {status})",
                )
        now = self._write()
        shipped_at = body["ShippedDate"] or now
        for sku, quantity in wanted.items():
            line = lines[sku]
            line["QuantityShipped"] += quantity
            order["Shipments"] = [
                *order["Shipments"],
                {
                    "SKUCode": line["SKUCode"],
                    "Quantity": quantity,
                    "TrackingNumber": body["TrackingNumber"],
                    "CarrierId": carrier,
                    "ServiceTypeId": service,
                    "ShippedDate": shipped_at,
                },
            ]
        done = all(i["QuantityShipped"] >= i["Quantity"] for i in order["Items"])
        order["OrderStatusId"] = 9 if done else 8
        order.update(
            CarrierId=carrier,
            ServiceTypeId=service,
            TrackingNumber=body["TrackingNumber"],
            ShippedDate=shipped_at,
            ModifiedDate=now,
        )

    def _h_post_payment(self, call: Call) -> None:
        body = _one(call.body, PAYMENT_BODY)
        order = self._order_of(body["OrderNumber"])
        if order["PaymentStatusId"] == 86:
            captured = net_datetime(order["CapturedDate"] or self.now())
            raise ApiError(28, f"order {order['OrderNumber']} was captured on {captured}")
        if order["PaymentStatusId"] == 74:
            raise ApiError(27, f"order {order['OrderNumber']} was paid with AuthorizeAndCapture")
        now = self._write()
        order.update(
            PaymentStatusId=86,
            TransactionNumber=body["TransactionNumber"],
            AuthorizationCode=body["AuthorizationCode"],
            CapturedDate=now,
            ModifiedDate=now,
        )

    def _h_post_order_status(self, call: Call) -> None:
        body = _one(call.body, ORDER_STATUS_BODY)
        order = self._order_of(body["OrderNumber"])
        now = self._write()
        order.update(OrderStatusId=body["OrderStatusId"], ModifiedDate=now)
        if order["OrderPlacedDate"] is None and body["OrderStatusId"] not in (1, 2):
            order["OrderPlacedDate"] = now

    def _h_post_order_sample(self, call: Call) -> None:
        if not isinstance(call.body, dict):
            raise ApiError(30, "a JSON object body is required")
        self._write()
        self.store.sample_orders.append(call.body)

    # ---- portal admins

    def _h_admins(self, call: Call) -> Listing:
        return self._listing("Admin", self.store.admins.values())

    def _h_admin(self, call: Call) -> dict[str, Any]:
        return self._admin_of(call.param("userid", "int"))

    def _h_post_admin(self, call: Call) -> dict[str, Any]:
        body = _one(call.body, ADMIN_BODY)
        if all(r["RoleID"] != body["RoleID"] for r in self.store.roles):
            raise ApiError(30, f"no role with RoleID {body['RoleID']}")
        user_id = body["UserID"] or 0
        if user_id:
            self._admin_of(user_id)
        for other in self.store.admins.values():
            clash = [
                name
                for name in ("UserName", "Email")
                if str(other[name]).casefold() == body[name].casefold() and other["UserID"] != user_id
            ]
            if clash:
                raise ApiError(33, f"an admin with this {clash[0]} exists (UserID {other['UserID']})")
        now = self._write()
        if not user_id:
            user_id = self.store.next_id("admin")
            self.store.admins[user_id] = {
                "UserID": user_id,
                "IsActive": True,
                "IsContact": False,
                "CreatedDate": now,
            }
        admin = self.store.admins[user_id]
        for name in ("UserName", "Email", "FirstName", "LastName", "RoleID", "IsActive", "IsContact"):
            if body[name] is not None:
                admin[name] = body[name]
        admin.setdefault("FirstName", None)
        admin.setdefault("LastName", None)
        admin["ModifiedDate"] = now
        if body["Password"] is not None:
            self.store.passwords[user_id] = body["Password"]
        return admin

    def _h_email_or_user_exists(self, call: Call) -> bool:
        param = call.param("param")
        user_id = call.param("userid", "int", required=False) or 0
        contact = call.param("isContact", "bool", required=False)
        return any(
            param.casefold() in (str(a["UserName"]).casefold(), str(a["Email"]).casefold())
            and a["UserID"] != user_id
            and (contact is None or a["IsContact"] == contact)
            for a in self.store.admins.values()
        )

    def _h_roles(self, call: Call) -> Listing:
        return self._listing("Role", self.store.roles)

    def _h_raise_request(self, call: Call) -> dict[str, Any]:
        body = _one(call.body, RAISE_REQUEST_BODY)
        if body["StoreSSO"] is not None and body["StoreSSO"] not in self.store.stores:
            raise ApiError(21, f"no store with StoreSSO {body['StoreSSO']!r}")
        now = self._write()
        entry = {"RequestID": self.store.next_id("request"), **body, "CreatedDate": now}
        self.store.requests.append(entry)
        return entry

    def _h_remove_admin(self, call: Call) -> None:
        body = _one(call.body, REMOVE_ADMIN_BODY)
        self._admin_of(body["UserID"])
        self._write()
        del self.store.admins[body["UserID"]]
        self.store.passwords.pop(body["UserID"], None)

    def _h_send_export_email(self, call: Call) -> None:
        call.optional_object()
        entry = {"ExportName": call.param("exportName"), "ExportedBy": call.param("exportedBy")}
        self._write()
        self.store.emails.append({**entry, "SentDate": self.now()})

    def _h_redirect_url(self, call: Call) -> str:
        provider_id = call.param("ProviderID", "int")
        kind = call.param("type", required=False) or "admin"
        provider = self.store.providers.get(provider_id)
        if provider is None:
            raise ApiError(21, f"no provider with ProviderID {provider_id}")
        return f"{provider['Url']}/{kind}"

    # ---- portal login

    def _h_login(self, call: Call) -> dict[str, Any]:
        body = _one(call.body, LOGIN_BODY)
        admin = next(
            (
                a
                for a in self.store.admins.values()
                if str(a["UserName"]).casefold() == body["UserName"].casefold()
            ),
            None,
        )
        if admin is None or not secrets.compare_digest(
            self.store.passwords.get(admin["UserID"], "").encode(), body["Password"].encode()
        ):
            raise ApiError(22, "the user name or password is incorrect")
        return admin

    def _h_forgot_password(self, call: Call) -> bool:
        admin = self._admin_of(call.param("userid", "int"))
        key = call.param("resetkey")
        return any(
            r["UserID"] == admin["UserID"] and r["ResetKey"] == key and not r["Used"]
            for r in self.store.reset_requests.values()
        )

    def _h_change_forgot_password(self, call: Call) -> None:
        body = _one(call.body, CHANGE_PASSWORD_BODY)
        self._admin_of(body["UserID"])
        entry = next(
            (
                r
                for r in self.store.reset_requests.values()
                if r["UserID"] == body["UserID"] and r["ResetKey"] == body["ResetKey"]
            ),
            None,
        )
        if entry is None or entry["Used"]:
            raise ApiError(30, "the reset key is unknown or used")
        self._write()
        entry["Used"] = True
        self.store.passwords[body["UserID"]] = body["NewPassword"]

    def _h_reset_password(self, call: Call) -> dict[str, Any]:
        call.optional_object()
        user = call.param("username")
        admin = next(
            (a for a in self.store.admins.values() if str(a["UserName"]).casefold() == user.casefold()), None
        )
        if admin is None:
            raise ApiError(22, f"no user with UserName {user!r}")
        now = self._write()
        entry = {
            "PasswordResetHistoryID": self.store.next_id("reset"),
            "UserID": admin["UserID"],
            "ResetKey": secrets.token_hex(8),
            "Used": False,
            "CreatedDate": now,
        }
        self.store.reset_requests[entry["PasswordResetHistoryID"]] = entry
        return entry

    def _h_update_reset_history(self, call: Call) -> None:
        call.optional_object()
        entry_id = call.param("PasswordResetHistoryID", "int")
        entry = self.store.reset_requests.get(entry_id)
        if entry is None:
            raise ApiError(30, f"no password reset with PasswordResetHistoryID {entry_id}")
        self._write()
        entry["Used"] = True

    def _h_validate_store_sso(self, call: Call) -> bool:
        store = self.store.stores.get(call.param("storeSSO"))
        return store is not None and bool(store["IsActive"])

    def _h_closure_form_sso(self, call: Call) -> dict[str, Any]:
        key = call.param("storeSSO")
        store = self.store.stores.get(key)
        if store is None:
            raise ApiError(21, f"no store with StoreSSO {key!r}")
        forms = [f for f in self.store.closure_forms if f["StoreSSO"] == key]
        return {**store, "ClosureForm": forms[-1] if forms else None}

    def _h_update_feedback(self, call: Call) -> None:
        body = _one(call.body, FEEDBACK_BODY)
        if body["StoreSSO"] is not None and body["StoreSSO"] not in self.store.stores:
            raise ApiError(21, f"no store with StoreSSO {body['StoreSSO']!r}")
        body["CreatedDate"] = self._write()
        self.store.feedback.append(body)

    def _h_update_closure_form(self, call: Call) -> None:
        body = _one(call.body, CLOSURE_FORM_BODY)
        if body["StoreSSO"] not in self.store.stores:
            raise ApiError(21, f"no store with StoreSSO {body['StoreSSO']!r}")
        body["ModifiedDate"] = self._write()
        self.store.closure_forms.append(body)


def _fold(code: str | None) -> str | None:
    return None if code is None else code.casefold()


class _UnsupportedMedia(Exception):
    pass


_NO_STORE: Final = {"Cache-Control": "no-cache", "Pragma": "no-cache"}


def _oauth_error(error: str, description: str | None = None) -> Response:
    body = {"error": error} if description is None else {"error": error, "error_description": description}
    return _Json(body, status_code=400, headers=_NO_STORE)


# ---------------------------------------------------------------- command line (testing/__main__.py)

_CLI_OPTIONS: Final[Mapping[str, Mapping[str, Any]]] = {
    "extra_orders": {"help": "generated orders after the 40 seeded ones"},
    "access_ttl": {"help": "simulated seconds an access token lives"},
    "refresh_ttl": {"help": "simulated seconds a refresh token lives"},
}


def cli_arguments(parser: argparse.ArgumentParser) -> None:
    settings_options(parser, SellersCommerceSettings(), _CLI_OPTIONS)
    parser.add_argument("--access-key", default=None, help="the access key (default: random)")
    parser.add_argument("--shared-secret", default=None, help="the shared secret (default: random)")


def cli_start(args: argparse.Namespace, stack: ExitStack) -> list[str]:
    settings = settings_from(args, SellersCommerceSettings, _CLI_OPTIONS)
    sim = SellersCommerceSimulator(
        ScaledClock(args.scale), settings, access_key=args.access_key, shared_secret=args.shared_secret
    )
    stack.enter_context(sim.running(args.host, port=args.port))
    return [
        f"Sellers Commerce simulator: {sim.base_url} (clock x{args.scale:g}, {len(sim.store.orders)} orders)",
        f"  access key:    {sim.access_key}",
        f"  shared secret: {sim.shared_secret}",
        "  (simulator-only test credentials)",
        f"  try: curl -s {sim.base_url}/token -d grant_type=password -d username={sim.access_key} "
        f"-d password={sim.shared_secret}",
    ]
