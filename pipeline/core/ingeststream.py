"""Ingesting a corpus of any size into Parquet tables in parts, without
holding its text in memory, rewriting on a rerun only the parts whose
statements changed.

A first pass reads every file not yet in the store (in workers) and keeps
its rows there, holding in memory only each statement's id, path and
MinHash signature. Near-duplicates are then found from the signatures
alone. The statements, meetings and paragraphs tables are folders of
Parquet parts (core.partitions, as the tag stage writes), one per run of
about 32 statements: a part whose statements, contents and duplicate
marks are those it already holds is kept; the others are written from the
store, statements with their duplicate marks, meetings and paragraphs of
the statements that are counted. Adding one statement to a corpus
therefore writes one part of each table, and reads no other statement's
rows.
"""

from __future__ import annotations

import functools
import hashlib
import json
import tempfile
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from .cache import JsonStore
from .io import remove_stale_folders
from .manifest import ManifestRow
from .partitions import PartitionedTables, runs
from .records import (MEETING, MEETING_SCHEMA_TYPES, PARAGRAPH, PARAGRAPH_SCHEMA_TYPES, STATEMENT,
                      STATEMENT_SCHEMA_TYPES, arrow_schema, frame)
from .statements import Entry, IngestRules, leave_out_duplicate, missing_files, near_duplicates, read_corpus, rows_of
from .workers import Workers

TABLES = {"statements": (STATEMENT, STATEMENT_SCHEMA_TYPES), "meetings": (MEETING, MEETING_SCHEMA_TYPES),
          "paragraphs": (PARAGRAPH, PARAGRAPH_SCHEMA_TYPES)}
SCHEMAS = {name: arrow_schema(record, types) for name, (record, types) in TABLES.items()}
SUMMARY = [c for c in STATEMENT if c != "text"]  # the statement columns the stage's metrics and messages need


def typed_frame(rows: Iterable[Mapping], table: str) -> pd.DataFrame:
    """Rows as a DataFrame of the table's record, with its nullable integer
    and float columns typed (so every part has the same dtypes)."""
    record, types = TABLES[table]
    df = frame(rows, record)
    dtypes = {c: "Int64" if t == "int64" else t for c, t in types.items()}
    return df.astype(dtypes)


@functools.cache
def _schema_with_pandas_types(table: str) -> pa.Schema:
    """The table's Arrow schema with the pandas metadata of its typed frame
    (nullable integers read back as Int64, not float)."""
    return pa.Table.from_pandas(typed_frame([], table), schema=SCHEMAS[table], preserve_index=False).schema


def arrow_table(rows: list[dict], table: str) -> pa.Table:
    """Rows as an Arrow table of the table's schema, read back by pandas with
    the dtypes of :func:`typed_frame`. (Made directly, not through a typed
    DataFrame: 1 ms a part instead of 15 ms, which over the 342 parts of the
    10,952-speech archive was 5 s.)"""
    return pa.Table.from_pylist(rows, schema=_schema_with_pandas_types(table))


@dataclass
class Ingested:
    statements: pd.DataFrame      # every statement row, without its text
    meetings: int
    paragraphs: int
    messages: list[str]           # one per statement with a reason (failed, skipped, warned)
    tables: PartitionedTables     # the parts, to put in place with :meth:`PartitionedTables.commit`
    written: int                  # statements in parts written by this run (the others' parts were kept)


