"""The contract table: each vendor's spec against its simulator over real HTTP (schemathesis).

`test_contract.py` fuzzes every row with the same checks; a row says only what differs — the simulator's
settings for the fuzzed cases, how a call authenticates, how many examples, and every check or phase left out
or replaced, each with its reason. Adding a vendor is one `Contract` row (its simulator being a row of
`sellerkit/testing/vendors.py`). The targeted tests (`test_<vendor>_contract.py`: responses a fuzzer can't
reach on its own) build cases and validate responses with `case()` / `validate()` below.

A failure means the spec, the simulator or the docs disagree: fix the simulator when it breaks the docs,
report the spec when it contradicts them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import httpx
import schemathesis
from schemathesis.checks import (
    CheckContext,
    content_type_conformance,
    ignored_auth,
    missing_required_header,
    negative_data_rejection,
    not_a_server_error,
    positive_data_acceptance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
    unsupported_method,
)
from schemathesis.specs.openapi.schemas import OpenApiSchema

from sellerkit.testing.framework import ScaledClock, Simulator
from sellerkit.testing.sellercloud import SellercloudSimulator
from sellerkit.testing.vendors import SIMULATORS
from tests.contract import sellercloud_paths

__all__ = [
    "AUTH_CHECKS",
    "CONTRACTS",
    "FUZZ_CHECKS",
    "RESPONSE_CHECKS",
    "Case",
    "Contract",
    "ContractSims",
    "case",
    "declared",
    "poll_on_scaled_clock",
    "validate",
]

Case = schemathesis.Case[Any]
Check = Callable[..., Any]
Headers = Callable[[], dict[str, str]]

#: What every response is checked for. Explicit: the defaults include probes that don't apply to a file-backed
#: spec (toolchain notes §6).
RESPONSE_CHECKS: list[Check] = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
]
#: The fuzzer also checks that the simulator refuses what the spec forbids (bad enums and formats, missing
#: fields, parameters and headers, undeclared methods) and accepts what it allows.
FUZZ_CHECKS: list[Check] = [
    *RESPONSE_CHECKS,
    negative_data_rejection,
    missing_required_header,
    unsupported_method,
    positive_data_acceptance,
]
#: ignored_auth: the same call without (or with wrong) credentials must be refused.
AUTH_CHECKS: list[Check] = [*RESPONSE_CHECKS, ignored_auth]

# every vendor: an unknown job id / task id / callBackCode / plugin key / file path is a valid value of its
# parameter that the simulator must still refuse (400/404), which positive_data_acceptance counts as a failure
_UNKNOWN_IDS_ARE_REFUSED = "an unknown id is a valid value the simulator must still refuse"


@dataclass(frozen=True)
class Contract:
    """One vendor's spec against its simulator: only what differs from the shared fuzzing."""

    vendor: str  # a row of sellerkit.testing.vendors.SIMULATORS (its spec and simulator)
    settings: Mapping[str, Any]  # simulator settings for the fuzzed cases (jobs move along between cases)
    auth: Callable[[Any], Headers]  # the running simulator -> the headers of the next call
    max_examples: int  # per operation, test_spec_conforms
    auth_examples: int  # per operation, test_auth_is_enforced
    excluded: Mapping[str, str]  # check (or phase) name -> why it is left out
    replaced: Mapping[str, Check] = field(default_factory=dict)  # check name -> variant (why: its docstring)
    phases_off: Mapping[str, str] = field(default_factory=dict)  # schemathesis phase -> why it is off

    @cached_property
    def schema(self) -> OpenApiSchema:
        spec = SIMULATORS[self.vendor].spec
        assert spec is not None, f"the {self.vendor} simulator row names no spec"
        schema = schemathesis.openapi.from_path(spec)
        for phase in self.phases_off:
            getattr(schema.config.phases, phase).enabled = False
        return schema

    def checks(self, base: list[Check]) -> list[Check]:
        """`base` without the excluded checks, with the replaced ones swapped for their variants."""
        unknown = (set(self.excluded) | set(self.replaced)) - {c.__name__ for c in FUZZ_CHECKS + AUTH_CHECKS}
        assert not unknown, f"{self.vendor}: no such check {sorted(unknown)}"
        return [self.replaced.get(c.__name__, c) for c in base if c.__name__ not in self.excluded]

    def start(self, stack: ExitStack) -> tuple[Simulator[Any, Any], Headers]:
        row = SIMULATORS[self.vendor]
        sim = row.simulator(ScaledClock.manual(), row.settings(**self.settings))
        stack.enter_context(sim.running())
        return sim, self.auth(sim)


