"""The Wabi2b simulator behaves as vendor-docs/003_ecfc890c38ed19fd.txt says (and as sellerkit.testing decides
where the docs are silent): auth, the Format header, body rules, the job lifecycle, files, quotas, faults."""

from __future__ import annotations

import base64
import csv
import hashlib
import io
import json
import re
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from sellerkit.testing.framework import ScaledClock
from sellerkit.testing.wabi2b import (
    CSV_HEADER,
    DOCS_CALLBACK_CODE,
    DOCS_EXAMPLE_GTIN,
    DOCS_FILE_PATH,
    LAST_SAVE_STATUSES,
    MEDIA_TYPES,
    PUBLISH_STATUSES,
    Wabi2bSimulator,
    product_row,
    render_file,
)
from tests.contract.harness import poll_on_scaled_clock

DOWNLOAD = "/listProductsBulkDownload"
UPLOAD = "/offerProductsForSaleBulkUpload"
GTINS = ["00025000040210", "00025000040290", DOCS_EXAMPLE_GTIN]
# A sample big enough to contain every quirk (checked below), small enough to render instantly.
SAMPLE = [f"{7_501_055_300_000 + i:014d}" for i in range(400)]

# Verbatim from the docs ("Example JSON Response Payload" / "Example CSV Response Payload").
DOCS_JSON_ROW = json.loads("""{
    "product": "00025000040295",
    "media": [
        {"type": "Product Image", "url": "https://sandbox.productimages.mywabi2b.com/images/00025000040295/63f9b922f7f3fd2005c493e4263459ac/20220728124551788/ProductImage.jpg"},
        {"type": "Product Image Thumbnail", "url": "https://sandbox.productimages.mywabi2b.com/images/00025000040295/63f9b922f7f3fd2005c493e4263459ac/20220728124551788/ProductImageThumbnail.jpg"},
        {"type": "Product Search Image", "url": "https://sandbox.productimages.mywabi2b.com/images/00025000040295/63f9b922f7f3fd2005c493e4263459ac/20220728124551788/ProductSearchImage.jpg"}
    ],
    "productName": null,
    "specs": [{"name": "Unit Of Measure", "value": "oz"}, {"name": "Unit Size", "value": "12"}],
    "rejectionReason": null,
    "category": "Snacks & Chips",
    "brand": "Super Chips Co",
    "productDescription": null,
    "ownsProductMasterData": false,
    "inMyCatalog": false
}""")
DOCS_CSV = (
    "product,productName,productDescription,brand,ownsProductMasterData,inMyCatalog,rejectionReason,category,media1-url,media1-type,media2-url,media2-type,media3-url,media3-type,spec1-name,spec1-value,spec2-name,spec2-value,spec3-name,spec3-value,spec4-name,spec4-value,spec5-name,spec5-value\n"
    "00025000040295,,,Super Chips Co,false,false,,Snacks & Chips,https://sandbox.productimages.mywabi2b.com/images/00025000040295/63f9b922f7f3fd2005c493e4263459ac/20220728124551788/ProductImage.jpg,Product Image,https://sandbox.productimages.mywabi2b.com/images/00025000040295/63f9b922f7f3fd2005c493e4263459ac/20220728124551788/ProductImageThumbnail.jpg,Product Image Thumbnail,https://sandbox.productimages.mywabi2b.com/images/00025000040295/63f9b922f7f3fd2005c493e4263459ac/20220728124551788/ProductSearchImage.jpg,Product Search Image,Unit Of Measure,oz,Unit Size,12,,,,,,\n"  # noqa: E501
)


@pytest.fixture
def client(wabi2b_sim: Wabi2bSimulator) -> Iterator[httpx.Client]:
    """A client with valid credentials (Authorization: raw JWT, x-api-key)."""
    with httpx.Client(base_url=wabi2b_sim.base_url, headers=wabi2b_sim.auth_headers(), timeout=10) as c:
        yield c


