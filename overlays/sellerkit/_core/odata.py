"""OData query options built from typed fields: `$filter` / `$orderby` text that cannot break or be injected.

Hand-rolled because no library fits (toolchain notes §10: `odata-query` parses OData into SQL — the other
direction, and it doesn't re-escape quotes; `pyodata` needs a V2 `$metadata` document these APIs don't serve).

A vendor declares each entity's fields once as an `Entity` subclass:

    class Orders(Entity):
        OrderNumber = Field[str]("string")
        OrderPlacedDate = Field[datetime | date]("datetime")

and users compose filters from them — `(Orders.OrderPlacedDate >= date(2016, 1, 1)) & (Orders.OrderNumber ==
"O'Brien-1")` → `OrderPlacedDate ge datetime'2016-01-01T00:00:00' and OrderNumber eq 'O''Brien-1'`.
Values are always literals (a quote is doubled, so `' or 1 eq 1` stays inside its string); a value of the
wrong kind, an unknown field or a malformed hand-written filter is a `ConfigurationError` before any request.
"""

from __future__ import annotations

import enum
import math
import re
from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any, ClassVar, Generic, Literal, TypeVar

from .errors import ConfigurationError

T = TypeVar("T")
Kind = Literal["string", "int", "number", "bool", "datetime"]
KINDS: tuple[Kind, ...] = ("string", "int", "number", "bool", "datetime")
OPERATORS = ("eq", "ne", "gt", "ge", "lt", "le")
_KEYWORDS = frozenset({*OPERATORS, "and", "or", "not", "true", "false", "null", "datetime", "asc", "desc"})


def literal(value: object, kind: Kind | None = None) -> str:
    """`value` as an OData literal; `kind` (a field's) refuses values of another kind."""
    if value is None:
        return "null"
    if isinstance(value, enum.Enum):
        value = value.value
    if kind == "datetime" and isinstance(value, str):
        value = _parse_datetime(value)
    actual = _kind_of(value)
    if actual is None:
        raise ConfigurationError(
            f"{type(value).__name__} is not an OData value (use str, int, float, bool, date)"
        )
    if kind is not None and actual != kind and not (kind == "number" and actual == "int"):
        article = "an" if kind[0] in "aeiou" else "a"
        raise ConfigurationError(
            f"{article} {kind} field cannot be compared with {type(value).__name__} {value!r}"
        )
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ConfigurationError(f"{value!r} is not an OData number")
        return repr(value)
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise ConfigurationError(f"{value!r} is not an OData number")
        return format(value, "f")
    if isinstance(value, datetime | date):
        return f"datetime'{_iso(value)}'"
    # a quote inside a string literal is written twice (OData ABNF `SQUOTE-in-string`)
    return "'" + str(value).replace("'", "''") + "'"


def _kind_of(value: object) -> Kind | None:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int"
    if isinstance(value, float | Decimal):
        return "number"
    if isinstance(value, datetime | date):
        return "datetime"
    if isinstance(value, str):
        return "string"
    return None


def _iso(value: date) -> str:
    if isinstance(value, datetime):
        if value.tzinfo is not None:  # OData v3 datetime literals carry no zone: sent as UTC
            value = value.astimezone(UTC).replace(tzinfo=None)
        return value.isoformat(timespec="microseconds" if value.microsecond else "seconds")
    return f"{value.isoformat()}T00:00:00"


def _parse_datetime(text: str) -> datetime:
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        raise ConfigurationError(f"{text!r} is not an ISO-8601 date or date-time") from None


