"""Wabi2b declared for the kit: credentials, servers, quotas, and how its bulk-download jobs read."""

from __future__ import annotations

from typing import Any

from sellerkit._core.bodies import ErrorFacts
from sellerkit._core.errors import JobFailedError
from sellerkit._core.jobs import JobSpec, JobState
from sellerkit._core.quota import Quota
from sellerkit._core.steps import Send, Steps
from sellerkit._core.vendor import Credential, Vendor
from sellerkit.wabi2b_api import AuthenticatedClient
from sellerkit.wabi2b_api.api.product_bulk_download import get_products_bulk_download_status
from sellerkit.wabi2b_api.models import ProductsBulkDownloadStatus

from . import _facts


def _raw_jwt(value: str) -> str | None:
    if value.lower().startswith("bearer "):
        return "Wabi2b takes the raw JWT in Authorization, without 'Bearer ': drop the prefix"
    if value.count(".") != 2:
        return "this is not a JWT (three dot-separated parts): use the token from Wabi2b's Authenticate API"
    return None


def job_state(reference: str, status: ProductsBulkDownloadStatus) -> JobState:
    """A bulk download's status as a `JobState` (pure)."""
    text = str(status.status)
    complete = text == _facts.STATUS_COMPLETE
    running = text == _facts.STATUS_IN_PROGRESS  # the answer to almost every poll: no pattern search
    failed = not complete and not running and bool(_facts.FAILURE_STATUS.search(text))
    path = status.path if isinstance(status.path, str) else None
    return JobState(
        reference=reference,
        status=text,
        terminal=complete or failed,
        succeeded=complete and path is not None,
        result_url=path,
        message=None if complete or running else f"status {text!r}",
        raw=status,
    )


class BulkDownloads(JobSpec):
    """Wabi2b's callback codes: polled by status; no cancel is documented."""

    def fetch(self, client: Any, reference: str) -> Steps[JobState]:
        response = yield Send(client._request(get_products_bulk_download_status, call_back_code=reference))
        return job_state(
            reference, client._parse(get_products_bulk_download_status, response, ProductsBulkDownloadStatus)
        )

    def failure(self, client: Any, state: JobState) -> Steps[JobFailedError]:
        reason = (
            "the job finished without a file path" if state.status == _facts.STATUS_COMPLETE else "failed"
        )
        return JobFailedError(
            f"bulk download {reason}", vendor=_facts.VENDOR, reference=state.reference, status=state.status
        )
        yield


VENDOR = Vendor(
    name=_facts.VENDOR,
    title="Wabi2b",
    credentials=(
        Credential(
            "jwt",
            _facts.ENV_JWT,
            "the JWT from Wabi2b's Authenticate API",
            may_be_callable=True,
            check=_raw_jwt,
        ),
        Credential("api_key", _facts.ENV_API_KEY, "the seller API key from Wabi2b onboarding"),
    ),
    errors=ErrorFacts(_facts.VENDOR, hints={401: "check WABI2B_JWT (it expires) and WABI2B_API_KEY"}),
    quotas=tuple(Quota(limit, period, name) for limit, period, name in _facts.QUOTAS),
    quota_scope="api_key",  # per seller key, shared by every client of that key in the process
    quota_counts_files=False,  # spec x-quotas: the bulk download's POST and GET, not its result files
    # a full 5-minute window is waited out by default; running out of the 24-hour one raises instead
    max_wait=300.0 + 30.0,
    jobs=BulkDownloads(),
    generated=AuthenticatedClient,
)
JOBS = VENDOR.jobs
