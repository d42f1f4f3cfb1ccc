"""SelSup export API: background exports as job handles, file exports streamed to disk, sync and async.

`SelsupClient(api_key)` (or `SELSUP_API_KEY`) → `start_export(operation, **filters)` returns a `Job`
(`wait()`, `download(dest)`, `cancel()`); `download_file(operation, dest, **filters)` streams one of the 27
file exports to a path, a folder or a writable stream; `operation` is the generated module, e.g.
`from sellerkit.selsup_api.api.file_exports import download_customers_file`, and the filters are checked
against its parameters (mypy via ParamSpec, and again at run time). `.api` is the generated client.
"""

from sellerkit._core.download import DownloadResult
from sellerkit._core.errors import (
    ApiError,
    AuthenticationError,
    BadRequestError,
    ConfigurationError,
    DownloadError,
    JobFailedError,
    JobTimeoutError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitedError,
    SellerkitError,
    ServerError,
)
from sellerkit._core.jobs import AsyncJob, Job, JobState
from sellerkit._core.polling import PollPolicy, Progress
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

from ._client import AsyncSelsupClient, SelsupClient, StreamedFile, Writable, task_state
from ._operations import BACKGROUND_EXPORTS, FILE_EXPORTS, Operation, required_filters

__all__ = [
    "BACKGROUND_EXPORTS",
    "FILE_EXPORTS",
    "AggregationPeriod",
    "AnalyticsField",
    "ApiError",
    "AsyncJob",
    "AsyncSelsupClient",
    "AuthenticationError",
    "BadRequestError",
    "ConfigurationError",
    "DownloadError",
    "DownloadResult",
    "Job",
    "JobFailedError",
    "JobState",
    "JobTimeoutError",
    "Marketplace",
    "NotFoundError",
    "Operation",
    "OrderStatus",
    "OrderType",
    "PermissionDeniedError",
    "PollPolicy",
    "ProductAnalyticField",
    "ProductFilter",
    "Progress",
    "RateLimitedError",
    "SellerkitError",
    "SelsupClient",
    "ServerError",
    "SourceReport",
    "StreamedFile",
    "Task",
    "TaskStatus",
    "Writable",
    "required_filters",
    "task_state",
]
