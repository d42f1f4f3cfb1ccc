"""The Sellercloud simulator behaves as vendor-docs/000_01ff09efc8dcbe76.txt and vendor-notes.md § Sellercloud
say (and as sellerkit.testing decides where they are silent): tokens, exports at both paths, the queued job
lifecycle and its counters, logs, cancel, the three output-file shapes, the rate limit, faults."""

from __future__ import annotations

import base64
import csv
import datetime as dt
import email.utils
import hashlib
import io
import json
import re
import time
import xml.etree.ElementTree as ET
import zipfile
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from sellerkit.testing.__main__ import VENDORS, main
from sellerkit.testing.framework import ScaledClock
from sellerkit.testing.sellercloud import (
    COLUMNS,
    DEFAULT_PLUGINS,
    DOCS_JOB_ID,
    EPOCH_OFFSET,
    OUTPUT_SHAPES,
    FileFormat,
    JobStatus,
    SellercloudSimulator,
    format_utc,
    job_id_from_link,
    product_values,
    render_export,
    sim_from_utc,
    utc_from_sim,
)
from tests.contract import sellercloud_paths as paths
from tests.contract.harness import poll_on_scaled_clock

PLUGIN = DEFAULT_PLUGINS[0][0]
SKUS = [f"SKU-{i:04d}" for i in range(10)]
SHEET_NS = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"


def grant(sim: SellercloudSimulator, c: httpx.Client | None = None) -> dict[str, Any]:
    response = (c or httpx).post(sim.base_url + paths.TOKEN, json=sim.credentials)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


