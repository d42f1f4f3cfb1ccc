"""The exports the command line offers, read from the vendor packages themselves (no list to keep).

A vendor is a `sellerkit.<name>` package with a client class; its exports are the client's job verbs
(`@starts_job`) and, for operation verbs (`@operation_job` / `@operation_into`), every generated operation
the verb takes (`ClientCore._operation_kinds`), and for paged-export verbs (`ClientCore._paged_exports`,
e.g. Sellers Commerce's `export(entity, dest, ...)`) every entity the verb takes. Each export's options come
from the same typed signature the Python API has: the verb's own parameters, or the generated request
builder's for an operation — a new spec operation is a new command without code here.
"""

from __future__ import annotations

import enum
import inspect
import json
import types
import typing
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any, Literal, Union, get_args, get_origin

from docstring_parser import parse

from sellerkit._core.errors import ConfigurationError
from sellerkit._core.registry import client_class, vendor_names

__all__ = ["RESERVED", "Export", "Filter", "cli_type", "client_class", "exports", "vendor_names"]
from sellerkit._core.steps import operation_into, operation_job, starts_job

# options every export command has; a filter of the same name would clash
RESERVED = frozenset({"out", "json", "fresh", "debug", "base_url", "overwrite", "vendor"})


@dataclass(frozen=True)
class Filter:
    """One option of an export: its Python name, the CLI type and how a CLI value becomes the API's."""

    name: str
    annotation: Any  # what the CLI parses (str, int, float, bool, Literal[...], list[...])
    required: bool
    default: Any
    convert: Callable[[Any], Any]
    help: str = ""


@dataclass(frozen=True)
class Export:
    """One `sellerkit export <vendor> <name>` command."""

    vendor: str
    name: str  # the command's name (kebab case)
    summary: str
    # a job to wait for and download, a file downloaded at once, or a list read page by page into a file
    kind: Literal["job", "file", "pages"]
    filters: tuple[Filter, ...]
    verb: str  # the client method
    operation: types.ModuleType | None = None  # the generated operation an operation verb is called with
    entity: str | None = None  # the entity a paged-export verb is called with

    def start(self, client: Any, values: Mapping[str, Any], *, fresh: bool) -> Any:
        """Start the export: a `Job` (kind "job"); for kind "file" see `download`."""
        kwargs = self._arguments(values)
        method = getattr(client, self.verb)
        if self.operation is not None:
            return method(self.operation, fresh=fresh, **kwargs)
        return method(fresh=fresh, **kwargs)

    def download(self, client: Any, values: Mapping[str, Any], out: str, on_progress: Any) -> Any:
        """Download a file export into the folder `out`; → `DownloadResult`."""
        kwargs = self._arguments(values)
        return getattr(client, self.verb)(self.operation, out, on_progress, **kwargs)

    def pages(
        self, client: Any, values: Mapping[str, Any], out: str, *, fresh: bool, on_progress: Any
    ) -> Any:
        """Read a paged export into the folder `out` (resumed after the last complete page of an
        interrupted run of the same call); → the verb's `ExportResult`."""
        kwargs = self._arguments(values)
        return getattr(client, self.verb)(self.entity, out, fresh=fresh, on_progress=on_progress, **kwargs)

    def _arguments(self, values: Mapping[str, Any]) -> dict[str, Any]:
        given = {f.name: f.convert(values[f.name]) for f in self.filters if values.get(f.name) is not None}
        return given


def _words(doc: str | None) -> str:
    return inspect.cleandoc(doc or "").split("\n\n", 1)[0].replace("\n", " ")


def _kebab(name: str) -> str:
    return name.replace("_", "-")


@cache
def exports(vendor: str) -> Mapping[str, Export]:
    """The vendor's exports by command name."""
    cls = client_class(vendor)
    found: dict[str, Export] = {}
    kinds = cls._operation_kinds
    for attr, entities in cls._paged_exports.items():
        fn = inspect.getattr_static(cls, attr).fn
        options = _filters(fn, ("self", "entity", "dest", "fresh", "on_progress", "overwrite"))
        for entity, module in entities.items():
            found[_kebab(entity)] = Export(
                vendor, _kebab(entity), _summary(module), "pages", options, attr, module, entity
            )
    for attr in sorted(dir(cls)):
        descriptor = inspect.getattr_static(cls, attr, None)
        if isinstance(descriptor, operation_job | operation_into):
            if attr not in kinds:
                continue  # a verb on another verb's operations (e.g. a stream variant)
            kind: Literal["job", "file"] = "job" if isinstance(descriptor, operation_job) else "file"
            for module in kinds[attr][1]:
                name = module.__name__.rsplit(".", 1)[-1]
                builder = module._get_kwargs
                found[_kebab(name)] = Export(
                    vendor, _kebab(name), _summary(module), kind, _filters(builder, ()), attr, module
                )
        elif isinstance(descriptor, starts_job):
            fn = descriptor.fn
            found[_kebab(attr)] = Export(
                vendor, _kebab(attr), _words(fn.__doc__), "job", _filters(fn, ("self", "fresh")), attr
            )
    return found


