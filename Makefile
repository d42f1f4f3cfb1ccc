# sellerkit — the developer contract: setup, generate, test (see README.md).
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
export REDOCLY_TELEMETRY := off
export REDOCLY_SUPPRESS_UPDATE_NOTICE := true
export npm_config_loglevel := error
export npm_config_fund := false
export npm_config_audit := false
export OPTIC_TELEMETRY_LEVEL := off

.PHONY: setup redis-server generate check gates lint typecheck pytest test demo bench clean publish release-gate release ts-test mock

# Idempotent: reinstalls only when pyproject.toml / package-lock.json changed since the last install.
setup: $(VENV)/.installed node_modules/.installed redis-server

# The shared-store tests run a real redis-server (Debian's package); installed as root, or with sudo
redis-server:
	@command -v redis-server >/dev/null || { \
	  if [ "$$(id -u)" = 0 ]; then apt=apt-get; elif command -v sudo >/dev/null; then apt="sudo -n apt-get"; \
	  else echo "redis-server is missing: install Debian's redis-server package (as root)" >&2; exit 1; fi; \
	  echo "installing redis-server (apt-get)"; \
	  DEBIAN_FRONTEND=noninteractive $$apt install -y -qq redis-server >/dev/null 2>&1 || { \
	    DEBIAN_FRONTEND=noninteractive $$apt update -qq >/dev/null && \
	    DEBIAN_FRONTEND=noninteractive $$apt install -y -qq redis-server >/dev/null; }; \
	  command -v redis-server >/dev/null; }

$(VENV)/.installed: pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "sellerkit needs Python >= 3.11 (set PYTHON=python3.11)")'
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	@touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-fund --no-audit --loglevel=error
	@touch $@

generate: setup
	$(PY) -m generator

check: setup
	$(PY) -m generator --check

gates: setup
	$(PY) -m generator.gates

lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

typecheck: setup
	# both halves of the namespace by path: `mypy -p sellerkit` would only see the first one on mypy_path
	$(VENV)/bin/mypy generated/sellerkit overlays/sellerkit
	$(VENV)/bin/mypy generator tests bench demo publisher

# pytest exits 5 when it collects nothing; make treats that (like any non-zero code) as a failure
pytest: setup
	$(VENV)/bin/pytest -q

test: setup check gates lint typecheck pytest release-gate ts-test

# dist/: spec bundles, offline HTML reference, TypeScript client (tsc --strict), Python wheel + sdist, changelog
publish: setup
	$(PY) -m publisher build

# every spec against its last release (specs/releases/): a change needs a bump, a breaking one a major bump
release-gate: setup
	$(PY) -m publisher gate

# record the current spec of VENDOR as a release: writes specs/releases/$(VENDOR)/<info.version>.json to commit
release: setup
	@test -n "$(VENDOR)" || { echo "usage: make release VENDOR=wabi2b" >&2; exit 2; }
	$(PY) -m publisher release $(VENDOR)

# the generated TypeScript client drives each vendor's documented flow against the simulators (node:test + tsx)
# (tsc first: a spec change that breaks the generated types breaks the flows' types)
ts-test: publish
	node_modules/.bin/tsc -p tests/ts
	node_modules/.bin/tsx --test --test-reporter=spec tests/ts/*.test.ts

# Prism serving the docs' examples for one spec on 127.0.0.1 (see README "For other teams")
PORT ?= 4010
mock: setup
	@test -n "$(VENDOR)" || { echo "usage: make mock VENDOR=wabi2b [PORT=4010]" >&2; exit 2; }
	@echo "paths at the root (no /v1, /rest); 'Prefer: example=NAME' or 'Prefer: code=429' picks an answer"
	node_modules/.bin/prism mock specs/$(VENDOR).yaml -h 127.0.0.1 -p $(PORT)

# starts the vendor simulators on 127.0.0.1 and runs real exports through sellerkit against them
demo: setup
	$(PY) -m demo

bench: setup
	$(PY) -m bench

clean:
	rm -rf $(VENV) node_modules .mypy_cache .pytest_cache .ruff_cache dist