@pytest.fixture
def client(sellercloud_sim: SellercloudSimulator) -> Iterator[httpx.Client]:
    """A client with a bearer token obtained from the token endpoint."""
    token = grant(sellercloud_sim)["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=sellercloud_sim.base_url, headers=headers, timeout=10) as c:
        yield c


def authed(sim: SellercloudSimulator) -> httpx.Client:
    return httpx.Client(base_url=sim.base_url, headers=sim.auth_headers(), timeout=10)


def export(
    c: httpx.Client, ids: list[str] | None = None, file_format: int | None = 1, path: str = paths.EXPORT
) -> int:
    body: dict[str, Any] = {"PluginProfileKey": PLUGIN, "ProductIds": SKUS if ids is None else ids}
    if file_format is not None:
        body["FileFormat"] = file_format
    response = c.post(path, json=body)
    assert response.status_code == 200, response.text
    link = response.json()
    return job_id_from_link(link if isinstance(link, str) else link["QueuedJobLink"])


def job(c: httpx.Client, job_id: int) -> dict[str, Any]:
    response = c.get(f"/api/QueuedJobs/{job_id}")
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def counters(body: dict[str, Any]) -> tuple[int, int, int, int]:
    return body["TotalRecords"], body["TotalProcessed"], body["TotalSucceeded"], body["TotalFailure"]


def logs(c: httpx.Client, job_id: int, **params: Any) -> httpx.Response:
    return c.get(f"/api/QueuedJobs/{job_id}/Logs", params=params)


def message(response: httpx.Response) -> str:
    assert response.headers["content-type"].startswith("application/json")
    text = response.json()["Message"]
    assert isinstance(text, str)
    return text


def decode_output(response: httpx.Response) -> tuple[str | None, bytes]:
    """(file name, bytes) from any of the output file's body shapes — what a client has to do."""
    disposition = response.headers.get("content-disposition", "")
    match = re.search(r'filename="?([^";]+)"?', disposition)
    name = match.group(1) if match else None
    media_type = response.headers["content-type"].split(";")[0]
    if media_type == "application/octet-stream":
        return name, response.content
    if media_type == "text/plain":
        return name, base64.b64decode(response.content, validate=True)
    body = response.json()
    if isinstance(body, str):
        return name, base64.b64decode(body, validate=True)
    return body["FileName"], base64.b64decode(body["Content"], validate=True)


def finish(sim: SellercloudSimulator) -> None:
    sim.clock.advance(sim.settings.queue_seconds + sim.settings.job_seconds)


def xlsx_rows(data: bytes) -> list[list[str]]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        sheet = ET.fromstring(archive.read("xl/worksheets/sheet1.xml"))
    rows = []
    for row in sheet.iter(f"{SHEET_NS}row"):
        cells = []
        for cell in row.iter(f"{SHEET_NS}c"):
            if cell.get("t") == "inlineStr":
                cells.append("".join(t.text or "" for t in cell.iter(f"{SHEET_NS}t")))
            else:
                value = cell.find(f"{SHEET_NS}v")
                assert value is not None and value.text is not None
                cells.append(value.text)
        rows.append(cells)
    return rows


# ---------------------------------------------------------------- the token


def test_token_grant_as_documented(sellercloud_sim: SellercloudSimulator) -> None:
    body = grant(sellercloud_sim)
    assert list(body) == ["access_token", "token_type", "username", "expires_in", ".issued", ".expires"]
    assert body["token_type"] == "Bearer" and body["username"] == sellercloud_sim.username
    assert body["expires_in"] == 1800  # the docs' example (their prose says 60 minutes)
    issued = email.utils.parsedate_to_datetime(body[".issued"])
    expires = email.utils.parsedate_to_datetime(body[".expires"])
    assert (expires - issued).total_seconds() == 1800
    assert issued.timestamp() == pytest.approx(sellercloud_sim.clock.now() + EPOCH_OFFSET, abs=1)
    assert sellercloud_sim.stats.tokens_issued == 1


@pytest.mark.parametrize("who", ["wrong password", "wrong user"])
def test_bad_credentials_are_401_without_echoing_them(
    sellercloud_sim: SellercloudSimulator, who: str
) -> None:
    creds = dict(sellercloud_sim.credentials)
    creds["Password" if who == "wrong password" else "Username"] = "guessed-value-123"
    response = httpx.post(sellercloud_sim.base_url + paths.TOKEN, json=creds)
    assert response.status_code == 401
    assert "incorrect" in message(response) and "guessed-value-123" not in response.text
    assert sellercloud_sim.password not in response.text
    assert sellercloud_sim.stats.token_refusals == 1 and sellercloud_sim.stats.tokens_issued == 0


@pytest.mark.parametrize(
    "body", [b"", b"not json", b"[]", b'{"Username": "u"}', b'{"Username": 1, "Password": 2}']
)
def test_malformed_token_requests_are_400(sellercloud_sim: SellercloudSimulator, body: bytes) -> None:
    response = httpx.post(
        sellercloud_sim.base_url + paths.TOKEN, content=body, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400
    assert message(response) == "The request is invalid."


ROUTES: list[tuple[str, str, dict[str, Any]]] = [
    ("GET", paths.PLUGIN_METADATA, {}),
    ("POST", paths.EXPORT, {"json": {"PluginProfileKey": PLUGIN, "ProductIds": ["A"]}}),
    ("POST", paths.EXPORT_DOCS_PATH, {"json": {"PluginProfileKey": PLUGIN, "ProductIds": ["A"]}}),
    ("POST", paths.BASIC, {"json": {"StandardExportKind": 0, "ProductIds": ["A"]}}),
    ("POST", paths.CUSTOM, {"json": {"ProductIds": ["A"]}}),
    ("GET", paths.CUSTOM_METADATA, {}),
    ("GET", f"/api/QueuedJobs/{DOCS_JOB_ID}", {}),
    ("GET", f"/api/QueuedJobs/{DOCS_JOB_ID}/Logs", {}),
    ("GET", paths.OUTPUT, {"params": {"id": DOCS_JOB_ID}}),
    ("PUT", paths.CANCEL, {"params": {"id": DOCS_JOB_ID}}),
]


@pytest.mark.parametrize(("method", "path", "kwargs"), ROUTES, ids=[f"{m} {p}" for m, p, _ in ROUTES])
def test_every_route_needs_a_bearer_token(
    sellercloud_sim: SellercloudSimulator, method: str, path: str, kwargs: dict[str, Any]
) -> None:
    token = sellercloud_sim.token()
    for headers in (
        {},
        {"Authorization": token},
        {"Authorization": f"Basic {token}"},
        {"Authorization": "Bearer x"},
    ):
        response = httpx.request(method, sellercloud_sim.base_url + path, headers=headers, **kwargs)
        assert response.status_code == 401, headers
        assert message(response) == "Authorization has been denied for this request."
        assert response.headers["www-authenticate"] == "Bearer"
    with authed(sellercloud_sim) as c:
        assert c.request(method, path, **kwargs).status_code != 401


def test_tokens_expire_in_simulated_time(sellercloud_sim: SellercloudSimulator) -> None:
    with httpx.Client(base_url=sellercloud_sim.base_url, timeout=10) as c:
        first = grant(sellercloud_sim, c)["access_token"]
        headers = {"Authorization": f"Bearer {first}"}
        sellercloud_sim.clock.advance(1799.9)
        assert c.get(paths.PLUGIN_METADATA, headers=headers).status_code == 200
        sellercloud_sim.clock.advance(0.1)
        assert c.get(paths.PLUGIN_METADATA, headers=headers).status_code == 401
        second = grant(sellercloud_sim, c)["access_token"]  # re-authenticate once on a 401
        assert second != first
        assert c.get(paths.PLUGIN_METADATA, headers={"Authorization": f"bearer {second}"}).status_code == 200
    assert sellercloud_sim.stats.tokens_issued == 2


def test_token_lifetime_is_a_setting_and_tokens_can_be_revoked(make_sellercloud_sim: Any) -> None:
    sim = make_sellercloud_sim(token_seconds=3600.5)
    body = grant(sim)
    assert body["expires_in"] == 3600  # rounded down: a client trusting it is never late
    headers = {"Authorization": f"Bearer {body['access_token']}"}
    sim.clock.advance(3600.4)
    assert httpx.get(sim.base_url + paths.PLUGIN_METADATA, headers=headers).status_code == 200
    sim.revoke_tokens()
    assert httpx.get(sim.base_url + paths.PLUGIN_METADATA, headers=headers).status_code == 401


# ---------------------------------------------------------------- metadata and exports


def test_metadata(client: httpx.Client) -> None:
    plugins = client.get(paths.PLUGIN_METADATA).json()
    assert plugins == {"Plugins": [{"Key": k, "Value": v} for k, v in DEFAULT_PLUGINS]}
    columns = client.get(paths.CUSTOM_METADATA).json()
    assert columns == {"Columns": [{"Key": k, "Value": v} for k, v in COLUMNS]}


def test_both_export_paths_queue_jobs(sellercloud_sim: SellercloudSimulator, client: httpx.Client) -> None:
    primary = client.post(
        paths.EXPORT, json={"PluginProfileKey": PLUGIN, "FileFormat": 2, "ProductIds": ["test"]}
    )
    documented = client.post(
        paths.EXPORT_DOCS_PATH, json={"PluginProfileKey": PLUGIN, "ProductIds": ["test"]}
    )
    assert primary.headers["content-type"] == "application/json; charset=utf-8"
    links = [primary.json()["QueuedJobLink"], documented.json()["QueuedJobLink"]]  # the notes' object shape
    assert links == [
        f"{sellercloud_sim.origin}/queued-job-details.aspx?id={DOCS_JOB_ID}",
        f"{sellercloud_sim.origin}/queued-job-details.aspx?id={DOCS_JOB_ID + 1}",
    ]
    assert sellercloud_sim.job(links[0]).file_format is FileFormat.EXCEL
    assert sellercloud_sim.job(links[1]).file_format is FileFormat.TAB_DELIMITED  # absent: the enum's 0
    assert sellercloud_sim.stats.jobs_created == 2
    assert sellercloud_sim.requests.per_route()[f"POST /rest{paths.EXPORT_DOCS_PATH}"] == 1


def test_link_shape_and_template_are_settings(make_sellercloud_sim: Any) -> None:
    sim = make_sellercloud_sim(
        link_shape="string",
        job_link_template="https://{server_id}.cwa.sellercloud.test/jobs.aspx?view=1&ID={id}",
    )
    with authed(sim) as c:
        body = c.post(paths.EXPORT, json={"PluginProfileKey": PLUGIN, "ProductIds": ["A"]}).json()
    assert body == f"https://tt.cwa.sellercloud.test/jobs.aspx?view=1&ID={DOCS_JOB_ID}"
    assert job_id_from_link(body) == DOCS_JOB_ID
    with pytest.raises(ValueError, match="id="):
        job_id_from_link("https://example.invalid/queued-job-details.aspx?job=5")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (b"not json", "body"),
        (b"[]", "body"),
        (b'{"ProductIds": ["A"]}', "PluginProfileKey"),
        (b'{"PluginProfileKey": 5, "ProductIds": ["A"]}', "PluginProfileKey"),
        (b'{"PluginProfileKey": "ProductExportDefault"}', "ProductIds"),
        (b'{"PluginProfileKey": "ProductExportDefault", "ProductIds": []}', "ProductIds"),
        (b'{"PluginProfileKey": "ProductExportDefault", "ProductIds": [1, 2]}', "ProductIds"),
        (b'{"PluginProfileKey": "ProductExportDefault", "ProductIds": ["A"], "FileFormat": 3}', "FileFormat"),
        (
            b'{"PluginProfileKey": "ProductExportDefault", "ProductIds": ["A"], "FileFormat": -1}',
            "FileFormat",
        ),
        (
            b'{"PluginProfileKey": "ProductExportDefault", "ProductIds": ["A"], "FileFormat": "Excel"}',
            "FileFormat",
        ),
        (
            b'{"PluginProfileKey": "ProductExportDefault", "ProductIds": ["A"], "FileFormat": true}',
            "FileFormat",
        ),
        (
            b'{"PluginProfileKey": "ProductExportDefault", "ProductIds": ["A"], "FileFormat": 1.5}',
            "FileFormat",
        ),
    ],
)
def test_invalid_export_requests_are_400(
    sellercloud_sim: SellercloudSimulator, client: httpx.Client, body: bytes, field: str
) -> None:
    response = client.post(paths.EXPORT, content=body, headers={"Content-Type": "application/json"})
    assert response.status_code == 400
    assert message(response) == "The request is invalid."
    assert f"request.{field}" in response.json()["ModelState"]
    assert sellercloud_sim.stats.jobs_created == 0


