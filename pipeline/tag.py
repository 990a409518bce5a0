"""Stage `tag`: sentences, entities, themes, people and attendance from ingested statements.

    python -m pipeline.tag --interim outputs/interim --gazetteer corpus/gazetteer/actors.yaml ...

Statements are tagged one by one (in `tag.n_process` worker processes) and the rows streamed to
Parquet, so memory stays flat however large the corpus. Results are cached per statement in
`tag.cache_dir`: a rerun tags only new or changed statements, and a codebook edit re-runs only
theme matching.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import spacy
import spacy_lookups_data

from . import _stage
from .core import records
from .core.codebook import check_examples
from .core.errors import PipelineError
from .core.gazetteer import load_actors
from .core.io import csv_writer, json_writer, write_all
from .core.nlp import build_nlp
from .core.records import ATTENDANCE, ATTENDANCE_CHECK, MENTION, PERSON, SENTENCE, frame
from .core.cache import fingerprint
from .core.tagstream import ParquetStream, TagCache, Task, mover, tag_tasks

CORE = Path(__file__).parent / "core"
ENTITY_CODE = [CORE / f for f in ("nlp.py", "attendance.py", "tagging.py", "gazetteer.py", "metadata.py")]
THEME_CODE = [CORE / f for f in ("codebook.py", "lemmas.py")]


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


def make_cache(args, params: dict) -> TagCache:
    """The per-statement cache, versioned by everything that shapes the results."""
    folder = params.get("cache_dir", ".cache/tag")
    trained = str(params.get("trained_pipeline") or "")
    entity_version = fingerprint([args.gazetteer, args.cities, *ENTITY_CODE], spacy.__version__, trained)
    theme_version = fingerprint([args.codebook, *THEME_CODE], spacy_lookups_data.__version__)
    return TagCache(Path(folder) if folder else None, entity_version=entity_version, theme_version=theme_version)


def read_tasks(interim: Path):
    """Statements with status ok, read in batches, each with its paragraphs
    (whose text is a slice of the statement's)."""
    for name in ("statements.parquet", "paragraphs.parquet"):
        if not (interim / name).exists():
            raise PipelineError(f"{interim / name}: not found: run the ingest stage first (`dvc repro ingest`)")
    columns = ["paragraph_id", "statement_id", "meeting_id", "section", "order", "kind", "start", "end"]
    paragraphs = pd.read_parquet(interim / "paragraphs.parquet", columns=columns).sort_values(["statement_id", "order"])
    bounds = paragraphs.groupby("statement_id", sort=False).indices
    records_ = paragraphs.to_dict("records")
    statements = pq.ParquetFile(interim / "statements.parquet")
    total = sum(1 for s in pq.read_table(interim / "statements.parquet", columns=["status"]).column("status").to_pylist()
                if s == "ok")

    def tasks():
        for batch in statements.iter_batches(batch_size=64, columns=["statement_id", "status", "text"]):
            for sid, status, text in zip(*(batch.column(i).to_pylist() for i in range(3))):
                if status != "ok":
                    continue
                rows = tuple({**records_[i], "text": text[records_[i]["start"]:records_[i]["end"]]}
                             for i in bounds.get(sid, []))
                yield Task(sid, text, rows)
    return total, tasks()


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
    cache = make_cache(args, params)
    total, tasks = read_tasks(args.interim)
    names = {a.id: a.name for a in load_actors(args.gazetteer)}
    sentences = ParquetStream(args.interim / "sentences.parquet", records.arrow_schema(SENTENCE, records.SENTENCE_SCHEMA_TYPES))
    mentions = ParquetStream(args.interim / "mentions.parquet", records.arrow_schema(MENTION, records.MENTION_SCHEMA_TYPES))
    people, attendance, checks = [], [], []
    kinds, labels, counts = Counter(), Counter(), {}
    try:
        results = tag_tasks(tasks, nlp=nlp, names=names, cache=cache, n_process=int(params.get("n_process", 1)),
                            counts=counts)
        for rows in _stage.progress(results, desc="tag", unit="statement", total=total):
            sentences.extend(rows.sentences)
            mentions.extend(rows.mentions)
            kinds.update(m["kind"] for m in rows.mentions)
            labels.update(m["label"] for m in rows.mentions if m["kind"] == "entity")
            people += rows.people
            attendance += rows.attendance
            checks += rows.checks
        written = {args.interim / "sentences.parquet": mover(sentences.close()),
                   args.interim / "mentions.parquet": mover(mentions.close())}
    except BaseException:
        sentences.discard()
        mentions.discard()
        raise
    metrics = {"statements": total, "sentences": sentences.rows,
               "mentions": dict(sorted(kinds.items())), "entities_by_label": dict(sorted(labels.items())),
               "attendance_rows": len(attendance),
               "attendance_count_mismatches": sum(not c["matches"] for c in checks)}
    write_all({
        **written,
        args.tables / "attendance.csv": csv_writer(frame(attendance, ATTENDANCE)),
        args.tables / "attendance_checks.csv": csv_writer(frame(checks, ATTENDANCE_CHECK).astype({"stated_count": "Int64"})),
        args.tables / "people.csv": csv_writer(frame(people, PERSON)),
        args.metrics: json_writer(metrics),
    })
    for check in checks:
        if not check["matches"]:
            _stage.log(f"tag: {check['list_id']}: the text says {check['stated_count']} {check['list']} "
                       f"but names {check['listed_count']} (kept as written)")
    _stage.log(f"tag: {total} statements ({counts['tagged']} tagged, {counts['themes_only']} theme matching only, "
               f"{counts['cached']} from the cache) -> {sentences.rows} sentences, {mentions.rows} mentions")
    return 0


if __name__ == "__main__":
    _stage.run(main)
