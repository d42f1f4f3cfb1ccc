"""WEBSALE vendor facts (vendor-docs/002_5dc7a05c1fad6588.txt; vendor-notes.md § WEBSALE; the spec)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

VENDOR: Final = "websale"
# base `https://{shop-domain}/admin/api/v1/` [doc]
BASE_URL: Final = "https://{shop}/admin/api/v1"
ENV_SHOP: Final = "WEBSALE_SHOP"
ENV_EMAIL: Final = "WEBSALE_EMAIL"
ENV_PASSWORD: Final = "WEBSALE_PASSWORD"
ENV_API_KEY: Final = "WEBSALE_API_KEY"

# "Supported services and formats" [doc]; the same table as the spec's `x-service-formats` (a test compares)
SERVICE_FORMATS: Final[Mapping[str, tuple[str, ...]]] = {
    "adminUser": ("json", "csv"),
    "category": ("json", "csv"),
    "customerAccount": ("json", "csv"),
    "dataFeed": ("json", "csv"),
    "dataFeedTemplate": ("json", "csv"),
    "inquiry": ("json", "csv", "xml"),
    "inventory": ("json", "csv"),
    "order": ("json", "xml"),
    "newsletterSubscriber": ("json", "csv"),
    "product": ("json", "csv"),
    "productRating": ("json", "csv"),
    "seoViews": ("json", "csv"),
    "transaction": ("json", "csv"),
    "voucher": ("json", "csv"),
    "voucherPreset": ("json", "csv"),
    "voucherTemplate": ("json", "csv"),
}
DEFAULT_FORMAT: Final = "json"  # every service supports it

# status values 0-6 [doc]; Canceled, Finished and Error end an export. Ready ("ready to be executed") on a
# handle means no export of the service exists any more: the handle's export is gone, so it ends it too.
STATUS_NAMES: Final = ("Ready", "Starting", "Running", "Paused", "Canceled", "Finished", "Error")
SUCCEEDED: Final = frozenset({5})
TERMINAL: Final = frozenset({0, 4, 5, 6})
RUNNING: Final = frozenset({1, 2, 3})  # what a new start would cancel [doc]
SUBSHOP_SEPARATOR: Final = "@"  # a job reference: "<service>" or "<service>@<subshopId>"
