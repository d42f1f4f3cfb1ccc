"""Where the command line finds credentials and settings, and what it remembers about the jobs it started.

Credentials, first found wins: the command's option (`--api-key ...`), the vendor's environment variable
(`WABI2B_API_KEY`, read by the client itself), the config file, then the system keyring when it has a
backend. The config file is TOML at `$SELLERKIT_CONFIG`, else `<user config dir>/sellerkit/config.toml`
(`platformdirs`):

    [wabi2b]
    api_key = "..."
    jwt = "..."
    base_url = "https://sandbox.api.wabi2b.com/v1"

Keyring entries are service `sellerkit`, user `<vendor>.<credential>`
(`keyring set sellerkit wabi2b.api_key`).
Nothing here ever prints a value.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import time
import tomllib
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

from sellerkit._core.errors import ConfigurationError
from sellerkit._core.files import write_atomically
from sellerkit._core.journal import default_folder

from ._exports import client_class

ENV_CONFIG = "SELLERKIT_CONFIG"
KEYRING_SERVICE = "sellerkit"
log = logging.getLogger("sellerkit.cli")


def config_path() -> Path:
    configured = os.environ.get(ENV_CONFIG)
    if configured:
        return Path(configured)
    import platformdirs

    return Path(platformdirs.user_config_dir("sellerkit")) / "config.toml"


def _config(vendor: str) -> dict[str, Any]:
    path = config_path()
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigurationError(f"cannot read the config file {path}: {exc}; fix or remove it") from None
    section = data.get(vendor, {})
    if not isinstance(section, dict):
        raise ConfigurationError(f"{path}: [{vendor}] must be a table of settings")
    return section


def _keyring(vendor: str, name: str) -> str | None:
    """The keyring's value, if keyring is installed and has a backend (a headless machine has none)."""
    try:
        import keyring  # imported only when a credential is still missing: ~120 ms
        from keyring.errors import KeyringError
    except ImportError:
        return None
    try:
        return keyring.get_password(KEYRING_SERVICE, f"{vendor}.{name}")
    except KeyringError:  # NoKeyringError included: no backend is not an error, just no value
        return None
    except Exception as exc:  # a broken backend (D-Bus gone, locked store) must not stop an export
        log.debug("keyring lookup failed: %s", type(exc).__name__)
        return None


def client_options(vendor: str, given: dict[str, str | None], base_url: str | None) -> dict[str, Any]:
    """Keyword arguments for the vendor's client: credentials and base URL from the first source that has
    them. Credentials left None are read by the client from its environment variables (or reported
    missing by it, naming them)."""
    declared = client_class(vendor).vendor
    section: dict[str, Any] | None = None
    kwargs: dict[str, Any] = {}
    for credential in declared.credentials:
        value = given.get(credential.name)
        if not value and not os.environ.get(credential.env, "").strip():
            if section is None:
                section = _config(vendor)
            value = section.get(credential.name) or _keyring(vendor, credential.name)
        if value:
            kwargs[credential.name] = str(value)
    if base_url:
        kwargs["base_url"] = base_url
    elif not os.environ.get(declared.env_base_url):
        configured = (section if section is not None else _config(vendor)).get("base_url")
        if configured:
            kwargs["base_url"] = str(configured)
    return kwargs


# ---------------------------------------------------------------- what the CLI remembers about its jobs


@dataclass(frozen=True)
class Started:
    """A job `sellerkit export` started: enough for `resume REF` to finish it where it was asked to."""

    vendor: str
    export: str
    reference: str
    out: str
    base_url: str
    created_at: float
    path: str | None = None  # the file, once downloaded
    size: int | None = None
    sha256: str | None = None


def _folder() -> Path:
    return default_folder().parent / "cli"


def _path(vendor: str, reference: str) -> Path:
    key = hashlib.sha256(reference.encode()).hexdigest()[:32]
    return _folder() / vendor / f"{key}.json"


def remember(started: Started) -> None:
    path = _path(started.vendor, started.reference)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomically(path, json.dumps(asdict(started), indent=1).encode())
    except OSError as exc:  # the journal still has the job; only `resume` would need --out
        log.warning("could not remember job %s in %s: %s", started.reference, path, exc)


def downloaded(vendor: str, reference: str, path: Path, size: int, sha256: str) -> None:
    """Note where a job's file went (a rerun of the same export then shows it instead of fetching again)."""
    for started in recalled(reference, vendor):
        remember(replace(started, path=str(path), size=size, sha256=sha256))


def recalled(reference: str, vendor: str | None = None) -> list[Started]:
    """What was remembered about `reference` (per vendor: the same reference may exist at two)."""
    found = []
    folders = [_folder() / vendor] if vendor else sorted(_folder().glob("*"))
    for folder in folders:
        path = folder / _path(folder.name, reference).name
        with contextlib.suppress(OSError, ValueError, TypeError):
            found.append(Started(**json.loads(path.read_text(encoding="utf-8"))))
    return found


def age(seconds_ago: float) -> str:
    seconds = max(time.time() - seconds_ago, 0)
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{seconds / size:.0f}{unit}"
    return f"{seconds:.0f}s"
