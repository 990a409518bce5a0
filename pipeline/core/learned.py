"""A learned sentence tagger beside the codebook: TF-IDF on lemma uni- and
bigrams, one logistic regression per theme (one-vs-rest), trained on the
codebook's example sentences and the project's hand-labelled gold.

It catches paraphrases the patterns miss; it is used only where it raises
F1 on held-out sentences (see the evaluate stage's comparison). The
*combination* adds to the rules' themes those the model is confident about.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import joblib
import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.multiclass import OneVsRestClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import MultiLabelBinarizer
from threadpoolctl import threadpool_limits

from .codebook import Codebook
from .lemmas import lemma_text


def training_set(book: Codebook, gold: Sequence[dict] = ()) -> tuple[list[str], list[set[str]]]:
    """Texts and their theme sets: every positive example with its theme
    (and its parent), every negative example with none, and the gold rows."""
    parent = {t.id: t.parent for t in book.themes}
    texts, labels = [], []
    for theme in book.themes:
        for text in theme.positive:
            texts.append(text)
            labels.append({theme.id} | ({parent[theme.id]} if parent[theme.id] else set()))
        for text in theme.negative:
            texts.append(text)
            labels.append(set())
    for row in gold:
        texts.append(row["text"])
        labels.append(set(row["themes"]))
    return texts, labels


class ThemeModel:
    """fit / predict / probabilities / save / load."""

    def __init__(self, themes: Sequence[str], *, threshold: float = 0.5, c: float = 4.0) -> None:
        self.themes = list(themes)
        self.threshold = threshold
        self.calibration: dict[str, tuple[float, float]] = {}  # theme -> Platt (a, b) fitted on held-out folds
        self.joined: dict[str, float] = {}  # themes the model adds to the rules' tags, with their thresholds
        self.binarizer = MultiLabelBinarizer(classes=self.themes)
        self.pipeline = make_pipeline(
            TfidfVectorizer(preprocessor=lemma_text, ngram_range=(1, 2), sublinear_tf=True, min_df=1),
            OneVsRestClassifier(LogisticRegression(C=c, class_weight="balanced", max_iter=2000,
                                                   solver="liblinear", random_state=0)))

    def fit(self, texts: Sequence[str], labels: Sequence[set[str]]) -> ThemeModel:
        y = self.binarizer.fit_transform([sorted(set(lab) & set(self.themes)) for lab in labels])
        keep = y.sum(axis=0) > 0  # a theme with no positive sentence cannot be learned: never predicted
        self.learned = [t for t, k in zip(self.themes, keep) if k]
        with threadpool_limits(1):
            self.pipeline.fit(list(texts), y[:, keep])
        # scikit-learn keeps id(stop_words) to warn about later edits: a memory
        # address, different on every run, that would make the saved file differ
        # byte for byte. Dropping it only skips that warning.
        vars(self.pipeline[0]).pop("_stop_words_id", None)
        return self

    def raw_probabilities(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, len(self.learned)))
        with threadpool_limits(1):
            return self.pipeline.predict_proba(list(texts))

    def probabilities(self, texts: Sequence[str]) -> np.ndarray:
        """Per learned theme, calibrated where a calibration was fitted."""
        probs = self.raw_probabilities(texts)
        for j, theme in enumerate(self.learned):
            if theme in self.calibration:
                probs[:, j] = platt(probs[:, j], *self.calibration[theme])
        return probs

    def theme_probabilities(self, texts: Sequence[str]) -> np.ndarray:
        """Calibrated probabilities with one column per theme of the codebook
        (0 for themes the model could not learn)."""
        out = np.zeros((len(texts), len(self.themes)))
        if texts:
            probs = self.probabilities(texts)
            for j, theme in enumerate(self.learned):
                out[:, self.themes.index(theme)] = probs[:, j]
        return out

    def joined_themes(self, texts: Sequence[str]) -> list[dict[str, float]]:
        """For each text, the joined themes the model is sure enough of, with their probabilities."""
        if not self.joined or not texts:
            return [{} for _ in texts]
        probs = self.probabilities(texts)
        column = {t: j for j, t in enumerate(self.learned)}
        return [{t: round(float(row[column[t]]), 3) for t, cut in self.joined.items() if row[column[t]] >= cut}
                for row in probs]

    def predict(self, texts: Sequence[str], *, threshold: float | None = None) -> list[set[str]]:
        cut = self.threshold if threshold is None else threshold
        probs = self.probabilities(texts)
        return [{t for t, p in zip(self.learned, row) if p >= cut} for row in probs]

    def save(self, path: Path) -> None:
        joblib.dump(self, path)

    @staticmethod
    def load(path: Path) -> ThemeModel:
        model = joblib.load(path)
        if not isinstance(model, ThemeModel):
            raise TypeError(f"{path} does not hold a theme model")
        return model


def combine(rules: Sequence[set[str]], model: Sequence[set[str]]) -> list[set[str]]:
    return [r | m for r, m in zip(rules, model)]


def cross_validated(book: Codebook, gold: Sequence[dict], themes: Sequence[str], *, groups: Sequence[str],
                    folds: int = 5, threshold: float = 0.5, combine_threshold: float = 0.8,
                    c: float = 4.0) -> dict[str, list[set[str]]]:
    """Held-out model predictions for every gold row, from :func:`out_of_fold`
    (each row predicted by a model that did not see its document). Returns
    {"model": [...], "confident": [...]} in gold order."""
    probs, cols = out_of_fold(book, gold, themes, groups=groups, folds=folds, c=c)
    return {"model": [{t for t, p in zip(cols, row) if p >= threshold} for row in probs],
            "confident": [{t for t, p in zip(cols, row) if p >= combine_threshold} for row in probs]}


def _logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(p, 1e-6, 1 - 1e-6)
    return np.log(p / (1 - p))


def platt(p: np.ndarray, a: float, b: float) -> np.ndarray:
    return 1 / (1 + np.exp(-(a * _logit(p) + b)))


def fit_platt(p: np.ndarray, y: np.ndarray) -> tuple[float, float] | None:
    """Platt scaling of held-out probabilities (None when a theme has too few
    positives or negatives to fit one)."""
    if y.sum() < 3 or (1 - y).sum() < 3:
        return None
    model = LogisticRegression(C=1.0, solver="lbfgs").fit(_logit(p).reshape(-1, 1), y)
    return float(model.coef_[0, 0]), float(model.intercept_[0])


def out_of_fold(book: Codebook, gold: Sequence[dict], themes: Sequence[str], *, groups: Sequence[str],
                folds: int = 5, c: float = 4.0) -> tuple[np.ndarray, list[str]]:
    """Raw probabilities for every gold row from models that did not see its
    document (GroupKFold), and the themes they cover (columns)."""
    from sklearn.model_selection import GroupKFold
    n = len(gold)
    out = np.zeros((n, len(themes)))
    folds = max(2, min(folds, len(set(groups))))
    for train_idx, test_idx in GroupKFold(n_splits=folds).split(np.arange(n), groups=list(groups)):
        texts, labels = training_set(book, [gold[i] for i in train_idx])
        model = ThemeModel(themes, c=c).fit(texts, labels)
        probs = model.raw_probabilities([gold[i]["text"] for i in test_idx])
        for j, theme in enumerate(model.learned):
            out[test_idx, themes.index(theme)] = probs[:, j]
    return out, list(themes)


def choose_joins(gold: Sequence[dict], rules: Sequence[set[str]], probs: np.ndarray, themes: Sequence[str], *,
                 min_precision: float = 0.9, min_gain: int = 3,
                 grid: Sequence[float] = tuple(np.round(np.arange(0.5, 0.96, 0.05), 2))) -> dict[str, float]:
    """Themes where adding the model's tags (at the best threshold on the
    held-out probabilities) raises that theme's F1 over the rules alone while
    precision stays at or above ``min_precision``; with their thresholds.

    The additions must also be right at least ``min_gain`` times more often
    than wrong: with a few hundred labels, one lucky sentence out of five
    would otherwise earn a join (and the best of ten thresholds is chosen on
    the same sentences)."""
    def f1(tp: int, fp: int, fn: int) -> tuple[float, float]:
        p = tp / (tp + fp) if tp + fp else 0.0
        r = tp / (tp + fn) if tp + fn else 0.0
        return p, (2 * p * r / (p + r) if p + r else 0.0)

    joins = {}
    for j, theme in enumerate(themes):
        want = np.array([theme in r["themes"] for r in gold])
        by_rules = np.array([theme in r for r in rules])
        if not want.any():
            continue
        _, base = f1(int((want & by_rules).sum()), int((~want & by_rules).sum()), int((want & ~by_rules).sum()))
        best = None
        for cut in grid:
            got = by_rules | (probs[:, j] >= cut)
            added = got & ~by_rules
            gain = int((want & added).sum()) - int((~want & added).sum())
            precision, score = f1(int((want & got).sum()), int((~want & got).sum()), int((want & ~got).sum()))
            # ties go to the higher cut: the same held-out F1 with fewer chances to be wrong on new text
            if precision >= min_precision and score > base and gain >= min_gain and (best is None or score >= best[1]):
                best = (float(cut), score)
        if best is not None:
            joins[theme] = best[0]
    return joins


def model_mentions(model: ThemeModel, sentences: Sequence[dict], mentions: Sequence[dict],
                   parents: dict[str, str]) -> list[dict]:
    """Theme mentions the learned model adds for its joined themes: one per
    sentence it is sure of and the rules did not already tag with that theme;
    the evidence is the whole sentence and the source names the probability."""
    if not model.joined or not sentences:
        return []
    have = {(m["sentence_id"], m["label"]) for m in mentions if m["kind"] == "theme"}
    out = []
    for sentence, found in zip(sentences, model.joined_themes([s["text"] for s in sentences])):
        for theme, p in sorted(found.items()):
            if (sentence["sentence_id"], theme) in have:
                continue
            out.append({"sentence_id": sentence["sentence_id"], "statement_id": sentence["statement_id"],
                        "meeting_id": sentence["meeting_id"], "kind": "theme", "label": theme,
                        "canonical_id": theme, "entity_kind": parents.get(theme, ""), "in_gazetteer": False,
                        "start": 0, "end": len(sentence["text"]), "text": sentence["text"],
                        "source": f"learned model p={p:.2f}"})
    return out


def train_model(book: Codebook, gold: Sequence[dict], rules: Sequence[set[str]], *, groups: Sequence[str],
                threshold: float = 0.5, c: float = 4.0, folds: int = 5, min_precision: float = 0.9,
                min_gain: int = 3) -> ThemeModel:
    """The train stage's model: fitted on the codebook's examples and all of
    ``gold``; each theme's probabilities calibrated (Platt) on held-out folds
    split by document (``groups``); joined to the rules (whose tags of the
    gold rows are ``rules``) for the themes where that raises held-out F1 at
    precision >= ``min_precision``, by at least ``min_gain`` sentences."""
    model = ThemeModel(book.ids(), threshold=threshold, c=c).fit(*training_set(book, gold))
    if not gold:
        return model
    raw, themes = out_of_fold(book, gold, book.ids(), groups=groups, folds=folds, c=c)
    calibrated = raw.copy()
    for j, theme in enumerate(themes):
        fitted = fit_platt(raw[:, j], np.array([theme in r["themes"] for r in gold], dtype=int))
        if fitted is not None and theme in model.learned:
            model.calibration[theme] = (round(fitted[0], 6), round(fitted[1], 6))
            calibrated[:, j] = platt(raw[:, j], *fitted)
    joined = choose_joins(gold, rules, calibrated, themes, min_precision=min_precision, min_gain=min_gain)
    model.joined = {t: cut for t, cut in joined.items() if t in model.learned}
    return model
