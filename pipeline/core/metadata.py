"""Meeting metadata read from text: dates, ordinals, series, city, co-chairs.

Everything here is a pure function of strings (and of rule tables passed in),
so the parsers are tested one by one in ``tests/core/test_metadata.py``.
"""

from __future__ import annotations

import datetime as dt
import re
from functools import lru_cache
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

MONTHS = {m: i for i, m in enumerate(
    ["january", "february", "march", "april", "may", "june", "july", "august",
     "september", "october", "november", "december"], start=1)}
MONTHS.update({m[:3]: i for m, i in list(MONTHS.items())})
MONTHS["sept"] = 9
_MONTH = r"(?P<{name}>" + "|".join(sorted(MONTHS, key=len, reverse=True)) + r")\.?"
_DASH = r"\s*(?:-|\u2013|\u2014|to|until|and)\s*"
_DAY = r"(?P<{name}>[0-3]?\d)(?:st|nd|rd|th)?"

# Most specific first: a longer match wins where patterns overlap.
_DATE_PATTERNS = [
    # 30 December 2024 - 2 January 2025
    _DAY.format(name="d1") + r"\s+" + _MONTH.format(name="m1") + r",?\s+(?P<y1>\d{4})" + _DASH
    + _DAY.format(name="d2") + r"\s+" + _MONTH.format(name="m2") + r",?\s+(?P<y2>\d{4})",
    # 30 November - 2 December 2025
    _DAY.format(name="d1") + r"\s+" + _MONTH.format(name="m1") + _DASH
    + _DAY.format(name="d2") + r"\s+" + _MONTH.format(name="m2") + r",?\s+(?P<y2>\d{4})",
    # (From) 1 to 5 December 2025, 1-5 December 2025
    _DAY.format(name="d1") + _DASH + _DAY.format(name="d2") + r"\s+" + _MONTH.format(name="m2") + r",?\s+(?P<y2>\d{4})",
    # December 1-5, 2025
    _MONTH.format(name="m2") + r"\s+" + _DAY.format(name="d1") + _DASH + _DAY.format(name="d2") + r",?\s+(?P<y2>\d{4})",
    # 1 December 2025
    _DAY.format(name="d2") + r"\s+" + _MONTH.format(name="m2") + r",?\s+(?P<y2>\d{4})",
    # December 1, 2025
    _MONTH.format(name="m2") + r"\s+" + _DAY.format(name="d2") + r",\s+(?P<y2>\d{4})",
    # 2025-12-01
    r"(?P<iso>\d{4}-\d{2}-\d{2})",
    # December 2025 (month precision)
    _MONTH.format(name="m2") + r"\s+(?P<y2>\d{4})",
]
_DATE_RES = [re.compile(r"\b" + p + r"\b", re.I) for p in _DATE_PATTERNS]


@dataclass(frozen=True)
class DateSpan:
    """A date or date range found in text. ``start``/``end`` are ISO strings:
    'YYYY-MM-DD', or 'YYYY-MM' where the text names only a month."""

    start: str
    end: str
    text: str
    pos: int

    @property
    def has_day(self) -> bool:
        return len(self.start) == 10


def _span_from_match(m: re.Match) -> DateSpan | None:
    g = {k: v for k, v in m.groupdict().items() if v}
    try:
        if "iso" in g:
            day = dt.date.fromisoformat(g["iso"])
            return DateSpan(day.isoformat(), day.isoformat(), m.group(0), m.start())
        y2, m2 = int(g["y2"]), MONTHS[g["m2"].lower()]
        if "d2" not in g:
            month = f"{y2:04d}-{m2:02d}"
            return DateSpan(month, month, m.group(0), m.start())
        end = dt.date(y2, m2, int(g["d2"]))
        if "d1" in g:
            m1 = MONTHS[g["m1"].lower()] if "m1" in g else m2
            y1 = int(g["y1"]) if "y1" in g else (y2 if m1 <= m2 else y2 - 1)
            start = dt.date(y1, m1, int(g["d1"]))
        else:
            start = end
    except ValueError:  # 31 February and friends: not a date
        return None
    if start > end:
        return None
    return DateSpan(start.isoformat(), end.isoformat(), m.group(0), m.start())


