"""Credentials stay out of reprs, header dumps and URLs."""

from __future__ import annotations

import logging

import httpx
import pytest

from sellerkit._core.redact import Secret, logger, redact_headers, redact_url

TOKEN = "tok-5ecr3t-value"


def test_secret_never_shows_its_value() -> None:
    secret = Secret(TOKEN)
    shown = [repr(secret), str(secret), f"{secret}", f"{secret!r}", repr([secret]), repr({"k": secret})]
    assert all(TOKEN not in text for text in shown)
    assert repr(secret) == str(secret) == "Secret('***')"
    assert secret.get() == TOKEN


def test_secret_compares_by_value() -> None:
    assert Secret(TOKEN) == Secret(TOKEN)
    assert Secret(TOKEN) != Secret(TOKEN + "x")
    assert Secret(TOKEN) != TOKEN  # a Secret is not interchangeable with the plain string
    assert len({Secret(TOKEN), Secret(TOKEN)}) == 1
    assert not Secret("")


def test_secret_rejects_non_strings() -> None:
    with pytest.raises(TypeError, match="str"):
        Secret(b"bytes")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "name",
    [
        "Authorization",
        "authorization",
        "Proxy-Authorization",
        "x-api-key",
        "X-API-KEY",
        "Cookie",
        "Set-Cookie",
        "X-Auth-Token",
        "X-Client-Secret",
        "X-Amz-Security-Token",
        "Api-Password",
        "X-Signature",
    ],
)
def test_redact_headers_hides_credential_headers(name: str) -> None:
    headers = httpx.Headers({name: TOKEN, "Content-Type": "application/json"})
    redacted = redact_headers(headers)
    assert TOKEN not in repr(redacted)
    assert redacted[name.lower()] == "***"  # httpx.Headers yields lower-cased names
    assert redacted["content-type"] == "application/json"


@pytest.mark.parametrize("name", ["Content-Type", "Accept", "X-Request-Id", "Format", "User-Agent"])
def test_redact_headers_keeps_ordinary_headers(name: str) -> None:
    assert redact_headers({name: "value"}) == {name: "value"}


@pytest.mark.parametrize(
    "param",
    [
        "token",
        "Token",
        "key",
        "apikey",
        "APIKEY",
        "api_key",
        "password",
        "access_token",
        "refresh_token",
        "signature",
        "sig",
        "X-Amz-Signature",
        "X-Amz-Credential",
        "x-amz-security-token",
        "X-Amz-Expires",
        "client_secret",
        "api%5Fkey",
    ],
)
def test_redact_url_hides_credential_parameters(param: str) -> None:
    url = f"https://h.example/path/file.csv?id=2206923&{param}={TOKEN}&page=2"
    assert redact_url(url) == f"https://h.example/path/file.csv?id=2206923&{param}=***&page=2"


def test_redact_url_hides_user_info_and_fragment_tokens() -> None:
    url = f"https://user:{TOKEN}@h.example/cb#access_token={TOKEN}&state=abc"
    assert redact_url(url) == "https://***@h.example/cb#access_token=***&state=abc"


def test_redact_url_leaves_clean_urls_byte_for_byte() -> None:
    url = "https://x.api.sellercloud.com/rest/api/QueuedJobs/OutputFile?id=5&a=%20b&empty=&flag"
    assert redact_url(url) == url


def test_redact_url_accepts_httpx_urls_and_odd_input() -> None:
    assert (
        redact_url(httpx.URL("https://h.example/", params={"token": TOKEN})) == "https://h.example/?token=***"
    )
    assert redact_url("http://[::1") == "http://[::1"  # unparseable for urllib, still no exception
    assert redact_url(None) == "None"


def test_package_logger_is_the_sellerkit_logger() -> None:
    assert logger is logging.getLogger("sellerkit")
    assert logging.getLogger("sellerkit.retry").parent is logger
