"""The filters are typed from the generated request builders (ParamSpec): mypy --strict checks this module,
and its `type: ignore[...]` comments must each be needed (`warn_unused_ignores` under --strict), so a filter
typo, a wrong type or a missing required filter is a static error. At run time they are refused too."""

from __future__ import annotations

import io
from pathlib import Path
from typing import assert_type

import httpx
import pytest

from sellerkit._core.transport import HttpSettings
from sellerkit.selsup import (
    AsyncJob,
    AsyncSelsupClient,
    ConfigurationError,
    DownloadResult,
    Job,
    Marketplace,
    SelsupClient,
    StreamedFile,
)
from sellerkit.selsup_api.api.background_exports import export_stocks_file
from sellerkit.selsup_api.api.file_exports import download_edo_invoice, download_service_stocks_file
from tests.selsup.conftest import KEY


def _refuse(request: httpx.Request) -> httpx.Response:
    raise AssertionError(f"no request may be sent: {request.url}")


def _client() -> SelsupClient:
    return SelsupClient(KEY, http=HttpSettings(inner_transport=httpx.MockTransport(_refuse)))


def typed_calls(client: SelsupClient, folder: Path) -> None:
    """Never run: only type-checked."""
    assert_type(client.start_export(export_stocks_file, warehouse_id=1), Job)
    assert_type(client.download_file(download_edo_invoice, folder, order_id=1), DownloadResult)
    assert_type(client.download_file(download_edo_invoice, io.BytesIO(), order_id=1), StreamedFile)
    client.download_file(download_service_stocks_file, folder, organization_id=1, service=Marketplace.OZON)


async def typed_async_calls(client: AsyncSelsupClient, folder: Path) -> None:
    """Never run: only type-checked."""
    assert_type(await client.start_export(export_stocks_file), AsyncJob)
    assert_type(await client.download_file(download_edo_invoice, folder, order_id=1), DownloadResult)


def test_wrong_filters_are_static_errors_and_runtime_errors(tmp_path: Path) -> None:
    invoice, stocks, out = download_edo_invoice, download_service_stocks_file, tmp_path
    with _client() as client:
        with pytest.raises(ConfigurationError):
            client.download_file(invoice, out, order_id="1")  # type: ignore[call-overload]
        with pytest.raises(ConfigurationError):
            client.download_file(invoice, out, orderid=1)  # type: ignore[call-overload]
        with pytest.raises(ConfigurationError):
            client.download_file(invoice, out)  # type: ignore[call-overload]
        with pytest.raises(ConfigurationError):
            client.download_file(stocks, out, organization_id=1, service="OZ")  # type: ignore[call-overload]
        with pytest.raises(ConfigurationError):
            client.start_export(export_stocks_file, by_cell="yes")  # type: ignore[arg-type]
        with pytest.raises(ConfigurationError):
            client.start_export(export_stocks_file, warehouse=1)  # type: ignore[call-arg]
