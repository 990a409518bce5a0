"""What a codebook edit changed: every sentence each theme gained or lost, and each meeting's share before and after.

    python -m pipeline.compare --codebook-from HEAD~1          # a git revision of corpus/codebook.yaml
    python -m pipeline.compare --codebook-from old-codebook.yaml

The current tags are the tag stage's (run `make run` first); the old codebook re-tags only theme matching,
reusing the tag cache's sentences and entities. Writes outputs/tables/codebook_diff.csv (one row per sentence
and theme gained or lost, with the evidence) and codebook_diff_shares.csv (per meeting and theme: both shares
with their 95% Wilson intervals).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

import pandas as pd

from . import _stage
from .core import records, trends
from .core.codebook import load_codebook
from .core.errors import PipelineError
from .core.gazetteer import load_actors
from .core.io import csv_writer, write_all
from .core.layout import Layout
from .core.nlp import tagging_pipeline
from .core.params import load_params
from .core.tagstream import read_tasks, tag_tasks
from .stages import tag_cache

L = Layout()


def old_codebook(source: str, current: Path) -> str:
    """The old codebook's text: a file, or ``current`` at a git revision."""
    path = Path(source)
    if path.is_file():
        return path.read_text(encoding="utf-8")
    done = subprocess.run(["git", "show", f"{source}:{current.as_posix()}"], capture_output=True, text=True)
    if done.returncode != 0:
        raise PipelineError(f"--codebook-from {source!r}: neither a file nor a git revision with {current} "
                            f"({done.stderr.strip().splitlines()[-1] if done.stderr.strip() else 'git failed'})")
    return done.stdout


def theme_mentions_with(codebook: Path, args, params) -> pd.DataFrame:
    """Theme mentions of the corpus under ``codebook``, through the tag cache
    (entity part reused; theme matching alone where needed)."""
    nlp = tagging_pipeline(gazetteer=args.gazetteer, cities=args.cities, codebook=codebook,
                           trained=params.tag.trained_pipeline)
    cache = tag_cache(folder=params.tag.cache_dir, gazetteer=args.gazetteer, cities=args.cities, codebook=codebook,
                      trained=params.tag.trained_pipeline)
    total, tasks = read_tasks(args.interim / "statements.parquet", args.interim / "paragraphs.parquet")
    names = {a.id: a.name for a in load_actors(args.gazetteer)}
    counts: dict = {}
    rows = [m for r in _stage.progress(tag_tasks(tasks, nlp=nlp, names=names, cache=cache, counts=counts),
                                      desc="compare", unit="statement", total=total)
            for m in r.mentions if m["kind"] == "theme"]
    _stage.log(f"compare: old codebook: {counts.get('themes_only', 0)} statements re-matched, "
               f"{counts.get('cached', 0)} from the cache, {counts.get('tagged', 0)} tagged in full")
    return records.frame(rows, records.MENTION)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--codebook-from", default=None,
                   help="the old codebook: a file or a git revision (default: compare.codebook_from in params)")
    p.add_argument("--codebook", type=Path, default=L.codebook, help="the current codebook")
    p.add_argument("--interim", type=Path, default=L.interim, help="the tag stage's tables (current tags)")
    p.add_argument("--gazetteer", type=Path, default=L.gazetteer, help="states and organisations")
    p.add_argument("--cities", type=Path, default=L.cities, help="known cities")
    p.add_argument("--tables", type=Path, default=L.tables, help="folder for codebook_diff*.csv")
    p.add_argument("--params", type=Path, default=Path("params.yaml"), help="parameters file")
    args = p.parse_args(argv)
    params = load_params(args.params)
    source = params.compare.codebook_from if args.codebook_from is None else args.codebook_from
    if not source:
        write_all({args.tables / "codebook_diff.csv": csv_writer(pd.DataFrame(columns=DIFF_COLUMNS)),
                   args.tables / "codebook_diff_shares.csv": csv_writer(pd.DataFrame(columns=SHARE_COLUMNS))})
        _stage.log("compare: no earlier codebook given (compare.codebook_from): empty tables written")
        return 0
    for name in ("sentences", "mentions", "meetings", "statements"):
        if not (args.interim / f"{name}.parquet").exists():
            raise PipelineError(f"{args.interim / name}.parquet: not found: run the pipeline first (`make run`)")
    with tempfile.TemporaryDirectory() as tmp:
        old_path = Path(tmp) / "codebook.yaml"
        old_path.write_text(old_codebook(source, args.codebook), encoding="utf-8")
        load_codebook(old_path)
        before = theme_mentions_with(old_path, args, params)
    after = pd.read_parquet(args.interim / "mentions.parquet")
    after = after[after["kind"] == "theme"]
    sentences = pd.read_parquet(args.interim / "sentences.parquet",
                                columns=["sentence_id", "statement_id", "meeting_id", "n_words", "text"])
    book = load_codebook(args.codebook)
    themes = [(t.id, t.label) for t in book.themes]
    diff = codebook_diff(before, after, sentences)
    statements = pd.read_parquet(args.interim / "statements.parquet", columns=["statement_id", "speaker", "party"])
    groups = trends.meeting_groups(pd.read_parquet(args.interim / "meetings.parquet"), by=params.trends.group_by,
                                   statements=statements)
    counts = trends.sentence_counts(sentences)
    shares = share_changes(trends.theme_trends(counts, before, groups, themes),
                           trends.theme_trends(counts, after, groups, themes))
    write_all({args.tables / "codebook_diff.csv": csv_writer(diff),
               args.tables / "codebook_diff_shares.csv": csv_writer(shares)})
    summary = diff.groupby(["theme", "change"]).size().unstack(fill_value=0) if len(diff) else None
    _stage.log(f"compare: {len(diff)} sentence-theme changes"
               + ("" if summary is None else ": " + "; ".join(
                   f"{t} +{int(r.get('gained', 0))} -{int(r.get('lost', 0))}" for t, r in summary.iterrows()))
               + f" -> {args.tables / 'codebook_diff.csv'}")
    return 0


