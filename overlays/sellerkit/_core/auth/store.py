"""Token sets, when to renew them, parsing token responses, and stores that keep them across restarts."""

from __future__ import annotations

import contextlib
import json
import logging
import math
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import httpx

from ..files import write_atomically
from ..redact import Secret

auth_log = logging.getLogger("sellerkit.auth")


@dataclass(frozen=True)
class TokenSet:
    """An access token and what came with it; times are epoch seconds on the auth's clock."""

    access_token: Secret
    token_type: str = "Bearer"
    obtained_at: float | None = None
    expires_at: float | None = None
    refresh_token: Secret | None = None
    refresh_expires_at: float | None = None

    def refresh_expired(self, now: float) -> bool:
        """Whether the refresh token is known to be dead by now (unknown lifetime: not expired)."""
        return self.refresh_expires_at is not None and now >= self.refresh_expires_at

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready fields with the secrets in clear: only for token stores."""
        return {
            "access_token": self.access_token.get(),
            "token_type": self.token_type,
            "obtained_at": self.obtained_at,
            "expires_at": self.expires_at,
            "refresh_token": None if self.refresh_token is None else self.refresh_token.get(),
            "refresh_expires_at": self.refresh_expires_at,
        }

    @classmethod
    def from_dict(cls, data: object) -> TokenSet:
        """The inverse of `to_dict`; a `ValueError` names the bad field (never its value)."""
        if not isinstance(data, Mapping):
            raise ValueError("a token set is a JSON object")
        access, refresh = data.get("access_token"), data.get("refresh_token")
        if not isinstance(access, str) or not access:
            raise ValueError("access_token is missing or not a string")
        if refresh is not None and not isinstance(refresh, str):
            raise ValueError("refresh_token is not a string")
        token_type = data.get("token_type") or "Bearer"
        if not isinstance(token_type, str):
            raise ValueError("token_type is not a string")
        return cls(
            access_token=Secret(access),
            token_type=token_type,
            obtained_at=_time(data, "obtained_at"),
            expires_at=_time(data, "expires_at"),
            refresh_token=Secret(refresh) if refresh else None,
            refresh_expires_at=_time(data, "refresh_expires_at"),
        )


def _time(data: Mapping[str, Any], key: str) -> float | None:
    value = data.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ValueError(f"{key} is not a finite number")
    return float(value)


@dataclass(frozen=True)
class RenewPolicy:
    """Renew at `fraction` of the lifetime or `margin` s before expiry (the earlier), not before `floor`."""

    fraction: float = 0.8
    margin: float = 60.0
    # a 60 s token with a 60 s margin would otherwise be renewed on every request
    floor: float = 0.5

    def renew_at(self, tokens: TokenSet) -> float:
        """When `tokens` should be replaced (inf: no known expiry, only a 401 replaces it)."""
        if tokens.expires_at is None:
            return math.inf
        if tokens.obtained_at is None:
            return tokens.expires_at - self.margin
        lifetime = max(0.0, tokens.expires_at - tokens.obtained_at)
        early = min(self.fraction * lifetime, lifetime - self.margin)
        return tokens.obtained_at + max(early, self.floor * lifetime)


def _seconds(body: Mapping[str, Any], *keys: str) -> float | None:
    for key in keys:
        value = body.get(key)
        if isinstance(value, str):
            with contextlib.suppress(ValueError):
                value = float(value)
        if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value):
            return max(0.0, float(value))
    return None


def parse_token_response(response: httpx.Response, now: float) -> TokenSet:
    """An RFC 6749 token response (`access_token`, `token_type`, `expires_in`, `refresh_token`)."""
    try:
        body = response.json()
    except ValueError:
        raise ValueError("the token response is not JSON") from None
    if not isinstance(body, dict):
        raise ValueError("the token response is not a JSON object")
    access, refresh = body.get("access_token"), body.get("refresh_token")
    if not isinstance(access, str) or not access:
        raise ValueError("the token response has no access_token")
    expires_in = _seconds(body, "expires_in")
    refresh_in = _seconds(body, "refresh_token_expires_in", "refresh_expires_in")
    token_type = body.get("token_type")
    return TokenSet(
        access_token=Secret(access),
        token_type=token_type if isinstance(token_type, str) and token_type else "Bearer",
        obtained_at=now,
        expires_at=None if expires_in is None else now + expires_in,
        refresh_token=Secret(refresh) if isinstance(refresh, str) and refresh else None,
        refresh_expires_at=None if refresh_in is None else now + refresh_in,
    )


class TokenStore(Protocol):
    """Where tokens outlive the process: `load()` on first use, `save()` after every new token set."""

    def load(self) -> TokenSet | None: ...

    def save(self, tokens: TokenSet) -> None: ...


class CallbackTokenStore:
    """A `TokenStore` from callables (e.g. a secrets manager); without `load`, nothing is loaded."""

    def __init__(
        self, save: Callable[[TokenSet], object], load: Callable[[], TokenSet | None] | None = None
    ) -> None:
        self._save, self._load = save, load

    def load(self) -> TokenSet | None:
        return None if self._load is None else self._load()

    def save(self, tokens: TokenSet) -> None:
        self._save(tokens)

    def __repr__(self) -> str:
        return f"CallbackTokenStore(save={self._save!r}, load={self._load!r})"


class FileTokenStore:
    """A `TokenStore` in a JSON file: replaced atomically (temp file, fsync, rename), mode 0600."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)

    def load(self) -> TokenSet | None:
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return None
        try:
            return TokenSet.from_dict(json.loads(text))
        except ValueError as exc:  # JSONDecodeError too; its message quotes no content
            auth_log.warning("ignoring the unreadable token file %s: %s", self.path, exc)
            return None

    def save(self, tokens: TokenSet) -> None:
        data = json.dumps(tokens.to_dict(), indent=2).encode("utf-8")
        self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)  # a new folder: the user's only
        write_atomically(self.path, data, private=True)

    def __repr__(self) -> str:
        return f"FileTokenStore({str(self.path)!r})"
