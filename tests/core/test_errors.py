"""Every vendor's error bodies become typed exceptions; no decode error escapes, no secret leaks."""

from __future__ import annotations

import json
import pickle
from collections.abc import Iterator
from datetime import UTC, datetime
from email.utils import format_datetime

import httpx
import pytest

from sellerkit._core.bodies import (
    MAX_ERROR_BODY,
    MAX_MESSAGE,
    ErrorFacts,
    error_from_response,
    parse_retry_after,
    reset_time_throttle,
    seconds_until,
    server_time,
    wait_past,
)
from sellerkit._core.errors import (
    ApiError,
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
)

TOKEN = "tok-5ecr3t-value"
URL = f"https://api.example.com/v1/export?id=7&token={TOKEN}"
FACTS = ErrorFacts("acme")
NOW = datetime(2026, 11, 23, 12, 0, 0, tzinfo=UTC).timestamp()


def response(
    status: int, *, body: object = None, content: bytes | None = None, headers: dict[str, str] | None = None
) -> httpx.Response:
    request = httpx.Request("POST", URL, headers={"Authorization": f"Bearer {TOKEN}"})
    headers = dict(headers or {})
    if content is None and body is not None:
        content = json.dumps(body).encode()
        headers.setdefault("content-type", "application/json")
    return httpx.Response(status, content=content or b"", headers=headers, request=request)


@pytest.mark.parametrize(
    ("status", "cls"),
    [
        (400, BadRequestError),
        (422, BadRequestError),
        (401, AuthenticationError),
        (403, PermissionDeniedError),
        (404, NotFoundError),
        (429, RateLimitedError),
        (500, ServerError),
        (502, ServerError),
        (599, ServerError),
        (409, ApiError),
        (418, ApiError),
    ],
)
def test_status_picks_the_error_class(status: int, cls: type[ApiError]) -> None:
    error = error_from_response(response(status, body={"message": "nope"}), FACTS)
    assert type(error) is cls
    assert error.status == status
    assert isinstance(error, SellerkitError)


def test_a_vendor_may_answer_bad_credentials_with_another_status() -> None:
    facts = ErrorFacts("selsup", authentication_statuses=frozenset({401, 403}))
    for status in (401, 403):
        assert type(error_from_response(response(status, body={"message": "bad key"}), facts)) is (
            AuthenticationError
        )
    assert type(error_from_response(response(403), FACTS)) is PermissionDeniedError  # the default: 401 only
    assert type(error_from_response(response(404), facts)) is NotFoundError


def test_hints_say_what_to_check_for_a_status() -> None:
    facts = ErrorFacts("selsup", hints={403: "check SELSUP_API_KEY"})
    error = error_from_response(response(403, body={"message": "Forbidden"}), facts)
    assert error.message == "Forbidden (check SELSUP_API_KEY)" and error.vendor_message == "Forbidden"
    assert "(check SELSUP_API_KEY)" in str(error)
    assert error_from_response(response(404), facts).message == "HTTP 404 Not Found"  # no hint: unchanged


@pytest.mark.parametrize(
    ("body", "message", "code"),
    [
        # SelSup 400, 403, 500 and the older shape
        (
            {"error": "VALIDATION", "localMessage": "Неверный id", "params": ["id"]},
            "Неверный id",
            "VALIDATION",
        ),
        ({"error": "Access denied"}, "Access denied", None),
        ({"error": "NPE", "message": "Internal failure", "system": "core"}, "Internal failure", "NPE"),
        ({"message": "Task not found", "messageParams": ["5"]}, "Task not found", None),
        # Sellers Commerce OAuth and envelope
        (
            {"error": "invalid_grant", "error_description": "The user name is incorrect."},
            None,
            "invalid_grant",
        ),
        (
            {"Results": None, "ResponseMessage": "Invalid category", "StatusCode": 27},
            "Invalid category",
            "27",
        ),
        # Wabi2b, Sellercloud
        ({"message": "Unauthorized"}, "Unauthorized", None),
        (
            {"Error": "Too many requests.", "RateLimitResetTime": "2026-11-23T12:01:00Z"},
            "Too many requests.",
            None,
        ),
    ],
)
def test_vendor_bodies_give_message_and_code(
    body: dict[str, object], message: str | None, code: str | None
) -> None:
    error = error_from_response(response(400, body=body), FACTS)
    assert error.vendor_message == (message or body.get("error_description"))
    assert error.code == code
    assert error.message == error.vendor_message