# ---------------------------------------------------------------- Sellercloud: a real token, known spec gaps


class _Tokens:
    """A real token from the simulator's token endpoint, renewed a minute before it expires."""

    def __init__(self, sim: SellercloudSimulator) -> None:
        self.sim = sim
        self.value = ""
        self.expires_at = 0.0

    def headers(self) -> dict[str, str]:
        if self.sim.clock.now() >= self.expires_at - 60:
            response = httpx.post(
                self.sim.base_url + sellercloud_paths.TOKEN, json=self.sim.credentials, timeout=10
            )
            response.raise_for_status()
            body = response.json()
            self.value = body["access_token"]
            self.expires_at = self.sim.clock.now() + body["expires_in"]
        return {"Authorization": f"Bearer {self.value}"}


#: Statuses the Sellercloud simulator sends that the spec's operations don't declare — reported to the spec's
#: owners. None at the moment: spec 0.2.0 declares the 400s (invalid request) and 404s (unknown job id, no
#: output file) that used to be listed here.
SELLERCLOUD_SPEC_GAPS: dict[tuple[str, str], frozenset[int]] = {}


def declared(schema: Any, method: str, path: str) -> tuple[str, ...]:
    """The statuses the spec declares for an operation."""
    statuses: tuple[str, ...] = schema[path][method].responses.status_codes
    return statuses


def status_code_conformance_with_known_gaps(ctx: CheckContext, response: Any, case: Any) -> bool | None:
    """status_code_conformance, except for a SELLERCLOUD_SPEC_GAPS status the spec still doesn't declare."""
    gaps = SELLERCLOUD_SPEC_GAPS.get((case.method.upper(), case.path), frozenset())
    if (
        response.status_code in gaps
        and str(response.status_code) not in case.operation.responses.status_codes
    ):
        return None
    result: bool | None = status_code_conformance(ctx, response, case)
    return result


# ---------------------------------------------------------------- SelSup: Spring ignores what it doesn't know


def _neutralized(mutation: Any) -> bool:
    """A negative mutation the request doesn't carry or the API rightly ignores: the only header the spec has
    is Authorization, which every call here sets itself; undeclared query parameters are ignored (Spring)."""
    location = str(getattr(mutation.parameter_location, "value", mutation.parameter_location))
    if location == "header":
        return True
    return location in ("query", "cookie") and "additionalProperties" in mutation.keywords


def negative_data_rejection_for_spring(ctx: CheckContext, response: Any, case: Any) -> bool | None:
    """negative_data_rejection, except for cases whose every mutation is _neutralized."""
    meta = case.meta
    mutations = getattr(getattr(meta, "phase", None), "data", None)
    mutations = getattr(mutations, "mutations", ())
    if mutations and all(_neutralized(m) for m in mutations):
        return None
    result: bool | None = negative_data_rejection(ctx, response, case)
    return result


# ---------------------------------------------------------------- the table

