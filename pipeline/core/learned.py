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
from sklearn.model_selection import KFold
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

    def probabilities(self, texts: Sequence[str]) -> np.ndarray:
        with threadpool_limits(1):
            return self.pipeline.predict_proba(list(texts))

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


def cross_validated(book: Codebook, gold: Sequence[dict], themes: Sequence[str], *, folds: int = 5,
                    threshold: float = 0.5, combine_threshold: float = 0.8,
                    c: float = 4.0) -> dict[str, list[set[str]]]:
    """Held-out model predictions for every gold row: each fold's rows are
    predicted by a model trained on the codebook's examples and the other
    folds. Returns {"model": [...], "confident": [...]} in gold order."""
    n = len(gold)
    model_pred: list[set[str]] = [set() for _ in range(n)]
    confident: list[set[str]] = [set() for _ in range(n)]
    if n < folds:
        folds = max(2, n)
    for train_idx, test_idx in KFold(n_splits=folds, shuffle=True, random_state=0).split(np.arange(n)):
        texts, labels = training_set(book, [gold[i] for i in train_idx])
        model = ThemeModel(themes, threshold=threshold, c=c).fit(texts, labels)
        held_out = [gold[i]["text"] for i in test_idx]
        for i, predicted, sure in zip(test_idx, model.predict(held_out),
                                      model.predict(held_out, threshold=combine_threshold)):
            model_pred[i], confident[i] = predicted, sure
    return {"model": model_pred, "confident": confident}