def test_vendor_specific_keys_win_over_defaults() -> None:
    facts = ErrorFacts("acme", message_keys=("detail",), code_keys=("kind",), request_id_headers=("X-Trace",))
    error = error_from_response(
        response(
            400, body={"message": "generic", "detail": "specific", "kind": "E1"}, headers={"x-trace": "t-1"}
        ),
        facts,
    )
    assert (error.vendor_message, error.code, error.request_id) == ("specific", "E1", "t-1")


def test_str_names_everything_but_the_credentials() -> None:
    error = error_from_response(
        response(
            404, body={"message": "Job 7 not found", "code": "E404"}, headers={"X-Request-Id": "req-42"}
        ),
        FACTS,
    )
    text = str(error)
    for part in ("acme", "POST", "https://api.example.com/v1/export?id=7&token=***", "404", "E404", "req-42"):
        assert part in text
    assert "Job 7 not found" in text
    assert TOKEN not in text and TOKEN not in repr(error) and TOKEN not in (error.url or "")


def html_page() -> bytes:
    return b"<html><head><title>502 Bad Gateway</title></head><body><h1>nginx</h1></body></html>"


@pytest.mark.parametrize(
    ("content", "content_type", "expected"),
    [
        (html_page(), "text/html", "502 Bad Gateway"),
        (b"<html><body><p>Service\n  down</p></body></html>", "text/html", "Service down"),
        (b"", "", None),
        (b"   \n", "text/plain", None),
        (b"upstream timed out", "text/plain", "upstream timed out"),
        (b"\x89PNG\r\n\x1a\n\xff\xfe\x00", "image/png", "<11 bytes of image/png>"),
        (b'{"message": "cut off', "application/json", '{"message": "cut off'),
        (b'"just a string"', "application/json", "just a string"),
        (b"[1, 2]", "application/json", None),
        (b"[" * 100_000, "application/json", "[" * (MAX_MESSAGE - 1) + "…"),
    ],
)
def test_non_json_bodies_never_escape_as_decode_errors(
    content: bytes, content_type: str, expected: str | None
) -> None:
    error = error_from_response(response(502, content=content, headers={"content-type": content_type}), FACTS)
    assert isinstance(error, ServerError)
    assert error.vendor_message == expected
    assert error.message == (expected or "HTTP 502 Bad Gateway")


def test_huge_bodies_are_truncated() -> None:
    huge = json.dumps({"message": "x" * 5_000_000}).encode()
    error = error_from_response(
        response(500, content=huge, headers={"content-type": "application/json"}), FACTS
    )
    assert error.vendor_message is not None
    assert len(error.vendor_message) == MAX_MESSAGE
    assert len(str(error)) < 2 * MAX_MESSAGE


@pytest.mark.parametrize("content_type", ["text/plain; charset=utf-8", ""])
def test_huge_text_cut_inside_a_character_is_still_text(content_type: str) -> None:
    content = ("x" + "é" * MAX_ERROR_BODY).encode()
    error = error_from_response(response(500, content=content, headers={"content-type": content_type}), FACTS)
    assert error.vendor_message == "x" + "é" * (MAX_MESSAGE - 2) + "…"


def test_latin1_text_is_shown_not_called_binary() -> None:
    content = "Zugriff verweigert für Benutzer".encode("latin-1")
    error = error_from_response(response(403, content=content, headers={"content-type": "text/plain"}), FACTS)
    assert error.vendor_message == "Zugriff verweigert f\ufffdr Benutzer"


