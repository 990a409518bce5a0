"""From one statement file to statement, meeting and paragraph rows.

:func:`ingest_file` is the whole job for one file; :func:`read_corpus`
runs it over a folder (in workers, keeping the rows in a store);
:func:`near_duplicates`
and :func:`missing_files` find what to add or leave out. `ingeststream`
puts them together into Parquet tables without holding the corpus in memory.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache, partial
from pathlib import Path


from .cache import JsonStore
from .clean import Block, clean_pages
from .extract import Unreadable, extract, format_of
from .manifest import ManifestRow
from .metadata import (DateSpan, find_city, find_co_chairs, find_dates, find_ordinal, find_series,
                       first_dated_span, parse_date_field)
from .records import MEETING, METADATA_FIELDS, STATEMENT
from .workers import Workers, blocks, one_ahead

OPENING_PARAGRAPHS = 3


@dataclass(frozen=True)
class IngestRules:
    """The rule tables and knobs ingest needs (all from corpus/ and params)."""

    series: Sequence[Mapping] = ()
    cities: Mapping[str, str] = field(default_factory=dict)
    register: Mapping[tuple[str, int], Mapping[str, object]] = field(default_factory=dict)
    header_min_share: float = 0.5
    heading_max_words: int = 25
    near_duplicate_threshold: float = 0.9
    keep_duplicates: bool = False


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


_PARTY = re.compile(r"\b(?:party|greens|democrats|coalition)\b", re.I)


def _names(value: object) -> list[str]:
    items = value if isinstance(value, list) else [value] if value not in (None, "") else []
    return [str(v).strip() for v in items if str(v).strip()]


def front_matter_metadata(front: Mapping[str, object]) -> tuple[dict[str, object], list[str]]:
    """Metadata from a file's YAML front matter: title, date, speakers and
    parties (``creators``, ``speaker``, ``author``, ``party``: a creator whose
    name says Party, Greens, Democrats or Coalition is a party), source URL;
    and warnings for values that cannot be read."""
    out: dict[str, object] = {}
    warnings: list[str] = []
    if isinstance(front.get("title"), (str, int, float)) and str(front["title"]).strip():
        out["title"] = str(front["title"]).strip()
    if front.get("date") not in (None, ""):
        try:
            out["start_date"] = out["end_date"] = parse_date_field(str(front["date"]))
        except ValueError:
            warnings.append(f"front matter date {front['date']!r} is not a date (write YYYY-MM-DD); ignored it")
    named = [n for key in ("creators", "speaker", "author") for n in _names(front.get(key))]
    people = [n for n in named if not _PARTY.search(n)]
    parties = [n for n in named if _PARTY.search(n)] + _names(front.get("party"))
    if people:
        out["speaker"] = "; ".join(dict.fromkeys(people))
    if parties:
        out["party"] = "; ".join(dict.fromkeys(parties))
    url = front.get("source_url") or front.get("url")
    if isinstance(url, str) and url.strip():
        out["source_url"] = url.strip()
    return out, warnings


def merge_metadata(given: Mapping[str, object], inferred: Mapping[str, object],
                   register: Mapping[tuple[str, int], Mapping[str, object]],
                   front: Mapping[str, object] | None = None) -> dict[str, object]:
    """Manifest values win, then the front matter, then the text, then the
    register entry for the same series and ordinal. Each field records where
    it came from."""
    front = front or {}
    out: dict[str, object] = {}
    for f in METADATA_FIELDS:
        for source, values in (("manifest", given), ("front_matter", front), ("text", inferred)):
            if values.get(f) not in (None, ""):
                out[f], out[f"{f}_source"] = values[f], source
                break
        else:
            out[f], out[f"{f}_source"] = None, ""
    known = register.get((str(out["series"]), out["ordinal"])) if out["series"] and out["ordinal"] else None
    for f in METADATA_FIELDS:
        if known and out[f] in (None, "") and known.get(f) not in (None, ""):
            out[f], out[f"{f}_source"] = known[f], "register"
    out["source_url"] = given.get("source_url") or front.get("source_url") or (known or {}).get("url") or ""
    out["speaker"] = given.get("speaker") or front.get("speaker") or ""
    out["party"] = front.get("party") or ""
    return out


EVENT_WINDOW_DAYS = 62


def _day(iso: str) -> dt.date | None:
    """The first day an ISO date, month or year string names."""
    parts = (str(iso or "").split("-") + ["01", "01"])[:3]
    try:
        return dt.date(int(parts[0]), int(parts[1]), int(parts[2]))
    except ValueError:
        return None


def _near_statement(span: DateSpan, meta: Mapping[str, object]) -> bool:
    """An event of a statement happens near the statement's own dates: a dated
    heading years away (a press release quoting 1788, an OCR '2996') is a
    heading, not a meeting. Without a statement date any date will do."""
    first, last = _day(str(meta.get("start_date") or "")), _day(str(meta.get("end_date") or meta.get("start_date") or ""))
    event = _day(span.start)
    if first is None or event is None:
        return True
    last = last or first
    if len(str(meta.get("end_date") or meta.get("start_date") or "")) == 4:
        last = dt.date(last.year, 12, 31)
    return (first - dt.timedelta(days=EVENT_WINDOW_DAYS)) <= event <= (last + dt.timedelta(days=EVENT_WINDOW_DAYS))


def segment_meetings(blocks: Sequence[Block], statement_id: str, meta: Mapping[str, object],
                     ) -> tuple[list[dict], list[int]]:
    """Meetings reported by a statement and, for each block, the index of its
    meeting. m0 is the statement as a whole (opening, conclusion); each
    heading with a dated name ('Joint Regional Event - 2 December 2025')
    within two months of the statement's dates opens an event; an undated
    heading after an event returns to m0."""
    whole = {"meeting_id": f"{statement_id}-m0", "statement_id": statement_id, "level": "statement",
             **{f: meta.get(f) for f in MEETING if f in METADATA_FIELDS}}
    meetings = [whole]
    owner: list[int] = []
    event_text: dict[int, list[str]] = {}
    current = 0
    for block in blocks:
        event = _event_heading(block)
        if event and not _near_statement(event[1], meta):
            event = None
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
               text="", source_url="", speaker="", party="", front_matter="", duplicate_of="", similarity=None)
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
    front, front_warnings = front_matter_metadata(extracted.front_matter)
    warnings += front_warnings
    meta = merge_metadata(given.values if given else {}, infer_metadata(blocks, rules=rules), rules.register, front)
    if meta["start_date"] and meta["end_date"] and str(meta["end_date"]) < str(meta["start_date"]):
        warnings.append(f"end date {meta['end_date']} is before start date {meta['start_date']}: check the "
                        f"{meta['end_date_source']} and the {meta['start_date_source']}")
    meetings, owner = segment_meetings(blocks, sid, meta)
    text, paragraphs = paragraph_rows(blocks, sid, [meetings[i]["meeting_id"] for i in owner])
    statement = {"statement_id": sid, "path": rel, "sha256": digest, "format": fmt, "status": "ok",
                 "reason": "; ".join(warnings), "n_chars": len(text), "n_words": len(text.split()),
                 **meta, "front_matter": json.dumps(extracted.front_matter, ensure_ascii=False, sort_keys=True,
                                                    default=str) if extracted.front_matter else "",
                 "duplicate_of": "", "similarity": None, "text": text}
    return statement, meetings, paragraphs


def corpus_files(statements_dir: Path) -> tuple[list[Path], list[tuple[str, str]]]:
    """Files to read under ``statements_dir`` (sorted, dot-files and
    dot-folders ignored), and (path, reason) for entries that must not be
    read: a symbolic link that leads outside the folder, is broken or loops,
    or points at a folder. Nothing outside the corpus folder is ever read."""
    root = statements_dir.resolve()
    files, refused = [], []
    for folder, dirs, names in os.walk(statements_dir, followlinks=False):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        here = Path(folder)
        for name in sorted([d for d in dirs if (here / d).is_symlink()] + [n for n in names if not n.startswith(".")]):
            path = here / name
            rel = path.relative_to(statements_dir).as_posix()
            if path.is_symlink():
                try:
                    target = path.resolve(strict=True)
                except (OSError, RuntimeError):
                    refused.append((rel, "broken or looping symbolic link: replace it with the file itself"))
                    continue
                if not target.is_relative_to(root):
                    refused.append((rel, f"symbolic link to {target}, outside the corpus folder: not read; copy "
                                         "the file into the corpus instead"))
                    continue
                if target.is_dir():
                    refused.append((rel, "symbolic link to a folder: not followed; put the files in the corpus"))
                    continue
            if path.is_file():
                files.append(path)
    return sorted(files), refused


# Odd multipliers that combine five word hashes into one 5-gram hash.
_SHINGLE_MULTIPLIERS = (0x9E3779B1, 0x85EBCA77, 0xC2B2AE3D, 0x27D4EB2F, 0x165667B1)


def shingle_hashes(text: str, size: int = 5) -> list[int]:
    """32-bit hashes of the text's distinct word ``size``-grams (lower-cased;
    the whole text when shorter), sorted.

    Hand-written instead of feeding datasketch the 5-gram strings: each word
    is hashed once (zlib.crc32) and the 5-grams combined with numpy, which
    takes the MinHash of a long speech from ~6 ms to ~2 ms (datasketch's
    default hashes every 5-gram string with SHA-1 in Python). datasketch
    mixes these values again (its fmix step) before its permutations."""
    import zlib

    import numpy as np
    words = re.findall(r"\w+", text.lower())
    if not words:
        return []
    h = np.fromiter((zlib.crc32(w.encode("utf-8")) for w in words), dtype=np.uint64, count=len(words))
    n = max(1, len(words) - size + 1)
    combined = np.zeros(n, dtype=np.uint64)
    for k, multiplier in enumerate(_SHINGLE_MULTIPLIERS[:min(size, len(words))]):
        combined = combined * np.uint64(31) + h[k:k + n] * np.uint64(multiplier)
    return np.unique((combined ^ (combined >> np.uint64(32))) & np.uint64(0xFFFFFFFF)).tolist()


# MinHash and its LSH index are written out here rather than imported from datasketch, whose arithmetic
# they repeat ("affine32" scheme, seed 1; tests/core/test_near_duplicates.py checks signatures, bands
# and marks against datasketch's): importing datasketch imports SciPy (its LSH module needs
# scipy.integrate), which took 0.45 s, 40% of an ingest run that adds one speech to 952.
_FMIX32 = (16, 0x85EBCA6B, 13, 0xC2B2AE35, 16)  # MurmurHash3's finalizer, which datasketch applies first


@cache  # drawn once per process, not once per file (0.1 s per 1,000 files)
def _permutations(num_perm: int, seed: int = 1):
    """The (a, b) of datasketch's affine permutations h -> a * h + b mod 2**32 (a odd), read-only."""
    import numpy as np
    gen = np.random.RandomState(seed)
    a = gen.randint(0, 1 << 31, num_perm, dtype=np.uint32) * np.uint32(2) + np.uint32(1)
    b = gen.randint(0, 1 << 32, num_perm, dtype=np.uint32)
    a.flags.writeable = b.flags.writeable = False
    return a, b