def test_unknown_plugin_is_400(sellercloud_sim: SellercloudSimulator, client: httpx.Client) -> None:
    response = client.post(paths.EXPORT_DOCS_PATH, json={"PluginProfileKey": "Nope", "ProductIds": ["A"]})
    assert response.status_code == 400 and message(response) == "Plugin profile 'Nope' was not found."
    assert sellercloud_sim.stats.jobs_created == 0


def test_file_format_as_integral_number_and_as_names(make_sellercloud_sim: Any) -> None:
    strict = make_sellercloud_sim()
    with authed(strict) as c:
        assert strict.job(export(c, file_format=2.0)).file_format is FileFormat.EXCEL  # type: ignore[arg-type]
    lenient = make_sellercloud_sim(file_format_names=True)  # what Json.NET would also accept
    with authed(lenient) as c:
        for raw, expected in [("Excel", 2), ("csv", 1), ("TAB_Delimited", 0), ("1", 1)]:
            body = {"PluginProfileKey": PLUGIN, "ProductIds": ["A"], "FileFormat": raw}
            link = c.post(paths.EXPORT, json=body).json()["QueuedJobLink"]
            assert lenient.job(link).file_format == expected
        bad = c.post(
            paths.EXPORT, json={"PluginProfileKey": PLUGIN, "ProductIds": ["A"], "FileFormat": "PDF"}
        )
        assert bad.status_code == 400


# ---------------------------------------------------------------- the job lifecycle


def test_job_moves_submitted_processing_completed_with_counters(
    sellercloud_sim: SellercloudSimulator, client: httpx.Client
) -> None:
    job_id = export(client)
    seen = []
    for _ in range(11):  # 0.5 simulated s apart: 1 s Submitted, 3 s Processing
        seen.append(job(client, job_id))
        sellercloud_sim.clock.advance(0.5)
    statuses = [body["Basic"]["Status"] for body in seen]
    assert statuses == [0, 0, 1, 1, 1, 1, 1, 1, 3, 3, 3]
    assert [counters(b) for b in seen] == [
        (0, 0, 0, 0),
        (0, 0, 0, 0),
        (10, 0, 0, 0),
        (10, 1, 1, 0),
        (10, 3, 3, 0),
        (10, 5, 5, 0),
        (10, 6, 6, 0),
        (10, 8, 8, 0),
        (10, 10, 10, 0),
        (10, 10, 10, 0),
        (10, 10, 10, 0),
    ]
    first, running, done = seen[0], seen[3], seen[-1]
    assert first["Basic"]["StartedOn"] is None and first["Basic"]["CompletedOn"] is None
    assert first["OutputFile"] is None and running["OutputFile"] is None
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}", done["Basic"]["SubmittedOn"])  # no offset
    submitted = sim_from_utc(done["Basic"]["SubmittedOn"])
    assert sim_from_utc(done["Basic"]["StartedOn"]) == pytest.approx(submitted + 1, abs=0.002)
    assert sim_from_utc(done["Basic"]["CompletedOn"]) == pytest.approx(submitted + 4, abs=0.002)
    assert done["Basic"]["ID"] == job_id and done["Basic"]["ErrorMessage"] is None
    assert done["OutputFile"] == f"PluginExport_{job_id}.csv" and done["InputFile"] is None
    assert sellercloud_sim.job_status(job_id) is JobStatus.COMPLETED


