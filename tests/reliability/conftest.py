"""The reliability suite: every simulator fault against every vendor, summarised in one table."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from tests.reliability.scenarios import ScenarioResult

RESULTS: list[ScenarioResult] = []


@pytest.fixture
def record() -> list[ScenarioResult]:
    """Where each scenario test appends its `ScenarioResult` for the summary table."""
    return RESULTS


@dataclass
class _Totals:
    run: int = 0
    survived: int = 0
    identical: int = 0
    partial: int = 0
    duplicate_starts: int = 0


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if not RESULTS:
        return
    write = terminalreporter.write_line
    write("")
    write("reliability suite")
    header = (
        f"{'scenario':<26}{'vendor':<13}{'mode':<7}{'outcome':<34}{'identical':<11}{'partial':<9}"
        f"{'requests':>8}"
    )
    write(header)
    write("-" * len(header))
    totals = _Totals()
    for r in sorted(RESULTS, key=lambda r: (r.scenario, r.vendor, r.mode)):
        totals.run += 1
        totals.survived += r.survived
        totals.identical += r.identical is True
        totals.partial += r.partial_files
        totals.duplicate_starts += max(0, r.job_starts - r.expected_job_starts)
        identical = "n/a" if r.identical is None else ("yes" if r.identical else "NO")
        write(
            f"{r.scenario:<26}{r.vendor:<13}{r.mode:<7}{r.outcome[:33]:<34}{identical:<11}"
            f"{r.partial_files:<9}{r.requests:>8}"
        )
    write("-" * len(header))
    write(
        f"scenarios run {totals.run}, survived {totals.survived}, byte-identical {totals.identical}, "
        f"partial files left {totals.partial}, duplicate job starts {totals.duplicate_starts}"
    )
