"""Sellers Commerce Open API: its 51 operations, OData queries with paging, paged exports; sync and async.

`SellersCommerceClient(access_key, shared_secret)` (or `SELLERSCOMMERCE_ACCESS_KEY` /
`SELLERSCOMMERCE_SHARED_SECRET`) logs in with the OAuth password grant and keeps its rotating refresh tokens
in a token store. `call(operation, **params)` sends any operation of `sellerkit.sellerscommerce_api` (reads
and writes with their documented bodies) and checks the envelope's StatusCode (codes 21-36 are typed
errors such as `OrderNotFoundError`); `rows("orders", filter=Orders.OrderPlacedDate >= date(2016, 1, 1))`
iterates a list route page by page; `export("orders", "exports/", format="csv", since="last")` writes one
file, resumable and incremental. `.api` is the generated client.
"""

from sellerkit import *  # noqa: F403 (the names every vendor package shares)
from sellerkit import _SHARED
from sellerkit import errors as _errors
from sellerkit._core.auth import CallbackTokenStore, FileTokenStore, TokenSet, TokenStore
from sellerkit._core.export import ExportProgress, ExportResult
from sellerkit._core.odata import Entity, Field, Filter
from sellerkit.errors import *  # noqa: F403 (the complete error set, as in every vendor package)
from sellerkit.sellerscommerce_api.operations import OPERATIONS

from ._client import AsyncSellersCommerceClient, SellersCommerceClient
from ._entities import (
    Admins,
    Categories,
    Embellishments,
    Orders,
    Products,
    ProductSkus,
    Returns,
    Roles,
    Shoppers,
    Suppliers,
)
from ._facts import EXPORT_FORMATS
from ._routes import ENTITIES
from ._vendor import (
    ERROR_CLASSES,
    AlreadyCapturedError,
    AlreadyExistsError,
    BrandNotFoundError,
    CategoryNotFoundError,
    InsertCategoryFailedError,
    InvalidDataError,
    InvalidQuantityError,
    InvalidSkuError,
    OrderNotFoundError,
    ParentCategoryNotFoundError,
    PaymentExistsError,
    ProcessFailedError,
    ProviderNotFoundError,
    SkuNotInOrderError,
    UserNotFoundError,
)

__all__ = [
    "ENTITIES",
    "ERROR_CLASSES",
    "EXPORT_FORMATS",
    "OPERATIONS",
    "Admins",
    "AlreadyCapturedError",
    "AlreadyExistsError",
    "AsyncSellersCommerceClient",
    "BrandNotFoundError",
    "CallbackTokenStore",
    "Categories",
    "CategoryNotFoundError",
    "Embellishments",
    "Entity",
    "ExportProgress",
    "ExportResult",
    "Field",
    "FileTokenStore",
    "Filter",
    "InsertCategoryFailedError",
    "InvalidDataError",
    "InvalidQuantityError",
    "InvalidSkuError",
    "OrderNotFoundError",
    "Orders",
    "ParentCategoryNotFoundError",
    "PaymentExistsError",
    "ProcessFailedError",
    "ProductSkus",
    "Products",
    "ProviderNotFoundError",
    "Returns",
    "Roles",
    "SellersCommerceClient",
    "Shoppers",
    "SkuNotInOrderError",
    "Suppliers",
    "TokenSet",
    "TokenStore",
    "UserNotFoundError",
]
__all__ += _SHARED + _errors.__all__