def submit(
    c: httpx.Client, gtins: list[str], file_format: str = "json", headers: dict[str, str] | None = None
) -> httpx.Response:
    return c.post(DOWNLOAD, headers={"Format": file_format, **(headers or {})}, json={"gtins": gtins})


def poll(c: httpx.Client, code: str, **kwargs: Any) -> httpx.Response:
    return c.get(DOWNLOAD, params={"callBackCode": code}, **kwargs)


def message(response: httpx.Response) -> str:
    assert response.headers["content-type"] == "application/json"
    text = response.json()["message"]
    assert isinstance(text, str)
    return text


# ---------------------------------------------------------------- authentication


def test_valid_credentials_are_accepted(client: httpx.Client) -> None:
    response = submit(client, GTINS)
    assert response.status_code == 200
    assert re.fullmatch(r"[0-9a-f]{40}", response.json()["callBackCode"])


@pytest.mark.parametrize("route", ["submit", "poll", "upload"])
@pytest.mark.parametrize("missing", ["Authorization", "x-api-key"])
def test_each_call_needs_both_credentials(wabi2b_sim: Wabi2bSimulator, route: str, missing: str) -> None:
    headers = {k: v for k, v in wabi2b_sim.auth_headers().items() if k != missing}
    with httpx.Client(base_url=wabi2b_sim.base_url, headers=headers, timeout=10) as c:
        if route == "submit":
            response = submit(c, GTINS)
        elif route == "poll":
            response = poll(c, DOCS_CALLBACK_CODE)
        else:
            response = c.post(UPLOAD, headers={"format": "json"}, json=[{}])
    assert response.status_code == 401
    assert missing.lower() in message(response).lower()


def test_bad_tokens_and_keys_are_refused_without_echoing_them(wabi2b_sim: Wabi2bSimulator) -> None:
    good = wabi2b_sim.jwt()
    cases = {
        "Bearer prefix": {"Authorization": f"Bearer {good}", "x-api-key": wabi2b_sim.api_key},
        "wrong signature": {
            "Authorization": wabi2b_sim.mint_jwt(secret=b"not the simulator's"),
            "x-api-key": wabi2b_sim.api_key,
        },
        "not a JWT": {"Authorization": "opaque-token-value", "x-api-key": wabi2b_sim.api_key},
        "unknown key": {"Authorization": good, "x-api-key": "sim-unknown-key-value"},
    }
    for name, headers in cases.items():
        response = httpx.get(wabi2b_sim.base_url + DOWNLOAD, params={"callBackCode": "x"}, headers=headers)
        assert response.status_code == 401, name
        text = message(response)
        assert good not in text and "opaque-token-value" not in text and "sim-unknown-key-value" not in text


def test_jwt_expires_in_simulated_time(wabi2b_sim: Wabi2bSimulator) -> None:
    token = wabi2b_sim.mint_jwt(ttl=60)
    claims = json.loads(base64.urlsafe_b64decode(token.split(".")[1] + "=="))
    assert claims == {"sub": "SID-0001", "iat": claims["iat"], "exp": claims["iat"] + 60}
    headers = {"Authorization": token, "x-api-key": wabi2b_sim.api_key}
    assert httpx.get(
        wabi2b_sim.base_url + DOWNLOAD, params={"callBackCode": DOCS_CALLBACK_CODE}, headers=headers
    )
    wabi2b_sim.clock.advance(60)
    expired = httpx.get(
        wabi2b_sim.base_url + DOWNLOAD, params={"callBackCode": DOCS_CALLBACK_CODE}, headers=headers
    )
    assert expired.status_code == 401
    assert "expired" in message(expired)


def test_unknown_key_status_is_configurable(make_wabi2b_sim: Any) -> None:
    sim = make_wabi2b_sim(invalid_key_status=403)  # what AWS-style gateways answer
    response = httpx.get(
        sim.base_url + DOWNLOAD,
        params={"callBackCode": "x"},
        headers={"Authorization": sim.jwt(), "x-api-key": "k"},
    )
    assert response.status_code == 403