def test_unread_streaming_response_still_gives_an_error() -> None:
    def chunks() -> Iterator[bytes]:
        yield b"never read"

    streaming = httpx.Response(503, content=chunks(), request=httpx.Request("GET", URL))
    error = error_from_response(streaming, FACTS)
    assert isinstance(error, ServerError)
    assert error.vendor_message is None


def test_response_without_request() -> None:
    error = error_from_response(httpx.Response(401, json={"message": "no"}), FACTS)
    assert isinstance(error, AuthenticationError)
    assert (error.method, error.url) == (None, None)


def test_retry_after_header_on_429() -> None:
    error = error_from_response(
        response(429, body={"message": "slow down"}, headers={"Retry-After": "17"}), FACTS
    )
    assert isinstance(error, RateLimitedError)
    assert error.retry_after == 18.0  # whole seconds, possibly rounded down: the wait that surely suffices
    assert "retry after 18.0 s" in str(error)


def test_vendor_throttle_body_is_rate_limited_whatever_the_status() -> None:
    facts = ErrorFacts("sellercloud", throttle=reset_time_throttle("RateLimitResetTime", clock=lambda: NOW))
    body = {"Error": "Too many requests.", "RateLimitResetTime": "2026-11-23T12:01:30Z"}
    error = error_from_response(response(503, body=body), facts)
    assert isinstance(error, RateLimitedError)
    # 90 s on the client's clock, + 1 s: the reset time's resolution, + 1 s: no Date, the skew is unknown
    assert error.retry_after == pytest.approx(92.0)
    assert error.status == 503
    # the server's Date says its clock is 5 s ahead: 85 s on it, + the resolution
    served = {"Date": format_datetime(datetime(2026, 11, 23, 12, 0, 5, tzinfo=UTC), usegmt=True)}
    ahead = error_from_response(response(503, body=body, headers=served), facts)
    assert isinstance(ahead, RateLimitedError) and ahead.retry_after == pytest.approx(86.0)
    # a reset time already past on the server's clock still waits the shortest throttle wait
    past = {"Error": "Too many requests.", "RateLimitResetTime": "2026-11-23T11:59:00Z"}
    late = error_from_response(response(429, body=past, headers=served), facts)
    assert isinstance(late, RateLimitedError) and late.retry_after == 1.0
    other = error_from_response(response(503, body={"Error": "boom"}), facts)
    assert type(other) is ServerError


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        ("2026-11-23T12:00:30Z", 30.0),
        ("2026-11-23T12:00:30", 30.0),  # no zone: UTC
        ("2026-11-23T13:00:30+01:00", 30.0),
        ("2026-11-23T12:00:00.250Z", 0.25),
        (format_datetime(datetime(2026, 11, 23, 12, 2, tzinfo=UTC), usegmt=True), 120.0),
        ("2026-11-23T11:00:00Z", 0.0),  # already past
        ("soon", None),
        ("", None),
    ],
)
def test_seconds_until(moment: str, expected: float | None) -> None:
    assert seconds_until(moment, now=NOW) == (None if expected is None else pytest.approx(expected))


@pytest.mark.parametrize(
    ("moment", "server_now", "expected"),
    [
        ("2026-11-23T12:00:30Z", None, 32.0),  # + 1 s resolution + 1 s unknown skew
        ("2026-11-23T12:00:30Z", NOW + 2.0, 29.0),  # the server's clock 2 s ahead: + 1 s resolution only
        ("2026-11-23T12:00:30Z", NOW - 2.0, 33.0),  # 2 s behind
        ("2026-11-23T12:00:30.250Z", NOW, 30.251),  # milliseconds: a millisecond's resolution
        (format_datetime(datetime(2026, 11, 23, 12, 2, tzinfo=UTC), usegmt=True), NOW, 121.0),
        ("2026-11-23T11:00:00Z", NOW, -3599.0),  # past: negative (the caller floors throttle waits)
        ("soon", NOW, None),
    ],
)
def test_wait_past_a_server_moment(moment: str, server_now: float | None, expected: float | None) -> None:
    got = wait_past(moment, now=NOW, server_now=server_now)
    assert got == (None if expected is None else pytest.approx(expected))


