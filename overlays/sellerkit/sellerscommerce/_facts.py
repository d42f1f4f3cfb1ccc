"""Sellers Commerce vendor facts (vendor-docs/001_045c309ad2f15292.txt; vendor-notes.md § Sellers Commerce;
specs/sellerscommerce.yaml)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

VENDOR: Final = "sellerscommerce"
BASE_URL: Final = "https://api.sellerscommerce.com"
TOKEN_PATH: Final = "/token"  # password and refresh grants, form-encoded [doc; form encoding inferred]
ENV_ACCESS_KEY: Final = "SELLERSCOMMERCE_ACCESS_KEY"
ENV_SHARED_SECRET: Final = "SELLERSCOMMERCE_SHARED_SECRET"

ACCESS_LIFETIME: Final = 3599.0  # "expires_in": 3599, "valid for 1 hr" [doc]
REFRESH_LIFETIME: Final = 4 * 3600.0  # "regenerated ... till 4 hrs"; every refresh returns a new one [doc]

# the envelope {Results, ResponseMessage, StatusCode} [doc]; 20 "Processed" is success [doc]
OK_CODE: Final = 20
# code → (Results text, documented HTTP status) [doc: the response-code table]
ERROR_CODES: Final[Mapping[int, tuple[str, int]]] = {
    21: ("ProviderNotExists", 404),
    22: ("UserNotExists", 404),
    24: ("OrderNotExist", 404),
    25: ("SkuNotExist", 404),
    26: ("InvalidQty", 406),
    27: ("PaymenExist", 406),
    28: ("AlreadyCaptured", 406),
    29: ("ProcessFailed", 406),
    30: ("InvalidData", 406),
    31: ("CategoryNotExist", 406),
    32: ("ParentCategoryNotExists", 406),
    33: ("Exists", 406),
    34: ("InvalidSku", 406),
    35: ("BrandNotExists", 406),
    36: ("InsertCategoryFailed", 406),
}

# OData on the getall routes: $filter and $orderby [doc], $top and $skip [inferred: the spec marks them]
# [inferred] the docs give no page size: 500 orders are ~0.5 MiB of JSON; a server capping $top lower still
# pages right (the client skips by the rows it got and stops at an empty page)
DEFAULT_PAGE_SIZE: Final = 500
MAX_PAGE_SIZE: Final = 1000  # [inferred] a bound of ours: larger pages only cost memory
MAX_PAGES: Final = 1_000_000  # a bound on any paged read: a server ignoring $skip cannot loop forever

EXPORT_FORMATS: Final = ("jsonl", "csv")
