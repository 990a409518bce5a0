"""From one statement file to statement, meeting and paragraph rows.

:func:`ingest_file` is the whole job for one file; :func:`ingest_corpus`
runs it over a folder, adds duplicates and manifest rows whose file is
missing, and returns the three tables plus one message per problem.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from .cache import JsonStore
from .clean import Block, clean_pages
from .extract import Unreadable, extract, format_of
from .manifest import ManifestRow
from .metadata import (DateSpan, find_city, find_co_chairs, find_dates, find_ordinal, find_series,
                       first_dated_span)
from .records import MEETING, METADATA_FIELDS, PARAGRAPH, STATEMENT, frame

OPENING_PARAGRAPHS = 3


@dataclass(frozen=True)
class IngestRules:
    """The rule tables and knobs ingest needs (all from corpus/ and params)."""

    series: Sequence[Mapping] = ()
    cities: Mapping[str, str] = field(default_factory=dict)
    register: Mapping[tuple[str, int], Mapping[str, object]] = field(default_factory=dict)
    header_min_share: float = 0.5
    heading_max_words: int = 25


@dataclass
class IngestResult:
    statements: pd.DataFrame
    meetings: pd.DataFrame
    paragraphs: pd.DataFrame
    messages: list[str]


def statement_id_for(digest: str) -> str:
    return digest[:12]


def _event_heading(block: Block) -> tuple[str, DateSpan] | None:
    """'Site visits - 3 December 2025' -> ('Site visits', span). A heading
    that is only a date ('December 2025') is no event."""
    if block.kind != "heading":
        return None
    spans = [s for s in find_dates(block.text) if s.has_day]
    if not spans:
        return None
    name = block.text.replace(spans[0].text, " ")
    name = re.sub(r"^[\s\-\u2013\u2014:,(]+|[\s\-\u2013\u2014:,()]+$", "", re.sub(r"\s+", " ", name))
    return (name, spans[0]) if name else None


def infer_metadata(blocks: Sequence[Block], *, rules: IngestRules) -> dict[str, object]:
    """Metadata read from the statement's own words: title from the first
    heading, the rest from the title and the opening paragraphs."""
    opening: list[str] = []
    title = ""
    for block in blocks:
        if _event_heading(block):
            break
        if block.kind == "heading" and not title and not re.fullmatch(r"[\W\d]*", block.text) \
                and not (find_dates(block.text) and len(block.text.split()) <= 3):
            title = block.text
        elif block.kind == "paragraph" and len(opening) < OPENING_PARAGRAPHS:
            opening.append(block.text)
    inferred: dict[str, object] = {}
    if title:
        inferred["title"] = title
    heads = [title] + opening
    series = find_series(title, rules.series) or find_series(" ".join(opening), rules.series)
    if series:
        inferred["series"] = series
    ordinal = find_ordinal(title)
    if ordinal is not None:
        inferred["ordinal"] = ordinal
    span = first_dated_span(heads + [b.text for b in blocks if b.kind == "heading"][:5])
    if span:
        inferred["start_date"], inferred["end_date"] = span.start, span.end
    place = find_city(" ".join(heads), rules.cities)
    if place:
        inferred["city"], inferred["country"] = place
    co_chairs = find_co_chairs(" ".join(opening))
    if co_chairs:
        inferred["co_chairs"] = "; ".join(co_chairs)
    return inferred


def merge_metadata(given: Mapping[str, object], inferred: Mapping[str, object],
                   register: Mapping[tuple[str, int], Mapping[str, object]]) -> dict[str, object]:
    """Manifest values win, then the text, then the register entry for the
    same series and ordinal. Each field records where it came from."""
    out: dict[str, object] = {}
    for f in METADATA_FIELDS:
        if given.get(f) not in (None, ""):
            out[f], out[f"{f}_source"] = given[f], "manifest"
        elif inferred.get(f) not in (None, ""):
            out[f], out[f"{f}_source"] = inferred[f], "text"
        else:
            out[f], out[f"{f}_source"] = None, ""
    known = register.get((str(out["series"]), out["ordinal"])) if out["series"] and out["ordinal"] else None
    for f in METADATA_FIELDS:
        if known and out[f] in (None, "") and known.get(f) not in (None, ""):
            out[f], out[f"{f}_source"] = known[f], "register"
    url = given.get("source_url") or (known or {}).get("url") or ""
    out["source_url"] = url
    out["speaker"] = given.get("speaker") or ""
    return out


def segment_meetings(blocks: Sequence[Block], statement_id: str, meta: Mapping[str, object],
                     ) -> tuple[list[dict], list[int]]:
    """Meetings reported by a statement and, for each block, the index of its
    meeting. m0 is the statement as a whole (opening, conclusion); each
    heading with a dated name ('Joint Regional Event - 2 December 2025')
    opens an event; an undated heading after an event returns to m0."""
    whole = {"meeting_id": f"{statement_id}-m0", "statement_id": statement_id, "level": "statement",
             **{f: meta.get(f) for f in MEETING if f in METADATA_FIELDS}}
    meetings = [whole]
    owner: list[int] = []
    event_text: dict[int, list[str]] = {}
    current = 0
    for block in blocks:
        event = _event_heading(block)
        if event:
            name, span = event
            ordinal = find_ordinal(name)
            meetings.append({
                "meeting_id": f"{statement_id}-m{len(meetings)}", "statement_id": statement_id,
                "level": "event", "title": name, "series": meta.get("series"),
                "ordinal": ordinal if ordinal is not None else None,
                "start_date": span.start, "end_date": span.end,
                "city": meta.get("city"), "country": meta.get("country"), "co_chairs": meta.get("co_chairs"),
            })
            current = len(meetings) - 1
        elif block.kind == "heading" and current:
            current = 0
        owner.append(current)
        if current:
            event_text.setdefault(current, []).append(block.text)
    for index, texts in event_text.items():
        people = find_co_chairs(" ".join(texts))
        if people:
            meetings[index]["co_chairs"] = "; ".join(people)
    return meetings, owner


def paragraph_rows(blocks: Sequence[Block], statement_id: str, meeting_ids: Sequence[str]) -> tuple[str, list[dict]]:
    """The cleaned text (blocks joined by blank lines) and one row per block
    with its offsets into that text."""
    rows, parts, pos, section = [], [], 0, ""
    for order, (block, meeting_id) in enumerate(zip(blocks, meeting_ids)):
        if block.kind == "heading":
            section = block.text
        rows.append({"paragraph_id": f"{statement_id}-p{order:04d}", "statement_id": statement_id,
                     "meeting_id": meeting_id, "section": section, "order": order, "kind": block.kind,
                     "text": block.text, "start": pos, "end": pos + len(block.text)})
        parts.append(block.text)
        pos += len(block.text) + 2
    return "\n\n".join(parts), rows


def _empty_statement(rel: str, *, digest: str, fmt: str, status: str, reason: str) -> dict:
    row = {c: None for c in STATEMENT}
    row.update(statement_id=statement_id_for(digest or hashlib.sha256(rel.encode()).hexdigest()),
               path=rel, sha256=digest, format=fmt, status=status, reason=reason, n_chars=0, n_words=0,
               text="", source_url="", speaker="")
    row.update({f"{f}_source": "" for f in METADATA_FIELDS})
    return row


def ingest_file(rel: str, data: bytes, *, given: ManifestRow | None, rules: IngestRules,
                ) -> tuple[dict, list[dict], list[dict]]:
    """One file to (statement row, meeting rows, paragraph rows). Unreadable
    files give a statement row with their status and no meetings."""
    digest = hashlib.sha256(data).hexdigest()
    fmt = format_of(Path(rel))
    warnings = list(given.warnings) if given else []
    try:
        extracted = extract(data, fmt)
        blocks = clean_pages(extracted.pages, header_min_share=rules.header_min_share,
                             heading_max_words=rules.heading_max_words)
        if not blocks:
            raise Unreadable("no text left after cleaning: check the file has the statement's text", status="skipped")
    except Unreadable as problem:
        return _empty_statement(rel, digest=digest, fmt=fmt, status=problem.status, reason=problem.reason), [], []
    warnings += extracted.warnings
    sid = statement_id_for(digest)
    meta = merge_metadata(given.values if given else {}, infer_metadata(blocks, rules=rules), rules.register)
    meetings, owner = segment_meetings(blocks, sid, meta)
    text, paragraphs = paragraph_rows(blocks, sid, [meetings[i]["meeting_id"] for i in owner])
    statement = {"statement_id": sid, "path": rel, "sha256": digest, "format": fmt, "status": "ok",
                 "reason": "; ".join(warnings), "n_chars": len(text), "n_words": len(text.split()),
                 **meta, "text": text}
    return statement, meetings, paragraphs


def ingest_corpus(statements_dir: Path, manifest: Mapping[str, ManifestRow], *, rules: IngestRules,
                  progress: Callable[[Iterable], Iterable] = lambda xs: xs, cache: JsonStore | None = None,
                  ) -> IngestResult:
    """Every file under ``statements_dir`` (sorted, dot-files ignored) plus a
    failed row for each manifest entry whose file is missing. With a
    ``cache`` (whose folder the caller versions by the rules), a file already
    read with the same bytes, path and manifest row is not read again."""
    files = sorted(p for p in statements_dir.rglob("*")
                   if p.is_file() and not any(part.startswith(".") for part in p.relative_to(statements_dir).parts))
    statements, meetings, paragraphs, messages = [], [], [], []
    first_of: dict[str, str] = {}
    for path in progress(files):
        rel = path.relative_to(statements_dir).as_posix()
        data = path.read_bytes()
        digest = hashlib.sha256(data).hexdigest()
        if digest in first_of and data.strip():
            row = _empty_statement(rel, digest=digest, fmt=format_of(path), status="skipped",
                                   reason=f"duplicate of {first_of[digest]}: remove one of the two files")
            row["statement_id"] = statement_id_for(hashlib.sha256(f"{digest}:{rel}".encode()).hexdigest())
            statements.append(row)
        else:
            first_of.setdefault(digest, rel)
            given = manifest.get(rel)
            key = hashlib.sha256(json.dumps([digest, rel, given.values if given else None,
                                             given.warnings if given else None], default=str).encode()).hexdigest()
            hit = cache.get(key) if cache else None
            if hit is not None:
                statement, found_meetings, found_paragraphs = hit
            else:
                statement, found_meetings, found_paragraphs = ingest_file(rel, data, given=given, rules=rules)
                if cache:
                    cache.put(key, [statement, found_meetings, found_paragraphs])
            statements.append(statement)
            meetings += found_meetings
            paragraphs += found_paragraphs
    present = {s["path"] for s in statements}
    for rel, row in sorted(manifest.items()):
        if rel not in present:
            statements.append(_empty_statement(
                rel, digest="", fmt=format_of(Path(rel)), status="failed",
                reason=f"listed in the manifest (line {row.line}) but no such file: add it or remove the row"))
    for s in statements:
        if s["reason"]:
            messages.append(f"{statements_dir / s['path']}: {s['status']}: {s['reason']}")
    result = IngestResult(frame(statements, STATEMENT), frame(meetings, MEETING), frame(paragraphs, PARAGRAPH), messages)
    for table in (result.statements, result.meetings):
        table["ordinal"] = table["ordinal"].astype("Int64")
    return result
