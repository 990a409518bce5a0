"""Thematic text analysis of intergovernmental statements on human trafficking.

Stages (one module each, run by ``dvc repro``): ingest -> tag -> trends ->
charts -> report, and evaluate. Commands beside them: fetch (downloads
public statements), import_ungdc, run_corpus, bench. Pure, reusable logic
lives in :mod:`pipeline.core`.
"""

__version__ = "0.1.0"
