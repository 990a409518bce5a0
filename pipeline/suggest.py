"""Suggest words for a theme's lexicon from a tagged corpus (distributional similarity; nothing downloads).

    python -m pipeline.suggest fishing --interim outputs/trove/interim --out outputs/local/suggest-fishing.csv

Prints the candidates with their similarity, frequency and example sentences, and writes them to --out.
Accept a word by adding it to a lexicon or rule in corpus/codebook.yaml (with an example), then `make run`.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd

from . import _stage
from .core.codebook import load_codebook
from .core.errors import PipelineError
from .core.io import csv_writer, write_all
from .core.layout import Layout
from .core.suggest import suggest


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("theme", help="a theme id of the codebook, e.g. fishing")
    p.add_argument("--interim", type=Path, default=Layout().interim, help="folder with the tag stage's sentences.parquet")
    p.add_argument("--codebook", type=Path, default=Layout().codebook, help="theme codebook")
    p.add_argument("--top", type=int, default=30, help="candidates listed")
    p.add_argument("--min-count", type=int, default=5, help="a word must be in at least this many sentences")
    p.add_argument("--out", type=Path, help="CSV of the candidates (default: print only)")
    args = p.parse_args(argv)
    book = load_codebook(args.codebook)
    theme = next((t for t in book.themes if t.id == args.theme), None)
    if theme is None:
        raise PipelineError(f"{args.codebook}: no theme {args.theme!r}: use one of {', '.join(book.ids())}")
    path = args.interim / "sentences.parquet"
    if not path.exists():
        raise PipelineError(f"{path}: not found: run the pipeline on the corpus first (`make run` or run_corpus)")
    sentences = pd.read_parquet(path, columns=["text"])["text"].tolist()
    found = suggest(sentences, theme, book, top=args.top, min_count=args.min_count)
    if found.empty:
        _stage.log(f"suggest: none of {args.theme}'s terms occurs {args.min_count}+ times in {path}: nothing to "
                   "compare with (try --min-count 2)")
        return 0
    for row in found.itertuples():
        print(f"{row.rank:>3}  {row.word:<20} {row.similarity:.3f}  {row.sentences:>6} sentences  {row.examples[:150]}")
    if args.out:
        write_all({args.out: csv_writer(found)})
        _stage.log(f"suggest: {len(found)} candidates -> {args.out}")
    return 0


if __name__ == "__main__":
    _stage.run(main)
