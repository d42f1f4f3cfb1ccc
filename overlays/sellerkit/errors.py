"""Every exception sellerkit raises, for `except` clauses: `from sellerkit.errors import ApiError`.

`SellerkitError` is the base of all of them. HTTP errors are `ApiError`s (`status_code`, `request_id`, `code`,
`vendor_message`, `body`, `response`) with a subclass per status; no HTTP answer at all (refused, DNS, TLS,
dropped, timed out) is an `APIConnectionError` / `APITimeoutError`; export jobs fail with `JobError`s; a
shared store (Redis) that is unreachable or lost its data is a `StoreUnavailableError` / `StoreError`;
`ConfigurationError` is bad input, raised before any request. Every vendor package re-exports the same set.
"""

from sellerkit._core.errors import (
    APIConnectionError,
    ApiError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    ConfigurationError,
    DownloadError,
    JobError,
    JobFailedError,
    JobTimeoutError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitedError,
    SellerkitError,
    ServerError,
    StoreError,
    StoreUnavailableError,
    TokenUnavailableError,
)

__all__ = [
    "APIConnectionError",
    "APITimeoutError",
    "ApiError",
    "AuthenticationError",
    "BadRequestError",
    "ConfigurationError",
    "DownloadError",
    "JobError",
    "JobFailedError",
    "JobTimeoutError",
    "NotFoundError",
    "PermissionDeniedError",
    "RateLimitedError",
    "SellerkitError",
    "ServerError",
    "StoreError",
    "StoreUnavailableError",
    "TokenUnavailableError",
]

# tracebacks and reprs name the public module users import from, not the private one they live in
for _name in __all__:
    globals()[_name].__module__ = __name__
del _name
