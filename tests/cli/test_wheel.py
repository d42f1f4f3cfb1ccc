"""A user's project: the BUILT WHEEL installed in a fresh virtual environment, its own pytest file using the
simulator fixtures (the `pytest11` plugin of sellerkit[testing]) and the console script.

Marked `wheel` (about 15 s: a wheel build and a venv). The venv has no access to this checkout: the wheel
is installed with `--no-deps`, and the dependencies come from this project's environment through a path
file (offline; on a machine with registry access `pip install 'sellerkit-*.whl[testing]'` does the same).
"""

from __future__ import annotations

import os
import site
import subprocess
import sys
import venv
from pathlib import Path

import pytest

from tests.conftest import ROOT

pytestmark = pytest.mark.wheel


def _readme_example() -> str:
    """The user test the README shows (section "Testing your code against the simulators"), as written."""
    section = (ROOT / "README.md").read_text().split("## Testing your code against the simulators", 1)[1]
    return section.split("```python\n", 1)[1].split("```", 1)[0]


USER_TEST = (
    _readme_example()
    + """

def test_every_vendor_has_a_fixture(request):
    import sys

    import sellerkit
    import sellerkit.testing.plugin as plugin
    from sellerkit._core.registry import vendor_names

    assert sellerkit.__file__.startswith(sys.prefix)  # the wheel in this venv, not a checkout
    for vendor in vendor_names():
        assert f"{vendor}_sim" in plugin.__all__
        request.getfixturevalue(f"{vendor}_sim").client().close()
"""
)


def _run(args: list[str], cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=240, check=False)


def test_a_user_project_installs_the_wheel_and_uses_the_fixtures(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    built = _run(
        [
            sys.executable,
            "-m",
            "build",
            "--no-isolation",
            "--wheel",
            "--outdir",
            str(tmp_path / "dist"),
            str(ROOT),
        ],
        tmp_path,
        env,
    )
    assert built.returncode == 0, built.stdout[-2000:] + built.stderr[-2000:]
    (wheel,) = (tmp_path / "dist").glob("sellerkit-*.whl")

    home = tmp_path / "venv"
    venv.create(home, with_pip=True)
    python = home / "bin" / "python"
    purelib = _run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"], tmp_path, env
    )
    # the dependencies (httpx, starlette, uvicorn, pytest, ...) from this environment, not its sellerkit:
    # a path file adds the folder without running its .pth files (the editable install's among them)
    (Path(purelib.stdout.strip()) / "project-deps.pth").write_text(site.getsitepackages()[0] + "\n")
    installed = _run(
        [str(python), "-m", "pip", "install", "--no-deps", "--no-index", str(wheel)], tmp_path, env
    )
    assert installed.returncode == 0, installed.stderr[-2000:]

    project = tmp_path / "project"
    project.mkdir()
    (project / "test_user.py").write_text(USER_TEST)
    env["SELLERKIT_STATE_DIR"] = str(tmp_path / "state")
    tested = _run([str(python), "-m", "pytest", "-q", "-p", "no:cacheprovider", "test_user.py"], project, env)
    assert tested.returncode == 0, tested.stdout[-3000:] + tested.stderr[-2000:]
    assert "2 passed" in tested.stdout

    script = _run([str(home / "bin" / "sellerkit"), "simulate", "selsup", "--duration", "0.2"], project, env)
    assert script.returncode == 0 and "SelSup simulator: http://127.0.0.1:" in script.stdout, script.stderr