def ingest_to_parquet(statements_dir: Path, manifest: Mapping[str, ManifestRow], *, rules: IngestRules,
                      out: Path, version: str, workers: Workers | None = None, cache: JsonStore | None = None,
                      progress: Callable[[Iterable], Iterable] = lambda xs: xs) -> Ingested:
    """Read every file under ``statements_dir`` into the statements,
    meetings and paragraphs tables of ``out``, returned staged: the caller
    commits them with its other outputs, or discards them. ``version`` names
    the code and rules the rows come from: a part written under another is
    written again."""
    out.mkdir(parents=True, exist_ok=True)
    remove_stale_folders(out, ".ingest-scratch-")  # of a run that was killed
    tables = PartitionedTables({name: out / f"{name}.parquet" for name in TABLES}, SCHEMAS)
    try:
        with tempfile.TemporaryDirectory(dir=out, prefix=".ingest-scratch-") as scratch:
            store = cache if cache is not None and cache.folder else JsonStore(Path(scratch))
            entries, signed = [], []
            for entry, signature in read_corpus(statements_dir, manifest, rules=rules, store=store, workers=workers,
                                                progress=progress):
                entries.append(entry)
                if signature is not None:  # as an array: an eighth of the memory of the list of Python ints
                    signed.append((entry.path, entry.statement_id,
                                   {"values": np.asarray(signature["values"], dtype=np.uint32)}))
            marks = near_duplicates(signed, threshold=rules.near_duplicate_threshold)
            del signed
            path_of = {e.statement_id: e.path for e in entries}
            entries += [Entry(row["statement_id"], row["path"], row=row)
                        for row in missing_files(manifest, set(path_of.values()))]
            summary, counts, written = [], {"meetings": 0, "paragraphs": 0}, 0
            for run in runs(entries):
                signature = [[e.statement_id, _fingerprint(e, marks, path_of, version)] for e in run]
                existing = tables.existing(signature)
                if existing is not None:
                    tables.keep(existing)
                    summary.append(pq.read_table(tables.folders["statements"] / existing, columns=SUMMARY))
                    for name in counts:
                        counts[name] += pq.read_metadata(tables.folders[name] / existing).num_rows
                    continue
                rows = {name: [] for name in TABLES}
                for entry in run:
                    statement, meetings, paragraphs = rows_of(entry, statements_dir, manifest, rules=rules,
                                                              store=store)
                    statement = _marked(statement, marks, path_of, rules)
                    rows["statements"].append(statement)
                    if statement["status"] == "ok":
                        rows["meetings"] += meetings
                        rows["paragraphs"] += paragraphs
                part = {name: arrow_table(found, name) for name, found in rows.items()}
                tables.write_tables(tables.next_name(), signature, part)
                summary.append(part["statements"].select(SUMMARY))
                for name in counts:
                    counts[name] += part[name].num_rows
                written += len(run)
            store.close()  # before its folder goes, if it is the scratch one
    except BaseException:
        tables.discard()
        raise
    # one Arrow table made pandas once (it keeps the parts' pandas dtypes): 30 pandas.read_parquet calls
    # took a quarter of an ingest run that adds one speech to 952
    table = (pa.concat_tables(summary).to_pandas() if summary
             else typed_frame([], "statements").drop(columns="text"))
    messages = [f"{statements_dir / path}: {status}: {reason}"
                for path, status, reason in zip(table["path"], table["status"], table["reason"]) if reason]
    return Ingested(table, counts["meetings"], counts["paragraphs"], messages, tables, written)


def _fingerprint(entry: Entry, marks: Mapping[str, tuple[str, float]], path_of: Mapping[str, str],
                 version: str) -> str:
    """What an entry's rows depend on: the store key of its file (its bytes,
    path, manifest row) or the row made without reading, its duplicate mark
    with the path of the statement it repeats, and the code and rules."""
    mark = marks.get(entry.statement_id)
    what = [entry.key or json.dumps(entry.row, sort_keys=True, default=str), version,
            [*mark, path_of[mark[0]]] if mark else None]
    return hashlib.sha256(json.dumps(what).encode("utf-8")).hexdigest()[:16]


def _marked(row: dict, marks: Mapping[str, tuple[str, float]], path_of: Mapping[str, str],
            rules: IngestRules) -> dict:
    if row["statement_id"] not in marks:
        return row
    original, similarity = marks[row["statement_id"]]
    return leave_out_duplicate(row, duplicate_of=original, similarity=similarity, path_of_original=path_of[original],
                               keep_duplicates=rules.keep_duplicates)
