# The two commands a newcomer needs: `make run` and `make test`.
# Both create .venv when needed and (re)install when pyproject.toml changes.

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEV_SECRET := dev-only-secret-do-not-use-in-production-0123456789
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test lint typecheck unit bench clean

$(STAMP): pyproject.toml scripts/venv.sh
	@PYTHON=$(PYTHON) sh scripts/venv.sh $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	@touch $(STAMP)

run: $(STAMP)
	@BURSTREAM_JWT_SECRET=$${BURSTREAM_JWT_SECRET:-$(DEV_SECRET)} \
	  HOST=$(HOST) PORT=$(PORT) BIN=$(BIN) sh scripts/run.sh

test: $(STAMP) lint typecheck
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy

unit: $(STAMP)
	$(BIN)/python -m pytest tests/unit

bench: $(STAMP)
	$(BIN)/python bench/run.py

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
