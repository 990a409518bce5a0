"""Trend tables: intervals, keyness, grouping and the zero rows that make absence visible."""

from __future__ import annotations

import math
from collections import Counter

import pandas as pd
import pyarrow as pa
import pytest
from scipy.stats import chi2_contingency

from pipeline.core import records, trends
from pipeline.core.terms import terms_of, term_count_rows
from pipeline.core.errors import PipelineError


def test_wilson_interval_matches_the_textbook_values():
    low, high = trends.wilson_interval(0, 10)
    assert low == 0.0 and high == pytest.approx(0.2775, abs=1e-4)
    low, high = trends.wilson_interval(5, 10)
    assert (low, high) == (pytest.approx(0.2366, abs=1e-4), pytest.approx(0.7634, abs=1e-4))
    assert trends.wilson_interval(10, 10)[1] == 1.0
    assert all(math.isnan(v) for v in trends.wilson_interval(0, 0))


def test_log_likelihood_is_zero_for_equal_rates_and_grows_with_the_difference():
    assert trends.log_likelihood(10, 100, 20, 200)[0] == pytest.approx(0.0, abs=1e-9)
    g_small, p_small = trends.log_likelihood(12, 100, 20, 200)
    g_big, p_big = trends.log_likelihood(40, 100, 20, 200)
    assert 0 < g_small < g_big and p_big < 0.001 < p_small
    # the same 2x2 table through SciPy's log-likelihood contingency test
    reference, p_reference, _, _ = chi2_contingency([[40, 60], [20, 180]], correction=False, lambda_="log-likelihood")
    assert (g_big, p_big) == (pytest.approx(reference), pytest.approx(p_reference))
    assert g_big == pytest.approx(35.606, abs=1e-3)


def term_batches(sentences: pd.DataFrame, *, per_batch: int = 1) -> list[pa.RecordBatch]:
    """The tag stage's term_counts rows for these sentences, ``per_batch`` statements to a batch."""
    rows = [row for sid, group in sentences.groupby("statement_id", sort=True)
            for row in term_count_rows(sid, group.to_dict("records"))]
    schema = records.arrow_schema(records.TERM_COUNT, records.TERM_COUNT_SCHEMA_TYPES)
    return [pa.RecordBatch.from_pylist(rows[i:i + per_batch], schema=schema) for i in range(0, len(rows), per_batch)]


@pytest.mark.parametrize("fold_rows", [1, 250_000])  # folded into the total after every batch, or once at the end
def test_term_counts_per_group_are_the_sum_of_each_sentences_terms_whatever_the_batches(monkeypatch, fold_rows):
    monkeypatch.setattr(trends, "FOLD_ROWS", fold_rows)
    sentences = pd.DataFrame([
        ("a1", "s1", "m1", 5, "Scam centres hold victims; SCAM-centres again."),
        ("a2", "s2", "m2", 4, "The boats and the boat-people"),
        ("a3", "s3", "m1", 4, "Scam centres and the of a"),
        ("a4", "s3", "m1", 0, ""),
    ], columns=["sentence_id", "statement_id", "meeting_id", "n_words", "text"])
    group_of = {"m1": "g1", "m2": "g2"}
    expected: dict = {}
    for m, text in zip(sentences.meeting_id, sentences.text):
        expected.setdefault(group_of[m], Counter()).update(terms_of(text))
    assert expected["g1"] == Counter({"scam": 2, "centres": 2, "hold": 1, "victims": 1, "scam-centres": 1})
    for per_batch in (1, 2, 10):
        summed = trends.group_term_counts(term_batches(sentences, per_batch=per_batch), group_of).to_pylist()
        assert len(summed) == sum(len(c) for c in expected.values())  # one row per group and term
        assert {(r["group_id"], r["term"]): r["count"] for r in summed} == {
            (g, t): n for g, c in expected.items() for t, n in c.items()}
    assert trends.group_term_counts([], group_of).num_rows == 0


def meetings_table() -> pd.DataFrame:
    rows = [
        # two speeches at the same UN session are one meeting; a dated event in a statement is its own
        ("s1-m0", "s1", "statement", "A at session 57", "UN General Debate", 57, "2002"),
        ("s2-m0", "s2", "statement", "B at session 57", "UN General Debate", 57, "2002"),
        ("s3-m0", "s3", "statement", "B at session 58", "UN General Debate", 58, "2003"),
        ("s4-m0", "s4", "statement", "Co-chairs' statement", "WG-TIP", 11, "2025-12-01"),
        ("s4-m1", "s4", "event", "Joint Regional Event", "WG-TIP", None, "2025-12-02"),
    ]
    return pd.DataFrame(rows, columns=["meeting_id", "statement_id", "level", "title", "series", "ordinal",
                                       "start_date"]).astype({"ordinal": "Int64"})


