"""The words counted for what is new: counted once per statement and meeting by the tag stage."""

from __future__ import annotations

from collections import Counter

from pipeline.core.terms import count_words, term_count_rows, terms_of


def test_terms_are_lower_case_words_of_three_letters_or_more_without_stop_words():
    assert terms_of("The Scam-Centres of Myawaddy, and at sea: 2024 is an UN year.") == [
        "scam-centres", "myawaddy", "sea", "year"]


def test_words_counted_in_texts_joined_are_the_sum_of_each_texts_terms():
    texts = ["Boats and boat-people", "people smuggling", "", "and the of", "smuggling-\nnetworks"]
    assert count_words(texts) == sum((Counter(terms_of(t)) for t in texts), Counter())


def test_a_statement_gets_one_row_per_meeting_with_its_terms_sorted_and_their_counts():
    sentences = [{"meeting_id": "m2", "text": "Crews held at sea."}, {"meeting_id": "m1", "text": "Crews and crews."},
                 {"meeting_id": "m2", "text": "Held again"}]
    assert term_count_rows("s1", sentences) == [
        {"statement_id": "s1", "meeting_id": "m1", "term": ["crews"], "count": [2]},
        {"statement_id": "s1", "meeting_id": "m2", "term": ["crews", "held", "sea"], "count": [1, 2, 1]}]
    assert term_count_rows("s1", []) == []
