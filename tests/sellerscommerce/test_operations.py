"""Every one of the 51 operations against the simulator, parametrised from the generated operations table
(the spec's), sync and async: `call(operation, **params)` sends it with its documented parameters and body,
the envelope's StatusCode is 20 and the answer parses as the operation's success model."""

from __future__ import annotations

import importlib
import types
import typing
from collections.abc import Callable
from types import ModuleType
from typing import Any, get_args, get_origin

import pytest
import yaml

from sellerkit.sellerscommerce_api.operations import OPERATIONS
from sellerkit.sellerscommerce_api.types import Unset
from sellerkit.testing.sellerscommerce import SellersCommerceSimulator
from tests.conftest import ROOT
from tests.sellerscommerce.conftest import MODES, aw, dual

API = [op for op in OPERATIONS if op.tag != "authentication"]  # the token endpoint is the auth's
SPEC: dict[str, Any] = yaml.safe_load((ROOT / "specs" / "sellerscommerce.yaml").read_text("utf-8"))
SHOPPERS = SPEC["components"]["examples"]["ShopperArray"]["value"]  # the docs' example array


def module(op: Any) -> ModuleType:
    return importlib.import_module(f"sellerkit.sellerscommerce_api.api.{op.tag}.{op.name}")


def typed_body(operation: ModuleType, raw: Any) -> Any:
    """A JSON body as the generated model (or list of models) the operation's builder takes."""
    hint = typing.get_type_hints(operation._get_kwargs)["body"]
    is_union = get_origin(hint) in (typing.Union, types.UnionType)
    (arm,) = [a for a in get_args(hint) if a is not Unset] if is_union else [hint]
    if get_origin(arm) is list:
        (model,) = get_args(arm)
        return [model.from_dict(item) for item in raw]
    return arm.from_dict(raw)


def shipped_order_without_return(sim: SellersCommerceSimulator) -> tuple[str, str]:
    returned = {r["OrderNumber"] for r in sim.store.returns.values()}
    for i in range(40):
        order = sim.store.orders.row(i)
        if order["OrderStatusId"] in (9, 10) and order["OrderNumber"] not in returned:
            return order["OrderNumber"], order["Items"][0]["SKUCode"]
    raise AssertionError("the seed has no shipped order without a return")


def placed_order(sim: SellersCommerceSimulator) -> tuple[str, str]:
    order = next(sim.store.orders.row(i) for i in range(40) if sim.store.orders.row(i)["OrderStatusId"] == 3)
    return order["OrderNumber"], order["Items"][0]["SKUCode"]


def reset_entry(sim: SellersCommerceSimulator) -> dict[str, Any]:
    """A password reset of admin 1, as `resetPassword` leaves one."""
    with sim.lock:
        entry = {"PasswordResetHistoryID": 901, "UserID": 1, "ResetKey": "k-901", "Used": False}
        sim.store.reset_requests[901] = {**entry, "CreatedDate": sim.now()}
    return entry


def return_body(number: str, sku: str) -> dict[str, Any]:
    return {"body": {"OrderNumber": number, "ReturnTypeID": 103, "Items": [{"SKUCode": sku, "Quantity": 1}]}}


def shipping_body(number: str, sku: str) -> dict[str, Any]:
    items = [{"SKUCode": sku, "Quantity": 1}]
    body = {
        "OrderNumber": number,
        "CarrierId": 1,
        "ServiceTypeId": 1,
        "TrackingNumber": "1Z9",
        "Items": items,
    }
    return {"body": body}


