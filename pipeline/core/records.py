"""Record types: one per kind of row the pipeline writes.

Each record is a data dictionary (column -> meaning). Stages build DataFrames
with exactly these columns, in this order, via :func:`frame`. The README's
"Columns" section describes the same columns for readers; keep the two in step.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import pandas as pd

METADATA_FIELDS = ("title", "series", "ordinal", "start_date", "end_date", "city", "country", "co_chairs")

STATEMENT = {
    "statement_id": "stable id: first 12 hex digits of the file's sha256 (a missing file: of its path)",
    "path": "file path relative to the corpus folder",
    "sha256": "sha256 of the file's bytes ('' when the file is missing)",
    "format": "txt, md, html, pdf, docx, or the unsupported extension",
    "status": "ok, skipped (nothing to analyse: empty, duplicate, unsupported) or failed (unreadable)",
    "reason": "why it was skipped or failed, or a warning for an ok file ('' when none)",
    "n_chars": "characters in the cleaned text",
    "n_words": "whitespace-separated words in the cleaned text",
    "title": "statement title",
    "series": "meeting series, e.g. WG-TIP (vocabulary of corpus/series.yaml)",
    "ordinal": "meeting number within the series (11 for 'Eleventh'), <NA> when unknown",
    "start_date": "first day reported (ISO date string, '' when unknown)",
    "end_date": "last day reported (ISO date string, '' when unknown)",
    "city": "host city",
    "country": "host country",
    "co_chairs": "co-chairs, '; '-separated",
    "source_url": "public address of the statement, where known",
    "speaker": "who delivered the statement: the manifest's value (a canonical id such as PHL where known), or the "
               "people among the front matter's creators/speaker/author, '; '-separated",
    "party": "the party among the front matter's creators (or its 'party' key), '; '-separated",
    "front_matter": "the file's YAML front matter, all keys, as JSON ('' when none)",
    "duplicate_of": "statement_id of the earlier file (in path order) this one repeats exactly or nearly ('' when none)",
    "similarity": "estimated Jaccard similarity of word 5-grams with that file (MinHash); empty when not a duplicate",
    **{f"{f}_source": f"where {f} came from: manifest, front_matter, text (inferred), register (corpus/meetings.csv) "
                      "or ''" for f in METADATA_FIELDS},
    "text": "the cleaned statement text; paragraph offsets point into it",
}

MEETING = {
    "meeting_id": "'{statement_id}-m{n}': m0 is the statement as a whole, m1.. its dated sections",
    "statement_id": "statement that reports the meeting",
    "level": "statement (the whole report: opening, conclusion) or event (a dated section)",
    "title": "meeting or event title",
    "series": "meeting series",
    "ordinal": "number within the series, <NA> when unknown",
    "start_date": "ISO date string or ''",
    "end_date": "ISO date string or ''",
    "city": "host city",
    "country": "host country",
    "co_chairs": "co-chairs named for this meeting, '; '-separated",
}

PARAGRAPH = {
    "paragraph_id": "'{statement_id}-p{order:04d}'",
    "statement_id": "statement the paragraph belongs to",
    "meeting_id": "meeting the paragraph reports",
    "section": "the heading the paragraph stands under ('' before the first heading)",
    "order": "0-based position in the statement",
    "kind": "heading, paragraph or bullet",
    "text": "cleaned paragraph text",
    "start": "character offset of the paragraph in the statement's cleaned text",
    "end": "end offset (exclusive)",
}


def frame(rows: Iterable[Mapping], record: Mapping[str, str]) -> pd.DataFrame:
    """Build a DataFrame with exactly the record's columns, in order.

    A row with a column the record does not define is a programming error,
    so it raises instead of silently dropping the value.
    """
    rows = list(rows)
    columns = list(record)
    for row in rows:
        extra = set(row) - set(columns)
        if extra:
            raise KeyError(f"columns not in the record: {sorted(extra)}")
    return pd.DataFrame.from_records(rows, columns=columns)

SENTENCE = {
    "sentence_id": "'{paragraph_id}-s{n:02d}'",
    "paragraph_id": "paragraph the sentence stands in (sentences never cross paragraphs)",
    "meeting_id": "meeting the sentence reports",
    "statement_id": "statement it comes from",
    "start": "character offset in the statement's cleaned text",
    "end": "end offset (exclusive)",
    "n_words": "word tokens (punctuation and spaces not counted)",
    "text": "the sentence",
}

MENTION = {
    "sentence_id": "sentence the mention is in",
    "statement_id": "statement it comes from",
    "meeting_id": "meeting it reports",
    "kind": "entity or theme",
    "label": "entities: STATE, ORG, PERSON, PLACE, DATE; themes: the theme id",
    "canonical_id": "entities: ISO alpha-3, gazetteer slug, unlisted:<slug>, person:<slug>, <ISO3>-<city>, ISO date; "
                    "themes: the theme id",
    "entity_kind": "gazetteer kind (state, territory, international organisation, ...), city, person, date; "
                   "themes: the parent theme id or ''",
    "in_gazetteer": "the canonical id comes from corpus/gazetteer (False for acronyms defined only in the text)",
    "start": "character offset in the sentence",
    "end": "end offset (exclusive)",
    "text": "the words matched: the evidence span",
    "source": "the rule or table that produced the mention",
}

PERSON = {
    "statement_id": "statement", "meeting_id": "meeting", "sentence_id": "sentence naming the person",
    "person_id": "person:<slug of the name>",
    "name": "name as written, without title",
    "title": "Mr, Ms, Dr, H.E., Ambassador, ...",
    "role": "the role the sentence gives ('Director for International Peace and Security')",
    "affiliation": "the body the sentence gives ('Ministry of Foreign Affairs of the Republic of Indonesia')",
    "affiliation_ids": "canonical ids of states/organisations in the affiliation, '; '-separated",
    "co_chair": "the sentence speaks of co-chairs",
}

ATTENDANCE = {
    "statement_id": "statement", "meeting_id": "meeting the list reports",
    "list_id": "'{paragraph_id}-l{n}': one participant list",
    "list": "the list's label as written ('additional Bali Process members as observers')",
    "role": "member, member as observer, observer, civil society or other",
    "participant": "participant as written",
    "canonical_id": "canonical id ('' when no known or defined name is inside)",
    "name": "the gazetteer's name for it",
    "kind": "gazetteer kind",
    "in_gazetteer": "the id comes from the gazetteer",
}

ATTENDANCE_CHECK = {
    "statement_id": "statement", "meeting_id": "meeting", "list_id": "the list",
    "list": "label as written", "role": "role of its participants",
    "stated_count": "the number the text gives ('6 civil society ...'); empty when none",
    "listed_count": "participants actually named",
    "matches": "stated and listed agree (the source is never corrected)",
}

TERM_COUNT = {
    "statement_id": "statement", "meeting_id": "meeting of its sentences",
    "term": "the words counted for what is new (lower case, three or more letters, no stop words), sorted",
    "count": "how often each of them occurs, in the same order",
}


def arrow_schema(record: Mapping[str, str], types: Mapping[str, str]):
    """An Arrow schema for a record: every column a string unless ``types``
    says int64, float64, bool or a list of strings or int64 (for writing
    Parquet in chunks with one schema)."""
    import pyarrow as pa
    kinds = {"int64": pa.int64(), "float64": pa.float64(), "bool": pa.bool_(),
             "list<string>": pa.list_(pa.string()), "list<int64>": pa.list_(pa.int64())}
    return pa.schema([(name, kinds.get(types.get(name, ""), pa.string())) for name in record])


STATEMENT_SCHEMA_TYPES = {"n_chars": "int64", "n_words": "int64", "ordinal": "int64", "similarity": "float64"}
MEETING_SCHEMA_TYPES = {"ordinal": "int64"}
PARAGRAPH_SCHEMA_TYPES = {"order": "int64", "start": "int64", "end": "int64"}
SENTENCE_SCHEMA_TYPES = {"start": "int64", "end": "int64", "n_words": "int64"}
MENTION_SCHEMA_TYPES = {"in_gazetteer": "bool", "start": "int64", "end": "int64"}
PERSON_SCHEMA_TYPES = {"co_chair": "bool"}
ATTENDANCE_SCHEMA_TYPES = {"in_gazetteer": "bool"}
ATTENDANCE_CHECK_SCHEMA_TYPES = {"stated_count": "int64", "listed_count": "int64", "matches": "bool"}
TERM_COUNT_SCHEMA_TYPES = {"term": "list<string>", "count": "list<int64>"}
