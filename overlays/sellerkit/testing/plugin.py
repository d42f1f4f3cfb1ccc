"""The pytest plugin of `sellerkit[testing]` (entry point `pytest11`): the simulator fixtures in any project.

    def test_products_export(selsup_sim, tmp_path):
        job = selsup_sim.client().start_export(export_products_file, body=ProductFilter(limit=10))
        assert job.download(tmp_path).size > 0

`<vendor>_sim` is a running simulator (`.client()` is a client pointed at it, on its clock); see
`sellerkit.testing.fixtures` for all of them. Without the testing extra's server packages (starlette,
uvicorn, PyYAML) installed the plugin adds nothing, so a plain `pip install sellerkit` never breaks pytest.
"""

from __future__ import annotations

import importlib.util

if all(importlib.util.find_spec(name) for name in ("starlette", "uvicorn", "yaml")):
    from .fixtures import *  # noqa: F403 (the fixtures are the plugin)
    from .fixtures import __all__ as __all__
else:
    __all__: list[str] = []  # type: ignore[no-redef]