def test_job_timing_is_a_setting_on_a_scaled_clock(make_sellercloud_sim: Any) -> None:
    clock = ScaledClock(scale=20.0)  # 10 simulated seconds take 0.5 s
    sim = make_sellercloud_sim(clock=clock, queue_seconds=2.0, job_seconds=8.0)
    with authed(sim) as c:
        job_id = export(c)
        started, sim_started = time.monotonic(), clock.now()
        submitted = sim.job(job_id).submitted_at

        def expected(t: float) -> int:
            return 0 if t < submitted + 2.0 else 1 if t < submitted + 10.0 else 3

        statuses = poll_on_scaled_clock(clock, lambda: job(c, job_id)["Basic"]["Status"], expected, (0, 1, 3))
    assert 1 in statuses and statuses[-1] == 3
    # the simulated seconds left when polling started passed 20 times faster than real ones
    assert 0.9 * (submitted + 10.0 - sim_started) / 20.0 < time.monotonic() - started < 5.0


@pytest.mark.parametrize(
    ("outcome", "status", "final_counters", "error"),
    [
        ("failed", 4, (10, 10, 5, 5), "Export failed: the plugin could not build the file (simulated)."),
        ("partial", 5, (10, 10, 9, 1), None),
        ("cancelled", 7, (0, 0, 0, 0), None),
        ("service_restarted", 8, (10, 5, 5, 0), "The job was cancelled: the service was restarted."),
        ("aborted", 9, (10, 5, 5, 0), "The job was aborted: it took too much time."),
    ],
)
def test_outcomes_by_setting(
    make_sellercloud_sim: Any,
    outcome: str,
    status: int,
    final_counters: tuple[int, int, int, int],
    error: str | None,
) -> None:
    sim = make_sellercloud_sim(outcome=outcome)
    with authed(sim) as c:
        job_id = export(c)
        sim.clock.advance(100)
        body = job(c, job_id)
        assert body["Basic"]["Status"] == status and counters(body) == final_counters
        assert body["Basic"]["ErrorMessage"] == error
        assert body["Basic"]["CompletedOn"] is not None
        output = c.get(paths.OUTPUT, params={"id": job_id})
        if status == 5:
            assert decode_output(output)[1] == sim.file_bytes(job_id) == render_export(SKUS[:9], 1).data
        else:
            assert output.status_code == 404 and "has no output file" in message(output)
        entries = logs(c, job_id).json()["Items"]
        assert entries[-1]["IsError"] == (error is not None or status == 5)
        if error is not None:
            assert entries[-1]["Message"] == error


def test_outcomes_per_job(sellercloud_sim: SellercloudSimulator, client: httpx.Client) -> None:
    failing, partial, forced, stuck = (export(client, [f"X{i}" for i in range(4)]) for _ in range(4))
    sellercloud_sim.fail(failing, "Plugin crashed: out of paper")
    sellercloud_sim.set_outcome(partial, "partial", partial_failures=3)
    sellercloud_sim.complete(forced)
    sellercloud_sim.stall(stuck)
    assert job(client, forced)["Basic"]["Status"] == 3  # at once
    sellercloud_sim.clock.advance(1_700)  # within the token lifetime
    failed = job(client, failing)
    assert (
        failed["Basic"]["Status"] == 4 and failed["Basic"]["ErrorMessage"] == "Plugin crashed: out of paper"
    )
    assert counters(job(client, partial)) == (4, 4, 1, 3)
    assert sellercloud_sim.expected_file(partial) == render_export(["X0"], 1)
    stalled = job(client, stuck)
    assert stalled["Basic"]["Status"] == 1 and counters(stalled) == (4, 2, 2, 0)  # frozen halfway, forever
    assert stalled["Basic"]["CompletedOn"] is None
    sellercloud_sim.complete(stuck)
    assert job(client, stuck)["Basic"]["Status"] == 3


def test_on_hold_never_starts(make_sellercloud_sim: Any) -> None:
    sim = make_sellercloud_sim(outcome="on_hold")
    with authed(sim) as c:
        job_id = export(c)
        sim.clock.advance(1_700)  # within the token lifetime
        body = job(c, job_id)
        assert body["Basic"]["Status"] == 6 and counters(body) == (0, 0, 0, 0)
        assert body["Basic"]["StartedOn"] is None
        assert [e["Message"] for e in logs(c, job_id).json()["Items"]][-1] == "Job put on hold."
        assert c.put(paths.CANCEL, params={"id": job_id}).status_code == 200
        assert job(c, job_id)["Basic"]["Status"] == 7
        assert [e["Message"] for e in logs(c, job_id).json()["Items"]][-2:] == [
            "Job put on hold.",
            "Job cancelled.",
        ]


@pytest.mark.parametrize("status", [404, 400])
def test_unknown_jobs(make_sellercloud_sim: Any, status: int) -> None:
    sim = make_sellercloud_sim(not_found_status=status)
    with authed(sim) as c:
        for response in (
            c.get("/api/QueuedJobs/12345"),
            c.get("/api/QueuedJobs/12345/Logs"),
            c.get(paths.OUTPUT, params={"id": 12345}),
            c.put(paths.CANCEL, params={"id": 12345}),
        ):
            assert response.status_code == status
            assert message(response) == "Queued job 12345 was not found."
        # paths that aren't routes: ASP.NET-style JSON 404 / 405 (with Allow)
        assert "No HTTP resource" in message(c.get("/api/QueuedJobs/abc"))
        wrong_method = c.get(paths.CANCEL, params={"id": 1})
        assert wrong_method.status_code == 405 and wrong_method.headers["allow"] == "PUT"
        assert "does not support http method 'GET'" in message(wrong_method)