class Filter:
    """A `$filter` expression: combine with `&` (and), `|` (or); `str()` is its OData text."""

    __slots__ = ("_fields", "_op", "_text")

    def __init__(self, text: str, fields: Iterable[str] = (), op: str = "") -> None:
        self._text, self._fields, self._op = text, frozenset(fields), op

    @property
    def fields(self) -> frozenset[str]:
        """The field names it uses."""
        return self._fields

    def __and__(self, other: Filter) -> Filter:
        return self._join("and", other)

    def __or__(self, other: Filter) -> Filter:
        return self._join("or", other)

    def _join(self, op: str, other: object) -> Filter:
        if not isinstance(other, Filter):
            raise ConfigurationError(f"{op} joins two filters, not a filter and {type(other).__name__}")
        # parentheses only where precedence needs them (`and` binds tighter than `or`): simple servers
        # and evaluators read flat filters best
        left, right = self._text, other._text
        if op == "and":
            left = left if self._op in ("cmp", "and") else f"({left})"
            right = right if other._op in ("cmp", "and") else f"({right})"
        return Filter(f"{left} {op} {right}", self._fields | other._fields, op)

    def __bool__(self) -> bool:
        # `a < b < c` or `x == y` used as a condition would silently drop a comparison
        raise TypeError("an OData filter has no truth value: combine filters with & and |, not and/or")

    def __str__(self) -> str:
        return self._text

    def __repr__(self) -> str:
        return f"Filter({self._text!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Filter) and other._text == self._text

    def __hash__(self) -> int:
        return hash(self._text)


class Field(Generic[T]):
    """A typed field of an entity; comparing it with a value makes a `Filter`, `.asc`/`.desc` an ordering."""

    def __init__(self, kind: Kind, name: str | None = None) -> None:
        if kind not in KINDS:
            raise ConfigurationError(f"field kind must be one of {', '.join(KINDS)}, not {kind!r}")
        self.kind: Kind = kind
        self.name = name or ""

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = self.name or name

    def _compare(self, op: str, value: T | None) -> Filter:
        if value is None and op not in ("eq", "ne"):
            raise ConfigurationError(f"{self.name} {op} null is not a comparison: use == None or != None")
        try:
            text = literal(value, self.kind)
        except ConfigurationError as exc:
            raise ConfigurationError(f"{self.name}: {exc}") from None
        return Filter(f"{self.name} {op} {text}", (self.name,), "cmp")

    def eq(self, value: T | None) -> Filter:
        return self._compare("eq", value)

    def ne(self, value: T | None) -> Filter:
        return self._compare("ne", value)

    def gt(self, value: T) -> Filter:
        return self._compare("gt", value)

    def ge(self, value: T) -> Filter:
        return self._compare("ge", value)

    def lt(self, value: T) -> Filter:
        return self._compare("lt", value)

    def le(self, value: T) -> Filter:
        return self._compare("le", value)

    # the operators build filters (as in SQLAlchemy); `==`/`!=` return a Filter, not a bool
    def __eq__(self, value: T | None) -> Filter:  # type: ignore[override]
        return self.eq(value)

    def __ne__(self, value: T | None) -> Filter:  # type: ignore[override]
        return self.ne(value)

    def __gt__(self, value: T) -> Filter:
        return self.gt(value)

    def __ge__(self, value: T) -> Filter:
        return self.ge(value)

    def __lt__(self, value: T) -> Filter:
        return self.lt(value)

    def __le__(self, value: T) -> Filter:
        return self.le(value)

    __hash__ = object.__hash__

    @property
    def asc(self) -> str:
        """`$orderby` term, ascending."""
        return f"{self.name} asc"

    @property
    def desc(self) -> str:
        """`$orderby` term, descending."""
        return f"{self.name} desc"

    def __repr__(self) -> str:
        return f"Field({self.kind!r}, {self.name!r})"