_YEAR = re.compile(r"\d{4}")
_BEFORE_YEAR = 100  # no date expression runs longer than this before its (last) year
_AFTER_YEAR = 12    # '2025-12-01' runs 6 characters past its year; a little more for the boundary


def _year_windows(text: str) -> list[tuple[int, int]]:
    """Stretches of text around four-digit numbers, merged: every date
    expression has a year, so the date patterns need to look only here (most
    of a long speech has no year in it)."""
    windows: list[tuple[int, int]] = []
    for m in _YEAR.finditer(text):
        start, end = max(0, m.start() - _BEFORE_YEAR), min(len(text), m.end() + _AFTER_YEAR)
        if windows and start <= windows[-1][1]:
            windows[-1] = (windows[-1][0], end)
        else:
            windows.append((start, end))
    return windows


def find_dates(text: str) -> list[DateSpan]:
    """All dates and date ranges in ``text``, in reading order, without overlaps."""
    taken: list[tuple[int, int]] = []
    spans: list[DateSpan] = []
    windows = _year_windows(text)
    for regex in _DATE_RES:
        for start, end in windows:  # pos/endpos keep word boundaries exact at a window's start
            for m in regex.finditer(text, start, end):
                if any(m.start() < e and s < m.end() for s, e in taken):
                    continue
                taken.append((m.start(), m.end()))  # an impossible date is taken too: no month fallback
                span = _span_from_match(m)
                if span is not None:
                    spans.append(span)
    return sorted(spans, key=lambda s: s.pos)


def first_dated_span(texts: Iterable[str]) -> DateSpan | None:
    """The first date with a day in the texts; failing that the first month."""
    month_only = None
    for text in texts:
        for span in find_dates(text):
            if span.has_day:
                return span
            month_only = month_only or span
    return month_only


def parse_date_field(value: str) -> str:
    """A manifest date to ISO: '2025-12-01', '2025-12', '2025' or any form
    :func:`find_dates` reads ('1 December 2025'). Raises ValueError."""
    value = value.strip()
    if re.fullmatch(r"\d{4}(-\d{2})?", value):
        if len(value) == 7 and not 1 <= int(value[5:]) <= 12:
            raise ValueError(value)
        return value
    spans = find_dates(value)
    if len(spans) == 1 and spans[0].text.strip() == value.rstrip(". ") and spans[0].start == spans[0].end:
        return spans[0].start
    raise ValueError(value)


_ORDINAL_WORDS = ["first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth",
                  "tenth", "eleventh", "twelfth", "thirteenth", "fourteenth", "fifteenth", "sixteenth",
                  "seventeenth", "eighteenth", "nineteenth", "twentieth"]
ORDINALS = {w: i for i, w in enumerate(_ORDINAL_WORDS, start=1)}
_TENS = {"twenty": 20, "thirty": 30}
for _tens, _base in _TENS.items():
    for _w, _i in list(ORDINALS.items())[:9]:
        ORDINALS[f"{_tens}-{_w}"] = _base + _i
        ORDINALS[f"{_tens} {_w}"] = _base + _i
ORDINALS["thirtieth"] = 30
_MEETING_NOUN = r"(?:meeting|conference|forum|session|workshop|dialogue|consultation|symposium|roundtable)"
_ORDINAL_RE = re.compile(
    r"\b(?P<ord>\d{1,3}(?:st|nd|rd|th)|" + "|".join(sorted(ORDINALS, key=len, reverse=True)) + r")\b"
    r"(?=(?:\s+[\w'-]+){0,3}?\s+" + _MEETING_NOUN + r"\b)", re.I)


def find_ordinal(text: str) -> int | None:
    """Number of a meeting in its series: '11th Annual Meeting' and
    'Eleventh Annual Meeting' give 11. Only ordinals that precede a meeting
    noun count, so 'the first time' does not."""
    m = _ORDINAL_RE.search(text)
    if not m:
        return None
    word = m.group("ord").lower()
    return int(re.sub(r"\D", "", word)) if word[0].isdigit() else ORDINALS[word]