# ---------------------------------------------------------------- logs


def test_logs_are_paged_50_at_most(sellercloud_sim: SellercloudSimulator, client: httpx.Client) -> None:
    job_id = export(client, [f"P{i:03d}" for i in range(120)])
    finish(sellercloud_sim)
    pages = [logs(client, job_id, pageNumber=n, pageSize=50).json() for n in (1, 2, 3, 4)]
    assert [p["TotalResults"] for p in pages] == [123] * 4  # queued, started, 120 products, completed
    assert [len(p["Items"]) for p in pages] == [50, 50, 23, 0]
    items = [item for page in pages for item in page["Items"]]
    assert items == logs(client, job_id).json()["Items"] + [
        *logs(client, job_id, pageNumber=2).json()["Items"],
        *logs(client, job_id, pageNumber=3).json()["Items"],
    ]  # the default page size is the maximum, 50
    assert [list(item) for item in items[:1]] == [["LogTime", "IsError", "Message"]]
    times = [sim_from_utc(item["LogTime"]) for item in items]
    assert times == sorted(times)
    assert items[0]["Message"] == f"Job {job_id} queued: plugin export of 120 products."
    assert items[-1]["Message"] == f"Export completed: PluginExport_{job_id}.csv."
    assert not any(item["IsError"] for item in items)
    assert [len(logs(client, job_id, pageSize=7, pageNumber=n).json()["Items"]) for n in (1, 18)] == [7, 4]


@pytest.mark.parametrize(
    "params",
    [{"pageSize": 51}, {"pageSize": 0}, {"pageNumber": 0}, {"pageNumber": -1}, {"pageSize": "ten"}],
)
def test_bad_log_paging_is_400(client: httpx.Client, params: dict[str, Any]) -> None:
    job_id = export(client)
    response = logs(client, job_id, **params)
    assert response.status_code == 400
    assert list(response.json()["ModelState"]) == [f"request.{next(iter(params))}"]


def test_logs_grow_with_the_job(sellercloud_sim: SellercloudSimulator, client: httpx.Client) -> None:
    job_id = export(client, ["A", "B", "C", "D"])
    sizes = []
    for _ in range(5):
        sizes.append(logs(client, job_id).json()["TotalResults"])
        sellercloud_sim.clock.advance(1.0)
    assert sizes == [1, 2, 3, 4, 7]  # queued; started; one product per 0.75 s; last product + completed


def test_failed_job_logs_errors(sellercloud_sim: SellercloudSimulator, client: httpx.Client) -> None:
    job_id = export(client, ["A", "B", "C", "D"])
    sellercloud_sim.set_outcome(job_id, "partial", partial_failures=2)
    finish(sellercloud_sim)
    items = logs(client, job_id).json()["Items"]
    errors = [i["Message"] for i in items if i["IsError"]]
    assert errors == [
        "Product 'C' could not be exported (simulated).",
        "Product 'D' could not be exported (simulated).",
        f"Export finished: 2 of 4 products failed; PluginExport_{job_id}.csv.",
    ]


# ---------------------------------------------------------------- cancel


def test_cancel_before_and_while_running(sellercloud_sim: SellercloudSimulator, client: httpx.Client) -> None:
    queued, running = export(client), export(client)
    assert client.put(paths.CANCEL, params={"id": queued}).status_code == 200
    sellercloud_sim.clock.advance(2.5)  # running: half of the products done
    response = client.put(paths.CANCEL, params={"id": running})
    assert response.status_code == 200 and response.content == b""
    sellercloud_sim.clock.advance(100)
    cancelled, stopped = job(client, queued), job(client, running)
    assert cancelled["Basic"]["Status"] == 7 and counters(cancelled) == (0, 0, 0, 0)
    assert cancelled["Basic"]["StartedOn"] is None and cancelled["Basic"]["CompletedOn"] is not None
    assert stopped["Basic"]["Status"] == 10 and counters(stopped) == (10, 5, 5, 0)  # frozen at the cancel
    assert logs(client, running).json()["Items"][-1]["Message"] == "Job cancelled while running."
    assert client.get(paths.OUTPUT, params={"id": running}).status_code == 404
    assert sellercloud_sim.stats.cancels == 2


def test_cancelling_a_finished_job_changes_nothing(
    sellercloud_sim: SellercloudSimulator, client: httpx.Client
) -> None:
    job_id = export(client)
    finish(sellercloud_sim)
    assert client.put(paths.CANCEL, params={"id": job_id}).status_code == 200
    assert job(client, job_id)["Basic"]["Status"] == 3
    assert sellercloud_sim.cancel(job_id) is JobStatus.COMPLETED and sellercloud_sim.stats.cancels == 0
    missing = client.put(paths.CANCEL)
    assert missing.status_code == 400 and "request.id" in missing.json()["ModelState"]


# ---------------------------------------------------------------- the output file


@pytest.mark.parametrize("file_format", list(FileFormat))
def test_every_output_shape_decodes_to_the_same_bytes(
    make_sellercloud_sim: Any, file_format: FileFormat
) -> None:
    sim = make_sellercloud_sim()
    with authed(sim) as c:
        job_id = export(c, SKUS, int(file_format))
        finish(sim)
        expected = sim.expected_file(job_id)
        name = job(c, job_id)["OutputFile"]
        assert name == f"PluginExport_{job_id}.{expected.extension}"
        decoded = {}
        for shape in OUTPUT_SHAPES:
            sim.settings.output_shape = shape
            response = c.get(paths.OUTPUT, params={"id": job_id})
            assert response.status_code == 200
            decoded[shape] = decode_output(response)
    assert set(decoded.values()) == {(name, expected.data)}
    assert expected == render_export(SKUS, file_format) == sim.expected_export(SKUS, file_format)
    assert expected.sha256 == hashlib.sha256(expected.data).hexdigest() == sim.file_sha256(job_id)
    assert sim.stats.files_served == len(OUTPUT_SHAPES)