def test_statements_of_the_same_meeting_are_pooled_and_events_stand_alone():
    groups = trends.meeting_groups(meetings_table())
    group_of = dict(zip(groups["meeting_id"], groups["group_id"]))
    assert group_of["s1-m0"] == group_of["s2-m0"] == "UN General Debate 57"
    assert group_of["s4-m1"] == "s4-m1"
    ordered = groups.drop_duplicates("group_id").sort_values("order")
    assert list(ordered["group_id"]) == ["UN General Debate 57", "UN General Debate 58", "WG-TIP 11", "s4-m1"]
    assert ordered.iloc[0]["title"] == "UN General Debate 57 (2 statements)"


def test_grouping_by_year_and_series_and_unknown_grouping_is_an_error():
    assert set(trends.meeting_groups(meetings_table(), by="year")["group_id"]) == {"2002", "2003", "2025"}
    assert set(trends.meeting_groups(meetings_table(), by="series")["group_id"]) == {"UN General Debate", "WG-TIP"}
    with pytest.raises(PipelineError, match="group_by 'decade'"):
        trends.meeting_groups(meetings_table(), by="decade")


def tagged() -> tuple[pd.DataFrame, pd.DataFrame]:
    sentences = pd.DataFrame([
        ("a1", "s1", "s1-m0", 10, "Trafficking in persons rose."),
        ("a2", "s2", "s2-m0", 10, "Fiji spoke on fishing crews."),
        ("a3", "s3", "s3-m0", 10, "Scam centres spread across the region."),
        ("a4", "s3", "s3-m0", 10, "Scam compounds held victims."),
    ], columns=["sentence_id", "statement_id", "meeting_id", "n_words", "text"])
    mentions = pd.DataFrame([
        ("a1", "s1", "s1-m0", "theme", "trafficking", "trafficking", "Trafficking in persons", 0, 22),
        ("a2", "s2", "s2-m0", "entity", "STATE", "FJI", "Fiji", 0, 4),
        ("a2", "s2", "s2-m0", "theme", "fishing", "fishing", "fishing crews", 14, 27),
        ("a3", "s3", "s3-m0", "theme", "scam_centres", "scam_centres", "Scam centres", 0, 12),
        ("a4", "s3", "s3-m0", "theme", "scam_centres", "scam_centres", "Scam compounds", 0, 14),
    ], columns=["sentence_id", "statement_id", "meeting_id", "kind", "label", "canonical_id", "text", "start", "end"])
    return sentences, mentions


def test_sentence_counts_summed_batch_by_batch_equal_the_counts_of_the_whole():
    sentences, _ = tagged()
    whole = trends.sentence_counts(sentences)
    assert whole.values.tolist() == [["s1", "s1-m0", 1, 10], ["s2", "s2-m0", 1, 10], ["s3", "s3-m0", 2, 20]]
    halves = trends.add_counts([trends.sentence_counts(sentences.iloc[:3]), trends.sentence_counts(sentences.iloc[3:])])
    assert halves.equals(whole)
    assert trends.add_counts([]).empty and list(trends.add_counts([]).columns) == trends.COUNT_COLUMNS


THEMES = [("trafficking", "Trafficking"), ("fishing", "Fishing"), ("scam_centres", "Scam centres")]


def test_theme_trends_have_a_row_for_every_meeting_and_theme_including_zeros():
    sentences, mentions = tagged()
    groups = trends.meeting_groups(meetings_table())
    table = trends.theme_trends(trends.sentence_counts(sentences), mentions, groups, THEMES)
    assert len(table) == 4 * len(THEMES)
    row = table[(table.group_id == "UN General Debate 58") & (table.theme == "scam_centres")].iloc[0]
    assert (row.sentences_with_theme, row.sentences, row.share, row.mentions) == (2, 2, 1.0, 2)
    assert row.mentions_per_1000_words == 100.0
    absent = table[(table.group_id == "UN General Debate 58") & (table.theme == "fishing")].iloc[0]
    assert absent.sentences_with_theme == 0 and absent.share == 0.0 and absent.share_high > 0
    empty = table[table.group_id == "s4-m1"]
    assert (empty.sentences == 0).all() and empty.share.isna().all()