Sample = Callable[[SellersCommerceSimulator], dict[str, Any]]
# operation module name -> its parameters (and `body` as JSON) for a call that succeeds on the seeded store
SAMPLES: dict[str, Sample] = {
    # products
    "list_products": lambda sim: {"top": 5},
    "list_all_products": lambda sim: {"filter_": "IsActive eq true"},
    "list_product_skus": lambda sim: {"top": 3, "skip": 1, "product_code": "TSHIRT-01"},
    "get_product": lambda sim: {"productcode": "TSHIRT-01"},
    "save_product": lambda sim: {
        "body": {"ProductCode": "NEW-1", "ProductName": "New", "Price": 5.0, "BrandName": "Acme"}
    },
    "update_sku_price": lambda sim: {"body": [{"SKUCode": "TSHIRT-01-M", "Price": 18.5}]},
    "update_sku_inventory": lambda sim: {"body": [{"SKUCode": "TSHIRT-01-M", "Inventory": 7}]},
    "list_suppliers": lambda sim: {"orderby": "SupplierName desc"},
    "get_products": lambda sim: {},
    # shoppers
    "list_shoppers": lambda sim: {"filter_": "Gender eq 2"},
    "get_shopper": lambda sim: {"username": "jdoe"},
    "save_shoppers": lambda sim: {
        "body": SPEC["components"]["examples"]["ShopperArray"]["value"]
    },  # the docs'
    "save_shopper_addresses": lambda sim: {
        "body": {"UserName": "jdoe", "Address": [{"AddressName": "Work", "City": "Chicago"}]}
    },
    # returns
    "list_returns": lambda sim: {"orderby": "ReturnNumber"},
    "get_return": lambda sim: {"returnnumber": next(iter(sim.store.returns.values()))["ReturnNumber"]},
    "create_return": lambda sim: return_body(*shipped_order_without_return(sim)),
    # embellishments
    "list_embellishments": lambda sim: {"top": 2},
    "list_product_embellishments": lambda sim: {"product_code": "TSHIRT-01"},
    # categories
    "list_categories": lambda sim: {"filter_": "ParentCategoryCode eq null"},
    "get_category": lambda sim: {"categorycode": "shirts"},
    "list_category_products": lambda sim: {"categorycode": "shoes"},
    "save_categories": lambda sim: {
        "body": [{"CategoryCode": "hats", "CategoryName": "Hats", "ParentCategoryCode": "apparel"}]
    },
    "delete_category": lambda sim: {"body": {"CategoryCode": "kids-shirts", "ActionId": 1}},
    "save_product_categories": lambda sim: {"body": [{"ProductCode": "MUG-01", "CategoryCode": "sale"}]},
    "list_brands": lambda sim: {},
    # orders
    "list_orders": lambda sim: {"filter_": "OrderPlacedDate gt datetime'2016-01-01'", "top": 10},
    "get_orders": lambda sim: {"orderby": "OrderNumber desc", "top": 3},
    "get_order": lambda sim: {"ordernumber": "100001"},
    "save_shipping_information": lambda sim: shipping_body(*placed_order(sim)),
    "save_payment_information": lambda sim: {
        "body": {
            "OrderNumber": next(
                sim.store.orders.row(i)["OrderNumber"]
                for i in range(40)
                if sim.store.orders.row(i)["PaymentStatusId"] == 75
            ),
            "TransactionNumber": "T-1",
            "AuthorizationCode": "A-1",
        }
    },
    "update_order_status": lambda sim: {"body": {"OrderNumber": "100003", "OrderStatusId": 35}},
    "order_sample_post": lambda sim: {"body": {"OrderNumber": "S-1", "Note": "sample"}},
    # portal admins
    "list_admins": lambda sim: {},
    "get_admin": lambda sim: {"userid": 1},
    "save_admin": lambda sim: {"body": {"UserName": "new", "Email": "new@shop.test", "RoleID": 2}},
    "is_email_or_user_name_exists": lambda sim: {"param": "admin", "userid": 2, "is_contact": True},
    "get_user_by_id": lambda sim: {"userid": 2},
    "list_roles": lambda sim: {},
    "raise_request": lambda sim: {
        "body": {"StoreSSO": "store-sso-1", "RequestedBy": "admin", "Reason": "closing"}
    },
    "remove_admin": lambda sim: {"body": {"UserID": 3}},
    "send_export_email": lambda sim: {"export_name": "orders", "exported_by": "admin"},
    "get_redirect_url": lambda sim: {"provider_id": 1, "type_": "admin"},
    # portal login
    "portal_login": lambda sim: {"body": {"UserName": "admin", "Password": "admin-password"}},
    "forgot_password": lambda sim: (lambda e: {"userid": e["UserID"], "resetkey": e["ResetKey"]})(
        reset_entry(sim)
    ),
    "change_forgot_password": lambda sim: (
        lambda e: {"body": {"UserID": e["UserID"], "ResetKey": e["ResetKey"], "NewPassword": "n3w"}}
    )(reset_entry(sim)),
    "reset_password": lambda sim: {"username": "catalog"},
    "update_password_reset_history": lambda sim: {
        "password_reset_history_id": reset_entry(sim)["PasswordResetHistoryID"]
    },
    "validate_store_sso": lambda sim: {"store_sso": "store-sso-1"},
    "closure_form_sso": lambda sim: {"store_sso": "store-sso-1"},
    "update_client_feedback": lambda sim: {
        "body": {"StoreSSO": "store-sso-1", "FeedBack": "great", "Rating": 5}
    },
    "update_closure_form": lambda sim: {"body": {"StoreSSO": "store-sso-1", "Reason": "moving on"}},
}


def test_the_table_covers_every_operation_of_the_spec() -> None:
    assert len(API) == 51 and sorted(SAMPLES) == sorted(op.name for op in API)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("op", API, ids=[op.name for op in API])
def test_every_operation_answers_with_its_success_envelope(
    op: Any, mode: str, sim: SellersCommerceSimulator
) -> None:
    operation = module(op)
    params = SAMPLES[op.name](sim)
    if "body" in params:
        params["body"] = typed_body(operation, params["body"])

    async def script(client: Any) -> Any:
        return await aw(client.call(operation, **params))

    answer = dual(mode, sim, script)
    success = typing.get_type_hints(operation._parse_response)["return"]
    envelopes = [
        a for a in get_args(success) if a.__name__.endswith("Envelope") and a.__name__ != "ErrorEnvelope"
    ]
    assert type(answer) in envelopes, (type(answer), envelopes)
    assert answer.status_code == 20
    assert sim.requests.calls(method=op.method) >= 1
    assert any(r.method == op.method and r.path.lower() == _path(op, params).lower() for r in sim.requests)


def _path(op: Any, params: dict[str, Any]) -> str:
    path = str(op.path)
    for name, value in params.items():
        path = path.replace("{" + name + "}", str(value))
    return path