def test_output_shapes_on_the_wire(make_sellercloud_sim: Any) -> None:
    sim = make_sellercloud_sim()
    with authed(sim) as c:
        job_id = export(c, ["A"], 1)
        finish(sim)
        data = sim.file_bytes(job_id)
        b64 = base64.b64encode(data).decode()
        disposition = f"attachment; filename=PluginExport_{job_id}.csv"
        wire = {}
        for shape in OUTPUT_SHAPES:
            sim.settings.output_shape = shape
            wire[shape] = c.get(paths.OUTPUT, params={"id": job_id})
    assert wire["base64_json"].content == json.dumps(b64).encode()  # (a) per the spec: a JSON string
    assert wire["base64_json"].headers["content-type"] == "application/json; charset=utf-8"
    assert wire["base64_json"].headers["content-disposition"] == disposition
    assert wire["file_content"].json() == {"FileName": f"PluginExport_{job_id}.csv", "Content": b64}  # (b)
    assert "content-disposition" not in wire["file_content"].headers
    assert wire["raw"].content == data and wire["raw"].headers["content-type"] == "application/octet-stream"
    assert wire["raw"].headers["content-disposition"] == disposition  # (c)
    assert wire["base64_text"].content == b64.encode()  # the other reading of (a): unquoted, text/plain
    assert wire["base64_text"].headers["content-type"] == "text/plain; charset=utf-8"


def test_no_output_before_completion(sellercloud_sim: SellercloudSimulator, client: httpx.Client) -> None:
    job_id = export(client)
    early = client.get(paths.OUTPUT, params={"id": job_id})
    assert early.status_code == 404
    assert message(early) == f"Queued job {job_id} has no output file (status 0 SUBMITTED)."
    finish(sellercloud_sim)
    assert client.get(paths.OUTPUT, params={"id": job_id}).status_code == 200


def test_files_are_deterministic(sellercloud_sim: SellercloudSimulator, client: httpx.Client) -> None:
    first, second = export(client, SKUS, 2), export(client, SKUS, 2)
    finish(sellercloud_sim)
    one = decode_output(client.get(paths.OUTPUT, params={"id": first}))[1]
    two = decode_output(client.get(paths.OUTPUT, params={"id": second}))[1]
    assert one == two == render_export(SKUS, 2).data
    assert render_export(SKUS, 1) != render_export(SKUS[::-1], 1)


def test_csv_and_tab_contents() -> None:
    skus = [f"S{i}" for i in range(200)] + ["tab\there", "dup", "dup"]
    rows = list(csv.reader(io.StringIO(render_export(skus, 1).data.decode("utf-8"), newline="")))
    keys = [key for key, _ in COLUMNS]
    assert rows[0] == keys and len(rows) == len(skus) + 1
    assert rows[1:] == [[product_values(s)[k] for k in keys] for s in skus]
    assert render_export(skus, 1).data.count(b"\r\n") == len(skus) + 1  # CRLF, no quoted line breaks
    names = {row[1] for row in rows[1:]}
    assert any('Smith & Sons, "Original"' in n for n in names) and any("Café Olé" in n for n in names)
    assert any(row[2].startswith("0") for row in rows[1:])  # UPCs keep their leading zeros
    tab = render_export(skus, 0).data.decode("utf-8").split("\r\n")
    assert tab[0] == "\t".join(keys) and tab[-1] == ""
    assert all(line.count("\t") == len(keys) - 1 for line in tab[:-1])  # tabs in values became spaces
    assert tab[skus.index("tab\there") + 1].startswith("tab here\t")


def test_xlsx_is_a_real_deterministic_workbook() -> None:
    skus = ["A&B <1>", "Zürich", "", "ctl\x01char"] + [f"S{i}" for i in range(30)]
    data = render_export(skus, 2).data
    assert data[:4] == b"PK\x03\x04"
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert archive.testzip() is None
        assert archive.namelist() == [
            "[Content_Types].xml",
            "_rels/.rels",
            "xl/workbook.xml",
            "xl/_rels/workbook.xml.rels",
            "xl/worksheets/sheet1.xml",
        ]
        assert {info.date_time for info in archive.infolist()} == {(1980, 1, 1, 0, 0, 0)}
        for name in archive.namelist():
            ET.fromstring(archive.read(name))  # well-formed XML
    text_rows = list(csv.reader(io.StringIO(render_export(skus, 1).data.decode("utf-8"), newline="")))
    text_rows[4][0] = "ctlchar"  # XML 1.0 can't carry control characters: dropped from the sheet
    assert xlsx_rows(data) == text_rows
    assert render_export(list(skus), 2).data == data


# ---------------------------------------------------------------- basic and custom exports


def test_basic_export_as_job_or_inline_file(make_sellercloud_sim: Any) -> None:
    sim = make_sellercloud_sim()
    with authed(sim) as c:
        link = c.post(paths.BASIC, json={"StandardExportKind": 14, "ProductIds": ["A", "B"]}).json()[
            "QueuedJobLink"
        ]
        finish(sim)
        assert job(c, job_id_from_link(link))["Basic"]["JobType"] != job(c, export(c))["Basic"]["JobType"]
        assert (
            decode_output(c.get(paths.OUTPUT, params={"id": job_id_from_link(link)}))[1]
            == render_export(["A", "B"], 1).data
        )
        sim.settings.basic_response = "file"
        inline = c.post(paths.BASIC, json={"StandardExportKind": 3, "ProductIds": ["A", "B"]}).json()
        assert inline == {"FileName": "StandardExport_3.csv", "Content": render_export(["A", "B"], 1).b64}
        for bad in (
            {"StandardExportKind": 15, "ProductIds": ["A"]},
            {"ProductIds": ["A"]},
            {"StandardExportKind": 0},
        ):
            response = c.post(paths.BASIC, json=bad)
            assert response.status_code == 400 and response.json()["ModelState"]
    assert sim.stats.inline_files == 1 and sim.stats.jobs_created == 2


