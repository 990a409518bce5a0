"""Stage `train`: the learned sentence tagger (TF-IDF + logistic regression per theme) from the codebook's examples and the gold files.

    python -m pipeline.train --codebook corpus/codebook.yaml --out outputs/models/theme_model.joblib

Then, on held-out folds of the gold files (split by document), each theme's probabilities are calibrated
(Platt scaling) and the model is *joined* to the rules for the themes where adding its tags raises that
theme's F1 and keeps precision at or above learned.join_min_precision; the tag stage uses it for those only.
"""

from __future__ import annotations

from pathlib import Path


from . import _stage
from .core.codebook import load_codebook
from .core.evaluate import document_of, load_gold, split_of, teaching_gold_files
from .core.layout import Layout
from .core.io import write_all
from .core.learned import train_model, training_set
from .core.nlp import tagging_pipeline
from .core.themes import sentence_themes


def main(argv: list[str] | None = None) -> int:
    p = _stage.parser(__doc__.splitlines()[0], "train")
    p.add_argument("--gold", type=Path, action="append", help="gold JSON Lines (repeatable); default: evaluate.gold")
    p.add_argument("--split", choices=["all", "dev", "held-back"], default="all",
                   help="train on one part of each --gold file only (see core/evaluate.split_of)")
    args = p.parse_args(argv)
    params = _stage.params(args)
    gold_files = args.gold or [Path(g.file) for g in teaching_gold_files(params.evaluate.gold, Layout().gold)]
    book = load_codebook(args.codebook)
    gold = [row for path in gold_files for row in load_gold(path) if args.split == "all" or split_of(row) == args.split]
    rules = []
    if gold:
        nlp = tagging_pipeline(gazetteer=args.gazetteer, cities=args.cities, codebook=args.codebook,
                               trained=params.tag.trained_pipeline)
        rules = [sentence_themes(doc) for doc in nlp.pipe(r["text"] for r in gold)]
    learned = params.learned
    model = train_model(book, gold, rules, groups=[document_of(r) for r in gold], threshold=learned.threshold,
                        c=learned.c, folds=learned.folds, min_precision=learned.join_min_precision,
                        min_gain=learned.join_min_gain)
    write_all({args.out: model.save})
    joined = ", ".join(f"{t} (p >= {cut:.2f})" for t, cut in sorted(model.joined.items())) or "none"
    _stage.log(f"train: {len(training_set(book, gold)[0])} sentences ({len(gold)} from gold files), {len(model.learned)} themes learned; "
               f"joined to the rules: {joined} -> {args.out}")
    return 0


if __name__ == "__main__":
    _stage.run(main)
