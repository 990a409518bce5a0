"""Growing a theme's lexicon from a corpus: words that behave like the
theme's current terms.

Word vectors come from the corpus itself (no download): positive pointwise
mutual information of words co-occurring in a sentence, reduced with a
truncated SVD (Levy and Goldberg's count-based embeddings; on corpora of
this size they match word2vec at a fraction of the cost, and they are
deterministic). A candidate is scored by its cosine similarity to the
centroid of the theme's own single-word terms, and shown with its frequency
and keyword-in-context lines for a researcher to accept or reject: nothing
enters the codebook by itself.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd
from scipy import sparse
from sklearn.decomposition import TruncatedSVD
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS, CountVectorizer
from threadpoolctl import threadpool_limits

from .codebook import Codebook, Theme

_TERM = re.compile(r"[a-z][a-z\-]+")


def theme_terms(theme: Theme) -> set[str]:
    """The single words a theme's patterns already use ({a|b} alternatives
    split; wildcards and short words dropped). Context cues (``requires``)
    are left out: they are shared across themes, not the theme's own words."""
    words: set[str] = set()
    for rule in theme.rules:
        for pattern in rule.patterns:
            if isinstance(pattern, str):
                words.update(w for w in _TERM.findall(pattern.lower()) if len(w) > 2)
    return words - ENGLISH_STOP_WORDS


def codebook_terms(book: Codebook) -> set[str]:
    return set().union(*(theme_terms(t) for t in book.themes)) if book.themes else set()


def word_vectors(sentences: Sequence[str], *, min_count: int = 5, dimensions: int = 100, seed: int = 0,
                 ) -> tuple[list[str], np.ndarray, np.ndarray]:
    """(vocabulary, unit-length vectors, counts) from sentence co-occurrence PPMI + SVD."""
    vectorizer = CountVectorizer(lowercase=True, token_pattern=r"(?u)\b[a-z][a-z\-]+\b", min_df=min_count,
                                 binary=True, stop_words="english")
    X = vectorizer.fit_transform(sentences).astype(np.float64).tocsc()
    vocab = list(vectorizer.get_feature_names_out())
    counts = np.asarray(X.sum(axis=0)).ravel()
    cooc = (X.T @ X).tocoo()
    total = cooc.data.sum()
    row_sums = np.asarray(sparse.csr_matrix(cooc).sum(axis=1)).ravel()
    context = row_sums ** 0.75  # smoothed context distribution
    context = context / context.sum()
    with np.errstate(divide="ignore"):
        pmi = np.log((cooc.data / total) / ((row_sums[cooc.row] / total) * context[cooc.col]))
    keep = (pmi > 0) & (cooc.row != cooc.col)
    ppmi = sparse.csr_matrix((pmi[keep], (cooc.row[keep], cooc.col[keep])), shape=cooc.shape)
    k = max(1, min(dimensions, min(ppmi.shape) - 1))
    with threadpool_limits(1):
        vectors = TruncatedSVD(n_components=k, random_state=seed, algorithm="randomized").fit_transform(ppmi)
    vectors = vectors[:, 1:] if vectors.shape[1] > 1 else vectors  # the first component is mostly word frequency
    vectors = vectors - vectors.mean(axis=0)  # centred, so that cosine tells words apart rather than frequent ones
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vocab, vectors / np.where(norms == 0, 1, norms), counts


def suggest(sentences: Sequence[str], theme: Theme, book: Codebook, *, top: int = 30, min_count: int = 5,
            examples: int = 3) -> pd.DataFrame:
    """Candidate words for ``theme``: most similar to its terms' centroid,
    not already in the codebook, with frequency and example sentences."""
    columns = ["rank", "word", "similarity", "sentences", "seed_terms_used", "examples"]
    vocab, vectors, counts = word_vectors(sentences, min_count=min_count)
    index = {w: i for i, w in enumerate(vocab)}
    seeds = sorted(t for t in theme_terms(theme) if t in index)
    if not seeds:
        return pd.DataFrame(columns=columns)
    centroid = vectors[[index[t] for t in seeds]].mean(axis=0)
    centroid /= np.linalg.norm(centroid) or 1.0
    scores = vectors @ centroid
    known = codebook_terms(book)
    order = sorted((i for i, w in enumerate(vocab) if w not in known), key=lambda i: (-scores[i], vocab[i]))[:top]
    rows = []
    for rank, i in enumerate(order, start=1):
        word = vocab[i]
        rows.append({"rank": rank, "word": word, "similarity": round(float(scores[i]), 4), "sentences": int(counts[i]),
                     "seed_terms_used": len(seeds), "examples": " | ".join(kwic_lines(sentences, word, n=examples))})
    return pd.DataFrame(rows, columns=columns)


def kwic_lines(sentences: Iterable[str], word: str, *, n: int = 3, width: int = 50) -> list[str]:
    """Up to ``n`` keyword-in-context lines for ``word`` (first occurrences, in corpus order)."""
    pattern = re.compile(rf"\b{re.escape(word)}\b", re.I)
    out = []
    for text in sentences:
        m = pattern.search(text)
        if m:
            left = text[max(0, m.start() - width):m.start()]
            right = text[m.end():m.end() + width]
            out.append(f"...{left}[{m.group(0)}]{right}...")
            if len(out) == n:
                break
    return out