def test_custom_export_columns(make_sellercloud_sim: Any) -> None:
    sim = make_sellercloud_sim(custom_response="file")
    with authed(sim) as c:
        body = {"ProductIds": ["A"], "Columns": ["UPC", "ProductID"], "FileFormat": 1, "Anything": {"x": 1}}
        inline = c.post(paths.CUSTOM, json=body).json()
        assert base64.b64decode(inline["Content"]).decode().splitlines() == [
            "UPC,ProductID",
            f"{product_values('A')['UPC']},A",
        ]
        assert inline["FileName"] == "CustomExport.csv"
        assert c.post(paths.CUSTOM, json={"ProductIds": ["A"], "Columns": ["Nope"]}).status_code == 400
        assert c.post(paths.CUSTOM, json={"ProductIds": ["A"], "Columns": []}).status_code == 400
        sim.settings.custom_response = "job"
        link = c.post(paths.CUSTOM, json={"ProductIds": ["A"], "Columns": ["UPC"]}).json()["QueuedJobLink"]
    assert sim.expected_file(link) == render_export(["A"], 0, ["UPC"])


# ---------------------------------------------------------------- the rate limit


def test_time_helpers() -> None:
    assert utc_from_sim(0.0) == dt.datetime(1970, 1, 1, tzinfo=dt.UTC)  # EPOCH_OFFSET 0: now() is Unix time
    assert sim_from_utc("2026-01-01T00:00:00Z") == dt.datetime(2026, 1, 1, tzinfo=dt.UTC).timestamp()
    assert sim_from_utc("2026-01-01T00:00:00") == sim_from_utc("2026-01-01T00:00:00+00:00")
    assert format_utc(1767225600.0) == "2026-01-01T00:00:00Z"
    assert format_utc(1767225600.2) == "2026-01-01T00:00:01Z"  # rounded up: waiting until it is never early
    assert sim_from_utc(format_utc(1767225600.0)) == 1767225600.0


def test_rate_limit_window_and_reset_time(make_sellercloud_sim: Any) -> None:
    sim = make_sellercloud_sim(rate_limit=5, token_seconds=7200)  # the token outlives the window
    start = sim.clock.now()
    with httpx.Client(base_url=sim.base_url, timeout=10) as c:
        headers = {"Authorization": f"Bearer {grant(sim, c)['access_token']}"}  # the token call counts too
        sim.clock.advance(600)
        for _ in range(3):
            assert c.get(paths.PLUGIN_METADATA, headers=headers).status_code == 200
        assert c.get("/api/no-such-route").status_code == 404  # every request counts, routed or not
        throttled = c.get(paths.PLUGIN_METADATA, headers=headers)
        assert throttled.status_code == 429
        assert throttled.json() == {
            "Error": "Too many requests.",
            "RateLimitResetTime": format_utc(start + 3600),
        }
        assert "retry-after" not in throttled.headers  # none documented
        reset_at = sim_from_utc(throttled.json()["RateLimitResetTime"])
        assert reset_at == sim.rate_limit_reset() == start + 3600  # start is a whole second (manual clock)
        assert c.post(paths.TOKEN, json=sim.credentials).status_code == 429
        sim.clock.advance(reset_at - sim.clock.now() - 0.001)
        assert c.get(paths.PLUGIN_METADATA, headers=headers).status_code == 429
        sim.clock.advance(0.001)  # a client waiting until RateLimitResetTime gets through
        assert c.get(paths.PLUGIN_METADATA, headers=headers).status_code == 200
    assert sim.stats.throttled == 3 and sim.stats.max_requests_in_window == 5 and sim.window_usage() == 1


def test_rate_limit_is_per_client_ip(make_sellercloud_sim: Any) -> None:
    sim = make_sellercloud_sim(rate_limit=2)
    token = sim.token()
    headers = {"Authorization": f"Bearer {token}"}
    other = httpx.Client(transport=httpx.HTTPTransport(local_address="127.0.0.2"), timeout=10)
    with httpx.Client(timeout=10) as c, other:
        for _ in range(2):
            assert c.get(sim.base_url + paths.PLUGIN_METADATA, headers=headers).status_code == 200
        assert c.get(sim.base_url + paths.PLUGIN_METADATA, headers=headers).status_code == 429
        assert other.get(sim.base_url + paths.PLUGIN_METADATA, headers=headers).status_code == 200
    assert sim.window_usage("127.0.0.2") == 1 and sim.window_usage("127.0.0.1") == 2


def test_default_limit_is_10800_per_hour(sellercloud_sim: SellercloudSimulator) -> None:
    # the window directly: 10,800 HTTP calls would take too long for a unit test
    state, clock = sellercloud_sim.state, sellercloud_sim.clock
    start = clock.now()
    for _ in range(10_800):
        assert state.admit("10.0.0.1", clock.now())[0]
        clock.advance(0.3)  # 3,240 s for all of them
    assert state.admit("10.0.0.1", clock.now()) == (False, start + 3600)
    clock.advance(start + 3600 - clock.now())
    assert state.admit("10.0.0.1", clock.now()) == (True, start + 7200)


def test_throttle_status_and_retry_after_are_settings(make_sellercloud_sim: Any) -> None:
    # the docs give the body but no status: a client must recognise the body whatever the status
    sim = make_sellercloud_sim(rate_limit=1, throttle_status=503, throttle_retry_after=True)
    token = sim.token()
    with httpx.Client(base_url=sim.base_url, headers={"Authorization": f"Bearer {token}"}, timeout=10) as c:
        assert c.get(paths.PLUGIN_METADATA).status_code == 200
        sim.clock.advance(100.5)
        throttled = c.get(paths.PLUGIN_METADATA)
    assert throttled.status_code == 503 and throttled.json()["Error"] == "Too many requests."
    assert throttled.headers["retry-after"] == "3500"


