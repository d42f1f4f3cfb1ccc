"""SelSup test helpers: the spec's operations (so none can be forgotten), minimal valid parameters for each,
clients on a MockTransport or on the simulator and its clock, sync and async alike."""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import inspect
import re
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any, TypeVar

import httpx
import pytest
import yaml

from sellerkit._core.retry import RetryPolicy
from sellerkit._core.transport import HttpSettings
from sellerkit.selsup import AsyncSelsupClient, SelsupClient
from sellerkit.selsup_api.models import ProductFilter
from tests.simulators.framework import ScaledClock
from tests.simulators.selsup import SelsupSettings, SelsupSimulator

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


def mock_client(
    mode: str, handler: Callable[[httpx.Request], httpx.Response], **kw: Any
) -> SelsupClient | AsyncSelsupClient:
    """A client whose requests go to `handler` (an httpx.MockTransport); retries never really sleep."""
    slept: list[float] = []

    async def asleep(seconds: float) -> None:
        slept.append(seconds)

    if mode == "sync":
        settings = HttpSettings(
            inner_transport=httpx.MockTransport(handler), sleep=slept.append, retry=RetryPolicy(jitter=False)
        )
        return SelsupClient(KEY, http=settings, sleep=slept.append, **kw)

    async def ahandler(request: httpx.Request) -> httpx.Response:
        await request.aread()
        return handler(request)

    settings = HttpSettings(
        inner_transport=httpx.MockTransport(ahandler), async_sleep=asleep, retry=RetryPolicy(jitter=False)
    )
    return AsyncSelsupClient(KEY, http=settings, sleep=asleep, **kw)


async def aw(value: Any) -> Any:
    """The value of a sync call, or the awaited value of an async one: one script drives both clients."""
    return await value if inspect.isawaitable(value) else value


def dual_mock(
    mode: str,
    handler: Callable[[httpx.Request], httpx.Response],
    script: Callable[[Any], Awaitable[T]],
    **kw: Any,
) -> T:
    async def main() -> T:
        client = mock_client(mode, handler, **kw)
        try:
            return await script(client)
        finally:
            if isinstance(client, SelsupClient):
                client.close()
            else:
                await client.aclose()

    return asyncio.run(main())


@contextlib.asynccontextmanager
async def sim_client(mode: str, sim: SelsupSimulator, **kw: Any) -> AsyncIterator[Any]:
    """A sync or async client on the simulator, polling and retrying in the simulator's time."""
    clock = sim.clock
    http = HttpSettings(sleep=clock.sleep, async_sleep=clock.asleep, retry=RetryPolicy(jitter=False))
    common: dict[str, Any] = {"base_url": sim.base_url, "http": http, "clock": clock.now}
    common.update(kw)
    api_key = common.pop("api_key", sim.api_key)
    if mode == "sync":
        with SelsupClient(api_key, sleep=clock.sleep, **common) as client:
            yield client
    else:
        async with AsyncSelsupClient(api_key, sleep=clock.asleep, **common) as aclient:
            yield aclient


def dual(mode: str, sim: SelsupSimulator, script: Callable[[Any], Awaitable[T]], **kw: Any) -> T:
    """Run `script(client)` with a sync or an async client (every call in the script goes through `aw`)."""

    async def main() -> T:
        async with sim_client(mode, sim, **kw) as client:
            return await script(client)

    return asyncio.run(main())


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
