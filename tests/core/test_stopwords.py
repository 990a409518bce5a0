"""English stop words: scikit-learn's list, read without importing scikit-learn."""

from __future__ import annotations

import subprocess
import sys

from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

from pipeline.core.stopwords import english_stop_words

from ..conftest import ROOT


def test_the_stop_words_are_scikit_learns_list():
    assert english_stop_words() == ENGLISH_STOP_WORDS


def test_reading_them_does_not_import_scikit_learn():
    code = ("import sys; from pipeline.core.stopwords import english_stop_words as words; "
            "print(len(words()), 'sklearn' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    assert done.stdout.split() == [str(len(ENGLISH_STOP_WORDS)), "False"]
