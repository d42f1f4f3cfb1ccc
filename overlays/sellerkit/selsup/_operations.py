"""The SelSup export operations by kind, and the check of their filters before anything is sent.

Every export is a generated module (`sellerkit.selsup_api.api.<tag>.<operation>`); its `_get_kwargs` request
builder is the single source of the filters (names, types, enums). `Operation[P]` lets a module be passed
to one generic method whose keyword arguments mypy checks against that builder (ParamSpec); `prepare()`
checks the same at run time (types, enums, paging bounds) and coerces enum names given as plain strings.
"""

from __future__ import annotations

import enum
import inspect
import types
import typing
from collections.abc import Callable
from functools import cache
from types import ModuleType
from typing import Any, ParamSpec, Protocol, Union, get_args, get_origin

from sellerkit._core.errors import ConfigurationError
from sellerkit.selsup_api.api.background_exports import (
    export_contractor_settlement_structure,
    export_models_file,
    export_orders_to_moy_sklad,
    export_product_sets_file,
    export_products_file,
    export_stocks_file,
    export_wildberries_products_file,
    upload_images_to_wildberries,
)
from sellerkit.selsup_api.api.file_exports import (
    download_acceptance_act,
    download_brands_import_template,
    download_categories_file_template,
    download_categories_import_template,
    download_contractors_import_template,
    download_customers_file,
    download_edo_invoice,
    download_income_products_file,
    download_marketplace_stocks_update_file,
    download_order_box_barcodes,
    download_order_products_file,
    download_ozon_container_labels,
    download_ozon_images_by_view,
    download_ozon_invoice,
    download_ozon_order_file,
    download_product_sets_import_template,
    download_products_delivery_file,
    download_products_import_template,
    download_service_stocks_file,
    download_supply_ttn_print_file,
    download_wildberries_images_by_view,
    download_wildberries_order_file,
    download_wildberries_order_images,
    download_wildberries_photography_images,
    download_wildberries_specification,
    download_wildberries_stocks_file,
    download_wildberries_ttn_edo_file,
)
from sellerkit.selsup_api.api.integrations import check_commerce_ml_auth, create_marketplace_cards
from sellerkit.selsup_api.models import ProductFilter
from sellerkit.selsup_api.types import Unset

from . import _facts

P = ParamSpec("P")

__all__ = ["BACKGROUND_EXPORTS", "FILE_EXPORTS", "Operation", "name_of", "prepare", "required_filters"]


class Operation(Protocol[P]):
    """A generated operation module; its request builder's parameters are the operation's filters."""

    @property
    def _get_kwargs(self) -> Callable[P, dict[str, Any]]: ...


BACKGROUND_EXPORTS: tuple[ModuleType, ...] = (
    upload_images_to_wildberries,
    export_stocks_file,
    export_wildberries_products_file,
    export_products_file,
    export_models_file,
    export_contractor_settlement_structure,
    export_orders_to_moy_sklad,
    export_product_sets_file,
)
"""The 8 exports that start a background task (tag Background Exports): `start_export(...)` → a `Job`."""

FILE_EXPORTS: tuple[ModuleType, ...] = (
    download_wildberries_ttn_edo_file,
    download_wildberries_specification,
    download_wildberries_photography_images,
    download_wildberries_images_by_view,
    download_supply_ttn_print_file,
    download_marketplace_stocks_update_file,
    download_product_sets_import_template,
    download_service_stocks_file,
    download_products_import_template,
    download_products_delivery_file,
    download_ozon_order_file,
    download_ozon_invoice,
    download_ozon_images_by_view,
    download_ozon_container_labels,
    download_order_box_barcodes,
    download_order_products_file,
    download_wildberries_order_images,
    download_acceptance_act,
    download_wildberries_stocks_file,
    download_edo_invoice,
    download_customers_file,
    download_contractors_import_template,
    download_categories_file_template,
    download_categories_import_template,
    download_brands_import_template,
    download_income_products_file,
    download_wildberries_order_file,
)
"""The 27 exports that answer with the file itself (tag File Exports): `download_file(...)`."""