def test_request_log_records_credentials_without_their_values(
    wabi2b_sim: Wabi2bSimulator, client: httpx.Client
) -> None:
    submit(client, GTINS)
    record = wabi2b_sim.requests[-1]
    assert record.has_authorization and record.has_api_key
    assert record.carried_credentials == {"authorization", "x-api-key"}
    assert wabi2b_sim.api_key not in repr(record.headers)
    assert record.header("x-api-key") == record.header("X-API-Key") != wabi2b_sim.api_key
    assert record.header("format") == "json"


# ---------------------------------------------------------------- the POST: Format header and body rules


@pytest.mark.parametrize("file_format", [None, "", "xml", "JSON", "Csv"])
def test_format_header_must_be_csv_or_json(client: httpx.Client, file_format: str | None) -> None:
    headers = {} if file_format is None else {"Format": file_format}
    response = client.post(DOWNLOAD, headers=headers, json={"gtins": GTINS})
    assert response.status_code == 400
    assert "Format" in message(response)


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        (b"not json", "JSON"),
        (b"[]", "object"),
        (b"{}", "gtins"),
        (b'{"gtins": "00025000040210"}', "array"),
        (b'{"gtins": [25000040210]}', "strings"),
        (b'{"gtins": ["00025000040210", "00025000040210"]}', "unique"),
    ],
)
def test_body_rules(client: httpx.Client, body: bytes, problem: str) -> None:
    response = client.post(
        DOWNLOAD, headers={"Format": "json", "Content-Type": "application/json"}, content=body
    )
    assert response.status_code == 400
    assert problem in message(response)


def test_at_most_10000_gtins(client: httpx.Client) -> None:
    gtins = [f"{i:014d}" for i in range(10_001)]
    too_many = submit(client, gtins)
    assert too_many.status_code == 400
    assert "10000" in message(too_many)
    assert submit(client, gtins[:10_000]).status_code == 200


def test_gtin_shape_is_not_checked(wabi2b_sim: Wabi2bSimulator, client: httpx.Client) -> None:
    # undocumented whether the server checks 14 digits: the simulator accepts anything ...
    code = submit(client, ["123", "not-a-gtin", "", DOCS_EXAMPLE_GTIN]).json()["callBackCode"]
    wabi2b_sim.clock.advance(3)
    # ... but reports only products with a 14-character GTIN, as the payload schema requires
    assert httpx.get(poll(client, code).json()["path"]).json() == [DOCS_JSON_ROW]


def test_empty_gtin_list_gives_an_empty_file(wabi2b_sim: Wabi2bSimulator, client: httpx.Client) -> None:
    code = submit(client, []).json()["callBackCode"]
    wabi2b_sim.clock.advance(3)
    assert httpx.get(poll(client, code).json()["path"]).json() == []


# ---------------------------------------------------------------- the GET: job lifecycle


@pytest.mark.parametrize("file_format", ["json", "csv"])
def test_job_is_in_progress_then_complete(
    wabi2b_sim: Wabi2bSimulator, client: httpx.Client, file_format: str
) -> None:
    code = submit(client, GTINS, file_format).json()["callBackCode"]
    assert poll(client, code).json() == {"seller": "SID-0001", "format": file_format, "status": "In Progress"}
    wabi2b_sim.clock.advance(2.9)
    assert poll(client, code).json()["status"] == "In Progress"
    wabi2b_sim.clock.advance(0.1)
    done = poll(client, code).json()
    assert list(done) == ["format", "seller", "path", "status"]  # the docs' example order
    assert done["status"] == "Complete" and done["format"] == file_format and done["seller"] == "SID-0001"
    assert re.fullmatch(
        re.escape(wabi2b_sim.origin or "")
        + r"/tmp/short/productDownload/\d{4}-\d{1,2}/\d{1,2}/\d{1,2}/[0-9a-f]{40}\."
        + file_format,
        done["path"],
    )


