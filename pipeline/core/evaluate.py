"""Scoring theme predictions against human labels (sentence-level, multi-label)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

from .errors import PipelineError


def load_gold(path: Path) -> list[dict]:
    """JSON Lines of {"id", "text", "themes"}; errors name the line."""
    rows = []
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as err:
        raise PipelineError(f"{path}: cannot read the gold file: {err}") from err
    for n, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as err:
            raise PipelineError(f"{path}, line {n}: not JSON ({err.msg})") from err
        if not isinstance(row, dict) or not {"id", "text", "themes"} <= set(row) or not isinstance(row["themes"], list):
            raise PipelineError(f"{path}, line {n}: needs 'id', 'text' and a 'themes' list")
        rows.append(row)
    return rows


def _prf(tp: int, fp: int, fn: int) -> dict[str, float]:
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return {"precision": round(p, 4), "recall": round(r, 4), "f1": round(f, 4)}


def score(gold: Sequence[Mapping], predicted: Mapping[str, Iterable[str]], themes: Sequence[str]) -> dict:
    """Per-theme precision, recall, F1 and support; micro and macro averages
    (macro over themes with gold support); and every disagreement."""
    counts = {t: [0, 0, 0] for t in themes}  # tp, fp, fn
    disagreements = []
    for row in gold:
        want, got = set(row["themes"]), set(predicted.get(row["id"], ()))
        for t in want | got:
            c = counts.setdefault(t, [0, 0, 0])
            c[0 if t in want and t in got else 1 if t in got else 2] += 1
        if want != got:
            disagreements.append({"id": row["id"], "text": row["text"], "gold": sorted(want), "predicted": sorted(got),
                                  "missed": sorted(want - got), "extra": sorted(got - want)})
    per_theme = {t: {**_prf(*c), "support": c[0] + c[2], "tp": c[0], "fp": c[1], "fn": c[2]}
                 for t, c in sorted(counts.items())}
    tp, fp, fn = (sum(c[i] for c in counts.values()) for i in range(3))
    supported = [m for m in per_theme.values() if m["support"]]
    macro = {k: round(sum(m[k] for m in supported) / len(supported), 4) if supported else 0.0
             for k in ("precision", "recall", "f1")}
    return {"sentences": len(gold), "micro": _prf(tp, fp, fn), "macro": macro, "per_theme": per_theme,
            "disagreements": disagreements}


def compare(gold: Sequence[dict], themes: Sequence[str], *, by: str, **predictions: Sequence[set[str]]) -> dict:
    """Micro and macro scores of several taggers on the same gold rows, and
    which one to keep: the best micro-F1 that loses no precision against the
    rules."""
    scores = {name: score(gold, {r["id"]: p for r, p in zip(gold, pred)}, themes) for name, pred in predictions.items()}
    table = {name: {"micro": s["micro"], "macro": s["macro"]} for name, s in scores.items()}
    rules = table["rules"]["micro"]
    keep = max((name for name, t in table.items() if t["micro"]["precision"] >= rules["precision"]),
               key=lambda name: (table[name]["micro"]["f1"], name == "rules"))
    return {"model_judged_by": by, **table, "keep": keep}


def evaluate_gold_file(path: Path, gold: Sequence[dict], *, nlp, model, learned, model_saw_it: bool) -> dict:
    """The rules scored on one gold file and, when a model is given, rules,
    model and their combination side by side. A file the model was trained
    on is judged by cross-validation (each fold predicted by a model that did
    not see it), never by the model that saw it."""
    from .learned import combine, cross_validated
    from .themes import sentence_themes
    book = nlp.get_pipe("bali_themes").codebook
    themes = book.ids()
    rules = [sentence_themes(doc) for doc in nlp.pipe(r["text"] for r in gold)]
    result = {"file": str(path), **score(gold, {r["id"]: found for r, found in zip(gold, rules)}, themes)}
    if model is None:
        return result
    if model_saw_it:
        held_out = cross_validated(book, gold, themes, folds=learned.folds, threshold=learned.threshold,
                                   combine_threshold=learned.combine_threshold, c=learned.c)
        by, by_model, confident = "cross-validation", held_out["model"], held_out["confident"]
    else:
        texts = [r["text"] for r in gold]
        by = "held-out file"
        by_model = model.predict(texts, threshold=learned.threshold)
        confident = model.predict(texts, threshold=learned.combine_threshold)
    result["comparison"] = compare(gold, themes, by=by, rules=rules, model=by_model,
                                   combined=combine(rules, confident))
    return result