_KINDS: dict[str, frozenset[str]] = {
    "background": frozenset(m.__name__ for m in BACKGROUND_EXPORTS),
    "file": frozenset(m.__name__ for m in FILE_EXPORTS),
    "integration": frozenset(m.__name__ for m in (check_commerce_ml_auth, create_marketplace_cards)),
}
_METHOD_FOR = {"background": "start_export", "file": "download_file", "integration": "its own method"}


def name_of(operation: object) -> str:
    """The operation's module name (the snake_case operationId), e.g. `download_customers_file`."""
    return str(getattr(operation, "__name__", type(operation).__name__)).rsplit(".", 1)[-1]


def _check_kind(operation: object, kind: str) -> None:
    module = getattr(operation, "__name__", None)
    if module in _KINDS[kind]:
        return
    other = next((k for k, names in _KINDS.items() if module in names), None)
    hint = f"; use {_METHOD_FOR[other]}() for it" if other else ""
    what = {"background": "a background export", "file": "a file export"}.get(kind, "an integration")
    raise ConfigurationError(
        f"{name_of(operation)} is not {what} of sellerkit.selsup_api "
        f"(pass one of the modules in sellerkit.selsup.{kind.upper()}_EXPORTS){hint}"
    )


@cache
def _hints(builder: Callable[..., Any]) -> dict[str, Any]:
    hints = typing.get_type_hints(builder)
    hints.pop("return", None)
    return hints


def required_filters(operation: object) -> tuple[str, ...]:
    """The names of the filters an operation cannot go without."""
    builder = operation._get_kwargs  # type: ignore[attr-defined]
    return tuple(
        name
        for name, param in inspect.signature(builder).parameters.items()
        if param.default is inspect.Parameter.empty
    )


def prepare(operation: object, kind: str, filters: dict[str, Any]) -> dict[str, Any]:
    """The filters checked and coerced for the operation's request builder; `ConfigurationError` if bad.

    None means "not given" (dropped). Enum parameters take the generated enum's members or their values as
    strings; a string the spec doesn't list is refused (pass e.g. `Marketplace("NEW")` to send it anyway).
    """
    _check_kind(operation, kind)
    op = name_of(operation)
    builder = operation._get_kwargs  # type: ignore[attr-defined]
    given = {name: value for name, value in filters.items() if value is not None}
    try:
        inspect.signature(builder).bind(**given)
    except TypeError as exc:
        raise ConfigurationError(f"{op}: {exc} (its filters: {_describe_params(builder)})") from None
    hints = _hints(builder)
    checked = {name: _coerce(op, name, value, hints[name]) for name, value in given.items()}
    for name, value in checked.items():
        _check_bounds(op, name, value)
    return checked


def _describe_params(builder: Callable[..., Any]) -> str:
    params = inspect.signature(builder).parameters.values()
    return ", ".join(p.name + ("" if p.default is inspect.Parameter.empty else "=") for p in params) or "none"


def _describe(hint: Any) -> str:
    arms = [a for a in _arms(hint) if a is not Unset and a is not type(None)]
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
    if isinstance(value, Unset):
        return value
    for arm in _arms(hint):
        try:
            return _coerce_arm(op, name, value, arm)
        except _NoMatch:
            continue
    # the value's type only: some filters are credentials (checkCommerceMlAuth's password)
    raise ConfigurationError(f"{op}: {name} must be {_describe(hint)}, not {type(value).__name__}")


def _coerce_arm(op: str, name: str, value: Any, arm: Any) -> Any:
    if arm is Unset or arm is type(None):
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


def _check_bounds(op: str, name: str, value: Any) -> None:
    if isinstance(value, ProductFilter):
        for field in ("limit", "page"):
            inner = getattr(value, field)
            if not isinstance(inner, Unset) and inner is not None:
                _check_bounds(op, f"{name}.{field}", inner)
        return
    leaf = name.rsplit(".", 1)[-1]
    if leaf == "limit" and isinstance(value, int) and not 1 <= value <= _facts.MAX_LIMIT:
        raise ConfigurationError(f"{op}: {name} must be between 1 and {_facts.MAX_LIMIT}, not {value}")
    if leaf == "page" and isinstance(value, int) and value < _facts.FIRST_PAGE:
        raise ConfigurationError(f"{op}: {name} counts from {_facts.FIRST_PAGE}, not {value}")
