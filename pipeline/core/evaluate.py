"""Scoring theme predictions against human labels (sentence-level, multi-label)."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

import numpy as np

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
    return {"model_judged_by": by, **table, "keep": tagger_to_keep({n: t["micro"] for n, t in table.items()})}


def tagger_to_keep(micro: Mapping[str, Mapping[str, float]]) -> str:
    """The tagger with the best micro-F1 that loses no precision against the rules (the rules on a tie)."""
    rules = micro["rules"]["precision"]
    return max((name for name, m in micro.items() if m["precision"] >= rules),
               key=lambda name: (micro[name]["f1"], name == "rules"))


def all_gold_files(listed: Sequence, folder: Path) -> list:
    """The gold files listed in params, then every other JSON Lines file in
    ``folder`` (labels imported by `annotate`: coders labelled them blind, so
    the codebook was not written against them unless params say so)."""
    from .params import GoldFile
    named = {Path(g.file).resolve() for g in listed}
    found = [GoldFile(file=str(p), rules_written_against=False) for p in sorted(Path(folder).glob("*.jsonl"))
             if p.resolve() not in named]
    return list(listed) + found


def teaching_gold_files(listed: Sequence, folder: Path) -> list:
    """The gold files the learned tagger may train on: all of
    :func:`all_gold_files` but those listed with ``teach_model: false``,
    which only judge it."""
    return [g for g in all_gold_files(listed, folder) if g.teach_model]


def per_theme_intervals(gold: Sequence[Mapping], predicted: Sequence[set[str]], themes: Sequence[str], *,
                        resamples: int = 1000, seed: int = 0) -> dict[str, list[float]]:
    """95% bootstrap interval of each theme's F1 (resampling sentences)."""
    rng = np.random.RandomState(seed)
    n = len(gold)
    out = {}
    if not n:
        return out
    idx = rng.randint(0, n, size=(resamples, n))
    for theme in themes:
        want = np.array([theme in r["themes"] for r in gold])
        got = np.array([theme in p for p in predicted])
        if not want.any():
            continue
        tp, fp, fn = (want & got)[idx].sum(axis=1), (~want & got)[idx].sum(axis=1), (want & ~got)[idx].sum(axis=1)
        f1 = np.where(2 * tp + fp + fn > 0, 2 * tp / np.maximum(2 * tp + fp + fn, 1), 0.0)
        out[theme] = [round(float(np.percentile(f1, 2.5)), 4), round(float(np.percentile(f1, 97.5)), 4)]
    return out


def learning_curve(book, gold: Sequence[dict], themes: Sequence[str], *, folds: int = 5, c: float = 4.0,
                   shares: Sequence[float] = (0.25, 0.5, 0.75, 1.0)) -> list[dict]:
    """Cross-validated micro-F1 of the learned model trained on growing shares
    of the labelled sentences (a fixed order from a hash of their ids), so a
    researcher sees whether more labels still help."""
    from .learned import out_of_fold
    order = sorted(range(len(gold)), key=lambda i: hashlib.sha256(str(gold[i]["id"]).encode()).hexdigest())
    points = []
    for share in shares:
        subset = [gold[i] for i in order[:max(2, int(round(share * len(gold))))]]
        if len(subset) < 4:
            continue
        probs, cols = out_of_fold(book, subset, themes, groups=[document_of(r) for r in subset], folds=folds, c=c)
        predicted = [{t for j, t in enumerate(cols) if row[j] >= 0.5} for row in probs]
        scored = score(subset, {r["id"]: p for r, p in zip(subset, predicted)}, themes)
        points.append({"share": share, "labels": len(subset), "model_f1": scored["micro"]["f1"]})
    return points


def document_of(row: Mapping) -> str:
    """The document a gold sentence comes from (its ``source`` names the file
    for press releases and speeches), else the sentence id: sentences of one
    document always fall in the same split."""
    source = str(row.get("source") or "")
    m = re.search(r"[\w.-]+\.(?:txt|md|html|pdf|docx)\b", source)
    return m.group(0) if m else str(row["id"])


def split_of(row: Mapping, *, held_back_share: float = 0.3) -> str:
    """'held-back' or 'dev', fixed by a hash of the sentence's document: a
    split that stays the same run after run, and that a rule writer can
    promise not to read (``make evaluate-shared`` prints misses from 'dev'
    only)."""
    digest = hashlib.sha256(document_of(row).encode("utf-8")).digest()
    return "held-back" if int.from_bytes(digest[:8], "big") / 2**64 < held_back_share else "dev"


