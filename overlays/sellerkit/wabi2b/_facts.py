"""Wabi2b vendor facts (docs: vendor-docs/003_ecfc890c38ed19fd.txt; notes: vendor-notes.md § Wabi2b)."""

from __future__ import annotations

import re
from typing import Final

VENDOR: Final = "wabi2b"
SERVERS: Final = {
    "sandbox": "https://sandbox.sellerapi.mywabi2b.com/v1",
    "production": "https://sellerapi.mywabi2b.com/v1",
}
ENV_JWT: Final = "WABI2B_JWT"
ENV_API_KEY: Final = "WABI2B_API_KEY"
ENV_ENVIRONMENT: Final = "WABI2B_ENVIRONMENT"

MAX_GTINS_PER_REQUEST: Final = 10_000
GTIN_LENGTH: Final = 14
FORMATS: Final = ("json", "csv")

# per seller, over the bulk download's POST and GET together (spec: info.x-quotas)
QUOTAS: Final = ((750, 300.0, "750 calls per 5 minutes"), (15_000, 86_400.0, "15,000 calls per 24 hours"))

STATUS_COMPLETE: Final = "Complete"
STATUS_IN_PROGRESS: Final = "In Progress"
# The docs list no failure status. Inferred: an unknown status that reads like a failure ends the wait;
# any other unknown status (e.g. "Queued") counts as still running.
FAILURE_STATUS: Final = re.compile(r"fail|error|cancel|abort|reject|expire", re.IGNORECASE)