def test_job_duration_is_a_setting_and_runs_on_a_scaled_clock(make_wabi2b_sim: Any) -> None:
    clock = ScaledClock(scale=50.0)  # 10 simulated seconds take 0.2 s
    sim = make_wabi2b_sim(clock=clock, job_seconds=10.0)
    with httpx.Client(base_url=sim.base_url, headers=sim.auth_headers(), timeout=10) as c:
        code = submit(c, GTINS).json()["callBackCode"]
        started, sim_started = time.monotonic(), clock.now()
        ready = sim.job(code).created_at + 10.0  # the setting, not what the simulator made of it
        order = ("In Progress", "Complete")
        statuses = poll_on_scaled_clock(
            clock, lambda: poll(c, code).json()["status"], lambda t: order[t >= ready], order
        )
    assert statuses[-1] == "Complete"
    # the simulated seconds left when polling started passed 50 times faster than real ones
    assert 0.9 * (ready - sim_started) / 50.0 < time.monotonic() - started < 5.0


def test_unknown_or_missing_callback_code_is_400(wabi2b_sim: Wabi2bSimulator, client: httpx.Client) -> None:
    assert "unknown" in message(poll(client, "0" * 40)).lower()
    missing = client.get(DOWNLOAD)
    assert missing.status_code == 400 and "callBackCode" in message(missing)
    # another seller can't see the job
    other = {"Authorization": wabi2b_sim.mint_jwt(seller="SID-0002"), "x-api-key": wabi2b_sim.api_key}
    assert poll(client, DOCS_CALLBACK_CODE, headers=other).status_code == 400


def test_docs_example_job_is_seeded(wabi2b_sim: Wabi2bSimulator, client: httpx.Client) -> None:
    body = poll(client, DOCS_CALLBACK_CODE).json()
    assert body == {
        "format": "json",
        "seller": "SID-0001",
        "path": f"{wabi2b_sim.origin}{DOCS_FILE_PATH}",
        "status": "Complete",
    }
    assert httpx.get(body["path"]).json() == [DOCS_JSON_ROW]


def test_stalled_and_forced_jobs(wabi2b_sim: Wabi2bSimulator, client: httpx.Client) -> None:
    stalled, forced = (submit(client, [g]).json()["callBackCode"] for g in GTINS[:2])
    wabi2b_sim.state.stall(stalled)
    wabi2b_sim.state.complete(forced, wabi2b_sim.clock.now())
    wabi2b_sim.clock.advance(3000)  # within the client's JWT lifetime (1 simulated hour)
    assert poll(client, stalled).json()["status"] == "In Progress"
    assert poll(client, forced).json()["status"] == "Complete"


# ---------------------------------------------------------------- result files


def complete_job(sim: Wabi2bSimulator, c: httpx.Client, gtins: list[str], file_format: str = "json") -> str:
    code = submit(c, gtins, file_format).json()["callBackCode"]
    sim.clock.advance(sim.settings.job_seconds)
    path: str = poll(c, code).json()["path"]
    return path


@pytest.mark.parametrize("file_format", ["json", "csv"])
def test_files_are_deterministic(wabi2b_sim: Wabi2bSimulator, client: httpx.Client, file_format: str) -> None:
    first = complete_job(wabi2b_sim, client, SAMPLE, file_format)
    second = complete_job(wabi2b_sim, client, SAMPLE, file_format)
    assert first != second  # two jobs, two links ...
    one, two = httpx.get(first), httpx.get(second)
    assert one.content == two.content  # ... the same bytes
    expected = wabi2b_sim.expected_file(SAMPLE, file_format)
    assert hashlib.sha256(one.content).hexdigest() == wabi2b_sim.file_sha256(first) == expected.sha256
    assert wabi2b_sim.file_sha256(second) == expected.sha256
    media_type = {"json": "application/json", "csv": "text/csv"}[file_format]
    assert one.headers["content-type"].split(";")[0] == media_type
    assert one.headers["content-length"] == str(expected.size)
    assert one.headers["accept-ranges"] == "bytes"
    name = first.rsplit("/", 1)[1]
    assert one.headers["content-disposition"] == f'attachment; filename="{name}"'


