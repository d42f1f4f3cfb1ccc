"""`WebsaleClient` / `AsyncWebsaleClient`: WEBSALE's report exports for its 16 services.

What this adds to the generated `sellerkit.websale_api` client: the login (email + password or an API
key) with its single-use refresh tokens through the core's `TokenAuth`, formats checked per service before
any request, the documented start-cancels-running made visible (refused, or a WARNING with
`replace_running=True`), and the export as a uniform `Job` with `pause()` / `resume()` / `cancel()`.
"""

from __future__ import annotations

import logging
import os
from typing import Any, Unpack

import httpx

from sellerkit._core.auth import Credentials, TokenAuth, TokenEndpoint
from sellerkit._core.errors import ConfigurationError
from sellerkit._core.jobs import JobState
from sellerkit._core.kit import AsyncClient, ClientCore, ClientOptions, SyncClient
from sellerkit._core.redact import Secret
from sellerkit._core.steps import Send, Steps, starts_job
from sellerkit.websale_api.api.reports import get_report_status, start_report
from sellerkit.websale_api.models import Format, ReportStatus, Service

from . import _facts
from ._vendor import VENDOR, ExportRunningError, check_service, parse_tokens, report_state

log = logging.getLogger("sellerkit.websale")


def _shop_url(shop: str | None) -> str:
    shop = shop or os.environ.get(_facts.ENV_SHOP)
    if not shop:
        raise ConfigurationError(f"WEBSALE needs your shop's domain: pass shop= or set {_facts.ENV_SHOP}")
    if not isinstance(shop, str) or "/" in shop or not shop.strip():
        raise ConfigurationError(
            f"shop is a domain such as 'www.my-shop.de' (pass base_url= for a URL), not {shop!r}"
        )
    return _facts.BASE_URL.format(shop=shop.strip())


class WebsaleCore(ClientCore):
    """WEBSALE's verbs, written once for both clients."""

    vendor = VENDOR

    def __init__(
        self,
        shop: str | None = None,
        *,
        email: str | None = None,
        password: str | None = None,
        api_key: str | None = None,
        **options: Unpack[ClientOptions],
    ) -> None:
        """Args:
        shop: the shop's domain (`https://<shop>/admin/api/v1`); default `WEBSALE_SHOP`.
        email, password: an admin user's login; default `WEBSALE_EMAIL`, `WEBSALE_PASSWORD`.
        api_key: or an API key instead; default `WEBSALE_API_KEY`.
        **options: base_url, timeout, max_retries, max_wait, deadline, http_client, default_headers,
            quotas, journal (see `sellerkit.ClientOptions`).
        """
        credentials = {"email": email, "password": password, "api_key": api_key}
        super().__init__(credentials, default_base_url=lambda: _shop_url(shop), **options)

    def _account(self) -> str:
        return self._credential("api_key") or self._credential("email")

    def _make_auth(self) -> httpx.Auth:
        url, key = self.base_url, self._credential("api_key")
        email, password = self._credential("email"), self._credential("password")
        if not key and not (email and password):
            raise ConfigurationError(
                "WEBSALE needs email= and password= (or WEBSALE_EMAIL, WEBSALE_PASSWORD) or api_key= "
                "(or WEBSALE_API_KEY)"
            )

        def login(credentials: Credentials) -> httpx.Request:
            body = (
                {"apiKey": credentials.username.get()}
                if key
                else {"email": credentials.username.get(), "password": credentials.password.get()}
            )
            return httpx.Request("POST", f"{url}/login", json=body)

        def refresh(token: Secret) -> httpx.Request:
            return httpx.Request("POST", f"{url}/login/refresh", json={"refreshToken": token.get()})

        return TokenAuth(
            TokenEndpoint(login=login, refresh=refresh, parse=parse_tokens),
            vendor=_facts.VENDOR,
            username=key or email,
            password=password or "(api key)",  # unused with a key: TokenAuth logs in with a pair
            scheme="Bearer",
            clock=self._runtime.wall_clock,
            credential_names=("API key", "api_key=") if key else ("email/password", "email= and password="),
        )

    @starts_job
    def start_export(
        self,
        service: Service | str,
        format: Format | str = _facts.DEFAULT_FORMAT,
        subshop_id: str | None = None,
        *,
        replace_running: bool = False,
        fresh: bool = False,
    ) -> Steps[JobState]:
        """Start an export of `service` in `format` (one it supports: `SERVICE_FORMATS`) as a job handle.

        WEBSALE cancels a running export of the service when another starts: that is refused with
        `ExportRunningError` (naming it) unless `replace_running=True` (then logged at WARNING). An identical
        earlier call's export is adopted instead of starting another (`fresh=True`: always new).
        """
        name = check_service(service)
        fmt = format.value if isinstance(format, Format) else format
        supported = _facts.SERVICE_FORMATS[name]
        if fmt not in supported:
            raise ConfigurationError(
                f"WEBSALE's {name} export does not support format {format!r}; "
                f"it supports: {', '.join(supported)}"
            )
        if subshop_id is not None and (not isinstance(subshop_id, str) or not subshop_id.strip()):
            raise ConfigurationError(f"subshop_id is a non-empty string, not {subshop_id!r}")
        reference = name + (f"{_facts.SUBSHOP_SEPARATOR}{subshop_id}" if subshop_id else "")
        where: dict[str, Any] = {"service": Service(name), "subshop_id": subshop_id}

        def begin() -> Steps[JobState]:
            response = yield Send(self._request(get_report_status, **where))
            body: ReportStatus = self._parse(get_report_status, response, ReportStatus)
            now = report_state(reference, body)
            if int(body.status) in _facts.RUNNING:
                done = (
                    f"{now.progress.fraction:.0%}"
                    if now.progress and now.progress.fraction is not None
                    else "?"
                )
                if not replace_running:
                    raise ExportRunningError(
                        f"a WEBSALE {name} export is {now.status} ({done} done); starting another would "
                        f"cancel it: wait for it (client.job({reference!r})), cancel it, or pass "
                        "replace_running=True",
                        vendor=_facts.VENDOR,
                        reference=reference,
                    )
                log.warning(
                    "cancelling the running WEBSALE %s export (%s, %s done) to start a new one",
                    name,
                    now.status,
                    done,
                )
            response = yield Send(self._request(start_report, format_=Format(fmt), **where))
            return report_state(reference, self._parse(start_report, response, ReportStatus))

        params = {"service": name, "format": fmt, "subshop_id": subshop_id or ""}
        return (yield from self._start_job("startReport", params, begin, fresh=fresh or replace_running))


class WebsaleClient(WebsaleCore, SyncClient):
    """Synchronous WEBSALE client; `.api` is the generated client sending through the same connection."""


class AsyncWebsaleClient(WebsaleCore, AsyncClient):
    """Asynchronous WEBSALE client, the same as `WebsaleClient` with `await`."""


__all__ = ["AsyncWebsaleClient", "WebsaleClient"]
