# One entry point for people and CI. `make serve` and `make test` are the README's quick start.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: serve test install install-dev lint services bench web clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e '.[dev]'
	touch $@ $(VENV)/.installed

# The benchmark's peer app (fastapi-users) gets a venv of its own: never a project dependency,
# and its SQLAlchemy pin must not change the versions the service is measured on.
PEER := .venv-peer
$(PEER)/.installed: bench/peer-requirements.txt
	$(PYTHON) -m venv $(PEER)
	$(PEER)/bin/pip install -q --upgrade pip
	$(PEER)/bin/pip install -q -r bench/peer-requirements.txt
	touch $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

serve: install  ## run the API on its embedded defaults (SQLite, in-process jobs, dev outbox)
	$(BIN)/domestyx serve --port $${PORT:-8000}

test: install-dev  ## the whole suite (service tests skip locally without MariaDB/Redis; never under CI=true)
	$(BIN)/pytest

lint: install-dev
	$(BIN)/ruff check src tests bench && $(BIN)/ruff format --check src tests bench && $(BIN)/mypy src

services:  ## start or repair local MariaDB and Redis
	bash .ci/services.sh

bench: install-dev $(PEER)/.installed services  ## benchmarks (~6 min); results go to docs/benchmarks.md
	$(BIN)/python -m bench.run

web:  ## rebuild the web client into the package (needs Node >= 20.19); commit the result
	cd web && npm ci && npm run build

clean:
	rm -rf $(VENV) $(PEER) var .pytest_cache .mypy_cache .ruff_cache .hypothesis
