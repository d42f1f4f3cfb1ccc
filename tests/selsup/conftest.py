"""SelSup test helpers: the spec's operations (so none can be forgotten), minimal valid parameters for each,
clients on a MockTransport or on the simulator and its clock, sync and async alike."""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import inspect
import re
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any, TypeVar

import httpx
import pytest
import yaml

from sellerkit._core.retry import RetryPolicy
from sellerkit.selsup import AsyncSelsupClient, SelsupClient
from sellerkit.selsup_api.models import ProductFilter
from sellerkit.testing.framework import ScaledClock
from sellerkit.testing.selsup import SelsupSettings, SelsupSimulator
from tests.clients import make_client

T = TypeVar("T")
MODES = ["sync", "async"]
SPEC = Path(__file__).resolve().parents[2] / "specs" / "selsup.yaml"
KEY = "sk-test-SECRET-4f1d2a"  # a recognisable key: tests assert it never shows up


# ---------------------------------------------------------------- the spec's operations


@dataclass(frozen=True)
class SpecOperation:
    """One operation of specs/selsup.yaml and the generated module that sends it."""

    operation_id: str
    tag: str
    method: str
    path: str
    module: ModuleType
    params: dict[str, Any]  # spec name -> minimal valid value (what the simulator keys files by)
    kwargs: dict[str, Any]  # generated kwarg name -> the same value (what the client takes)
    has_body: bool

    def __str__(self) -> str:
        return self.operation_id


def _snake(name: str) -> str:
    return re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", name).lower()


def _resolve(spec: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        target: Any = spec
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        node = target
    return node


def _minimal(spec: dict[str, Any], name: str, schema: dict[str, Any]) -> Any:
    schema = _resolve(spec, schema)
    if "enum" in schema:
        return schema["enum"][0]
    kind = schema.get("type")
    if kind == "integer":
        return 1
    if kind == "number":
        return 1.5
    if kind == "boolean":
        return True
    if kind == "array":
        return [_minimal(spec, name, schema["items"])]
    if name == "url":
        return "https://shop.example/commerceml"
    return "x"


def _kwarg(module: ModuleType, spec_name: str) -> str:
    names = inspect.signature(module._get_kwargs).parameters
    for candidate in (_snake(spec_name), _snake(spec_name) + "_", _snake(spec_name) + "_query"):
        if candidate in names:
            return candidate
    raise AssertionError(f"{module.__name__} has no parameter for {spec_name} ({list(names)})")


def spec_operations() -> list[SpecOperation]:
    spec = yaml.safe_load(SPEC.read_text(encoding="utf-8"))
    found = []
    for path, item in spec["paths"].items():
        for method, op in item.items():
            if method not in ("get", "post", "put", "delete", "patch"):
                continue
            tag = op["tags"][0]
            package = tag.lower().replace(" ", "_")
            module = importlib.import_module(
                f"sellerkit.selsup_api.api.{package}.{_snake(op['operationId'])}"
            )
            params: dict[str, Any] = {}
            kwargs: dict[str, Any] = {}
            for param in op.get("parameters", []):
                param = _resolve(spec, param)
                if not param.get("required"):
                    continue
                value = _minimal(spec, param["name"], param["schema"])
                params[param["name"]] = value
                kwargs[_kwarg(module, param["name"])] = value
            has_body = "requestBody" in op
            if has_body:
                kwargs["body"] = ProductFilter()
            found.append(
                SpecOperation(op["operationId"], tag, method.upper(), path, module, params, kwargs, has_body)
            )
    return found


OPERATIONS = spec_operations()
BACKGROUND = [op for op in OPERATIONS if op.tag == "Background Exports"]
FILES = [op for op in OPERATIONS if op.tag == "File Exports"]
INTEGRATIONS = [op for op in OPERATIONS if op.tag == "Integrations"]


# ---------------------------------------------------------------- clients


def client_class(mode: str) -> type[SelsupClient] | type[AsyncSelsupClient]:
    return SelsupClient if mode == "sync" else AsyncSelsupClient


def mock_client(
    mode: str, handler: Callable[[httpx.Request], httpx.Response], **kw: Any
) -> SelsupClient | AsyncSelsupClient:
    """A client whose requests go to `handler` (an httpx.MockTransport serves both drivers); retries and
    polls wait on a manual clock, so nothing really sleeps."""
    hooks = {"inner_transport": httpx.MockTransport(handler), "retry": RetryPolicy(jitter=False)}
    kw.setdefault("api_key", KEY)
    return make_client(client_class(mode), kw.pop("clock", None) or ScaledClock.manual(), hooks=hooks, **kw)


async def aw(value: Any) -> Any:
    """The value of a sync call, or the awaited value of an async one: one script drives both clients."""
    return await value if inspect.isawaitable(value) else value


async def closing(client: Any, script: Callable[[Any], Awaitable[T]]) -> T:
    """`script(client)`, then the client closed (either driver)."""
    try:
        return await script(client)
    finally:
        await aw(client.close())


def dual_mock(
    mode: str,
    handler: Callable[[httpx.Request], httpx.Response],
    script: Callable[[Any], Awaitable[T]],
    **kw: Any,
) -> T:
    """Run `script(client)` with a sync or an async client on `handler`."""
    return asyncio.run(closing(mock_client(mode, handler, **kw), script))


def sim_client(mode: str, sim: SelsupSimulator, **kw: Any) -> SelsupClient | AsyncSelsupClient:
    """A sync or async client on the simulator, polling and retrying in the simulator's time."""
    kw.setdefault("api_key", sim.api_key)
    kw.setdefault("base_url", sim.base_url)
    return make_client(client_class(mode), sim.clock, hooks={"retry": RetryPolicy(jitter=False)}, **kw)


def dual(mode: str, sim: SelsupSimulator, script: Callable[[Any], Awaitable[T]], **kw: Any) -> T:
    """Run `script(client)` with a sync or an async client (every call in the script goes through `aw`)."""
    return asyncio.run(closing(sim_client(mode, sim, **kw), script))


MakeSim = Callable[..., SelsupSimulator]


@pytest.fixture
def make_sim() -> Iterator[MakeSim]:
    """`make_sim(**SelsupSettings fields)`: a running simulator on a fresh manual clock (stopped after)."""
    with contextlib.ExitStack() as stack:

        def make(
            *, clock: ScaledClock | None = None, api_key: str | None = None, **settings: Any
        ) -> SelsupSimulator:
            sim = SelsupSimulator(
                clock if clock is not None else ScaledClock.manual(),
                SelsupSettings(**settings),
                api_key=api_key,
            )
            return stack.enter_context(sim.running())

        yield make


@pytest.fixture
def sim(make_sim: MakeSim) -> SelsupSimulator:
    return make_sim()