def test_actors_are_paired_with_the_themes_of_their_sentences():
    sentences, mentions = tagged()
    pairs = trends.actor_themes(mentions, trends.meeting_groups(meetings_table()), {"FJI": "Fiji"})
    assert pairs[["name", "theme", "sentences", "example_sentence_ids"]].values.tolist() == [["Fiji", "fishing", 1, "a2"]]


def test_entities_per_meeting_are_named_from_the_gazetteer_or_else_their_most_frequent_wording():
    mentions = pd.DataFrame([
        ("a1", "s1", "s1-m0", "entity", "ORG", "org:x", "the Office"),
        ("a2", "s1", "s1-m0", "entity", "ORG", "org:x", "UNODC"),
        ("a3", "s1", "s1-m0", "entity", "ORG", "org:x", "UNODC"),
        ("a3", "s1", "s1-m0", "entity", "STATE", "FJI", "Fiji"),
        ("b1", "s3", "s3-m0", "entity", "ORG", "org:x", "the Office"),  # a tie: the first seen wording
        ("b1", "s3", "s3-m0", "entity", "ORG", "org:x", "Office"),
        ("b1", "s3", "s3-m0", "entity", "GPE", "MNL", "Manila"),  # not a state or organisation
    ], columns=["sentence_id", "statement_id", "meeting_id", "kind", "label", "canonical_id", "text"])
    table = trends.entity_trends(mentions, trends.meeting_groups(meetings_table()), {"FJI": "Fiji (Republic of)"})
    assert table[["group_id", "name", "sentences", "mentions"]].values.tolist() == [
        ["UN General Debate 57", "UNODC", 3, 3], ["UN General Debate 57", "Fiji (Republic of)", 1, 1],
        ["UN General Debate 58", "the Office", 1, 2]]


def test_emerging_compares_the_latest_meeting_with_all_earlier_ones():
    sentences, mentions = tagged()
    meetings = meetings_table().iloc[:3]
    groups = trends.meeting_groups(meetings)
    group_of = dict(zip(groups.meeting_id, groups.group_id))
    counts = trends.group_term_counts(term_batches(sentences), group_of)
    table = trends.emerging(trends.sentence_counts(sentences), mentions, groups, THEMES, term_counts=counts,
                            min_count=1)
    scam = table[(table.kind == "theme") & (table.item == "scam_centres")].iloc[0]
    assert (scam.latest_count, scam.latest_total, scam.earlier_count, scam.earlier_total) == (2, 2, 0, 2)
    assert scam.direction == "up" and scam.first_seen_group == "UN General Debate 58" and scam.first_seen_date == "2003"
    assert "scam" in set(table.loc[table.kind == "term", "item"])
    assert trends.emerging(trends.sentence_counts(sentences), mentions, trends.meeting_groups(meetings.iloc[:1]), THEMES,
                           term_counts=counts).empty


def test_terms_are_ranked_exactly_as_the_g2_of_each_term_ranks_them_ties_by_term():
    import random
    rng = random.Random(7)
    words = [f"w{i}" for i in range(400)]
    latest = Counter({w: rng.choice([0, 1, 2, 5, 9, 30]) for w in words})
    earlier = Counter({w: rng.choice([0, 1, 3, 10, 60]) for w in words})
    n1, n0 = sum(latest.values()) + 50, sum(earlier.values()) + 500
    slow = sorted((-trends.g2_statistic(latest[w], n1, earlier[w], n0), w) for w in words
                  if latest[w] + earlier[w] >= 3)
    for top in (1, 20, 1000):
        assert trends._rank_by_g2(latest, n1, earlier, n0, min_count=3, top=top) == slow[:top]
    assert any(a[0] == b[0] for a, b in zip(slow, slow[1:]))  # the list has ties, broken by term
    assert trends._rank_by_g2(latest, n1, Counter(), 0, min_count=3, top=5) == [
        (-0.0, w) for w in sorted(w for w in words if latest[w] >= 3)[:5]]


def test_a_sentence_whose_meeting_is_unknown_stops_the_run():
    sentences, mentions = tagged()
    with pytest.raises(PipelineError, match="meeting 's3-m0'"):
        trends.theme_trends(trends.sentence_counts(sentences), mentions,
                            trends.meeting_groups(meetings_table().iloc[:2]), THEMES)
