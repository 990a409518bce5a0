"""Stage `train`: the learned sentence tagger (TF-IDF + logistic regression per theme) from the codebook's examples and the gold files.

    python -m pipeline.train --codebook corpus/codebook.yaml --out outputs/models/theme_model.joblib
"""

from __future__ import annotations

from pathlib import Path

from . import _stage
from .core.codebook import load_codebook
from .core.evaluate import load_gold
from .core.io import write_all
from .core.learned import ThemeModel, training_set


def main(argv: list[str] | None = None) -> int:
    p = _stage.parser(__doc__.splitlines()[0], "train")
    p.add_argument("--gold", type=Path, action="append", help="gold JSON Lines (repeatable); default: evaluate.gold")
    args = p.parse_args(argv)
    params = _stage.params(args)
    gold_files = args.gold or [Path(g.file) for g in params.evaluate.gold]
    book = load_codebook(args.codebook)
    gold = [row for path in gold_files for row in load_gold(path)]
    texts, labels = training_set(book, gold)
    model = ThemeModel(book.ids(), threshold=params.learned.threshold, c=params.learned.c).fit(texts, labels)
    write_all({args.out: model.save})
    _stage.log(f"train: {len(texts)} sentences ({len(gold)} from gold files), {len(model.learned)} themes learned "
               f"-> {args.out}")
    return 0


if __name__ == "__main__":
    _stage.run(main)