def test_files_need_no_credentials_and_the_log_tells(
    wabi2b_sim: Wabi2bSimulator, client: httpx.Client
) -> None:
    url = complete_job(wabi2b_sim, client, GTINS)
    assert httpx.get(url).status_code == 200
    assert client.get(url).status_code == 200  # the client carries both credentials
    bare, credentialed = wabi2b_sim.requests.matching(route="/tmp/short/productDownload/*")
    assert not bare.carried_credentials
    assert credentialed.carried_credentials == {"authorization", "x-api-key"}


def test_files_can_require_credentials(make_wabi2b_sim: Any) -> None:
    sim = make_wabi2b_sim(files_require_auth=True)
    with httpx.Client(base_url=sim.base_url, headers=sim.auth_headers(), timeout=10) as c:
        url = complete_job(sim, c, GTINS)
        assert httpx.get(url).status_code == 401
        assert c.get(url).status_code == 200


def test_range_requests(wabi2b_sim: Wabi2bSimulator, client: httpx.Client) -> None:
    url = complete_job(wabi2b_sim, client, SAMPLE)
    data = wabi2b_sim.file_bytes(url)
    size = len(data)
    part = httpx.get(url, headers={"Range": "bytes=100-199"})
    assert part.status_code == 206
    assert part.content == data[100:200]
    assert part.headers["content-range"] == f"bytes 100-199/{size}"
    assert part.headers["content-length"] == "100"
    tail = httpx.get(url, headers={"Range": "bytes=1000-"})
    assert tail.status_code == 206 and tail.content == data[1000:]
    suffix = httpx.get(url, headers={"Range": "bytes=-10"})
    assert suffix.content == data[-10:]
    beyond = httpx.get(url, headers={"Range": f"bytes={size}-"})
    assert beyond.status_code == 416 and beyond.headers["content-range"] == f"bytes */{size}"
    # If-Range: resume only if the file didn't change
    etag = part.headers["etag"]
    assert httpx.get(url, headers={"Range": "bytes=0-9", "If-Range": etag}).status_code == 206
    changed = httpx.get(url, headers={"Range": "bytes=0-9", "If-Range": '"something-else"'})
    assert changed.status_code == 200 and changed.content == data
    # several ranges at once: the whole file (allowed by RFC 9110)
    assert httpx.get(url, headers={"Range": "bytes=0-1,5-6"}).status_code == 200


def test_head_and_unknown_files(wabi2b_sim: Wabi2bSimulator, client: httpx.Client) -> None:
    url = complete_job(wabi2b_sim, client, GTINS)
    head = httpx.head(url)
    assert head.status_code == 200 and head.content == b""
    assert head.headers["content-length"] == str(len(wabi2b_sim.file_bytes(url)))
    assert httpx.get(url.replace(".json", ".csv")).status_code == 404
    assert httpx.get(url[:-10] + "0" * 5 + ".json").status_code == 404


def test_file_is_not_served_before_the_job_completes(
    wabi2b_sim: Wabi2bSimulator, client: httpx.Client
) -> None:
    code = submit(client, GTINS).json()["callBackCode"]
    url = wabi2b_sim.file_url(code)
    assert httpx.get(url).status_code == 404
    wabi2b_sim.clock.advance(3)
    assert httpx.get(url).status_code == 200


def test_files_can_expire(make_wabi2b_sim: Any) -> None:
    sim = make_wabi2b_sim(file_ttl=600)
    with httpx.Client(base_url=sim.base_url, headers=sim.auth_headers(), timeout=10) as c:
        url = complete_job(sim, c, GTINS)
        assert httpx.get(url).status_code == 200
        sim.clock.advance(601)
        assert httpx.get(url).status_code == 404