def find_series(text: str, rules: Sequence[Mapping]) -> str | None:
    """The series whose pattern occurs earliest in ``text`` (at the same
    place, the rule listed first), as a whole phrase in any case: not inside
    a longer word or hyphenated name. ``rules`` are ``{"series": name,
    "patterns": [phrases]}`` (corpus/series.yaml)."""
    phrases, series = _series_phrases(tuple((r["series"], tuple(r["patterns"])) for r in rules))
    lowered, best = text.lower(), None
    for index, phrase in enumerate(phrases):
        start = lowered.find(phrase)
        while start != -1 and (best is None or start < best[0]):
            end = start + len(phrase)
            if not (start and _WORD_OR_HYPHEN.match(lowered, start - 1)) and not _WORD_OR_HYPHEN.match(lowered, end):
                best = (start, index)
                break
            start = lowered.find(phrase, start + 1)
    return series[best[1]] if best else None


_WORD_OR_HYPHEN = re.compile(r"[\w-]")


@lru_cache(maxsize=16)
def _series_phrases(rules: tuple[tuple[str, tuple[str, ...]], ...]) -> tuple[list[str], list[str]]:
    r"""The phrases in rule order, lower-cased, and the series of each.

    Hand-written rather than one regex of all the phrases (``(?<![\w-])(?:...)``
    with re.I): str.find on the lower-cased text took the 952 UN speeches
    from 1.7 s to 0.25 s, a quarter of an ingest run, with the same series
    for every speech."""
    return [phrase.lower() for _, phrases in rules for phrase in phrases], \
        [name for name, phrases in rules for _ in phrases]


def find_city(text: str, cities: Mapping[str, str]) -> tuple[str, str] | None:
    """(city, country) of the first known city named after 'in' ('held ...
    in Manila, the Philippines'), else the first named at all."""
    if not cities:
        return None
    alternation = "|".join(re.escape(c) for c in sorted(cities, key=len, reverse=True))
    found = re.search(r"\bin\s+(" + alternation + r")\b", text) or re.search(r"\b(" + alternation + r")\b", text)
    if not found:
        return None
    return found.group(1), cities[found.group(1)]


_CO_CHAIRED_BY = re.compile(r"\bco-?chaired by\s+(?P<list>[^.;:]+)", re.I)
_LIST_SPLIT = re.compile(r",\s*(?:and\s+)?|\s+and\s+")
_NAME_WORD = re.compile(r"^(?:[A-Z][\w'.-]*|of|the|and|for|de|da|van|von|-)$")
_HONORIFIC = r"(?:Mr|Ms|Mrs|Miss|Dr|Prof|H\.E\.|HE|Hon\.?|Ambassador|Minister|Senator|Dato'?|Datuk|Tan Sri)"
_PERSON = re.compile(r"\b(?P<title>" + _HONORIFIC + r")\.?\s+(?P<name>(?:[A-Z][\w'-]+\s?){1,4})")


def find_co_chairs(text: str) -> list[str]:
    """Co-chairs as written. 'Co-chaired by Australia, Indonesia and the
    Philippines, the events ...' gives the three states; in a sentence about
    Co-Chairs that names people ('Mr Caka Alverdi Awal ... and Ms Kathryn
    Haigh'), the people."""
    m = _CO_CHAIRED_BY.search(text)
    if m:
        names = []
        for item in _LIST_SPLIT.split(m.group("list")):
            words = item.split()
            if not words or len(words) > 6 or not all(_NAME_WORD.match(w) for w in words):
                break
            names.append(item.strip())
        if names:
            return names
    for sentence in re.split(r"(?<=[.!?])\s+", text):
        if re.search(r"\bco-?chairs?\b", sentence, re.I):
            people = [f"{p.group('name').strip()}" for p in _PERSON.finditer(sentence)]
            if people:
                return people
    return []
