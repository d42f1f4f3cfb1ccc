"""Exit codes and the one-line message (plus the fix) for every error the command line can end with."""

from __future__ import annotations

import enum

from sellerkit._core.errors import (
    APIConnectionError,
    ApiError,
    AuthenticationError,
    BadRequestError,
    ConfigurationError,
    JobError,
    JobTimeoutError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitedError,
    SellerkitError,
    TokenUnavailableError,
)


class Exit(enum.IntEnum):
    """`sellerkit`'s exit codes (README "Command line"); 130 after Ctrl-C, as shells do."""

    OK = 0
    ERROR = 1  # anything else: an unexpected error (run again with --debug for the traceback)
    BAD_INPUT = 2  # a wrong command, option or value (or one the vendor refused: 400), a missing credential
    AUTH = 3  # the vendor refused the credentials (401/403)
    NOT_FOUND = 4  # the vendor does not know the job, file or resource (404)
    RATE_LIMITED = 5  # quota or throttle: waiting longer than allowed (max_wait)
    JOB_FAILED = 6  # the export job failed, was cancelled, or did not finish in time
    NETWORK = 7  # no answer: connection refused, DNS, TLS, timeout, a dropped connection
    SERVER = 8  # the vendor answered with a server error (5xx) or something unusable
    INTERRUPTED = 130  # Ctrl-C: the job keeps running at the vendor; `sellerkit resume REF`


def _chain(exc: BaseException) -> list[BaseException]:
    seen: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in seen:
        seen.append(current)
        current = current.__cause__
    return seen


def classify(exc: BaseException) -> Exit:
    """The exit code of an error (a wrapping error, such as a `DownloadError`, by its cause)."""
    for item in _chain(exc):
        if isinstance(item, ConfigurationError | NotImplementedError | BadRequestError):
            return Exit.BAD_INPUT
        if isinstance(item, AuthenticationError | PermissionDeniedError | TokenUnavailableError):
            return Exit.AUTH
        if isinstance(item, NotFoundError):
            return Exit.NOT_FOUND
        if isinstance(item, RateLimitedError):
            return Exit.RATE_LIMITED
        if isinstance(item, JobError):
            return Exit.JOB_FAILED
        if isinstance(item, APIConnectionError):
            return Exit.NETWORK
        if isinstance(item, ApiError):
            return Exit.SERVER
    return Exit.ERROR if not isinstance(exc, SellerkitError) else Exit.SERVER


def fix(code: Exit, exc: BaseException, *, credentials: str, reference: str | None) -> str:
    """What to do about it, in one line."""
    resume = f"sellerkit resume {reference}" if reference else "the same command"
    if code is Exit.AUTH:
        return f"fix: check the credentials ({credentials})"
    if code is Exit.NOT_FOUND:
        return "fix: check the job reference (`sellerkit jobs`) and the filters"
    if code is Exit.RATE_LIMITED:
        after = getattr(
            next((e for e in _chain(exc) if isinstance(e, RateLimitedError)), None), "retry_after", None
        )
        wait = f" in {after:.0f} s" if after else " later"
        return f"fix: the quota refills — run {resume}{wait}"
    if code is Exit.JOB_FAILED:
        if isinstance(exc, JobTimeoutError):
            return f"fix: the job is still running — run {resume} later"
        return "fix: see the vendor's message; run the export again with --fresh for a new job"
    if code is Exit.NETWORK:
        return f"fix: check the network and --base-url, then run {resume} (downloads resume)"
    if code is Exit.SERVER:
        return f"fix: the vendor had a problem — run {resume} later"
    if code is Exit.BAD_INPUT:
        if any(isinstance(e, BadRequestError) for e in _chain(exc)):
            return "fix: the vendor refused the request as invalid — check the values against --help"
        return "fix: see --help for the command's options"
    return "run again with --debug for the traceback"
