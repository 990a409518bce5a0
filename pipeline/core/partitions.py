"""The ingest and tag stages' tables as folders of Parquet parts, so that a
changed or added statement rewrites only the part it is in.

``sentences.parquet/`` (and statements, paragraphs, mentions, ...) is a folder, read as one
table by ``pandas.read_parquet`` or ``pyarrow.dataset`` (as Spark and Dask
write them). Statements are split, in corpus order, into runs: a statement
whose id hashes to a multiple of :data:`RUN_EVERY` starts a new run, so a run
holds about that many statements and the boundaries do not move when a
statement is added or removed elsewhere. Each run is one part file in every
table's folder, numbered in corpus order, and its footer records the run's
statements with a fingerprint of each (content, code, codebook and model
versions). A rerun writes the parts whose record is new and keeps the
others, renumbering them (a rename) when statements came or went before them.

Parts are written to a hidden staging folder beside their table and moved
in only when the whole stage has succeeded (:meth:`PartitionedTables.commit`),
so a failed run leaves the tables as they were.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from .io import remove_stale_folders

RUN_EVERY = 32  # statements per part, on average
SIGNATURE_KEY = b"bali_themes.statements"


def starts_run(statement_id: str) -> bool:
    return int(hashlib.sha256(statement_id.encode("utf-8")).hexdigest()[:8], 16) % RUN_EVERY == 0


def runs(items: Iterable, statement_id=lambda item: item.statement_id) -> Iterator[list]:
    """Consecutive items in runs; a run starts at an item whose statement starts one."""
    run: list = []
    for item in items:
        if run and starts_run(statement_id(item)):
            yield run
            run = []
        run.append(item)
    if run:
        yield run


def part_name(ordinal: int) -> str:
    """Parts are numbered in corpus order, so the folder reads in corpus order."""
    return f"part-{ordinal:06d}.parquet"


class PartitionedTables:
    """Tables that share one split into parts: ``folders`` maps a table name
    to its folder, ``schemas`` to its Arrow schema. For each run, in corpus
    order: :meth:`existing` finds the part already holding it, which
    :meth:`keep` keeps (renumbered if statements came or went before it), or
    it is written anew under :meth:`next_name` with :meth:`write` (perhaps
    later, as its rows come); :meth:`commit` puts them all in place."""

    def __init__(self, folders: dict[str, Path], schemas: dict[str, pa.Schema]) -> None:
        self.folders = folders
        self.schemas = schemas
        self.kept: dict[str, str] = {}  # new name -> name of the existing part
        self.ordinal = 0
        self.by_signature: dict[str, str] = {}  # signature -> part present in every table
        first, *others = folders.values()
        for path in sorted(first.glob("*.parquet")) if first.is_dir() else []:
            try:
                signature = (pq.read_schema(path).metadata or {}).get(SIGNATURE_KEY)
            except (OSError, pa.ArrowInvalid):
                continue  # a damaged part is written again
            if signature and all((folder / path.name).is_file() for folder in others):
                self.by_signature[signature.decode("utf-8")] = path.name
        for folder in folders.values():  # staging folders of a run that was killed
            remove_stale_folders(_parent(folder), f".{folder.name}.")
        self.staging = {name: Path(tempfile.mkdtemp(prefix=f".{folder.name}.", dir=_parent(folder)))
                        for name, folder in folders.items()}

    def next_name(self) -> str:
        self.ordinal += 1
        return part_name(self.ordinal - 1)

    def existing(self, signature: list) -> str | None:
        """The part that holds exactly these statements, with these fingerprints."""
        return self.by_signature.pop(json.dumps(signature), None)  # each part is kept at most once

    def keep(self, existing: str) -> None:
        self.kept[self.next_name()] = existing

    def write(self, name: str, signature: list, rows: dict[str, list[dict]]) -> None:
        """Part ``name`` (from :meth:`next_name`) of every table, to the staging folders."""
        self.write_tables(name, signature, {table: pa.Table.from_pylist(rows.get(table, []), schema=schema)
                                            for table, schema in self.schemas.items()})

    def write_tables(self, name: str, signature: list, tables: dict[str, pa.Table]) -> None:
        """As :meth:`write`, from Arrow tables (e.g. made from pandas, whose
        dtypes they keep in their metadata)."""
        for table in self.schemas:
            found = tables[table]
            metadata = {**(found.schema.metadata or {}), SIGNATURE_KEY: json.dumps(signature).encode("utf-8")}
            pq.write_table(found.replace_schema_metadata(metadata), self.staging[table] / name, compression="zstd")

    def commit(self) -> None:
        """Put the parts in place: kept ones renumbered, written ones moved in,
        parts of runs that no longer exist removed."""
        if self.ordinal == 0:  # no statements: one empty part, so the tables can still be read
            self.write(self.next_name(), [], {})
        for table, folder in self.folders.items():
            staging = self.staging[table]
            for new, old in self.kept.items():
                os.replace(folder / old, staging / new)
            if folder.is_file():  # a table written whole by an earlier version of the stage
                folder.unlink()
            folder.mkdir(parents=True, exist_ok=True)
            for path in folder.glob("*.parquet"):
                path.unlink()
            for path in sorted(staging.iterdir()):
                os.replace(path, folder / path.name)
        self.discard()

    def discard(self) -> None:
        for folder in self.staging.values():
            shutil.rmtree(folder, ignore_errors=True)

    def changed(self, tasks: Iterable, fingerprint: Callable[[object], str], *,
                on_kept: Callable[[int], None] = lambda n: None) -> Iterator:
        """The tasks (with ``statement_id``) of the runs that must be written
        again; a run whose part holds the same statements with the same
        ``fingerprint`` is kept (``on_kept`` is told how many statements it
        held). Give each changed task's rows back, in order, to :meth:`add`."""
        self._pending: deque = deque()  # (part name, signature, is the run's last task) per task handed out
        self._rows: dict[str, list[dict]] = {table: [] for table in self.schemas}
        for run in runs(tasks):
            signature = [[task.statement_id, fingerprint(task)] for task in run]
            existing = self.existing(signature)
            if existing is not None:
                self.keep(existing)
                on_kept(len(run))
                continue
            part = self.next_name()
            for i, task in enumerate(run):
                self._pending.append((part, signature, i == len(run) - 1))
                yield task

    def add(self, rows: dict[str, list[dict]]) -> None:
        """The rows of the next task from :meth:`changed`, by table; a run's
        part is written when its last task's rows come."""
        part, signature, last = self._pending.popleft()
        for table, found in rows.items():
            self._rows[table] += found
        if last:
            self.write(part, signature, self._rows)
            self._rows = {table: [] for table in self.schemas}


