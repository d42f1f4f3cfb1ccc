"""The vendor kit: one client base for every vendor, and its two drivers (sync and async).

A vendor package declares a `Vendor` (vendor.py), writes its verbs once as step generators on a subclass
of `ClientCore` (steps.py), and gets its two public clients by mixing that class with `SyncClient` and
`AsyncClient`. Everything else is here, once: options in the conventions of openai-python and httpx,
credentials from arguments or the environment, the transport (quota → send → retry → typed error), the
generated client on top, the job journal, `with_options`, closing.
"""

from __future__ import annotations

import contextlib
import copy
import functools
import logging
import os
import socket
import time
from collections.abc import AsyncIterator, Callable, Iterator, Mapping, Sequence
from dataclasses import replace
from types import ModuleType
from typing import TYPE_CHECKING, Any, ClassVar, Self, TypedDict, TypeVar, Unpack

import httpx

from . import _aio
from .bodies import ErrorFacts, reset_time_throttle
from .calls import UNREADABLE, Parsed, generated_client, unreadable_error, unwrap
from .download import download, download_async
from .errors import (
    ApiError,
    AuthenticationError,
    ConfigurationError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitedError,
    SellerkitError,
)
from .journal import JobStore, Journal, Record, fingerprint
from .polling import PollPolicy, poll, poll_async
from .quota import LocalQuotaStore, Quota, QuotaLimiter, QuotaStore
from .redact import Secret, redact_url
from .runtime import Runtime, current, deadline, deadline_scope
from .steps import Download, Emit, Offload, Pause, Send, Steps, Wait, public
from .stores import default_quota_store
from .transport import DEFAULT_TIMEOUT, HttpSettings, VendorFacts, async_httpx_args, sync_httpx_args
from .vendor import Vendor, check_base_url, read_credentials

if TYPE_CHECKING:
    from .jobs import AsyncJob, Job, JobSpec, JobState

log = logging.getLogger("sellerkit")
T = TypeVar("T")


@functools.cache
def version() -> str:
    """sellerkit's installed version (read on first use: importlib.metadata costs ~12 ms to import)."""
    from importlib.metadata import PackageNotFoundError
    from importlib.metadata import version as installed

    try:
        return installed("sellerkit")
    except PackageNotFoundError:  # a source tree that was never installed
        return "0+unknown"


class ClientOptions(TypedDict, total=False):
    """The options every vendor client takes (keyword-only), as in openai-python / httpx."""

    base_url: str
    timeout: float | httpx.Timeout | None
    max_retries: int
    max_wait: float
    deadline: float | None
    http_client: httpx.Client | httpx.AsyncClient
    default_headers: Mapping[str, str]
    quotas: Sequence[Quota]
    journal: Journal | str | os.PathLike[str] | None
    quota_store: QuotaStore | None
    journal_store: JobStore | None


OPTIONS_DOC = """
    Options every sellerkit client takes (keyword-only):
        base_url: the API root; default the vendor's server, or `<VENDOR>_BASE_URL`.
        timeout: seconds (float) or an `httpx.Timeout`; default connect 10 s, read/write 60 s, pool 10 s.
        max_retries: re-sends after a connection error, timeout, 429 or 502/503/504 (default 4);
            job-creating requests are re-sent only when the server certainly did not act on them.
        max_wait: the longest single wait the client accepts (throttle body, Retry-After, quota window);
            a longer one raises `RateLimitedError` with `retry_after` instead. Every wait of 5 s or more is
            logged at WARNING on the `sellerkit` logger with its reason and when it ends.
        deadline: seconds one high-level call (an export, a wait, a download) may take in all, retries and
            waits included; then `APITimeoutError` / `JobTimeoutError`. Default: no overall deadline.
            Worst case without one, for a server that accepts connections and never answers:
            (max_retries + 1) x (connect + read timeout) + the backoff between attempts (at most 30 s each).
        http_client: your own `httpx.Client` (or `httpx.AsyncClient` for async clients): its proxies,
            certificates, limits and event hooks are kept; sellerkit sends through it, you close it.
        default_headers: extra headers on every request.
        quotas: the call quotas to stay under (default: the vendor's documented ones).
        journal: where started jobs are recorded so a re-run adopts them (a `Journal` or a folder);
            default `$SELLERKIT_STATE_DIR/jobs` or the user state folder.
        quota_store / journal_store: where the quota counters / the job records live, to share them between
            processes and machines: a `sellerkit.RedisStore`; default `$SELLERKIT_REDIS_URL` if set, else
            this process (quotas) and the journal folder (records).
"""


