"""SelSup export API: background exports as job handles, file exports streamed to disk, sync and async.

`SelsupClient(api_key)` (or `SELSUP_API_KEY`) → `start_export(operation, **filters)` returns a `Job`
(`wait()`, `download(dest)`, `cancel()`); `download_file(operation, dest, **filters)` streams one of the 27
file exports to a path, a folder or a writable stream; `operation` is the generated module, e.g.
`from sellerkit.selsup_api.api.file_exports import download_customers_file`, and the filters are checked
against its parameters (mypy via ParamSpec, and again at run time). `.api` is the generated client.
"""

from sellerkit import *  # noqa: F403 (the names every vendor package shares)
from sellerkit import _SHARED
from sellerkit import errors as _errors
from sellerkit._core.download import Writable
from sellerkit._core.operations import Operation, required_filters
from sellerkit.errors import *  # noqa: F403 (the complete error set, as in every vendor package)
from sellerkit.selsup_api.models import (
    AggregationPeriod,
    AnalyticsField,
    Marketplace,
    OrderStatus,
    OrderType,
    ProductAnalyticField,
    ProductFilter,
    SourceReport,
    Task,
    TaskStatus,
)
from sellerkit.selsup_api.operations import BACKGROUND_EXPORTS, FILE_EXPORTS

from ._client import AsyncSelsupClient, SelsupClient
from ._vendor import task_state

__all__ = [
    "BACKGROUND_EXPORTS",
    "FILE_EXPORTS",
    "AggregationPeriod",
    "AnalyticsField",
    "AsyncSelsupClient",
    "Marketplace",
    "Operation",
    "OrderStatus",
    "OrderType",
    "ProductAnalyticField",
    "ProductFilter",
    "SelsupClient",
    "SourceReport",
    "Task",
    "TaskStatus",
    "Writable",
    "required_filters",
    "task_state",
]
__all__ += _SHARED + _errors.__all__
