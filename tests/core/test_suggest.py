"""Lexicon suggestions: words used like a theme's own terms rank first."""

from __future__ import annotations

import random

from pipeline.core.codebook import Codebook, Rule, Theme
from pipeline.core.suggest import suggest, theme_terms

FISHING = Theme("fishing", "Fishing", "", "", (Rule("fishing.r1", ("trawler", "deckhand")),))
BOOK = Codebook(path=None, themes=[FISHING])


def corpus(seed: int = 0) -> list[str]:
    """Sentences where 'longliner' keeps the company trawlers keep; 'budget' keeps another."""
    rng = random.Random(seed)
    sea = ["crew", "unpaid", "months", "vessel", "captain", "wages", "port"]
    money = ["ministry", "spending", "treasury", "revenue", "deficit", "year"]
    out = []
    for _ in range(300):
        out.append(" ".join([rng.choice(["trawler", "deckhand", "longliner"])] + rng.sample(sea, 4)))
        out.append(" ".join(["budget"] + rng.sample(money, 4)))
    return out


def test_a_word_in_the_same_company_as_the_theme_terms_ranks_first():
    found = suggest(corpus(), FISHING, BOOK, top=5, min_count=3)
    assert found.iloc[0]["word"] == "longliner"
    assert "budget" not in found["word"].head(3).tolist()
    assert "trawler" not in set(found["word"])  # already in the codebook
    assert "[longliner]" in found.iloc[0]["examples"]


def test_the_same_corpus_gives_the_same_suggestions():
    assert suggest(corpus(), FISHING, BOOK).equals(suggest(corpus(), FISHING, BOOK))


def test_a_theme_s_own_words_come_from_its_patterns_not_its_context_cues():
    theme = Theme("t", "T", "", "", (Rule("t.r", ("{trawler|deckhand} crew",), requires=("forced",)),))
    assert theme_terms(theme) == {"trawler", "deckhand", "crew"}
