"""Import time: `import sellerkit.wabi2b` vs `import httpx`, each in fresh interpreters (wall time).

ROUNDS rounds; in each, every statement runs BEST_OF times back to back in fresh `python -c` interpreters
(the statements interleaved, the order rotating) and the round keeps each statement's fastest run (startup
noise only adds time); each ratio is taken per round and reported as the median (min, max) of the rounds.
Bytecode is cached for every module alike in a temporary PYTHONPYCACHEPREFIX (see `_env`). Also recorded:
bare interpreter startup, the ratio net of it, the same ratio with httpx's optional CLI imports blocked,
and the self time (`-X importtime`) of the modules sellerkit.wabi2b loads beyond httpx's; above the goal,
that last one is printed by package.
"""

from __future__ import annotations

import re
import subprocess
import sys
import tempfile

from bench._common import (
    ROOT,
    Figure,
    Goal,
    at_most,
    child_env,
    interleaved,
    per_round,
    ratios,
    rounds,
    timed,
)

ROUNDS = 7
BEST_OF = 3
GOAL = 1.5
GOALS: dict[str, Goal] = {"import_ratio_vs_httpx": at_most(GOAL)}

# httpx imports its CLI (click, rich, pygments: 40-50 ms) whenever click is importable, as in this dev venv;
# the "lean" pair blocks click to show what an install without those packages sees
_NO_CLI = "import sys; sys.modules['click'] = None; "
_STATEMENTS = {
    "python": "pass",
    "httpx": "import httpx",
    "wabi2b": "import sellerkit.wabi2b",
    "httpx_lean": _NO_CLI + "import httpx",
    "wabi2b_lean": _NO_CLI + "import sellerkit.wabi2b",
}


def _env(cache: str) -> dict[str, str]:
    # Bytecode cached for every module alike, outside the work tree: with PYTHONDONTWRITEBYTECODE set (as
    # in some shells and CI) the editable sellerkit would be compiled from source on every run while
    # httpx's .pyc files came with its wheel install -- not what a user's second run of a program sees.
    env = child_env(importable=False)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPYCACHEPREFIX"] = cache
    return env


def _fresh(statement: str, env: dict[str, str]) -> float:
    return timed(lambda: subprocess.run([sys.executable, "-c", statement], cwd=ROOT, env=env, check=True))


def _importtime(module: str, env: dict[str, str]) -> list[tuple[int, int, int, str]]:
    """`python -X importtime -c "import MODULE"` as (self µs, cumulative µs, depth, module) lines."""
    out = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", f"import {module}"],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stderr
    rows = []
    for line in out.splitlines():
        match = re.match(r"import time:\s+(\d+) \|\s+(\d+) \|( *)(\S+)$", line)
        if match:
            rows.append((int(match[1]), int(match[2]), len(match[3]), match[4]))
    return rows


def _group(module: str) -> str:
    parts = module.split(".")
    return ".".join(parts[:2]) if parts[0] == "sellerkit" and len(parts) > 1 else parts[0]


def beyond_httpx(env: dict[str, str], n: int = 12) -> tuple[int, list[tuple[int, str]]]:
    """What `import sellerkit.wabi2b` loads that `import httpx` does not: (self µs, top n packages by µs)."""
    httpx_modules = {name for *_, name in _importtime("httpx", env)}
    groups: dict[str, int] = {}
    for own, _, _, name in _importtime("sellerkit.wabi2b", env):
        if name not in httpx_modules:
            groups[_group(name)] = groups.get(_group(name), 0) + own
    ranked = sorted(((us, group) for group, us in groups.items()), reverse=True)
    return sum(groups.values()), ranked[:n]


def run() -> dict[str, Figure]:
    with tempfile.TemporaryDirectory(prefix="sellerkit-bench-pycache-") as cache:
        env = _env(cache)
        for statement in _STATEMENTS.values():  # fill the bytecode cache, warm the page cache
            _fresh(statement, env)
        # one side = one statement's best of BEST_OF fresh runs, back to back
        sides = {
            name: (lambda s=statement: min(_fresh(s, env) for _ in range(BEST_OF)))
            for name, statement in _STATEMENTS.items()
        }
        best = interleaved(sides, ROUNDS)
        extra_us, offenders = beyond_httpx(env)
    ratio = ratios(best["wabi2b"], best["httpx"])
    net = per_round(lambda w, h, p: (w - p) / (h - p), best["wabi2b"], best["httpx"], best["python"])
    lean = ratios(best["wabi2b_lean"], best["httpx_lean"])
    figures: dict[str, Figure] = {
        "import_beyond_httpx_self_ms": round(extra_us / 1000, 1),
        "import_python_startup_s": rounds(best["python"], 4),
        "import_httpx_s": rounds(best["httpx"], 4),
        "import_sellerkit_wabi2b_s": rounds(best["wabi2b"], 4),
        "import_ratio_vs_httpx": rounds(ratio),
        "import_net_ratio_vs_httpx": rounds(net),
        "import_ratio_vs_httpx_without_cli_extras": rounds(lean),
    }
    if rounds(ratio).median > GOAL:
        print(
            f"  import sellerkit.wabi2b above goal; -X importtime: modules it loads beyond httpx's take "
            f"{extra_us / 1000:.0f} ms (self time), by package:"
        )
        for own, module in offenders:
            print(f"    {own / 1000:6.1f} ms  {module}")
    return figures
