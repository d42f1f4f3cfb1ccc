"""OData (v3, as ASP.NET Web API reads it) query options over rows of typed Python values: `$filter`,
`$orderby`, `$top`, `$skip`.

`$filter`: comparisons `eq ne gt ge lt le`, `and` / `or` / `not`, parentheses, bare boolean properties;
literals `'text'` (`''` is a quote), integers and decimals (optional `L M m d D f F` suffix), `true`, `false`,
`null`, `datetime'2016-01-01'` / `datetime'2016-01-01T10:30:00'` (UTC unless an offset is given) and
`datetimeoffset'…'`; the canonical string and date functions of v3 (`substringof`, `startswith`, `endswith`,
`tolower`, `toupper`, `trim`, `length`, `year` … `second`). Operands are type-checked against the entity's
`Fields` before any row is looked at, so a bad query fails whole, with the message ASP.NET Web API OData gives
(wrapped in `ODataError`).
`$orderby`: comma-separated properties, each `asc` (default) or `desc`; nulls sort first ascending.

Hand-rolled (a small recursive-descent parser): `odata-query` is OData v4 (no `datetime'…'` literals) and
compiles to SQL, not to a predicate over rows (toolchain notes §10).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Final

__all__ = [
    "KINDS",
    "Fields",
    "ODataError",
    "OrderBy",
    "Predicate",
    "parse_count",
    "parse_datetime",
    "parse_filter",
    "parse_orderby",
    "sort_key",
]

#: property kinds of an entity: their EDM names appear in type errors, as ASP.NET writes them
KINDS: Final[Mapping[str, str]] = {
    "string": "Edm.String",
    "int": "Edm.Int32",
    "number": "Edm.Decimal",
    "bool": "Edm.Boolean",
    "datetime": "Edm.DateTime",
    "list": "Collection",
    "object": "Complex",
}
Fields = Mapping[str, str]  # property name -> kind (a key of KINDS)
Row = Mapping[str, Any]
Predicate = Callable[[Row], bool]
#: (property, descending) pairs
OrderBy = list[tuple[str, bool]]

_PREFIX: Final = "The query specified in the URI is not valid. "
_OPERATORS: Final = {
    "eq": "Equal",
    "ne": "NotEqual",
    "gt": "GreaterThan",
    "ge": "GreaterThanOrEqual",
    "lt": "LessThan",
    "le": "LessThanOrEqual",
}
_TOKEN: Final = re.compile(
    r"""
    (?P<space>\s+)
  | (?P<typed>(?:datetimeoffset|datetime|guid|time|binary|X)'(?:[^']|'')*')
  | (?P<string>'(?:[^']|'')*')
  | (?P<unterminated>'.*)
  | (?P<number>-?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?[LMmdDfF]?)
  | (?P<name>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<punct>[(),])
  """,
    re.VERBOSE | re.DOTALL,
)
_DATETIME: Final = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,7}))?)?)?(Z|[+-]\d{2}:\d{2})?"
)


class ODataError(ValueError):
    """A query option ASP.NET would refuse with 400; `str()` is the message it would give."""

    def __init__(self, detail: str) -> None:
        super().__init__(_PREFIX + detail)
        self.detail = detail


def parse_datetime(text: str) -> dt.datetime:
    """`2016-01-01`, `2016-01-01T10:30`, `…:00`, `….1234567`, with `Z` or `±hh:mm` (default UTC)."""
    match = _DATETIME.fullmatch(text.strip())
    if match is None:
        raise ValueError(f"{text!r} is not a date and time")
    year, month, day, hour, minute, second, fraction, zone = match.groups()
    tz = dt.UTC
    if zone not in (None, "Z"):
        sign = -1 if zone[0] == "-" else 1
        tz = dt.timezone(sign * dt.timedelta(hours=int(zone[1:3]), minutes=int(zone[4:6])))
    micro = int((fraction or "0").ljust(7, "0")[:6])
    return dt.datetime(
        int(year), int(month), int(day), int(hour or 0), int(minute or 0), int(second or 0), micro, tz
    ).astimezone(dt.UTC)


@dataclass(frozen=True)
class _Token:
    kind: str  # "string", "number", "datetime", "name", "punct", "end"
    text: str
    position: int
    value: Any = None


def _tokens(text: str) -> list[_Token]:
    found: list[_Token] = []
    position = 0
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None:
            raise ODataError(
                f"Syntax error: character '{text[position]}' is not valid at position {position} in '{text}'."
            )
        kind = match.lastgroup or ""
        raw = match.group()
        if kind == "unterminated":
            raise ODataError(f"There is an unterminated string literal at position {position} in '{text}'.")
        if kind == "string":
            found.append(_Token("string", raw, position, raw[1:-1].replace("''", "'")))
        elif kind == "typed":
            prefix, _, quoted = raw.partition("'")
            body = quoted[:-1].replace("''", "'")
            if prefix not in ("datetime", "datetimeoffset"):
                raise ODataError(
                    f"Literals of type '{prefix}' are not supported here (at position {position})."
                )
            try:
                found.append(_Token("datetime", raw, position, parse_datetime(body)))
            except ValueError:
                raise ODataError(
                    f"Unrecognized '{KINDS['datetime']}' literal '{raw}' at '{position}' in '{text}'."
                ) from None
        elif kind == "number":
            found.append(_Token("number", raw, position, _number(raw)))
        elif kind != "space":
            found.append(_Token(kind, raw, position))
        position = match.end()
    found.append(_Token("end", "", len(text)))
    return found


def _number(raw: str) -> int | float:
    digits = raw.rstrip("LMmdDfF")
    if re.fullmatch(r"-?[0-9]+", digits) and raw[-1:] not in ("M", "m", "d", "D", "f", "F"):
        return int(digits)
    return float(digits)


@dataclass(frozen=True)
class _Operand:
    kind: str  # a KINDS key, or "null"
    get: Callable[[Row], Any]
    text: str


class _Parser:
    """expr := or; or := and ('or' and)*; and := unary ('and' unary)*; unary := 'not' unary | comparison;
    comparison := primary (op primary)?; primary := '(' expr ')' | literal | property."""

    def __init__(self, text: str, fields: Fields, entity: str) -> None:
        self.text, self.fields, self.entity = text, fields, entity
        self.tokens = _tokens(text)
        self.at = 0

    def peek(self) -> _Token:
        return self.tokens[self.at]

    def take(self) -> _Token:
        token = self.tokens[self.at]
        self.at += 1
        return token

    def keyword(self, *words: str) -> str | None:
        token = self.peek()
        if token.kind == "name" and token.text in words:
            self.at += 1
            return token.text
        return None

    def parse(self) -> Predicate:
        if self.peek().kind == "end":
            raise ODataError("The $filter query option is empty.")
        predicate = self.boolean(self.disjunction())
        token = self.peek()
        if token.kind != "end":
            raise ODataError(f"Syntax error at position {token.position} in '{self.text}'.")
        return predicate

    def boolean(self, operand: _Operand) -> Predicate:
        if operand.kind != "bool":
            raise ODataError(
                f"The $filter expression must evaluate to a single boolean value: '{operand.text}' is "
                f"{KINDS.get(operand.kind, 'null')}."
            )
        get = operand.get
        return lambda row: get(row) is True

    def disjunction(self) -> _Operand:
        return self.chain("or", self.conjunction)

    def conjunction(self) -> _Operand:
        return self.chain("and", self.unary)

    def chain(self, word: str, operand: Callable[[], _Operand]) -> _Operand:
        """Operands joined by `word` (left-associative)."""
        left = operand()
        while self.keyword(word):
            left = self.logical(left, operand(), word)
        return left

    def logical(self, left: _Operand, right: _Operand, word: str) -> _Operand:
        first, second = self.boolean(left), self.boolean(right)
        if word == "and":
            return _Operand("bool", lambda row: first(row) and second(row), f"{left.text} and {right.text}")
        return _Operand("bool", lambda row: first(row) or second(row), f"{left.text} or {right.text}")

    def unary(self) -> _Operand:
        if self.keyword("not"):
            inner = self.unary()
            predicate = self.boolean(inner)
            return _Operand("bool", lambda row: not predicate(row), f"not {inner.text}")
        return self.comparison()

    def comparison(self) -> _Operand:
        left = self.primary()
        token = self.peek()
        if token.kind != "name" or token.text not in _OPERATORS:
            return left
        self.at += 1
        right = self.primary()
        return _compare(left, token.text, right)

    def primary(self) -> _Operand:
        token = self.take()
        if token.kind == "punct" and token.text == "(":
            inner = self.disjunction()
            close = self.take()
            if close.text != ")":
                raise ODataError(f"')' or operator expected at position {close.position} in '{self.text}'.")
            return _Operand(inner.kind, inner.get, f"({inner.text})")
        if token.kind in ("string", "number", "datetime"):
            value = token.value
            kind = {"string": "string", "datetime": "datetime"}.get(token.kind)
            if kind is None:
                kind = "int" if isinstance(value, int) else "number"
            return _Operand(kind, lambda row: value, token.text)
        if token.kind == "name":
            if token.text in ("true", "false"):
                flag = token.text == "true"
                return _Operand("bool", lambda row: flag, token.text)
            if token.text == "null":
                return _Operand("null", lambda row: None, token.text)
            if self.peek().text == "(":
                return self.call(token)
            if token.text in _OPERATORS or token.text in ("and", "or", "not"):
                raise ODataError(f"Expression expected at position {token.position} in '{self.text}'.")
            kind = self.fields.get(token.text)
            if kind is None:
                raise ODataError(f"Could not find a property named '{token.text}' on type '{self.entity}'.")
            if kind in ("list", "object"):
                raise ODataError(
                    f"The property '{token.text}' is not a primitive property: it can't be compared."
                )
            name = token.text
            return _Operand(kind, lambda row: row.get(name), name)
        where = "the end" if token.kind == "end" else f"position {token.position}"
        raise ODataError(f"Expression expected at {where} in '{self.text}'.")

    def call(self, name: _Token) -> _Operand:
        """A canonical function of OData v3: `substringof startswith endswith tolower toupper trim length
        year month day hour minute second`."""
        signature = _FUNCTIONS.get(name.text)
        if signature is None:
            raise ODataError(f"Unknown function '{name.text}' at position {name.position} in '{self.text}'.")
        self.take()  # "("
        args = [self.disjunction()]
        while self.peek().text == ",":
            self.take()
            args.append(self.disjunction())
        close = self.take()
        if close.text != ")":
            raise ODataError(f"')' or ',' expected at position {close.position} in '{self.text}'.")
        kinds, result, apply = signature
        if len(args) != len(kinds) or any(
            a.kind not in (k, "null") for a, k in zip(args, kinds, strict=False)
        ):
            given = ", ".join(KINDS.get(a.kind, "null") for a in args)
            wanted = ", ".join(KINDS[k] for k in kinds)
            raise ODataError(f"No function signature for the function with name '{name.text}' matches the "
                             f"specified arguments ({given}); it takes ({wanted}).")  # fmt: skip
        getters = [a.get for a in args]

        def value(row: Row) -> Any:
            values = [get(row) for get in getters]
            return None if any(v is None for v in values) else apply(*values)

        return _Operand(result, value, f"{name.text}({', '.join(a.text for a in args)})")


#: name -> (argument kinds, result kind, implementation on non-null values); null in, null out
_FUNCTIONS: Final[Mapping[str, tuple[tuple[str, ...], str, Callable[..., Any]]]] = {
    "substringof": (("string", "string"), "bool", lambda needle, hay: needle in hay),
    "startswith": (("string", "string"), "bool", lambda text, prefix: text.startswith(prefix)),
    "endswith": (("string", "string"), "bool", lambda text, suffix: text.endswith(suffix)),
    "tolower": (("string",), "string", str.lower),
    "toupper": (("string",), "string", str.upper),
    "trim": (("string",), "string", str.strip),
    "length": (("string",), "int", len),
    **{
        part: (("datetime",), "int", lambda moment, part=part: getattr(moment, part))
        for part in ("year", "month", "day", "hour", "minute", "second")
    },
}
_NUMERIC: Final = frozenset({"int", "number"})


def _compare(left: _Operand, operator: str, right: _Operand) -> _Operand:
    kinds = {left.kind, right.kind}
    compatible = len(kinds) == 1 or kinds <= _NUMERIC or "null" in kinds
    ordering = operator not in ("eq", "ne")
    if not compatible or (ordering and "bool" in kinds):
        names = [KINDS.get(k, "null") for k in (left.kind, right.kind)]
        raise ODataError(
            "A binary operator with incompatible types was detected. Found operand types "
            f"'{names[0]}' and '{names[1]}' for operator kind '{_OPERATORS[operator]}'."
        )
    lget, rget = left.get, right.get
    text = f"{left.text} {operator} {right.text}"

    def test(row: Row) -> bool:
        a, b = lget(row), rget(row)
        if operator == "eq":
            return bool(a == b)
        if operator == "ne":
            return bool(a != b)
        if a is None or b is None:  # ordering against null is false, as in SQL and LINQ-to-objects lifting
            return False
        if operator == "gt":
            return bool(a > b)
        if operator == "ge":
            return bool(a >= b)
        if operator == "lt":
            return bool(a < b)
        return bool(a <= b)

    return _Operand("bool", test, text)


def parse_filter(text: str, fields: Fields, entity: str) -> Predicate:
    """A predicate over rows for a `$filter` value; ODataError for anything ASP.NET would refuse."""
    return _Parser(text, fields, entity).parse()


def parse_orderby(text: str, fields: Fields, entity: str) -> OrderBy:
    """`Name`, `Name desc`, `A asc, B desc` → [(property, descending)]."""
    keys: OrderBy = []
    for part in text.split(","):
        words = part.split()
        if not words or len(words) > 2 or (len(words) == 2 and words[1] not in ("asc", "desc")):
            raise ODataError(f"Syntax error in $orderby '{text}': expected 'Property [asc|desc], ...'.")
        name = words[0]
        kind = fields.get(name)
        if kind is None:
            raise ODataError(f"Could not find a property named '{name}' on type '{entity}'.")
        if kind in ("list", "object"):
            raise ODataError(f"The $orderby property '{name}' is not a primitive property.")
        keys.append((name, len(words) == 2 and words[1] == "desc"))
    return keys


def sort_key(name: str) -> Callable[[Row], tuple[bool, Any]]:
    """Key for one property: nulls first (OData: null is the smallest value)."""
    return lambda row: (row.get(name) is not None, row.get(name))


def parse_count(option: str, raw: str) -> int:
    """`$top` / `$skip`: a non-negative integer."""
    if not re.fullmatch(r"[0-9]+", raw.strip()) or int(raw) > 2**31 - 1:
        raise ODataError(
            f"Invalid value '{raw}' for {option} query option found. The {option} query option "
            "requires a non-negative integer value."
        )
    return int(raw)
