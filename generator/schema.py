"""The JSON Schema of `vendors.toml`, and its errors as the offending key's full name.

jsonschema (a pinned dev dependency, already used by openapi-spec-validator) does the checking; only the
wording is ours, so a typo reads `vendor.wabi2b.pakage: unknown key; known: ...` rather than a schema path.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from jsonschema import Draft202012Validator, ValidationError

_STRING = {"type": "string"}
_BOOLEAN = {"type": "boolean"}
_ARGS = {"type": "array", "items": _STRING}
_IDENTIFIER = {
    "type": "string",
    "pattern": "^[a-z_][a-z0-9_]*$",
    "x-message": "must be a lowercase Python identifier (letters, digits, _)",
}
_REASON = {"type": "string", "pattern": r"\S", "x-message": "must say why the override is needed (is empty)"}

# openapi-python-client's own config keys (its ConfigFile, 0.29.1; tests/generator/test_config.py keeps this
# in step with the installed version). It ignores keys it doesn't know, so a typo would silently do nothing.
# post_hooks is absent: the table's [ruff] builds it.
OPC_KEYS: dict[str, dict[str, Any]] = {
    "class_overrides": {
        "type": "object",
        "additionalProperties": {
            "type": "object",
            "additionalProperties": False,
            "properties": {"class_name": _STRING, "module_name": _STRING},
        },
    },
    "content_type_overrides": {"type": "object", "additionalProperties": _STRING},
    "project_name_override": _STRING,
    "package_name_override": _STRING,
    "package_version_override": _STRING,
    "use_path_prefixes_for_title_model_names": _BOOLEAN,
    "docstrings_on_attributes": _BOOLEAN,
    "field_prefix": _STRING,
    "generate_all_tags": _BOOLEAN,
    "http_timeout": {"type": "integer"},
    "literal_enums": _BOOLEAN,
}


def _table(properties: dict[str, Any], required: tuple[str, ...] = ()) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": properties,
        "required": list(required),
        "additionalProperties": False,
    }


SCHEMA: dict[str, Any] = _table(
    {
        "ruff": _table({"check": _ARGS, "format": _ARGS}, required=("check", "format")),
        "opc": _table(OPC_KEYS),
        "payloads": _table({"args": _ARGS}, required=("args",)),
        "vendor": {
            "type": "object",
            "minProperties": 1,
            "propertyNames": {
                **_IDENTIFIER,
                "x-message": "must be a lowercase Python identifier (the overlay is sellerkit.<name>)",
            },
            "additionalProperties": _table(
                {
                    "spec": _STRING,
                    "package": _IDENTIFIER,
                    "payloads": {
                        "type": "array",
                        "items": _table(
                            {"schema": _STRING, "module": _IDENTIFIER}, required=("schema", "module")
                        ),
                    },
                    # one {value, why} entry per openapi-python-client key the vendor changes
                    "overrides": _table(
                        {
                            key: _table({"value": schema, "why": _REASON}, required=("value", "why"))
                            for key, schema in OPC_KEYS.items()
                        }
                    ),
                },
                required=("spec", "package"),
            ),
        },
    },
    required=("ruff", "vendor"),
)

_VALIDATOR = Draft202012Validator(SCHEMA)
_TOML_TYPES = {
    "object": "a table",
    "array": "an array",
    "string": "a string",
    "integer": "an integer",
    "boolean": "a boolean",
}


def _key(part: str | int) -> str:
    if isinstance(part, int):
        return f"[{part}]"
    return part if re.fullmatch(r"[A-Za-z0-9_-]+", part) else f'"{part}"'


def _name(parts: list[str | int]) -> str:
    name = ""
    for part in parts:
        name += _key(part) if isinstance(part, int) or not name else "." + _key(part)
    return name


def _toml_type(value: object) -> str:
    for kind, words in _TOML_TYPES.items():
        if _VALIDATOR.is_type(value, kind):
            return words
    return type(value).__name__


def _messages(error: ValidationError) -> list[str]:
    path = list(error.absolute_path)
    where = _name(path) or "(top level)"
    kind = error.validator
    schema = error.schema if isinstance(error.schema, Mapping) else {}
    if kind == "additionalProperties" and isinstance(error.instance, dict):
        known = list(schema.get("properties", {}))
        extra = [k for k in error.instance if k not in known]
        return [f"{_name([*path, k])}: unknown key; known: {', '.join(known) or 'none'}" for k in extra]
    if kind == "required" and isinstance(error.instance, dict):
        return [f"{where}: missing {key!r}" for key in schema["required"] if key not in error.instance]
    if "propertyNames" in error.relative_schema_path:  # the key itself is wrong: name it, not its parent
        where = _name([*path, str(error.instance)])
    if kind == "type":
        wanted = _TOML_TYPES.get(str(error.validator_value))
        return [f"{where}: must be {wanted}, not {_toml_type(error.instance)}"]
    return [f"{where}: {schema.get('x-message') or error.message}"]


def problems(data: dict[str, Any]) -> list[str]:
    """Every way `data` (the parsed table) breaks the schema, one line each, sorted by key."""
    errors = sorted(_VALIDATOR.iter_errors(data), key=lambda e: [str(p) for p in e.absolute_path])
    return [message for error in errors for message in _messages(error)]
