"""Tagging a corpus of any size: statement by statement, in worker
processes, with a per-statement cache, streaming rows to Parquet.

The cache makes a rerun cost what changed. Each statement's results are
stored under a key made of its content (id, text, paragraph layout); the
entity part (sentences, entities, people, attendance) is valid for one
*entity version* (gazetteer, cities and the code that reads them), the theme
part for one *theme version* on top of it (codebook and theme code). So
adding a statement tags only that statement, and editing the codebook
re-runs only theme matching, on the cached sentences and entities.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import pyarrow.parquet as pq
from spacy.language import Language
from spacy.util import filter_spans

from .cache import JsonStore, pickled
from .errors import PipelineError
from .partitions import SIGNATURE_KEY, iter_batches
from .tagging import TagRows, tag_statement, theme_rows
from .workers import Workers, blocks, one_ahead


@dataclass(frozen=True)
class Task:
    """One statement to tag: its id, cleaned text and paragraph rows."""

    statement_id: str
    text: str
    paragraphs: tuple[dict, ...]

    @property
    def key(self) -> str:
        layout = [(p["paragraph_id"], p["meeting_id"], p["kind"], p["order"], p["start"], p["end"])
                  for p in self.paragraphs]
        blob = json.dumps([self.statement_id, self.text, layout], ensure_ascii=False)
        return hashlib.sha256(blob.encode("utf-8")).hexdigest()


PARAGRAPH_COLUMNS = ["paragraph_id", "statement_id", "meeting_id", "section", "order", "kind", "start", "end"]


def _task(statement_id: str, text: str, paragraphs: Iterable[dict]) -> Task:
    """A task from a statement's text and its paragraph rows (each given its text, a slice of the statement's)."""
    rows = [{**row, "text": text[row["start"]:row["end"]]} for row in paragraphs]
    return Task(statement_id, text, tuple(sorted(rows, key=lambda r: r["order"])))


def read_tasks(statements_path: Path, paragraphs_path: Path) -> tuple[int, Iterator[Task]]:
    """How many statements have status ok, and those statements as tasks,
    each with its paragraphs (whose text is a slice of the statement's).

    Both tables are streamed in batches, side by side: ingest writes each
    statement's paragraphs together and in the order of the statements, so
    memory does not grow with the corpus. Paragraphs left over at the end
    (tables out of step) stop the run rather than being dropped."""
    for path in (statements_path, paragraphs_path):
        if not path.exists():
            raise PipelineError(f"{path}: not found: run the ingest stage first (`dvc repro ingest`)")
    total = pq.read_table(statements_path, columns=["status"]).column("status").to_pylist().count("ok")

    def paragraphs() -> Iterator[dict]:
        for batch in iter_batches(paragraphs_path, batch_size=20_000, columns=PARAGRAPH_COLUMNS):
            yield from batch.to_pylist()

    def tasks() -> Iterator[Task]:
        rows = paragraphs()
        ahead = next(rows, None)
        for batch in iter_batches(statements_path, batch_size=64, columns=["statement_id", "status", "text"]):
            for sid, status, text in zip(*(batch.column(i).to_pylist() for i in range(3))):
                if status != "ok":
                    continue
                mine = []
                while ahead is not None and ahead["statement_id"] == sid:
                    mine.append(ahead)
                    ahead = next(rows, None)
                yield _task(sid, text, mine)
        if ahead is not None:
            raise PipelineError(f"{paragraphs_path}: paragraph {ahead['paragraph_id']} is not with its statement "
                                f"in {statements_path.name} (the tables are out of step): rerun `dvc repro ingest`")
    return total, tasks()


@dataclass(frozen=True)
class Recorded:
    """A statement as the ingest stage's part records name it: its id, the
    fingerprint ingest wrote for it (its file, duplicate mark, code and
    rules: what its rows depend on) and the part file holding its rows."""

    statement_id: str
    fingerprint: str
    part: str


def recorded_statements(statements_path: Path) -> tuple[int, Iterator[Recorded]] | None:
    """The statements with status ok, in corpus order, named by the ingest
    stage's part records (see core.partitions), without reading their texts;
    None when the table has no such records (a single file, or parts written
    otherwise): then every text is read. Telling what changed this way took
    0.01 s on the 952 UN speeches, against 0.25-0.3 s to read and hash all
    texts and paragraphs."""
    if not statements_path.is_dir():
        return None
    parts = sorted(statements_path.glob("*.parquet"))
    records = []
    for path in parts:
        signature = (pq.read_schema(path).metadata or {}).get(SIGNATURE_KEY)
        if signature is None:
            return None
        records.append(dict(json.loads(signature)))
    statuses = [pq.read_table(path, columns=["statement_id", "status"]) for path in parts]
    if any(sid not in record for table, record in zip(statuses, records)
           for sid in table.column("statement_id").to_pylist()):
        return None
    total = sum(table.column("status").to_pylist().count("ok") for table in statuses)

    def recorded() -> Iterator[Recorded]:
        for path, table, record in zip(parts, statuses, records):
            for sid, status in zip(table.column("statement_id").to_pylist(), table.column("status").to_pylist()):
                if status == "ok":
                    yield Recorded(sid, record[sid], path.name)
    return total, recorded()


def tasks_of(recorded: Iterable[Recorded], statements_path: Path, paragraphs_path: Path) -> Iterator[Task]:
    """The tasks of these statements, in their order: each part they are in
    is read once (statements and paragraphs are written in the same parts),
    so a rerun reads the texts of the parts that changed only."""
    loaded: tuple[str, dict[str, str], dict[str, list[dict]]] | None = None
    for item in recorded:
        if loaded is None or loaded[0] != item.part:
            if not (paragraphs_path / item.part).is_file():
                raise PipelineError(f"{paragraphs_path / item.part}: not found beside {statements_path / item.part} "
                                    "(the tables are out of step): rerun `dvc repro ingest`")
            statements = pq.read_table(statements_path / item.part, columns=["statement_id", "text"])
            paragraphs: dict[str, list[dict]] = {}
            for row in pq.read_table(paragraphs_path / item.part, columns=PARAGRAPH_COLUMNS).to_pylist():
                paragraphs.setdefault(row["statement_id"], []).append(row)
            loaded = (item.part, dict(zip(statements.column("statement_id").to_pylist(),
                                          statements.column("text").to_pylist())), paragraphs)
        yield _task(item.statement_id, loaded[1][item.statement_id], loaded[2].get(item.statement_id, []))


ENTITY_PART_KEYS = {"sentences", "mentions", "people", "attendance", "checks", "terms"}


class TagCache:
    """Per-statement results: the entity part under the entity version, the
    theme part under both versions. ``folder=None`` disables caching."""

    def __init__(self, folder: Path | None, *, entity_version: str, theme_version: str) -> None:
        self.entities = JsonStore(folder / "entities" / entity_version if folder else None)
        self.themes = JsonStore(folder / "themes" / f"{entity_version}-{theme_version}" if folder else None)
        self._version = f"{entity_version}-{theme_version}"
        self._pipeline = folder / "pipelines" / f"{self._version}.pickle" if folder else None

    def pipeline(self, build: Callable[[], tuple[Language, dict[str, str]]]) -> tuple[Language, dict[str, str]]:
        """``build()``'s pipeline (and actor names), pickled in the cache
        under both versions, so a rerun that must tag a few statements
        loads it instead of compiling the codebook again."""
        return pickled(self._pipeline, build)

    @property
    def version(self) -> str:
        """Both versions: what a statement's cached rows depend on besides its content."""
        return self._version

    def get(self, key: str) -> tuple[dict | None, list | None]:
        """The cached parts; a part of the wrong shape (a damaged or foreign
        entry that is still valid JSON) counts as missing and is recomputed."""
        entity_part, theme_part = self.entities.get(key), self.themes.get(key)
        if not (isinstance(entity_part, dict) and set(entity_part) == ENTITY_PART_KEYS
                and all(isinstance(v, list) and all(isinstance(r, dict) for r in v) for v in entity_part.values())):
            entity_part = None
        if not (isinstance(theme_part, list) and all(isinstance(r, dict) for r in theme_part)):
            theme_part = None
        return entity_part, theme_part

    def put(self, key: str, entity_part: dict | None, theme_part: list | None) -> None:
        if entity_part is not None:
            self.entities.put(key, entity_part)
        if theme_part is not None:
            self.themes.put(key, theme_part)


def split_rows(rows: TagRows) -> tuple[dict, list]:
    """TagRows -> (entity part, theme part) as stored in the cache."""
    entity_mentions = [m for m in rows.mentions if m["kind"] != "theme"]
    themes = [m for m in rows.mentions if m["kind"] == "theme"]
    return ({"sentences": rows.sentences, "mentions": entity_mentions, "people": rows.people,
             "attendance": rows.attendance, "checks": rows.checks, "terms": rows.terms}, themes)


def join_rows(entity_part: dict, theme_part: list) -> TagRows:
    return TagRows(sentences=entity_part["sentences"], mentions=entity_part["mentions"] + theme_part,
                   people=entity_part["people"], attendance=entity_part["attendance"], checks=entity_part["checks"],
                   terms=entity_part["terms"])


@dataclass(frozen=True)
class PipelineSpec:
    """What a worker needs to build the tag stage's pipeline itself (on a
    Dask worker): absolute paths, which must exist where it runs."""

    gazetteer: str
    cities: str
    codebook: str
    trained: str = ""

    @classmethod
    def of(cls, *, gazetteer: Path, cities: Path, codebook: Path, trained: str = "") -> PipelineSpec:
        return cls(*(str(Path(p).resolve()) for p in (gazetteer, cities, codebook)), trained)


# Pipelines (and actor names) by spec, built once per process: the parent
# registers its own before local workers fork; a Dask worker builds its own.
_CONTEXTS: dict[object, tuple[Language, dict[str, str]]] = {}


def _context(key: object) -> tuple[Language, dict[str, str]]:
    if key not in _CONTEXTS:
        if not isinstance(key, PipelineSpec):
            raise PipelineError("tag: a worker has no pipeline: pass a PipelineSpec to tag on a Dask cluster")
        from .gazetteer import load_actors
        from .nlp import build_nlp
        nlp = build_nlp(gazetteer=Path(key.gazetteer), cities=Path(key.cities), codebook=Path(key.codebook),
                        trained=key.trained or None)
        _CONTEXTS[key] = (nlp, {a.id: a.name for a in load_actors(Path(key.gazetteer))})
    return _CONTEXTS[key]


def _tag_fully(nlp: Language, names: dict[str, str], task: Task) -> tuple[dict, list]:
    doc = nlp(task.text)
    return split_rows(tag_statement(doc, task.statement_id, task.paragraphs, names))


def _tag_themes(nlp: Language, task: Task, entity_part: dict) -> list:
    """Theme matching alone, on a doc rebuilt from the cached sentences and entities."""
    doc = nlp.make_doc(task.text)
    for name in ("sentencizer", "paragraph_sentences"):
        doc = nlp.get_pipe(name)(doc)
    starts = {s["sentence_id"]: s["start"] for s in entity_part["sentences"]}
    spans = []
    for m in entity_part["mentions"]:
        base = starts[m["sentence_id"]]
        span = doc.char_span(base + m["start"], base + m["end"], label=m["label"], kb_id=m["canonical_id"],
                             alignment_mode="expand")
        if span is not None:
            spans.append(span)
    doc.ents = filter_spans(spans)
    doc = nlp.get_pipe("bali_themes")(doc)
    return theme_rows(doc, task.statement_id, entity_part["sentences"])


def _compute(key: object, item: tuple[str, Task, dict | None]) -> tuple[dict | None, list | None]:
    """Work for one statement: theme matching alone, or all of it."""
    nlp, names = _context(key)
    kind, task, entity_part = item
    if kind == "themes_only":
        return None, _tag_themes(nlp, task, entity_part)
    return _tag_fully(nlp, names, task)


def tag_tasks(tasks: Iterable[Task], *, cache: TagCache, nlp: Language | None = None, names: dict[str, str] | None = None,
              build: Callable[[], tuple[Language, dict[str, str]]] | None = None,
              workers: Workers | None = None, spec: PipelineSpec | None = None, block: int = 256,
              counts: dict | None = None) -> Iterator[TagRows]:
    """TagRows for each task, in input order. Cached parts are reused; the
    rest is computed (by ``workers``: this process, local processes or a Dask
    cluster, which needs ``spec`` to build the pipeline) and cached. The
    pipeline is ``nlp`` (with actor ``names``), or ``build()``'s, called
    only when a statement is not in the cache. Tasks are taken ``block`` at a
    time, so memory does not grow with the corpus. ``counts`` (if given)
    receives how many statements were cached, re-themed or tagged."""
    key = spec if spec is not None else ("local", id(nlp) if nlp is not None else id(build))
    _CONTEXTS.pop(key, None)  # built for an earlier run in this process, perhaps from other files
    if nlp is not None:
        _CONTEXTS[key] = (nlp, names or {})
    counts = counts if counts is not None else {}
    for k in ("cached", "themes_only", "tagged"):
        counts.setdefault(k, 0)
    with (workers or Workers()) as pool:

        def handed_out() -> Iterator[tuple[list, Iterator]]:
            for chunk in blocks(tasks, block):
                planned = []
                for task in chunk:
                    entity_part, theme_part = cache.get(task.key)
                    kind = "cached" if entity_part is not None and theme_part is not None else \
                        "themes_only" if entity_part is not None else "tagged"
                    planned.append((kind, task, entity_part, theme_part))
                work = [(kind, task, entity_part if kind == "themes_only" else None)
                        for kind, task, entity_part, _ in planned if kind != "cached"]
                if work and key not in _CONTEXTS and build is not None:  # built here, before any worker forks
                    _CONTEXTS[key] = build()
                yield planned, pool.map(partial(_compute, key), work)

        for planned, results in one_ahead(handed_out()):
            yield from _read_block(planned, results, cache=cache, counts=counts)


def _read_block(planned: list, results: Iterator, *, cache: TagCache, counts: dict) -> Iterator[TagRows]:
    """A block's rows in input order: cached parts as they are, computed
    ones from ``results`` (cached as they come)."""
    for kind, task, entity_part, theme_part in planned:
        counts[kind] += 1
        if kind == "tagged":
            entity_part, theme_part = next(results)
            cache.put(task.key, entity_part, theme_part)
        elif kind == "themes_only":
            theme_part = next(results)[1]
            cache.put(task.key, None, theme_part)
        yield join_rows(entity_part, theme_part)
