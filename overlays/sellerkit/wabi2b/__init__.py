"""Wabi2b Seller API: product bulk download by GTIN, as typed rows (JSON or CSV), sync and async.

`Wabi2bClient(jwt, api_key)` (or `WABI2B_JWT` / `WABI2B_API_KEY`) → `bulk_download(gtins)` yields `Product`
rows; `submit()` / `job(reference)` give the underlying job handles; `.api` is the generated client.
"""

from sellerkit import *  # noqa: F403 (the names every vendor package shares)
from sellerkit import _SHARED
from sellerkit import errors as _errors
from sellerkit.errors import *  # noqa: F403 (the complete error set, as in every vendor package)
from sellerkit.wabi2b_api.payloads.products import (
    LastSaveStatus,
    Media,
    MediaType,
    Product,
    PublishStatus,
    Spec,
)

from ._client import AsyncWabi2bClient, BulkProgress, Environment, Wabi2bClient
from ._plan import DuplicateGtinWarning
from ._rows import PayloadError, iter_rows

__all__ = [
    "AsyncWabi2bClient",
    "BulkProgress",
    "DuplicateGtinWarning",
    "Environment",
    "LastSaveStatus",
    "Media",
    "MediaType",
    "PayloadError",
    "Product",
    "PublishStatus",
    "Spec",
    "Wabi2bClient",
    "iter_rows",
]
__all__ += _SHARED + _errors.__all__
