"""The OData builder (`sellerkit._core.odata`): literal syntax, escaping, validation, and round trips through
the simulator's evaluator (`sellerkit/testing/odata.py`) for every operator and literal kind."""

from __future__ import annotations

import operator
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from enum import IntEnum
from typing import Any

import pytest

from sellerkit._core.odata import Entity, Field, Filter, check_filter, check_orderby, literal
from sellerkit.errors import ConfigurationError
from sellerkit.testing import odata as sim_odata
from tests.sellerscommerce.conftest import OPS


class Things(Entity):
    Name = Field[str]("string")
    Count = Field[int]("int")
    Price = Field[float | Decimal]("number")
    Active = Field[bool]("bool")
    Changed = Field[datetime | date]("datetime")


SIM_FIELDS = {name: field.kind for name, field in Things.fields.items()}
T0 = datetime(2016, 1, 1, tzinfo=UTC)
ROWS: list[dict[str, Any]] = [
    {
        "Name": name,
        "Count": i,
        "Price": 1.5 * i,
        "Active": i % 2 == 0,
        "Changed": T0 + timedelta(days=i, hours=i),
    }
    for i, name in enumerate(["a", "O'Brien", "x' or 1 eq 1", "it''s", "plain", "'", "", "ünï"])
]
ROWS.append({"Name": None, "Count": None, "Price": None, "Active": None, "Changed": None})


def evaluate(f: Filter | str) -> list[int]:
    """Indexes of the rows the simulator's evaluator keeps for the builder's text."""
    predicate = sim_odata.parse_filter(check_filter(Things, f), SIM_FIELDS, "Thing")
    return [i for i, row in enumerate(ROWS) if predicate(row)]


def expected(name: str, op: Callable[[Any, Any], bool], value: Any) -> list[int]:
    def keep(row: dict[str, Any]) -> bool:
        have = row[name]
        if op in (operator.eq, operator.ne):
            return bool(op(have, value))
        return have is not None and bool(op(have, value))

    return [i for i, row in enumerate(ROWS) if keep(row)]


VALUES: list[tuple[str, Any, Any]] = [  # field, value sent, the same value as rows hold it
    ("Name", "O'Brien", "O'Brien"),
    ("Name", "x' or 1 eq 1", "x' or 1 eq 1"),
    ("Name", "'", "'"),
    ("Name", "it''s", "it''s"),
    ("Name", "", ""),
    ("Name", "ünï", "ünï"),
    ("Count", 3, 3),
    ("Price", 4.5, 4.5),
    ("Price", Decimal("4.5"), 4.5),
    ("Changed", datetime(2016, 1, 4, 3), datetime(2016, 1, 4, 3, tzinfo=UTC)),
    (
        "Changed",
        datetime(2016, 1, 4, 5, tzinfo=timezone(timedelta(hours=2))),
        datetime(2016, 1, 4, 3, tzinfo=UTC),
    ),
    ("Changed", date(2016, 1, 4), datetime(2016, 1, 4, tzinfo=UTC)),
    ("Changed", "2016-01-04T03:00:00", datetime(2016, 1, 4, 3, tzinfo=UTC)),
]


@pytest.mark.parametrize("op", list(OPS))
@pytest.mark.parametrize(("name", "value", "held"), VALUES, ids=lambda v: repr(v)[:24])
def test_every_operator_and_literal_kind_round_trips_through_the_simulators_evaluator(
    op: str, name: str, value: Any, held: Any
) -> None:
    field = Things.field(name)
    built: Filter = getattr(field, op)(value)
    assert evaluate(built) == expected(name, OPS[op], held)


@pytest.mark.parametrize("python_op", ["==", "!=", ">", ">=", "<", "<="])
def test_python_operators_build_the_same_filters_as_the_methods(python_op: str) -> None:
    method = dict(zip(["==", "!=", ">", ">=", "<", "<="], OPS, strict=True))[python_op]
    built = eval(f"Things.Count {python_op} 3")
    assert built == getattr(Things.Count, method)(3)


def test_booleans_and_null_round_trip() -> None:
    assert evaluate(Things.Active == True) == expected("Active", operator.eq, True)  # noqa: E712
    assert evaluate(Things.Active != False) == expected("Active", operator.ne, False)  # noqa: E712
    assert evaluate(Things.Name == None) == [len(ROWS) - 1]  # noqa: E711
    assert evaluate(Things.Name != None) == list(range(len(ROWS) - 1))  # noqa: E711


