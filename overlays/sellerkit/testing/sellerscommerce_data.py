"""Sellers Commerce facts and the simulator's store: the docs' enum tables and response codes, the entities'
properties (names the docs give where they give them, inferred otherwise), the seed data (every enum value
in use) and the order book (seeded orders plus any number of generated ones, built on demand).

Facts from vendor-docs/001_045c309ad2f15292.txt: the 17 enum tables, codes 20-36 (there is no 23), the
order date properties `OrderPlacedDate`, `CreatedDate`, `ModifiedDate` and `OrderNumber`, the shopper example
(`FirstName`, `LastName`, `DOB`, `Deleted`, `ShopperTypeID`, `Address[]` with `AddressName`, `AddressLine1`,
`City`, `StateCode`, `CountryCode`, `ZipCode`), the SKU query's `SCproductID` / `ProductCode`. Everything
else about the entities is inferred (the page documents no other model).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from .odata import Fields

__all__ = [
    "CARRIERS",
    "CODES",
    "ENTITY_FIELDS",
    "ENUMS",
    "FIRST_ORDER_NUMBER",
    "ORDER_BASE",
    "OrderBook",
    "Store",
    "make_order",
    "net_datetime",
]

# ---------------------------------------------------------------- the docs' tables

#: code -> (Results name, ResponseMessage, HTTP status), as the docs' table gives them (typos included)
CODES: Final[Mapping[int, tuple[str, str, int]]] = {
    20: ("Processed", "Processed Successfully", 200),
    21: ("ProviderNotExists", "Provider Does Not Exist", 404),
    22: ("UserNotExists", "User Does Not Exist", 404),
    24: ("OrderNotExist", "Order Does Not Exist", 404),
    25: ("SkuNotExist", "Order item with provided SKU Code Does Not Exist in current order", 404),
    26: ("InvalidQty", "Shipment quantity is more than quantity to be shipped.", 406),
    27: ("PaymenExist", "Payment data already exist for requested order", 406),
    28: ("AlreadyCaptured", "Requested Order alredy captured", 406),
    29: ("ProcessFailed", "Process gets failed due to some internal errors", 406),
    30: ("InvalidData", "Invalid data provided", 406),
    31: ("CategoryNotExist", "Category doesn't exists", 406),
    32: ("ParentCategoryNotExists", "Parent Category doesn't exists", 406),
    33: ("Exists", "Already exists for current request", 406),
    34: ("InvalidSku", "Invalid SKU Data Provided", 406),
    35: (
        "BrandNotExists",
        "Brand and First level category does nor match, Brand Does not exist in our database, Please provide "
        "the correct brand name or include it in category if new",
        406,
    ),
    36: (
        "InsertCategoryFailed",
        "Category insertion for this product has been Failed, Please try again with valid data",
        406,
    ),
}

ORDER_STATUS: Final = {
    1: "Live Cart",
    2: "Abandoned Cart",
    3: "Placed",
    4: "Waiting for dropshipment",
    5: "Cancelled",
    6: "Awaiting Fulfillment",
    7: "Awaiting Shipment",
    8: "Partially Shipped",
    9: "Shipped",
    10: "Completed",
    35: "Processing Order",
    36: "Rejected",
    37: "Undelivered",
    38: "Partial Paid",
}
#: ServiceTypeId -> (name, CarrierId)
SERVICE_TYPES: Final = {
    1: ("Ground", 1),
    2: ("Next Day Air Early AM", 1),
    3: ("Next Day Air", 1),
    4: ("Next Day Air Saver", 1),
    5: ("2nd Day Air Early AM", 1),
    6: ("2nd Day Air", 1),
    7: ("3 Day Select", 1),
    8: ("Canada Standard", 1),
    9: ("Worldwide Express", 1),
    10: ("Worldwide Express Plus", 1),
    11: ("Worldwide Expedited", 1),
    13: ("ExpressMail", 2),
    14: ("PriorityMail", 2),
    15: ("Parcel Post (Machinable)", 2),
    16: ("Library", 2),
    17: ("Media", 2),
    18: ("Priority Overnight", 8),
    19: ("Standard Overnight", 8),
    20: ("First Overnight", 8),
    21: ("FedEx 2 Day", 8),
    22: ("FedEx Express Saver", 8),
    23: ("International Priority", 8),
    24: ("International Economy", 8),
    25: ("International First", 8),
    26: ("FedEx 1 Day Freight", 8),
    27: ("FedEx 2 Day Freight", 8),
    28: ("FedEx 3 Day Freight", 8),
    29: ("FedEx Ground", 8),
    30: ("Ground Home Delivery", 8),
    31: ("International Priority Freight", 8),
    32: ("International Economy Freight", 8),
    34: ("Tier One", 10),
    35: ("Tier Two", 10),
    36: ("Tier Three", 10),
}
CARRIERS: Final = {
    1: "UPS",
    2: "USPS",
    3: "Flat Rate Per Item",
    4: "Ship By Weight",
    5: "Ship By Order Total",
    6: "Flat Rate Per Order",
    7: "In Store Pick Up",
    8: "FEDEX",
    10: "Ship by Order Total[Tiered]",
}
PAYMENT_METHODS: Final = {
    30: "PayPal [Express Checkout]",
    31: "Credit Card",
    32: "Manual Payment",
    33: "Purchase Order",
    90: "Store Credit",
    91: "Gift Card",
    224: "Cyber Source (Secure Acceptance)",
}
DISCOUNT_TYPES: Final = {3: "Flat", 4: "Percentage", 5: "DiscountOnOtherProduct", 6: "BuyXGetY", 217: "None"}
PAYMENT_STATUS: Final = {74: "AuthorizeAndCapture", 75: "AuthorizeOnly", 86: "PriorAuthCapture"}
PAYMENT_GATEWAYS: Final = {
    25: "Authorized Net",
    26: "Moneris",
    27: "PayPal [Credit Card]",
    28: "XCharge",
    29: "Sage",
    73: "USAePay",
    96: "Fast Charge",
    206: "PayPal [Express Checkout]",
    220: "Stripe",
    221: "Square",
    229: "Cyber Source(Secure Acceptance)",
}
GENDER: Final = {1: "Male", 2: "Female"}
IS_BRAND: Final = {0: "Yes", 1: "No"}  # sic: 0 is Yes
OPTION_TYPES: Final = {46: "Multiple", 47: "Swatch"}
ACTIONS: Final = {1: "Remove Category and Mapping", 2: "Remove Category Mapping from Parent"}
PRICING_TYPES: Final = {1: "Amount", 2: "Percentage", 3: "FreeShipping"}
DISPLAY_TYPES: Final = {1: "Text Box", 2: "Drop Down", 3: "Picture"}
EMBELLISHMENT_DISCOUNT_TYPES: Final = {1: "Price Discount", 2: "Percentage Discount"}
# the second PaymentMethodId table ("Payment Method ID", before the return tables): the same seven rows
RETURN_PAYMENT_METHODS: Final = dict(PAYMENT_METHODS)
RETURN_STATUS: Final = {
    97: "Return Initiated",
    98: "Return Accepted",
    99: "Return Rejected",
    100: "Return Refunded",
    104: "Return Partially Accepted",
}
RETURN_TYPES: Final = {102: "Replaced", 103: "Refunded"}

#: the enum tables by the column name they document
ENUMS: Final[Mapping[str, Mapping[int, str]]] = {
    "OrderStatusId": ORDER_STATUS,
    "ServiceTypeId": {k: v[0] for k, v in SERVICE_TYPES.items()},
    "CarrierId": CARRIERS,
    "PaymentMethodId": PAYMENT_METHODS,
    "DiscountTypeId": DISCOUNT_TYPES,
    "PaymentStatusId": PAYMENT_STATUS,
    "PaymentGatewayId": PAYMENT_GATEWAYS,
    "Gender": GENDER,
    "IsBrand": IS_BRAND,
    "OptionTypeId": OPTION_TYPES,
    "ActionId": ACTIONS,
    "PricingType": PRICING_TYPES,
    "DisplayTypeID": DISPLAY_TYPES,
    "DiscountTypeID": EMBELLISHMENT_DISCOUNT_TYPES,
    "ReturnPaymentMethodID": RETURN_PAYMENT_METHODS,
    "ReturnStatusID": RETURN_STATUS,
    "ReturnTypeID": RETURN_TYPES,
}

# ---------------------------------------------------------------- entities (EDM type name -> properties)

_DATES: Final = {"CreatedDate": "datetime", "ModifiedDate": "datetime"}
ENTITY_FIELDS: Final[Mapping[str, Fields]] = {
    "Order": {
        "OrderID": "int",
        "OrderNumber": "string",
        "OrderStatusId": "int",
        "OrderPlacedDate": "datetime",
        **_DATES,
        "ShopperUserName": "string",
        "Email": "string",
        "FirstName": "string",
        "LastName": "string",
        "SubTotal": "number",
        "ShippingTotal": "number",
        "TaxTotal": "number",
        "DiscountTotal": "number",
        "OrderTotal": "number",
        "DiscountTypeId": "int",
        "CouponCode": "string",
        "PaymentMethodId": "int",
        "PaymentStatusId": "int",
        "PaymentGatewayId": "int",
        "TransactionNumber": "string",
        "AuthorizationCode": "string",
        "CapturedDate": "datetime",
        "CarrierId": "int",
        "ServiceTypeId": "int",
        "TrackingNumber": "string",
        "ShippedDate": "datetime",
        "ShippingAddress": "object",
        "BillingAddress": "object",
        "Items": "list",
        "Shipments": "list",
    },
    "Product": {
        "SCProductID": "int",
        "ProductCode": "string",
        "ProductName": "string",
        "Description": "string",
        "BrandName": "string",
        "Price": "number",
        "SalePrice": "number",
        "Weight": "number",
        "IsActive": "bool",
        "OptionTypeId": "int",
        "SupplierID": "int",
        **_DATES,
        "Categories": "list",
        "Skus": "list",
    },
    "ProductSku": {
        "SKUID": "int",
        "SKUCode": "string",
        "SCProductID": "int",
        "ProductCode": "string",
        "OptionName": "string",
        "OptionValue": "string",
        "Price": "number",
        "SalePrice": "number",
        "Inventory": "int",
        "IsActive": "bool",
        "ModifiedDate": "datetime",
    },
    "Shopper": {
        "ShopperID": "int",
        "UserName": "string",
        "Email": "string",
        "FirstName": "string",
        "LastName": "string",
        "DOB": "datetime",
        "Gender": "int",
        "Deleted": "bool",
        "ShopperTypeID": "int",
        **_DATES,
        "Address": "list",
    },
    "Return": {
        "ReturnID": "int",
        "ReturnNumber": "string",
        "OrderNumber": "string",
        "ReturnStatusID": "int",
        "ReturnTypeID": "int",
        "PaymentMethodID": "int",
        "RefundAmount": "number",
        "Reason": "string",
        **_DATES,
        "Items": "list",
    },
    "Category": {
        "CategoryID": "int",
        "CategoryCode": "string",
        "CategoryName": "string",
        "ParentCategoryCode": "string",
        "IsBrand": "int",
        "IsActive": "bool",
        "DisplayOrder": "int",
        **_DATES,
    },
    "Embellishment": {
        "EmbellishmentID": "int",
        "EmbellishmentName": "string",
        "DisplayTypeID": "int",
        "PricingType": "int",
        "Price": "number",
        "DiscountTypeID": "int",
        "DiscountValue": "number",
        "IsActive": "bool",
        "ProductCodes": "list",
        "ModifiedDate": "datetime",
    },
    "Supplier": {
        "SupplierID": "int",
        "SupplierName": "string",
        "ContactName": "string",
        "Email": "string",
        "Phone": "string",
        "IsActive": "bool",
        "ModifiedDate": "datetime",
    },
    "Admin": {
        "UserID": "int",
        "UserName": "string",
        "Email": "string",
        "FirstName": "string",
        "LastName": "string",
        "RoleID": "int",
        "IsActive": "bool",
        "IsContact": "bool",
        **_DATES,
    },
    "Role": {"RoleID": "int", "RoleName": "string"},
}


def net_datetime(moment: dt.datetime) -> str:
    """Json.NET's ISO form, as in the docs' example (`2016-04-27T14:38:17.1709364+00:00`): up to 7 fraction
    digits with trailing zeros dropped (none at all for whole seconds), offset `+00:00`."""
    if moment.utcoffset() != _ZERO:
        moment = moment.astimezone(dt.UTC)
    text = moment.replace(tzinfo=None).isoformat()  # no fraction when microsecond == 0
    if moment.microsecond:
        text = text.rstrip("0")
    return text + "+00:00"


_ZERO: Final = dt.timedelta(0)


# ---------------------------------------------------------------- the order book

FIRST_ORDER_NUMBER: Final = 100001
ORDER_BASE: Final = dt.datetime(2016, 1, 1, tzinfo=dt.UTC)
ORDER_SPACING: Final = 1800  # seconds between two orders' creation: 100k orders end in 2021
#: (CarrierId, ServiceTypeId) pairs cycled by the orders: every service type with its carrier, then the
#: carriers that have none (ServiceTypeId null) - 38 pairs, so 38 orders use every value of both tables
_SHIPPING: Final = [(carrier, sid) for sid, (_, carrier) in SERVICE_TYPES.items()] + [
    (carrier, None) for carrier in CARRIERS if carrier not in {c for _, c in SERVICE_TYPES.values()}
]
_STATUSES: Final = list(ORDER_STATUS)
_METHODS: Final = list(PAYMENT_METHODS)
_PAYMENT_STATUS: Final = list(PAYMENT_STATUS)
_GATEWAYS: Final = list(PAYMENT_GATEWAYS)
_DISCOUNTS: Final = list(DISCOUNT_TYPES)
_SHOPPED: Final = ("jdoe", "asmith", "mkowalski", "lnguyen", "pgarcia", "deleted.user")
_SHIPPED_STATUSES: Final = frozenset({9, 10, 37})
_UNPLACED: Final = frozenset({1, 2})  # carts: no OrderPlacedDate


def make_order(index: int, skus: list[Mapping[str, Any]]) -> dict[str, Any]:
    """Order number FIRST_ORDER_NUMBER + index, deterministic from its index (and the SKUs it can contain)."""
    status = _STATUSES[index % len(_STATUSES)]
    carrier, service = _SHIPPING[index % len(_SHIPPING)]
    created = ORDER_BASE + dt.timedelta(
        seconds=index * ORDER_SPACING, microseconds=(index * 104729) % 1_000_000
    )
    placed = None if status in _UNPLACED else created + dt.timedelta(minutes=5 + index % 7)
    modified = created + dt.timedelta(hours=1 + index % 97)
    count = 2 if status == 8 else 1 + index % 3
    items = []
    for k in range(count):
        sku = skus[(index * 7 + k * 3) % len(skus)]
        quantity = 1 + (index + k) % 3
        if status in _SHIPPED_STATUSES:
            shipped = quantity
        elif status == 8:  # partially shipped: the first item went out
            shipped = quantity if k == 0 else 0
        else:
            shipped = 0
        price = float(sku["Price"])
        items.append(
            {
                "OrderItemID": index * 10 + k + 1,
                "SKUCode": sku["SKUCode"],
                "ProductCode": sku["ProductCode"],
                "ProductName": sku["ProductName"],
                "Quantity": quantity,
                "QuantityShipped": shipped,
                "QuantityReturned": 0,
                "UnitPrice": price,
                "TotalPrice": round(price * quantity, 2),
            }
        )
    subtotal = round(sum(i["TotalPrice"] for i in items), 2)
    discount_type = _DISCOUNTS[index % len(_DISCOUNTS)]
    discount = 0.0 if discount_type == 217 else round(subtotal * 0.05, 2)
    shipping_total = 0.0 if carrier == 7 else 7.95
    tax = round((subtotal - discount) * 0.0725, 2)
    payment_status = _PAYMENT_STATUS[index % len(_PAYMENT_STATUS)]
    captured = payment_status != 75 and placed is not None
    shipped_any = any(i["QuantityShipped"] for i in items)
    shopper = _SHOPPED[index % len(_SHOPPED)]
    address = {
        "AddressName": "Home",
        "AddressLine1": f"{100 + index % 900} Main Street",
        "AddressLine2": None,
        "City": "Springfield",
        "StateCode": "IL",
        "CountryCode": "US",
        "ZipCode": f"{62701 + index % 50:05d}",
    }
    shipped_at = (placed or created) + dt.timedelta(days=1)
    return {
        "OrderID": index + 1,
        "OrderNumber": str(FIRST_ORDER_NUMBER + index),
        "OrderStatusId": status,
        "OrderPlacedDate": placed,
        "CreatedDate": created,
        "ModifiedDate": modified,
        "ShopperUserName": shopper,
        "Email": f"{shopper}@example.com",
        "FirstName": shopper.split(".")[0].title(),
        "LastName": "O'Neil" if index % 11 == 0 else "Smith",
        "SubTotal": subtotal,
        "ShippingTotal": shipping_total,
        "TaxTotal": tax,
        "DiscountTotal": discount,
        "OrderTotal": round(subtotal - discount + shipping_total + tax, 2),
        "DiscountTypeId": discount_type,
        "CouponCode": None if discount_type == 217 else f"SAVE{index % 10}",
        "PaymentMethodId": _METHODS[index % len(_METHODS)],
        "PaymentStatusId": payment_status,
        "PaymentGatewayId": _GATEWAYS[index % len(_GATEWAYS)],
        "TransactionNumber": f"TXN{index:08d}" if placed is not None else None,
        "AuthorizationCode": f"AUTH{index % 100000:05d}" if placed is not None else None,
        "CapturedDate": placed if captured else None,
        "CarrierId": carrier,
        "ServiceTypeId": service,
        "TrackingNumber": f"1Z{index:012d}" if shipped_any else None,
        "ShippedDate": shipped_at if shipped_any else None,
        "ShippingAddress": address,
        "BillingAddress": dict(address),
        "Items": items,
        "Shipments": [
            {
                "SKUCode": i["SKUCode"],
                "Quantity": i["QuantityShipped"],
                "TrackingNumber": f"1Z{index:012d}",
                "CarrierId": carrier,
                "ServiceTypeId": service,
                "ShippedDate": shipped_at,
            }
            for i in items
            if i["QuantityShipped"]
        ],
    }


class OrderBook:
    """Orders by position: the first `len` are numbered FIRST_ORDER_NUMBER onwards and built on demand from
    their index; only orders a write changed (or added) are kept. Reading a page builds only that page, so a
    100k-order export costs O(page) per page and constant memory."""

    def __init__(self, count: int, skus: list[Mapping[str, Any]]) -> None:
        self.count = count
        self.skus = skus
        self.changed: dict[int, dict[str, Any]] = {}

    def __len__(self) -> int:
        return self.count

    def row(self, index: int) -> dict[str, Any]:
        kept = self.changed.get(index)
        return kept if kept is not None else make_order(index, self.skus)

    def __iter__(self) -> Iterator[dict[str, Any]]:
        return (self.row(i) for i in range(self.count))

    def index_of(self, number: str) -> int | None:
        text = number.strip()
        if not text.isdigit():
            return None
        index = int(text) - FIRST_ORDER_NUMBER
        return index if 0 <= index < self.count else None

    def get(self, number: str) -> dict[str, Any] | None:
        index = self.index_of(number)
        return None if index is None else self.row(index)

    def editable(self, number: str) -> dict[str, Any] | None:
        """The order to change in place (kept from now on)."""
        index = self.index_of(number)
        if index is None:
            return None
        return self.changed.setdefault(index, self.row(index))

    def add(self, order: dict[str, Any]) -> None:
        index = self.count
        order["OrderID"], order["OrderNumber"] = index + 1, str(FIRST_ORDER_NUMBER + index)
        self.changed[index] = order
        self.count += 1


# ---------------------------------------------------------------- the rest of the store

SEED_ORDERS: Final = 40  # > 38: every (carrier, service type) pair and every other order enum value appears


def _at(days: float) -> dt.datetime:
    return ORDER_BASE + dt.timedelta(days=days)


@dataclass
class Store:
    """Everything the simulated shop holds. Keys of the dicts are casefolded codes/names (SQL Server's
    default collation compares case-insensitively); rows keep the original spelling."""

    categories: dict[str, dict[str, Any]] = field(default_factory=dict)
    products: dict[str, dict[str, Any]] = field(default_factory=dict)
    skus: dict[str, dict[str, Any]] = field(default_factory=dict)  # SKUCode -> SKU row (also in its product)
    shoppers: dict[str, dict[str, Any]] = field(default_factory=dict)
    returns: dict[str, dict[str, Any]] = field(default_factory=dict)
    embellishments: list[dict[str, Any]] = field(default_factory=list)
    suppliers: list[dict[str, Any]] = field(default_factory=list)
    admins: dict[int, dict[str, Any]] = field(default_factory=dict)
    roles: list[dict[str, Any]] = field(default_factory=list)
    providers: dict[int, dict[str, Any]] = field(default_factory=dict)
    stores: dict[str, dict[str, Any]] = field(default_factory=dict)  # store SSO key -> the store
    orders: OrderBook = field(default_factory=lambda: OrderBook(0, []))
    passwords: dict[int, str] = field(default_factory=dict)  # admin UserID -> portal password
    reset_requests: dict[int, dict[str, Any]] = field(default_factory=dict)  # PasswordResetHistoryID -> entry
    requests: list[dict[str, Any]] = field(default_factory=list)  # store closure requests (RaiseRequest)
    closure_forms: list[dict[str, Any]] = field(default_factory=list)
    feedback: list[dict[str, Any]] = field(default_factory=list)
    emails: list[dict[str, Any]] = field(default_factory=list)  # SendExportEmail
    sample_orders: list[Any] = field(default_factory=list)  # OrderSamplePost bodies
    version: int = 0  # bumped by every write (query caches key on it)
    next_ids: dict[str, int] = field(default_factory=dict)

    def next_id(self, kind: str) -> int:
        self.next_ids[kind] = self.next_ids.get(kind, 1000) + 1
        return self.next_ids[kind]

    @classmethod
    def seeded(cls, orders: int = SEED_ORDERS) -> Store:
        store = cls()
        store._seed_catalog()
        skus = sorted(store.skus.values(), key=lambda s: int(s["SKUID"]))
        store.orders = OrderBook(orders, [{**s, "ProductName": store._product_name(s)} for s in skus])
        store._seed_people()
        store._seed_returns()
        return store

    def _product_name(self, sku: Mapping[str, Any]) -> str:
        return str(self.products[str(sku["ProductCode"]).casefold()]["ProductName"])

    def _seed_catalog(self) -> None:
        categories = [
            # code, name, parent, IsBrand (0 = Yes)
            ("acme", "Acme", None, 0),
            ("globex", "Globex", None, 0),
            ("initech", "Initech", None, 0),
            ("apparel", "Apparel", None, 1),
            ("shirts", "Shirts", "apparel", 1),
            ("shoes", "Shoes", None, 1),
            ("sale", "Sale", None, 1),
            ("kids-shirts", "Kids' Shirts", "shirts", 1),
        ]
        for n, (code, name, parent, brand) in enumerate(categories):
            self.categories[code] = {
                "CategoryID": 1 + n,
                "CategoryCode": code,
                "CategoryName": name,
                "ParentCategoryCode": parent,
                "IsBrand": brand,
                "IsActive": code != "sale",
                "DisplayOrder": n,
                "CreatedDate": _at(n),
                "ModifiedDate": _at(n + 30),
            }
        self.suppliers = [
            {
                "SupplierID": 1 + n,
                "SupplierName": name,
                "ContactName": contact,
                "Email": f"sales@{name.lower()}.test",
                "Phone": f"+1-555-010{n}",
                "IsActive": n != 2,
                "ModifiedDate": _at(10 + n),
            }
            for n, (name, contact) in enumerate(
                [("Northwind", "Ann Lee"), ("Contoso", "Bo Chen"), ("Fabrikam", "Cy Dunn")]
            )
        ]
        brands = ("Acme", "Globex", "Initech")
        products = [
            ("TSHIRT-01", "Classic T-Shirt", ["apparel", "shirts"], ("S", "M", "L"), 19.99),
            ("TSHIRT-02", "V-Neck T-Shirt", ["shirts"], ("M", "L"), 21.5),
            ("KIDS-TEE", 'Kids\' Tee "Rocket"', ["kids-shirts"], ("XS",), 12.0),
            ("SNEAKER-1", "Runner Sneaker", ["shoes"], ("40", "41", "42"), 89.0),
            ("SNEAKER-2", "Trail Sneaker", ["shoes", "sale"], ("42",), 99.95),
            ("SOCKS-3P", "Socks 3-pack", ["apparel"], ("ONE",), 9.99),
            ("CAP-ACME", "Acme Cap", ["apparel", "sale"], ("Red", "Blue"), 15.0),
            ("MUG-01", "Coffee Mug", [], ("ONE",), 7.25),
        ]
        sku_id = 1
        for n, (code, name, cats, options, price) in enumerate(products):
            product: dict[str, Any] = {
                "SCProductID": 501 + n,
                "ProductCode": code,
                "ProductName": name,
                "Description": f"{name} - seeded by the simulator",
                "BrandName": brands[n % 3],
                "Price": price,
                "SalePrice": round(price * 0.9, 2) if "sale" in cats else None,
                "Weight": 0.25 + n / 10,
                "IsActive": n != 7,
                "OptionTypeId": 46 if n % 2 == 0 else 47,
                "SupplierID": 1 + n % 3,
                "CreatedDate": _at(40 + n),
                "ModifiedDate": _at(60 + n * 3),
                "Categories": list(cats),
                "Skus": [],
            }
            for option in options:
                sku = {
                    "SKUID": sku_id,
                    "SKUCode": f"{code}-{option}",
                    "SCProductID": product["SCProductID"],
                    "ProductCode": code,
                    "OptionName": "Size" if n != 6 else "Color",
                    "OptionValue": option,
                    "Price": price,
                    "SalePrice": product["SalePrice"],
                    "Inventory": (sku_id * 13) % 50,
                    "IsActive": True,
                    "ModifiedDate": _at(60 + n * 3),
                }
                sku_id += 1
                product["Skus"].append(sku)
                self.skus[str(sku["SKUCode"]).casefold()] = sku
            self.products[code.casefold()] = product
        self.embellishments = [
            {
                "EmbellishmentID": 1 + n,
                "EmbellishmentName": f"Embellishment {n + 1}",
                "DisplayTypeID": 1 + n % 3,
                "PricingType": 1 + n % 3,
                "Price": 2.5 + n,
                "DiscountTypeID": 1 + n % 2,
                "DiscountValue": float(n % 2 * 10),
                "IsActive": n != 5,
                "ProductCodes": [products[n % len(products)][0]],
                "ModifiedDate": _at(20 + n),
            }
            for n in range(6)
        ]
        # Text Box/Drop Down/Picture x Amount/Percentage/FreeShipping: 1 + n % 3 pairs them; make every
        # combination of display and pricing types appear too
        self.embellishments[3]["PricingType"], self.embellishments[4]["PricingType"] = 2, 3

    def _seed_people(self) -> None:
        shoppers = [
            ("jdoe", "John", "Doe", 1, False),
            ("asmith", "Anna", "Smith", 2, False),
            ("mkowalski", "Marek", "Kowalski", 1, False),
            ("lnguyen", "Linh", "Nguyen", 2, False),
            ("pgarcia", "Pilar", "García", 2, False),
            ("deleted.user", "Del", "Eted", 1, True),
        ]
        for n, (user, first, last, gender, deleted) in enumerate(shoppers):
            self.shoppers[user.casefold()] = {
                "ShopperID": 301 + n,
                "UserName": user,
                "Email": f"{user}@example.com",
                "FirstName": first,
                "LastName": last,
                "DOB": None if n == 3 else dt.datetime(1970 + n * 5, 1 + n, 10 + n, tzinfo=dt.UTC),
                "Gender": gender,
                "Deleted": deleted,
                "ShopperTypeID": 11 if n % 2 == 0 else 12,
                "CreatedDate": _at(5 + n),
                "ModifiedDate": _at(50 + n),
                "Address": [
                    {
                        "AddressName": "Home",
                        "AddressLine1": f"{10 + n} Elm Street",
                        "AddressLine2": None,
                        "City": "Springfield",
                        "StateCode": "IL",
                        "CountryCode": "US",
                        "ZipCode": "62701",
                    }
                ],
            }
        self.roles = [
            {"RoleID": 1, "RoleName": "Administrator"},
            {"RoleID": 2, "RoleName": "Catalog Manager"},
            {"RoleID": 3, "RoleName": "Order Manager"},
        ]
        admins = [
            ("admin", "Ada", "Admin", 1, True),
            ("catalog", "Cat", "Alog", 2, False),
            ("orders", "Oz", "Orders", 3, True),
        ]
        for n, (user, first, last, role, contact) in enumerate(admins):
            self.admins[1 + n] = {
                "UserID": 1 + n,
                "UserName": user,
                "Email": f"{user}@shop.test",
                "FirstName": first,
                "LastName": last,
                "RoleID": role,
                "IsActive": True,
                "IsContact": contact,
                "CreatedDate": _at(n),
                "ModifiedDate": _at(n + 1),
            }
            self.passwords[1 + n] = f"{user}-password"
        self.providers = {
            1: {"ProviderID": 1, "Name": "Main store", "Url": "https://shop.example.com"},
            2: {"ProviderID": 2, "Name": "Wholesale store", "Url": "https://wholesale.example.com"},
        }
        self.stores = {
            "store-sso-1": {
                "StoreSSO": "store-sso-1",
                "ProviderID": 1,
                "StoreName": "Main store",
                "IsActive": True,
            },
        }

    def _seed_returns(self) -> None:
        """Five returns (one per ReturnStatusID, both ReturnTypeIDs) on shipped seed orders."""
        seeds = (self.orders.row(i) for i in range(min(len(self.orders), SEED_ORDERS)))
        shipped = [o for o in seeds if o["OrderStatusId"] in _SHIPPED_STATUSES][: len(RETURN_STATUS)]
        for n, (order, status) in enumerate(zip(shipped, RETURN_STATUS, strict=False)):
            kept = self.orders.editable(order["OrderNumber"])
            assert kept is not None
            item = kept["Items"][0]
            item["QuantityReturned"] = 1
            number = f"R{kept['OrderNumber']}-1"
            self.returns[number.casefold()] = {
                "ReturnID": 1 + n,
                "ReturnNumber": number,
                "OrderNumber": kept["OrderNumber"],
                "ReturnStatusID": status,
                "ReturnTypeID": 102 if n % 2 == 0 else 103,
                "PaymentMethodID": kept["PaymentMethodId"],  # refunded the way the order was paid
                "RefundAmount": item["UnitPrice"],
                "Reason": "Too small" if n % 2 == 0 else "Changed my mind",
                "CreatedDate": kept["ModifiedDate"],
                "ModifiedDate": kept["ModifiedDate"],
                "Items": [{"SKUCode": item["SKUCode"], "Quantity": 1, "Reason": "Too small"}],
            }
