"""Thematic text analysis of intergovernmental statements on human trafficking.

Stages (one module each, run by ``dvc repro``): ingest -> tag -> evaluate.
Pure, reusable logic lives in :mod:`pipeline.core`.
"""

__version__ = "0.1.0"