def test_and_or_keep_their_meaning_whatever_the_nesting() -> None:
    a, b, c = Things.Count >= 2, Things.Count <= 4, Things.Name == "a"
    assert evaluate(a & b) == [2, 3, 4]
    assert evaluate((a & b) | c) == [0, 2, 3, 4]
    assert evaluate(c | (a & b)) == [0, 2, 3, 4]
    assert evaluate((c | a) & b) == [0, 2, 3, 4]
    assert evaluate(b & (c | a)) == [0, 2, 3, 4]
    assert str((c | a) & b) == "(Name eq 'a' or Count ge 2) and Count le 4"
    assert str(a & b & c) == "Count ge 2 and Count le 4 and Name eq 'a'"


def test_hostile_values_stay_inside_their_string_literal() -> None:
    hostile = "' or 1 eq 1 or Name eq '"
    text = str(Things.Name == hostile)
    assert text == "Name eq ''' or 1 eq 1 or Name eq '''"
    assert evaluate(text) == []  # matched as one string: no row has that name, nothing injected
    assert evaluate(Things.Name == "x' or 1 eq 1") == [2]


def test_literals() -> None:
    assert literal("it's") == "'it''s'"
    assert literal(True) == "true" and literal(None) == "null"
    assert literal(7) == "7" and literal(2.5) == "2.5" and literal(Decimal("10.10")) == "10.10"
    assert literal(datetime(2016, 1, 1)) == "datetime'2016-01-01T00:00:00'"
    assert literal(datetime(2016, 1, 1, 1, 2, 3, 4000)) == "datetime'2016-01-01T01:02:03.004000'"
    assert literal(date(2016, 6, 1)) == "datetime'2016-06-01T00:00:00'"

    class Status(IntEnum):
        PLACED = 3

    assert literal(Status.PLACED) == "3"


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: Things.Count == "3", "int field cannot be compared with str"),
        (lambda: Things.Count == 3.5, "int field cannot be compared with float"),
        (lambda: Things.Name == 3, "string field cannot be compared with int"),
        (lambda: Things.Active == 1, "bool field cannot be compared with int"),
        (
            lambda: Things.Changed > "yesterday",  # type: ignore[operator]
            "not an ISO-8601 date",
        ),
        (lambda: Things.Price > float("nan"), "not an OData number"),
        (
            lambda: Things.Count > None,  # type: ignore[operator]
            "is not a comparison",
        ),
        (lambda: Things.Name == object(), "not an OData value"),
        (
            lambda: Things.Count.gt(1) & "Count gt 2",  # type: ignore[operator]
            "joins two filters",
        ),
    ],
)
def test_values_of_the_wrong_kind_are_refused_before_sending(build: Callable[[], Any], message: str) -> None:
    with pytest.raises(ConfigurationError, match=message):
        build()


def test_filters_have_no_truth_value() -> None:
    with pytest.raises(TypeError, match="no truth value"):
        bool(Things.Count == 1)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("Nmae eq 'a'", "Things has no field 'Nmae'; its fields: Active, Changed, Count, Name, Price"),
        ("Name eq 'a", "unclosed quote"),
        ("(Name eq 'a'", "unclosed '\\('"),
        ("Name eq 'a')", "unmatched '\\)'"),
        ("substringof('a', Name)", "function substringof"),
        ("Name eq 'a'; drop", "unexpected ';'"),
        ("  ", "empty"),
    ],
)
def test_hand_written_filters_are_checked_against_the_entitys_fields(text: str, message: str) -> None:
    with pytest.raises(ConfigurationError, match=message):
        check_filter(Things, text)


def test_hand_written_and_mapping_filters_that_are_fine_pass() -> None:
    text = "Changed gt datetime'2016-01-03' and Name ne 'it''s' or not (Count eq 1)"
    assert check_filter(Things, text) == text
    changed = [i for i, r in enumerate(ROWS) if r["Changed"] and r["Changed"] > T0 + timedelta(days=2)]
    kept = [i for i in changed if ROWS[i]["Name"] != "it''s"]
    assert evaluate(text) == sorted(set(kept) | {i for i, r in enumerate(ROWS) if r["Count"] != 1})
    assert check_filter(Things, {"Name": "a", "Count": 0}) == "Name eq 'a' and Count eq 0"
    with pytest.raises(ConfigurationError, match="has no field 'Nope'"):
        check_filter(Things, {"Nope": 1})
    with pytest.raises(ConfigurationError, match="filter must be a Filter"):
        check_filter(Things, 42)


def test_orderby_terms_are_checked() -> None:
    assert check_orderby(Things, "Count desc, Name") == "Count desc,Name"
    assert check_orderby(Things, [Things.Price.desc, Things.Name]) == "Price desc,Name asc"
    assert sim_odata.parse_orderby(check_orderby(Things, "Count desc,Name"), SIM_FIELDS, "Thing") == [
        ("Count", True),
        ("Name", False),
    ]
    for bad, message in [("Cnt desc", "no field 'Cnt'"), ("Count down", "'Field desc'"), ([], "empty")]:
        with pytest.raises(ConfigurationError, match=message):
            check_orderby(Things, bad)
