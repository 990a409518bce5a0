"""Stage `evaluate`: theme tagging scored against human-labelled sentences.

    python -m pipeline.evaluate --gold corpus/gold/seed.jsonl [--gold other.jsonl ...]
"""

from __future__ import annotations

from pathlib import Path

from . import _stage
from .core.codebook import sentence_themes
from .core.evaluate import load_gold, score
from .core.io import json_writer, write_all
from .tag import add_pipeline_args, make_nlp


def main(argv: list[str] | None = None) -> int:
    p = _stage.parser(__doc__.splitlines()[0])
    p.add_argument("--gold", type=Path, action="append",
                   help="gold JSON Lines file (repeatable); default: evaluate.gold in params.yaml")
    add_pipeline_args(p)
    p.add_argument("--out", type=Path, default=Path("outputs/metrics/evaluation.json"), help="metrics JSON")
    args = p.parse_args(argv)
    params = _stage.load_params(args.params, "evaluate")
    gold_files = args.gold or [Path(g) for g in params.get("gold", [])]
    nlp = make_nlp(args, _stage.load_params(args.params, "tag"))
    themes = nlp.get_pipe("bali_themes").codebook.ids()
    report = {}
    for path in gold_files:
        gold = load_gold(path)
        predicted = {row["id"]: sentence_themes(doc) for row, doc in zip(gold, nlp.pipe(r["text"] for r in gold))}
        report[path.stem] = {"file": str(path), **score(gold, predicted, themes)}
        m = report[path.stem]["micro"]
        _stage.log(f"evaluate: {path}: {len(gold)} sentences, micro P {m['precision']:.3f} R {m['recall']:.3f} "
                   f"F1 {m['f1']:.3f}, {len(report[path.stem]['disagreements'])} disagreements")
    write_all({args.out: json_writer(report)})
    return 0


if __name__ == "__main__":
    _stage.run(main)