def bootstrap_interval(gold: Sequence[Mapping], predicted: Sequence[set[str]], *, resamples: int = 1000,
                       seed: int = 0) -> dict[str, list[float]]:
    """95% percentile bootstrap intervals of micro precision, recall and F1,
    resampling sentences (fixed seed: the same figures every run)."""
    tp = np.array([len(set(r["themes"]) & p) for r, p in zip(gold, predicted)])
    fp = np.array([len(p - set(r["themes"])) for r, p in zip(gold, predicted)])
    fn = np.array([len(set(r["themes"]) - p) for r, p in zip(gold, predicted)])
    if not len(gold):
        return {"precision": [0.0, 0.0], "recall": [0.0, 0.0], "f1": [0.0, 0.0]}
    rng = np.random.RandomState(seed)
    idx = rng.randint(0, len(gold), size=(resamples, len(gold)))
    t, f_p, f_n = tp[idx].sum(axis=1), fp[idx].sum(axis=1), fn[idx].sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        precision = np.where(t + f_p > 0, t / (t + f_p), 0.0)
        recall = np.where(t + f_n > 0, t / (t + f_n), 0.0)
        f1 = np.where(precision + recall > 0, 2 * precision * recall / (precision + recall), 0.0)
    return {name: [round(float(np.percentile(v, 2.5)), 4), round(float(np.percentile(v, 97.5)), 4)]
            for name, v in (("precision", precision), ("recall", recall), ("f1", f1))}


def details_rows(name: str, tagger: str, scored: Mapping) -> tuple[list[dict], list[dict]]:
    """Per-theme rows and disagreement rows of one scored file, for the details tables."""
    themes = [{"gold_file": name, "tagger": tagger, "theme": theme, **{k: m[k] for k in
              ("precision", "recall", "f1", "support", "tp", "fp", "fn")},
               "f1_low": m.get("f1_low"), "f1_high": m.get("f1_high")} for theme, m in scored["per_theme"].items()]
    disagreements = [{"gold_file": name, "tagger": tagger, "id": d["id"], "text": d["text"],
                      "gold": " ".join(d["gold"]), "predicted": " ".join(d["predicted"]),
                      "missed": " ".join(d["missed"]), "extra": " ".join(d["extra"])}
                     for d in scored["disagreements"]]
    return themes, disagreements


def evaluate_gold_file(name: str, gold: Sequence[dict], *, nlp, model, learned, model_saw_it: bool,
                       rules_written_against: bool, resamples: int = 1000) -> tuple[dict, list[dict], list[dict]]:
    """One gold file: (headline, per-theme rows, disagreement rows).

    The headline says whether the codebook was written against the file
    (then its figures are optimistic) and gives micro precision, recall and
    F1 of the rules with 95% bootstrap intervals; with a model, the model's
    and the combination's micro-F1 too. A file the model was trained on is
    judged by cross-validation (each fold predicted by a model that did not
    see it), never by the model that saw it."""
    from .learned import combine, cross_validated
    from .themes import sentence_themes
    book = nlp.get_pipe("bali_themes").codebook
    themes = book.ids()
    predictions = {"rules": [sentence_themes(doc) for doc in nlp.pipe(r["text"] for r in gold)]}
    judged_by = ""
    if model is not None:
        if model_saw_it:
            held_out = cross_validated(book, gold, themes, groups=[document_of(r) for r in gold], folds=learned.folds,
                                       threshold=learned.threshold, combine_threshold=learned.combine_threshold,
                                       c=learned.c)
            judged_by, by_model, confident = "cross-validation", held_out["model"], held_out["confident"]
        else:
            texts = [r["text"] for r in gold]
            judged_by = "held-out file"
            by_model = model.predict(texts, threshold=learned.threshold)
            # what the tag stage does: the rules, plus the model for the themes joined at training
            confident = [set(found) for found in model.joined_themes(texts)] if model.joined else \
                model.predict(texts, threshold=learned.combine_threshold)
        predictions["model"] = by_model
        predictions["combined"] = combine(predictions["rules"], confident)
    headline: dict = {"sentences": len(gold), "rules_written_against": rules_written_against}
    theme_rows, disagreement_rows = [], []
    intervals = per_theme_intervals(gold, predictions["rules"], themes, resamples=resamples)
    for tagger, predicted in predictions.items():
        scored = score(gold, {r["id"]: p for r, p in zip(gold, predicted)}, themes)
        if tagger == "rules":
            for theme, (low, high) in intervals.items():
                scored["per_theme"][theme]["f1_low"], scored["per_theme"][theme]["f1_high"] = low, high
        if tagger == "rules":
            headline.update({k: scored["micro"][k] for k in ("precision", "recall", "f1")})
            interval = bootstrap_interval(gold, predicted, resamples=resamples)
            headline["f1_95"], headline["precision_95"] = interval["f1"], interval["precision"]
            headline["macro_f1"] = scored["macro"]["f1"]
        else:
            headline[f"{tagger}_f1"] = scored["micro"]["f1"]
            headline[f"{tagger}_precision"] = scored["micro"]["precision"]
        rows, disagreements = details_rows(name, tagger, scored)
        theme_rows += rows
        disagreement_rows += disagreements
    if judged_by:
        headline["model_judged_by"] = judged_by
        headline["keep"] = tagger_to_keep(
            {"rules": headline, **{t: {"precision": headline[f"{t}_precision"], "f1": headline[f"{t}_f1"]}
                                   for t in ("model", "combined")}})
    return headline, theme_rows, disagreement_rows
