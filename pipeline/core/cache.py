"""A folder of JSON entries keyed by content hashes: the per-statement
caches of the ingest and tag stages (their folders are named by
`pipeline.stages.code_version`), and the tag stage's pickled pipeline. An
entry is written atomically; one that cannot be read is treated as missing
and recomputed, never trusted."""

from __future__ import annotations

import json
import os
import pickle
import tempfile
from collections.abc import Callable
from pathlib import Path


class JsonStore:
    """``folder/<key[:2]>/<key>.json``; ``folder=None`` stores nothing."""

    def __init__(self, folder: Path | None) -> None:
        self.folder = folder

    def _path(self, key: str) -> Path | None:
        return self.folder / key[:2] / f"{key}.json" if self.folder else None

    def get(self, key: str):
        path = self._path(key)
        if path is None or not path.exists():
            return None
        try:
            return json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None

    def put(self, key: str, value) -> None:
        path = self._path(key)
        if path is None:
            return
        # json.dumps, not json.dump: dumps runs the C encoder, dump the pure-Python
        # one (it writes in pieces), which made writing the tag cache ~5x slower
        _write_atomically(path, json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8"))


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