class Entity:
    """The fields of one entity (subclass it with `Field` attributes); `fields` maps names to them."""

    fields: ClassVar[Mapping[str, Field[Any]]] = {}
    title: ClassVar[str] = ""
    nested: ClassVar[tuple[str, ...]] = ()
    """Properties that are objects or lists: exported, never filtered or ordered on."""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        found = {v.name: v for v in vars(cls).values() if isinstance(v, Field)}
        cls.fields = {**getattr(cls, "fields", {}), **found}
        cls.title = cls.title or cls.__name__

    @classmethod
    def columns(cls) -> tuple[str, ...]:
        """Every property, in declaration order, nested ones last (the columns of a CSV export)."""
        return (*cls.fields, *cls.nested)

    @classmethod
    def field(cls, name: str) -> Field[Any]:
        """The field called `name`; unknown → `ConfigurationError` naming the valid ones."""
        found = cls.fields.get(name)
        if found is None:
            why = " (an object or list: not comparable)" if name in cls.nested else ""
            raise ConfigurationError(
                f"{cls.title} has no field {name!r}{why}; its fields: {', '.join(sorted(cls.fields))}"
            )
        return found


_TOKEN = re.compile(
    r"""\s+|(?P<dt>datetime'[^']*')|(?P<str>'(?:[^']|'')*')|(?P<num>-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?[mMdDfFlL]?)"""
    r"""|(?P<name>[A-Za-z_][A-Za-z0-9_]*)|(?P<paren>[()])|(?P<bad>.)""",
    re.DOTALL,
)


def check_filter(entity: type[Entity], value: object) -> str:
    """The `$filter` text of a `Filter`, a `{field: value}` mapping (each equal, all joined by `and`) or a
    hand-written string, checked against `entity`'s fields; `ConfigurationError` naming what is wrong."""
    if isinstance(value, Filter):
        for name in value.fields:
            entity.field(name)
        return str(value)
    if isinstance(value, Mapping):
        if not value:
            raise ConfigurationError("filter={} is empty: leave it out to read everything")
        parts = [entity.field(str(name)).eq(v) for name, v in value.items()]
        combined = parts[0]
        for part in parts[1:]:
            combined = combined & part
        return str(combined)
    if not isinstance(value, str):
        raise ConfigurationError(
            f"filter must be a Filter (e.g. {entity.title}.<field> == value), a mapping or a string, "
            f"not {type(value).__name__}"
        )
    return _check_text(entity, value)


def _check_text(entity: type[Entity], text: str) -> str:
    if not text.strip():
        raise ConfigurationError("filter is empty: leave it out to read everything")
    depth = 0
    for match in _TOKEN.finditer(text):
        kind, token = match.lastgroup, match.group()
        if kind is None:
            continue  # whitespace
        if kind == "bad":
            if token == "'":
                raise ConfigurationError(f"filter has an unclosed quote at {match.start()}: {text!r}")
            raise ConfigurationError(f"filter has an unexpected {token!r} at {match.start()}: {text!r}")
        if kind == "paren":
            depth += 1 if token == "(" else -1
            if depth < 0:
                raise ConfigurationError(f"filter has an unmatched ')' at {match.start()}: {text!r}")
            continue
        if kind == "name" and token not in _KEYWORDS:
            if text[match.end() :].lstrip().startswith("("):
                raise ConfigurationError(f"filter uses the function {token}(), which is not supported here")
            entity.field(token)
    if depth:
        raise ConfigurationError(f"filter has an unclosed '(': {text!r}")
    return text.strip()


def check_orderby(entity: type[Entity], value: object) -> str:
    """The `$orderby` text of `"Field [asc|desc]"` terms (a string with commas, or a sequence of them)."""
    terms = value.split(",") if isinstance(value, str) else value
    if not isinstance(terms, Iterable) or isinstance(terms, bytes):
        raise ConfigurationError(f"orderby is a field name, 'Field desc' or a list of them, not {value!r}")
    checked = []
    for term in terms:
        if isinstance(term, Field):
            term = term.asc
        words = str(term).split()
        if not words or len(words) > 2 or (len(words) == 2 and words[1] not in ("asc", "desc")):
            raise ConfigurationError(f"an orderby term is 'Field', 'Field asc' or 'Field desc', not {term!r}")
        entity.field(words[0])
        checked.append(" ".join(words))
    if not checked:
        raise ConfigurationError("orderby is empty: leave it out for the server's order")
    return ",".join(checked)
