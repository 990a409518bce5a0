"""English lookup lemmas (spacy-lookups-data, installed with the project; no
download) in both directions: a word's lemma, and every word form with a
given lemma.

Theme patterns are written as lemmas ("scam centre", "traffic"). Rather
than lemmatising every token of every statement, the tagging pipeline makes
each word's NORM its lemma (:func:`lemma_norm`): spaCy computes a NORM once
per distinct word, so every token carries its lemma for free, and one
pattern per phrase matches all its forms. (With a trained pipeline, whose
models read NORM, the compiler instead expands each pattern lemma into its
word forms -- "centre", "centres", "center", ... -- matched on lower case.)
"""

from __future__ import annotations

import gzip
import json
from collections import defaultdict
from functools import lru_cache
from pathlib import Path

import re

import spacy_lookups_data

from .stopwords import english_stop_words


class LemmaTable:
    """lemma(word) is the lower-cased lookup lemma of the lower-cased word (the
    word itself where the table has none); forms(lemma) all lower-case words
    whose lemma it is."""

    def __init__(self, table: dict[str, str]) -> None:
        self.table = {k: v.lower() for k, v in table.items() if k == k.lower()}
        self._inverse: dict[str, set[str]] | None = None

    @property
    def inverse(self) -> dict[str, set[str]]:
        """lemma -> its word forms, built on first use: only compiling theme
        patterns needs it (a rerun loads the compiled pipeline), and
        building it was most of the 0.13 s that loading the table took in
        every tag run."""
        if self._inverse is None:
            inverse: dict[str, set[str]] = defaultdict(set)
            for word, lemma in self.table.items():
                inverse[lemma].add(word)
            self._inverse = dict(inverse)
        return self._inverse

    def lemma(self, word: str) -> str:
        word = word.lower()
        return self.table.get(word, word)

    def forms(self, lemma: str) -> list[str]:
        lemma = lemma.lower()
        found = set(self.inverse.get(lemma, ()))
        if lemma not in self.table:  # a word the table does not list is its own lemma
            found.add(lemma)
        return sorted(found)


# Entries of the lookup table that join a word to an unrelated common word, corrected here (each found by a
# pattern or cue that matched what it should not): as lemmas, 'goods' and 'well' were 'good' (so the cue 'goods'
# vetoed every 'as well as'), 'ai' was 'have' ('AI generated' matched 'has generated'), 'crew' 'crow', 'broker'
# 'broke', 'feed' 'fee', 'number' 'numb', 'matter' 'matt', 'stranger' 'strange', 'ground' 'grind'.
LEMMA_FIXES = {word: word for word in ("goods", "well", "ai", "crew", "broker", "feed", "number", "matter",
                                       "stranger", "ground")}


@lru_cache(maxsize=1)
def english() -> LemmaTable:
    path = Path(spacy_lookups_data.__file__).parent / "data" / "en_lemma_lookup.json.gz"
    with gzip.open(path, "rt", encoding="utf-8") as f:
        return LemmaTable({**json.load(f), **LEMMA_FIXES})


def lemma_norm(word: str) -> str:
    """The lexeme attribute getter for NORM in the tagging pipeline: the
    lower-cased lookup lemma of the lower-cased word."""
    return english().lemma(word)


_WORD = re.compile(r"[a-z][a-z\-]*[a-z]")
EXTRA_STOP = {"also", "including", "include", "meeting", "member", "mr", "ms", "would", "will", "shall", "wa", "ha"}


def lemma_text(text: str) -> str:
    """Lower-case lemmas of the content words, space-separated."""
    stop = english_stop_words()
    table = english()
    out = []
    for word in _WORD.findall(text.lower()):
        if word in stop or len(word) < 3:
            continue
        lemma = table.lemma(word)
        if lemma not in stop and lemma not in EXTRA_STOP and len(lemma) >= 3:
            out.append(lemma)
    return " ".join(out)
