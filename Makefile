# SalesOps: `make run` serves the app with demo data, `make test` runs the whole suite.
# Each step is a file target, so a second `make run` only migrates and serves.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
PYTEST_ARGS ?=

.DEFAULT_GOAL := help
.PHONY: help install browser run test bench backtest lint format messages worker beat check-deploy clean

help:
	@echo "make run      install, migrate, load demo data, serve on 127.0.0.1:$(PORT)"
	@echo "make test     the full test suite (PYTEST_ARGS=... to narrow it)"
	@echo "make bench    benchmarks"
	@echo "make backtest backtest the forecasts on the Maven CRM practice data (MAVEN_CRM_DIR)"
	@echo "make lint     ruff check and format check"
	@echo "make messages refresh and compile the translations"
	@echo "make worker / make beat   a Celery worker / beat (needs REDIS_URL)"

$(BIN)/activate:
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || \
		{ echo "SalesOps needs Python 3.11 or newer ($(PYTHON) is older)"; exit 1; }
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: $(BIN)/activate pyproject.toml constraints.txt
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev]'
	@touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund
	@touch $@

# Front-end libraries are served from static/vendor (not committed; copied from npm packages).
static/vendor/.installed: node_modules/.installed
	rm -rf static/vendor && mkdir -p static/vendor/bootstrap static/vendor/bootstrap-icons static/vendor/htmx static/vendor/sortablejs static/vendor/echarts
	cp node_modules/bootstrap/dist/css/bootstrap.min.css node_modules/bootstrap/dist/css/bootstrap.min.css.map static/vendor/bootstrap/
	cp node_modules/bootstrap/dist/js/bootstrap.bundle.min.js node_modules/bootstrap/dist/js/bootstrap.bundle.min.js.map static/vendor/bootstrap/
	cp -r node_modules/bootstrap-icons/font/bootstrap-icons.min.css node_modules/bootstrap-icons/font/fonts static/vendor/bootstrap-icons/
	cp node_modules/htmx.org/dist/htmx.min.js static/vendor/htmx/
	cp node_modules/sortablejs/Sortable.min.js static/vendor/sortablejs/
	cp node_modules/echarts/dist/echarts.min.js static/vendor/echarts/
	@touch $@

# A local .env for the embedded default: debug mode and a secret key of this machine's own.
.env:
	@$(PYTHON) -c 'import secrets; print("DEBUG=true\nSECRET_KEY=" + secrets.token_urlsafe(50))' > $@
	@echo "wrote .env (DEBUG=true, a new SECRET_KEY)"

install: $(VENV)/.installed static/vendor/.installed

# Browser tests drive Debian's Chromium through Playwright (never a downloaded browser).
# As root with apt (CI, containers) it is installed here; elsewhere the tests say how.
browser:
	@if [ ! -x /usr/bin/chromium ]; then \
		if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; \
		else echo "note: /usr/bin/chromium is missing: browser tests will be skipped (apt-get install chromium)"; fi; \
	fi

run: install .env
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py seed_demo
	exec $(BIN)/python manage.py runserver 127.0.0.1:$(PORT)

test: install browser
	$(BIN)/pytest $(PYTEST_ARGS)

bench: install
	$(BIN)/pytest tests/benchmarks -o python_files="bench_*.py" --benchmark-only --benchmark-columns=min,median,max,rounds $(PYTEST_ARGS)

# The Maven CRM practice data set sits beside the project; its README has the reference errors.
MAVEN_CRM_DIR ?= ../shared/data/maven-crm

backtest: install .env
	$(BIN)/python manage.py backtest_forecasts $(MAVEN_CRM_DIR)

lint: $(VENV)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(VENV)/.installed
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

messages: $(VENV)/.installed
	$(BIN)/python manage.py makemessages --locale zh_Hans --no-obsolete --ignore '.venv/*' --ignore 'node_modules/*' --ignore 'static/vendor/*'
	$(BIN)/python manage.py compilemessages --locale zh_Hans --ignore '.venv/*'

worker: install
	$(BIN)/celery -A salesops worker --loglevel INFO

beat: install
	$(BIN)/celery -A salesops beat --loglevel INFO

check-deploy: $(VENV)/.installed
	DEBUG=false SECRET_KEY=$$($(PYTHON) -c 'import secrets; print(secrets.token_urlsafe(50))') \
		ALLOWED_HOSTS=salesops.example.com $(BIN)/python manage.py check --deploy --fail-level WARNING

clean:
	rm -rf $(VENV) node_modules static/vendor staticfiles
