"""Stage `evaluate`: theme tagging scored against human-labelled sentences.

    python -m pipeline.evaluate                      # the gold files in params.yaml (evaluate.gold)
    python -m pipeline.evaluate --gold other.jsonl --split held-back --out outputs/local/eval.json

The metrics file holds the headline figures (micro precision, recall and F1 with 95% bootstrap intervals;
the learned model and the combination beside the rules) and says for each file whether the codebook was
written against it; per-theme figures and the disagreements go to two tables. A held-out file's disagreements
are not listed (pass --list-held-out-misses to list them): reading its misses while editing the codebook would
make it a development set, and its figures would no longer say how the rules do on unseen text.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from . import _stage
from .core.annotate import agreement, labels_by_coder
from .core.evaluate import (all_gold_files, evaluate_gold_file, learning_curve, load_gold, split_of,
                            teaching_gold_files)
from .core.layout import Layout
from .core.io import csv_writer, json_writer, write_all
from .core.learned import ThemeModel
from .core.nlp import tagging_pipeline
from .core.params import GoldFile

PER_THEME = ["gold_file", "tagger", "theme", "precision", "recall", "f1", "f1_low", "f1_high", "support", "tp", "fp",
             "fn"]
DISAGREEMENTS = ["gold_file", "tagger", "id", "text", "gold", "predicted", "missed", "extra"]


def main(argv: list[str] | None = None) -> int:
    p = _stage.parser(__doc__.splitlines()[0], "evaluate")
    p.add_argument("--gold", type=Path, action="append",
                   help="gold JSON Lines file (repeatable); default: evaluate.gold in params.yaml")
    p.add_argument("--rules-written-against", action="store_true",
                   help="the --gold files were looked at while writing the codebook (default: they were not)")
    p.add_argument("--split", choices=["all", "dev", "held-back"], default="all",
                   help="score only one part of each file, split by document (see core/evaluate.split_of)")
    p.add_argument("--list-held-out-misses", action="store_true",
                   help="list the disagreements of held-out files too (once read, a file is no longer held out)")
    args = p.parse_args(argv)
    params = _stage.params(args)
    files = ([GoldFile(file=str(g), rules_written_against=args.rules_written_against) for g in args.gold]
             if args.gold else all_gold_files(params.evaluate.gold, Layout().gold))
    nlp = tagging_pipeline(gazetteer=args.gazetteer, cities=args.cities, codebook=args.codebook,
                           trained=params.tag.trained_pipeline)
    model = ThemeModel.load(args.model) if args.model.exists() else None
    if model is None:
        _stage.log(f"evaluate: {args.model} not found: rules only, no comparison (run `dvc repro train` first)")
    trained_on = {Path(g.file).resolve() for g in teaching_gold_files(params.evaluate.gold, Layout().gold)}
    headlines, themes, disagreements = {}, [], []
    for entry in files:
        path = Path(entry.file)
        gold = [r for r in load_gold(path) if args.split == "all" or split_of(r) == args.split]
        name = path.stem if args.split == "all" else f"{path.stem} ({args.split})"
        headline, theme_rows, disagreement_rows = evaluate_gold_file(
            name, gold, nlp=nlp, model=model, learned=params.learned, model_saw_it=path.resolve() in trained_on,
            rules_written_against=entry.rules_written_against, resamples=params.evaluate.bootstrap)
        headlines[name] = headline
        themes += theme_rows
        if entry.rules_written_against or args.list_held_out_misses:
            disagreements += disagreement_rows
        elif disagreement_rows:
            _stage.log(f"evaluate: {name}: held out, so its {len(disagreement_rows)} disagreements are not listed "
                       "(--list-held-out-misses lists them; then count the file as written against)")
        _stage.log(f"evaluate: {name}: {len(gold)} sentences, micro P {headline['precision']:.3f} "
                   f"R {headline['recall']:.3f} F1 {headline['f1']:.3f} (95% {headline['f1_95'][0]:.3f}-"
                   f"{headline['f1_95'][1]:.3f}){'' if not entry.rules_written_against else ', rules written against it'}")
    held_out = {n: h for n, h in headlines.items() if not h["rules_written_against"]}
    metrics = {"held_out": held_out or "none: every gold file here was looked at while writing the codebook, so "
                                        "these figures are optimistic; add a held-out file to evaluate.gold",
               "written_against": {n: h for n, h in headlines.items() if h["rules_written_against"]}}
    by_coder = labels_by_coder(row for entry in files for row in load_gold(Path(entry.file)))
    by_coder.pop("adjudicated", None)
    if len(by_coder) >= 2:
        metrics["coders"] = agreement(by_coder, nlp.get_pipe("bali_themes").codebook.ids())
    if not args.gold:
        pooled = [r for entry in files if entry.teach_model for r in load_gold(Path(entry.file))]
        book = nlp.get_pipe("bali_themes").codebook
        metrics["learning_curve"] = learning_curve(book, pooled, book.ids(), folds=params.learned.folds,
                                                   c=params.learned.c)
    write_all({args.out: json_writer(metrics),
               args.tables / "evaluation_per_theme.csv": csv_writer(pd.DataFrame(themes, columns=PER_THEME)),
               args.tables / "evaluation_disagreements.csv": csv_writer(pd.DataFrame(disagreements,
                                                                                    columns=DISAGREEMENTS))})
    return 0


if __name__ == "__main__":
    _stage.run(main)
