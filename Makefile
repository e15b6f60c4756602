# Two commands on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
## Extra pytest arguments for `make test`, e.g. PYTEST_ARGS="-p randomly" (a shuffled order) or
## PYTEST_ARGS="-n 0" (serially, in one process); TEST_WORKERS=N sets the number of workers.
PYTEST_ARGS ?=

.PHONY: run test lint format typecheck bench install lock clean

## .venv holds exactly what requirements-lock.txt pins (hashes checked), and the project, editable.
$(STAMP): requirements-lock.txt pyproject.toml scripts/install.sh
	bash scripts/install.sh $(PYTHON)
	touch $(STAMP)

install: $(STAMP)

## Refresh requirements-lock.txt from pyproject.toml's ranges (every package to its newest allowed
## version; ARGS="--upgrade-package NAME" moves one), then reinstall. Run `make test` before committing it.
lock:
	bash scripts/lock.sh $(ARGS)
	bash scripts/install.sh $(PYTHON)
	touch $(STAMP)

## Migrates the database (SQLite in var/ by default), seeds the presets on first start, serves
## http://127.0.0.1:8000 (the JSON API under /api/v1, its documentation at /docs).
run: $(STAMP)
	$(BIN)/llm-tco serve

## pytest-xdist workers for `make test`: one more than the cores, because a quarter of the suite's time
## is spent waiting on servers, browsers and LibreOffice it started (a run on 2 cores: 77% busy).
TEST_WORKERS ?= $(shell echo $$(( $$(nproc) + 1 )))

## Lint, type-check, then every test, on every core (pytest-xdist), with the ten slowest named at the
## end: the database tests on SQLite and on a throwaway PostgreSQL that scripts/with-postgres.sh
## installs (Debian's package, as root) and starts on 127.0.0.1, a database per worker; the browser
## tests (tests/browser) in Debian's Chromium, which scripts/with-chromium.sh installs (as root); the
## workbook recalculation tests (tests/api/test_xlsx_recalc.py) in Debian's LibreOffice Calc, headless,
## which scripts/with-libreoffice.sh installs (as root).
##
## The run keeps the bytecode Python compiles (and pytest's rewritten test modules) in .pytest_cache/pycache,
## outside the source tree, even where PYTHONDONTWRITEBYTECODE is set (it was, where the suite was profiled):
## otherwise every process compiles every module it imports anew: each pytest-xdist worker at collection (~15 s
## of CPU each) and each `llm-tco serve` a test starts, and its workers (it doubled a server's start).
test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	PYTHONDONTWRITEBYTECODE= PYTHONPYCACHEPREFIX=$(CURDIR)/.pytest_cache/pycache \
	bash scripts/with-postgres.sh bash scripts/with-chromium.sh bash scripts/with-libreoffice.sh $(BIN)/pytest -q -n $(TEST_WORKERS) --durations=10 $(PYTEST_ARGS)

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
