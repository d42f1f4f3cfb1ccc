"""Every fault of the simulator framework against every vendor: success with identical bytes, or the
documented typed error; never a partial file; never a re-sent job-creating request."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.reliability.scenarios import CASES, SCENARIOS, ScenarioResult, VendorCase, sha256

pytestmark = pytest.mark.reliability


@pytest.mark.parametrize("mode", ["sync", "async"])
@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
@pytest.mark.parametrize("scenario", list(SCENARIOS))
def test_scenario(
    scenario: str, case: VendorCase, mode: str, tmp_path: Path, record: list[ScenarioResult]
) -> None:
    expected_error = case.expected_error(scenario) if hasattr(case, "expected_error") else SCENARIOS[scenario]
    run = case.run(scenario, mode, tmp_path)
    error, files, expected = run.error, run.files, run.expected_sha256
    leftovers = [p for p in tmp_path.rglob("*") if p.name.endswith((".sellerkit-part", ".sellerkit-meta"))]
    identical = all(sha256(p) == expected[p.name] for p in files) if files else None
    if expected_error is None:
        survived = error is None and bool(files) and identical is True
        outcome = "success" if error is None else f"{type(error).__name__}"
    else:
        survived = isinstance(error, expected_error)
        outcome = (
            f"{type(error).__name__} (expected)"
            if survived
            else f"{type(error).__name__ if error else 'no error'}"
        )
    result = ScenarioResult(
        scenario, case.name, mode, outcome, survived, identical, len(leftovers), run.requests, run.job_starts
    )
    record.append(result)
    assert survived, f"{scenario} on {case.name} ({mode}): {outcome}: {error}"
    assert not leftovers, f"partial files left: {leftovers}"
    assert run.job_starts <= 1, f"{run.job_starts} job starts: a job-creating request was re-sent"
