"""specs/sellerscommerce.yaml against the page it was reconstructed from: every endpoint row, enum table and
response code of vendor-docs/001_045c309ad2f15292.txt is in the spec, as the page prints it."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import pytest
import yaml

from generator.pipeline import HTTP_METHODS
from tests.conftest import ROOT

DOCS = (ROOT.parent / "shared" / "vendor-docs" / "001_045c309ad2f15292.txt").read_text(encoding="utf-8")
SPEC: dict[str, Any] = yaml.safe_load((ROOT / "specs" / "sellerscommerce.yaml").read_text(encoding="utf-8"))
SCHEMAS: dict[str, Any] = SPEC["components"]["schemas"]

#: the docs' endpoint rows, `api/<route>?<query template> | <description> |`, each once (the page repeats
#: them)
ROWS: list[tuple[str, str]] = list(
    dict.fromkeys(re.findall(r"^(api/\S+) \| (.*?) \|$", DOCS, flags=re.MULTILINE))
)
#: the docs' "Api Column Name" of each enum table, as printed -> the spec's schema
ENUM_SCHEMAS = {
    "OrderStatusId": "OrderStatusId",
    "ServiceTypeId": "ServiceTypeId",
    "CarrierId": "CarrierId",
    "PaymentMethodId": "PaymentMethodId",
    "Payment Method ID": "PaymentMethodId",  # the second table: the same values under another label
    "DiscountTypeId": "DiscountTypeId",
    "PaymentStatusId": "PaymentStatusId",
    "PaymentGatewayId": "PaymentGatewayId",
    "Gender": "Gender",
    "IsBrand": "IsBrand",
    "OptionTypeId": "OptionTypeId",
    "ActionId": "ActionId",
    "PricingType": "PricingType",
    "Display Type ID": "DisplayTypeId",
    "Discount Type ID": "PriceDiscountTypeId",
    "Return Status ID": "ReturnStatusId",
    "Return Type ID": "ReturnTypeId",
}


def _operations() -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in SPEC["paths"].items():
        for method, op in item.items():
            if method in HTTP_METHODS:
                yield method, path, op


def _resolve(node: Any) -> Any:
    while isinstance(node, dict) and "$ref" in node:
        target: Any = SPEC
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        node = target
    return node


def _query(op: dict[str, Any]) -> set[str]:
    return {p["name"] for p in map(_resolve, op.get("parameters", [])) if p["in"] == "query"}


def _enum_tables() -> dict[str, list[tuple[str, int]]]:
    """Column name -> [(name, value)] of every enum table, each table once (the page repeats them)."""
    tables: dict[str, list[tuple[str, int]]] = {}
    for block in DOCS.split("Api Column Name | Name | Value |")[1:]:
        rows = block.split("\n")[2:]  # the header's tail and the ---|--- line
        first = re.match(r"^(.+?) \| (.+?) \| (\d+) \|", rows[0])
        assert first, rows[0]
        column, entries = first.group(1), [(first.group(2), int(first.group(3)))]
        for row in rows[1:]:
            more = re.match(r"^([^|]+?) \| (\d+) \|", row)
            if more is None:
                break
            entries.append((more.group(1), int(more.group(2))))
        assert tables.setdefault(column, entries) == entries, f"{column}: two different tables"
    return tables


def test_every_endpoint_row_is_an_operation_with_its_query_parameters() -> None:
    assert len(ROWS) == 51
    operations = {(path, method): op for method, path, op in _operations()}
    assert len(operations) == 52  # the 51 rows and POST /token
    for route, description in ROWS:
        path, _, template = route.partition("?")
        names = set(re.findall(r"(\w+)=\{\w+\}", template))
        candidates = [op for (p, _), op in operations.items() if p == "/" + path]
        # the two PortalAdmin/Admin rows: GET with userid, POST without
        matching = [op for op in candidates if {n for n in _query(op) if not n.startswith("$")} == names]
        assert len(matching) == 1, route
        (op,) = matching
        assert op["x-inferred"], f"{route}: the method is not documented, so it is marked inferred"
        assert f"({route}" in op["x-source"], route
        if description == "No Documentation Available":
            assert "No Documentation Available" in op["description"], route


def test_the_two_portaladmin_admin_rows_are_get_with_userid_and_post_without() -> None:
    item = SPEC["paths"]["/api/PortalAdmin/Admin"]
    assert set(item) == {"get", "post"}
    assert _query(item["get"]) == {"userid"}
    assert _query(item["post"]) == set()


def test_list_routes_take_odata_and_getallproductskus_its_own_paging() -> None:
    for method, path, op in _operations():
        body = _resolve(op["responses"]["200"])["content"]["application/json"]["schema"]
        results = _resolve({"$ref": body["$ref"]}) if "$ref" in body else body
        parts = results.get("allOf", [{}])[1:] or [{}]
        listed = parts[0].get("properties", {}).get("Results", {}).get("type") == "array"
        query = _query(op)
        if path == "/api/product/getallproductskus":
            assert {"top", "skip", "SCproductID", "ProductCode", "$filter", "$orderby"} == query
            continue
        assert ({"$filter", "$orderby", "$top", "$skip"} <= query) == listed, (method, path)
        if listed:
            params = {p["name"]: p for p in map(_resolve, op["parameters"])}
            getall = path.rsplit("/", 1)[1].startswith("getall")
            # $filter/$orderby are documented for the getall routes only; $top/$skip nowhere
            assert ("x-inferred" in params["$filter"]) != getall, path
            assert ("x-inferred" in params["$orderby"]) != getall, path
            assert "x-inferred" in params["$top"] and "x-inferred" in params["$skip"]


def test_every_enum_table_is_an_enum_with_its_values_and_names() -> None:
    tables = _enum_tables()
    assert set(tables) == set(ENUM_SCHEMAS)  # 17 tables
    for column, entries in tables.items():
        schema = SCHEMAS[ENUM_SCHEMAS[column]]
        assert schema["enum"] == [value for _, value in entries], column
        names = schema["x-enum-varnames"]
        assert len(names) == len(entries), column
        for (name, value), varname in zip(entries, names, strict=True):
            assert f"{value} {name}" in " ".join(schema["description"].split()), (column, name)
            # the name's letters and digits; a leading digit spelled out (a name can't start with one)
            letters = re.sub(r"[^A-Z0-9]", "", name.upper())
            letters = re.sub(r"^2ND", "SECOND", re.sub(r"^3", "THREE", letters))
            assert varname.replace("_", "") == letters, (column, name, varname)


def test_service_types_carry_their_carrier() -> None:
    block = DOCS.split("Api Column Name | Name | Value | CarrierID |", 1)[1].split("Api Column Name", 1)[0]
    carriers = {int(v): int(c) for v, c in re.findall(r"\| (\d+) \| (\d+) \|", block)}
    assert {int(k): v for k, v in SCHEMAS["ServiceTypeId"]["x-carrier-ids"].items()} == carriers
    assert set(carriers.values()) <= set(SCHEMAS["CarrierId"]["enum"])


def test_response_codes_are_the_docs_table() -> None:
    table = re.findall(r"^(\d\d) \| (\w+) \| (.+?) \| (\d{3}) \| \w+ \|$", DOCS, flags=re.MULTILINE)
    documented = {code: (results, message, int(status)) for code, results, message, status in table}
    assert len(documented) == 16  # 20-36, no 23
    codes = SCHEMAS["ResponseCode"]
    assert codes["enum"] == sorted(int(c) for c in documented)
    listed = codes["x-response-codes"]
    assert {c: (row["results"], row["message"], row["httpStatus"]) for c, row in listed.items()} == documented
    assert SCHEMAS["ResultName"]["enum"] == [results for results, _, _ in documented.values()]
    for code, (results, message, _) in documented.items():
        example = SPEC["components"]["examples"][results]["value"]
        assert example == {"Results": results, "ResponseMessage": message, "StatusCode": int(code)}


@pytest.mark.parametrize("grant", ["password", "refresh"])
def test_token_examples_are_the_docs_answers(grant: str) -> None:
    printed = re.findall(r"\{\n\"access_token\".*?\}", DOCS, flags=re.S)
    answers = [json.loads(a) for a in dict.fromkeys(printed)]
    responses = SPEC["paths"]["/token"]["post"]["responses"]["200"]["content"]["application/json"]["examples"]
    assert responses[grant]["value"] == answers[0 if grant == "password" else 1]


def test_every_inference_says_why() -> None:
    def walk(node: Any) -> Iterator[Any]:
        if isinstance(node, dict):
            if "x-inferred" in node:
                yield node["x-inferred"]
            for value in node.values():
                yield from walk(value)
        elif isinstance(node, list):
            for value in node:
                yield from walk(value)

    reasons = list(walk(SPEC))
    assert len(reasons) > 52
    assert all(isinstance(r, str) and len(r) >= 10 for r in reasons)
