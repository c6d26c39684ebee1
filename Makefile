# The verbs people use. `make run` serves the demo; `make test` runs the whole suite.
# Both install what they need first (virtualenv, pinned requirements, npm packages).
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python

.PHONY: install run test lint fmt migrations-check bench load demo clean

$(VENV)/.installed: requirements.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

# The public pages' NHS design system, compiled from nhsuk-frontend's Sass (static/public/scss/nhsuk.scss says why).
build/nhsuk/nhsuk.css: node_modules/.installed static/public/scss/nhsuk.scss
	mkdir -p build/nhsuk
	npx sass --load-path=node_modules --style=compressed --no-source-map --quiet-deps static/public/scss/nhsuk.scss $@

install: $(VENV)/.installed node_modules/.installed build/nhsuk/nhsuk.css

# Starts embedded PostgreSQL and Redis unless DATABASE_URL / REDIS_URL are set,
# migrates, loads the demo service, starts a Celery worker with beat and the site.
run: install
	$(PY) -m iapt.devservices run

# The whole suite, browser tests included, against real PostgreSQL and Redis.
# lint-imports first: a wrong arrow between the floors fails the suite (pyproject.toml).
test: install
	$(VENV)/bin/lint-imports
	$(PY) -m iapt.devservices test $(PYTEST_ARGS)

lint: install
	$(VENV)/bin/lint-imports
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

fmt: install
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

migrations-check: install
	$(PY) -m iapt.devservices manage makemigrations --check --dry-run

bench: install
	$(PY) -m iapt.devservices bench $(SCALE)

# 50 simulated PWPs for 60 s against gunicorn on 127.0.0.1; figures into docs/benchmarks.md ("Load").
# Capacity with think time and every role (issue 22): make load LOAD_ARGS="capacity --search"
# (figures into "Capacity (issue 22)"; bench/capacity.py lists the options).
load: install
	$(PY) -m iapt.devservices load $(LOAD_ARGS)

clean:
	rm -rf var/ staticfiles/ build/
