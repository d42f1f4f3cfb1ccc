"""Token sets, the renew rule, parsing token responses, and the token stores."""

from __future__ import annotations

import json
import logging
import math
import os
import stat
from pathlib import Path

import httpx
import pytest

from sellerkit._core.auth import (
    CallbackTokenStore,
    FileTokenStore,
    RenewPolicy,
    TokenSet,
    TokenStore,
    parse_token_response,
)
from sellerkit._core.redact import Secret

ACCESS = "at-5ecr3t-access"
REFRESH = "rt-5ecr3t-refresh"


def token_set(**changes: object) -> TokenSet:
    fields: dict[str, object] = {
        "access_token": Secret(ACCESS),
        "token_type": "bearer",
        "obtained_at": 1000.0,
        "expires_at": 4600.0,
        "refresh_token": Secret(REFRESH),
        "refresh_expires_at": 15400.0,
    }
    return TokenSet(**(fields | changes))  # type: ignore[arg-type]


def response(body: object, status: int = 200) -> httpx.Response:
    return httpx.Response(status, json=body, request=httpx.Request("POST", "https://auth.example.com/token"))


@pytest.mark.parametrize(
    ("lifetime", "renew_after"),
    [
        (3600.0, 2880.0),  # 80 % of an hour is earlier than 60 s before expiry
        (1800.0, 1440.0),  # Sellercloud's example token
        (200.0, 140.0),  # 60 s before expiry is earlier than 80 %
        (60.0, 30.0),  # never before half the lifetime: not a refresh on every request
        (0.0, 0.0),
    ],
)
def test_renew_at_is_80_percent_or_60_s_before_expiry_whichever_is_earlier(
    lifetime: float, renew_after: float
) -> None:
    tokens = token_set(obtained_at=1000.0, expires_at=1000.0 + lifetime)
    assert RenewPolicy().renew_at(tokens) == pytest.approx(1000.0 + renew_after)


def test_renew_at_without_lifetime_facts() -> None:
    assert RenewPolicy().renew_at(token_set(expires_at=None)) == math.inf  # only a 401 replaces it
    assert RenewPolicy().renew_at(token_set(obtained_at=None, expires_at=500.0)) == 440.0
    assert RenewPolicy(fraction=0.5, margin=10, floor=0).renew_at(token_set()) == 2800.0


def test_token_set_round_trips_through_a_dict_and_never_shows_its_tokens() -> None:
    tokens = token_set()
    assert TokenSet.from_dict(json.loads(json.dumps(tokens.to_dict()))) == tokens
    for text in (repr(tokens), str(tokens)):
        assert ACCESS not in text and REFRESH not in text and "***" in text
    assert not tokens.refresh_expired(15399.0) and tokens.refresh_expired(15400.0)
    assert not token_set(refresh_expires_at=None).refresh_expired(1e12)


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ([], "JSON object"),
        ({"access_token": ""}, "access_token"),
        ({"access_token": "a", "refresh_token": 5}, "refresh_token"),
        ({"access_token": "a", "token_type": 1}, "token_type"),
        ({"access_token": "a", "expires_at": "soon"}, "expires_at"),
        ({"access_token": "a", "obtained_at": float("nan")}, "obtained_at"),
        ({"access_token": "a", "refresh_expires_at": True}, "refresh_expires_at"),
    ],
)
def test_from_dict_names_the_bad_field(data: object, field: str) -> None:
    with pytest.raises(ValueError, match=field):
        TokenSet.from_dict(data)


def test_parse_token_response_reads_rfc_6749_fields() -> None:
    body = {"access_token": ACCESS, "token_type": "bearer", "expires_in": 3599, "refresh_token": REFRESH}
    expected = token_set(expires_at=4599.0, refresh_expires_at=None)
    assert parse_token_response(response(body), 1000.0) == expected
    # Sellercloud: no refresh token, extra dotted fields; expires_in may come as a string
    sellercloud = {"access_token": ACCESS, "token_type": "Bearer", "expires_in": "1800", ".issued": "x"}
    parsed = parse_token_response(response(sellercloud), 10.0)
    assert (parsed.expires_at, parsed.refresh_token, parsed.token_type) == (1810.0, None, "Bearer")
    minimal = parse_token_response(response({"access_token": ACCESS, "refresh_token_expires_in": 60}), 0.0)
    assert (minimal.token_type, minimal.expires_at, minimal.refresh_expires_at) == ("Bearer", None, 60.0)


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        (b"<html>", "not JSON"),
        (b"[1]", "not a JSON object"),
        (b'{"token_type": "bearer", "refresh_token": "rt-5ecr3t-refresh"}', "no access_token"),
    ],
)
def test_parse_token_response_names_what_is_wrong_without_quoting_it(body: bytes, problem: str) -> None:
    with pytest.raises(ValueError, match=problem) as raised:
        parse_token_response(httpx.Response(200, content=body), 0.0)
    assert REFRESH not in str(raised.value)


def test_file_token_store_writes_json_atomically_readable_by_the_owner_only(tmp_path: Path) -> None:
    store: TokenStore = FileTokenStore(tmp_path / "tokens.json")
    assert store.load() is None
    store.save(token_set())
    path = tmp_path / "tokens.json"
    assert json.loads(path.read_text())["refresh_token"] == REFRESH
    if os.name == "posix":
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    store.save(token_set(refresh_token=Secret("rt-next")))
    assert FileTokenStore(path).load() == token_set(refresh_token=Secret("rt-next"))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["tokens.json"]  # no temp files left
    assert ACCESS not in repr(store) and str(path) in repr(store)


def test_file_token_store_replaces_without_ever_exposing_a_partial_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "tokens.json"
    FileTokenStore(path).save(token_set())

    def fail(*args: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", fail)
    with pytest.raises(OSError, match="disk full"):
        FileTokenStore(path).save(token_set(refresh_token=Secret("rt-lost")))
    assert FileTokenStore(path).load() == token_set()  # the old file is intact
    assert sorted(p.name for p in tmp_path.iterdir()) == ["tokens.json"]


def test_an_unreadable_token_file_is_ignored_with_a_warning_that_quotes_nothing(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "tokens.json"
    path.write_text('{"access_token": "at-5ecr3t-access", "refresh_token": ')
    with caplog.at_level(logging.WARNING, logger="sellerkit.auth"):
        assert FileTokenStore(path).load() is None
    assert "unreadable token file" in caplog.text and ACCESS not in caplog.text


def test_callback_token_store_adapts_callables() -> None:
    saved: list[TokenSet] = []
    store: TokenStore = CallbackTokenStore(saved.append, lambda: saved[-1] if saved else None)
    assert store.load() is None
    store.save(token_set())
    assert store.load() == token_set() and saved == [token_set()]
    assert CallbackTokenStore(saved.append).load() is None
