# Watchkeeper — the two commands are `make run` and `make test`; see README.md.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
HOST ?= 127.0.0.1
PYTEST_WORKERS ?= 2

.PHONY: run install install-dev test test-services e2e lint format messages messages-check bench clean

# The stamp files make re-runs cheap: pip only runs again when pyproject.toml changes.
$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@ $(VENV)/.installed

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

# A local key is generated once into var/ so sessions survive restarts; production sets SECRET_KEY itself.
# `demo` gets it too: the audit-log entries it writes are signed with a key derived from it.
run: install
	@mkdir -p var && umask 077 && [ -s var/secret_key ] || $(BIN)/python -c "import secrets; print(secrets.token_urlsafe(50))" > var/secret_key
	$(BIN)/watchkeeper migrate --no-input
	SECRET_KEY=$${SECRET_KEY:-$$(cat var/secret_key)} $(BIN)/watchkeeper demo
	SECRET_KEY=$${SECRET_KEY:-$$(cat var/secret_key)} $(BIN)/watchkeeper serve --host $(HOST) --port $(PORT)

test: install-dev
	$(BIN)/pytest -n $(PYTEST_WORKERS) -m "not services and not browser"

# Same suite on PostgreSQL + Redis, plus the multi-process real-time tests.
test-services: install-dev
	source scripts/services.sh && \
	  export DATABASE_URL=$${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/watchkeeper_test} \
	    REDIS_URL=$${REDIS_URL:-redis://127.0.0.1:6379/0} DB_CONN_MAX_AGE=0 && \
	  ensure_services && $(BIN)/pytest -n $(PYTEST_WORKERS) -m "not browser"

# Browser tests in headless Chromium (Debian's chromium package).
e2e: install-dev
	mkdir -p var && DB_TEST_NAME=$${DB_TEST_NAME:-$(CURDIR)/var/e2e-test.sqlite3} $(BIN)/pytest -m browser

lint: install-dev
	$(BIN)/ruff check src tests benchmarks scripts conftest.py
	$(BIN)/ruff format --check src tests benchmarks scripts conftest.py
	$(BIN)/mypy
	$(BIN)/watchkeeper makemigrations --check --dry-run
	$(BIN)/python scripts/check_translations.py

format: install-dev
	$(BIN)/ruff format src tests benchmarks scripts conftest.py
	$(BIN)/ruff check --fix src tests benchmarks scripts conftest.py

# Extract every UI string into the 13 catalogues, compile them, and fail on untranslated or fuzzy entries.
# django-allauth ships no Portuguese (pt) or Vietnamese catalogue: locale_allauth/{pt,vi} carry its
# strings for those two, refreshed here against the installed allauth so an upgrade shows what is new.
messages: export WATCHKEEPER_DATA_DIR = $(CURDIR)/var
messages: install-dev
	cd src/watchkeeper && ../../$(BIN)/django-admin makemessages --settings=watchkeeper.settings \
	  --pythonpath=.. --no-obsolete --no-location \
	  -l zh_Hans -l zh_Hant -l ja -l ko -l ru -l es -l pt -l vi -l tr -l fr -l de -l it \
	  --ignore='tests/*' --ignore='*/tests/*'
	for locale in pt vi; do \
	  msgmerge --quiet --update --no-fuzzy-matching --backup=none \
	    src/watchkeeper/locale_allauth/$$locale/LC_MESSAGES/django.po \
	    "$$($(BIN)/python -c 'import allauth, pathlib; print(pathlib.Path(allauth.__file__).parent)')/locale/en/LC_MESSAGES/django.po"; \
	done
	cd src/watchkeeper && ../../$(BIN)/django-admin compilemessages --settings=watchkeeper.settings --pythonpath=..
	$(BIN)/python scripts/check_translations.py

bench: install-dev
	@for script in benchmarks/*.py; do echo "== $$script"; $(BIN)/python $$script || exit 1; done

clean:
	rm -rf $(VENV) var test-output
