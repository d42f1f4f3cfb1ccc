"""A toy vendor for the kit's tests: an in-memory Acme API on `httpx.MockTransport` and its two clients.

`AcmeCore` is what a real vendor package writes (a `Vendor`, a `JobSpec`, verbs as steps); `make()` builds
the sync or async client inside `use_runtime(...)`, on a manual clock when one is given.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, Unpack

import httpx

from sellerkit._core.auth import HeaderAuth
from sellerkit._core.bodies import ErrorFacts
from sellerkit._core.download import DownloadResult
from sellerkit._core.errors import ConfigurationError, JobFailedError
from sellerkit._core.files import resolve
from sellerkit._core.jobs import JobSpec, JobState, unknown
from sellerkit._core.kit import AsyncClient, ClientCore, ClientOptions, SyncClient
from sellerkit._core.polling import Progress
from sellerkit._core.quota import Quota
from sellerkit._core.runtime import use_runtime
from sellerkit._core.steps import Download, Send, Steps, starts_job, verb
from sellerkit._core.vendor import Credential, Vendor
from sellerkit.testing.framework import ScaledClock
from tests.clients import call, make_client

__all__ = [
    "MODES",
    "VENDOR",
    "Acme",
    "AcmeClient",
    "AcmeJobs",
    "AsyncAcmeClient",
    "RecordingClock",
    "call",
    "make",
]
MODES = ["sync", "async"]
FILE = b"a;b\n1;2\n"
NOW = 1_800_000_000.0  # 2027-01-15T08:00:00Z: the manual clocks' start, so logged end times are exact


class FakeGenerated:
    """Stands in for a generated `AuthenticatedClient` (the kit only hands it the httpx client)."""

    def __init__(self, **_: Any) -> None:
        self.client: Any = None

    def set_httpx_client(self, client: Any) -> None:
        self.client = client

    def set_async_httpx_client(self, client: Any) -> None:
        self.client = client


class Acme:
    """In memory: POST /jobs starts a job, GET /jobs/{id} reports it (done after `finish_after` fetches),
    POST /jobs/{id}/cancel cancels it, GET /jobs/{id}/log is its log, GET /files/{id} is the file."""

    def __init__(self, *, finish_after: int = 2) -> None:
        self.finish_after = finish_after
        self.jobs: dict[str, int] = {}
        """Fetches per job."""
        self.requests: list[httpx.Request] = []
        self.forgotten: set[str] = set()
        self.fail: set[str] = set()
        self.cancelled: list[str] = []

    def fetches(self, reference: str) -> int:
        return sum(r.method == "GET" and r.url.path == f"/jobs/{reference}" for r in self.requests)

    def handler(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        path = request.url.path
        if request.method == "POST" and path == "/jobs":
            ref = f"j{len(self.jobs) + 1}"
            self.jobs[ref] = 0
            return httpx.Response(200, json={"id": ref})
        if path.startswith("/jobs/"):
            return self._job(request, *path.split("/")[2:])
        if path.startswith("/files/"):
            disposition = 'attachment; filename="out.csv"'
            return httpx.Response(200, content=FILE, headers={"content-disposition": disposition})
        if path == "/echo":
            return httpx.Response(200, json={"headers": dict(request.headers)})
        return httpx.Response(404)

    def _job(self, request: httpx.Request, ref: str, action: str = "") -> httpx.Response:
        if ref not in self.jobs or ref in self.forgotten:
            return httpx.Response(404, json={"message": "no such job"})
        if action == "cancel" and request.method == "POST":
            self.cancelled.append(ref)
            return httpx.Response(204)
        if action == "log":
            return httpx.Response(200, json={"lines": ["row 17 rejected: no SKU"]})
        self.jobs[ref] += 1
        done = min(self.jobs[ref], self.finish_after)
        if ref in self.cancelled:
            return httpx.Response(200, json={"status": "cancelled"})
        if ref in self.fail:
            return httpx.Response(200, json={"status": "failed", "message": "disk quota exceeded"})
        status = "done" if done >= self.finish_after else "running"
        return httpx.Response(200, json={"status": status, "done": done, "total": self.finish_after})


class AcmeJobs(JobSpec):
    """Acme's jobs as data: status → `JobState`, failure with the job's log, cancel."""

    def fetch(self, client: Any, reference: str) -> Steps[JobState]:
        response = yield Send(client._get(f"/jobs/{reference}"))
        body = client._parse_json(response, "job status")
        status = body["status"]
        done, total = body.get("done"), body.get("total")
        progress = None
        if done is not None:
            progress = Progress(fraction=1.0 if done == total else None, processed=done, total=total)
        return JobState(
            reference,
            status,
            terminal=status in ("done", "failed", "cancelled"),
            succeeded=status == "done",
            progress=progress,
            # pre-signed, as many vendors' links are: never in a repr
            result_url=f"/files/{reference}?signature=SECRET" if status == "done" else None,
            message=body.get("message"),
        )

    def failure(self, client: Any, state: JobState) -> Steps[JobFailedError]:
        error = yield from super().failure(client, state)
        response = yield Send(client._get(f"/jobs/{state.reference}/log"))
        error.details = response.json()["lines"]  # a vendor's failure steps may fetch what explains it
        return error

    def cancel(self, client: Any, reference: str) -> Steps[None]:
        yield Send(httpx.Request("POST", f"{client.base_url}/jobs/{reference}/cancel"))


VENDOR = Vendor(
    name="acme",
    title="Acme",
    credentials=(
        Credential("api_key", "ACME_API_KEY", "the key from Acme's settings"),
        Credential(
            "token",
            "ACME_TOKEN",
            "a token",
            may_be_callable=True,
            required=False,
            check=lambda v: "drop 'Bearer '" if v.startswith("Bearer ") else None,
        ),
    ),
    errors=ErrorFacts("acme"),
    quotas=(Quota(1000, 60.0, "1000 per minute"),),
    jobs=AcmeJobs(),
    generated=FakeGenerated,
)


class AcmeCore(ClientCore):
    vendor = VENDOR

    def __init__(self, api_key: Any = None, token: Any = None, **options: Unpack[ClientOptions]) -> None:
        super().__init__(
            {"api_key": api_key, "token": token}, default_base_url=lambda: "https://acme.test", **options
        )

    def _make_auth(self) -> httpx.Auth:
        return HeaderAuth({"x-api-key": self._credentials["api_key"]})

    @verb
    def echo(self) -> Steps[dict[str, str]]:
        response = yield Send(self._get("/echo"))
        headers: dict[str, str] = response.json()["headers"]
        return headers

    @verb
    def fetch_file(self, path: str, dest: str | Path) -> Steps[DownloadResult]:
        result: DownloadResult = yield Download(self._get(path), resolve(dest))
        return result

    @starts_job
    def export(self, what: str, *, fresh: bool = False) -> Steps[JobState]:
        if not what:
            raise ConfigurationError("what must not be empty")

        def begin() -> Steps[JobState]:
            response = yield Send(httpx.Request("POST", f"{self.base_url}/jobs", json={"what": what}))
            return unknown(response.json()["id"])

        return (yield from self._start_job("export", {"what": what}, begin, fresh=fresh))


class AcmeClient(AcmeCore, SyncClient):
    pass


class AsyncAcmeClient(AcmeCore, AsyncClient):
    pass


class RecordingClock(ScaledClock):
    """A manual clock (starting at NOW) that records every sleep."""

    def __init__(self) -> None:
        super().__init__(1.0, start=NOW, manual=True)
        self.sleeps: list[float] = []

    def elapsed(self) -> float:
        return self.now() - NOW

    def sleep(self, sim_seconds: float) -> None:
        self.sleeps.append(sim_seconds)
        super().sleep(sim_seconds)

    async def asleep(self, sim_seconds: float) -> None:
        self.sleeps.append(sim_seconds)
        await super().asleep(sim_seconds)


Handler = Callable[[httpx.Request], httpx.Response]


def make(
    mode: str,
    server: Acme | Handler,
    *,
    clock: ScaledClock | None = None,
    hooks: dict[str, Any] | None = None,
    classes: tuple[type[AcmeClient], type[AsyncAcmeClient]] | None = None,
    **kwargs: Any,
) -> Any:
    """The sync or async Acme client over `server`, with instant sleeps, or on `clock` if given."""
    handler = server.handler if isinstance(server, Acme) else server
    runtime: dict[str, Any] = {"inner_transport": httpx.MockTransport(handler), **(hooks or {})}
    sync_cls, async_cls = classes or (AcmeClient, AsyncAcmeClient)
    cls: type[Any] = sync_cls if mode == "sync" else async_cls
    kwargs = {"api_key": "KEY-123", **kwargs}
    if clock is not None:
        return make_client(cls, clock, hooks=runtime, **kwargs)
    with use_runtime(sleep=lambda s: None, async_sleep=_no_sleep, limiter=None, **runtime):
        return cls(**kwargs)


async def _no_sleep(seconds: float) -> None:
    return None
