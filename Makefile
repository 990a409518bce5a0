# Two commands for researchers: `make run` and `make test`. The rest are helpers.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export PATH := $(CURDIR)/$(BIN):$(PATH)
export PYTHONHASHSEED := 0

.PHONY: run test install lock clean-venv help evaluate-shared

help:  ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/'

$(STAMP): requirements.lock pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade "pip>=24"
	$(BIN)/python -m pip install --quiet -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps -e .
	@touch $@

install: $(STAMP)  ## create .venv with the locked dependencies and the project

run: $(STAMP)  ## run the whole pipeline (dvc repro) and say where the results are
	$(BIN)/dvc repro
	@echo
	@echo "Results:"
	@echo "  tables   outputs/tables/"
	@echo "  metrics  outputs/metrics/"
	@echo "  interim  outputs/interim/ (statements, meetings, paragraphs, sentences, mentions as Parquet)"

test: $(STAMP)  ## run the test suite
	$(BIN)/python -m pytest

SHARED ?= ../shared
evaluate-shared: $(STAMP)  ## score the codebook on ../shared/gold/ungdc-dev.jsonl (written to outputs/local/, never committed)
	$(BIN)/python -m pipeline.evaluate --gold $(SHARED)/gold/ungdc-dev.jsonl --out outputs/local/evaluation-ungdc-dev.json

lock:  ## re-resolve dependencies from pyproject.toml into requirements.lock
	rm -rf .lock-venv && $(PYTHON) -m venv .lock-venv
	.lock-venv/bin/python -m pip install --quiet --upgrade pip && .lock-venv/bin/python -m pip install --quiet ".[test]"
	{ echo "# Exact versions installed by 'make run' and 'make test' (Python 3.11)."; \
	  echo "# Regenerate with 'make lock' after changing dependencies in pyproject.toml."; \
	  .lock-venv/bin/python -m pip freeze --exclude-editable | grep -v '^bali-themes'; } > requirements.lock
	rm -rf .lock-venv

clean-venv:  ## remove .venv
	rm -rf $(VENV)