def test_files_on_a_second_origin(wabi2b_sim_cross_origin: Wabi2bSimulator) -> None:
    sim = wabi2b_sim_cross_origin
    with httpx.Client(base_url=sim.base_url, headers=sim.auth_headers(), timeout=10) as c:
        url = complete_job(sim, c, GTINS)
    assert url.startswith("http://127.0.0.2:")
    assert sim.origin and sim.origin.startswith("http://127.0.0.1:")
    assert httpx.get(url).content == sim.file_bytes(url)
    assert sim.requests[-1].host == "127.0.0.2"


# ---------------------------------------------------------------- file contents


def test_docs_example_row_json() -> None:
    assert product_row(DOCS_EXAMPLE_GTIN) == DOCS_JSON_ROW
    assert list(product_row(DOCS_EXAMPLE_GTIN)) == list(DOCS_JSON_ROW)  # same key order, media before name


def test_csv_matches_the_docs_example_exactly() -> None:
    data = render_file([DOCS_EXAMPLE_GTIN], "csv").data.decode()
    assert data == DOCS_CSV
    assert data.splitlines()[0] == CSV_HEADER


def test_json_rows_have_the_docs_quirks() -> None:
    rows = render_file(SAMPLE, "json").rows()
    assert [r["product"] for r in rows] == SAMPLE
    assert any(r["productName"] is None for r in rows) and any(r["productName"] for r in rows)
    assert any(r["productDescription"] is None for r in rows)
    with_status = [r for r in rows if "lastSaveStatus" in r]
    assert 0 < len(with_status) < len(rows)  # missing for some, present for others
    for row in rows:
        assert {"lastSaveStatus", "publishStatus"} <= set(row) or not {
            "lastSaveStatus",
            "publishStatus",
        } & set(row)
        assert ("failedReason" in row) == (row.get("lastSaveStatus") == "FAILED_TO_SAVE")
        assert (row["rejectionReason"] is not None) == (row.get("publishStatus") == "Rejected")
        assert row.get("lastSaveStatus", "SAVING") in LAST_SAVE_STATUSES
        assert row.get("publishStatus", "Released") in PUBLISH_STATUSES
        assert len(row["media"]) <= 3 and len(row["specs"]) <= 5
        assert all(m["type"] in MEDIA_TYPES for m in row["media"])
    assert {len(r["media"]) for r in rows} == {0, 1, 2, 3}
    assert {len(r["specs"]) for r in rows} == {0, 1, 2, 3, 4, 5}
    assert {r.get("lastSaveStatus") for r in rows} == {None, *LAST_SAVE_STATUSES}
    assert {r.get("publishStatus") for r in rows} == {None, *PUBLISH_STATUSES}


def test_csv_quoting_round_trips() -> None:
    rows = list(csv.reader(io.StringIO(render_file(SAMPLE, "csv").data.decode("utf-8"), newline="")))
    header, body = rows[0], rows[1:]
    assert ",".join(header) == CSV_HEADER
    assert all(len(row) == len(header) for row in body)
    json_rows = render_file(SAMPLE, "json").rows()
    for cells, row in zip(body, json_rows, strict=True):
        assert cells[0] == row["product"]
        assert cells[3] == row["brand"]
        assert cells[2] == (row["productDescription"] or "")
        assert cells[4] in ("true", "false") and cells[5] in ("true", "false")
    brands = {row[3] for row in body}
    assert 'Smith & Sons, "Original" Bakery' in brands  # a comma and quotes: quoted cell
    assert "Café Olé" in brands  # UTF-8
    assert any("\n" in row[2] for row in body)  # a quoted multi-line cell
    assert any('Sea Salt, "Extra" Crunchy' in row for row in body)


def test_big_files_render_quickly() -> None:
    gtins = [f"{i:014d}" for i in range(50_000)]
    started = time.perf_counter()
    rendered = render_file(gtins, "json")
    assert rendered.size > 20_000_000
    assert time.perf_counter() - started < 5.0