CLAIM_PAUSE, CLAIM_PAUSE_MAX = 0.05, 2.0
"""How often a call waiting for an identical one elsewhere to start its job looks for the job's record."""


def _store(name: str, value: Any) -> Any:
    wanted = "counter" if name == "quota_store" else "claim"
    if value is not None and not callable(getattr(value, wanted, None)):
        raise ConfigurationError(
            f"{name} must be a store such as sellerkit.RedisStore(url), not {type(value).__name__}"
        )
    return value


def _timeout(value: object) -> httpx.Timeout:
    if isinstance(value, httpx.Timeout):
        return value
    if value is None:  # as in httpx: no limit on any phase
        return httpx.Timeout(None)
    if isinstance(value, bool) or not isinstance(value, int | float) or not value > 0:
        raise ConfigurationError(f"timeout must be seconds > 0 or an httpx.Timeout, not {value!r}")
    # one number sets read and write; connect/pool keep their shorter defaults unless it is shorter still
    seconds = float(value)
    return httpx.Timeout(
        connect=min(seconds, DEFAULT_TIMEOUT.connect or seconds),
        read=seconds,
        write=seconds,
        pool=min(seconds, DEFAULT_TIMEOUT.pool or seconds),
    )


def _count(name: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ConfigurationError(f"{name} must be an int >= 0, not {value!r}")
    return value


def _seconds(name: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not value >= 0:
        raise ConfigurationError(f"{name} must be seconds >= 0, not {value!r}")
    return float(value)


def _merge_headers(request: httpx.Request, client: httpx.Client | httpx.AsyncClient) -> None:
    """The user's client's own headers on every request, unless sellerkit or the call set the same one."""
    for name, value in client.headers.multi_items():
        if name not in request.headers:
            request.headers[name] = value


class _ViaClient(httpx.BaseTransport):
    """Sends through the user's `httpx.Client`, so its proxies, certificates, limits and hooks apply."""

    def __init__(self, client: httpx.Client) -> None:
        self.client = client

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        _merge_headers(request, self.client)
        return self.client.send(request, stream=True)

    def close(self) -> None:
        pass  # the user's client is the user's to close


class _ViaAsyncClient(httpx.AsyncBaseTransport):
    """`_ViaClient` for `httpx.AsyncClient`."""

    def __init__(self, client: httpx.AsyncClient) -> None:
        self.client = client

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        _merge_headers(request, self.client)
        return await self.client.send(request, stream=True)

    async def aclose(self) -> None:
        pass


class _Shared(httpx.BaseTransport, httpx.AsyncBaseTransport):
    """A transport owned by another client (`with_options` copies share its pool and never close it)."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response: httpx.Response = self.inner.handle_request(request)
        return response

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response: httpx.Response = await self.inner.handle_async_request(request)
        return response

    def close(self) -> None:
        pass

    async def aclose(self) -> None:
        pass


def _words(operation: Any) -> str:
    """`get_queued_job` → "get queued job" (an operation module named in an error)."""
    return str(getattr(operation, "__name__", "the")).rsplit(".", 1)[-1].replace("_", " ")


def _seen(effect: Wait, state: JobState) -> JobState:
    if effect.on_state is not None:
        effect.on_state(state)
    return state


def _known(state: JobState | None) -> JobState | None:
    from .jobs import UNKNOWN

    return None if state is None or state.status == UNKNOWN else state


class ClientCore:
    """What a vendor client is, without I/O: settings, credentials, the request builders for its verbs."""

    vendor: ClassVar[Vendor]
    #: the operation verbs (`@operation_job` / `@operation_into`) and the generated operations each takes:
    #: verb name -> (its table's name in `<package>.operations`, the modules); the CLI lists exports from it
    _operation_kinds: ClassVar[Mapping[str, tuple[str, tuple[ModuleType, ...]]]] = {}
    #: the paged-export verbs (`(entity, dest, *, filter=..., format=..., fresh=, on_progress=)`, built on
    #: `export.paged_export`): verb name -> {entity name: the generated list operation it reads}; the CLI
    #: makes one export per entity
    _paged_exports: ClassVar[Mapping[str, Mapping[str, ModuleType]]] = {}
    _async: ClassVar[bool] = False
    # what the two drivers plug in (see SyncClient / AsyncClient)
    _httpx: ClassVar[type[Any]]
    _via: ClassVar[type[Any]]
    _default_transport: ClassVar[type[Any]]
    _httpx_args: ClassVar[Callable[..., dict[str, Any]]]

    def __init__(
        self,
        credentials: Mapping[str, object],
        *,
        default_base_url: Callable[[], str],
        **options: Unpack[ClientOptions],
    ) -> None:
        try:
            self._credentials = read_credentials(self.vendor, credentials)
            self._default_base_url = default_base_url
            self._runtime: Runtime = current()
            self._configure(dict(options))
            self._open(None)
        except SellerkitError as exc:
            raise public(exc) from exc.__cause__

    # -- settings

    def _configure(self, options: dict[str, Any]) -> None:
        unknown = sorted(set(options) - set(ClientOptions.__annotations__))
        if unknown:
            raise ConfigurationError(
                f"unknown option(s) {', '.join(unknown)}; known: {', '.join(ClientOptions.__annotations__)}"
            )
        self._options = options
        vendor = self.vendor
        url = options.get("base_url") or os.environ.get(vendor.env_base_url) or self._default_base_url()
        self.base_url: str = check_base_url(url, self._default_example())
        self.timeout: httpx.Timeout = _timeout(options.get("timeout", DEFAULT_TIMEOUT))
        base = self._runtime.retry or vendor.retry
        retries = _count("max_retries", options.get("max_retries", base.max_attempts - 1))
        self.max_retries: int = retries
        self.max_wait: float = _seconds("max_wait", options.get("max_wait", vendor.max_wait))
        limit = options.get("deadline")
        self.deadline: float | None = None if limit is None else _seconds("deadline", limit)
        headers = options.get("default_headers") or {}
        if not isinstance(headers, Mapping):
            raise ConfigurationError("default_headers must be a mapping of header names to values")
        self.default_headers: dict[str, str] = {
            "User-Agent": f"sellerkit/{version()} ({vendor.name})",
            **{str(k): str(v) for k, v in headers.items()},
        }
        quotas = tuple(options.get("quotas", vendor.quotas))
        if not all(isinstance(q, Quota) for q in quotas):
            raise ConfigurationError("quotas must be a sequence of sellerkit Quota objects")
        self.quotas: tuple[Quota, ...] = quotas
        self.quota_store: QuotaStore = (
            _store("quota_store", options.get("quota_store")) or default_quota_store()
        )
        jobs = _store("journal_store", options.get("journal_store"))
        journal = options.get("journal")
        if isinstance(journal, Journal):
            if jobs is not None:
                raise ConfigurationError("pass journal_store= or a Journal(store=...) as journal=, not both")
            self.journal: Journal = journal
        else:
            self.journal = Journal(journal, store=jobs)
        client = options.get("http_client")
        wanted = httpx.AsyncClient if self._async else httpx.Client
        if client is not None and not isinstance(client, wanted):
            raise ConfigurationError(
                f"http_client must be an {wanted.__module__}.{wanted.__qualname__} for {type(self).__name__}"
            )
        self._user_client = client

    def _default_example(self) -> str:
        try:
            return self._default_base_url()
        except ConfigurationError:
            return "https://api.example.com"

    def _credential(self, name: str) -> str:
        value = self._credentials.get(name)
        if value is None:
            return ""
        return value.get() if isinstance(value, Secret) else value()

    def _quota_key(self) -> str:
        scope = self.vendor.quota_scope or self.vendor.credentials[0].name
        if scope == "base_url":
            return self.base_url
        value = self._credentials.get(scope)
        if isinstance(value, Secret):
            return value.get()
        return f"{self.base_url}#{scope}"  # a callable credential: its values change, the account doesn't

    def _account(self) -> str:
        """What identifies the account in a journal fingerprint (hashed there, never stored)."""
        return self._quota_key()

    def _limiter(self) -> QuotaLimiter | None:
        runtime = self._runtime
        if runtime.limiter is not None:
            return runtime.limiter
        if not self.quotas:
            return None
        store, key = self.quota_store, self._quota_key()
        if isinstance(store, LocalQuotaStore):
            clock = None  # in-process counters keep their first user's clock (tests share keys across clocks)
        else:
            clock = None if runtime.clock is time.monotonic else runtime.clock  # else the store's own time
            if self.vendor.quota_scope == "base_url":
                key = f"{key}@{socket.gethostname()}"  # counted per client IP: one counter per machine
        return QuotaLimiter(
            self.quotas,
            clock=runtime.clock,
            sleep=runtime.sleep,
            async_sleep=runtime.async_sleep,
            counter=store.counter(self.vendor.name, key, self.quotas, clock),
        )

    def _settings(self) -> HttpSettings:
        base = self._runtime.retry or self.vendor.retry
        retry = replace(
            base, max_attempts=self.max_retries + 1, max_total_wait=max(base.max_total_wait, self.max_wait)
        )
        return HttpSettings(
            timeout=self.timeout,
            retry=retry,
            limiter=self._limiter(),
            max_wait=self.max_wait,
            wall_clock=self._runtime.wall_clock,
            sleep=self._runtime.sleep,
            async_sleep=self._runtime.async_sleep,
        )

    @functools.cached_property
    def _errors(self) -> ErrorFacts:
        """The vendor's error facts, with its throttle body read on this client's wall clock (built once)."""
        key = self.vendor.throttle_reset_key
        if key is None:
            return self.vendor.errors
        return replace(self.vendor.errors, throttle=reset_time_throttle(key, clock=self._runtime.wall_clock))

    def _facts(self) -> VendorFacts:
        vendor = self.vendor
        return VendorFacts(
            name=vendor.name,
            errors=self._errors,
            quotas=self.quotas,
            is_job_creating=vendor.is_job_creating,
            throttle_on_success=vendor.throttle_on_success,
            quota_counts_files=vendor.quota_counts_files,
        )

    def _generated(self) -> type[Any]:
        if self.vendor.generated is None:
            raise ConfigurationError(f"{self.vendor.title}: Vendor(generated=...) is not declared")
        return self.vendor.generated

    def _make_auth(self) -> httpx.Auth:
        """The vendor's auth strategy (HeaderAuth, TokenAuth, ...)."""
        raise NotImplementedError

    def _open(self, shared: Any) -> None:
        """The httpx client of this driver: the sellerkit transport around the user's client, a copy's shared
        pool or a fresh one; the auth (tokens) is shared with copies of the same base URL."""
        if shared is not None:
            inner: Any = _Shared(shared)
        elif self._user_client is not None:
            inner = self._via(self._user_client)
        else:
            inner = self._runtime.inner_transport or type(self)._default_transport()
        self._inner = inner
        if shared is None or getattr(self, "_auth_url", None) != self.base_url:
            self._auth, self._auth_url = self._make_auth(), self.base_url
        settings = replace(self._settings(), inner_transport=inner)
        self._http_settings = settings  # the downloader waits out other hosts' throttles by the same rules
        self._http = self._httpx(
            base_url=self.base_url,
            auth=self._auth,
            timeout=self.timeout,
            headers=self.default_headers,
            **self._httpx_args(self._facts(), settings),
        )
        self.api = generated_client(self._generated(), self.base_url, self._http)

    def with_options(self, **overrides: Unpack[ClientOptions]) -> Self:
        """A copy with some options changed, sharing this client's connection pool and tokens (close the
        original last: it owns the pool)."""
        clone = copy.copy(self)
        clone._configure({**self._options, **overrides})
        clone._open(self._inner if clone._user_client is self._user_client else None)
        return clone

    # -- helpers for verbs (no I/O)

    def _request(self, operation: Any, **kwargs: Any) -> httpx.Request:
        """The request a generated operation module would send (its `_get_kwargs` builder)."""
        built: dict[str, Any] = operation._get_kwargs(**kwargs)
        request: httpx.Request = self._http.build_request(**built)
        return request

    def _get(self, url: str, **kwargs: Any) -> httpx.Request:
        """A GET request for a link the vendor gave (relative to the base URL, or absolute)."""
        request: httpx.Request = self._http.build_request("GET", url, **kwargs)
        return request

    def _parse(self, operation: Any, response: httpx.Response, expected: type[T] | None = None) -> Any:
        """A generated operation's typed answer for `response`; unexpected shapes are typed errors."""
        # on every status poll: no context manager, no HTTPStatus enum or Response copy (the generated
        # _build_response), and the error's words only built for an error
        try:
            parsed = operation._parse_response(client=self.api, response=response)
            detailed = Parsed(response.status_code, response.content, response.headers, parsed)
            return unwrap(detailed, expected, errors=self._errors)
        except UNREADABLE as exc:
            raise unreadable_error(self.vendor.name, f"{_words(operation)} answer", response, exc) from exc

    def _parse_json(self, response: httpx.Response, what: str) -> Any:
        """A JSON answer the spec gives no model for; an unreadable one is a typed `ServerError`."""
        from .calls import readable

        with readable(self.vendor.name, what, response):
            return response.json()

    def _start_job(
        self,
        operation: str,
        params: object,
        begin: Callable[[], Steps[JobState]],
        *,
        fresh: bool = False,
    ) -> Steps[JobState]:
        """Start a job, or adopt the one an earlier identical call started (the journal).

        A journalled job the vendor no longer knows (its poll fails with a 4xx), or one that failed, is
        logged and started again; `fresh=True` always starts a new one.
        """
        spec = self._job_spec()
        key = fingerprint(self.vendor.name, self.base_url, self._account(), operation, params)
        journal, vendor = self.journal, self.vendor.name
        token = None
        if not fresh:
            adopted, token = yield from self._adopt_or_claim(spec, key)
            if adopted is not None:
                return adopted
        try:
            state = yield from begin()
        except BaseException:
            if token is not None:
                journal.unclaim(vendor, key, token)  # directly: no step may be yielded while unwinding
            raise
        if not state.terminal:
            record = yield Offload(lambda: journal.started(vendor, key, operation, state.reference))
            state = replace(state, record=record)
        if token is not None:
            yield Offload(lambda: journal.unclaim(vendor, key, token))
        return state  # a terminal answer was the result itself (an inline file): no job to adopt later

    def _adopt_or_claim(self, spec: JobSpec, key: str) -> Steps[tuple[JobState | None, str | None]]:
        """The journalled job of `key`, adopted; else the claim to start it (None: waited too long for an
        identical call elsewhere that held it, and starts it regardless)."""
        journal, vendor = self.journal, self.vendor.name
        waited, pause = 0.0, CLAIM_PAUSE
        while True:
            record = yield Offload(lambda: journal.find(vendor, key))
            if record is not None:
                adopted = yield from self._adopt(spec, record)
                if adopted is not None:
                    return adopted, None
            token = yield Offload(lambda: journal.claim(vendor, key, journal.claim_seconds))
            if token is not None:
                # the holder may have recorded its job between our find and our claim
                record = yield Offload(lambda: journal.find(vendor, key))
                if record is None:
                    return None, token
                yield Offload(functools.partial(journal.unclaim, vendor, key, token))
                continue
            if waited >= journal.claim_seconds:
                log.warning(
                    "an identical %s call has been starting its job for %.0f s; starting another",
                    self.vendor.title,
                    waited,
                )
                return None, None
            if not waited:
                log.info("an identical %s call elsewhere is starting this job; waiting to adopt it", vendor)
            yield Pause(pause)
            waited, pause = waited + pause, min(pause * 2, CLAIM_PAUSE_MAX)

    def _adopt(self, spec: JobSpec, record: Record) -> Steps[JobState | None]:
        try:
            state = yield from spec.fetch(self, record.reference)
        except (AuthenticationError, PermissionDeniedError, RateLimitedError):
            raise  # about the account, not the job: starting another would fail the same way
        except ApiError as exc:
            if exc.status_code is not None and exc.status_code >= 500 and not isinstance(exc, NotFoundError):
                raise
            log.warning(
                "%s no longer knows job %s (%s); starting a new one",
                self.vendor.title,
                redact_url(record.reference),
                exc.status_code,
            )
            yield Offload(lambda: self.journal.forget(self.vendor.name, record.fingerprint))
            return None
        if state.terminal and not state.succeeded:
            log.info("%s job %s had %s; starting a new one", self.vendor.title, state.reference, state.status)
            yield Offload(lambda: self.journal.forget(self.vendor.name, record.fingerprint))
            return None
        log.info(
            "reusing %s job %s (%s) from an earlier identical call; pass fresh=True for a new one",
            self.vendor.title,
            redact_url(record.reference),
            state.status,
        )
        return replace(state, record=record)

    def _job_spec(self) -> JobSpec:
        if self.vendor.jobs is None:
            raise NotImplementedError(f"{self.vendor.title} has no export jobs")
        return self.vendor.jobs

    def _poll_policy(self, policy: PollPolicy | None) -> PollPolicy:
        chosen = policy or self._job_spec().policy
        limit = deadline()
        if limit is None:
            return chosen
        left = max(limit.remaining(), 0.0)
        return (
            chosen if chosen.timeout is not None and chosen.timeout <= left else replace(chosen, timeout=left)
        )

    def __repr__(self) -> str:
        secrets = " ".join(f"{name}=***" for name in self._credentials)
        return f"<{type(self).__name__} {self.base_url} {secrets}>".replace("  ", " ")

    _http: Any
    api: Any


class SyncClient(ClientCore):
    """The blocking driver: performs a verb's effects with `httpx.Client`."""

    _http: httpx.Client
    _httpx = httpx.Client
    _via = _ViaClient
    _default_transport = httpx.HTTPTransport
    _httpx_args = staticmethod(sync_httpx_args)

    def _run(self, steps: Steps[T]) -> T:
        """Perform a verb's effects until it returns (under the client's deadline)."""
        if self.deadline is None:
            return self._drive(steps)
        with deadline_scope(self.deadline, self._runtime.clock):
            return self._drive(steps)

    def _drive(self, steps: Steps[T]) -> T:
        value: Any = None
        error: BaseException | None = None
        while True:
            try:
                effect = steps.send(value) if error is None else steps.throw(error)
            except StopIteration as stop:
                return stop.value  # type: ignore[no-any-return]
            value, error = None, None
            try:
                value = self._perform(effect)
            except Exception as exc:
                error = exc

    def _iterate(self, steps: Steps[Any]) -> Iterator[Any]:
        """Run an iterator verb: its checks now, its effects as the caller iterates."""
        try:
            first = next(steps)
        except StopIteration:
            return iter(())
        return self._items(steps, first)

    def _items(self, steps: Steps[Any], effect: Any) -> Iterator[Any]:
        try:
            yield from self._emitted(steps, effect)
        except SellerkitError as exc:
            raise public(exc) from exc.__cause__

    def _emitted(self, steps: Steps[Any], effect: Any) -> Iterator[Any]:
        with deadline_scope(self.deadline, self._runtime.clock):
            while True:
                value: Any = None
                if isinstance(effect, Emit):
                    yield effect.item
                    effect = next(steps, None)
                    if effect is None:
                        return
                    continue
                try:
                    value = self._perform(effect)
                except Exception as exc:
                    effect = steps.throw(exc)
                    continue
                try:
                    effect = steps.send(value)
                except StopIteration:
                    return

    def _perform(self, effect: Any) -> Any:
        if isinstance(effect, Send):
            response = self._http.send(effect.request)
            return response
        if isinstance(effect, Download):
            return download(
                self._http,
                effect.request,
                effect.target,
                on_progress=effect.on_progress,
                max_restarts=self.max_retries,
                facts=self._facts(),
                settings=self._http_settings,
            )
        if isinstance(effect, Offload):
            return effect.fn()
        if isinstance(effect, Pause):
            return self._runtime.sleep(effect.seconds)
        if isinstance(effect, Wait):
            return self._wait(effect)
        raise TypeError(f"not an effect: {effect!r}")

    def _wait(self, effect: Wait) -> JobState:
        spec = self._job_spec()
        state = poll(
            lambda: _seen(effect, self._run(spec.fetch(self, effect.reference))),
            vendor=self.vendor.name,
            reference=effect.reference,
            policy=self._poll_policy(effect.policy),
            state=_known(effect.state),
            on_progress=effect.on_progress,
            clock=self._runtime.clock,
            sleep=self._runtime.sleep,
        )
        if not state.succeeded:
            raise self._run(spec.failure(self, state))
        return state

    def _handle(self, state: JobState) -> Job:
        """The job handle for a state a verb returned."""
        from .jobs import Job

        return Job(self, state)

    def job(self, reference: str) -> Job:
        """The handle of a job started earlier (its reference, e.g. from `JobTimeoutError.reference` or
        another process); nothing is fetched until you call a method."""
        from .jobs import unknown

        return self._handle(unknown(self._job_spec().reference(reference)))

    def close(self) -> None:
        """Close the connection pool (not a user's own `http_client`)."""
        self._http.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class AsyncClient(ClientCore):
    """The asyncio driver: performs a verb's effects with `httpx.AsyncClient`."""

    _async = True
    _http: httpx.AsyncClient
    _httpx = httpx.AsyncClient
    _via = _ViaAsyncClient
    _default_transport = httpx.AsyncHTTPTransport
    _httpx_args = staticmethod(async_httpx_args)

    async def _run(self, steps: Steps[T]) -> T:
        """Perform a verb's effects until it returns (under the client's deadline)."""
        if self.deadline is None:
            return await self._drive(steps)
        with deadline_scope(self.deadline, self._runtime.clock):
            return await self._drive(steps)

    async def _drive(self, steps: Steps[T]) -> T:
        value: Any = None
        error: BaseException | None = None
        while True:
            try:
                effect = steps.send(value) if error is None else steps.throw(error)
            except StopIteration as stop:
                return stop.value  # type: ignore[no-any-return]
            value, error = None, None
            try:
                value = await self._perform(effect)
            except Exception as exc:
                error = exc

    def _iterate(self, steps: Steps[Any]) -> AsyncIterator[Any]:
        """Run an iterator verb: its checks now, its effects as the caller iterates."""
        try:
            first = next(steps)
        except StopIteration:
            first = None
        return self._items(steps, first)

    async def _items(self, steps: Steps[Any], effect: Any) -> AsyncIterator[Any]:
        try:
            async for item in self._emitted(steps, effect):
                yield item
        except SellerkitError as exc:
            raise public(exc) from exc.__cause__

    async def _emitted(self, steps: Steps[Any], effect: Any) -> AsyncIterator[Any]:
        with deadline_scope(self.deadline, self._runtime.clock):
            while effect is not None:
                value: Any = None
                if isinstance(effect, Emit):
                    yield effect.item
                    effect = next(steps, None)
                    continue
                try:
                    value = await self._perform(effect)
                except Exception as exc:
                    effect = steps.throw(exc)
                    continue
                try:
                    effect = steps.send(value)
                except StopIteration:
                    return

    async def _perform(self, effect: Any) -> Any:
        if isinstance(effect, Send):
            return await self._http.send(effect.request)
        if isinstance(effect, Download):
            return await download_async(
                self._http,
                effect.request,
                effect.target,
                on_progress=effect.on_progress,
                max_restarts=self.max_retries,
                facts=self._facts(),
                settings=self._http_settings,
            )
        if isinstance(effect, Offload):
            return await _aio.to_thread(effect.fn)
        if isinstance(effect, Pause):
            return await self._runtime.async_sleep(effect.seconds)
        if isinstance(effect, Wait):
            return await self._wait(effect)
        raise TypeError(f"not an effect: {effect!r}")

    async def _fetch_async(self, spec: JobSpec, effect: Wait) -> JobState:
        return _seen(effect, await self._run(spec.fetch(self, effect.reference)))

    async def _wait(self, effect: Wait) -> JobState:
        spec = self._job_spec()
        state = await poll_async(
            lambda: self._fetch_async(spec, effect),
            vendor=self.vendor.name,
            reference=effect.reference,
            policy=self._poll_policy(effect.policy),
            state=_known(effect.state),
            on_progress=effect.on_progress,
            clock=self._runtime.clock,
            sleep=self._runtime.async_sleep,
        )
        if not state.succeeded:
            raise await self._run(spec.failure(self, state))
        return state

    def _handle(self, state: JobState) -> AsyncJob:
        """The job handle for a state a verb returned."""
        from .jobs import AsyncJob

        return AsyncJob(self, state)

    def job(self, reference: str) -> AsyncJob:
        """`SyncClient.job` for asyncio."""
        from .jobs import unknown

        return self._handle(unknown(self._job_spec().reference(reference)))

    async def aclose(self) -> None:
        """Close the connection pool (not a user's own `http_client`)."""
        await self._http.aclose()

    async def close(self) -> None:
        """The same as `aclose()`."""
        await self.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()


with contextlib.suppress(Exception):
    ClientCore.__doc__ = (ClientCore.__doc__ or "") + "\n" + OPTIONS_DOC
