"""A folder holding JSON entries keyed by content hashes, in one SQLite
file: the per-statement caches of the ingest and tag stages (their folders
are named by `pipeline.stages.code_version`); and the tag stage's pickled
pipeline, a file of its own. An entry is written whole or not at all; one
that cannot be read is treated as missing and recomputed, never trusted."""

from __future__ import annotations

import json
import os
import pickle
import sqlite3
import tempfile
from collections.abc import Callable
from pathlib import Path

STORE_FILE = "entries.sqlite"


class JsonStore:
    """Values as JSON under string keys in ``folder/entries.sqlite``;
    ``folder=None`` stores nothing.

    One SQLite file rather than a file per entry: creating a small file cost
    0.5-1 ms on the machines we measure on (ext4 on a shared virtual disk),
    and the ingest and tag caches wrote four per statement; inserting a small
    entry costs microseconds (a cold ingest of the 952 UN speeches on one
    process, with the faster series search of core.metadata: 6.4-7.6 s to
    4.9-6.0 s). The file is in write-ahead-log mode without a sync per
    entry: a crash may lose the last entries, never damage the others, and
    a lost entry is recomputed. The connection is opened on first use, in
    the process that uses it (worker processes never touch it)."""

    def __init__(self, folder: Path | None) -> None:
        self.folder = folder
        self._db: sqlite3.Connection | None = None

    def _connection(self) -> sqlite3.Connection:
        if self._db is None:
            self.folder.mkdir(parents=True, exist_ok=True)
            path = self.folder / STORE_FILE
            try:
                self._db = _open(path)
            except sqlite3.DatabaseError:  # not a database (damaged, or another program's file): start afresh
                for leftover in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
                    leftover.unlink(missing_ok=True)
                self._db = _open(path)
        return self._db

    def get(self, key: str):
        if self.folder is None:
            return None
        try:
            row = self._connection().execute("SELECT value FROM entries WHERE key = ?", (key,)).fetchone()
            return json.loads(row[0]) if row is not None else None
        except (sqlite3.DatabaseError, OSError, ValueError, TypeError):  # damaged or unreadable: recomputed
            return None

    def put(self, key: str, value) -> None:
        if self.folder is None:
            return
        # json.dumps runs the C encoder (json.dump, which writes in pieces, runs the pure-Python one: ~5x slower)
        text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
        with self._connection() as db:  # one transaction: committed, or rolled back on an error
            db.execute("INSERT OR REPLACE INTO entries (key, value) VALUES (?, ?)", (key, text))

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None

    def __getstate__(self) -> dict:  # a connection does not travel to another process: the copy opens its own
        return {"folder": self.folder, "_db": None}


def _open(path: Path) -> sqlite3.Connection:
    db = sqlite3.connect(path, timeout=60)  # another run writing the same cache waits its turn
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")
    db.execute("CREATE TABLE IF NOT EXISTS entries (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
    db.commit()
    return db


def _write_atomically(path: Path, data: bytes) -> None:
    """``data`` at ``path`` whole or not at all: written beside it, then renamed."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def pickled(path: Path | None, build: Callable[[], object]) -> object:
    """``build()``'s result, kept pickled at ``path`` (whose name must carry
    the version of everything the result depends on) and loaded from there
    when it exists: the tag stage's compiled spaCy pipeline loads in about a
    quarter of the time it takes to build. An entry that cannot be loaded is
    rebuilt and replaced; a result that cannot be pickled is returned
    without being kept. ``path=None`` just builds. (Only our own cache
    folder is read: a pickle runs code when loaded.)"""
    if path is None:
        return build()
    if path.exists():
        try:
            return pickle.loads(path.read_bytes())
        except Exception:  # a damaged or truncated entry: rebuilt below
            pass
    value = build()
    try:
        data = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
    except (pickle.PicklingError, TypeError, AttributeError):  # e.g. a component that cannot be pickled
        return value  # the cache only saves time: run without it
    _write_atomically(path, data)
    return value
