"""WEBSALE Admin Interface API: report exports of its 16 services as job handles, sync and async.

`WebsaleClient(shop, email=..., password=...)` (or `api_key=`, or `WEBSALE_*` variables) →
`start_export(service, format="csv")` returns a `Job` (`wait()` with progress, `pause()`, `resume()`,
`cancel()`, `download(dest)`); `client.job("product")` rebuilds it anywhere. `SERVICE_FORMATS` lists the
formats each service supports.
"""

from sellerkit import *  # noqa: F403 (the names every vendor package shares)
from sellerkit import _SHARED
from sellerkit import errors as _errors
from sellerkit.errors import *  # noqa: F403 (the complete error set, as in every vendor package)
from sellerkit.websale_api.models import Format, ReportStatus, ReportStatusValue, Service

from ._client import AsyncWebsaleClient, WebsaleClient
from ._facts import SERVICE_FORMATS
from ._vendor import ExportRunningError, ExportStateError, report_state

__all__ = [
    "SERVICE_FORMATS",
    "AsyncWebsaleClient",
    "ExportRunningError",
    "ExportStateError",
    "Format",
    "ReportStatus",
    "ReportStatusValue",
    "Service",
    "WebsaleClient",
    "report_state",
]
__all__ += _SHARED + _errors.__all__
