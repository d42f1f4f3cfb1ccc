"""The fields of each Sellers Commerce entity, typed, for OData filters and orderings (and CSV columns).

`Orders.OrderPlacedDate >= date(2016, 1, 1)` is a checked `$filter`; `Orders.OrderNumber.desc` an `$orderby`
term. The docs name only the order dates, `OrderNumber` and the shopper example's fields; the rest follow the
spec's models (`specs/sellerscommerce.yaml`, marked `x-inferred` there) — a test keeps the two equal.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sellerkit._core.odata import Entity, Field

Number = float | Decimal
When = datetime | date


class Orders(Entity):
    """The fields of an Order."""

    title = "Order"
    OrderID = Field[int]("int")
    OrderNumber = Field[str]("string")
    OrderStatusId = Field[int]("int")
    OrderPlacedDate = Field[When]("datetime")
    CreatedDate = Field[When]("datetime")
    ModifiedDate = Field[When]("datetime")
    ShopperUserName = Field[str]("string")
    Email = Field[str]("string")
    FirstName = Field[str]("string")
    LastName = Field[str]("string")
    SubTotal = Field[Number]("number")
    ShippingTotal = Field[Number]("number")
    TaxTotal = Field[Number]("number")
    DiscountTotal = Field[Number]("number")
    OrderTotal = Field[Number]("number")
    DiscountTypeId = Field[int]("int")
    CouponCode = Field[str]("string")
    PaymentMethodId = Field[int]("int")
    PaymentStatusId = Field[int]("int")
    PaymentGatewayId = Field[int]("int")
    TransactionNumber = Field[str]("string")
    AuthorizationCode = Field[str]("string")
    CapturedDate = Field[When]("datetime")
    CarrierId = Field[int]("int")
    ServiceTypeId = Field[int]("int")
    TrackingNumber = Field[str]("string")
    ShippedDate = Field[When]("datetime")
    nested = ("ShippingAddress", "BillingAddress", "Items", "Shipments")


class Products(Entity):
    """The fields of a Product."""

    title = "Product"
    SCProductID = Field[int]("int")
    ProductCode = Field[str]("string")
    ProductName = Field[str]("string")
    Description = Field[str]("string")
    BrandName = Field[str]("string")
    Price = Field[Number]("number")
    SalePrice = Field[Number]("number")
    Weight = Field[Number]("number")
    IsActive = Field[bool]("bool")
    OptionTypeId = Field[int]("int")
    SupplierID = Field[int]("int")
    CreatedDate = Field[When]("datetime")
    ModifiedDate = Field[When]("datetime")
    nested = ("Categories", "Skus")


class ProductSkus(Entity):
    """The fields of a ProductSku."""

    title = "ProductSku"
    SKUID = Field[int]("int")
    SKUCode = Field[str]("string")
    SCProductID = Field[int]("int")
    ProductCode = Field[str]("string")
    OptionName = Field[str]("string")
    OptionValue = Field[str]("string")
    Price = Field[Number]("number")
    SalePrice = Field[Number]("number")
    Inventory = Field[int]("int")
    IsActive = Field[bool]("bool")
    ModifiedDate = Field[When]("datetime")


class Shoppers(Entity):
    """The fields of a Shopper."""

    title = "Shopper"
    ShopperID = Field[int]("int")
    UserName = Field[str]("string")
    Email = Field[str]("string")
    FirstName = Field[str]("string")
    LastName = Field[str]("string")
    DOB = Field[When]("datetime")
    Gender = Field[int]("int")
    Deleted = Field[bool]("bool")
    ShopperTypeID = Field[int]("int")
    CreatedDate = Field[When]("datetime")
    ModifiedDate = Field[When]("datetime")
    nested = ("Address",)


class Returns(Entity):
    """The fields of a Return."""

    title = "Return"
    ReturnID = Field[int]("int")
    ReturnNumber = Field[str]("string")
    OrderNumber = Field[str]("string")
    ReturnStatusID = Field[int]("int")
    ReturnTypeID = Field[int]("int")
    PaymentMethodID = Field[int]("int")
    RefundAmount = Field[Number]("number")
    Reason = Field[str]("string")
    CreatedDate = Field[When]("datetime")
    ModifiedDate = Field[When]("datetime")
    nested = ("Items",)


class Categories(Entity):
    """The fields of a Category."""

    title = "Category"
    CategoryID = Field[int]("int")
    CategoryCode = Field[str]("string")
    CategoryName = Field[str]("string")
    ParentCategoryCode = Field[str]("string")
    IsBrand = Field[int]("int")
    IsActive = Field[bool]("bool")
    DisplayOrder = Field[int]("int")
    CreatedDate = Field[When]("datetime")
    ModifiedDate = Field[When]("datetime")


class Embellishments(Entity):
    """The fields of an Embellishment."""

    title = "Embellishment"
    EmbellishmentID = Field[int]("int")
    EmbellishmentName = Field[str]("string")
    DisplayTypeID = Field[int]("int")
    PricingType = Field[int]("int")
    Price = Field[Number]("number")
    DiscountTypeID = Field[int]("int")
    DiscountValue = Field[Number]("number")
    IsActive = Field[bool]("bool")
    ModifiedDate = Field[When]("datetime")
    nested = ("ProductCodes",)


class Suppliers(Entity):
    """The fields of a Supplier."""

    title = "Supplier"
    SupplierID = Field[int]("int")
    SupplierName = Field[str]("string")
    ContactName = Field[str]("string")
    Email = Field[str]("string")
    Phone = Field[str]("string")
    IsActive = Field[bool]("bool")
    ModifiedDate = Field[When]("datetime")


class Admins(Entity):
    """The fields of an Admin."""

    title = "Admin"
    UserID = Field[int]("int")
    UserName = Field[str]("string")
    Email = Field[str]("string")
    FirstName = Field[str]("string")
    LastName = Field[str]("string")
    RoleID = Field[int]("int")
    IsActive = Field[bool]("bool")
    IsContact = Field[bool]("bool")
    CreatedDate = Field[When]("datetime")
    ModifiedDate = Field[When]("datetime")


class Roles(Entity):
    """The fields of a Role."""

    title = "Role"
    RoleID = Field[int]("int")
    RoleName = Field[str]("string")
