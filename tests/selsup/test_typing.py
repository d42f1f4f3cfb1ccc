"""The filters are typed from the generated request builders (ParamSpec): mypy --strict checks this module,
and its `type: ignore[...]` comments must each be needed (`warn_unused_ignores` under --strict), so a filter
typo, a wrong type or a missing required filter is a static error. At run time they are refused too."""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import assert_type

import httpx
import pytest

from sellerkit._core.retry import RetryPolicy
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
from tests.clients import make_client
from tests.selsup.conftest import KEY


def _refuse(request: httpx.Request) -> httpx.Response:
    raise AssertionError(f"no request may be sent: {request.url}")


def _client() -> SelsupClient:
    hooks = {"inner_transport": httpx.MockTransport(_refuse), "retry": RetryPolicy(jitter=False)}
    return make_client(SelsupClient, hooks=hooks, api_key=KEY)


def typed_calls(client: SelsupClient, folder: Path) -> None:
    """Never run: only type-checked."""
    assert_type(client.start_export(export_stocks_file, warehouse_id=1), Job)
    assert_type(client.download_file(download_edo_invoice, folder, order_id=1), DownloadResult)
    assert_type(client.download_file(download_edo_invoice, "exports/", order_id=1), DownloadResult)
    assert_type(client.stream_file(download_edo_invoice, io.BytesIO(), order_id=1), StreamedFile)
    client.download_file(download_service_stocks_file, folder, organization_id=1, service=Marketplace.OZON)


async def typed_async_calls(client: AsyncSelsupClient, folder: Path) -> None:
    """Never run: only type-checked."""
    assert_type(await client.start_export(export_stocks_file), AsyncJob)
    assert_type(await client.download_file(download_edo_invoice, folder, order_id=1), DownloadResult)
    assert_type(await client.stream_file(download_edo_invoice, io.BytesIO(), order_id=1), StreamedFile)


def test_wrong_filters_are_static_errors_and_runtime_errors(tmp_path: Path) -> None:
    invoice, stocks, out = download_edo_invoice, download_service_stocks_file, tmp_path
    with _client() as client:
        with pytest.raises(ConfigurationError):
            client.download_file(invoice, out, order_id="1")  # type: ignore[arg-type]
        with pytest.raises(ConfigurationError):
            client.download_file(invoice, out, orderid=1)  # type: ignore[call-arg]
        with pytest.raises(ConfigurationError):
            client.download_file(invoice, out)  # type: ignore[call-arg]
        with pytest.raises(ConfigurationError):
            client.download_file(stocks, out, organization_id=1, service="OZ")  # type: ignore[arg-type]
        with pytest.raises(ConfigurationError):
            client.start_export(export_stocks_file, by_cell="yes")  # type: ignore[arg-type]
        with pytest.raises(ConfigurationError):
            client.start_export(export_stocks_file, warehouse=1)  # type: ignore[call-arg]
        with pytest.raises(ConfigurationError):
            client.stream_file(invoice, io.BytesIO(), order_id="1")  # type: ignore[arg-type]
        with pytest.raises(ConfigurationError):  # paths only: a stream goes to stream_file
            client.download_file(invoice, io.BytesIO(), order_id=1)  # type: ignore[arg-type]
        with pytest.raises(ConfigurationError):  # and stream_file takes no path
            client.stream_file(invoice, out, order_id=1)  # type: ignore[arg-type]


SNIPPET = """
import io
import re
from sellerkit.selsup import AsyncSelsupClient, SelsupClient
from sellerkit.selsup_api.api.background_exports import export_stocks_file
from sellerkit.selsup_api.api.file_exports import download_edo_invoice


def sync_calls(client: SelsupClient) -> None:
    client.start_export(export_stocks_file, warehouse_id=1, by_cell=True)
    client.download_file(download_edo_invoice, "exports/", order_id=1)
    client.stream_file(download_edo_invoice, io.BytesIO(), order_id=1)
    client.start_export(export_stocks_file, warehouse_id="1")  # E arg-type
    client.download_file(download_edo_invoice, "exports/", order_id="1")  # E arg-type
    client.stream_file(download_edo_invoice, io.BytesIO(), orderid=1)  # E call-arg


async def async_calls(client: AsyncSelsupClient) -> None:
    await client.start_export(export_stocks_file, warehouse_id=1)
    await client.download_file(download_edo_invoice, "exports/", order_id=1)
    await client.start_export(export_stocks_file, by_cell="yes")  # E arg-type
    await client.download_file(download_edo_invoice, "exports/")  # E call-arg
"""


def test_mypy_rejects_wrong_filters_and_accepts_right_ones(tmp_path: Path) -> None:
    """The static half of the check, run here too: mypy on a snippet flags exactly the marked lines."""
    from mypy import api

    snippet = tmp_path / "snippet.py"
    snippet.write_text(SNIPPET)
    root = Path(__file__).resolve().parents[2]
    stdout, stderr, _status = api.run(["--config-file", str(root / "pyproject.toml"), str(snippet)])
    found = set(re.findall(r"snippet\.py:(\d+): error: .*\[([a-z-]+)\]", stdout))
    expected = {
        (str(n), line.rsplit("# E ", 1)[1])
        for n, line in enumerate(SNIPPET.splitlines(), start=1)
        if "# E " in line
    }
    assert len(expected) == 5
    assert found == expected, stdout + stderr