def codebook_diff(before: pd.DataFrame, after: pd.DataFrame, sentences: pd.DataFrame) -> pd.DataFrame:
    """One row per sentence and theme whose tag changed, with the evidence and rules on each side."""
    def per_sentence(m: pd.DataFrame) -> dict[tuple[str, str], tuple[str, str]]:
        grouped = m.groupby(["sentence_id", "label"]).agg(evidence=("text", lambda s: " | ".join(sorted(set(s)))),
                                                          rules=("source", lambda s: ", ".join(sorted(set(s)))))
        return {key: (r.evidence, r.rules) for key, r in grouped.iterrows()}
    old, new = per_sentence(before), per_sentence(after)
    text = dict(zip(sentences["sentence_id"], sentences["text"]))
    meeting = dict(zip(sentences["sentence_id"], sentences["meeting_id"]))
    rows = []
    for key in sorted(set(old) ^ set(new)):
        gained = key in new
        evidence, rules = (new if gained else old)[key]
        rows.append({"theme": key[1], "change": "gained" if gained else "lost", "sentence_id": key[0],
                     "meeting_id": meeting.get(key[0], ""), "evidence": evidence, "rules": rules,
                     "sentence": text.get(key[0], "")})
    return pd.DataFrame(rows, columns=DIFF_COLUMNS)


DIFF_COLUMNS = ["theme", "change", "sentence_id", "meeting_id", "evidence", "rules", "sentence"]


KEYS = ["group_id", "label", "start_date", "order", "theme"]
SHARE_VALUES = ["sentences_with_theme", "share", "share_low", "share_high"]
SHARE_COLUMNS = KEYS + ["sentences"] + [f"{c}_{w}" for w in ("before", "after") for c in SHARE_VALUES] + ["change"]


def share_changes(before: pd.DataFrame, after: pd.DataFrame) -> pd.DataFrame:
    merged = before[KEYS + ["sentences"] + SHARE_VALUES].merge(after[KEYS + SHARE_VALUES], on=KEYS,
                                                               suffixes=("_before", "_after"))
    merged["change"] = merged["share_after"] - merged["share_before"]
    return merged.sort_values(["order", "theme"]).reset_index(drop=True)[SHARE_COLUMNS]


if __name__ == "__main__":
    _stage.run(lambda argv: main(argv if argv is not None else sys.argv[1:]))
