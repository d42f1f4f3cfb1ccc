"""Sellercloud REST API: catalog exports as queued jobs and their output files, sync and async.

`SellercloudClient(server_id, username, password)` (or `SELLERCLOUD_SERVER` / `SELLERCLOUD_USERNAME` /
`SELLERCLOUD_PASSWORD`) → `export_via_plugin(skus, plugin=key)` returns a job handle: `wait()`,
`download(dest)`, `cancel()`; `plugins()` lists the plugin keys; `.api` is the generated client.
"""

from sellerkit import *  # noqa: F403 (the names every vendor package shares)
from sellerkit import _SHARED
from sellerkit import errors as _errors
from sellerkit.errors import *  # noqa: F403 (the complete error set, as in every vendor package)
from sellerkit.sellercloud_api.models import FileFormat, PluginInfo, QueuedJobLogEntry, StandardExportKind

from ._client import AsyncSellercloudClient, ExportPath, SellercloudClient
from ._vendor import job_id

__all__ = [
    "AsyncSellercloudClient",
    "ExportPath",
    "FileFormat",
    "PluginInfo",
    "QueuedJobLogEntry",
    "SellercloudClient",
    "StandardExportKind",
    "job_id",
]
__all__ += _SHARED + _errors.__all__
