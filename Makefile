# `make run` and `make test` set everything up on a fresh clone; see README.md.
# Each virtualenv is rebuilt only when its requirements change (a stamp file records it).

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PORT ?= 8000

# The second interpreter and Django that CI also runs the fast tests on (the upgrade path).
PYTHON_NEXT ?= $(firstword $(wildcard $(HOME)/.pyenv/versions/3.12*/bin/python3.12) $(shell command -v python3.12 2>/dev/null))
# django-celery-beat 2.9 requires Django<6.1: when a beat release allows 6.1, this is the one line to change.
DJANGO_NEXT := Django==6.0.10
VENV_NEXT := .venv-py312-django6

# PostgreSQL for the database tests' second pass (trust auth on this machine and CI's).
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/test

# Test processes per pass (pytest-xdist), each a test run of its own (data directory, queue prefix,
# PostgreSQL test database: tests/settings.py); a file's tests stay in one process, which starts
# each broker's worker once. Most tests wait on real workers, beat and timeouts, not on the CPU:
# two processes halve the first pass on two cores. TEST_PROCESSES=0 runs everything in this process.
TEST_PROCESSES ?= 2
PYTEST_PARALLEL := -n $(TEST_PROCESSES) --dist loadfile

.PHONY: run admin test lint pytest pytest-postgres pytest-next migrate clean chromium bench bench-smoke

$(BIN)/.runtime: requirements.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	touch $@

$(BIN)/.test: $(BIN)/.runtime requirements-test.txt
	$(BIN)/python -m pip install --quiet -r requirements-test.txt
	touch $@

migrate: $(BIN)/.runtime
	HELLOWORLD_LOCAL=1 $(BIN)/python manage.py migrate --noinput

# One-dyno mode on embedded defaults: the web server (granian), a worker and beat under honcho.
run: migrate
	HELLOWORLD_LOCAL=1 PATH="$(CURDIR)/$(BIN):$$PATH" exec $(BIN)/python -m helloworld.procfile --procfile Procfile.real start --port $(PORT)

# A superuser for the admin (/admin/) of the local site; it asks for a name and a password. Without a
# terminal (a script, CI) Django would skip it and exit 0: give them in the environment instead.
admin: migrate
	@if [ -n "$$DJANGO_SUPERUSER_PASSWORD" ]; then \
	  HELLOWORLD_LOCAL=1 $(BIN)/python manage.py createsuperuser --noinput; \
	elif [ -t 0 ]; then \
	  HELLOWORLD_LOCAL=1 $(BIN)/python manage.py createsuperuser; \
	else \
	  echo "make admin asks for a name and a password, and this is not a terminal. Without one, give them:" >&2; \
	  echo "  DJANGO_SUPERUSER_USERNAME=admin DJANGO_SUPERUSER_EMAIL=admin@example.com DJANGO_SUPERUSER_PASSWORD=... make admin" >&2; \
	  exit 1; \
	fi

test: lint pytest pytest-postgres pytest-next bench-smoke

# ruff, the layering (import-linter's contracts) and the types of the modules mypy checks (both
# configured in pyproject.toml). django-stubs' plugin loads the settings, hence local mode.
lint: $(BIN)/.test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	HELLOWORLD_LOCAL=1 $(BIN)/mypy

# The whole suite on SQLite (and every broker, through the fixtures).
pytest: $(BIN)/.test chromium
	$(BIN)/pytest $(PYTEST_PARALLEL)

# The browser tests drive Debian's Chromium (Playwright cannot download its own browsers here).
chromium:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else \
	    echo "Chromium is missing and this is not root: run 'sudo apt-get install chromium' for the browser tests"; \
	  fi; }

# The database-backed tests again on PostgreSQL, less those about the broker alone (whose
# database work the first pass already covers), and on the embedded broker only: each broker's
# own behaviour is the first pass's, the database's is the same whichever broker sent the task.
pytest-postgres: $(BIN)/.test
	DATABASE_URL=$(TEST_DATABASE_URL) $(BIN)/pytest $(PYTEST_PARALLEL) -m "database and not broker_bound" -k "not redis and not rabbitmq"

# The fast tests on the next Python and Django, so the upgrade path stays open (on the embedded
# broker: the brokers' own behaviour does not change with Python or Django).
pytest-next:
	@if [ -z "$(PYTHON_NEXT)" ]; then \
	  if [ -n "$$CI" ]; then echo "Python 3.12 not found (set PYTHON_NEXT)"; exit 1; fi; \
	  echo "SKIPPED pytest-next: Python 3.12 not found; install it (pyenv install 3.12) or set PYTHON_NEXT=/path/to/python3.12"; \
	else \
	  $(MAKE) --no-print-directory $(VENV_NEXT)/bin/.test PYTHON_NEXT=$(PYTHON_NEXT) && \
	  $(VENV_NEXT)/bin/pytest $(PYTEST_PARALLEL) -m "not slow" -k "not redis and not rabbitmq"; \
	fi

# Benchmark-only tools (rq, psutil, profilers) on top of the runtime requirements, never in them.
$(BIN)/.bench: $(BIN)/.runtime requirements-bench.txt
	$(BIN)/python -m pip install --quiet -r requirements-bench.txt
	touch $@

# The benchmark suite on the machine's PostgreSQL, Redis and RabbitMQ: tables on the
# terminal and in bench/results/; about 15 minutes on two cores.
bench: $(BIN)/.bench
	$(BIN)/python -m bench

# Each benchmark once on tiny sizes, and the lever comparison on this tree: checks that they still run (about two minutes).
bench-smoke: $(BIN)/.bench
	$(BIN)/python -m bench --smoke
	$(BIN)/python -m bench.compare "this tree=." --tasks 50 --rounds 1

$(VENV_NEXT)/bin/.test: requirements.txt requirements-test.txt
	test -x $(VENV_NEXT)/bin/python || $(PYTHON_NEXT) -m venv $(VENV_NEXT)
	$(VENV_NEXT)/bin/python -m pip install --quiet --upgrade pip
	$(VENV_NEXT)/bin/python -m pip install --quiet -r requirements-test.txt
	$(VENV_NEXT)/bin/python -m pip install --quiet "$(DJANGO_NEXT)"
	touch $@

clean:
	rm -rf $(VENV) $(VENV_NEXT) var .pytest_cache .ruff_cache
