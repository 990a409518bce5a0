"""The gazetteer of states, territories and organisations (corpus/gazetteer/actors.yaml)."""

from __future__ import annotations

import csv
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import yaml

from .io import load_yaml
from .errors import PipelineError

KINDS = ("state", "territory", "international organisation", "civil society", "academic", "programme",
         "government body", "forum")
ENTRY_KEYS = {"id", "name", "kind", "bali_process", "aliases"}
LABEL_OF_KIND = {"state": "STATE", "territory": "STATE"}  # everything else is ORG


@dataclass(frozen=True)
class Actor:
    id: str
    name: str
    kind: str
    bali_process: str
    aliases: tuple[str, ...]

    @property
    def label(self) -> str:
        return LABEL_OF_KIND.get(self.kind, "ORG")

    @property
    def names(self) -> tuple[str, ...]:
        return (self.name, *self.aliases)


@dataclass(frozen=True)
class City:
    name: str
    country: str
    country_id: str

    @property
    def id(self) -> str:
        return f"{self.country_id}-{slug(self.name)}"


def slug(text: str) -> str:
    """'International Justice Mission' -> 'international-justice-mission'."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")


def load_actors(path: Path) -> list[Actor]:
    """Read and validate the gazetteer; errors name the entry and field."""
    try:
        entries = load_yaml(path.read_text(encoding="utf-8")) or []
    except (OSError, yaml.YAMLError) as err:
        raise PipelineError(f"{path}: cannot read the gazetteer: {err}") from err
    if not isinstance(entries, list):
        raise PipelineError(f"{path}: the gazetteer must be a list of entries")
    actors: list[Actor] = []
    seen: dict[str, int] = {}
    for n, entry in enumerate(entries, start=1):
        where = f"{path}, entry {n}" + (f" ({entry.get('id')})" if isinstance(entry, dict) else "")
        if not isinstance(entry, dict):
            raise PipelineError(f"{where}: must be a mapping with id, name, kind, aliases")
        unknown = set(entry) - ENTRY_KEYS
        if unknown:
            raise PipelineError(f"{where}: unknown field {sorted(unknown)[0]!r}; use {sorted(ENTRY_KEYS)}")
        for key in ("id", "name", "kind"):
            if not isinstance(entry.get(key), str) or not entry[key].strip():
                raise PipelineError(f"{where}: field '{key}' is required")
        if entry["kind"] not in KINDS:
            raise PipelineError(f"{where}: kind {entry['kind']!r} is not one of {', '.join(KINDS)}")
        if entry["id"] in seen:
            raise PipelineError(f"{where}: id {entry['id']!r} is already used by entry {seen[entry['id']]}")
        aliases = entry.get("aliases") or []
        if not isinstance(aliases, list) or not all(isinstance(a, str) and a.strip() for a in aliases):
            raise PipelineError(f"{where}: field 'aliases' must be a list of names")
        seen[entry["id"]] = n
        actors.append(Actor(entry["id"], entry["name"], entry["kind"], entry.get("bali_process") or "",
                            tuple(aliases)))
    return actors


def load_cities(path: Path) -> list[City]:
    with path.open(encoding="utf-8", newline="") as f:
        return [City(row["city"], row["country"], row["country_id"]) for row in csv.DictReader(f)]
