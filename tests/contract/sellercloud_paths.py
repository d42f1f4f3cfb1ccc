"""Sellercloud paths as the spec writes them (under `base_url`, which ends in /rest): the simulator's routes
without their prefix, for the contract and behaviour tests."""

from __future__ import annotations

from sellerkit.testing import sellercloud as _sim


def _spec(route: str) -> str:
    return route.removeprefix(_sim.API_PREFIX)


TOKEN = _spec(_sim.TOKEN_PATH)
PLUGIN_METADATA = _spec(_sim.PLUGIN_METADATA_PATH)
EXPORT = _spec(_sim.EXPORT_VIA_PLUGIN_PATH)
EXPORT_DOCS_PATH = _spec(_sim.EXPORT_VIA_PLUGIN_DOCS_PATH)
BASIC = _spec(_sim.BASIC_EXPORT_PATH)
CUSTOM = _spec(_sim.CUSTOM_EXPORT_PATH)
CUSTOM_METADATA = _spec(_sim.CUSTOM_METADATA_PATH)
JOB = _spec(_sim.JOBS_PATH) + "/{id}"
LOGS = JOB + "/Logs"
OUTPUT = _spec(_sim.OUTPUT_FILE_PATH)
CANCEL = _spec(_sim.CANCEL_PATH)
