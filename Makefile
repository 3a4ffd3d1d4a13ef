# Targets CI calls. `make run` and `make test` are the README's two commands.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: setup run test lint typecheck check e2e bench eval clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[dev]"
	touch $(STAMP)

setup: $(STAMP)

## Set up and start the app (offline mode when no key is set).
run: $(STAMP)
	$(BIN)/chainlit run app.py --host 127.0.0.1 --port $${PORT:-8000} --headless

## Set up and run the tests (lint, types, unit, integration and browser tests).
test: $(STAMP) lint typecheck
	$(BIN)/python -m pytest -q

lint: $(STAMP)
	$(BIN)/ruff check .

typecheck: $(STAMP)
	$(BIN)/mypy agents evals

e2e: $(STAMP)
	$(BIN)/python -m pytest -q -m browser

eval: $(STAMP)
	$(BIN)/coach eval judge
	$(BIN)/coach eval interviewer

bench: $(STAMP)
	$(BIN)/python benchmarks/run.py

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
