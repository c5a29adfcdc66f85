# The README's two commands: `make run` and `make test`. Needs only Python >= 3.11.
PYTHON ?= python3
VENV ?= .venv
PORT ?= 5001
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test install migrate seed serve clean

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

clean:
	rm -rf $(VENV) var db.sqlite3
