"""The installed vendors, found by package (no list to keep): every `sellerkit.<name>` package with a client.

Used by the command line (its export commands) and `sellerkit.testing` (a client for each simulator); a
new vendor package appears in both without code there.
"""

from __future__ import annotations

import importlib
import pkgutil
from functools import cache
from typing import TYPE_CHECKING

from .errors import ConfigurationError

if TYPE_CHECKING:
    from .kit import ClientCore

# not vendors: the shared error module, the command line, the simulators (the kit and the generated
# `*_api` packages are excluded by their names)
_NOT_VENDORS = frozenset({"cli", "errors", "testing"})


def vendor_names() -> list[str]:
    """Every vendor package installed, by folder (nothing imported)."""
    import sellerkit

    return sorted(
        {
            m.name
            for m in pkgutil.iter_modules(sellerkit.__path__)
            if m.ispkg
            and not m.name.startswith("_")
            and not m.name.endswith("_api")
            and m.name not in _NOT_VENDORS
        }
    )


@cache
def client_class(vendor: str, asynchronous: bool = False) -> type[ClientCore]:
    """The vendor's client class from its `__all__`: `<Title>Client`, or `Async<Title>Client`."""
    from .kit import AsyncClient, SyncClient

    if vendor not in vendor_names():
        raise ConfigurationError(f"unknown vendor {vendor!r}; known: {', '.join(vendor_names())}")
    package = importlib.import_module(f"sellerkit.{vendor}")
    base = AsyncClient if asynchronous else SyncClient
    for name in getattr(package, "__all__", ()):
        cls = getattr(package, name)
        if name.endswith("Client") and isinstance(cls, type) and issubclass(cls, base):
            return cls
    raise ConfigurationError(f"sellerkit.{vendor} has no {'async ' if asynchronous else ''}client class")
