"""The client's field tables (`sellerkit.sellerscommerce._entities`) against the spec's models and the
simulator's entities: same names, same kinds, so a filter the client accepts is one the server understands."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from sellerkit.sellerscommerce._routes import ROUTES, Route
from sellerkit.sellerscommerce_api.operations import OPERATIONS
from sellerkit.testing.sellerscommerce_data import ENTITY_FIELDS

SPEC: dict[str, Any] = yaml.safe_load(
    (Path(__file__).resolve().parents[2] / "specs" / "sellerscommerce.yaml").read_text("utf-8")
)
SCHEMAS: dict[str, Any] = SPEC["components"]["schemas"]


def resolve(node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        node = SCHEMAS[node["$ref"].rsplit("/", 1)[-1]]
    return node


def row_schema(route: Route) -> dict[str, Any] | None:
    """The model of one row of the route's `Results` (None where the spec leaves the envelope untyped)."""
    op = next(o for o in OPERATIONS if o.name == route.operation.__name__.rsplit(".", 1)[-1])
    answer = SPEC["paths"][op.path][op.method.lower()]["responses"]["200"]["content"]["application/json"]
    envelope = resolve(answer["schema"])
    for part in envelope.get("allOf", [envelope]):
        results = resolve(part).get("properties", {}).get("Results")
        if results is not None and "items" in results:
            return resolve(results["items"])
    return None


@pytest.mark.parametrize("name", list(ROUTES))
def test_the_field_tables_match_the_simulator(name: str) -> None:
    entity = ROUTES[name].entity
    sim = ENTITY_FIELDS[entity.title]
    assert {n: f.kind for n, f in entity.fields.items()} == {
        n: k for n, k in sim.items() if k not in ("list", "object")
    }
    assert set(entity.nested) == {n for n, k in sim.items() if k in ("list", "object")}


UNTYPED = ["admins", "roles"]  # PortalAdmin rows: the docs give no model, the spec a plain envelope
TYPED = [name for name in ROUTES if name not in UNTYPED]


def test_only_the_undocumented_portal_lists_have_untyped_rows() -> None:
    assert [name for name in ROUTES if row_schema(ROUTES[name]) is None] == UNTYPED


@pytest.mark.parametrize("name", TYPED)
def test_the_field_tables_match_the_spec(name: str) -> None:
    route = ROUTES[name]
    schema = row_schema(route)
    assert schema is not None
    properties = schema.get("properties", {})
    assert sorted(route.entity.columns()) == sorted(properties)
    assert route.key in route.entity.fields and (route.mark is None or route.mark in route.entity.fields)
