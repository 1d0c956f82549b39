# Two commands on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000

.PHONY: run test venv lint clean-data

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	touch $@

venv: $(BIN)/.installed

# Migrate the embedded SQLite database, load the demo town once, print the logins, serve.
run: venv
	$(BIN)/python manage.py migrate --noinput -v0
	$(BIN)/python manage.py collectstatic --noinput -v0
	$(BIN)/python manage.py load_demo
	ZHENWU_DEBUG=0 ZHENWU_SITE_URL=$${ZHENWU_SITE_URL:-http://127.0.0.1:$(PORT)} $(BIN)/python manage.py serve --port $(PORT)

# The full suite (set DATABASE_URL to run it on PostgreSQL).
test: venv
	$(BIN)/pytest -n 2 --dist loadfile --no-loadscope-reorder --max-worker-restart=0 -q

lint: venv
	$(BIN)/ruff check .
	$(BIN)/lint-imports

clean-data:
	rm -rf var/