def test_big_file_over_http_with_a_raised_gtin_limit(make_wabi2b_sim: Any) -> None:
    sim = make_wabi2b_sim(max_gtins=30_000)
    gtins = [f"{i:014d}" for i in range(30_000)]
    with httpx.Client(base_url=sim.base_url, headers=sim.auth_headers(), timeout=30) as c:
        url = complete_job(sim, c, gtins, "csv")
        digest = hashlib.sha256()
        with c.stream("GET", url) as response:
            for chunk in response.iter_bytes():
                digest.update(chunk)
    assert digest.hexdigest() == sim.file_sha256(url)


# ---------------------------------------------------------------- quotas


def test_751st_call_in_5_minutes_is_429(wabi2b_sim: Wabi2bSimulator, client: httpx.Client) -> None:
    code = submit(client, GTINS).json()["callBackCode"]  # POST and GET share the budget
    for i in range(749):
        assert poll(client, code).status_code == 200, i
    throttled = poll(client, code)
    assert throttled.status_code == 429
    assert "retry-after" not in throttled.headers
    assert "750" in message(throttled)
    assert submit(client, GTINS).status_code == 429
    stats = wabi2b_sim.stats
    assert stats.throttled == 2 and stats.max_calls_in_window == 750
    assert wabi2b_sim.requests.per_route()["GET /v1/listProductsBulkDownload"] == 750
    # another seller has its own budget
    other = {"Authorization": wabi2b_sim.mint_jwt(seller="SID-0002"), "x-api-key": wabi2b_sim.api_key}
    assert submit(client, GTINS, headers=other).status_code == 200
    # the window slides in simulated time; refused calls don't count
    wabi2b_sim.clock.advance(299.9)
    assert poll(client, code).status_code == 429
    wabi2b_sim.clock.advance(0.1)
    assert poll(client, code).status_code == 200


def test_24_hour_quota(wabi2b_sim: Wabi2bSimulator) -> None:
    # the sliding windows directly: 15,000 HTTP calls would take too long for a unit test
    state, clock = wabi2b_sim.state, wabi2b_sim.clock
    for _ in range(15_000):
        assert state.admit("SID-0009", clock.now())
        clock.advance(0.5)  # 600 calls per 5 minutes: under the short quota
    assert state.usage("SID-0009", clock.now()) == (599, 15_000)
    assert not state.admit("SID-0009", clock.now())
    clock.advance(86_400 - 7_500 - 0.1)
    assert not state.admit("SID-0009", clock.now())
    clock.advance(0.1)  # 24 hours after the first call, it leaves the window
    assert state.admit("SID-0009", clock.now())


def test_file_downloads_dont_count(make_wabi2b_sim: Any) -> None:
    sim = make_wabi2b_sim(quota_5min=3)
    with httpx.Client(base_url=sim.base_url, headers=sim.auth_headers(), timeout=10) as c:
        url = complete_job(sim, c, GTINS)  # 2 calls
        for _ in range(5):
            assert c.get(url).status_code == 200
        assert poll(c, DOCS_CALLBACK_CODE).status_code == 200
        assert poll(c, DOCS_CALLBACK_CODE).status_code == 429


# ---------------------------------------------------------------- faults on this simulator


def test_unknown_enum_status_for_a_while(wabi2b_sim: Wabi2bSimulator, client: httpx.Client) -> None:
    fault = wabi2b_sim.faults.add("unknown_enum", path="/v1/listProductsBulkDownload", times=2)
    code = submit(client, GTINS).json()["callBackCode"]
    wabi2b_sim.clock.advance(3)
    responses = [poll(client, code).json() for _ in range(3)]
    assert [r["status"] for r in responses] == ["Queued", "Queued", "Complete"]
    assert "path" not in responses[0] and "path" in responses[2]
    assert [r.faults for r in wabi2b_sim.requests.matching(method="GET")] == [["unknown_enum"]] * 2 + [[]]
    assert fault.hits == 2
    wabi2b_sim.faults.add("unknown_enum", field="format")
    assert poll(client, code).json()["format"] == "xlsx"