CONTRACTS: Mapping[str, Contract] = {
    c.vendor: c
    for c in (
        Contract(
            vendor="wabi2b",
            settings={"job_seconds": 2.0},
            auth=lambda sim: sim.auth_headers,  # a fresh JWT and the x-api-key on every call
            max_examples=30,
            auth_examples=5,
            excluded={"positive_data_acceptance": _UNKNOWN_IDS_ARE_REFUSED + " (callBackCode)"},
        ),
        Contract(
            vendor="sellercloud",
            settings={"queue_seconds": 1.0, "job_seconds": 2.0},
            auth=lambda sim: _Tokens(sim).headers,
            max_examples=25,
            auth_examples=5,
            excluded={"positive_data_acceptance": _UNKNOWN_IDS_ARE_REFUSED + " (job id, plugin key)"},
            replaced={"status_code_conformance": status_code_conformance_with_known_gaps},
        ),
        Contract(
            vendor="selsup",
            settings={"queue_seconds": 0.5, "task_seconds": 1.0},
            auth=lambda sim: sim.auth_headers,
            max_examples=15,
            auth_examples=3,
            excluded={
                "positive_data_acceptance": _UNKNOWN_IDS_ARE_REFUSED + " (task id, file path)",
                "missing_required_header": "the spec's only header is Authorization, which every call sets",
            },
            replaced={"negative_data_rejection": negative_data_rejection_for_spring},
            # it enumerates every parameter of every operation (getOrderProduct has 80): minutes
            phases_off={"coverage": "enumerates all 80 parameters of getOrderProduct: minutes"},
        ),
        Contract(
            vendor="websale",
            settings={"start_seconds": 0.5, "run_seconds": 1.0, "access_ttl": 24 * 3600.0},
            auth=lambda sim: sim.auth_headers,
            max_examples=20,
            auth_examples=3,
            excluded={
                "positive_data_acceptance": "valid requests the simulator must still refuse: pause/cancel "
                "of an idle export (404), resume of one not paused (404), login with unknown credentials "
                "(401)",
                "missing_required_header": "the spec's only header is Authorization, which every call sets",
            },
            # the same neutral mutations as SelSup's: Authorization is set on every call, and undeclared
            # query parameters are accepted (the docs pass start's undocumented filters as query parameters)
            replaced={"negative_data_rejection": negative_data_rejection_for_spring},
        ),
        Contract(
            vendor="sellerscommerce",
            settings={},
            auth=lambda sim: sim.auth_headers,  # a fresh access token on every call
            max_examples=10,
            auth_examples=2,
            excluded={
                "positive_data_acceptance": _UNKNOWN_IDS_ARE_REFUSED
                + " (product, SKU, order, return, category, shopper, user and store codes; token"
                " credentials); so must an OData $filter/$orderby naming a field the entity lacks (no schema"
                " can type an expression), the bodies of undocumented rows (the spec can't know their fields)"
                " and rule breaks such as a ServiceTypeId of another carrier or a category its own parent",
                "missing_required_header": "the spec's only header is Authorization, which every call sets",
            },
            # ASP.NET ignores query parameters an action doesn't take, as Spring does; Authorization is set on
            # every call
            replaced={"negative_data_rejection": negative_data_rejection_for_spring},
        ),
    )
}


class ContractSims:
    """The fuzzed cases' simulators, one per vendor, started on first use and stopped together."""

    def __init__(self, stack: ExitStack) -> None:
        self._stack = stack
        self._running: dict[str, tuple[Simulator[Any, Any], Headers]] = {}

    def __getitem__(self, vendor: str) -> tuple[Simulator[Any, Any], Headers]:
        if vendor not in self._running:
            self._running[vendor] = CONTRACTS[vendor].start(self._stack)
        return self._running[vendor]

    @classmethod
    def serving(cls) -> Iterator[ContractSims]:
        with ExitStack() as stack:
            yield cls(stack)


# ---------------------------------------------------------------- helpers of the targeted tests


def case(vendor: str, method: str, path: str, **kwargs: Any) -> Case:
    """A case of one operation of the vendor's spec (`path` as the spec writes it)."""
    made: Case = CONTRACTS[vendor].schema[path][method].Case(**kwargs)
    return made


def validate(
    sim: Any,
    made: Case,
    headers: Mapping[str, str] | None = None,
    checks: list[Check] = RESPONSE_CHECKS,
) -> Any:
    """Send the case to the simulator (its own credentials unless `headers`) and check the response."""
    response = made.call(
        base_url=sim.base_url, headers=dict(sim.auth_headers() if headers is None else headers), timeout=10
    )
    made.validate_response(response, checks=checks)
    return response


# ---------------------------------------------------------------- helpers of the behaviour tests


def poll_on_scaled_clock(
    clock: ScaledClock,
    fetch: Callable[[], Any],
    expected: Callable[[float], Any],
    order: Sequence[Any],
    *,
    step: float = 1.0,
    limit: int = 100,
) -> list[Any]:
    """Fetch a job's status every `step` simulated seconds until its last status in `order` (at most `limit`
    times). Each status must be what `expected(t)` says for a simulated time `t` while its request was in
    flight (checked in `order`), so a slow, loaded machine can't make it fail."""
    statuses: list[Any] = []
    for _ in range(limit):
        before = clock.now()
        status = fetch()
        after = clock.now()
        low, high = order.index(expected(before)), order.index(expected(after))
        assert low <= order.index(status) <= high, (status, before, after)
        statuses.append(status)
        if status == order[-1]:
            break
        clock.sleep(step)
    return statuses
