"""Stage `trends`: tables across meetings from the tag stage's sentences and mentions.

    python -m pipeline.trends --interim outputs/interim --tables outputs/tables ...
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq

from . import _stage
from .core import trends
from .core.codebook import load_codebook
from .core.errors import PipelineError
from .core.gazetteer import load_actors
from .core.io import csv_writer, json_writer, write_all

INTERIM = ("statements.parquet", "meetings.parquet", "sentences.parquet", "mentions.parquet")
COLUMNS = {"statements": ["statement_id", "path", "title", "series", "speaker", "party"], "sentences": ["sentence_id", "statement_id", "meeting_id",
                                                                          "n_words"]}


def read_interim(folder: Path) -> dict[str, pd.DataFrame]:
    """The tag stage's tables, without sentence and statement texts (read
    only where needed, so memory stays well below the corpus size)."""
    for name in INTERIM:
        if not (folder / name).exists():
            raise PipelineError(f"{folder / name}: not found: run the ingest and tag stages first (`dvc repro tag`)")
    return {name.split(".")[0]: pd.read_parquet(folder / name, columns=COLUMNS.get(name.split(".")[0]))
            for name in INTERIM}


def sentence_texts(path: Path, group_of: dict[str, str]):
    """(group id, text) for every sentence, streamed from the Parquet file."""
    for batch in pq.ParquetFile(path).iter_batches(batch_size=20_000, columns=["meeting_id", "text"]):
        yield from ((group_of[m], t) for m, t in zip(batch.column(0).to_pylist(), batch.column(1).to_pylist()))


def main(argv: list[str] | None = None) -> int:
    args = _stage.parser(__doc__.splitlines()[0], "trends").parse_args(argv)
    params = _stage.params(args).trends
    data = read_interim(args.interim)
    themes = [(t.id, t.label) for t in load_codebook(args.codebook).themes]
    names = {a.id: a.name for a in load_actors(args.gazetteer)}
    groups = trends.meeting_groups(data["meetings"], by=params.group_by, statements=data["statements"])
    sentences, mentions = data["sentences"], data["mentions"]
    attendance = pd.read_csv(args.attendance, dtype=str, keep_default_na=False) if args.attendance.exists() \
        else pd.DataFrame(columns=["meeting_id", "role", "canonical_id", "participant"])
    trends.sentence_groups(sentences, groups)  # every sentence's meeting is known, or stop here
    group_of = dict(zip(groups["meeting_id"], groups["group_id"]))
    term_counts = trends.count_terms(sentence_texts(args.interim / "sentences.parquet", group_of))
    with_theme = sorted(set(mentions.loc[mentions["kind"] == "theme", "sentence_id"]))
    texts = pd.read_parquet(args.interim / "sentences.parquet", columns=["sentence_id", "text"],
                            filters=[("sentence_id", "in", with_theme)] if with_theme else None)
    theme_trends = trends.theme_trends(sentences, mentions, groups, themes)
    tables = {
        "theme_trends": theme_trends,
        "theme_shares": trends.theme_shares_wide(theme_trends),
        "entity_trends": trends.entity_trends(sentences, mentions, groups, names),
        "attendance_trends": trends.attendance_trends(attendance, groups),
        "actor_themes": trends.actor_themes(sentences, mentions, groups, names),
        "emerging": trends.emerging(sentences, mentions, groups, themes, term_counts=term_counts,
                                    top_terms=params.top_terms, min_count=params.min_term_count),
        "theme_evidence": trends.theme_evidence(sentences, mentions, groups, data["statements"], texts),
        "theme_compare": trends.theme_compare(
            sentences, mentions, groups, themes, by=params.compare_by, top=params.compare_top,
            value_of=dict(zip(data["statements"]["statement_id"],
                              data["statements"][params.compare_by].fillna("").astype(str)))
            if params.compare_by else {}),
    }
    summary = {"group_by": params.group_by, "compare_by": params.compare_by, "groups": int(groups["group_id"].nunique()),
               "statements": int(sentences["statement_id"].nunique()),
               "sentences": len(sentences), **{name: len(t) for name, t in tables.items()}}
    write_all({**{args.tables / f"{name}.csv": csv_writer(t) for name, t in tables.items()},
               args.metrics: json_writer(summary)})
    _stage.log(f"trends: {summary['groups']} groups by {summary['group_by']}, {len(sentences)} sentences -> "
               f"{', '.join(f'{n}.csv' for n in tables)} in {args.tables}")
    return 0


if __name__ == "__main__":
    _stage.run(main)
