"""The learned sentence tagger: training data, behaviour, save and load, and choosing what to keep."""

from __future__ import annotations

from pipeline.core.codebook import load_codebook
from pipeline.core.evaluate import compare
from pipeline.core.learned import ThemeModel, combine, training_set

from ..conftest import ROOT

BOOK = load_codebook(ROOT / "corpus/codebook.yaml")


def trained() -> ThemeModel:
    texts, labels = training_set(BOOK)
    return ThemeModel(BOOK.ids()).fit(texts, labels)


def test_training_uses_every_codebook_example_with_its_label():
    texts, labels = training_set(BOOK, [{"id": "g1", "text": "Gold sentence.", "themes": ["fishing"]}])
    positives = sum(len(t.positive) for t in BOOK.themes)
    negatives = sum(len(t.negative) for t in BOOK.themes)
    assert len(texts) == positives + negatives + 1 and labels[-1] == {"fishing"}
    assert sum(1 for lab in labels if not lab) == negatives


def test_the_model_learns_its_examples_and_survives_save_and_load(tmp_path):
    model = trained()
    examples = [(t.id, text) for t in BOOK.themes for text in t.positive]
    predicted = model.predict([text for _, text in examples])
    hits = sum(theme in found for (theme, _), found in zip(examples, predicted))
    assert hits / len(examples) >= 0.9  # it fits what it was taught
    assert "scam_centres" in model.predict(["Victims were forced to work in online scam compounds."])[0]
    model.save(tmp_path / "m.joblib")
    again = ThemeModel.load(tmp_path / "m.joblib")
    assert (again.probabilities([text for _, text in examples]) == model.probabilities([text for _, text in examples])).all()


def test_the_combination_adds_model_themes_to_the_rules():
    assert combine([{"a"}, set()], [{"b"}, {"c"}]) == [{"a", "b"}, {"c"}]


def test_compare_keeps_the_best_f1_that_loses_no_precision():
    gold = [{"id": str(i), "text": "", "themes": ["t"] if i < 4 else []} for i in range(8)]
    rules = [{"t"}, {"t"}, set(), set()] + [set()] * 4           # P 1.0  R 0.5
    model = [{"t"}] * 8                                           # P 0.5  R 1.0: more F1? no, less precision
    combined = [{"t"}, {"t"}, {"t"}, set()] + [set()] * 4         # P 1.0  R 0.75
    result = compare(gold, ["t"], by="test", rules=rules, model=model, combined=combined)
    assert result["keep"] == "combined"
    assert compare(gold, ["t"], by="test", rules=rules, model=model, combined=rules)["keep"] == "rules"
