# Two commands on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: run test lint format typecheck bench install clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

## Migrates the database (SQLite in var/ by default), seeds the presets on first start, serves
## http://127.0.0.1:8000 (the JSON API under /api/v1, its documentation at /docs).
run: $(STAMP)
	$(BIN)/llm-tco serve

## Lint, type-check the engine, then every test: the database tests on SQLite and on a throwaway
## PostgreSQL that scripts/with-postgres.sh installs (Debian's package, as root) and starts on 127.0.0.1;
## the browser tests (tests/browser) in Debian's Chromium, which scripts/with-chromium.sh installs (as root).
test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	bash scripts/with-postgres.sh bash scripts/with-chromium.sh $(BIN)/pytest -q

lint: $(STAMP)
	$(BIN)/ruff check .

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

typecheck: $(STAMP)
	$(BIN)/mypy

## Every benchmark in bench/ (engine, api, pages, load), then one summary table (about 6 minutes): the
## load test on SQLite and on a throwaway PostgreSQL (scripts/with-postgres.sh), the page sizes in
## Debian's Chromium (scripts/with-chromium.sh), wrk from Debian's packages (installed as root).
bench: $(STAMP)
	bash scripts/with-postgres.sh bash scripts/with-chromium.sh $(BIN)/python bench/all.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis
