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

# Until the service lands, `make run` locates example participants the way every join will be.
run: $(STAMP)
	$(BIN)/remit locate 1.2.4.8 203.198.7.1 202.175.3.1 1.160.0.1 2001:da8::1 8.8.8.8 \
	    192.168.1.10 +8613800138000 +85221234567 +12125550100 +74951234567

test: lint typecheck unit

lint: $(STAMP)
	$(BIN)/ruff check src tests
	$(BIN)/ruff format --check src tests

typecheck: $(STAMP)
	$(BIN)/mypy

unit: $(STAMP)
	$(BIN)/pytest

docs: $(STAMP)
	$(BIN)/python -m remit.cli._docs > docs/cli.md

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
