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


def test_a_theme_joins_the_rules_only_where_held_out_f1_rises_at_high_precision():
    import numpy as np

    from pipeline.core.learned import choose_joins
    gold = [{"themes": ["fishing"]}] * 6 + [{"themes": []}] * 6 + [{"themes": ["remedy"]}] * 4 + [{"themes": []}] * 4
    rules = [{"fishing"}] * 2 + [set()] * 18  # the rules find 2 of 6 fishing sentences and no remedy
    probs = np.zeros((20, 2))
    probs[:6, 0] = 0.9  # the model is sure of every fishing sentence and of none of the others
    probs[12:20, 1] = 0.8  # ... but as sure of the 4 remedy sentences as of the 4 without it: precision 0.5
    assert choose_joins(gold, rules, probs, ["fishing", "remedy"], min_precision=0.9) == {"fishing": 0.9}


def test_a_theme_does_not_join_on_one_or_two_lucky_sentences():
    import numpy as np

    from pipeline.core.learned import choose_joins
    gold = [{"themes": ["fishing"]}] * 6 + [{"themes": []}] * 14
    rules = [{"fishing"}] * 4 + [set()] * 16  # the rules find 4 of 6 fishing sentences
    probs = np.zeros((20, 1))
    probs[4:6, 0] = 0.9  # the model finds the other 2 and nothing else: F1 rises, precision 1.0
    assert choose_joins(gold, rules, probs, ["fishing"], min_precision=0.9) == {}
    assert choose_joins(gold, rules, probs, ["fishing"], min_precision=0.9, min_gain=2) == {"fishing": 0.9}


def test_platt_scaling_keeps_the_order_of_probabilities():
    import numpy as np

    from pipeline.core.learned import fit_platt, platt
    p = np.array([0.1, 0.2, 0.3, 0.6, 0.7, 0.8, 0.9, 0.4])
    y = np.array([0, 0, 0, 1, 1, 1, 1, 0])
    a, b = fit_platt(p, y)
    assert list(np.argsort(platt(p, a, b))) == list(np.argsort(p))
    assert fit_platt(p[:4], y[:4]) is None  # too few positives to fit


def test_the_model_adds_a_sentence_level_mention_only_for_joined_themes_the_rules_missed():
    from pipeline.core.learned import model_mentions
    book = load_codebook(ROOT / "corpus/codebook.yaml")
    texts, labels = training_set(book)
    model = ThemeModel(book.ids()).fit(texts, labels)
    model.joined = {"fishing": 0.0}  # every sentence passes the cut: what matters here is which are added
    sentences = [{"sentence_id": f"s{i}", "statement_id": "x", "meeting_id": "x-m0", "text": t}
                 for i, t in enumerate(["Crews were held at sea for months.", "Fishers were enslaved."])]
    rules = [{"sentence_id": "s1", "kind": "theme", "label": "fishing"}]
    added = model_mentions(model, sentences, rules, {"fishing": ""})
    assert [(m["sentence_id"], m["label"]) for m in added] == [("s0", "fishing")]
    assert added[0]["text"] == sentences[0]["text"] and added[0]["source"].startswith("learned model p=")
