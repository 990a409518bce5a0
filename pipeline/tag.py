"""Stage `tag`: sentences, entities, themes, people and attendance from ingested statements.

    python -m pipeline.tag --interim outputs/interim --gazetteer corpus/gazetteer/actors.yaml ...
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pandas as pd

from . import _stage
from .core.errors import PipelineError
from .core.codebook import check_examples
from .core.gazetteer import load_actors
from .core.io import csv_writer, json_writer, parquet_writer, write_all
from .core.nlp import build_nlp
from .core.records import ATTENDANCE, ATTENDANCE_CHECK, MENTION, PERSON, SENTENCE, frame
from .core.tagging import TagRows, tag_statement


def add_pipeline_args(p) -> None:
    p.add_argument("--gazetteer", type=Path, default=Path("corpus/gazetteer/actors.yaml"), help="states and organisations")
    p.add_argument("--cities", type=Path, default=Path("corpus/gazetteer/cities.csv"), help="known cities")
    p.add_argument("--codebook", type=Path, default=Path("corpus/codebook.yaml"), help="theme codebook")


def make_nlp(args, params: dict):
    """The pipeline, after checking the codebook's examples against its own rules."""
    nlp = build_nlp(gazetteer=args.gazetteer, cities=args.cities, codebook=args.codebook,
                    trained=params.get("trained_pipeline") or None)
    failures = check_examples(nlp, nlp.get_pipe("bali_themes").codebook)
    if failures:
        raise PipelineError("the codebook's examples fail its own rules:\n  " + "\n  ".join(failures))
    return nlp


def main(argv: list[str] | None = None) -> int:
    p = _stage.parser(__doc__.splitlines()[0])
    p.add_argument("--interim", type=Path, default=Path("outputs/interim"),
                   help="folder with statements.parquet and paragraphs.parquet; sentences and mentions go here too")
    add_pipeline_args(p)
    p.add_argument("--tables", type=Path, default=Path("outputs/tables"), help="folder for attendance and people CSVs")
    p.add_argument("--metrics", type=Path, default=Path("outputs/metrics/tag.json"), help="counts JSON")
    args = p.parse_args(argv)
    params = _stage.load_params(args.params, "tag")
    nlp = make_nlp(args, params)
    for name in ("statements.parquet", "paragraphs.parquet"):
        if not (args.interim / name).exists():
            raise PipelineError(f"{args.interim / name}: not found: run the ingest stage first (`dvc repro ingest`)")
    statements = pd.read_parquet(args.interim / "statements.parquet", columns=["statement_id", "status", "text"])
    paragraphs = pd.read_parquet(args.interim / "paragraphs.parquet")
    statements = statements[statements.status == "ok"]
    by_statement = {sid: g.sort_values("order").to_dict("records") for sid, g in paragraphs.groupby("statement_id")}
    names = {a.id: a.name for a in load_actors(args.gazetteer)}
    rows = TagRows()
    docs = nlp.pipe(zip(statements.text, statements.statement_id), as_tuples=True,
                    batch_size=int(params.get("batch_size", 8)), n_process=int(params.get("n_process", 1)))
    for doc, sid in _stage.progress(docs, desc="tag", unit="statement"):
        rows.extend(tag_statement(doc, sid, by_statement.get(sid, []), names))
    mentions = frame(rows.mentions, MENTION)
    metrics = {"statements": len(statements), "sentences": len(rows.sentences),
               "mentions": dict(sorted(Counter(mentions["kind"]).items())),
               "entities_by_label": dict(sorted(Counter(mentions.loc[mentions.kind == "entity", "label"]).items())),
               "attendance_rows": len(rows.attendance),
               "attendance_count_mismatches": sum(not c["matches"] for c in rows.checks)}
    write_all({
        args.interim / "sentences.parquet": parquet_writer(frame(rows.sentences, SENTENCE)),
        args.interim / "mentions.parquet": parquet_writer(mentions),
        args.tables / "attendance.csv": csv_writer(frame(rows.attendance, ATTENDANCE)),
        args.tables / "attendance_checks.csv": csv_writer(frame(rows.checks, ATTENDANCE_CHECK).astype({"stated_count": "Int64"})),
        args.tables / "people.csv": csv_writer(frame(rows.people, PERSON)),
        args.metrics: json_writer(metrics),
    })
    for check in rows.checks:
        if not check["matches"]:
            _stage.log(f"tag: {check['list_id']}: the text says {check['stated_count']} {check['list']} "
                       f"but names {check['listed_count']} (kept as written)")
    _stage.log(f"tag: {len(statements)} statements -> {len(rows.sentences)} sentences, {len(mentions)} mentions")
    return 0


if __name__ == "__main__":
    _stage.run(main)
