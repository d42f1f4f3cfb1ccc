"""The public exception hierarchy every vendor raises (turning error bodies into it: `bodies.py`)."""

from __future__ import annotations

from typing import Any, Self, cast

import httpx

from .redact import redact_url

MAX_BODY = 64 << 10
"""Most bytes of an error body kept on `ApiError.body`."""


def _rebuild(cls: type[SellerkitError], args: tuple[Any, ...], state: dict[str, Any]) -> SellerkitError:
    """Unpickle an error without calling its keyword-only `__init__`."""
    error = cls.__new__(cls)
    error.args = args
    error.__dict__.update(state)
    return error


class SellerkitError(Exception):
    """Base of every exception sellerkit raises."""

    def __repr__(self) -> str:
        return f"{type(self).__name__}({str(self)!r})"

    def __reduce__(self) -> tuple[Any, ...]:
        # the default reduce calls cls(*args), which fails for keyword-only fields; errors cross processes
        return (_rebuild, (type(self), self.args, dict(self.__dict__)))


class ConfigurationError(SellerkitError, ValueError):
    """Bad input, raised before any request is sent; the message names the fix."""


class ApiError(SellerkitError):
    """A non-2xx response from a vendor API (names as in openai-python: `status_code`, `body`, `response`).

    `body` is the error body as parsed JSON (or text), at most `MAX_BODY` bytes of it, with the values of
    credential-looking keys replaced (`redact_json`); `response` is the `httpx.Response` (its body already
    read and closed; None when there was none) and is neither pickled nor shown in the repr.
    """

    def __init__(
        self,
        message: str,
        *,
        vendor: str,
        status: int,
        code: str | None = None,
        vendor_message: str | None = None,
        request_id: str | None = None,
        method: str | None = None,
        url: str | httpx.URL | None = None,
        body: object = None,
        response: httpx.Response | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.vendor = vendor
        self.status_code = status
        self.code = code
        self.vendor_message = vendor_message
        self.request_id = request_id
        self.method = method
        self.url = None if url is None else redact_url(url)
        self.body = body
        self.response = response

    @classmethod
    def about(cls, message: str, *, vendor: str, response: httpx.Response, **fields: Any) -> Self:
        """An error about `response` (a 2xx the client could not use): its status, method, URL, itself."""
        request = response.request
        return cls(
            message,
            vendor=vendor,
            status=response.status_code,
            method=request.method,
            url=request.url,
            response=response,
            **fields,
        )

    @property
    def status(self) -> int:
        """The HTTP status (alias of `status_code`)."""
        return self.status_code

    def __str__(self) -> str:
        where = " ".join(p for p in (self.vendor, self.method, self.url) if p)
        text = f"{self.message} — {where} → HTTP {self.status_code}"
        if self.code:
            text += f"; code {self.code}"
        if self.vendor_message and self.vendor_message != self.message:
            text += f"; vendor message: {self.vendor_message}"
        if self.request_id:
            text += f"; request id {self.request_id}"
        return text

    def __reduce__(self) -> tuple[Any, ...]:
        # a Response holds a request, streams and a client's internals: it does not cross processes
        return (_rebuild, (type(self), self.args, {**self.__dict__, "response": None}))

    def __copy__(self) -> ApiError:
        # copies (one per auth-flow waiter) keep the response, unlike pickles
        return cast(ApiError, _rebuild(type(self), self.args, dict(self.__dict__)))


class BadRequestError(ApiError):
    """HTTP 400 or 422: the vendor rejected the request's content."""


class AuthenticationError(ApiError):
    """HTTP 401: missing, wrong or expired credentials."""


class PermissionDeniedError(ApiError):
    """HTTP 403: the credentials lack a permission."""


class NotFoundError(ApiError):
    """HTTP 404."""


class RateLimitedError(ApiError):
    """HTTP 429 or a vendor throttle body; `.retry_after` is the server's wait in seconds, if it gave one."""

    def __init__(self, message: str, *, retry_after: float | None = None, **fields: Any) -> None:
        super().__init__(message, **fields)
        self.retry_after = retry_after

    def __str__(self) -> str:
        text = super().__str__()
        return text if self.retry_after is None else f"{text}; retry after {self.retry_after:.1f} s"


class ServerError(ApiError):
    """HTTP 5xx."""


class JobError(SellerkitError):
    """An export job did not produce its file; `.reference` is enough to rebuild the job handle."""

    def __init__(self, message: str, *, vendor: str, reference: str) -> None:
        super().__init__(message)
        self.message = message
        self.vendor = vendor
        self.reference = reference

    def __str__(self) -> str:
        # a reference may be a signed link
        return f"{self.message} — {self.vendor} job {redact_url(self.reference)}"


class JobFailedError(JobError):
    """The job reached a terminal state other than success."""

    def __init__(
        self,
        message: str,
        *,
        vendor: str,
        reference: str,
        status: str,
        vendor_message: str | None = None,
        details: list[str] | None = None,
    ) -> None:
        super().__init__(message, vendor=vendor, reference=reference)
        self.status = status
        self.vendor_message = vendor_message
        self.details = list(details or [])

    def __str__(self) -> str:
        text = f"{super().__str__()} ended {self.status}"
        if self.vendor_message:
            text += f": {self.vendor_message}"
        return text + "".join(f"\n  {line}" for line in self.details)


class JobTimeoutError(JobError):
    """The job was still running when the polling timeout passed."""

    def __init__(self, message: str, *, vendor: str, reference: str, last_status: str | None) -> None:
        super().__init__(message, vendor=vendor, reference=reference)
        self.last_status = last_status

    def __str__(self) -> str:
        return f"{super().__str__()} (last status {self.last_status})"


class DownloadError(SellerkitError):
    """A result file could not be downloaded completely."""

    def __init__(self, message: str, *, url: str | httpx.URL) -> None:
        super().__init__(message)
        self.message = message
        self.url = redact_url(url)

    def __str__(self) -> str:
        return f"{self.message} — {self.url}"


class StoreError(SellerkitError):
    """The shared store (Redis) of quotas and job records refused or lost what it holds. `url` is redacted."""

    def __init__(self, message: str, *, url: str) -> None:
        super().__init__(message)
        self.message = message
        self.url = redact_url(url)


class StoreUnavailableError(StoreError):
    """The shared store can't be reached (after reconnect attempts); no vendor request was sent for it."""


class TokenUnavailableError(SellerkitError):
    """No token for this request: the token requests it waited for (made by other calls) did not finish."""


class APIConnectionError(SellerkitError):
    """No HTTP answer: connection refused, DNS, TLS, a dropped connection or a protocol error, after retries.

    `vendor`, `method`, `url` (stored redacted) name the request, `attempts` is how many were made; the last
    httpx exception is the `__cause__`. Name as in openai-python.
    """

    def __init__(
        self, message: str, *, vendor: str, method: str, url: str | httpx.URL, attempts: int
    ) -> None:
        super().__init__(message)
        self.message = message
        self.vendor = vendor
        self.method = method
        self.url = redact_url(url)
        self.attempts = attempts

    def __str__(self) -> str:
        plural = "attempt" if self.attempts == 1 else "attempts"
        return f"{self.message} — {self.method} {self.url} after {self.attempts} {plural}"


class APITimeoutError(APIConnectionError):
    """An `APIConnectionError` from a timeout (connect, read, write or pool)."""
