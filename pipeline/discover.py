"""Stage `discover`: topics in the sentences (TF-IDF + NMF), how each overlaps the codebook, candidate themes.

    python -m pipeline.discover --interim outputs/interim --tables outputs/tables ...
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from . import _stage
from .core import discovery, trends
from .core.errors import PipelineError
from .core.io import csv_writer, write_all


def main(argv: list[str] | None = None) -> int:
    p = _stage.parser(__doc__.splitlines()[0])
    p.add_argument("--interim", type=Path, default=Path("outputs/interim"), help="the tag stage's Parquet tables")
    p.add_argument("--tables", type=Path, default=Path("outputs/tables"), help="folder for the topic CSVs")
    args = p.parse_args(argv)
    params = _stage.load_params(args.params, "discover")
    for name in ("sentences.parquet", "mentions.parquet", "meetings.parquet"):
        if not (args.interim / name).exists():
            raise PipelineError(f"{args.interim / name}: not found: run the tag stage first (`dvc repro tag`)")
    sentences = pd.read_parquet(args.interim / "sentences.parquet", columns=["sentence_id", "meeting_id", "text"])
    mentions = pd.read_parquet(args.interim / "mentions.parquet", columns=["sentence_id", "kind", "label"])
    groups = trends.meeting_groups(pd.read_parquet(args.interim / "meetings.parquet"),
                                   by=str(_stage.load_params(args.params, "trends").get("group_by", "meeting")))
    themes = mentions[mentions["kind"] == "theme"]
    theme_sentences = {t: set(g["sentence_id"]) for t, g in themes.groupby("label")}
    topics, weights = discovery.discover_topics(sentences["text"].tolist(), n_topics=int(params.get("n_topics", 12)),
                                                min_df=int(params.get("min_df", 2)),
                                                max_df=float(params.get("max_df", 0.5)), seed=int(params.get("seed", 0)))
    sentence_groups = sentences[["sentence_id", "meeting_id"]].merge(groups[["meeting_id", "group_id", "order"]],
                                                                     on="meeting_id")[["sentence_id", "group_id", "order"]]
    found, topic_trends, examples = discovery.topic_tables(
        sentences, weights, topics, sentence_groups, theme_sentences,
        candidate_overlap=float(params.get("candidate_overlap", 0.2)))
    write_all({args.tables / "discovered_topics.csv": csv_writer(found),
               args.tables / "topic_trends.csv": csv_writer(topic_trends),
               args.tables / "topic_sentences.csv": csv_writer(examples)})
    _stage.log(f"discover: {len(found)} topics over {len(sentences)} sentences, "
               f"{int(found['candidate'].sum()) if len(found) else 0} candidate themes")
    return 0


if __name__ == "__main__":
    _stage.run(main)
