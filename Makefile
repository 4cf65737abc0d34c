# NetWeave developer tasks. `make demo` and `make test` are the two README commands.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PYTEST_ARGS ?=

.PHONY: install demo demo-real serve test lint typecheck layers check format clean services web browser sshd ldap radius netlab nginx docs

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip wheel setuptools
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

## The web UI: npm packages (lockfile) built by Vite into the Python package, no CDN.
WEB_BUILD := src/netweave/web/static/index.html
$(WEB_BUILD): web/package.json web/package-lock.json web/index.html web/vite.config.ts web/build.mjs web/tsconfig.json $(shell find web/src -type f)
	# npm install (from the lockfile), not npm ci: with this registry's metadata npm ci
	# reports platform-optional packages missing from any lockfile it writes itself.
	npm install --prefix web --no-audit --no-fund --loglevel=error
	npm run build --prefix web

web: $(WEB_BUILD)

install: $(STAMP) $(WEB_BUILD)

## The demo: server on the embedded default (SQLite) with a seeded device lab.
demo: install
	NETWEAVE_DATA_DIR=$${NETWEAVE_DATA_DIR:-$(CURDIR)/.demo-data} $(BIN)/netweave serve --demo

## The demo on real FRRouting routers in network namespaces (root; `make netlab` installs FRR).
demo-real: install netlab
	NETWEAVE_DATA_DIR=$${NETWEAVE_DATA_DIR:-$(CURDIR)/.demo-real-data} $(BIN)/netweave serve --demo-real

serve: install
	$(BIN)/netweave serve

lint: install
	$(BIN)/ruff check src tests
	$(BIN)/ruff format --check src tests

typecheck: install
	$(BIN)/mypy

layers: install
	$(BIN)/lint-imports

check: lint typecheck layers

## Lint, type-check, layering contract, then the whole suite (SQLite and PostgreSQL) in four
## processes, a test file per process (pytest-xdist), slowest files first
## (tests/durations.json, remade by scripts/test-durations): every fixture is per process
## (ports bound by the fixture, per-test queues and node names, per-process data
## directories). Many tests wait on devices, leases and restarts, so four processes keep two
## cores busy. PYTEST_WORKERS=1 runs it serially. The 30 slowest tests are listed at the end.
PYTEST_WORKERS ?= 4
test: check services browser sshd ldap radius netlab nginx
	$(BIN)/pytest -q --durations=30 $(if $(filter-out 1,$(PYTEST_WORKERS)),-n $(PYTEST_WORKERS) --dist loadfile --no-loadscope-reorder) $(PYTEST_ARGS)

## Debian's FRRouting, lldpd and OpenSSH for the real lab (tests/netlab, make demo-real).
netlab:
	bash scripts/ensure-netlab

## Debian's Chromium for the UI tests (Playwright drives it; no browser download).
browser:
	bash scripts/ensure-browser

## Debian's OpenSSH server: the jump-host tests start their own sshd on loopback.
sshd:
	bash scripts/ensure-sshd

## Debian's OpenLDAP (slapd, ldap-utils): the directory sign-in tests start their own slapd.
ldap:
	bash scripts/ensure-ldap

nginx:
	bash scripts/ensure-nginx

radius:
	bash scripts/ensure-radius

services:
	bash scripts/ensure-services

## The documentation site (mkdocs-material, offline): the API reference is generated from
## the app's OpenAPI, then `mkdocs build --strict` into site/.
docs: $(STAMP)
	$(BIN)/python -c 'import material' 2>/dev/null || $(BIN)/python -m pip install --quiet 'mkdocs-material>=9.5'
	$(BIN)/python scripts/openapi_docs.py --out docs
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict --site-dir site

format: install
	$(BIN)/ruff format src tests
	$(BIN)/ruff check --fix src tests

clean:
	rm -rf $(VENV) .demo-data .demo-real-data .mypy_cache .ruff_cache web/node_modules src/netweave/web/static
