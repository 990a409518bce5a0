"""Stage `evaluate`: theme tagging scored against human-labelled sentences.

    python -m pipeline.evaluate --gold corpus/gold/seed.jsonl [--gold other.jsonl ...]
"""

from __future__ import annotations

from pathlib import Path

from . import _stage
from .core.evaluate import evaluate_gold_file, load_gold
from .core.io import json_writer, write_all
from .core.learned import ThemeModel
from .core.nlp import tagging_pipeline


def main(argv: list[str] | None = None) -> int:
    p = _stage.parser(__doc__.splitlines()[0], "evaluate")
    p.add_argument("--gold", type=Path, action="append",
                   help="gold JSON Lines file (repeatable); default: evaluate.gold in params.yaml")
    args = p.parse_args(argv)
    params = _stage.params(args)
    gold_files = args.gold or [Path(g) for g in params.evaluate.gold]
    nlp = tagging_pipeline(gazetteer=args.gazetteer, cities=args.cities, codebook=args.codebook,
                           trained=params.tag.trained_pipeline)
    model = ThemeModel.load(args.model) if args.model.exists() else None
    if model is None:
        _stage.log(f"evaluate: {args.model} not found: rules only, no comparison (run `dvc repro train` first)")
    trained_on = {Path(g).resolve() for g in params.evaluate.gold}
    report = {}
    for path in gold_files:
        gold = load_gold(path)
        report[path.stem] = evaluate_gold_file(path, gold, nlp=nlp, model=model, learned=params.learned,
                                               model_saw_it=path.resolve() in trained_on)
        m = report[path.stem]["micro"]
        _stage.log(f"evaluate: {path}: {len(gold)} sentences, micro P {m['precision']:.3f} R {m['recall']:.3f} "
                   f"F1 {m['f1']:.3f}, {len(report[path.stem]['disagreements'])} disagreements")
    write_all({args.out: json_writer(report)})
    return 0


if __name__ == "__main__":
    _stage.run(main)
