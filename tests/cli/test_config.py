"""Where the command line finds credentials: the option, the vendor's environment variable, the config file,
then the keyring — which is used when it has a backend and never required."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import keyring
import pytest
from keyring.backend import KeyringBackend
from keyring.backends.fail import Keyring as NoBackend

from sellerkit._core.errors import ConfigurationError
from sellerkit.cli import _config


class MemoryKeyring(KeyringBackend):
    priority = 1

    def __init__(self, values: dict[tuple[str, str], str]) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self.values = values

    def get_password(self, service: str, username: str) -> str | None:
        return self.values.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.values[service, username] = password

    def delete_password(self, service: str, username: str) -> None:
        self.values.pop((service, username), None)


@pytest.fixture
def config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    path = tmp_path / "config.toml"
    monkeypatch.setenv("SELLERKIT_CONFIG", str(path))
    monkeypatch.delenv("SELSUP_API_KEY", raising=False)
    monkeypatch.delenv("SELSUP_BASE_URL", raising=False)
    previous = keyring.get_keyring()
    keyring.set_keyring(NoBackend())  # type: ignore[no-untyped-call]  # headless: no backend
    yield path
    keyring.set_keyring(previous)


def test_the_first_source_wins(config: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    keyring.set_keyring(MemoryKeyring({("sellerkit", "selsup.api_key"): "from-keyring"}))
    assert _config.client_options("selsup", {}, None) == {"api_key": "from-keyring"}
    config.write_text('[selsup]\napi_key = "from-config"\nbase_url = "http://127.0.0.1:9"\n')
    assert _config.client_options("selsup", {}, None) == {
        "api_key": "from-config",
        "base_url": "http://127.0.0.1:9",
    }
    monkeypatch.setenv("SELSUP_API_KEY", "from-env")  # the client reads it itself: nothing passed
    monkeypatch.setenv("SELSUP_BASE_URL", "http://127.0.0.1:8")
    assert _config.client_options("selsup", {}, None) == {}
    given = _config.client_options("selsup", {"api_key": "from-option"}, "http://127.0.0.1:7")
    assert given == {"api_key": "from-option", "base_url": "http://127.0.0.1:7"}


def test_no_keyring_backend_or_package_is_no_credential(
    config: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert _config.client_options("selsup", {}, None) == {}  # NoKeyringError caught
    monkeypatch.setitem(sys.modules, "keyring", None)  # not installed at all
    assert _config.client_options("selsup", {}, None) == {}


def test_a_broken_config_file_names_itself(config: Path) -> None:
    config.write_text("[selsup\n")
    with pytest.raises(ConfigurationError, match=str(config)):
        _config.client_options("selsup", {}, None)
    config.write_text('selsup = "key"\n')
    with pytest.raises(ConfigurationError, match="must be a table"):
        _config.client_options("selsup", {}, None)


def test_the_default_config_file_is_in_the_user_config_folder(monkeypatch: pytest.MonkeyPatch) -> None:
    import platformdirs

    monkeypatch.delenv("SELLERKIT_CONFIG", raising=False)
    assert _config.config_path() == Path(platformdirs.user_config_dir("sellerkit")) / "config.toml"


def test_a_vendor_with_two_credentials_takes_each_from_its_first_source(
    config: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("SELLERSCOMMERCE_ACCESS_KEY", "SELLERSCOMMERCE_SHARED_SECRET", "SELLERSCOMMERCE_BASE_URL"):
        monkeypatch.delenv(name, raising=False)
    keyring.set_keyring(MemoryKeyring({("sellerkit", "sellerscommerce.shared_secret"): "secret-kr"}))
    config.write_text('[sellerscommerce]\naccess_key = "ak-config"\n')
    assert _config.client_options("sellerscommerce", {}, None) == {
        "access_key": "ak-config",
        "shared_secret": "secret-kr",
    }
    monkeypatch.setenv("SELLERSCOMMERCE_SHARED_SECRET", "secret-env")  # the client reads it itself
    assert _config.client_options("sellerscommerce", {"access_key": "ak-option"}, None) == {
        "access_key": "ak-option"
    }
