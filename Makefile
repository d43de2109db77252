# Reportdesk: `make run` serves the app on the embedded defaults; `make test` runs the suite.
SHELL := /bin/bash
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
PYTHON ?= python3

# The suite runs twice: on SQLite (embedded) and on this machine's PostgreSQL.
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/reportdesk
TEST_REDIS_URL ?= redis://127.0.0.1:6379/15
PYTEST_ARGS ?=
TEST_VAR_DIR ?= $(CURDIR)/var/test
TEST_ENV := DEBUG=true REDIS_URL=$(TEST_REDIS_URL) VAR_DIR=$(TEST_VAR_DIR)

.PHONY: install run prod worker test test-sqlite test-postgres lint format chromium bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[test]"
	touch $(STAMP)

install: $(STAMP)

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

run: install
	DEBUG=true $(BIN)/python manage.py migrate --no-input
	DEBUG=true $(BIN)/python manage.py seed_demo --if-empty
	@echo ""
	@echo "  Reportdesk is at http://127.0.0.1:8000/console/  (sign in: demo@example.com / demo)"
	@echo "  Admin: http://127.0.0.1:8000/admin/ after 'manage.py createsuperuser'. Ctrl-C stops all."
	@echo ""
	@trap 'kill 0' INT TERM EXIT; \
	DEBUG=true $(BIN)/celery -A config worker --beat --loglevel=info --concurrency=2 & \
	DEBUG=true $(BIN)/python manage.py runserver 127.0.0.1:8000

# Production, every setting from the environment (DATABASE_URL, REDIS_URL, SECRET_KEY,
# ALLOWED_HOSTS, CSRF_TRUSTED_ORIGINS, ...): migrate, collect the static files, then gunicorn
# on PORT, one Celery worker and exactly one beat under bin/serve.py, which restarts a crashed
# one and stops all three on Ctrl-C or SIGTERM. Run it on ONE host: a second beat would send
# every scheduled job twice (other hosts run gunicorn and workers only).
PROD_PORT = $(or $(PORT),8000)
PROD_BIND = $(or $(BIND_ADDRESS),0.0.0.0)
prod: install
	$(BIN)/python manage.py migrate --no-input
	$(BIN)/python manage.py collectstatic --no-input --verbosity 1
	exec $(BIN)/python bin/serve.py \
	  "$(BIN)/gunicorn config.wsgi --bind $(PROD_BIND):$(PROD_PORT) --workers $(or $(WEB_CONCURRENCY),2) --access-logfile - --graceful-timeout 20" \
	  "$(BIN)/celery -A config worker --loglevel=info --concurrency=$(or $(WORKER_CONCURRENCY),2)" \
	  "$(BIN)/celery -A config beat --loglevel=info" \
	  --grace 25

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

test: install chromium lint test-sqlite test-postgres

test-sqlite: install
	env -u DATABASE_URL $(TEST_ENV) $(BIN)/pytest $(PYTEST_ARGS)

test-postgres: install
	$(TEST_ENV) DATABASE_URL=$(TEST_DATABASE_URL) $(BIN)/pytest $(PYTEST_ARGS)

bench: install
	@failed=0; for script in bench/[!_]*.py; do echo "== $$script"; DEBUG=true $(BIN)/python $$script || failed=1; done; exit $$failed

clean:
	rm -rf $(VENV) var
