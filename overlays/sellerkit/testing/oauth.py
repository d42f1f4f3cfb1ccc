"""Token-server simulator: OAuth2 password grant with rotating refresh tokens, a JSON login, a protected API.

Shaped after Sellers Commerce (`POST /token`, form fields, `{access_token, token_type: "bearer", expires_in,
refresh_token}`, every refresh returns a new refresh token and the used one dies, errors `{error,
error_description}` with 400) and Sellercloud (`POST /api/token`, JSON `{Username, Password}`, no refresh
token). `GET|POST /protected` checks `Authorization: Bearer <access token>` (401 `invalid_token` otherwise).
Lifetimes run on the simulator's `ScaledClock`; every generic fault of the framework applies.
"""

from __future__ import annotations

import secrets
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar
from urllib.parse import parse_qs

from starlette.applications import Starlette
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp

from .framework import ScaledClock, Simulator, bearer_token

__all__ = ["OAuthSettings", "OAuthSimulator", "OAuthStats"]

DEFAULT_USERS: Mapping[str, str] = {"access-key-1": "shared-secret-1"}


@dataclass
class OAuthSettings:
    """Lifetimes in simulated seconds, and the paths."""

    access_ttl: float = 3600.0
    refresh_ttl: float = 4 * 3600.0
    # False: a refresh returns no new refresh token and the used one stays valid
    rotate: bool = True
    token_path: str = "/token"
    login_path: str = "/api/token"
    protected_path: str = "/protected"


@dataclass
class OAuthStats:
    """What the server has seen (updated under the simulator's lock)."""

    password_grants: int = 0
    rejected_passwords: int = 0
    refreshes: int = 0
    rejected_refreshes: int = 0
    logins: int = 0
    rejected_logins: int = 0
    protected_ok: int = 0
    protected_rejected: int = 0
    access_tokens_seen: set[str] = field(default_factory=set, repr=False)


