# The README's two commands: `make run` and `make test`. Needs only Python >= 3.11.
PYTHON ?= python3
VENV ?= .venv
PORT ?= 5001
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test install migrate seed serve bench clean

$(STAMP): requirements.txt requirements-dev.txt
	$(PYTHON) -c 'import sys; sys.exit("Python 3.11 or newer is required") if sys.version_info < (3, 11) else None'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	touch $(STAMP)

install: $(STAMP)

migrate: install
	DEBUG=$${DEBUG:-true} $(BIN)/python manage.py migrate --no-input

seed: migrate
	DEBUG=$${DEBUG:-true} $(BIN)/python manage.py seed_shop --if-empty

## Set up, migrate, load demo data and serve the API on http://localhost:$(PORT)/ (development server).
run: seed
	DEBUG=$${DEBUG:-true} $(BIN)/python manage.py runserver 0.0.0.0:$(PORT)

## Install and run the whole test suite (SQLite unless DATABASE_URL says otherwise).
test: install
	$(BIN)/python -m pytest $(PYTEST_ARGS)

## Production server: gunicorn with DEBUG off. Needs SECRET_KEY (and DATABASE_URL, CACHE_URL) in the
## environment or .env; collects static files first.
serve: install
	$(BIN)/python manage.py collectstatic --no-input -v0
	$(BIN)/python manage.py migrate --no-input
	LOG_FORMAT=$${LOG_FORMAT:-json} PORT=$(PORT) $(BIN)/gunicorn -c gunicorn.conf.py mechanic_shop.wsgi:application

clean:
	rm -rf $(VENV) var db.sqlite3
