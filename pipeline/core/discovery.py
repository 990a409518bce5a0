"""Topic discovery: what the sentences talk about that the codebook may
not cover. TF-IDF on lemmas, then non-negative matrix factorisation (NMF)
with a deterministic start (NNDSVD) and one BLAS thread, so the same input
gives the same topics, byte for byte.

A topic that overlaps no codebook theme and grows over the recent meetings
is a *candidate theme*, listed with its evidence sentences, ready to become
a codebook entry.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from sklearn.decomposition import NMF
from sklearn.feature_extraction.text import TfidfVectorizer
from threadpoolctl import threadpool_limits

from .lemmas import lemma_text

def discover_topics(texts: Sequence[str], *, n_topics: int, min_df: int = 2, max_df: float = 0.5,
                    top_terms: int = 10, seed: int = 0) -> tuple[pd.DataFrame, np.ndarray]:
    """Topics (id, label, top terms with weights) and the sentence x topic
    weight matrix. Empty outputs when there are too few words to factorise."""
    docs = [lemma_text(t) for t in texts]
    columns = ["topic", "label", "top_terms"]
    vectorizer = TfidfVectorizer(analyzer=str.split, min_df=min_df, max_df=max_df if len(docs) > 20 else 1.0,
                                 sublinear_tf=True, dtype=np.float64)
    try:
        matrix = vectorizer.fit_transform(docs)
    except ValueError:  # no term left after pruning
        return pd.DataFrame(columns=columns), np.zeros((len(docs), 0))
    k = max(1, min(n_topics, matrix.shape[0] - 1, matrix.shape[1] - 1))
    if matrix.shape[0] < 3 or matrix.shape[1] < 3:
        return pd.DataFrame(columns=columns), np.zeros((len(docs), 0))
    with threadpool_limits(1):
        model = NMF(n_components=k, init="nndsvd", random_state=seed, max_iter=1000)
        weights = model.fit_transform(matrix)
    terms = vectorizer.get_feature_names_out()
    rows = []
    for t, component in enumerate(model.components_):
        order = np.lexsort((terms, -component))[:top_terms]  # ties broken alphabetically
        top = [(terms[i], component[i]) for i in order if component[i] > 0]
        rows.append({"topic": t, "label": " / ".join(term for term, _ in top[:3]),
                     "top_terms": "; ".join(f"{term}:{weight:.3f}" for term, weight in top)})
    return pd.DataFrame(rows, columns=columns), weights


def topic_tables(sentences: pd.DataFrame, weights: np.ndarray, topics: pd.DataFrame, sentence_groups: pd.DataFrame,
                 theme_sentences: dict[str, set[str]], *, representatives: int = 5, candidate_overlap: float = 0.2,
                 ) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """(discovered_topics, topic_trends, topic_sentences).

    A sentence belongs to the topic with its largest weight (none when all are
    zero). A topic's overlap with a theme is the share of its sentences that
    carry the theme; its growth compares its share in the later half of the
    meetings with the earlier half. ``sentence_groups`` has ``sentence_id``,
    ``group_id`` and ``order`` (the meeting's place in time)."""
    ids = sentences["sentence_id"].tolist()
    has_topic = weights.max(axis=1) > 0 if weights.size else np.zeros(len(ids), dtype=bool)
    dominant = np.where(has_topic, weights.argmax(axis=1) if weights.size else -1, -1)
    frame = pd.DataFrame({"sentence_id": pd.Series(ids, dtype=object), "topic": pd.Series(dominant, dtype="int64")})
    frame = frame.merge(sentence_groups.astype({"sentence_id": object}), on="sentence_id")
    groups = sentence_groups.drop_duplicates("group_id").sort_values("order")
    totals = frame.groupby("group_id").size()
    in_topic = frame[frame["topic"] >= 0].groupby(["topic", "group_id"]).size()  # one pass, not one per cell
    trend_rows, topic_rows, sentence_rows = [], [], []
    half = len(groups) // 2
    for topic in topics.itertuples():
        members = set(frame.loc[frame["topic"] == topic.topic, "sentence_id"])
        shares = []
        for g in groups.itertuples():
            n = int(totals.get(g.group_id, 0))
            k = int(in_topic.get((topic.topic, g.group_id), 0))
            shares.append(k / n if n else 0.0)
            trend_rows.append({"topic": topic.topic, "label": topic.label, "group_id": g.group_id, "order": g.order,
                               "sentences_in_topic": k, "sentences": n, "share": k / n if n else np.nan})
        overlaps = {theme: len(members & tagged) / len(members) for theme, tagged in theme_sentences.items()
                    if members}
        best = min(overlaps.items(), key=lambda kv: (-kv[1], kv[0])) if overlaps else ("", 0.0)
        growth = float(np.mean(shares[half:]) - np.mean(shares[:half])) if half else 0.0
        topic_rows.append({"topic": topic.topic, "label": topic.label, "top_terms": topic.top_terms,
                           "sentences": len(members), "best_theme": best[0], "overlap": round(best[1], 4),
                           "growth": round(growth, 6),
                           "candidate": bool(members) and best[1] < candidate_overlap and growth > 0})
        order = np.lexsort((np.array(ids), -weights[:, topic.topic]))[:representatives]
        for rank, i in enumerate(order, start=1):
            if weights[i, topic.topic] > 0:
                sentence_rows.append({"topic": topic.topic, "rank": rank, "sentence_id": ids[i],
                                      "weight": round(float(weights[i, topic.topic]), 6),
                                      "text": sentences["text"].iloc[i]})
    return (pd.DataFrame(topic_rows, columns=["topic", "label", "top_terms", "sentences", "best_theme", "overlap",
                                              "growth", "candidate"]),
            pd.DataFrame(trend_rows, columns=["topic", "label", "group_id", "order", "sentences_in_topic", "sentences",
                                              "share"]),
            pd.DataFrame(sentence_rows, columns=["topic", "rank", "sentence_id", "weight", "text"]))