def signature_of(text: str, *, num_perm: int = 128) -> dict | None:
    """The MinHash signature of a text's word 5-grams, as data (so it can be
    cached and sent between processes); None for a text without words."""
    import numpy as np
    hashes = shingle_hashes(text)
    if not hashes:
        return None
    s1, m1, s2, m2, s3 = (np.uint32(v) for v in _FMIX32)
    hv = np.asarray(hashes, dtype=np.uint32)
    hv = (hv ^ (hv >> s1)) * m1
    hv = (hv ^ (hv >> s2)) * m2
    hv = (hv ^ (hv >> s3)).reshape(-1, 1)
    a, b = _permutations(num_perm)
    return {"scheme": "affine32", "values": (hv * a + b).min(axis=0).tolist()}


def lsh_bands(threshold: float, num_perm: int) -> tuple[int, int]:
    """(bands, rows per band) that minimise the summed chances of a false
    positive (a pair below ``threshold`` sharing a band) and a false negative
    (a pair above it sharing none): datasketch's choice for MinHashLSH with
    equal weights, its integrals taken with Simpson's rule."""
    import numpy as np

    def integral(f, lo: float, hi: float, n: int = 2000) -> float:
        x = np.linspace(lo, hi, n + 1)
        y = f(x)
        return float((hi - lo) / (3 * n) * (y[0] + y[-1] + 4 * y[1:-1:2].sum() + 2 * y[2:-1:2].sum()))

    best, choice = float("inf"), (0, 0)
    for bands in range(1, num_perm + 1):
        for rows in range(1, num_perm // bands + 1):
            def hit(s, bands=bands, rows=rows):
                return 1 - (1 - s ** float(rows)) ** float(bands)
            error = 0.5 * integral(hit, 0.0, threshold) + 0.5 * integral(lambda s: 1 - hit(s), threshold, 1.0)
            if error < best:
                best, choice = error, (bands, rows)
    return choice


def near_duplicates(signed: Iterable[tuple[str, str, Mapping]], *, threshold: float,
                    num_perm: int = 128) -> dict[str, tuple[str, float]]:
    """{statement id: (id of the statement it repeats, similarity)} for every
    (path, statement id, signature) whose word 5-grams overlap an earlier one's
    (in path order) by at least ``threshold`` (Jaccard, estimated by MinHash:
    candidates are those sharing a band of their signatures, as in
    datasketch's MinHashLSH). The earliest of a set of copies is the one kept."""
    import numpy as np
    bands, rows = lsh_bands(threshold, num_perm)
    tables: list[dict[bytes, list[str]]] = [{} for _ in range(bands)]
    kept: dict[str, tuple[np.ndarray, str]] = {}  # path -> (signature, statement id)
    marks = {}
    for path, sid, signature in sorted(signed, key=lambda r: r[0]):
        values = np.asarray(signature["values"], dtype=np.uint64)
        keys = [values[i * rows:(i + 1) * rows].tobytes() for i in range(bands)]
        candidates = {other for table, key in zip(tables, keys) for other in table.get(key, ())}
        matches = sorted((-float(np.count_nonzero(values == kept[other][0])) / num_perm, other)
                         for other in candidates)
        if matches and -matches[0][0] >= threshold:
            marks[sid] = (kept[matches[0][1]][1], round(-matches[0][0], 3))
        else:
            kept[path] = (values, sid)
            for table, key in zip(tables, keys):
                table.setdefault(key, []).append(path)
    return marks


def _ingest_item(rules: IngestRules, item: tuple[str, bytes, ManifestRow | None]) -> tuple[dict, list, list, dict | None]:
    rel, data, given = item
    statement, meetings, paragraphs = ingest_file(rel, data, given=given, rules=rules)
    return statement, meetings, paragraphs, signature_of(statement["text"]) if statement["status"] == "ok" else None


SIGNATURE_SUFFIX = "-signature"  # the store keeps a file's MinHash signature apart from its rows, to read it alone


@dataclass(frozen=True)
class Entry:
    """A statement of the corpus before its rows are written: a file whose
    rows are in the store under ``key``, or a ``row`` made without reading
    anything (a refused entry, an exact copy of an earlier file)."""

    statement_id: str
    path: str
    key: str = ""
    row: dict | None = None


def read_corpus(statements_dir: Path, manifest: Mapping[str, ManifestRow], *, rules: IngestRules,
                store: JsonStore, workers: Workers | None = None,
                progress: Callable[[Iterable], Iterable] = lambda xs: xs, block: int = 64,
                ) -> Iterator[tuple[Entry, dict | None]]:
    """(entry, MinHash signature of the text when it was read whole) for
    every file under ``statements_dir`` (sorted, dot-files ignored) and
    every entry refused, in that order; a second file with the same bytes
    is a skipped row. A file's rows (statement, meetings, paragraphs) and
    signature are kept in ``store`` (a cache folder versioned by the rules,
    or a scratch one) under a key of its bytes, path and manifest row; a
    file already there is not read again, and only its small signature
    entry is loaded. The others are read ``block`` at a time by ``workers``."""
    files, refused = corpus_files(statements_dir)
    for rel, reason in refused:
        row = _empty_statement(rel, digest="", fmt=format_of(Path(rel)), status="failed", reason=reason)
        yield Entry(row["statement_id"], rel, row=row), None
    first_of: dict[str, str] = {}
    with (workers or Workers()) as pool:

        def handed_out() -> Iterator[tuple[list, Iterator]]:
            for chunk in blocks(progress(files), block):
                planned, work = [], []
                for path in chunk:
                    rel = path.relative_to(statements_dir).as_posix()
                    data = path.read_bytes()
                    digest = hashlib.sha256(data).hexdigest()
                    if digest in first_of and data.strip():
                        row = _empty_statement(rel, digest=digest, fmt=format_of(path), status="skipped",
                                               reason=f"duplicate of {first_of[digest]}: remove one of the two files")
                        row["statement_id"] = statement_id_for(hashlib.sha256(f"{digest}:{rel}".encode()).hexdigest())
                        row["duplicate_of"], row["similarity"] = statement_id_for(digest), 1.0
                        planned.append((Entry(row["statement_id"], rel, row=row), {"signature": None}))
                        continue
                    first_of.setdefault(digest, rel)
                    given = manifest.get(rel)
                    described = [digest, rel, given.values if given else None, given.warnings if given else None]
                    key = hashlib.sha256(json.dumps(described, default=str).encode()).hexdigest()
                    found = store.get(key + SIGNATURE_SUFFIX)
                    if found is None:
                        work.append((rel, data, given))
                    planned.append((Entry(statement_id_for(digest), rel, key=key), found))
                yield planned, pool.map(partial(_ingest_item, rules), work)

        for planned, results in one_ahead(handed_out()):
            for entry, found in planned:
                if found is None:
                    statement, meetings, paragraphs, signature = next(results)
                    store.put(entry.key, [statement, meetings, paragraphs])
                    found = {"signature": signature}
                    store.put(entry.key + SIGNATURE_SUFFIX, found)
                yield entry, found["signature"]


def rows_of(entry: Entry, statements_dir: Path, manifest: Mapping[str, ManifestRow], *, rules: IngestRules,
            store: JsonStore) -> tuple[dict, list[dict], list[dict]]:
    """The statement, meeting and paragraph rows of an entry from
    :func:`read_corpus`: from the store, or read again if its entry has
    gone or cannot be read since."""
    if entry.row is not None:
        return entry.row, [], []
    found = store.get(entry.key)
    if found is None:
        found = ingest_file(entry.path, (statements_dir / entry.path).read_bytes(), given=manifest.get(entry.path),
                            rules=rules)
    statement, meetings, paragraphs = found
    return statement, meetings, paragraphs


def missing_files(manifest: Mapping[str, ManifestRow], present: set[str]) -> list[dict]:
    """A failed statement row for each manifest entry whose file is not in ``present``."""
    return [_empty_statement(rel, digest="", fmt=format_of(Path(rel)), status="failed",
                             reason=f"listed in the manifest (line {row.line}) but no such file: add it or remove the row")
            for rel, row in sorted(manifest.items()) if rel not in present]


def leave_out_duplicate(row: dict, *, duplicate_of: str, similarity: float, path_of_original: str,
                        keep_duplicates: bool) -> dict:
    """The statement row marked as repeating another; unless ``keep_duplicates``,
    skipped (left out of the counts) with the reason."""
    row = {**row, "duplicate_of": duplicate_of, "similarity": similarity}
    if row["status"] == "ok" and not keep_duplicates:
        row["status"] = "skipped"
        row["reason"] = "; ".join(filter(None, [row["reason"], (
            f"repeats {path_of_original} (similarity {similarity:.2f}): left out of the counts "
            "(set ingest.keep_duplicates: true to count it)")]))
    return row
