"""Prism in proxy (validation) mode between the Python client (or httpx) and our simulators: each vendor's
README flow, and every SelSup file export's raw body, must pass without a request or response violation.
A planted response violation (an undocumented enum value) shows that Prism does flag one.

Prism 5.14.2's proxy forwards a binary body decoded as UTF-8 text (invalid bytes become U+FFFD), so a
file that went through Prism is not byte-exact: these tests check Prism's verdict on the real bodies and
media types; byte equality is checked where the bytes arrive untouched (the same request straight to the
simulator here, the TypeScript flows' sha256s against the Python client's)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from sellerkit.testing.framework import ScaledClock
from sellerkit.testing.sellercloud import OUTPUT_SHAPES, SellercloudSettings, SellercloudSimulator
from sellerkit.testing.sellerscommerce import SellersCommerceSimulator
from sellerkit.testing.selsup import FILE_OPERATIONS, OPERATIONS, Param, SelsupSimulator
from sellerkit.testing.wabi2b import Wabi2bSimulator
from tests.publish import pyclient
from tests.publish.prism import Proxy, proxy

SCALE = 20.0  # simulated seconds per real second


@pytest.fixture(scope="module")
def sellercloud(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[SellercloudSimulator, Proxy]]:
    sim = SellercloudSimulator(ScaledClock(SCALE), SellercloudSettings())
    log = tmp_path_factory.mktemp("prism") / "log"
    with sim.running() as running, proxy("specs/sellercloud.yaml", running.base_url, log) as p:
        yield running, p


@pytest.fixture(scope="module")
def selsup(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[SelsupSimulator, Proxy, str]]:
    sim = SelsupSimulator(ScaledClock(SCALE))
    log = tmp_path_factory.mktemp("prism") / "log"
    with sim.running() as running, proxy("specs/selsup.yaml", running.base_url, log) as p:
        upstream = running.base_url
        # the task URLs the simulator hands out lead to the front of the chain, as behind a gateway, so the
        # task file download (GET /api/files/file) is validated too
        running.origin = p.url
        yield running, p, upstream


def test_wabi2b_readme_flow(tmp_path: Path) -> None:
    sim = Wabi2bSimulator(ScaledClock(SCALE))
    with sim.running() as running, proxy("specs/wabi2b.yaml", running.base_url, tmp_path / "log") as p:
        gtins = ["00025000040295", "00025000040301"]
        rows = pyclient.wabi2b_flow(p.url, running.jwt(), running.api_key, gtins, tmp_path / "out")
        assert sorted(rows) == gtins
        assert len(p.exchanges) >= 2  # the POST and at least one GET went through Prism
        assert p.violations() == []


@pytest.mark.parametrize("shape", OUTPUT_SHAPES)
def test_sellercloud_readme_flow_with_every_output_file_shape(
    sellercloud: tuple[SellercloudSimulator, Proxy], tmp_path: Path, shape: str
) -> None:
    sim, p = sellercloud
    sim.settings.output_shape = shape
    since = len(p.exchanges)
    done = pyclient.sellercloud_flow(p.url, sim.username, sim.password, ["SKU-1", "SKU-2"], tmp_path)
    assert done.size > 0 and sim.job_status(int(done.reference)) == 3
    assert len(p.exchanges) - since >= 5  # token, plugins, export, >= 1 job poll, output file
    assert any(e.path == "/api/QueuedJobs/OutputFile" for e in p.exchanges[since:])
    assert p.violations(since) == []


def test_selsup_readme_flow(selsup: tuple[SelsupSimulator, Proxy, str], tmp_path: Path) -> None:
    sim, p, _ = selsup
    since = len(p.exchanges)
    task, direct = pyclient.selsup_flow(p.url, sim.api_key, tmp_path)
    assert task.size > 0 and direct.size > 0
    paths = [e.path for e in p.exchanges[since:]]
    assert {
        "/api/export/stocksFile",
        "/api/task/findTask",
        "/api/files/file",
        "/api/export/customersFile",
    } <= set(paths)
    assert p.violations(since) == []


def test_sellerscommerce_readme_flow(tmp_path: Path) -> None:
    sim = SellersCommerceSimulator(ScaledClock(SCALE))
    with (
        sim.running() as running,
        proxy("specs/sellerscommerce.yaml", running.base_url, tmp_path / "log") as p,
    ):
        placed = sum(1 for i in range(len(sim.store.orders)) if sim.store.orders.row(i)["OrderStatusId"] == 3)
        rows, error = pyclient.sellerscommerce_flow(
            p.url, sim.access_key, sim.shared_secret, tmp_path / "out"
        )
        assert rows == placed > 2  # more than one page of 2
        assert error.startswith("24 ")
        paths = [e.path for e in p.exchanges]
        assert paths[0] == "/token" and paths.count("/api/order/getall") >= 3
        assert {"/api/order/updateorderstatus", "/api/order/get/no-such-order"} <= set(paths)
        # the client sends the token as the docs print it, `Authorization: bearer <token>` (the token_type the
        # endpoint answers); auth schemes are case-insensitive (RFC 7235 section 2.1), but Prism 5's oauth2
        # check matches `^Bearer\s` only, so that one verdict is Prism's, not the spec's
        lowercase = "['request'] Invalid security scheme used"
        assert [v for v in p.violations() if not v.endswith(lowercase)] == []
        since = len(p.exchanges)  # the same call with `Bearer`: no verdict at all
        headers = {"Authorization": f"Bearer {running.token()}"}
        assert httpx.get(p.url + "/api/order/getall", headers=headers, timeout=30).status_code == 200
        assert len(p.exchanges) == since + 1 and p.violations(since) == []


def _value(param: Param) -> Any:
    if param.enum:
        value: Any = param.enum[0]
    else:
        value = {"integer": 1, "number": 1.5, "boolean": True}.get(param.type, "x")
    return [value] if param.array else value


FILE_CASES = [(op, None) for op in FILE_OPERATIONS] + [
    ("downloadEdoInvoice", {"format": "pdf"}),
    ("downloadEdoInvoice", {"format": "xlsx"}),
]


@pytest.mark.parametrize(("operation_id", "extra"), FILE_CASES, ids=lambda v: str(v) if v else "")
def test_every_selsup_file_export_body_is_allowed(
    selsup: tuple[SelsupSimulator, Proxy, str], operation_id: str, extra: dict[str, str] | None
) -> None:
    """The raw bytes and the media type the simulator really sends (xlsx, zip, pdf, xml, octet-stream)."""
    sim, p, upstream = selsup
    since = len(p.exchanges)
    op = OPERATIONS[operation_id]
    params = {param.name: _value(param) for param in op.params if param.required} | (extra or {})
    body: dict[str, Any] | None = {} if op.body_required else None
    headers = sim.auth_headers()
    response = httpx.request(
        op.method, p.url + op.path, params=params, json=body, headers=headers, timeout=30
    )
    assert response.status_code == 200, response.text[:300]
    direct = httpx.request(
        op.method, upstream + op.path, params=params, json=body, headers=headers, timeout=30
    )
    # what Prism judged is what the simulator sends: a real file in its real media type
    assert direct.status_code == 200 and direct.content[:2] in (b"PK", b"%P", b"<?")
    assert response.headers["content-type"] == direct.headers["content-type"]
    assert len(p.exchanges) == since + 1 and p.violations(since) == []


def test_prism_flags_a_response_the_spec_does_not_allow(tmp_path: Path) -> None:
    sim = SellercloudSimulator(ScaledClock(SCALE), SellercloudSettings())
    with sim.running() as running, proxy("specs/sellercloud.yaml", running.base_url, tmp_path / "log") as p:
        token = running.token()
        job = httpx.post(
            p.url + "/api/Catalog/Exports/ViaPlugin",
            json={
                "ProductIds": ["SKU-1"],
                "PluginProfileKey": running.settings.plugins[0][0],
                "FileFormat": 1,
            },
            headers=running.auth_headers(token),
            timeout=30,
        )
        assert job.status_code == 200 and p.violations() == []
        running.faults.add("unknown_enum", path="/rest/api/QueuedJobs/", field="Status", value=11)
        job_id = int(str(job.json()["QueuedJobLink"]).rsplit("=", 1)[1])
        polled = httpx.get(
            f"{p.url}/api/QueuedJobs/{job_id}", headers=running.auth_headers(token), timeout=30
        )
        assert polled.status_code >= 400 or p.violations(), "Prism let an undocumented Status through"
        assert p.violations()


def test_prism_flags_a_file_in_an_undeclared_media_type(selsup: tuple[SelsupSimulator, Proxy, str]) -> None:
    sim, p, _ = selsup
    since = len(p.exchanges)
    sim.faults.add(
        "status", status=200, body=b"PK\x03\x04", content_type="application/x-foo", path="/api/export/"
    )
    httpx.get(p.url + "/api/export/customersFile", headers=sim.auth_headers(), timeout=30)
    assert any('media type "application/x-foo" does not match' in v for v in p.violations(since))
