"""WEBSALE declared for the kit: login tokens, `{type, message}` errors, one export per service as a job."""

from __future__ import annotations

from typing import Any

import httpx

from sellerkit._core.auth import TokenSet
from sellerkit._core.bodies import ErrorFacts
from sellerkit._core.errors import ConfigurationError, JobError, NotFoundError
from sellerkit._core.jobs import JobSpec, JobState
from sellerkit._core.polling import Progress
from sellerkit._core.redact import Secret
from sellerkit._core.steps import Send, Steps
from sellerkit._core.vendor import Credential, Vendor
from sellerkit.websale_api import AuthenticatedClient
from sellerkit.websale_api.api.reports import cancel_report, get_report_status, pause_report, resume_report
from sellerkit.websale_api.models import ReportStatus, Service
from sellerkit.websale_api.types import Unset

from . import _facts


class ExportRunningError(JobError):
    """An export of the service is running: starting another would cancel it (pass `replace_running=True`)."""


class ExportStateError(JobError):
    """WEBSALE answered 404: the export is not running (pause, cancel) or not paused (resume)."""


def check_service(service: object) -> str:
    value = service.value if isinstance(service, Service) else service
    if not isinstance(value, str) or value not in _facts.SERVICE_FORMATS:
        raise ConfigurationError(
            f"WEBSALE has no service {service!r}; the services: {', '.join(_facts.SERVICE_FORMATS)}"
        )
    return value


def split(reference: str) -> tuple[Service, str | None]:
    service, _, subshop = reference.partition(_facts.SUBSHOP_SEPARATOR)
    return Service(service), subshop or None


def report_state(reference: str, body: ReportStatus) -> JobState:
    """A status body as a `JobState` (pure): the 0-6 value, progress in percent and entries, the file link."""
    code = int(body.status)
    name = _facts.STATUS_NAMES[code] if 0 <= code < len(_facts.STATUS_NAMES) else f"Unknown({code})"
    progress = None if isinstance(body.progress, Unset) else body.progress
    entries = None if isinstance(body.processed_entries, Unset) else body.processed_entries
    fraction = None if progress is None else min(max(progress / 100.0, 0.0), 1.0)
    link = None if isinstance(body.file_link, Unset) else body.file_link
    return JobState(
        reference=reference,
        status=name,
        terminal=code in _facts.TERMINAL,
        succeeded=code in _facts.SUCCEEDED,
        progress=Progress(fraction=fraction, processed=entries),
        result_url=link or None,
        message="no export of the service exists (Ready)" if code == 0 else None,
        raw=body,
    )


def parse_tokens(response: httpx.Response, now: float) -> TokenSet:
    """The login/refresh answer `{accessToken, refreshToken, expiresIn}` (expiresIn is inferred: optional)."""
    try:
        body = response.json()
    except ValueError:
        raise ValueError("the login answer is not JSON") from None
    access = body.get("accessToken") if isinstance(body, dict) else None
    if not isinstance(access, str) or not access:
        raise ValueError("the login answer has no accessToken")
    refresh, lifetime = body.get("refreshToken"), body.get("expiresIn")
    seconds = lifetime if isinstance(lifetime, int | float) and not isinstance(lifetime, bool) else None
    return TokenSet(
        access_token=Secret(access),
        obtained_at=now,
        expires_at=None if seconds is None else now + seconds,
        refresh_token=Secret(refresh) if isinstance(refresh, str) and refresh else None,
    )


class Reports(JobSpec):
    """One export per service (and subshop): the reference is the service; `report/{service}/status`."""

    def reference(self, value: object) -> str:
        text = super().reference(value)
        service, _, subshop = text.partition(_facts.SUBSHOP_SEPARATOR)
        check_service(service)
        return text if subshop or _facts.SUBSHOP_SEPARATOR not in text else service

    def _call(self, client: Any, operation: Any, reference: str, verb: str) -> Steps[JobState]:
        service, subshop = split(reference)
        try:
            response = yield Send(client._request(operation, service=service, subshop_id=subshop))
        except NotFoundError as exc:  # [doc] 404: not running (pause, cancel) / not paused (resume)
            raise ExportStateError(
                f"cannot {verb} the WEBSALE {service.value} export: {exc.vendor_message or 'not running'}",
                vendor=_facts.VENDOR,
                reference=reference,
            ) from exc
        return report_state(reference, client._parse(operation, response, ReportStatus))

    def fetch(self, client: Any, reference: str) -> Steps[JobState]:
        return (yield from self._call(client, get_report_status, reference, "read"))

    def pause(self, client: Any, reference: str) -> Steps[JobState]:
        return (yield from self._call(client, pause_report, reference, "pause"))

    def resume(self, client: Any, reference: str) -> Steps[JobState]:
        return (yield from self._call(client, resume_report, reference, "resume"))

    def cancel(self, client: Any, reference: str) -> Steps[None]:
        yield from self._call(client, cancel_report, reference, "cancel")


VENDOR = Vendor(
    name=_facts.VENDOR,
    title="WEBSALE",
    credentials=(
        Credential("email", _facts.ENV_EMAIL, "an admin user's email (with password=)", required=False),
        Credential("password", _facts.ENV_PASSWORD, "that admin user's password", required=False),
        Credential("api_key", _facts.ENV_API_KEY, "an API key of the shop", required=False),
    ),
    errors=ErrorFacts(
        _facts.VENDOR,
        code_keys=("type", *ErrorFacts.code_keys),
        hints={401: "WEBSALE: check the credentials and the user's read permission for the service"},
    ),
    # a start replaces any export of the service with an identical one, so re-sending it after a 503
    # (internalError: transient [doc]) loses nothing; login and refresh are flagged by the token flow
    is_job_creating=lambda request: False,
    jobs=Reports(),
    generated=AuthenticatedClient,
)
