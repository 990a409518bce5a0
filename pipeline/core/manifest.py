"""The corpus manifest (corpus/statements.csv) and the meeting register
(corpus/meetings.csv): reading and validating what researchers typed."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from pathlib import Path

from .errors import PipelineError
from .metadata import parse_date_field

MANIFEST_COLUMNS = ("file", "title", "series", "ordinal", "start_date", "end_date",
                    "city", "country", "co_chairs", "source_url", "speaker",
                    # written by `python -m pipeline.fetch` (provenance; not metadata):
                    "fetched_at", "sha256", "http_status", "etag", "last_modified")
REGISTER_COLUMNS = ("series", "ordinal", "title", "start_date", "end_date", "city", "country",
                    "format", "co_chairs", "doc_type", "url", "notes")


@dataclass
class ManifestRow:
    """One manifest line: the given (non-empty, valid) values and warnings
    about values that were given but could not be used."""

    file: str
    line: int
    values: dict[str, object] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)


def _read_csv(path: Path, allowed: tuple[str, ...], required: tuple[str, ...]) -> list[tuple[int, dict[str, str]]]:
    """Rows with their line numbers; a bad header or a ragged row stops the run."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as err:
        raise PipelineError(f"{path}: not UTF-8 (byte {err.start}): re-save the file as UTF-8 CSV") from err
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = next(reader, None)
        if header is None:
            raise PipelineError(f"{path}: empty file: it needs a header line naming the columns {', '.join(allowed)}")
        header = [h.strip() for h in header]
        unknown = [h for h in header if h not in allowed]
        if unknown:
            raise PipelineError(f"{path}, line 1: unknown column {unknown[0]!r}: "
                                f"use only {', '.join(allowed)}")
        missing = [c for c in required if c not in header]
        if missing:
            raise PipelineError(f"{path}, line 1: missing column {missing[0]!r}")
        rows = []
        for record in reader:
            if not any(cell.strip() for cell in record):
                continue
            if len(record) != len(header):
                raise PipelineError(f"{path}, line {reader.line_num}: {len(record)} fields where the header has "
                                    f"{len(header)}: quote values that contain commas")
            rows.append((reader.line_num, {h: c.strip() for h, c in zip(header, record)}))
    except csv.Error as err:
        raise PipelineError(f"{path}, line {reader.line_num}: malformed CSV ({err}): check the quotes") from err
    return rows


def _typed_values(raw: dict[str, str], where: str) -> tuple[dict[str, object], list[str]]:
    values: dict[str, object] = {}
    warnings: list[str] = []
    for key, value in raw.items():
        if not value or key == "file":
            continue
        if key in ("start_date", "end_date"):
            try:
                values[key] = parse_date_field(value)
            except ValueError:
                warnings.append(f"{where}: {key} {value!r} is not a date (write YYYY-MM-DD); ignored it")
        elif key == "ordinal":
            if value.isdigit():
                values[key] = int(value)
            else:
                warnings.append(f"{where}: ordinal {value!r} is not a whole number; ignored it")
        else:
            values[key] = value
    return values, warnings


def load_manifest(path: Path) -> dict[str, ManifestRow]:
    """Manifest rows by file path (relative to the statements folder)."""
    if not path.exists():
        return {}
    rows: dict[str, ManifestRow] = {}
    for line, raw in _read_csv(path, MANIFEST_COLUMNS, ("file",)):
        file = raw.get("file", "")
        if not file:
            raise PipelineError(f"{path}, line {line}: empty 'file': name the statement file")
        if file in rows:
            raise PipelineError(f"{path}, line {line}: {file!r} is listed again (first on line {rows[file].line})")
        values, warnings = _typed_values(raw, f"{path.name} line {line}")
        rows[file] = ManifestRow(file, line, values, warnings)
    return rows


def load_register(path: Path) -> dict[tuple[str, int], dict[str, object]]:
    """Known meetings by (series, ordinal), for filling metadata a statement
    does not give. Rows whose ordinal is not a whole number ('JPoA 6
    planning') cannot be matched by number and serve only as reference."""
    if not path.exists():
        return {}
    register: dict[tuple[str, int], dict[str, object]] = {}
    for line, raw in _read_csv(path, REGISTER_COLUMNS, ("series", "ordinal")):
        values, _ = _typed_values(raw, f"{path.name} line {line}")
        if "ordinal" in values and "series" in values:
            register[(str(values["series"]), int(values["ordinal"]))] = values
    return register
