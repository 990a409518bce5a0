"""Stage `discover`: topics in the sentences (TF-IDF + NMF), how each overlaps the codebook, candidate themes.

    python -m pipeline.discover --interim outputs/interim --tables outputs/tables ...
"""

from __future__ import annotations


import pandas as pd

from . import _stage
from .core import discovery, trends
from .core.errors import PipelineError
from .core.io import csv_writer, write_all


def main(argv: list[str] | None = None) -> int:
    args = _stage.parser(__doc__.splitlines()[0], "discover").parse_args(argv)
    all_params = _stage.params(args)
    params = all_params.discover
    for name in ("sentences.parquet", "mentions.parquet", "meetings.parquet"):
        if not (args.interim / name).exists():
            raise PipelineError(f"{args.interim / name}: not found: run the tag stage first (`dvc repro tag`)")
    sentences = pd.read_parquet(args.interim / "sentences.parquet", columns=["sentence_id", "meeting_id", "text"])
    mentions = pd.read_parquet(args.interim / "mentions.parquet", columns=["sentence_id", "kind", "label"])
    groups = trends.meeting_groups(pd.read_parquet(args.interim / "meetings.parquet"), by=all_params.trends.group_by,
                                   statements=pd.read_parquet(args.interim / "statements.parquet",
                                                              columns=["statement_id", "speaker", "party"]))
    themes = mentions[mentions["kind"] == "theme"]
    theme_sentences = {t: set(g["sentence_id"]) for t, g in themes.groupby("label")}
    topics, weights = discovery.discover_topics(sentences["text"].tolist(), n_topics=params.n_topics,
                                                min_df=params.min_df, max_df=params.max_df, seed=params.seed)
    sentence_groups = sentences[["sentence_id", "meeting_id"]].merge(groups[["meeting_id", "group_id", "order"]],
                                                                     on="meeting_id")[["sentence_id", "group_id", "order"]]
    found, topic_trends, examples = discovery.topic_tables(
        sentences, weights, topics, sentence_groups, theme_sentences,
        candidate_overlap=params.candidate_overlap)
    write_all({args.tables / "discovered_topics.csv": csv_writer(found),
               args.tables / "topic_trends.csv": csv_writer(topic_trends),
               args.tables / "topic_sentences.csv": csv_writer(examples)})
    _stage.log(f"discover: {len(found)} topics over {len(sentences)} sentences, "
               f"{int(found['candidate'].sum()) if len(found) else 0} candidate themes")
    return 0


if __name__ == "__main__":
    _stage.run(main)
