"""The vendor table (`vendors.toml`) as typed objects, plus the inputs every generation depends on."""

from __future__ import annotations

import hashlib
import json
import tomllib
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
GENERATOR_DIR = ROOT / "generator"
TABLE = GENERATOR_DIR / "vendors.toml"
TEMPLATES = GENERATOR_DIR / "templates"
GENERATED = ROOT / "generated"
NAMESPACE = "sellerkit"
COMMAND = "python -m generator"
# tools whose version shapes the output; recorded in every manifest and part of the input hash
TOOLS = ("openapi-python-client", "datamodel-code-generator", "ruff")


class ConfigError(Exception):
    """The vendor table is malformed."""


@dataclass(frozen=True)
class Payload:
    schema: Path
    module: str


@dataclass(frozen=True)
class Vendor:
    name: str
    spec: Path
    package: str
    payloads: tuple[Payload, ...]
    overrides: dict[str, Any] = field(default_factory=dict)

    @property
    def output_dir(self) -> Path:
        return GENERATED / NAMESPACE / self.package

    def opc_config(self, common: dict[str, Any]) -> dict[str, Any]:
        return {**common, **self.overrides}

    def rel(self, path: Path) -> str:
        """Repository-relative path for headers and manifests (machine-independent)."""
        try:
            return path.relative_to(ROOT).as_posix()
        except ValueError:
            return path.name


@dataclass(frozen=True)
class Table:
    opc: dict[str, Any]
    payload_args: tuple[str, ...]
    vendors: tuple[Vendor, ...]
    raw_sha256: str

    def select(self, names: list[str] | None) -> list[Vendor]:
        if not names:
            return list(self.vendors)
        known = {v.name: v for v in self.vendors}
        unknown = [n for n in names if n not in known]
        if unknown:
            raise ConfigError(f"unknown vendor {', '.join(unknown)}; choose from {', '.join(sorted(known))}")
        return [known[n] for n in names]


def _override_values(name: str, raw: dict[str, Any]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for key, entry in raw.items():
        if not isinstance(entry, dict) or "value" not in entry or not str(entry.get("why", "")).strip():
            raise ConfigError(f"vendor {name}: override {key!r} needs {{value = ..., why = '...'}}")
        values[key] = entry["value"]
    return values


def load_table(path: Path = TABLE) -> Table:
    raw_bytes = path.read_bytes()
    data = tomllib.loads(raw_bytes.decode())
    vendors = []
    for name, v in data.get("vendor", {}).items():
        vendors.append(
            Vendor(
                name=name,
                spec=ROOT / v["spec"],
                package=v["package"],
                payloads=tuple(
                    Payload(schema=ROOT / p["schema"], module=p["module"]) for p in v.get("payloads", [])
                ),
                overrides=_override_values(name, v.get("overrides", {})),
            )
        )
    return Table(
        opc=dict(data.get("opc", {})),
        payload_args=tuple(data.get("payloads", {}).get("args", [])),
        vendors=tuple(vendors),
        raw_sha256=hashlib.sha256(raw_bytes).hexdigest(),
    )


def tool_versions() -> dict[str, str]:
    return {tool: metadata.version(tool) for tool in TOOLS}


def sha256_file(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def tree_sha256(folder: Path, pattern: str = "*") -> str:
    """Hash of every file's relative path and bytes below `folder` (sorted, so order-independent)."""
    digest = hashlib.sha256()
    for path in sorted(p for p in folder.rglob(pattern) if p.is_file() and "__pycache__" not in p.parts):
        digest.update(path.relative_to(folder).as_posix().encode() + b"\0")
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def canonical_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"))
