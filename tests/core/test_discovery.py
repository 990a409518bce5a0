"""Topic discovery: stable, and able to surface a growing topic the codebook does not cover."""

from __future__ import annotations

import numpy as np
import pandas as pd

from pipeline.core.discovery import discover_topics, topic_tables
from pipeline.core.lemmas import lemma_text

CLIMATE = ["Rising seas and climate change threaten small island states.",
           "Climate finance must reach the islands facing rising seas.",
           "The climate crisis and rising sea levels endanger coastal communities."]
TRAFFICKING = ["Victims of trafficking in persons need protection and support.",
               "Traffickers exploit victims through forced labour.",
               "Protection of trafficking victims remains a priority."]
OTHER = ["The assembly elected its president for the session.", "The president thanked the assembly members.",
         "Delegates congratulated the president of the assembly."]


def corpus() -> pd.DataFrame:
    rows = []
    for meeting, texts in enumerate([TRAFFICKING + OTHER, TRAFFICKING + OTHER + CLIMATE[:1],
                                     TRAFFICKING[:2] + OTHER + CLIMATE, TRAFFICKING[:1] + OTHER + CLIMATE * 2]):
        for n, text in enumerate(texts):
            rows.append({"sentence_id": f"m{meeting}-s{n:02d}", "group_id": f"g{meeting}", "order": meeting,
                         "text": text})
    return pd.DataFrame(rows)


def test_lemma_text_keeps_content_lemmas_only():
    assert lemma_text("The victims were trafficked into scam centres.") == "victim traffic scam centre"


def test_the_same_sentences_give_the_same_topics():
    texts = corpus()["text"].tolist()
    first, weights = discover_topics(texts, n_topics=3)
    again, weights_again = discover_topics(texts, n_topics=3)
    assert first.equals(again) and np.array_equal(weights, weights_again)


def test_a_growing_topic_no_theme_covers_is_a_candidate_theme():
    df = corpus()
    topics, weights = discover_topics(df["text"].tolist(), n_topics=3, min_df=2)
    tagged = {"trafficking": set(df.loc[df["text"].isin(TRAFFICKING), "sentence_id"])}
    found, trend, examples = topic_tables(df, weights, topics, df[["sentence_id", "group_id", "order"]], tagged)
    climate = found[found["top_terms"].str.contains("climate")].iloc[0]
    assert climate["candidate"] and climate["growth"] > 0 and climate["overlap"] == 0
    trafficking = found[found["best_theme"] == "trafficking"].sort_values("overlap").iloc[-1]
    assert trafficking["overlap"] >= 0.8 and not trafficking["candidate"]
    shown = examples[examples["topic"] == climate["topic"]]["text"]
    assert len(shown) and all("climate" in t.lower() or "seas" in t.lower() for t in shown)
    assert set(trend["group_id"]) == {"g0", "g1", "g2", "g3"}


def test_too_few_words_give_empty_tables_not_an_error():
    topics, weights = discover_topics(["One.", "Two."], n_topics=5)
    assert topics.empty and weights.shape == (2, 0)
