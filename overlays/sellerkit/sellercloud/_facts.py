"""Sellercloud vendor facts (vendor-docs/000_01ff09efc8dcbe76.txt; vendor-notes.md § Sellercloud)."""

from __future__ import annotations

from typing import Final

VENDOR: Final = "sellercloud"
SERVER_URL: Final = "https://{server_id}.api.sellercloud.com/rest"
ENV_SERVER: Final = "SELLERCLOUD_SERVER"
ENV_USERNAME: Final = "SELLERCLOUD_USERNAME"
ENV_PASSWORD: Final = "SELLERCLOUD_PASSWORD"
ENV_EXPORT_PATH: Final = "SELLERCLOUD_EXPORT_PATH"

# 10,800 requests per hour per client IP, over every endpoint [doc]: one limiter per process and server
RATE: Final = (10_800, 3600.0, "10,800 requests per hour per IP")
THROTTLE_RESET_KEY: Final = "RateLimitResetTime"
# the throttle body names a reset time up to an hour away: retries may wait that long (plus slack)
MAX_THROTTLE_WAIT: Final = 3600.0 + 120.0

# QueuedJobs Basic.Status [doc]; there is no 2. PartialSuccess produced a file: a success with failures.
SUCCEEDED: Final = frozenset({3, 5})
FAILED: Final = frozenset({4, 7, 8, 9, 10})
# 0 Submitted, 1 Processing, 6 OnHold and any value the docs don't list: still running
FILE_FORMATS: Final = {"tab": 0, "tab_delimited": 0, "csv": 1, "excel": 2, "xlsx": 2}
LOG_PAGE_SIZE: Final = 50  # the documented maximum
