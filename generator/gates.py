"""Spec gates: `python -m generator.gates [FILE ...]` — zero findings accepted.

openapi-spec-validator, Spectral (.spectral.yaml), Redocly (redocly.yaml) and an example validator, over
specs/*.yaml and specs/payloads/*.json. Each finding names its gate, rule and location.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from .config import ROOT

SPECS = ROOT / "specs"
NODE_BIN = ROOT / "node_modules" / ".bin"
SCHEMA_KEYS = {"type", "$ref", "properties", "enum", "allOf", "oneOf", "anyOf", "items"}


@dataclass(frozen=True)
class Finding:
    gate: str
    rule: str
    file: str
    location: str
    message: str

    def __str__(self) -> str:
        return f"[{self.gate}] {self.rule} {self.file}:{self.location} — {self.message}"


def spec_files() -> list[Path]:
    return sorted(SPECS.glob("*.yaml"))


def payload_files() -> list[Path]:
    return sorted((SPECS / "payloads").glob("*.json"))


def _rel(path: Path | str) -> str:
    p = Path(path).resolve()
    try:
        return p.relative_to(ROOT).as_posix()
    except ValueError:
        return str(path)


def _pointer(parts: Any) -> str:
    return "/" + "/".join(str(p).replace("~", "~0").replace("/", "~1") for p in parts)


def _node(tool: str, *args: str) -> subprocess.CompletedProcess[str]:
    exe = NODE_BIN / tool
    if not exe.exists():
        raise FileNotFoundError(f"{exe} is missing: run `make setup` (npm ci) first")
    env = dict(
        os.environ,
        REDOCLY_TELEMETRY="off",
        REDOCLY_SUPPRESS_UPDATE_NOTICE="true",
        npm_config_loglevel="error",
        NO_COLOR="1",
    )
    return subprocess.run([str(exe), *args], cwd=ROOT, env=env, capture_output=True, text=True)


# --- openapi-spec-validator ---------------------------------------------------------------------


def openapi_findings(path: Path) -> list[Finding]:
    from openapi_spec_validator import OpenAPIV30SpecValidator

    spec = yaml.safe_load(path.read_text(encoding="utf-8"))
    return [
        Finding(
            "openapi-spec-validator",
            str(err.validator or "schema"),
            _rel(path),
            _pointer(err.absolute_path),
            err.message,
        )
        for err in OpenAPIV30SpecValidator(spec).iter_errors()
    ]


# --- Spectral -----------------------------------------------------------------------------------


def spectral_findings(paths: list[Path]) -> list[Finding]:
    if not paths:
        return []
    proc = _node(
        "spectral",
        "lint",
        *map(str, paths),
        "--ruleset",
        str(ROOT / ".spectral.yaml"),
        "-f",
        "json",
        "--quiet",
    )
    text = proc.stdout.strip()
    if proc.returncode not in (0, 1) or not text.startswith("["):
        return [
            Finding(
                "spectral",
                "run",
                "-",
                "-",
                f"spectral failed (rc {proc.returncode}): {(proc.stderr or proc.stdout).strip()[:2000]}",
            )
        ]
    return [
        Finding(
            "spectral",
            r["code"],
            _rel(r.get("source", "?")),
            f"{r['range']['start']['line'] + 1} {_pointer(r.get('path', []))}",
            r["message"],
        )
        for r in json.loads(text)
        if r.get("severity", 0) <= 2  # errors, warnings and infos all count; hints don't exist here
    ]


# --- Redocly ------------------------------------------------------------------------------------


def _json_documents(text: str) -> Iterator[Any]:
    # redocly prints one JSON document per linted file, back to back
    decoder, i = json.JSONDecoder(), 0
    while True:
        start = text.find("{", i)
        if start < 0:
            return
        doc, i = decoder.raw_decode(text, start)
        yield doc


def redocly_findings(paths: list[Path]) -> list[Finding]:
    if not paths:
        return []
    proc = _node(
        "redocly",
        "lint",
        *map(str, paths),
        "--format",
        "json",
        "--config",
        str(ROOT / "redocly.yaml"),
    )
    try:
        docs = list(_json_documents(proc.stdout))
    except ValueError:
        docs = []
    if not docs:
        return [
            Finding(
                "redocly",
                "run",
                "-",
                "-",
                f"redocly failed (rc {proc.returncode}): {(proc.stderr or proc.stdout).strip()[-2000:]}",
            )
        ]
    findings = []
    for doc in docs:
        for p in doc.get("problems", []):
            loc = (p.get("location") or [{}])[0]
            line = (loc.get("start") or {}).get("line", "?")
            src = (ROOT / loc.get("source", {}).get("ref", "?")).resolve()
            findings.append(
                Finding(
                    "redocly",
                    p["ruleId"],
                    _rel(src),
                    f"{line} {loc.get('pointer', '')}",
                    f"{p['severity']}: {p['message']}",
                )
            )
    return findings


# --- examples -----------------------------------------------------------------------------------


def _walk(node: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[tuple[Any, ...], dict[str, Any]]]:
    if isinstance(node, dict):
        yield path, node
        for key, value in node.items():
            yield from _walk(value, (*path, key))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _walk(value, (*path, i))


def _spec_examples(spec: dict[str, Any]) -> Iterator[tuple[tuple[Any, ...], dict[str, Any], Any]]:
    """(location, schema, example value) for every example the spec carries."""
    for path, node in _walk(spec):
        if any(p in ("example", "examples") for p in path):
            continue  # inside an example value
        schema = node.get("schema")
        if isinstance(schema, dict):  # a media type, parameter or header object
            if "example" in node:
                yield (*path, "example"), schema, node["example"]
            for name, ex in (node.get("examples") or {}).items():
                ex = _resolve(spec, ex)
                if isinstance(ex, dict) and "value" in ex:
                    yield (*path, "examples", name, "value"), schema, ex["value"]
        elif "example" in node and SCHEMA_KEYS & node.keys():  # a schema object with its own example
            yield (
                (*path, "example"),
                {k: v for k, v in node.items() if k != "example"},
                node["example"],
            )


def _resolve(spec: dict[str, Any], node: Any) -> Any:
    while isinstance(node, dict) and isinstance(node.get("$ref"), str) and node["$ref"].startswith("#/"):
        target: Any = spec
        for part in node["$ref"][2:].split("/"):
            target = target[part.replace("~1", "/").replace("~0", "~")]
        node = target
    return node


def spec_example_findings(path: Path) -> list[Finding]:
    from jsonschema.exceptions import ValidationError
    from openapi_schema_validator import OAS30Validator
    from referencing import Registry, Resource
    from referencing.jsonschema import DRAFT4

    spec = yaml.safe_load(path.read_text(encoding="utf-8"))
    registry: Registry[Any] = Registry().with_resource(
        "urn:spec", Resource.from_contents(spec, default_specification=DRAFT4)
    )
    findings = []
    for where, schema, value in _spec_examples(spec):
        wrapped = {**schema} if "$ref" not in schema else schema
        rebased = json.loads(json.dumps(wrapped).replace('"#/', '"urn:spec#/'))
        errors: list[ValidationError] = list(OAS30Validator(rebased, registry=registry).iter_errors(value))
        findings += [
            Finding(
                "examples",
                "example-matches-schema",
                _rel(path),
                _pointer(where) + _pointer(e.absolute_path).rstrip("/"),
                e.message[:300],
            )
            for e in errors
        ]
    return findings


def payload_example_findings(path: Path) -> list[Finding]:
    from jsonschema import Draft202012Validator
    from jsonschema.validators import validator_for

    schema = json.loads(path.read_text(encoding="utf-8"))
    cls = validator_for(schema, default=Draft202012Validator)
    findings = [
        Finding("examples", "schema-is-valid", _rel(path), _pointer(e.absolute_path), e.message[:300])
        for e in cls(cls.META_SCHEMA).iter_errors(schema)
    ]
    if not schema.get("examples"):
        findings.append(
            Finding(
                "examples",
                "payload-has-examples",
                _rel(path),
                "/examples",
                "payload schemas carry the docs' example payloads under `examples`",
            )
        )
    for i, example in enumerate(schema.get("examples", [])):
        findings += [
            Finding(
                "examples",
                "example-matches-schema",
                _rel(path),
                f"/examples/{i}{_pointer(e.absolute_path).rstrip('/')}",
                e.message[:300],
            )
            for e in cls(schema).iter_errors(example)
        ]
    return findings


def run_all(files: list[Path] | None = None) -> list[Finding]:
    files = [Path(f).resolve() for f in files] if files else [*spec_files(), *payload_files()]
    specs = [f for f in files if f.suffix in (".yaml", ".yml")]
    payloads = [f for f in files if f.suffix == ".json"]
    findings: list[Finding] = []
    for spec in specs:
        findings += openapi_findings(spec)
        findings += spec_example_findings(spec)
    for payload in payloads:
        findings += payload_example_findings(payload)
    findings += spectral_findings(specs)
    findings += redocly_findings(specs)
    return findings


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    files = [Path(a) for a in args] or None
    findings = run_all(files)
    for finding in findings:
        print(finding)
    checked = files or [*spec_files(), *payload_files()]
    names = ", ".join(_rel(f) for f in checked)
    if findings:
        print(f"spec gates: {len(findings)} finding(s) in {names}")
        return 1
    print(f"spec gates: clean ({names})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
