# Reportdesk: `make run` serves the app on the embedded defaults; `make test` runs the suite.
SHELL := /bin/bash
VENV := .venv
BIN := $(VENV)/bin
# Two stamps: `make run` installs the runtime dependencies only, `make test` adds the extras.
RUNTIME_STAMP := $(VENV)/.installed-runtime
TEST_STAMP := $(VENV)/.installed-test
PYTHON ?= python3
# `make run PORT=8001`; links in e-mails follow it (settings' SITE_URL) unless SITE_URL is set.
PORT ?= 8000

# The suite runs twice: on SQLite (embedded) and on this machine's PostgreSQL.
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/reportdesk
TEST_REDIS_URL ?= redis://127.0.0.1:6379/15
PYTEST_ARGS ?=
TEST_VAR_DIR ?= $(CURDIR)/var/test
# pytest-xdist: each run spreads its tests over TEST_WORKERS processes, each with its own test
# database, VAR_DIR, Celery queue and cache key prefix (tests/settings.py). Most of the suite's
# time is waiting (servers, workers and Chromium starting, the 2-minute worker run), so more
# workers than cores pay: docs/DEVELOPMENT.md has the figures. TEST_WORKERS=0: one process.
TEST_WORKERS ?= 4
PYTEST := $(BIN)/pytest -n $(TEST_WORKERS) --dist load --maxschedchunk 2
# ENV_FILE= : the suite reads no developer's .env (make run's); each test sets what it needs.
TEST_ENV := ENV_FILE= DEBUG=true REDIS_URL=$(TEST_REDIS_URL)
SQLITE_TEST = env -u DATABASE_URL $(TEST_ENV) VAR_DIR=$(TEST_VAR_DIR)/sqlite $(PYTEST) $(PYTEST_ARGS)
POSTGRES_TEST = $(TEST_ENV) VAR_DIR=$(TEST_VAR_DIR)/postgres DATABASE_URL=$(TEST_DATABASE_URL) \
	$(PYTEST) $(PYTEST_ARGS)

