# The two commands the README promises: `make run` and `make test`.
# Each one creates the virtual environment and installs exactly the lock file into it:
# requirements/run.txt for `make run`, requirements/dev.txt (the same plus the dev tools) for
# `make test`. Every package, pip and setuptools included, is pinned with its hashes, so a fresh
# machine installs what main was tested with. `make lock` refreshes both files on purpose.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
# pip must see only PyPI and the hashes of the lock: no machine-wide index, links or constraints.
PIP    := PIP_CONFIG_FILE=/dev/null PIP_FIND_LINKS= $(BIN)/python -m pip --quiet
RUN_STAMP := $(VENV)/.installed-run
DEV_STAMP := $(VENV)/.installed-dev
PIP_TOOLS := pip-tools==7.7.0

.PHONY: install run test quick lint typecheck unit docs lock lock-upgrade clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(RUN_STAMP): requirements/run.txt pyproject.toml | $(BIN)/python
	$(PIP) install --require-hashes --no-deps -r requirements/run.txt
	$(PIP) install --no-deps --no-build-isolation -e .
	touch $@

$(DEV_STAMP): requirements/dev.txt pyproject.toml | $(BIN)/python
	$(PIP) install --require-hashes --no-deps -r requirements/dev.txt
	$(PIP) install --no-deps --no-build-isolation -e .
	$(PIP) check
	touch $@ $(RUN_STAMP)

# remit and exactly its locked dependencies in .venv; `. .venv/bin/activate` puts remit on the PATH.
install: $(RUN_STAMP)

# remit serve on the embedded default: a SQLite file in this folder (remit.sqlite3).
# On the first start it creates the user 'admin' and prints its token once.
run: install
	$(BIN)/remit serve

test: lint typecheck unit

lint: $(DEV_STAMP)
	$(BIN)/ruff check --no-cache src tests  # a cache can hide import-order changes (first-party moves)
	$(BIN)/ruff format --check src tests

typecheck: $(DEV_STAMP)
	$(BIN)/mypy

unit: $(DEV_STAMP)
	$(BIN)/pytest

# While you work: every test but those needing a server from outside remit (PostgreSQL, Synapse,
# Janus, Prosody, Murmur, LiveKit's test server, Chromium), spread over the cores. `make test`
# before you commit.
QUICK := not (postgres or synapse or janus or prosody or mumble or livekit or browser)
quick: $(DEV_STAMP)
	$(BIN)/pytest -q -n auto -m "$(QUICK)"

docs: $(DEV_STAMP)
	$(BIN)/python -m remit.cli._docs > docs/cli.md
	$(BIN)/python -m remit.connectors.webhook._reference docs/connectors/webhook.md
	$(BIN)/python -m remit.cli._docs --api docs/api.md
	$(BIN)/python -c 'import json; from remit.api import openapi; from remit.connectors import all_endpoints; print(json.dumps(openapi(all_endpoints()), indent=2, sort_keys=True))' > docs/openapi.json

# The lock files follow pyproject.toml: `make lock` pins what was added and drops what was removed,
# keeping every other pin (run.txt takes dev.txt's versions); `make lock-upgrade` moves every pin to the newest release allowed.
# Commit the result on its own, after `make test` passes with it.
LOCK_VENV := .cache/lock-venv
LOCK_ENV  := PIP_CONFIG_FILE=/dev/null PIP_FIND_LINKS= CUSTOM_COMPILE_COMMAND='make lock'
COMPILE   := $(LOCK_ENV) $(LOCK_VENV)/bin/pip-compile --quiet --generate-hashes --allow-unsafe \
	--strip-extras --no-emit-index-url --no-emit-find-links

$(LOCK_VENV)/bin/pip-compile:
	$(PYTHON) -m venv $(LOCK_VENV)
	$(LOCK_ENV) $(LOCK_VENV)/bin/python -m pip --quiet install '$(PIP_TOOLS)'

lock: $(LOCK_VENV)/bin/pip-compile
	$(COMPILE) $(UPGRADE) --extra=dev -o requirements/dev.txt pyproject.toml requirements/build.in
	$(COMPILE) $(UPGRADE) --constraint=requirements/dev.txt -o requirements/run.txt \
	  pyproject.toml requirements/build.in

lock-upgrade:
	$(MAKE) lock UPGRADE=--upgrade

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
