"""Who attended: participant lists such as '17 WG-TIP and TEG-RR members
(Australia, ..., UNHCR)' turned into one row per participant, with the list's
stated count checked against the number named.

Lists are split at commas and 'and' outside parentheses and outside known
names (so 'Intergovernmental Consultations on Migration, Asylum and Refugees'
stays one participant); each participant takes the canonical id of the first
state or organisation entity inside it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

NUMBER_WORDS = {w: i for i, w in enumerate(
    "one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen "
    "seventeen eighteen nineteen twenty".split(), start=1)}
_COUNTED_LIST = re.compile(
    r"(?<![\w-])(?P<count>\d{1,3}|" + "|".join(NUMBER_WORDS) + r")\s+(?P<label>[A-Za-z][^()]{2,90}?)\s*\(", re.I)
_LIST_NOUN = re.compile(r"\b(?:members?|observers?|organi[sz]ations|states|countries|participants|delegations|"
                        r"agencies|representatives|NGOs|partners)\b", re.I)
_ATTENDEES = re.compile(r"\battendees (?:also )?included\s+", re.I)
_GROUP = re.compile(r"(?:other\s+)?[^()]*\b(?:workstreams|bodies|groups|mechanisms|programmes|programs)\s*\(", re.I)
_LEADING = re.compile(r"(?:and)\s+", re.I)  # "the" stays: participants as written


@dataclass(frozen=True)
class Entity:
    """An entity inside a paragraph: character offsets into the paragraph."""

    start: int
    end: int
    canonical_id: str
    kind: str
    name: str
    in_gazetteer: bool


@dataclass(frozen=True)
class ParticipantList:
    label: str
    role: str
    stated: int | None
    items: tuple[tuple[int, int], ...]  # character ranges of the participants


def role_of(label: str) -> str:
    """Role of everyone in a list, read from its label."""
    low = label.lower()
    if "civil society" in low or "non-government" in low or re.search(r"\bngos?\b", low):
        return "civil society"
    if "member" in low and "observer" in low:
        return "member as observer"
    if "observer" in low:
        return "observer"
    if "member" in low:
        return "member"
    return "other"


def _closing_paren(text: str, open_at: int) -> int:
    depth = 0
    for i in range(open_at, len(text)):
        depth += {"(": 1, ")": -1}.get(text[i], 0)
        if depth == 0:
            return i
    return -1


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start] in " .;":
        start += 1
    while end > start and text[end - 1] in " .;":
        end -= 1
    m = _LEADING.match(text, start, end)
    while m:
        start = m.end()
        m = _LEADING.match(text, start, end)
    return start, end


def item_ranges(text: str, start: int, end: int, protected: Sequence[tuple[int, int]] = ()) -> list[tuple[int, int]]:
    """Split text[start:end] at ',' and ' and ' that stand outside
    parentheses and outside protected (known-name) ranges; a group item
    ('other workstreams (A, B and C)') is replaced by its members."""
    inside = set()
    for s, e in protected:
        inside.update(range(s, e))
    cuts, depth, i = [], 0, start
    while i < end:
        ch = text[i]
        depth += {"(": 1, ")": -1}.get(ch, 0)
        if depth == 0 and i not in inside:
            if ch == ",":
                cuts.append((i, i + 1))
            elif text.startswith(" and ", i):
                cuts.append((i, i + 5))
                i += 4
        i += 1
    ranges, pos = [], start
    for cut_start, cut_end in cuts + [(end, end)]:
        s, e = _trim(text, pos, cut_start)
        pos = cut_end
        if s >= e:
            continue
        group = _GROUP.match(text, s, e)
        close = _closing_paren(text, group.end() - 1) if group else -1
        if group and close == e - 1:
            ranges += item_ranges(text, group.end(), close, protected)
        else:
            ranges.append((s, e))
    return ranges


def find_lists(text: str, protected: Sequence[tuple[int, int]] = ()) -> list[ParticipantList]:
    """Counted lists ('6 civil society ... organisations (A, B, ...)') and an
    'Additional attendees included ...' sentence in one paragraph."""
    found = []
    if "(" not in text and "ttendees" not in text and "TTENDEES" not in text:  # no list here
        return found
    for m in _COUNTED_LIST.finditer(text) if "(" in text else ():
        if not _LIST_NOUN.search(m.group("label")):
            continue
        close = _closing_paren(text, m.end() - 1)
        if close < 0:
            continue
        count = m.group("count").lower()
        label = re.sub(r"^(?:and\s+)", "", m.group("label").strip())
        found.append(ParticipantList(label, role_of(label), int(count) if count.isdigit() else NUMBER_WORDS[count],
                                     tuple(item_ranges(text, m.end(), close, protected))))
    attendees = _ATTENDEES.search(text)
    if attendees and not found:
        end = text.find(".", attendees.end())
        while end != -1 and any(s <= end < e for s, e in protected):
            end = text.find(".", end + 1)
        found.append(ParticipantList("additional attendees", "other", None,
                                     tuple(item_ranges(text, attendees.end(), len(text) if end < 0 else end, protected))))
    return found


def attendance_rows(paragraph: dict, entities: Sequence[Entity]) -> tuple[list[dict], list[dict]]:
    """Rows for attendance.csv and attendance_checks.csv from one paragraph.
    A list counts only where at least half of its items name a known or
    defined state or organisation ('2 per cent of GNI to countries (...)'
    is no participant list), and a list of one ('10 States members of
    ASEAN' in a speech) is no participant list either."""
    text = paragraph["text"]
    actors = [e for e in entities if e.kind not in ("city", "date", "person")]
    rows, checks = [], []
    for n, plist in enumerate(find_lists(text, [(e.start, e.end) for e in actors])):
        list_id = f"{paragraph['paragraph_id']}-l{n}"
        hits = [next((a for a in actors if s <= a.start and a.end <= e), None) for s, e in plist.items]
        if len(hits) < 2 or sum(h is not None for h in hits) < len(hits) / 2:
            continue
        for (s, e), hit in zip(plist.items, hits):
            rows.append({"statement_id": paragraph["statement_id"], "meeting_id": paragraph["meeting_id"],
                         "list_id": list_id, "list": plist.label, "role": plist.role, "participant": text[s:e],
                         "canonical_id": hit.canonical_id if hit else "", "name": hit.name if hit else "",
                         "kind": hit.kind if hit else "", "in_gazetteer": bool(hit and hit.in_gazetteer)})
        checks.append({"statement_id": paragraph["statement_id"], "meeting_id": paragraph["meeting_id"],
                       "list_id": list_id, "list": plist.label, "role": plist.role,
                       "stated_count": plist.stated, "listed_count": len(plist.items),
                       "matches": plist.stated is None or plist.stated == len(plist.items)})
    return rows, checks
