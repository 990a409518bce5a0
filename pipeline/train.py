"""Stage `train`: the learned sentence tagger (TF-IDF + logistic regression per theme) from the codebook's examples and the gold files.

    python -m pipeline.train --codebook corpus/codebook.yaml --gold corpus/gold/seed.jsonl --out outputs/models/theme_model.joblib
"""

from __future__ import annotations

from pathlib import Path

from . import _stage
from .core.codebook import load_codebook
from .core.evaluate import load_gold
from .core.learned import ThemeModel, training_set


def main(argv: list[str] | None = None) -> int:
    p = _stage.parser(__doc__.splitlines()[0])
    p.add_argument("--codebook", type=Path, default=Path("corpus/codebook.yaml"), help="themes and example sentences")
    p.add_argument("--gold", type=Path, action="append", help="gold JSON Lines (repeatable); default: evaluate.gold")
    p.add_argument("--out", type=Path, default=Path("outputs/models/theme_model.joblib"), help="the saved model")
    args = p.parse_args(argv)
    params = _stage.load_params(args.params, "learned")
    gold_files = args.gold or [Path(g) for g in _stage.load_params(args.params, "evaluate").get("gold", [])]
    book = load_codebook(args.codebook)
    gold = [row for path in gold_files for row in load_gold(path)]
    texts, labels = training_set(book, gold)
    model = ThemeModel(book.ids(), threshold=float(params.get("threshold", 0.5)), c=float(params.get("c", 4.0)))
    model.fit(texts, labels)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    tmp = args.out.with_name(f".{args.out.name}.tmp")
    model.save(tmp)
    tmp.replace(args.out)
    _stage.log(f"train: {len(texts)} sentences ({len(gold)} from gold files), {len(model.learned)} themes learned "
               f"-> {args.out}")
    return 0


if __name__ == "__main__":
    _stage.run(main)
