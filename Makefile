# The two commands the README promises: `make run` and `make test`.
# Each one creates the virtual environment and installs remit itself.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

.PHONY: run test lint typecheck unit docs clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

# remit serve on the embedded default: a SQLite file in this folder (remit.sqlite3).
# On the first start it creates the user 'admin' and prints its token.
run: $(STAMP)
	$(BIN)/remit serve

test: lint typecheck unit

lint: $(STAMP)
	$(BIN)/ruff check --no-cache src tests  # a cache can hide import-order changes (first-party moves)
	$(BIN)/ruff format --check src tests

typecheck: $(STAMP)
	$(BIN)/mypy

unit: $(STAMP)
	$(BIN)/pytest

docs: $(STAMP)
	$(BIN)/python -m remit.cli._docs > docs/cli.md
	$(BIN)/python -c 'import json; from remit.api import openapi; from remit.connectors import all_endpoints; print(json.dumps(openapi(all_endpoints()), indent=2, sort_keys=True))' > docs/openapi.json

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
