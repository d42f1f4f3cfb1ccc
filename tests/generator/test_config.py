"""The vendor table's schema: every unknown key, missing key and missing reason fails naming the key."""

from __future__ import annotations

import ast
import shlex
from pathlib import Path

import pytest

from generator.config import GENERATOR_DIR, ConfigError, load_table, ruff_commands
from generator.schema import OPC_KEYS

# a small valid table (real spec files: the loader checks they exist); each case below breaks one thing
VALID = """\
[ruff]
check = ["--isolated", "--fix-only"]
format = ["--isolated"]

[opc]
docstrings_on_attributes = true

[payloads]
args = ["--disable-timestamp"]

[vendor.wabi2b]
spec = "specs/wabi2b.yaml"
package = "wabi2b_api"
payloads = [{ schema = "specs/payloads/wabi2b-products.json", module = "products" }]

[vendor.selsup]
spec = "specs/selsup.yaml"
package = "selsup_api"

[vendor.selsup.overrides.content_type_overrides]
value = { "application/pdf" = "application/octet-stream" }
why = "the reason"
"""

OVERRIDE = "[vendor.selsup.overrides.content_type_overrides]"
OPC_KNOWN = ", ".join(OPC_KEYS)

# (case, replaced text, replacement, the exact problem line)
CASES = [
    ("unknown top-level key", "[opc]", "[opcc]", "opcc: unknown key; known: ruff, opc, payloads, vendor"),
    (
        "unknown [opc] key",
        "docstrings_on_attributes",
        "docstring_on_attributes",
        f"opc.docstring_on_attributes: unknown key; known: {OPC_KNOWN}",
    ),
    (
        "post_hooks belong to [ruff]",
        "docstrings_on_attributes = true",
        'post_hooks = ["ruff check ."]',
        f"opc.post_hooks: unknown key; known: {OPC_KNOWN}",
    ),
    ("unknown [payloads] key", "args = ", "arg = ", "payloads.arg: unknown key; known: args"),
    ("unknown [ruff] key", "format = ", "fmt = ", "ruff.fmt: unknown key; known: check, format"),
    (
        "unknown vendor key",
        'package = "wabi2b_api"',
        'package = "wabi2b_api"\npakage = "x"',
        "vendor.wabi2b.pakage: unknown key; known: spec, package, payloads, overrides",
    ),
    (
        "unknown payload entry key",
        'module = "products" }',
        'module = "products", modul = "x" }',
        "vendor.wabi2b.payloads[0].modul: unknown key; known: schema, module",
    ),
    (
        "unknown override name",
        OVERRIDE,
        "[vendor.selsup.overrides.content_types]",
        f"vendor.selsup.overrides.content_types: unknown key; known: {OPC_KNOWN}",
    ),
    (
        "unknown override entry key",
        'why = "the reason"',
        'why = "the reason"\nbecause = "x"',
        "vendor.selsup.overrides.content_type_overrides.because: unknown key; known: value, why",
    ),
    (
        "override without a reason",
        'why = "the reason"',
        "",
        "vendor.selsup.overrides.content_type_overrides: missing 'why'",
    ),
    (
        "override with a blank reason",
        'why = "the reason"',
        'why = "  "',
        "vendor.selsup.overrides.content_type_overrides.why: must say why the override is needed (is empty)",
    ),
    (
        "override without a value",
        'value = { "application/pdf" = "application/octet-stream" }',
        "",
        "vendor.selsup.overrides.content_type_overrides: missing 'value'",
    ),
    (
        "override value of the wrong type",
        '"application/pdf" = "application/octet-stream"',
        '"application/pdf" = 1',
        'vendor.selsup.overrides.content_type_overrides.value."application/pdf": '
        "must be a string, not an integer",
    ),
    ("vendor without package", 'package = "selsup_api"\n', "", "vendor.selsup: missing 'package'"),
    ("vendor without spec", 'spec = "specs/selsup.yaml"\n', "", "vendor.selsup: missing 'spec'"),
    (
        "payload without module",
        ', module = "products"',
        "",
        "vendor.wabi2b.payloads[0]: missing 'module'",
    ),
    ("[ruff] without format", 'format = ["--isolated"]', "", "ruff: missing 'format'"),
    (
        "wrong type",
        "docstrings_on_attributes = true",
        'docstrings_on_attributes = "yes"',
        "opc.docstrings_on_attributes: must be a boolean, not a string",
    ),
    (
        "package not an identifier",
        'package = "selsup_api"',
        'package = "selsup-api"',
        "vendor.selsup.package: must be a lowercase Python identifier (letters, digits, _)",
    ),
    (
        "vendor name not an identifier",
        "[vendor.wabi2b]",
        "[vendor.Wabi2b]",
        "vendor.Wabi2b: must be a lowercase Python identifier (the overlay is sellerkit.<name>)",
    ),
    (
        "spec file that doesn't exist",
        "specs/selsup.yaml",
        "specs/selsupp.yaml",
        "vendor.selsup.spec: no file specs/selsupp.yaml",
    ),
]


def _load(tmp_path: Path, text: str) -> None:
    table = tmp_path / "vendors.toml"
    table.write_text(text)
    load_table(table)


def _problems(tmp_path: Path, text: str) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        _load(tmp_path, text)
    head, *lines = str(caught.value).splitlines()
    assert head.endswith("vendors.toml:"), head  # the file is named first
    return [line.strip() for line in lines]


def test_the_valid_table_and_the_real_one_load(tmp_path: Path) -> None:
    _load(tmp_path, VALID)
    assert load_table().vendors


@pytest.mark.parametrize(("old", "new", "problem"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_each_problem_names_the_key(tmp_path: Path, old: str, new: str, problem: str) -> None:
    assert VALID.count(old) == 1, old
    assert problem in _problems(tmp_path, VALID.replace(old, new))


def test_every_problem_is_reported_at_once(tmp_path: Path) -> None:
    broken = VALID.replace("[opc]", "[opcc]").replace('why = "the reason"', "")
    assert _problems(tmp_path, broken) == [
        "opcc: unknown key; known: ruff, opc, payloads, vendor",
        "vendor.selsup.overrides.content_type_overrides: missing 'why'",
    ]


def test_invalid_toml_says_so(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"vendors\.toml: not valid TOML: .*line 1"):
        _load(tmp_path, "[vendor\n")


def test_the_opc_keys_are_openapi_python_clients_own() -> None:
    from openapi_python_client.config import ConfigFile

    # a key the installed version added or dropped must be added to (or removed from) generator/schema.py
    assert set(OPC_KEYS) == set(ConfigFile.model_fields) - {"post_hooks"}


def test_ruff_arguments_live_only_in_the_table() -> None:
    table = load_table()
    assert table.opc["post_hooks"] == [shlex.join(cmd) for cmd in ruff_commands(table.ruff, ".")]
    assert [cmd[1] for cmd in ruff_commands(table.ruff, ".")] == ["check", "format"]
    # no ruff flag is spelled in generator code: string constants only (comments may mention them)
    flags = {arg for args in table.ruff.values() for arg in args if arg.startswith("--")}
    spelled = [
        f"{source.name}: {node.value}"
        for source in GENERATOR_DIR.glob("*.py")
        for node in ast.walk(ast.parse(source.read_text()))
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value in flags
    ]
    assert flags and spelled == []
