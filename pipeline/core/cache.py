"""A folder of JSON entries keyed by content hashes: the per-statement
caches of the ingest and tag stages (their folders are named by
`pipeline.stages.code_version`). An entry is written atomically; one that
cannot be read is treated as missing and recomputed, never trusted."""

from __future__ import annotations

import json
import os
import tempfile
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
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
        # json.dumps, not json.dump: dumps runs the C encoder, dump the pure-Python
        # one (it writes in pieces), which made writing the tag cache ~5x slower
        text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(tmp, path)
