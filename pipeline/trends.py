"""Stage `trends`: tables across meetings from the tag stage's sentences and mentions.

    python -m pipeline.trends --interim outputs/interim --tables outputs/tables ...
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from . import _stage
from .core import trends
from .core.codebook import load_codebook
from .core.errors import PipelineError
from .core.gazetteer import load_actors
from .core.io import csv_writer, json_writer, write_all
from .core.partitions import iter_batches, open_dataset, read_table

INTERIM = ("statements.parquet", "meetings.parquet", "mentions.parquet")
COLUMNS = {"statements": ["statement_id", "path", "title", "series", "speaker", "party"],
           "mentions": ["sentence_id", "statement_id", "meeting_id", "kind", "label", "canonical_id", "start", "end",
                        "text", "source"]}
# Only themes and the actors (states, organisations) are counted: dates, places and people are not read.
ROWS = {"mentions": [[("kind", "=", "theme")], [("label", "in", sorted(trends.ACTOR_LABELS))]]}


def read_interim(folder: Path) -> dict[str, pd.DataFrame]:
    """The columns and rows of the ingest and tag tables that the trends
    need (sentences are read by :func:`read_sentences`, term counts by
    :func:`core.trends.group_term_counts`)."""
    for name in (*INTERIM, "sentences.parquet", "term_counts.parquet"):
        if not (folder / name).exists():
            raise PipelineError(f"{folder / name}: not found: run the ingest and tag stages first (`dvc repro tag`)")
    return {name.split(".")[0]: read_table(folder / name, columns=COLUMNS.get(name.split(".")[0]),
                                           filters=ROWS.get(name.split(".")[0])).to_pandas()
            for name in INTERIM}


def read_sentences(path: Path, groups: pd.DataFrame, wanted: set[str]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Sentence counts per statement and meeting, and the texts of the
    ``wanted`` sentences (those with a theme). The counts are summed batch
    by batch and only the wanted texts are kept (the sentences' parts read
    as one dataset, on several threads), so memory does not grow with the
    corpus."""
    # small parts are joined into batches of 200,000 sentences: one sum per part cost 0.1 s on the 952 UN speeches
    counts = trends.add_counts(trends.sentence_counts(batch) for batch in iter_batches(
        path, columns=["statement_id", "meeting_id", "n_words"], batch_size=200_000))
    trends.count_groups(counts, groups)  # every sentence's meeting is known, or stop here
    wanted_ids = pa.array(sorted(wanted), type=pa.string())
    texts = open_dataset(path).to_table(columns=["sentence_id", "text"], filter=pc.field("sentence_id").isin(wanted_ids))
    return counts, texts.to_pandas()


def main(argv: list[str] | None = None) -> int:
    args = _stage.parser(__doc__.splitlines()[0], "trends").parse_args(argv)
    params = _stage.params(args).trends
    data = read_interim(args.interim)
    themes = [(t.id, t.label) for t in load_codebook(args.codebook).themes]
    names = {a.id: a.name for a in load_actors(args.gazetteer)}
    groups = trends.meeting_groups(data["meetings"], by=params.group_by, statements=data["statements"])
    mentions = data["mentions"]
    attendance = pd.read_csv(args.attendance, dtype=str, keep_default_na=False) if args.attendance.exists() \
        else pd.DataFrame(columns=["meeting_id", "role", "canonical_id", "participant"])
    counts, texts = read_sentences(args.interim / "sentences.parquet", groups,
                                   set(mentions.loc[mentions["kind"] == "theme", "sentence_id"]))
    term_counts = trends.group_term_counts(
        iter_batches(args.interim / "term_counts.parquet", batch_size=500, columns=["meeting_id", "term", "count"]),
        dict(zip(groups["meeting_id"], groups["group_id"])))
    theme_trends = trends.theme_trends(counts, mentions, groups, themes)
    tables = {
        "theme_trends": theme_trends,
        "theme_shares": trends.theme_shares_wide(theme_trends),
        "entity_trends": trends.entity_trends(mentions, groups, names),
        "attendance_trends": trends.attendance_trends(attendance, groups),
        "actor_themes": trends.actor_themes(mentions, groups, names),
        "emerging": trends.emerging(counts, mentions, groups, themes, term_counts=term_counts,
                                    top_terms=params.top_terms, min_count=params.min_term_count),
        "theme_evidence": trends.theme_evidence(mentions, groups, data["statements"], texts),
        "theme_compare": trends.theme_compare(
            counts, mentions, groups, themes, by=params.compare_by, top=params.compare_top,
            value_of=dict(zip(data["statements"]["statement_id"],
                              data["statements"][params.compare_by].fillna("").astype(str)))
            if params.compare_by else {}),
    }
    summary = {"group_by": params.group_by, "compare_by": params.compare_by, "groups": int(groups["group_id"].nunique()),
               "statements": int(counts["statement_id"].nunique()),
               "sentences": int(counts["sentences"].sum()), **{name: len(t) for name, t in tables.items()}}
    write_all({**{args.tables / f"{name}.csv": csv_writer(t) for name, t in tables.items()},
               args.metrics: json_writer(summary)})
    _stage.log(f"trends: {summary['groups']} groups by {summary['group_by']}, {summary['sentences']} sentences -> "
               f"{', '.join(f'{n}.csv' for n in tables)} in {args.tables}")
    return 0


if __name__ == "__main__":
    _stage.run(main)