def iter_batches(table: Path, *, columns: list[str], batch_size: int) -> Iterator[pa.RecordBatch]:
    """The rows of a table written in parts (or of a single Parquet file), in
    order, in batches of about ``batch_size`` rows whatever the parts' sizes
    (small parts are joined until the size is reached): work done once per
    batch, as in the trends stage, would otherwise be done once per small
    part, which took the trends stage on the 8,754 Trove press releases from
    5 s to 21 s."""
    if not table.is_dir():
        yield from pq.ParquetFile(table).iter_batches(batch_size=batch_size, columns=columns)
        return
    pending: list[pa.Table] = []
    rows = 0
    for path in sorted(table.glob("*.parquet")):
        part = pq.read_table(path, columns=columns, use_threads=False)
        pending.append(part)
        rows += part.num_rows
        if rows >= batch_size:
            yield from pa.concat_tables(pending).combine_chunks().to_batches()
            pending, rows = [], 0
            # Arrow's allocator keeps freed memory for reuse; reading hundreds of parts it grew by ~100 MB
            pa.default_memory_pool().release_unused()
    if pending:
        yield from pa.concat_tables(pending).combine_chunks().to_batches()


def read_table(table: Path, *, columns: list[str] | None = None, filters=None) -> pa.Table:
    """A table written in parts (or a single Parquet file), its parts read
    in order as one dataset (pyarrow.dataset reads them on several threads:
    twice as fast as one part after another) into one table with one chunk
    per column (pandas then works on one array, not hundreds)."""
    expression = pq.filters_to_expression(filters) if filters else None
    return open_dataset(table).to_table(columns=columns, filter=expression).combine_chunks()


def open_dataset(table: Path):
    """A table written in parts (or a single Parquet file) as a pyarrow dataset, its parts in order."""
    import pyarrow.dataset as ds
    paths = [str(p) for p in sorted(table.glob("*.parquet"))] if table.is_dir() else [str(table)]
    return ds.dataset(paths, format="parquet")


def count_rows(folder: Path) -> int:
    """Rows of a table written in parts (from the parts' footers)."""
    return sum(pq.read_metadata(path).num_rows for path in sorted(folder.glob("*.parquet")))


def _parent(folder: Path) -> Path:
    folder.parent.mkdir(parents=True, exist_ok=True)
    return folder.parent