def test_unknown_enum_in_files(wabi2b_sim: Wabi2bSimulator, client: httpx.Client) -> None:
    url = complete_job(wabi2b_sim, client, SAMPLE)
    wabi2b_sim.faults.add("unknown_enum", path="/tmp/")
    rows = httpx.get(url).json()
    assert {r["publishStatus"] for r in rows} == {"Archived"}
    assert httpx.get(url).content == wabi2b_sim.file_bytes(url)  # one download only
    csv_url = complete_job(wabi2b_sim, client, SAMPLE, "csv")
    wabi2b_sim.faults.add("unknown_enum", path="/tmp/", value="Product 3D Model")
    assert "Product 3D Model" in httpx.get(csv_url).text


def test_malformed_status_response(wabi2b_sim: Wabi2bSimulator, client: httpx.Client) -> None:
    wabi2b_sim.faults.add("malformed_json", method="GET", path="/v1/")
    broken = poll(client, DOCS_CALLBACK_CODE)
    assert broken.status_code == 200 and broken.headers["content-type"] == "application/json"
    with pytest.raises(json.JSONDecodeError):
        json.loads(broken.content)
    assert poll(client, DOCS_CALLBACK_CODE).json()["status"] == "Complete"


def test_rate_limit_fault_adds_retry_after(wabi2b_sim: Wabi2bSimulator, client: httpx.Client) -> None:
    wabi2b_sim.faults.add("rate_limit", method="POST", retry_after=7)
    limited = submit(client, GTINS)
    assert limited.status_code == 429 and limited.headers["retry-after"] == "7"
    assert wabi2b_sim.stats.throttled == 0 and wabi2b_sim.stats.jobs_created == 0
    assert submit(client, GTINS).status_code == 200


def test_truncated_and_reset_downloads(wabi2b_sim: Wabi2bSimulator, client: httpx.Client) -> None:
    url = complete_job(wabi2b_sim, client, SAMPLE)
    size = len(wabi2b_sim.file_bytes(url))
    wabi2b_sim.faults.add("truncate", path="/tmp/", after_bytes=1000)
    with pytest.raises(httpx.RemoteProtocolError, match=f"received 1000 bytes, expected {size}"):
        httpx.get(url)
    wabi2b_sim.faults.add("reset", path="/tmp/", after_bytes=5000)
    with pytest.raises((httpx.ReadError, httpx.RemoteProtocolError)):
        httpx.get(url)
    wabi2b_sim.faults.add("no_range", path="/tmp/")
    whole = httpx.get(url, headers={"Range": "bytes=0-9"})
    assert whole.status_code == 200 and len(whole.content) == size


# ---------------------------------------------------------------- bulk upload (partial)


def test_upload_accepts_up_to_1000_items(wabi2b_sim: Wabi2bSimulator, client: httpx.Client) -> None:
    ok = client.post(UPLOAD, headers={"format": "json"}, json=[{"gtin": f"{i:014d}"} for i in range(1000)])
    assert ok.status_code == 200 and ok.json()["callBackCode"] in wabi2b_sim.state.uploads
    assert client.post(UPLOAD, headers={"format": "json"}, json=[{}] * 1001).status_code == 400
    csv_body = "gtin,price\n" + "".join(f"{i:014d},1.00\n" for i in range(3))
    as_csv = client.post(UPLOAD, headers={"format": "csv", "Content-Type": "text/csv"}, content=csv_body)
    assert as_csv.status_code == 200
    assert wabi2b_sim.state.uploads[as_csv.json()["callBackCode"]].items == 3
    mismatched = client.post(UPLOAD, headers={"format": "csv"}, json=[{}])
    assert mismatched.status_code == 400 and "Content-Type" in message(mismatched)
    assert client.post(UPLOAD, headers={"format": "json"}, json=5).status_code == 400
    assert wabi2b_sim.stats.uploads_created == 2
