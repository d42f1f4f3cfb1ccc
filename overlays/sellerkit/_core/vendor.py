"""A vendor declared as data: names, environment variables, credentials, quotas, error and retry facts.

`ClientCore` (kit.py) reads a `Vendor` to do everything vendors used to write themselves: credentials from
arguments or the environment (checked for type and shape before any request), the base URL, the quota
limiter, the error facts of every typed error, the retry policy, the User-Agent.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

import httpx

from .bodies import ErrorFacts
from .errors import ConfigurationError
from .quota import Quota
from .redact import Secret
from .retry import RetryPolicy
from .transport import is_post

if TYPE_CHECKING:
    from .jobs import JobSpec


@dataclass(frozen=True)
class Credential:
    """One credential a vendor client takes: its parameter, its environment variable, what it is."""

    name: str
    env: str
    what: str
    """Where a user gets it, for the error that says it is missing."""
    may_be_callable: bool = False
    """A callable returning a fresh value is accepted (e.g. a JWT its issuer renews)."""
    check: Callable[[str], str | None] | None = None
    """Returns what is wrong with a (stripped) value and how to fix it, or None."""
    required: bool = True


@dataclass(frozen=True)
class Vendor:
    """Everything the kit needs to know about one vendor; see CONTRIBUTING.md for adding one."""

    name: str
    title: str
    credentials: tuple[Credential, ...]
    errors: ErrorFacts
    quotas: tuple[Quota, ...] = ()
    quota_scope: str = ""
    """What a quota counts against: a credential's name (default: the first one) or "base_url" (per IP)."""
    quota_counts_files: bool = True
    """Whether the quotas count result-file downloads from the API's host (False where the spec's x-quotas
    name only API operations)."""
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    max_wait: float = 120.0
    """The longest single wait (throttle, Retry-After, quota window) before `RateLimitedError` instead."""
    is_job_creating: Callable[[httpx.Request], bool] = is_post
    throttle_on_success: bool = False
    throttle_reset_key: str | None = None
    """A throttle body `{"<key>": "<ISO-8601 reset time>"}` (any status): wait until then (wall clock)."""
    jobs: JobSpec | None = None
    """How the vendor's export jobs work (None: it has none)."""
    generated: type[Any] | None = None
    """The generated `AuthenticatedClient` class (`.api` on every client)."""

    @property
    def env_base_url(self) -> str:
        return f"{self.name.upper()}_BASE_URL"


def read_credentials(vendor: Vendor, given: Mapping[str, Any]) -> dict[str, Secret | Callable[[], str]]:
    """Each credential from its argument, else its environment variable; wrong type or shape is a
    `ConfigurationError` naming the parameter, raised before anything is sent."""
    values: dict[str, Secret | Callable[[], str]] = {}
    missing = []
    for spec in vendor.credentials:
        value = given.get(spec.name)
        if value is None:
            value = os.environ.get(spec.env) or None
        if value is None:
            if spec.required:
                missing.append(f"{spec.name}= (or {spec.env}): {spec.what}")
            continue
        values[spec.name] = _checked(vendor, spec, value)
    if missing:
        raise ConfigurationError(f"{vendor.title} needs " + "; ".join(missing))
    return values


def _checked(vendor: Vendor, spec: Credential, value: object) -> Secret | Callable[[], str]:
    if isinstance(value, Secret):
        value = value.get()
    if callable(value) and spec.may_be_callable:
        source = value

        def checked() -> str:  # every value the callable returns gets the same checks, before it is sent
            fresh = _checked(vendor, replace(spec, may_be_callable=False), source())
            assert isinstance(fresh, Secret)
            return fresh.get()

        return checked
    if not isinstance(value, str):
        kinds = "a str or a callable returning one" if spec.may_be_callable else "a str"
        raise ConfigurationError(
            f"{vendor.title} {spec.name} must be {kinds}, not {type(value).__name__} "
            f"(pass {spec.name}='...' or set {spec.env})"
        )
    text = value.strip()
    if not text:
        raise ConfigurationError(f"{vendor.title} {spec.name} is empty: pass {spec.name}= or set {spec.env}")
    if any(ch in text for ch in "\r\n\0"):
        raise ConfigurationError(f"{vendor.title} {spec.name} contains a line break: paste it on one line")
    problem = spec.check(text) if spec.check is not None else None
    if problem:
        raise ConfigurationError(f"{vendor.title} {spec.name}: {problem}")
    return Secret(text)


def check_base_url(value: object, example: str) -> str:
    """An absolute http(s) URL without a trailing slash, else a `ConfigurationError` with an example."""
    if not isinstance(value, str) or not value.strip():
        raise ConfigurationError(f"base_url must be an absolute URL such as {example}, not {value!r}")
    url = value.strip().rstrip("/")
    parsed = httpx.URL(url)
    if parsed.scheme not in ("http", "https") or not parsed.host:
        raise ConfigurationError(f"base_url must be an absolute http(s) URL such as {example}, not {value!r}")
    return url
