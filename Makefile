# The README's two commands: `make run` and `make test`. Needs only Python >= 3.11.
PYTHON ?= python3
VENV ?= .venv
PORT ?= 5001
HOST ?= 127.0.0.1
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test install env migrate seed serve worker beat bench clean

$(STAMP): requirements.txt requirements-dev.txt
	$(PYTHON) -c 'import sys; sys.exit("Python 3.11 or newer is required") if sys.version_info < (3, 11) else None'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	touch $(STAMP)

install: $(STAMP)

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
run: seed
	@DEBUG=$${DEBUG:-true} $(BIN)/celery -A mechanic_shop worker --beat --concurrency 2 --loglevel INFO \
	  --without-gossip --without-mingle --without-heartbeat & worker=$$!; \
	trap 'kill $$worker 2>/dev/null; wait $$worker' EXIT INT TERM; \
	DEBUG=$${DEBUG:-true} $(BIN)/python manage.py runserver $(HOST):$(PORT)

## Install and run the whole test suite (SQLite unless DATABASE_URL says otherwise).
test: install
	$(BIN)/python -m pytest $(PYTEST_ARGS)

## Production server: gunicorn with DEBUG off. Needs SECRET_KEY (and DATABASE_URL, CACHE_URL) in the
## environment or .env; collects static files first.
serve: install
	$(BIN)/python manage.py collectstatic --no-input -v0
	$(BIN)/python manage.py migrate --no-input
	LOG_FORMAT=$${LOG_FORMAT:-json} PORT=$(PORT) $(BIN)/gunicorn -c gunicorn.conf.py mechanic_shop.wsgi:application

## A Celery worker (production: CELERY_BROKER_URL names the broker; start one per machine, as
## many as needed, all on the same broker and database). WORKER_ARGS adds options, e.g.
## WORKER_ARGS="--concurrency 8".
worker: install env
	$(BIN)/celery -A mechanic_shop worker --loglevel INFO $(WORKER_ARGS)

## The periodic tasks (the sweeps and the pruning): exactly one beat per deployment.
beat: install env
	$(BIN)/celery -A mechanic_shop beat --loglevel INFO

## The load benchmark (needs wrk: apt-get install wrk).
bench: install
	$(BIN)/python bench/run.py $(BENCH_ARGS)

clean:
	rm -rf $(VENV) var db.sqlite3
