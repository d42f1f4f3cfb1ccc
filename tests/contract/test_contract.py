"""Every vendor's spec fuzzed against its simulator over real HTTP, one row of `harness.CONTRACTS` each:
`test_spec_conforms__<vendor>` (responses conform; what the spec forbids is refused) and
`test_auth_is_enforced__<vendor>` (the same calls without or with wrong credentials are refused).

The tests are made per row because schemathesis parametrizes a test by one schema (one pytest item per
operation) and Hypothesis' settings (examples per operation, fixed seed) are fixed per test function.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, settings

from tests.contract.harness import AUTH_CHECKS, CONTRACTS, FUZZ_CHECKS, Case, Contract, ContractSims


@pytest.fixture(scope="module")
def contract_sims() -> Iterator[ContractSims]:
    """One simulator per vendor for the fuzzed cases (module-scoped: Hypothesis reruns a test per example)."""
    yield from ContractSims.serving()


def _fuzz(contract: Contract, checks: list[Any], examples: int, doc: str) -> Callable[..., Any]:
    @contract.schema.parametrize()
    @settings(
        max_examples=examples,
        deadline=None,
        derandomize=True,  # fixed seed: the same cases on every run
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def test(case: Case, contract_sims: ContractSims) -> None:
        sim, headers = contract_sims[contract.vendor]
        # one simulated second per case: jobs move along, tokens get renewed, quotas and limits never bind
        sim.clock.advance(1.0)
        case.call_and_validate(base_url=sim.base_url, headers=headers(), checks=checks, timeout=10)

    test.__doc__ = doc
    made: Callable[..., Any] = test
    return made


for _contract in CONTRACTS.values():
    globals()[f"test_spec_conforms__{_contract.vendor}"] = _fuzz(
        _contract,
        _contract.checks(FUZZ_CHECKS),
        _contract.max_examples,
        f"{_contract.vendor}: every response conforms, and what the spec forbids is refused.",
    )
    globals()[f"test_auth_is_enforced__{_contract.vendor}"] = _fuzz(
        _contract,
        _contract.checks(AUTH_CHECKS),
        _contract.auth_examples,
        f"{_contract.vendor}: the same call without (or with wrong) credentials is refused (401/403).",
    )


def test_every_exclusion_names_a_check_and_a_reason() -> None:
    known = {c.__name__ for c in FUZZ_CHECKS + AUTH_CHECKS}
    for contract in CONTRACTS.values():
        assert set(contract.excluded) <= known, contract.vendor
        assert set(contract.replaced) <= known, contract.vendor
        for why in (*contract.excluded.values(), *contract.phases_off.values()):
            assert why.strip(), contract.vendor
        for variant in contract.replaced.values():
            assert variant.__doc__, f"{contract.vendor}: {variant.__name__} says why it differs"
