"""Stamps: skip a stage whose inputs have not changed since its last run.

`dvc repro` does this for the project's own pipeline; `run_corpus` (any
folder, no DVC) does it with these stamps. A stage's stamp records a
fingerprint of what shapes its outputs (code version, command line, the
params it reads, and the size and modification time of every input file)
and the size and modification time of every output it wrote. The stage is
skipped only when the fingerprint is the same and every output is still as
it was written; anything else (an edited input, a deleted or touched
output, a missing or damaged stamp) runs it again.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable
from pathlib import Path

from .io import json_writer, write_all


def file_states(paths: Iterable[Path]) -> list:
    """[path, size, mtime_ns] of every file, folders walked (dot-entries
    skipped), [path, None, None] for a missing one."""
    states = []
    for path in paths:
        if path.is_dir():
            for folder, dirs, names in os.walk(path):
                dirs[:] = sorted(d for d in dirs if not d.startswith("."))
                for name in sorted(n for n in names if not n.startswith(".")):
                    states += file_states([Path(folder) / name])
        elif path.exists():
            st = path.stat()
            states.append([str(path), st.st_size, st.st_mtime_ns])
        else:
            states.append([str(path), None, None])
    return states


def fingerprint(*parts: object) -> str:
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode("utf-8")).hexdigest()


class Stamps:
    """Stamps of the stages run into one output folder."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def _path(self, stage: str) -> Path:
        return self.folder / f"{stage}.json"

    def fresh(self, stage: str, inputs: str, outputs: Iterable[Path]) -> bool:
        try:
            stamp = json.loads(self._path(stage).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return False
        return isinstance(stamp, dict) and stamp.get("fingerprint") == inputs \
            and stamp.get("outputs") == file_states(outputs)

    def record(self, stage: str, inputs: str, outputs: Iterable[Path]) -> None:
        """``inputs``: the fingerprint of what the stage read this time."""
        write_all({self._path(stage): json_writer({"fingerprint": inputs, "outputs": file_states(outputs)})})
