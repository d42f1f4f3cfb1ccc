"""Generated operations as values: a module is passed to one generic verb, its filters checked before sending.

Every operation is a generated module (`sellerkit.<vendor>_api.api.<tag>.<operation>`); its `_get_kwargs`
request builder is the single source of the filters (names, types, enums). `Operation[P]` lets a module be
passed to one generic method whose keyword arguments mypy checks against that builder (ParamSpec);
`prepare()` checks the same at run time (types, enums, vendor bounds) and coerces enum names given as
plain strings. The generated `operations` table of each package says which modules exist, by tag.
"""

from __future__ import annotations

import enum
import inspect
import types
import typing
from collections.abc import Callable, Mapping
from functools import cache
from types import ModuleType
from typing import Any, ParamSpec, Protocol, Union, get_args, get_origin

from .errors import ConfigurationError

P = ParamSpec("P")


class Operation(Protocol[P]):
    """A generated operation module; its request builder's parameters are the operation's filters."""

    @property
    def _get_kwargs(self) -> Callable[P, dict[str, Any]]: ...


def _is_unset(value: object) -> bool:
    # every generated package has its own `Unset` sentinel class: recognised by name, not imported
    return type(value).__name__ == "Unset"


def name_of(operation: object) -> str:
    """The operation's module name (the snake_case operationId), e.g. `download_customers_file`."""
    return str(getattr(operation, "__name__", type(operation).__name__)).rsplit(".", 1)[-1]


def check_kind(
    operation: object, kinds: Mapping[str, tuple[str, tuple[ModuleType, ...]]], kind: str, package: str
) -> None:
    """`ConfigurationError` unless `operation` is one the verb `kind` takes; `kinds` maps each verb to the
    name of its table in `<package>.operations` and the table itself. The message names the right verb."""
    table, modules = kinds[kind]
    if operation in modules:
        return
    other = next((verb for verb, (_, mods) in kinds.items() if operation in mods), None)
    hint = f"; use {other}() for it" if other else ""
    raise ConfigurationError(
        f"{name_of(operation)} is not an operation {kind}() takes (pass one of {package}.operations.{table})"
        + hint
    )


def prepare(
    operation: object, filters: Mapping[str, Any], bounds: Callable[[str, str, Any], None] | None = None
) -> dict[str, Any]:
    """The filters checked and coerced for the operation's request builder; `ConfigurationError` if bad.

    None means "not given" (dropped). Enum parameters take the generated enum's members or their values as
    strings; a string the spec doesn't list is refused (pass e.g. `Marketplace("NEW")` to send it anyway).
    `bounds(operation, name, value)` adds the vendor's own checks (paging limits, ...).
    """
    op = name_of(operation)
    builder = operation._get_kwargs  # type: ignore[attr-defined]
    given = {name: value for name, value in filters.items() if value is not None}
    try:
        inspect.signature(builder).bind(**given)
    except TypeError as exc:
        raise ConfigurationError(f"{op}: {exc} (its filters: {_describe_params(builder)})") from None
    hints = _hints(builder)
    checked = {name: _coerce(op, name, value, hints[name]) for name, value in given.items()}
    if bounds is not None:
        for name, value in checked.items():
            bounds(op, name, value)
    return checked


def required_filters(operation: object) -> tuple[str, ...]:
    """The names of the filters an operation cannot go without."""
    builder = operation._get_kwargs  # type: ignore[attr-defined]
    return tuple(
        name
        for name, param in inspect.signature(builder).parameters.items()
        if param.default is inspect.Parameter.empty
    )


@cache
def _hints(builder: Callable[..., Any]) -> dict[str, Any]:
    hints = typing.get_type_hints(builder)
    hints.pop("return", None)
    return hints


def _describe_params(builder: Callable[..., Any]) -> str:
    params = inspect.signature(builder).parameters.values()
    return ", ".join(p.name + ("" if p.default is inspect.Parameter.empty else "=") for p in params) or "none"


def _describe(hint: Any) -> str:
    arms = [a for a in _arms(hint) if not _is_unset_type(a) and a is not type(None)]
    names = []
    for arm in arms:
        if get_origin(arm) is list:
            names.append(f"a list of {_describe(get_args(arm)[0])}")
        elif isinstance(arm, type) and issubclass(arm, enum.Enum):
            names.append(f"a {arm.__name__} (or one of its values as a str)")
        else:
            names.append(getattr(arm, "__name__", str(arm)))
    return " or ".join(names)


def _arms(hint: Any) -> tuple[Any, ...]:
    if get_origin(hint) in (Union, types.UnionType):
        return get_args(hint)
    return (hint,)


class _NoMatch(Exception):
    pass


def _coerce(op: str, name: str, value: Any, hint: Any) -> Any:
    if _is_unset(value):
        return value
    for arm in _arms(hint):
        try:
            return _coerce_arm(op, name, value, arm)
        except _NoMatch:
            continue
    # the value's type only: some filters are credentials (checkCommerceMlAuth's password)
    raise ConfigurationError(f"{op}: {name} must be {_describe(hint)}, not {type(value).__name__}")


def _coerce_arm(op: str, name: str, value: Any, arm: Any) -> Any:
    if _is_unset_type(arm) or arm is type(None):
        raise _NoMatch
    if get_origin(arm) is list:
        if isinstance(value, str | bytes) or not isinstance(value, list | tuple | set | frozenset):
            raise _NoMatch
        (item,) = get_args(arm)
        return [_coerce(op, f"{name}[{i}]", v, item) for i, v in enumerate(value)]
    if arm is bool:
        if isinstance(value, bool):
            return value
        raise _NoMatch
    if arm is int:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        raise _NoMatch
    if arm is float:
        if isinstance(value, int | float) and not isinstance(value, bool):
            return float(value)
        raise _NoMatch
    if isinstance(arm, type) and issubclass(arm, enum.Enum):
        return _coerce_enum(op, name, value, arm)
    if arm is str:
        if isinstance(value, str):
            return value
        raise _NoMatch
    if isinstance(arm, type) and isinstance(value, arm):
        return value
    raise _NoMatch


def _coerce_enum(op: str, name: str, value: Any, arm: type[enum.Enum]) -> Any:
    if isinstance(value, arm):
        return value
    if not isinstance(value, str):
        raise _NoMatch
    member = arm(value)
    if not getattr(member, "is_known", True):
        known = ", ".join(m.value for m in arm)
        raise ConfigurationError(
            f"{op}: {name}={value!r} is not a {arm.__name__} the spec lists ({known}); "
            f"pass {arm.__name__}({value!r}) to send it anyway"
        )
    return member


def _is_unset_type(hint: Any) -> bool:
    return isinstance(hint, type) and hint.__name__ == "Unset"
