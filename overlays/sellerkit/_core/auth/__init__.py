"""Auth strategies as `httpx.Auth`, one module per strategy: static header keys (`header`), login/refresh
bearer tokens (`token`, its single flight and effects in `flow`), the OAuth2 password grant (`oauth2`), and
token sets with the stores that keep them across restarts (`store`).

Every name is importable from here; only `header` loads eagerly (the rest on first use), so a key-only
vendor imports no token machinery.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from .header import HeaderAuth, HeaderValue

if TYPE_CHECKING:
    from .oauth2 import oauth2_password_grant
    from .store import (
        CallbackTokenStore,
        FileTokenStore,
        RenewPolicy,
        TokenSet,
        TokenStore,
        parse_token_response,
    )
    from .token import Credentials, TokenAuth, TokenEndpoint, TokenUnavailableError

# PEP 562 lazy names: `import sellerkit._core.auth.header` runs this file too, and a key-only vendor should
# not load the token machinery (TokenAuth, stores) it never uses
_LAZY = {
    "oauth2_password_grant": "oauth2",
    **dict.fromkeys(
        (
            "CallbackTokenStore",
            "FileTokenStore",
            "RenewPolicy",
            "TokenSet",
            "TokenStore",
            "parse_token_response",
        ),
        "store",
    ),
    **dict.fromkeys(("Credentials", "TokenAuth", "TokenEndpoint", "TokenUnavailableError"), "token"),
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


__all__ = [
    "CallbackTokenStore",
    "Credentials",
    "FileTokenStore",
    "HeaderAuth",
    "HeaderValue",
    "RenewPolicy",
    "TokenAuth",
    "TokenEndpoint",
    "TokenSet",
    "TokenStore",
    "TokenUnavailableError",
    "oauth2_password_grant",
    "parse_token_response",
]
