"""Stage `ingest`: statement files -> statements, meetings and paragraphs.

    python -m pipeline.ingest --statements corpus/statements --manifest corpus/statements.csv ...
"""

from __future__ import annotations

import csv
from collections import Counter
from pathlib import Path

import pandas as pd
import yaml

from .core.io import load_yaml
from . import _stage
from .core.errors import PipelineError  # re-exported for callers
from .core.cache import JsonStore
from .core.ingeststream import ingest_to_parquet
from .core.io import csv_writer, json_writer, write_all
from .core.manifest import load_manifest, load_register
from .core.params import IngestParams
from .core.statements import IngestRules
from .stages import code_version


def load_rules(*, series: Path, cities: Path, register: Path, params: IngestParams) -> IngestRules:
    try:
        series_rules = load_yaml(series.read_text(encoding="utf-8")) or []
    except (OSError, yaml.YAMLError) as err:
        raise PipelineError(f"{series}: cannot read series rules: {err}") from err
    for i, rule in enumerate(series_rules, start=1):
        if not isinstance(rule, dict) or not rule.get("series") or not isinstance(rule.get("patterns"), list):
            raise PipelineError(f"{series}: entry {i} needs 'series' and a list of 'patterns'")
    with cities.open(encoding="utf-8", newline="") as f:
        city_table = {row["city"]: row["country"] for row in csv.DictReader(f)}
    return IngestRules(series=series_rules, cities=city_table, register=load_register(register),
                       header_min_share=params.header_min_share, heading_max_words=params.heading_max_words,
                       near_duplicate_threshold=params.near_duplicate_threshold,
                       keep_duplicates=params.keep_duplicates)


def main(argv: list[str] | None = None) -> int:
    args = _stage.parser(__doc__.splitlines()[0], "ingest").parse_args(argv)
    params = _stage.params(args).ingest
    if not args.statements.is_dir():
        raise PipelineError(f"{args.statements}: no such folder: pass --statements with the folder of statement files")
    rules = load_rules(series=args.series, cities=args.cities, register=args.register, params=params)
    folder = params.cache_dir
    version = code_version("pipeline.ingest", *(p.read_text(encoding="utf-8")
                                                 for p in (args.series, args.cities, args.register)),
                           params.model_dump_json(exclude={"cache_dir", "n_process", "scheduler"}))
    result = ingest_to_parquet(args.statements, load_manifest(args.manifest), rules=rules, out=args.out,
                               version=version, workers=_stage.workers(args, params),
                               progress=lambda xs: _stage.progress(xs, desc="ingest", unit="file"),
                               cache=JsonStore(Path(folder) / version) if folder else None)
    try:
        for message in result.messages:
            _stage.log(message)
        st = result.statements
        metrics = {
            "statements": {"total": len(st), **{k: int(v) for k, v in sorted(Counter(st["status"]).items())}},
            "by_format": {fmt: {k: int(v) for k, v in sorted(Counter(g["status"]).items())}
                          for fmt, g in sorted(st.groupby("format"), key=lambda kv: kv[0])},
            "meetings": result.meetings,
            "paragraphs": result.paragraphs,
            "words": int(st["n_words"][st["status"] == "ok"].sum()),
            "duplicates": int((st["duplicate_of"].fillna("") != "").sum()),
        }
        path_of = dict(zip(st["statement_id"], st["path"]))
        dup = st[st["duplicate_of"].fillna("") != ""]
        duplicates = pd.DataFrame({"statement_id": dup["statement_id"], "path": dup["path"],
                                   "duplicate_of": dup["duplicate_of"], "duplicate_of_path": dup["duplicate_of"].map(path_of),
                                   "similarity": dup["similarity"], "counted": dup["status"] == "ok"})
        result.tables.commit()
    except BaseException:  # nothing is put in place: the tables stay as they were
        result.tables.discard()
        raise
    write_all({args.metrics: json_writer(metrics), args.duplicates: csv_writer(duplicates)})
    _stage.log(f"ingest: {metrics['statements']} -> {result.meetings} meetings, "
               f"{result.paragraphs} paragraphs in {args.out} ({result.written} statements written, "
               f"{len(st) - result.written} kept as they were)")
    return 0


if __name__ == "__main__":
    _stage.run(main)
