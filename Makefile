# Backline: `make demo` runs the product on SQLite with demo data; `make test` runs lint and the suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
export BACKLINE_DATA_DIR ?= $(CURDIR)/var

.PHONY: demo serve test test-postgres lint format browser frontend install install-test clean \
	bench bench-postgres

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Stamp files re-run the installs only when the dependency lists change.
$(VENV)/.installed: $(BIN)/python pyproject.toml
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: $(BIN)/python pyproject.toml
	$(BIN)/pip install --quiet -e ".[test]"
	touch $@ $(VENV)/.installed

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

frontend: node_modules/.installed
install: $(VENV)/.installed frontend
install-test: $(VENV)/.installed-test frontend

demo: install
	$(BIN)/backline demo --port $(PORT)

serve: install
	$(BIN)/backline serve --port $(PORT)

# Browser tests drive Debian's Chromium; install it where we can (root with apt), else they skip.
browser:
	@if ! command -v chromium >/dev/null 2>&1; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "Installing Chromium from Debian's packages for the browser tests"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else echo "Chromium is missing and cannot be installed here: browser tests will be skipped"; fi; \
	fi

lint: install-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: install-test
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

test: install-test browser lint
	$(BIN)/pytest

# The same suite against PostgreSQL (a throwaway test database on the local server).
test-postgres: install-test browser
	BACKLINE_TEST_DATABASE_URL=$${BACKLINE_TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/backline} $(BIN)/pytest --create-db

# The benchmark suite (bench/suite.py): builds or reuses a database of $(TICKETS) tickets, starts
# the real server and prints one table of every target. BENCH_ARGS passes more, e.g. --only queue.
TICKETS ?= 1000000
bench: install
	$(BIN)/python bench/suite.py --tickets $(TICKETS) $(BENCH_ARGS)

bench-postgres: install
	$(BIN)/python bench/suite.py --postgres --tickets $(TICKETS) $(BENCH_ARGS)

clean:
	rm -rf $(VENV) node_modules var .pytest_cache .mypy_cache .ruff_cache
