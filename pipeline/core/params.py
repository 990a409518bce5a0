"""Typed parameters: one model per params.yaml section, defaults in one place.

A params file is read once, whole, and checked: an unknown section or key, a
value of the wrong type or a missing file is one line that names the field
and what to do. Stages take the section they need (``params.tag``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from .io import load_yaml
from .errors import PipelineError


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=False)


class CorpusParams(_Section):
    statements: str = "corpus/statements"
    manifest: str = "corpus/statements.csv"


class IngestParams(_Section):
    header_min_share: float = Field(0.5, gt=0, le=1)
    heading_max_words: int = Field(25, ge=1)
    cache_dir: str = ".cache/ingest"
    near_duplicate_threshold: float = Field(0.9, gt=0, le=1)
    keep_duplicates: bool = False
    n_process: int = Field(1, ge=1)  # local worker processes reading files
    scheduler: str = ""  # address of a running Dask scheduler (tcp://host:8786); "" = this machine


class TagParams(_Section):
    trained_pipeline: str = ""
    n_process: int = Field(1, ge=1)
    scheduler: str = ""  # address of a running Dask scheduler (tcp://host:8786); "" = this machine
    cache_dir: str = ".cache/tag"


class GoldFile(_Section):
    file: str
    rules_written_against: bool  # was the codebook written or tuned while looking at this file?
    teach_model: bool = True  # may the learned tagger train on it? false keeps it held out from the model too


class EvaluateParams(_Section):
    gold: list[GoldFile] = Field(default_factory=lambda: [GoldFile(file="corpus/gold/seed.jsonl",
                                                                   rules_written_against=True)])
    bootstrap: int = Field(1000, ge=100)  # resamples for the 95% intervals of the headline figures


class TrendsParams(_Section):
    group_by: Literal["meeting", "year", "series", "speaker", "party"] = "meeting"
    compare_by: Literal["", "series", "speaker", "party"] = ""
    compare_top: int = Field(6, ge=1)
    top_terms: int = Field(20, ge=0)
    min_term_count: int = Field(3, ge=1)


class LearnedParams(_Section):
    threshold: float = Field(0.5, gt=0, lt=1)
    combine_threshold: float = Field(0.8, gt=0, lt=1)
    c: float = Field(4.0, gt=0)
    folds: int = Field(5, ge=2)
    join_min_precision: float = Field(0.9, gt=0, le=1)  # a theme joins the rules only at this held-out precision
    join_min_gain: int = Field(3, ge=1)  # ... and only if its held-out tags are right this many times more than wrong


class DiscoverParams(_Section):
    n_topics: int = Field(12, ge=1)
    min_df: int = Field(2, ge=1)
    max_df: float = Field(0.5, gt=0, le=1)
    seed: int = 0
    candidate_overlap: float = Field(0.2, ge=0, le=1)


class CompareParams(_Section):
    codebook_from: str = ""  # a git revision or file of an earlier codebook; "" = no comparison


class ChartsParams(_Section):
    source: str = "corpus statements"
    top_actors: int = Field(20, ge=1)


class ReportParams(_Section):
    title: str = "Themes across meetings"
    corpus_note: str = ""
    evidence_per_cell: int = Field(20, ge=1)


class FetchParams(_Section):
    user_agent: str = "bali-themes/0.1 (research pipeline)"
    timeout_seconds: float = Field(20, gt=0)
    total_seconds: float = Field(120, gt=0)
    retries: int = Field(3, ge=0)
    backoff_seconds: float = Field(2, ge=0)
    min_interval_seconds: float = Field(5, ge=0)
    max_bytes: int = Field(20_000_000, gt=0)
    respect_robots_txt: bool = True


class Params(_Section):
    corpus: CorpusParams = CorpusParams()
    ingest: IngestParams = IngestParams()
    tag: TagParams = TagParams()
    evaluate: EvaluateParams = EvaluateParams()
    trends: TrendsParams = TrendsParams()
    learned: LearnedParams = LearnedParams()
    discover: DiscoverParams = DiscoverParams()
    compare: CompareParams = CompareParams()
    charts: ChartsParams = ChartsParams()
    report: ReportParams = ReportParams()
    fetch: FetchParams = FetchParams()


def parse_params(data: object, *, source: str = "params") -> Params:
    """Params from a mapping (a params.yaml's content); None gives every default."""
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise PipelineError(f"{source}: expected a mapping of sections (ingest:, tag:, ...)")
    try:
        return Params.model_validate(data)
    except ValidationError as err:
        first = err.errors()[0]
        field = ".".join(str(p) for p in first["loc"])
        what = "is not a known parameter (check its spelling against params.yaml)" \
            if first["type"] == "extra_forbidden" else f"{first['msg'].lower()} (got {first.get('input')!r})"
        more = f" (and {err.error_count() - 1} more)" if err.error_count() > 1 else ""
        raise PipelineError(f"{source}: {field}: {what}{more}") from None


def load_params(path: Path) -> Params:
    """The params file, checked; a missing file is an error, not silent defaults."""
    if not path.is_file():
        raise PipelineError(f"{path}: no such params file: pass --params with the project's params.yaml")
    try:
        data = load_yaml(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as err:
        raise PipelineError(f"{path}: not readable YAML: {str(err).splitlines()[0]}") from None
    return parse_params(data, source=str(path))


def dump_params(params: Params) -> str:
    """YAML text that `load_params` reads back to the same params."""
    return yaml.safe_dump(params.model_dump(), sort_keys=False, allow_unicode=True)
