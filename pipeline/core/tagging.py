"""From processed spaCy docs to sentence, mention, person and attendance rows."""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from spacy.attrs import IDX, IS_PUNCT, IS_SPACE, LENGTH, SENT_START
from spacy.tokens import Doc

from .attendance import Entity, attendance_rows
from .nlp import doc_text
from .terms import term_count_rows


@dataclass
class TagRows:
    sentences: list[dict] = field(default_factory=list)
    mentions: list[dict] = field(default_factory=list)
    people: list[dict] = field(default_factory=list)
    attendance: list[dict] = field(default_factory=list)
    checks: list[dict] = field(default_factory=list)
    terms: list[dict] = field(default_factory=list)

    def extend(self, other: TagRows) -> None:
        for name in ("sentences", "mentions", "people", "attendance", "checks", "terms"):
            getattr(self, name).extend(getattr(other, name))


def sentence_spans(doc: Doc) -> list[tuple[int, int, int]]:
    """(start_char, end_char, word count) of each sentence, surrounding spaces
    trimmed, empty ones dropped; read from the doc's arrays in one pass
    (iterating ``doc.sents`` builds every token as a Python object). Words
    are tokens that are neither punctuation nor spaces."""
    if not len(doc):
        return []
    arrays = doc.to_array([SENT_START, IDX, LENGTH, IS_PUNCT, IS_SPACE])
    first = np.flatnonzero(arrays[:, 0] == 1)
    if not len(first) or first[0] != 0:
        first = np.concatenate([[0], first])
    words = np.concatenate([[0], np.cumsum((arrays[:, 3] == 0) & (arrays[:, 4] == 0))])
    last = np.concatenate([first[1:], [len(doc)]]) - 1
    text = doc_text(doc)
    spans = []
    for i, j in zip(first.tolist(), last.tolist()):
        start, end = int(arrays[i, 1]), int(arrays[j, 1] + arrays[j, 2])
        while start < end and text[start].isspace():
            start += 1
        while end > start and text[end - 1].isspace():
            end -= 1
        if end > start:
            spans.append((start, end, int(words[j + 1] - words[i])))
    return spans


def entity_mentions(doc: Doc) -> list[tuple[int, int, dict]]:
    """(start_char, end_char, row fields) for every entity of the doc."""
    info = doc.user_data.get("entity_info", {})
    out = []
    for ent in doc.ents:
        details = info.get(f"{ent.start_char}:{ent.end_char}", {})
        out.append((ent.start_char, ent.end_char, {
            "kind": "entity", "label": ent.label_, "canonical_id": ent.kb_id_,
            "entity_kind": details.get("kind", ""), "in_gazetteer": bool(details.get("in_gazetteer", False)),
            "text": ent.text, "source": details.get("source", "trained model"), "_details": details}))
    return out


def theme_mentions(doc: Doc) -> list[tuple[int, int, dict]]:
    """(start_char, end_char, row fields) for every theme span of the doc."""
    out = []
    for span in doc.spans.get("themes", []):
        out.append((span.start_char, span.end_char, {
            "kind": "theme", "label": span.label_, "canonical_id": span.label_,
            "entity_kind": span.id_ or "", "in_gazetteer": False, "text": span.text,
            "source": span.kb_id_ or "codebook", "_details": {}}))
    return out


def tag_statement(doc: Doc, statement_id: str, paragraphs: Sequence[dict], names: dict[str, str]) -> TagRows:
    """Rows for one statement whose cleaned text is ``doc.text``;
    ``paragraphs`` are its paragraph rows in order, ``names`` maps canonical
    ids to display names."""
    rows = TagRows()
    text = doc_text(doc)
    starts = [p["start"] for p in paragraphs]
    per_paragraph: dict[int, int] = {}
    sent_starts: list[int] = []
    sent_ids: list[str] = []
    for start, end, n_words in sentence_spans(doc):
        p = paragraphs[max(0, bisect.bisect_right(starts, start) - 1)]
        n = per_paragraph.get(p["order"], 0)
        per_paragraph[p["order"]] = n + 1
        sid = f"{p['paragraph_id']}-s{n:02d}"
        rows.sentences.append({"sentence_id": sid, "paragraph_id": p["paragraph_id"], "meeting_id": p["meeting_id"],
                               "statement_id": statement_id, "start": start, "end": end,
                               "n_words": n_words, "text": text[start:end]})
        sent_starts.append(start)
        sent_ids.append(sid)
    if not sent_starts:
        return rows
    rows.terms = term_count_rows(statement_id, rows.sentences)
    meeting_of = {s["sentence_id"]: s["meeting_id"] for s in rows.sentences}
    entities = entity_mentions(doc)
    for start, end, fields in entities + theme_mentions(doc):
        details = fields.pop("_details")
        row = _mention_row(start, end, fields, statement_id, sent_starts, sent_ids, meeting_of)
        rows.mentions.append(row)
        sid = row["sentence_id"]
        if fields["label"] == "PERSON" and fields["kind"] == "entity":
            rows.people.append(_person_row(text, start, end, details, entities, statement_id, meeting_of[sid], sid,
                                           person_id=fields["canonical_id"]))
    for p in paragraphs:
        if p["kind"] == "heading":
            continue
        inside = [Entity(s - p["start"], e - p["start"], f["canonical_id"], f["entity_kind"],
                         names.get(f["canonical_id"], f["text"]), f["in_gazetteer"])
                  for s, e, f in entities if p["start"] <= s and e <= p["end"] and f["label"] in ("STATE", "ORG")]
        found, checks = attendance_rows(p, inside)
        rows.attendance += found
        rows.checks += checks
    return rows


def _mention_row(start: int, end: int, fields: dict, statement_id: str, sent_starts: list[int],
                 sent_ids: list[str], meeting_of: dict[str, str]) -> dict:
    """A mention row: which sentence it is in, offsets relative to that sentence."""
    i = max(0, bisect.bisect_right(sent_starts, start) - 1)
    sid = sent_ids[i]
    return {"sentence_id": sid, "statement_id": statement_id, "meeting_id": meeting_of[sid],
            **fields, "start": start - sent_starts[i], "end": end - sent_starts[i]}


def theme_rows(doc: Doc, statement_id: str, sentences: Sequence[dict]) -> list[dict]:
    """Theme mention rows for a doc whose sentence rows are already known."""
    if not sentences:
        return []
    starts = [s["start"] for s in sentences]
    ids = [s["sentence_id"] for s in sentences]
    meeting_of = {s["sentence_id"]: s["meeting_id"] for s in sentences}
    out = []
    for start, end, fields in theme_mentions(doc):
        fields.pop("_details")
        out.append(_mention_row(start, end, fields, statement_id, starts, ids, meeting_of))
    return out


def _person_row(text: str, start: int, end: int, details: dict, entities: list, statement_id: str,
                meeting_id: str, sentence_id: str, *, person_id: str) -> dict:
    title = details.get("title", "")
    name = text[start:end]
    name = name[len(title):].lstrip(". ") if name.startswith(title.rstrip(".")) else name
    affiliation = details.get("affiliation", "")
    at = text.find(affiliation, end) if affiliation else -1
    ids = [f["canonical_id"] for s, e, f in entities
           if at >= 0 and at <= s and e <= at + len(affiliation) and f["label"] in ("STATE", "ORG")]
    return {"statement_id": statement_id, "meeting_id": meeting_id, "sentence_id": sentence_id,
            "person_id": person_id, "name": name, "title": title,
            "role": details.get("role", ""), "affiliation": affiliation, "affiliation_ids": "; ".join(ids),
            "co_chair": bool(details.get("co_chair", False))}