def test_server_time_is_the_date_header() -> None:
    date = format_datetime(datetime(2026, 11, 23, 12, 0, 7, tzinfo=UTC), usegmt=True)
    assert server_time(httpx.Headers({"Date": date})) == NOW + 7.0
    assert server_time({"date": date}) == NOW + 7.0
    assert server_time(httpx.Headers({"Date": "yesterday"})) is None
    assert server_time(httpx.Headers()) is None and server_time(None) is None


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("120", 120.0),
        (" 5 ", 5.0),
        ("0", 0.0),
        ("1.5", 1.5),
        ("-3", None),
        ("inf", None),
        ("nan", None),
        ("", None),
        (None, None),
        ("later", None),
        ("Mon, 23 Nov 2026 12:00:45 GMT", 45.0),
    ],
)
def test_parse_retry_after(value: str | None, expected: float | None) -> None:
    assert parse_retry_after(value, now=NOW) == (None if expected is None else pytest.approx(expected))


def test_job_errors_carry_the_reference() -> None:
    failed = JobFailedError(
        "export failed",
        vendor="selsup",
        reference="42",
        status="ERROR",
        vendor_message="no products",
        details=["line 1: bad SKU", "line 2: bad SKU"],
    )
    timeout = JobTimeoutError("still running", vendor="wabi2b", reference="cb-9", last_status="In Progress")
    assert isinstance(failed, JobError) and isinstance(timeout, JobError)
    assert (failed.reference, failed.status, failed.details) == (
        "42",
        "ERROR",
        ["line 1: bad SKU", "line 2: bad SKU"],
    )
    assert all(part in str(failed) for part in ("selsup", "42", "ERROR", "no products", "line 2: bad SKU"))
    assert all(part in str(timeout) for part in ("wabi2b", "cb-9", "In Progress"))


def test_job_reference_links_are_redacted_in_text_only() -> None:
    link = f"https://h.example/jobs?id=5&signature={TOKEN}"
    error = JobTimeoutError("slow", vendor="acme", reference=link, last_status=None)
    assert TOKEN not in str(error) and TOKEN not in repr(error)
    assert error.reference == link  # still usable to rebuild the handle


def test_download_error_redacts_its_url() -> None:
    error = DownloadError("size mismatch", url=httpx.URL(URL))
    assert TOKEN not in str(error) and TOKEN not in repr(error) and TOKEN not in error.url
    assert "size mismatch" in str(error)


def test_configuration_error_is_a_value_error() -> None:
    assert issubclass(ConfigurationError, ValueError)
    assert issubclass(ConfigurationError, SellerkitError)


@pytest.mark.parametrize(
    "error",
    [
        RateLimitedError("slow", vendor="acme", status=429, retry_after=3.0, url=URL, code="E"),
        JobFailedError("failed", vendor="acme", reference="7", status="Failed", details=["x"]),
        JobTimeoutError("slow", vendor="acme", reference="7", last_status="Processing"),
        DownloadError("cut", url=URL),
        ConfigurationError("fix it"),
    ],
)
def test_errors_survive_pickling(error: SellerkitError) -> None:
    copy = pickle.loads(pickle.dumps(error))
    assert type(copy) is type(error)
    assert copy.__dict__ == error.__dict__
    assert str(copy) == str(error)


def test_a_vendor_code_picks_the_error_class_whatever_the_status() -> None:
    class OrderGone(NotFoundError):
        pass

    facts = ErrorFacts("acme", code_classes={"24": OrderGone})
    body = {"Results": "OrderNotExist", "ResponseMessage": "Order Does Not Exist", "StatusCode": 24}
    for status in (404, 406, 200):
        error = error_from_response(httpx.Response(status, json=body), facts)
        assert type(error) is OrderGone and error.code == "24"
        assert error.vendor_message == "Order Does Not Exist" and error.status_code == status
    other = error_from_response(httpx.Response(406, json={**body, "StatusCode": 30}), facts)
    assert type(other) is ApiError and other.code == "30"
