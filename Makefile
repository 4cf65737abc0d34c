# NetWeave developer tasks. `make demo` and `make test` are the two README commands.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PYTEST_ARGS ?=

.PHONY: install demo serve test lint typecheck layers check format clean services

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip wheel setuptools
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

## The demo: server on the embedded default (SQLite) with a seeded device lab.
demo: install
	NETWEAVE_DATA_DIR=$${NETWEAVE_DATA_DIR:-$(CURDIR)/.demo-data} $(BIN)/netweave serve --demo

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

## Lint, type-check, layering contract, then the whole suite (SQLite and PostgreSQL).
test: check services
	$(BIN)/pytest -q $(PYTEST_ARGS)

services:
	bash scripts/ensure-services

format: install
	$(BIN)/ruff format src tests
	$(BIN)/ruff check --fix src tests

clean:
	rm -rf $(VENV) .demo-data .mypy_cache .ruff_cache