.PHONY: install install-test check node-modules run prod worker test test-sqlite test-postgres lint format chromium bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(RUNTIME_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(TEST_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e ".[test]"
	touch $@ $(RUNTIME_STAMP)

install: $(RUNTIME_STAMP)

install-test: $(TEST_STAMP)

# Local settings for every manage.py command (git-ignored, never overwritten): DEBUG on and a
# secret key of this checkout's own. Settings read it; the real environment wins over it.
# (ENV_FILE=path puts it elsewhere; the make run test does.)
RUN_ENV_FILE := $(or $(ENV_FILE),$(CURDIR)/.env)
$(RUN_ENV_FILE):
	@umask 077 && printf '%s\n' "# Written by make run for local development; the environment wins over it." \
	  "DEBUG=true" "SECRET_KEY=$$($(PYTHON) -c 'import secrets; print(secrets.token_urlsafe(50))')" > $@
	@echo "Wrote .env (DEBUG=true and a new SECRET_KEY) for local development."

# Debian's Chromium for the browser tests; Playwright never downloads a browser here.
chromium:
	@test -x /usr/bin/chromium || { apt-get update -qq && apt-get install -y -qq chromium; }

# axe-core for the accessibility tests, exactly as package-lock.json pins it; no test downloads.
NODE_STAMP := node_modules/.installed-stamp
$(NODE_STAMP): package.json package-lock.json
	@command -v npm >/dev/null || { apt-get update -qq && apt-get install -y -qq nodejs npm; }
	npm ci --no-audit --no-fund --ignore-scripts
	touch $(NODE_STAMP)

node-modules: $(NODE_STAMP)

# The web server and a worker with embedded beat under bin/serve.py: Ctrl-C or SIGTERM stops
# both (one SIGTERM each, then SIGKILL after the grace), and a crashed worker is restarted.
RUN_COMMANDS = "$(BIN)/python manage.py runserver 127.0.0.1:$(PORT)" \
	"$(BIN)/celery -A config worker --beat --loglevel=info --concurrency=2"
run: export ENV_FILE := $(RUN_ENV_FILE)
run: install $(RUN_ENV_FILE)
	$(BIN)/python manage.py migrate --no-input
	$(BIN)/python manage.py seed_demo --if-empty
	@echo ""
	@echo "  Reportdesk is at http://127.0.0.1:$(PORT)/console/  (sign in: demo@example.com / demo)"
	@echo "  Admin: http://127.0.0.1:$(PORT)/admin/ after '$(BIN)/python manage.py createsuperuser'."
	@echo "  Ctrl-C stops all."
	@echo ""
	PORT=$(PORT) exec $(BIN)/python bin/serve.py $(RUN_COMMANDS) --grace 15

# Production, every setting from the environment (DATABASE_URL, REDIS_URL, SECRET_KEY,
# ALLOWED_HOSTS, CSRF_TRUSTED_ORIGINS, ...): migrate, collect the static files, then gunicorn
# on PORT, one Celery worker and exactly one beat under bin/serve.py, which restarts a crashed
# one and stops all three on Ctrl-C or SIGTERM. Run it on ONE host: a second beat would send
# every scheduled job twice (other hosts run gunicorn and workers only).
PROD_PORT = $(or $(PORT),8000)
PROD_BIND = $(or $(BIND_ADDRESS),0.0.0.0)
# Never make run's .env (DEBUG=true): production reads the real environment, or the file an
# operator names in ENV_FILE.
prod: export ENV_FILE := $(ENV_FILE)
prod: install
	$(BIN)/python manage.py migrate --no-input
	$(BIN)/python manage.py collectstatic --no-input --verbosity 1
	exec $(BIN)/python bin/serve.py \
	  "$(BIN)/gunicorn config.wsgi --bind $(PROD_BIND):$(PROD_PORT) --workers $(or $(WEB_CONCURRENCY),2) --access-logfile - --graceful-timeout 20" \
	  "$(BIN)/celery -A config worker --loglevel=info --concurrency=$(or $(WORKER_CONCURRENCY),2)" \
	  "$(BIN)/celery -A config beat --loglevel=info" \
	  --grace 25

lint: install-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install-test
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# Both halves at once, each into its own log; both logs are printed when both are done (each
# ends with pytest's summary line), and make test fails if either half failed, pytest's exit 5
# (no test ran) included.
test: install-test chromium lint check node-modules
	@mkdir -p $(TEST_VAR_DIR)
	@echo "Running the suite on SQLite and on PostgreSQL at once ($(TEST_WORKERS) workers each);"
	@echo "each half's output follows when both are done."
	@start=$$(date +%s); \
	$(SQLITE_TEST) > $(TEST_VAR_DIR)/sqlite.log 2>&1 & sqlite=$$!; \
	$(POSTGRES_TEST) > $(TEST_VAR_DIR)/postgres.log 2>&1 & postgres=$$!; \
	wait $$sqlite; sqlite_status=$$?; wait $$postgres; postgres_status=$$?; \
	echo "===== SQLite: $(SQLITE_TEST)"; cat $(TEST_VAR_DIR)/sqlite.log; \
	echo "===== PostgreSQL: $(POSTGRES_TEST)"; cat $(TEST_VAR_DIR)/postgres.log; \
	echo "===== SQLite exit $$sqlite_status, PostgreSQL exit $$postgres_status," \
	  "$$(( $$(date +%s) - start )) s for both"; \
	summaries=$$(for log in sqlite postgres; do \
	  grep -E '[0-9]+ (passed|failed)' $(TEST_VAR_DIR)/$$log.log | tail -n 1; done); \
	count() { echo "$$summaries" | grep -oE "[0-9]+ $$1" | awk '{n += $$1} END {print n + 0}'; }; \
	echo "both: $$(count passed) passed, $$(count failed) failed"; \
	test $$sqlite_status -eq 0 && test $$postgres_status -eq 0

# CI's cheap checks: no model change without its migration, no .po without its compiled .mo.
check: install-test
	env -u DATABASE_URL $(TEST_ENV) VAR_DIR=$(TEST_VAR_DIR) $(BIN)/python manage.py makemigrations --check --dry-run
	@command -v msgfmt >/dev/null || { apt-get update -qq && apt-get install -y -qq gettext; }
	$(BIN)/python bin/check_messages.py

test-sqlite: install-test node-modules
	$(SQLITE_TEST)

test-postgres: install-test node-modules
	$(POSTGRES_TEST)

bench: install-test
	@failed=0; for script in bench/[!_]*.py; do echo "== $$script"; DEBUG=true $(BIN)/python $$script || failed=1; done; exit $$failed

clean:
	rm -rf $(VENV) var
