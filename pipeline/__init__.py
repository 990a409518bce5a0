"""Thematic text analysis of intergovernmental statements on human trafficking.

Stages (one module each, declared once in :mod:`pipeline.stages`, run by
``dvc repro``): ingest -> tag -> train -> evaluate -> trends -> discover ->
charts -> report. Commands beside them: fetch (downloads public statements),
import_ungdc, run_corpus, bench, and ``python -m pipeline tag`` (tagging
JSON Lines). Pure, reusable logic lives in :mod:`pipeline.core`.
"""

__version__ = "0.1.0"