def test_throttle_fault(sellercloud_sim: SellercloudSimulator, client: httpx.Client) -> None:
    fault = sellercloud_sim.faults.add("throttle", path="/rest/api/QueuedJobs/", reset_in=30, times=2)
    job_id = export(client)
    now = sellercloud_sim.clock.now()
    first = client.get(f"/api/QueuedJobs/{job_id}")
    assert first.status_code == 429
    assert first.json() == {"Error": "Too many requests.", "RateLimitResetTime": format_utc(now + 30)}
    second = client.get(paths.OUTPUT, params={"id": job_id})
    assert second.status_code == 429 and fault.exhausted
    assert client.get(f"/api/QueuedJobs/{job_id}").status_code == 200
    sellercloud_sim.faults.add("throttle", status=200, retry_after=True)  # the body with a 200, even
    odd = client.get(paths.PLUGIN_METADATA)
    assert odd.status_code == 200 and odd.json()["Error"] == "Too many requests."
    assert int(odd.headers["retry-after"]) > 3000  # until this client's window resets
    assert sellercloud_sim.stats.throttled == 0
    assert [r.faults for r in sellercloud_sim.requests.matching(path="/rest/api/QueuedJobs")][:2] == [
        ["throttle"],
        ["throttle"],
    ]


# ---------------------------------------------------------------- framework faults on this simulator


def test_unknown_enum_status(sellercloud_sim: SellercloudSimulator, client: httpx.Client) -> None:
    job_id = export(client)
    sellercloud_sim.faults.add("unknown_enum", path="/rest/api/QueuedJobs/")
    assert job(client, job_id)["Basic"]["Status"] == 11
    sellercloud_sim.faults.add("unknown_enum", value=2, times=2)  # 2: the gap in the documented values
    assert [job(client, job_id)["Basic"]["Status"] for _ in range(3)] == [2, 2, 0]
    sellercloud_sim.faults.add("unknown_enum", field="FileFormat")
    assert client.get(f"/api/QueuedJobs/{job_id}").status_code == 500  # not a field of the job


def test_output_file_cut_mid_body(sellercloud_sim: SellercloudSimulator, client: httpx.Client) -> None:
    sellercloud_sim.settings.output_shape = "raw"
    job_id = export(client, [f"S{i}" for i in range(3000)], 2)
    finish(sellercloud_sim)
    size = len(sellercloud_sim.file_bytes(job_id))
    sellercloud_sim.faults.add("truncate", path="/rest/api/QueuedJobs/OutputFile", after_bytes=1000)
    with pytest.raises(httpx.RemoteProtocolError, match=f"received 1000 bytes, expected {size}"):
        client.get(paths.OUTPUT, params={"id": job_id})
    sellercloud_sim.faults.add("reset", path="/rest/api/QueuedJobs/OutputFile", after_bytes=5000)
    with pytest.raises((httpx.ReadError, httpx.RemoteProtocolError)):
        client.get(paths.OUTPUT, params={"id": job_id})
    whole = client.get(paths.OUTPUT, params={"id": job_id})
    assert whole.content == sellercloud_sim.file_bytes(job_id)
    assert hashlib.sha256(whole.content).hexdigest() == sellercloud_sim.file_sha256(job_id)


def test_malformed_status_and_rate_limit_faults(
    sellercloud_sim: SellercloudSimulator, client: httpx.Client
) -> None:
    job_id = export(client)
    sellercloud_sim.faults.add("malformed_json", method="GET", path="/rest/api/QueuedJobs/")
    broken = client.get(f"/api/QueuedJobs/{job_id}")
    assert broken.status_code == 200 and broken.headers["content-type"].startswith("application/json")
    with pytest.raises(json.JSONDecodeError):
        json.loads(broken.content)
    sellercloud_sim.faults.add("rate_limit", method="POST", retry_after=7)
    limited = client.post(paths.EXPORT, json={"PluginProfileKey": PLUGIN, "ProductIds": ["A"]})
    assert limited.status_code == 429 and limited.headers["retry-after"] == "7"
    sellercloud_sim.faults.add("status", status=503, body="<html>Service Unavailable</html>")
    assert client.get(paths.PLUGIN_METADATA).status_code == 503
    assert sellercloud_sim.stats.jobs_created == 1
    assert job(client, job_id)["Basic"]["Status"] == 0


# ---------------------------------------------------------------- request log and command line


def test_request_log_names_routes_and_hides_tokens(
    sellercloud_sim: SellercloudSimulator, client: httpx.Client
) -> None:
    job_id = export(client)
    job(client, job_id)
    logs(client, job_id)
    token = client.headers["authorization"].split()[1]
    assert sellercloud_sim.requests.per_route() == {
        "POST /rest/api/token": 1,
        "POST /rest/api/Catalog/Exports/ViaPlugin": 1,
        "GET /rest/api/QueuedJobs/{id}": 1,
        "GET /rest/api/QueuedJobs/{id}/Logs": 1,
    }
    record = sellercloud_sim.requests[-1]
    assert record.has_authorization and token not in repr(record.headers)
    assert sellercloud_sim.requests[0].carried_credentials == frozenset()  # the token call has none


def test_command_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert "sellercloud" in VENDORS
    assert main(["sellercloud", "--duration", "0.05", "--scale", "10", "--password", "pw-for-cli"]) == 0
    out = capsys.readouterr().out
    assert re.search(r"Sellercloud simulator: http://127\.0\.0\.1:\d+/rest ", out)
    assert "username: sim-user@sellercloud.test" in out and "password: pw-for-cli" in out
