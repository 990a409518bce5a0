"""Ingesting a corpus of any size into Parquet without holding its text
in memory.

Files are read a block at a time (in workers) and their rows streamed to
scratch tables, keeping in memory only each statement's id, path and
MinHash signature. Near-duplicates are then found from the signatures
alone, and a second streaming pass writes the finished tables (statements
with their duplicate marks; meetings and paragraphs of the statements that
are counted) and returns every statement's row without its text, for the
stage's metrics and messages.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from .cache import JsonStore
from .io import ParquetStream
from .manifest import ManifestRow
from .records import (MEETING, MEETING_SCHEMA_TYPES, PARAGRAPH, PARAGRAPH_SCHEMA_TYPES, STATEMENT,
                      STATEMENT_SCHEMA_TYPES, arrow_schema, frame)
from .statements import IngestRules, leave_out_duplicate, missing_files, near_duplicates, read_corpus
from .workers import Workers

TABLES = {"statements": (STATEMENT, STATEMENT_SCHEMA_TYPES), "meetings": (MEETING, MEETING_SCHEMA_TYPES),
          "paragraphs": (PARAGRAPH, PARAGRAPH_SCHEMA_TYPES)}
BLOCK_ROWS = 256  # statements per block written to the scratch tables
CHUNK_ROWS = {"statements": 1_000, "meetings": 10_000, "paragraphs": 20_000}  # rows per row group of the outputs


def typed_frame(rows: Iterable[Mapping], table: str) -> pd.DataFrame:
    """Rows as a DataFrame of the table's record, with its nullable integer
    and float columns typed (so every block has the same dtypes)."""
    record, types = TABLES[table]
    df = frame(rows, record)
    dtypes = {c: "Int64" if t == "int64" else t for c, t in types.items()}
    return df.astype(dtypes)


@dataclass
class Ingested:
    statements: pd.DataFrame      # every statement row, without its text
    meetings: int
    paragraphs: int
    messages: list[str]           # one per statement with a reason (failed, skipped, warned)
    files: dict[Path, Path]       # target table -> its finished temporary file, to move into place


def _stream(target: Path, table: str, *, scratch: bool = False) -> ParquetStream:
    """A stream of the table's rows; a scratch table (read back once, then
    deleted) is not compressed, which makes it faster to write."""
    record, types = TABLES[table]
    return ParquetStream(target, arrow_schema(record, types), chunk_rows=CHUNK_ROWS[table],
                         compression="none" if scratch else "zstd")


def _batches(path: Path, size: int = BLOCK_ROWS) -> Iterable[pd.DataFrame]:
    for batch in pq.ParquetFile(path).iter_batches(batch_size=size):
        yield batch.to_pandas()


def ingest_to_parquet(statements_dir: Path, manifest: Mapping[str, ManifestRow], *, rules: IngestRules,
                      out: Path, workers: Workers | None = None, cache: JsonStore | None = None,
                      progress: Callable[[Iterable], Iterable] = lambda xs: xs) -> Ingested:
    """Read every file under ``statements_dir`` into statements, meetings and
    paragraphs tables for ``out``, returned as finished temporary files (the
    caller moves them into place with its other outputs, or removes them)."""
    out.mkdir(parents=True, exist_ok=True)
    finals: dict[str, ParquetStream] = {}
    try:
        with tempfile.TemporaryDirectory(dir=out, prefix=".ingest-scratch-") as scratch:
            scratch_files, rows, signed = _first_pass(statements_dir, manifest, rules=rules, scratch=Path(scratch),
                                                      workers=workers, cache=cache, progress=progress)
            marks = near_duplicates(signed, threshold=rules.near_duplicate_threshold)
            path_of = {r["statement_id"]: r["path"] for r in rows}
            finals = {name: _stream(out / f"{name}.parquet", name) for name in TABLES}
            summary, counted = [], set()
            for block in _batches(scratch_files["statements"]):
                block = typed_frame([_marked(r, marks, path_of, rules) for r in block.to_dict("records")],
                                    "statements")
                finals["statements"].write_frame(block)
                summary += block.drop(columns="text").to_dict("records")
                counted.update(block.loc[block["status"] == "ok", "statement_id"])
            missing = missing_files(manifest, {r["path"] for r in rows})
            finals["statements"].write_frame(typed_frame(missing, "statements"))
            summary += [{k: v for k, v in r.items() if k != "text"} for r in missing]
            # the set of counted ids is converted to Arrow once: pandas' isin on an Arrow string column
            # converts its whole argument again on every call (21 s on the 10,952-speech archive)
            counted_ids = pa.array(sorted(counted), type=pa.string())
            for name in ("meetings", "paragraphs"):
                for block in _batches(scratch_files[name]):
                    kept = pc.is_in(pa.array(block["statement_id"]), value_set=counted_ids)
                    finals[name].write_frame(block[kept.to_numpy(zero_copy_only=False)])
            files = {out / f"{name}.parquet": stream.close() for name, stream in finals.items()}
    except BaseException:
        for stream in finals.values():
            stream.discard()
        raise
    table = typed_frame(summary, "statements").drop(columns="text")
    messages = [f"{statements_dir / r['path']}: {r['status']}: {r['reason']}" for r in summary if r["reason"]]
    return Ingested(table, finals["meetings"].rows, finals["paragraphs"].rows, messages, files)


def _marked(row: dict, marks: Mapping[str, tuple[str, float]], path_of: Mapping[str, str],
            rules: IngestRules) -> dict:
    if row["statement_id"] not in marks:
        return row
    original, similarity = marks[row["statement_id"]]
    return leave_out_duplicate(row, duplicate_of=original, similarity=similarity, path_of_original=path_of[original],
                               keep_duplicates=rules.keep_duplicates)


def _first_pass(statements_dir, manifest, *, rules, scratch, workers, cache, progress):
    """Every file's rows into scratch tables; returns their paths, the id
    and path of every statement, and (path, id, MinHash signature) of those
    read whole."""
    streams = {name: _stream(scratch / f"{name}.parquet", name, scratch=True) for name in TABLES}
    rows, signed = [], []
    pending: dict[str, list] = {name: [] for name in TABLES}

    def flush() -> None:
        for name, stream in streams.items():
            stream.write_frame(typed_frame(pending[name], name))
            pending[name] = []

    for statement, meetings, paragraphs, signature in read_corpus(
            statements_dir, manifest, rules=rules, workers=workers, cache=cache, progress=progress):
        rows.append({"statement_id": statement["statement_id"], "path": statement["path"]})
        if signature is not None:
            # as a uint64 array: an eighth of the memory of the list of Python ints
            signed.append((statement["path"], statement["statement_id"],
                           {**signature, "values": np.asarray(signature["values"], dtype=np.uint64)}))
        pending["statements"].append(statement)
        pending["meetings"] += meetings
        pending["paragraphs"] += paragraphs
        if len(pending["statements"]) >= BLOCK_ROWS:
            flush()
    flush()
    return {name: stream.close() for name, stream in streams.items()}, rows, signed
