"""RFC 6749 password grant and refresh as a `TokenEndpoint` (Sellers Commerce and other OAuth2 vendors)."""

from __future__ import annotations

import httpx

from ..redact import Secret
from .token import Credentials, TokenEndpoint


def oauth2_password_grant(
    token_url: str,
    *,
    client_id: str | None = None,
    client_secret: str | Secret | None = None,
    scope: str | None = None,
) -> TokenEndpoint:
    """RFC 6749 password grant and refresh, as form posts to `token_url` (client credentials in the form)."""
    secret = Secret(client_secret) if isinstance(client_secret, str) else client_secret

    def form(fields: dict[str, str]) -> httpx.Request:
        if client_id is not None:
            fields["client_id"] = client_id
        if secret is not None:
            fields["client_secret"] = secret.get()
        if scope is not None:
            fields["scope"] = scope
        return httpx.Request("POST", token_url, data=fields, headers={"Accept": "application/json"})

    def login(credentials: Credentials) -> httpx.Request:
        return form(
            {
                "grant_type": "password",
                "username": credentials.username.get(),
                "password": credentials.password.get(),
            }
        )

    def refresh(refresh_token: Secret) -> httpx.Request:
        return form({"grant_type": "refresh_token", "refresh_token": refresh_token.get()})

    return TokenEndpoint(login=login, refresh=refresh)
