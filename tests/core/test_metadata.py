import pytest
from hypothesis import given
from hypothesis import strategies as st

from pipeline.core.metadata import (find_city, find_co_chairs, find_dates, find_ordinal, find_series,
                                    first_dated_span, parse_date_field)


@pytest.mark.parametrize("text, start, end", [
    ("From 1 to 5 December 2025, the Working Group met", "2025-12-01", "2025-12-05"),
    ("Eleventh Annual Meeting \u2013 1 December 2025", "2025-12-01", "2025-12-01"),
    ("1-5 December 2025", "2025-12-01", "2025-12-05"),
    ("30 November \u2013 2 December 2025", "2025-11-30", "2025-12-02"),
    ("29 December 2024 to 2 January 2025", "2024-12-29", "2025-01-02"),
    ("December 1-5, 2025", "2025-12-01", "2025-12-05"),
    ("on March 3, 2024 in Bangkok", "2024-03-03", "2024-03-03"),
    ("held 2024-11-18", "2024-11-18", "2024-11-18"),
    ("December 2025", "2025-12", "2025-12"),
])
def test_find_dates_reads_days_and_ranges(text, start, end):
    (span,) = find_dates(text)
    assert (span.start, span.end) == (start, end)


def test_impossible_dates_are_not_dates():
    assert find_dates("31 February 2024") == []


def test_first_dated_span_prefers_a_day_over_a_month():
    span = first_dated_span(["December 2025", "From 1 to 5 December 2025, events were held."])
    assert (span.start, span.end) == ("2025-12-01", "2025-12-05")


@pytest.mark.parametrize("text, ordinal", [
    ("Working Group on Trafficking in Persons 11th Annual Meeting", 11),
    ("Eleventh Annual Meeting \u2013 1 December 2025", 11),
    ("Twenty-first Session of the Ad Hoc Group", 21),
    ("Second Regional Ministerial Conference", 2),
    ("for the first time in a decade", None),
])
def test_find_ordinal_reads_numbers_and_words_before_a_meeting_noun(text, ordinal):
    assert find_ordinal(text) == ordinal


def test_find_series_takes_the_earliest_named_series():
    rules = [{"series": "TEG-RR", "patterns": ["TEG-RR"]},
             {"series": "WG-TIP", "patterns": ["Working Group on Trafficking in Persons", "WG-TIP"]}]
    assert find_series("Bali Process Working Group on Trafficking in Persons 11th Annual Meeting with TEG-RR", rules) == "WG-TIP"
    assert find_series("no series here", rules) is None


SERIES_RULES = [{"series": "A", "patterns": ["Working Group", "WG"]}, {"series": "B", "patterns": ["Group", "WG-TIP"]},
                {"series": "C", "patterns": ["working group on trafficking"]}]


@given(st.lists(st.sampled_from(["Working Group", "WG-TIP", "WG", "group", "on trafficking", "x-WG", "WGs", "the",
                                 "Group,", "-Group"]), max_size=8))
def test_find_series_is_the_earliest_whole_phrase_and_at_a_tie_the_rule_listed_first(words):
    import re
    text = " ".join(words)
    found = []  # the definition, phrase by phrase
    for order, rule in enumerate(SERIES_RULES):
        for phrase in rule["patterns"]:
            m = re.search(r"(?<![\w-])" + re.escape(phrase) + r"(?![\w-])", text, re.I)
            if m:
                found.append((m.start(), order, rule["series"]))
    assert find_series(text, SERIES_RULES) == (min(found)[2] if found else None)


def test_find_city_prefers_the_city_after_in():
    cities = {"Adelaide": "Australia", "Manila": "Philippines"}
    assert find_city("the 2023 Adelaide Strategy; events in Manila, the Philippines", cities) == ("Manila", "Philippines")


def test_find_co_chairs_reads_states_from_co_chaired_by():
    text = "Co-chaired by Australia, Indonesia and the Philippines, the events were attended by:"
    assert find_co_chairs(text) == ["Australia", "Indonesia", "the Philippines"]


def test_find_co_chairs_reads_people_named_with_titles():
    text = ("WG-TIP Co-Chairs, Mr Caka Alverdi Awal, Director for International Peace and Security, and "
            "Ms Kathryn Haigh, First Assistant Secretary, acknowledged progress.")
    assert find_co_chairs(text) == ["Caka Alverdi Awal", "Kathryn Haigh"]


@pytest.mark.parametrize("value, iso", [("2025-12-01", "2025-12-01"), ("2025-12", "2025-12"), ("2025", "2025"),
                                        ("1 December 2025", "2025-12-01")])
def test_parse_date_field_accepts_iso_and_written_dates(value, iso):
    assert parse_date_field(value) == iso


@pytest.mark.parametrize("value", ["next week", "2025-13", "1 to 5 December 2025", "32/12/2025"])
def test_parse_date_field_rejects_what_is_not_one_date(value):
    with pytest.raises(ValueError):
        parse_date_field(value)


_DATE_PIECES = ["1", "30", "2nd", " ", "  ", "-", " to ", ",", "December", "Sept.", "jan", "2025", "2024-12-01",
                "x2025", "12025", "and", "from", "\n", "a"]
FILLER = "the delegates met and spoke at length " * 40


@given(st.lists(st.sampled_from(_DATE_PIECES), max_size=40))
def test_a_date_is_read_the_same_wherever_it_stands_in_a_long_text(pieces):
    text = "".join(pieces)
    alone = [(d.start, d.end, d.pos) for d in find_dates(text)]
    inside = [(d.start, d.end, d.pos - len(FILLER)) for d in find_dates(FILLER + text + " " + FILLER)]
    assert inside == alone


def test_dates_far_apart_in_a_long_text_are_all_found():
    text = ("word " * 500 + "on 1-5 December 2025 ") * 3 + "and 2024-12-01."
    assert [d.start for d in find_dates(text)] == ["2025-12-01"] * 3 + ["2024-12-01"]