def _summary(module: types.ModuleType) -> str:
    """A generated operation's summary (its docstring's first paragraph)."""
    return _words(getattr(module.sync_detailed, "__doc__", "")) if hasattr(module, "sync_detailed") else ""


def _filters(fn: Callable[..., Any], skip: Iterable[str]) -> tuple[Filter, ...]:
    hints = typing.get_type_hints(fn)
    # the docstring's "Args:" section (Google style; docstring_parser comes with cyclopts)
    described = {p.arg_name: " ".join((p.description or "").split()) for p in parse(fn.__doc__ or "").params}
    out = []
    for param in inspect.signature(fn).parameters.values():
        if param.name in skip or param.kind in (param.VAR_KEYWORD, param.VAR_POSITIONAL):
            continue
        if param.name in RESERVED:
            raise ConfigurationError(f"{fn.__qualname__}: filter {param.name!r} clashes with a CLI option")
        required = param.default is inspect.Parameter.empty
        annotation, convert = cli_type(hints.get(param.name, str))
        default = None if required or _is_unset(param.default) else param.default
        out.append(Filter(param.name, annotation, required, default, convert, described.get(param.name, "")))
    return tuple(out)


def _is_unset(value: object) -> bool:
    return type(value).__name__ == "Unset"


def _arms(hint: Any) -> list[Any]:
    arms = list(get_args(hint)) if get_origin(hint) in (Union, types.UnionType) else [hint]
    return [a for a in arms if a is not type(None) and not (isinstance(a, type) and a.__name__ == "Unset")]


def _same(value: Any) -> Any:
    return value


def cli_type(hint: Any) -> tuple[Any, Callable[[Any], Any]]:
    """The type the command line parses for an API type, and the conversion back.

    Scalars and `Literal`s stay; enums become a `Literal` of their values (the API takes values, and
    `operations.prepare` turns them into members); iterables become lists (values may also be comma
    separated); typed objects (an attrs model such as SelSup's ProductFilter) are JSON text, decoded with
    the model's `from_dict`; unions of those become text (a number when the union takes an int).
    """
    arms = _arms(hint)
    if len(arms) == 1:
        arm = arms[0]
        origin = get_origin(arm)
        if origin in (list, tuple, set, frozenset, Sequence, Iterable) or origin is typing.Iterable:
            (item,) = get_args(arm)[:1] or (str,)
            inner, convert = cli_type(item)
            if get_origin(inner) is list:
                inner, convert = str, _same
            return list[inner], lambda values: [convert(v) for v in _split(values)]  # type: ignore[valid-type]
        if arm in (str, int, float, bool) or origin is Literal:
            return arm, _same
        if isinstance(arm, type) and issubclass(arm, enum.Enum):
            return Literal[tuple(str(m.value) for m in arm)], _same
        if isinstance(arm, type) and hasattr(arm, "from_dict"):
            return str, lambda text: _model(arm, text)
        return str, _same
    takes_int = int in arms or any(isinstance(a, type) and issubclass(a, enum.IntEnum) for a in arms)
    return str, (lambda text: int(text) if takes_int and str(text).lstrip("-").isdigit() else text)


def _split(values: Any) -> list[Any]:
    out: list[Any] = []
    for value in values:
        out += [v for v in value.split(",") if v] if isinstance(value, str) else [value]
    return out


def _model(cls: Any, text: str) -> Any:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ConfigurationError(f"{cls.__name__} is JSON text here ({exc.msg})") from None
    if not isinstance(data, dict):
        raise ConfigurationError(f"{cls.__name__} is a JSON object here, e.g. '{{\"limit\": 50}}'")
    return cls.from_dict(data)
