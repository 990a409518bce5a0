"""English stop words: scikit-learn's list (the one its vectorisers use),
read from scikit-learn's data file without importing scikit-learn.

Importing ``sklearn.feature_extraction.text`` costs ~0.5 s (it loads SciPy),
which the trends stage paid on every run for this one list; reading the
file's literal takes ~2 ms. If the file is not where or what we expect (a
future scikit-learn), the list is imported the ordinary way.
"""

from __future__ import annotations

import ast
import importlib.util
from functools import lru_cache
from pathlib import Path


@lru_cache(maxsize=1)
def english_stop_words() -> frozenset[str]:
    try:
        spec = importlib.util.find_spec("sklearn")
        path = Path(spec.origin).parent / "feature_extraction" / "_stop_words.py"
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            if isinstance(node, ast.Assign) and [getattr(t, "id", "") for t in node.targets] == ["ENGLISH_STOP_WORDS"]:
                return frozenset(ast.literal_eval(node.value.args[0]))
    except (AttributeError, IndexError, OSError, SyntaxError, TypeError, ValueError):
        pass
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS
    return frozenset(ENGLISH_STOP_WORDS)
