# Two commands for researchers: `make run` and `make test`. The rest are helpers.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export PATH := $(CURDIR)/$(BIN):$(PATH)
export PYTHONHASHSEED := 0

.PHONY: run test install lock clean-venv help evaluate-shared annotation-claim ungdc trove bench fetch

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
	@echo "  report   outputs/report.html (open it in a browser)"
	@echo "  figures  outputs/figures/ (PNG and SVG)"
	@echo "  tables   outputs/tables/"
	@echo "  metrics  outputs/metrics/"
	@echo "  interim  outputs/interim/ (statements, paragraphs, sentences, mentions, ... as folders of Parquet parts)"

fetch: $(STAMP)  ## download the public statements in corpus/sources.csv (needs internet), then run `make run`
	$(BIN)/dvc repro corpus/fetch/dvc.yaml

test: $(STAMP)  ## run the test suite
	$(BIN)/python -m pytest

SHARED ?= ../shared
evaluate-shared: $(STAMP)  ## the codebook on ../shared/gold (written to outputs/local/, never committed): dev and held-back splits
	$(BIN)/python -m pipeline.evaluate --gold $(SHARED)/gold/ungdc-dev.jsonl --rules-written-against \
	  --out outputs/local/evaluation-ungdc-dev.json --tables outputs/local/ungdc-dev
	$(BIN)/python -m pipeline.evaluate --gold $(SHARED)/gold/trove-train.jsonl --gold $(SHARED)/gold/synthetic-train.jsonl \
	  --split dev --rules-written-against --out outputs/local/evaluation-dev.json --tables outputs/local/dev
	$(BIN)/python -m pipeline.evaluate --gold $(SHARED)/gold/trove-train.jsonl --gold $(SHARED)/gold/synthetic-train.jsonl \
	  --split held-back --out outputs/local/evaluation-held-back.json --tables outputs/local/held-back

annotation-claim: $(STAMP)  ## queue-picked against random labels, ../shared/gold/trove-train as the coder (outputs/local/)
	$(BIN)/python -m pipeline.annotate simulate --oracle $(SHARED)/gold/trove-train.jsonl --n 100 \
	  --out outputs/local/annotation-claim.json

UNGDC ?= $(SHARED)/ungdc/bali-members-2002-2024
UNGDC_OUT := outputs/ungdc
ungdc: $(STAMP)  ## every stage on UN General Debate speeches (UNGDC=folder or .tar.xz) into outputs/ungdc/ (not committed)
	rm -rf $(UNGDC_OUT)
	$(BIN)/python -m pipeline.import_ungdc $(UNGDC) --out $(UNGDC_OUT)/corpus
	$(BIN)/python -m pipeline.run_corpus $(UNGDC_OUT)/corpus/statements --manifest $(UNGDC_OUT)/corpus/statements.csv \
	  --out $(UNGDC_OUT) \
	  --set "charts.source=UN General Debate Corpus (Jankin, Baturo and Dasandi; CC0)" \
	  --set "report.title=UN General Debate speeches: themes across sessions" \
	  --set "report.corpus_note=Speeches at the UN General Debate (each session a meeting, each state's speech a statement), tagged with the project's theme codebook."

TROVE ?= $(SHARED)/trove/trove-pressreleases-1959-2017.tar.xz
TROVE_OUT := outputs/trove
trove: $(STAMP)  ## every stage on the Trove press releases (TROVE=.tar.xz or folder), by year, into outputs/trove/ (not committed)
	rm -rf $(TROVE_OUT) && mkdir -p $(TROVE_OUT)/corpus
	if [ -d "$(TROVE)" ]; then cp -r "$(TROVE)" $(TROVE_OUT)/corpus/statements; \
	else tar -xJf "$(TROVE)" -C $(TROVE_OUT)/corpus && mv $(TROVE_OUT)/corpus/trove_pressreleases $(TROVE_OUT)/corpus/statements; fi
	$(BIN)/python -m pipeline.run_corpus $(TROVE_OUT)/corpus/statements --out $(TROVE_OUT) \
	  --set trends.group_by=year --set trends.compare_by=party --set tag.n_process=2 --set ingest.n_process=2 \
	  --set "charts.source=Australian ministers' press releases on refugees and boat arrivals (Trove, via wragge/trove-parliament-pressreleases)" \
	  --set "report.title=Australian press releases on refugees and people smuggling: themes by year" \
	  --set "report.corpus_note=Press releases and interview transcripts by Australian federal politicians, 1959-2017 (each year a group; copies issued by several offices counted once), tagged with the project's theme codebook."

UNGDC_ARCHIVE ?= $(SHARED)/ungdc/ungdc-1946-2024.tar.xz
bench: $(STAMP)  ## speed and memory figures into outputs/metrics/bench.json (UNGDC=..., UNGDC_ARCHIVE=..., TROVE=... when present), and the annotation claim
	$(BIN)/python -m pipeline.bench --corpus $(UNGDC) $(if $(wildcard $(UNGDC_ARCHIVE)),--archive $(UNGDC_ARCHIVE)) \
	  $(if $(wildcard $(TROVE)),--trove $(TROVE))
	$(if $(wildcard $(SHARED)/gold/trove-train.jsonl),$(MAKE) annotation-claim)

lock:  ## re-resolve dependencies from pyproject.toml into requirements.lock
	rm -rf .lock-venv && $(PYTHON) -m venv .lock-venv
	.lock-venv/bin/python -m pip install --quiet --upgrade pip && .lock-venv/bin/python -m pip install --quiet ".[test]"
	{ echo "# Exact versions installed by 'make run' and 'make test' (Python 3.11)."; \
	  echo "# Regenerate with 'make lock' after changing dependencies in pyproject.toml."; \
	  .lock-venv/bin/python -m pip freeze --exclude-editable | grep -v '^bali-themes'; } > requirements.lock
	rm -rf .lock-venv

clean-venv:  ## remove .venv
	rm -rf $(VENV)
