# The README's two commands: `make run` and `make test`. Needs only Python >= 3.11.
PYTHON ?= python3
VENV ?= .venv
PORT ?= 5001
HOST ?= 127.0.0.1
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test test-fast test-slow install lock env migrate seed serve worker beat broker-folders bench clean

## The locked requirements (requirements-dev.txt: everything in requirements.txt, plus the tests'
## and the toolchain's), every file checked against its hash.
$(STAMP): requirements.txt requirements-dev.txt
	$(PYTHON) -c 'import sys; sys.exit("Python 3.11 or newer is required") if sys.version_info < (3, 11) else None'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet --require-hashes -r requirements-dev.txt
	touch $(STAMP)

install: $(STAMP)

## Compile the hand-written requirements*.in into the locked requirements*.txt (pins and PyPI
## hashes, for every platform and Python >= 3.11), then install them. A pinned version stays
## until asked: `make lock LOCK_ARGS="--upgrade-package django"`, or `LOCK_ARGS=--upgrade` for all.
LOCK = $(BIN)/uv pip compile --quiet --universal --python-version 3.11 --generate-hashes \
	--default-index https://pypi.org/simple --custom-compile-command "make lock" $(LOCK_ARGS)
lock: $(STAMP)
	$(LOCK) requirements.in -o requirements.txt
	$(LOCK) requirements-dev.in --constraint requirements.txt -o requirements-dev.txt
	$(LOCK) requirements-mysql.in -o requirements-mysql.txt
	$(MAKE) --no-print-directory install

## A git-ignored .env with a signing key of this checkout's own (never a published constant).
env:
	@$(PYTHON) -c 'import pathlib, re, secrets; env = pathlib.Path(".env"); text = env.read_text() if env.exists() else ""; \
	  re.search(r"(?m)^SECRET_KEY=", text) or env.write_text(text + ("\n" if text and not text.endswith("\n") else "") + "SECRET_KEY=" + secrets.token_urlsafe(50) + "\n")'

migrate: install env
	DEBUG=$${DEBUG:-true} $(BIN)/python manage.py migrate --no-input

seed: migrate
	DEBUG=$${DEBUG:-true} $(BIN)/python manage.py seed_shop --if-empty

## Set up, migrate, load demo data and serve the API on http://localhost:$(PORT)/ (development
## server, this machine only; HOST=0.0.0.0 to serve the network), with a Celery worker (and its
## beat) beside it that delivers webhooks. Without CELERY_BROKER_URL both use a broker folder
## under var/ (kombu's filesystem transport): no other service is needed. Ctrl-C stops both.
run: seed broker-folders
	@DEBUG=$${DEBUG:-true} $(BIN)/celery -A mechanic_shop worker --beat --concurrency 2 --loglevel INFO \
	  --without-gossip --without-mingle --without-heartbeat & worker=$$!; \
	trap 'kill $$worker 2>/dev/null; wait $$worker' EXIT INT TERM; \
	DEBUG=$${DEBUG:-true} $(BIN)/python manage.py runserver $(HOST):$(PORT)

## Install and run the whole test suite (SQLite unless DATABASE_URL says otherwise): first the
## tests not marked slow, on every core (pytest-xdist; TEST_WORKERS=0 for one process), then the
## slow ones, which start servers of their own, one after another. PYTEST_ARGS go to both runs
## (a run that selects no test passes); `make test-fast` and `make test-slow` run one of them.
TEST_WORKERS ?= auto
test: install
	@status=0; $(MAKE) --no-print-directory test-fast || status=1; $(MAKE) --no-print-directory test-slow || status=1; exit $$status

test-fast: install
	$(BIN)/python -m pytest -n $(TEST_WORKERS) $(PYTEST_ARGS) -m "not slow" || [ $$? -eq 5 ]

test-slow: install
	$(BIN)/python -m pytest $(PYTEST_ARGS) -m slow || [ $$? -eq 5 ]

## Production server: granian (WSGI) with DEBUG off, configured by serve.py (workers from the CPU
## count, graceful restart on SIGHUP, header and shutdown timeouts; the environment overrides
## each). Needs SECRET_KEY (and DATABASE_URL, CACHE_URL) in the environment or .env; collects
## static files and migrates first. Requests are logged by Django as JSON lines (LOG_FORMAT=json).
serve: install
	$(BIN)/python manage.py collectstatic --no-input -v0
	$(BIN)/python manage.py migrate --no-input
	LOG_FORMAT=$${LOG_FORMAT:-json} PORT=$(PORT) $(BIN)/python serve.py mechanic_shop.wsgi:application

## A Celery worker (production: CELERY_BROKER_URL names the broker; start one per machine, as
## many as needed, all on the same broker and database). WORKER_ARGS adds options, e.g.
## WORKER_ARGS="--concurrency 8".
worker: install env broker-folders
	$(BIN)/celery -A mechanic_shop worker --loglevel INFO $(WORKER_ARGS)

## The periodic tasks (the sweeps and the pruning): exactly one beat per deployment.
beat: install env broker-folders
	$(BIN)/celery -A mechanic_shop beat --loglevel INFO

## The folders of the filesystem broker that development uses without CELERY_BROKER_URL.
broker-folders:
	@mkdir -p "$${CELERY_BROKER_DIR:-var/celery}/messages" "$${CELERY_BROKER_DIR:-var/celery}/control"

## The load benchmark (needs wrk: apt-get install wrk).
bench: install
	$(BIN)/python bench/run.py $(BENCH_ARGS)

clean:
	rm -rf $(VENV) var db.sqlite3
