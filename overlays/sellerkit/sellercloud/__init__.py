"""Sellercloud REST API: catalog exports as queued jobs and their output files, sync and async.

`SellercloudClient(server_id, username, password)` (or `SELLERCLOUD_SERVER` / `SELLERCLOUD_USERNAME` /
`SELLERCLOUD_PASSWORD`) → `export_via_plugin(skus, plugin=key)` returns a job handle: `wait()`,
`download(dest)`, `cancel()`; `plugins()` lists the plugin keys; `.api` is the generated client.
"""

from sellerkit._core.errors import (
    ApiError,
    AuthenticationError,
    ConfigurationError,
    DownloadError,
    JobFailedError,
    JobTimeoutError,
    RateLimitedError,
    SellerkitError,
)
from sellerkit._core.polling import PollPolicy
from sellerkit.sellercloud_api.models import FileFormat, PluginInfo, QueuedJobLogEntry, StandardExportKind

from ._client import (
    AsyncSellercloudClient,
    AsyncSellercloudJob,
    ExportPath,
    SellercloudClient,
    SellercloudJob,
    job_id,
)

__all__ = [
    "ApiError",
    "AsyncSellercloudClient",
    "AsyncSellercloudJob",
    "AuthenticationError",
    "ConfigurationError",
    "DownloadError",
    "ExportPath",
    "FileFormat",
    "JobFailedError",
    "JobTimeoutError",
    "PluginInfo",
    "PollPolicy",
    "QueuedJobLogEntry",
    "RateLimitedError",
    "SellercloudClient",
    "SellercloudJob",
    "SellerkitError",
    "StandardExportKind",
    "job_id",
]
