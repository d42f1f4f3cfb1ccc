"""The vendor table (`vendors.toml`) as typed objects, plus the inputs every generation depends on."""

from __future__ import annotations

import hashlib
import json
import shlex
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


# fixes before formatting; both run on every generated file
RUFF_STEPS = ("check", "format")


def ruff_commands(ruff: dict[str, tuple[str, ...]], target: str, exe: str = "ruff") -> list[list[str]]:
    """The table's [ruff] steps as argument lists run on `target`: the one definition of the hooks."""
    return [[exe, step, *ruff[step], target] for step in RUFF_STEPS]


@dataclass(frozen=True)
class Table:
    opc: dict[str, Any]
    payload_args: tuple[str, ...]
    vendors: tuple[Vendor, ...]
    raw_sha256: str
    ruff: dict[str, tuple[str, ...]]

    def select(self, names: list[str] | None) -> list[Vendor]:
        if not names:
            return list(self.vendors)
        known = {v.name: v for v in self.vendors}
        unknown = [n for n in names if n not in known]
        if unknown:
            raise ConfigError(f"unknown vendor {', '.join(unknown)}; choose from {', '.join(sorted(known))}")
        return [known[n] for n in names]


def _missing_files(data: dict[str, Any]) -> list[str]:
    missing = []
    for name, v in data["vendor"].items():
        files = [("spec", v["spec"])]
        files += [(f"payloads[{i}].schema", p["schema"]) for i, p in enumerate(v.get("payloads", []))]
        missing += [f"vendor.{name}.{key}: no file {rel}" for key, rel in files if not (ROOT / rel).is_file()]
    return missing


def relative_root(path: Path) -> str:
    try:
        return path.relative_to(ROOT).as_posix()
    except ValueError:
        return str(path)


def _parse(path: Path, raw_bytes: bytes) -> dict[str, Any]:
    """The table, checked against generator/schema.py; every problem is reported at once, by key name."""
    from .schema import problems

    try:
        data = tomllib.loads(raw_bytes.decode())
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"{relative_root(path)}: not valid TOML: {exc}") from None
    found = problems(data) or _missing_files(data)
    if found:
        raise ConfigError(f"{relative_root(path)}:\n" + "\n".join(f"  {line}" for line in found))
    return data


def load_table(path: Path = TABLE) -> Table:
    raw_bytes = path.read_bytes()
    data = _parse(path, raw_bytes)
    vendors = tuple(
        Vendor(
            name=name,
            spec=ROOT / v["spec"],
            package=v["package"],
            payloads=tuple(
                Payload(schema=ROOT / p["schema"], module=p["module"]) for p in v.get("payloads", [])
            ),
            overrides={key: entry["value"] for key, entry in v.get("overrides", {}).items()},
        )
        for name, v in data["vendor"].items()
    )
    ruff = {step: tuple(data["ruff"][step]) for step in RUFF_STEPS}
    # openapi-python-client runs its post-hooks through a shell, in the package folder
    post_hooks = [shlex.join(cmd) for cmd in ruff_commands(ruff, ".")]
    return Table(
        opc={**data.get("opc", {}), "post_hooks": post_hooks},
        payload_args=tuple(data.get("payloads", {}).get("args", [])),
        vendors=vendors,
        raw_sha256=hashlib.sha256(raw_bytes).hexdigest(),
        ruff=ruff,
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