class OAuthSimulator(Simulator[Any, Any]):
    """Issues and checks tokens; used refresh tokens die (rotation), like the real servers."""

    name: ClassVar[str] = "oauth"

    def __init__(
        self,
        clock: ScaledClock | None = None,
        settings: OAuthSettings | None = None,
        *,
        users: Mapping[str, str] | None = None,
    ) -> None:
        self.settings = settings or OAuthSettings()
        self.users = dict(DEFAULT_USERS if users is None else users)
        self.stats = OAuthStats()
        self._lock = threading.Lock()
        self._access: dict[str, float] = {}  # token -> expiry (simulated epoch seconds)
        self._refresh: dict[str, tuple[str, float]] = {}  # token -> (username, expiry)
        super().__init__(clock)

    # ---- for tests

    @property
    def username(self) -> str:
        return next(iter(self.users))

    @property
    def password(self) -> str:
        return self.users[self.username]

    @property
    def token_url(self) -> str:
        return self.url(self.settings.token_path)

    @property
    def login_url(self) -> str:
        return self.url(self.settings.login_path)

    @property
    def protected_url(self) -> str:
        return self.url(self.settings.protected_path)

    def issue(self, username: str | None = None, *, refresh: bool = True) -> dict[str, Any]:
        """Tokens as a password grant would return them, without counting a grant (to seed a client)."""
        with self._lock:
            return self._issue(username or self.username, refresh=refresh)

    def revoke_access(self, token: str | None = None) -> None:
        """Kill one access token (or all): the next use gets 401."""
        self._revoke(self._access, token)

    def revoke_refresh(self, token: str | None = None) -> None:
        """Kill one refresh token (or all): the next refresh with it gets 400 invalid_grant."""
        self._revoke(self._refresh, token)

    def _revoke(self, tokens: dict[str, Any], token: str | None) -> None:
        with self._lock:
            if token is None:
                tokens.clear()
            else:
                tokens.pop(token, None)

    def refresh_valid(self, token: str) -> bool:
        with self._lock:
            entry = self._refresh.get(token)
            return entry is not None and self.clock.now() < entry[1]

    # ---- the app

    def build_app(self) -> ASGIApp:
        protected = self.settings.protected_path
        return Starlette(
            routes=[
                Route(self.settings.token_path, self._token, methods=["POST"]),
                Route(self.settings.login_path, self._login, methods=["POST"]),
                Route(protected, self._protected, methods=["GET", "POST"]),
            ]
        )

    def _issue(self, username: str, *, refresh: bool) -> dict[str, Any]:
        now = self.clock.now()
        access = "at-" + secrets.token_urlsafe(18)
        self._access[access] = now + self.settings.access_ttl
        body: dict[str, Any] = {
            "access_token": access,
            "token_type": "bearer",
            "expires_in": int(self.settings.access_ttl),
        }
        if refresh:
            token = "rt-" + secrets.token_urlsafe(18)
            self._refresh[token] = (username, now + self.settings.refresh_ttl)
            body["refresh_token"] = token
        return body

    async def _token(self, request: Request) -> Response:
        try:
            raw = await request.body()
        except ClientDisconnect:  # the client gave up (e.g. a cancelled task): nothing was granted
            return Response(status_code=499)
        # parsed by hand: Starlette's request.form() needs python-multipart, which is not a dependency
        fields = parse_qs(raw.decode("utf-8", "replace"), keep_blank_values=True)
        form = {name: values[-1] for name, values in fields.items()}
        grant = form.get("grant_type")
        with self._lock:
            if grant == "password":
                username, password = form.get("username"), form.get("password")
                if username is None or self.users.get(username) != password:
                    self.stats.rejected_passwords += 1
                    return _oauth_error("invalid_grant", "The user name or password is incorrect.")
                self.stats.password_grants += 1
                return JSONResponse(self._issue(username, refresh=True))
            if grant == "refresh_token":
                token = form.get("refresh_token")
                # a refresh token works once: taking it out is what makes the old one die on rotation
                entry = self._refresh.pop(token, None) if token is not None else None
                if entry is None or self.clock.now() >= entry[1]:
                    self.stats.rejected_refreshes += 1
                    return _oauth_error("invalid_grant", "The refresh token is invalid or expired.")
                self.stats.refreshes += 1
                if not self.settings.rotate:
                    assert token is not None
                    self._refresh[token] = entry
                    return JSONResponse(self._issue(entry[0], refresh=False))
                return JSONResponse(self._issue(entry[0], refresh=True))
        return _oauth_error("unsupported_grant_type", "grant_type must be password or refresh_token.")

    async def _login(self, request: Request) -> Response:
        try:
            body = await request.json()
        except ValueError:
            body = None
        except ClientDisconnect:
            return Response(status_code=499)
        username = body.get("Username") if isinstance(body, dict) else None
        password = body.get("Password") if isinstance(body, dict) else None
        with self._lock:
            if not isinstance(username, str) or self.users.get(username) != password:
                self.stats.rejected_logins += 1
                return JSONResponse({"Message": "Invalid username or password."}, status_code=401)
            self.stats.logins += 1
            issued = self._issue(username, refresh=False)
        return JSONResponse({**issued, "token_type": "Bearer", "username": username})

    async def _protected(self, request: Request) -> Response:
        token = bearer_token(request.headers.get("authorization")) or ""  # "" is never a token
        try:
            body = await request.body()
        except ClientDisconnect:
            return Response(status_code=499)
        with self._lock:
            expiry = self._access.get(token)
            if expiry is None or self.clock.now() >= expiry:
                self.stats.protected_rejected += 1
                reason = "missing or unknown" if expiry is None else "expired"
                return JSONResponse(
                    {"error": "invalid_token", "error_description": f"The access token is {reason}."},
                    status_code=401,
                    headers={"WWW-Authenticate": 'Bearer error="invalid_token"'},
                )
            self.stats.protected_ok += 1
            self.stats.access_tokens_seen.add(token)
        return JSONResponse({"ok": True, "received": len(body)})


def _oauth_error(error: str, description: str) -> JSONResponse:
    return JSONResponse({"error": error, "error_description": description}, status_code=400)
