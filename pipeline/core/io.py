"""Writing outputs so that a failed run leaves no half-written files."""

from __future__ import annotations

import json
import os
import tempfile
import time
from collections.abc import Callable, Mapping
from pathlib import Path

import pandas as pd
import yaml

Writer = Callable[[Path], None]


class _UniqueKeyLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """The safe loader, refusing a key given twice in one mapping. PyYAML keeps
    the last silently: a second ``unless:`` in a codebook rule would drop the
    first list without a word."""

    def construct_mapping(self, node, deep=False):
        seen: dict[str, int] = {}
        for key_node, _ in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                continue
            key, line = key_node.value, key_node.start_mark.line + 1
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    f"in the mapping starting on line {node.start_mark.line + 1}", node.start_mark,
                    f"the key {key!r} is given twice (lines {seen[key]} and {line}): "
                    "the second would replace the first; merge them into one", key_node.start_mark)
            seen[key] = line
        return super().construct_mapping(node, deep=deep)


def load_yaml(text: str):
    """YAML as plain data with the safe loader, in libyaml's C version when
    PyYAML has it: ~10x faster than the pure-Python one on the codebook and
    gazetteer, which every stage run reads. A key given twice in one mapping
    is an error (see :class:`_UniqueKeyLoader`)."""
    return yaml.load(text, Loader=_UniqueKeyLoader)


_STARTED = time.time()


def remove_leftovers(target: Path) -> None:
    """Delete temporary files of ``target`` left by an earlier run that was
    killed (SIGKILL, power loss) before it could clean up; this process's own
    temporaries are newer than its start and are kept."""
    for stale in target.parent.glob(f".{target.name}.*.tmp"):
        try:
            if stale.stat().st_mtime < _STARTED:
                stale.unlink()
        except FileNotFoundError:
            pass


def remove_stale_folders(parent: Path, prefix: str) -> None:
    """Delete folders named ``prefix``* in ``parent`` left by an earlier run
    that was killed before it could clean up (staging and scratch folders);
    this process's own are newer than its start and are kept."""
    import shutil
    for stale in parent.glob(f"{prefix}*"):
        try:
            if stale.is_dir() and stale.stat().st_mtime < _STARTED:
                shutil.rmtree(stale, ignore_errors=True)
        except FileNotFoundError:
            pass


def write_all(writers: Mapping[Path, Writer]) -> None:
    """Call each writer on a temporary file beside its target, then move all
    into place. If any writer fails, no target is touched."""
    staged: list[tuple[Path, Path]] = []
    try:
        for target, write in writers.items():
            target.parent.mkdir(parents=True, exist_ok=True)
            remove_leftovers(target)
            fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
            os.close(fd)
            staged.append((Path(tmp), target))
            write(Path(tmp))
    except BaseException:
        for tmp, _ in staged:
            tmp.unlink(missing_ok=True)
        raise
    umask = os.umask(0)
    os.umask(umask)
    for tmp, target in staged:
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes files private; outputs are ordinary files
        os.replace(tmp, target)


FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def defuse_formula(value: object) -> object:
    """A text cell that a spreadsheet would run as a formula (it starts with
    = + - @, tab or carriage return) gets a leading apostrophe, as OWASP
    advises for CSV injection; numbers and other text are unchanged."""
    return "'" + value if isinstance(value, str) and value.startswith(FORMULA_START) else value


def csv_writer(df: pd.DataFrame) -> Writer:
    """CSV with text cells defused against formula injection."""
    text_columns = [c for c in df.columns if df[c].dtype == object or pd.api.types.is_string_dtype(df[c])]
    safe = df.assign(**{c: df[c].map(defuse_formula) for c in text_columns}) if text_columns else df
    return lambda path: safe.to_csv(path, index=False, lineterminator="\n", float_format="%.6g")


def json_writer(obj: object) -> Writer:
    def write(path: Path) -> None:
        path.write_text(json.dumps(obj, indent=2, sort_keys=True, ensure_ascii=False) + "\n", encoding="utf-8")
    return write


def text_writer(text: str) -> Writer:
    return lambda path: path.write_text(text, encoding="utf-8")
