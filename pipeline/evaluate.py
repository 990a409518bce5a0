"""Stage `evaluate`: theme tagging scored against human-labelled sentences.

    python -m pipeline.evaluate --gold corpus/gold/seed.jsonl [--gold other.jsonl ...]
"""

from __future__ import annotations

from pathlib import Path

from . import _stage
from .core.codebook import sentence_themes
from .core.evaluate import compare, load_gold, score
from .core.learned import ThemeModel, combine, cross_validated
from .core.io import json_writer, write_all
from .tag import add_pipeline_args, make_nlp


def main(argv: list[str] | None = None) -> int:
    p = _stage.parser(__doc__.splitlines()[0])
    p.add_argument("--gold", type=Path, action="append",
                   help="gold JSON Lines file (repeatable); default: evaluate.gold in params.yaml")
    add_pipeline_args(p)
    p.add_argument("--model", type=Path, default=Path("outputs/models/theme_model.joblib"),
                   help="the learned tagger (stage train); skipped in the comparison when absent")
    p.add_argument("--out", type=Path, default=Path("outputs/metrics/evaluation.json"), help="metrics JSON")
    args = p.parse_args(argv)
    params = _stage.load_params(args.params, "evaluate")
    gold_files = args.gold or [Path(g) for g in params.get("gold", [])]
    nlp = make_nlp(args, _stage.load_params(args.params, "tag"))
    book = nlp.get_pipe("bali_themes").codebook
    themes = book.ids()
    learned = _stage.load_params(args.params, "learned")
    trained_on = {Path(g).resolve() for g in params.get("gold", [])}
    model = ThemeModel.load(args.model) if args.model.exists() else None
    if model is None:
        _stage.log(f"evaluate: {args.model} not found: rules only, no comparison (run `dvc repro train` first)")
    report = {}
    for path in gold_files:
        gold = load_gold(path)
        rules = [sentence_themes(doc) for doc in nlp.pipe(r["text"] for r in gold)]
        predicted = {row["id"]: found for row, found in zip(gold, rules)}
        report[path.stem] = {"file": str(path), **score(gold, predicted, themes)}
        if model is not None:
            cut, confident_cut = model.threshold, float(learned.get("combine_threshold", 0.8))
            if path.resolve() in trained_on:  # the model saw this file: judge it on held-out folds
                held_out = cross_validated(book, gold, themes, folds=int(learned.get("folds", 5)), threshold=cut,
                                           combine_threshold=confident_cut)
                by, by_model, confident = "cross-validation", held_out["model"], held_out["confident"]
            else:
                texts = [r["text"] for r in gold]
                by, by_model, confident = "held-out file", model.predict(texts), model.predict(texts,
                                                                                             threshold=confident_cut)
            report[path.stem]["comparison"] = compare(gold, themes, by=by, rules=rules, model=by_model,
                                                      combined=combine(rules, confident))
        m = report[path.stem]["micro"]
        _stage.log(f"evaluate: {path}: {len(gold)} sentences, micro P {m['precision']:.3f} R {m['recall']:.3f} "
                   f"F1 {m['f1']:.3f}, {len(report[path.stem]['disagreements'])} disagreements")
    write_all({args.out: json_writer(report)})
    return 0


if __name__ == "__main__":
    _stage.run(main)
