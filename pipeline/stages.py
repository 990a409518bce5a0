"""The stages, declared once: their modules, the paths they read and write,
and the params they use. Everything else is derived from here:

- each stage's command-line flags and their defaults (`_stage.parser`);
- `dvc.yaml` (``python -m pipeline.stages --write``; a test checks the
  committed file is what this declaration gives);
- which code shapes a stage's outputs: the import closure of its module,
  used for the `dvc.yaml` deps and for the cache keys;
- the order in which `run_corpus` and `bench` run them.
"""

from __future__ import annotations

import argparse
import ast
import hashlib
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache
from importlib import metadata
from pathlib import Path

import yaml

from .core.io import load_yaml
from .core.layout import Layout

PACKAGE = Path(__file__).resolve().parent
ROOT = PACKAGE.parent


@dataclass(frozen=True)
class Stage:
    name: str
    desc: str
    flags: dict[str, Path]            # path flags of the command, with their values in this layout
    deps: list[Path]                  # data read (code deps are computed from the imports)
    outs: list[Path] = field(default_factory=list)            # DVC-cached outputs (interim tables, the model)
    published: list[Path] = field(default_factory=list)       # committed outputs (tables, figures, report)
    metrics: list[Path] = field(default_factory=list)
    params: list[str] = field(default_factory=list)
    data_files: list[str] = field(default_factory=list)       # files inside the package the code reads

    @property
    def module(self) -> str:
        return f"pipeline.{self.name}"

    def argv(self) -> list[str]:
        return [str(a) for flag, value in self.flags.items() for a in (flag, value)]


FLAG_HELP = {
    "--statements": "folder of statement files (txt, md, html, pdf, docx)",
    "--manifest": "statement manifest CSV (optional)",
    "--register": "register of known meetings",
    "--series": "series naming rules",
    "--cities": "known cities",
    "--gazetteer": "states and organisations",
    "--codebook": "theme codebook",
    "--out": "output file or folder",
    "--interim": "folder of the Parquet tables between stages",
    "--tables": "folder of CSV tables",
    "--metrics": "metrics JSON",
    "--attendance": "attendance lists (the tag stage's CSV)",
    "--summary": "the trends stage's summary JSON",
    "--evaluation": "the evaluate stage's headline figures",
    "--figures": "folder of PNG and SVG figures",
    "--model": "the learned tagger (stage train)",
    "--duplicates": "table of statements that repeat another one",
}


def stages(L: Layout = Layout()) -> list[Stage]:
    """Every stage, in the order they run."""
    interim = [L.interim_table(n) for n in ("statements", "meetings", "paragraphs")]
    tagged = [L.interim_table(n) for n in ("sentences", "mentions", "people", "attendance", "attendance_checks",
                                          "term_counts")]
    trend_tables = [L.table(n) for n in ("theme_trends", "theme_shares", "entity_trends", "attendance_trends",
                                         "actor_themes", "emerging", "theme_evidence", "theme_compare")]
    topic_tables = [L.table(n) for n in ("discovered_topics", "topic_trends", "topic_sentences")]
    return [
        Stage("ingest", "Read statement files into clean statements, meetings and paragraphs with metadata.",
              flags={"--statements": L.statements, "--manifest": L.manifest, "--register": L.register,
                     "--series": L.series, "--cities": L.cities, "--out": L.interim,
                     "--metrics": L.metric("ingest"), "--duplicates": L.table("duplicates")},
              deps=[L.statements, L.manifest, L.register, L.series, L.cities], outs=interim,
              published=[L.table("duplicates")], metrics=[L.metric("ingest")],
              params=["ingest.header_min_share", "ingest.heading_max_words", "ingest.near_duplicate_threshold",
                      "ingest.keep_duplicates"]),
        Stage("train", "Train the learned sentence tagger (TF-IDF + logistic regression per theme) on the codebook "
                       "examples and gold.",
              flags={"--codebook": L.codebook, "--gazetteer": L.gazetteer, "--cities": L.cities, "--out": L.model},
              deps=[L.codebook, L.gazetteer, L.cities, L.gold], outs=[L.model],
              params=["evaluate.gold", "tag.trained_pipeline", "learned.threshold", "learned.c", "learned.folds",
                      "learned.join_min_precision", "learned.join_min_gain"]),
        Stage("tag", "Split sentences; tag states, organisations, people, places, dates and codebook themes; "
                     "extract attendance lists.",
              flags={"--interim": L.interim, "--gazetteer": L.gazetteer, "--cities": L.cities,
                     "--codebook": L.codebook, "--model": L.model, "--tables": L.tables, "--metrics": L.metric("tag")},
              deps=[L.interim_table("statements"), L.interim_table("paragraphs"), L.gazetteer, L.cities, L.codebook,
                    L.model],
              outs=tagged, published=[L.table(n) for n in ("attendance", "attendance_checks", "people")],
              metrics=[L.metric("tag")], params=["tag.trained_pipeline"]),
        Stage("evaluate", "Score theme tagging against each gold file in params (precision, recall, F1 per theme); "
                          "rules, model, both.",
              flags={"--gazetteer": L.gazetteer, "--cities": L.cities, "--codebook": L.codebook, "--model": L.model,
                     "--out": L.metric("evaluation"), "--tables": L.tables},
              deps=[L.model, L.codebook, L.gazetteer, L.cities, L.gold], metrics=[L.metric("evaluation")],
              published=[L.table("evaluation_per_theme"), L.table("evaluation_disagreements")],
              params=["evaluate.gold", "evaluate.bootstrap", "tag.trained_pipeline", "learned.threshold", "learned.combine_threshold",
                      "learned.c", "learned.folds"]),
        Stage("trends", "Tables across meetings (theme shares with Wilson intervals, entities, attendance, actors x "
                        "themes, what is new).",
              flags={"--interim": L.interim, "--attendance": L.table("attendance"), "--codebook": L.codebook,
                     "--gazetteer": L.gazetteer, "--tables": L.tables, "--metrics": L.metric("trends")},
              deps=[*interim, *tagged, L.table("attendance"), L.codebook, L.gazetteer],
              published=trend_tables, metrics=[L.metric("trends")],
              params=["trends.group_by", "trends.compare_by", "trends.compare_top", "trends.top_terms",
                      "trends.min_term_count"]),
        Stage("discover", "Topics in the sentences (TF-IDF on lemmas + NMF), their overlap with the codebook, "
                          "candidate themes.",
              flags={"--interim": L.interim, "--tables": L.tables},
              deps=[*tagged, L.interim_table("meetings"), L.interim_table("statements")], published=topic_tables,
              params=["discover.n_topics", "discover.min_df", "discover.max_df", "discover.seed",
                      "discover.candidate_overlap", "trends.group_by"]),
        Stage("compare", "What a codebook edit changed (compare.codebook_from): sentences gained and lost, shares "
                         "before and after.",
              flags={"--interim": L.interim, "--codebook": L.codebook, "--gazetteer": L.gazetteer,
                     "--cities": L.cities, "--tables": L.tables},
              deps=[*interim, *tagged, L.codebook, L.gazetteer, L.cities],
              published=[L.table("codebook_diff"), L.table("codebook_diff_shares")],
              params=["compare.codebook_from", "trends.group_by", "tag.trained_pipeline"]),
        Stage("charts", "Draw the trend tables as PNG and SVG figures in the project style.",
              flags={"--tables": L.tables, "--summary": L.metric("trends"), "--figures": L.figures},
              deps=[L.table("theme_trends"), L.table("attendance_trends"), L.table("actor_themes"), L.table("theme_compare"),
                    L.metric("trends")],
              published=[L.figures], params=["charts.source", "charts.top_actors"],
              data_files=["style/charts.mplstyle"]),
        Stage("report", "One self-contained HTML page (charts, tables, evidence sentences) that works offline.",
              flags={"--tables": L.tables, "--summary": L.metric("trends"), "--evaluation": L.metric("evaluation"),
                     "--interim": L.interim, "--figures": L.figures, "--out": L.report},
              deps=[*(L.table(n) for n in ("theme_trends", "attendance_trends", "actor_themes", "emerging",
                                           "theme_evidence", "duplicates", "theme_compare", "discovered_topics",
                                           "topic_sentences", "evaluation_per_theme", "codebook_diff",
                                           "codebook_diff_shares")),
                    L.metric("trends"), L.metric("evaluation"), L.interim_table("statements"), L.figures],
              published=[L.report], params=["report.title", "report.corpus_note", "report.evidence_per_cell"],
              data_files=["templates/report.html.j2"]),
    ]


def stage(name: str, L: Layout = Layout()) -> Stage:
    for s in stages(L):
        if s.name == name:
            return s
    raise KeyError(name)


# -- which code shapes a stage -------------------------------------------------------------------------------------

def _module_file(module: str) -> Path | None:
    parts = module.split(".")
    if parts[0] != "pipeline":
        return None
    base = ROOT.joinpath(*parts)
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


# An import statement at the start of a line (any indentation), with its parenthesised names
_IMPORT_LINE = re.compile(r"^[ \t]*(?:from[ \t]+[\w.]+[ \t]+import[ \t]*\([^)]*\)|(?:from[ \t]+[\w.]+[ \t]+)?import[ \t][^\n]*)",
                          re.MULTILINE)


def _import_statements(source: str) -> Iterator[ast.Import | ast.ImportFrom]:
    """Every import statement of a module, at any depth: each line that
    starts with one is parsed alone. Parsing only those lines instead of the
    whole file makes the code version -- which a rerun with nothing changed
    computes for every stage -- about 8x faster (every stage's files: 0.29 s
    -> 0.04 s), with the same result on this project's code (checked by a
    test); a line that only looks like an import (in a docstring) adds a
    dependency, never hides one."""
    for match in _IMPORT_LINE.finditer(source):
        try:
            tree = ast.parse(match.group(0).strip())
        except SyntaxError:
            continue
        yield from (node for node in tree.body if isinstance(node, (ast.Import, ast.ImportFrom)))


def _imports(path: Path, module: str) -> set[str]:
    """Project modules that ``module`` (at ``path``) imports, anywhere in the
    file (function-level imports count: they run too)."""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: set[str] = set()
    for node in _import_statements(path.read_text(encoding="utf-8")):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                prefix = ".".join(base + ([node.module] if node.module else []))
            else:
                prefix = node.module or ""
            found.add(prefix)
            found.update(f"{prefix}.{a.name}" for a in node.names)  # `from . import tag` names a module
    return {m for m in found if m.split(".")[0] == "pipeline" and _module_file(m)}


@cache
def import_closure(module: str) -> tuple[Path, ...]:
    """Every project source file that running ``module`` can execute: its
    own, what it imports, recursively, and the packages' __init__ files."""
    seen: dict[str, Path] = {}
    todo = [module]
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        path = _module_file(name)
        if path is None:
            continue
        seen[name] = path
        parts = name.split(".")
        todo += [".".join(parts[:i]) for i in range(1, len(parts))]  # parent packages run on import
        todo += sorted(_imports(path, name))
    return tuple(sorted(set(seen.values())))


def code_deps(s: Stage) -> list[Path]:
    """Source and data files of the package that shape a stage's outputs."""
    files = list(import_closure(s.module)) + [PACKAGE / f for f in s.data_files]
    return sorted(f.relative_to(ROOT) for f in files)


def run_stage(s: Stage, params_file: Path, *, stamps: Path | None = None, force: bool = False) -> bool:
    """Run a stage with a params file. With a ``stamps`` folder, skip it
    (unless ``force``) when nothing it reads (code, command line, its params,
    input files) changed since it last wrote its outputs, untouched; True
    when it ran."""
    import importlib

    from .core.params import load_params
    from .core.stamps import Stamps, file_states, fingerprint
    outputs = [*s.outs, *s.published, *s.metrics]
    if stamps is not None:
        params = load_params(params_file)
        values = {key: getattr(getattr(params, key.split(".")[0]), key.split(".")[1]) for key in s.params}
        inputs = fingerprint(code_version(s.module), s.argv(), values,
                             file_states([*s.deps, *(PACKAGE / f for f in s.data_files)]))
        if not force and Stamps(stamps).fresh(s.name, inputs, outputs):
            return False
    importlib.import_module(s.module).main(s.argv() + ["--params", str(params_file)])
    if stamps is not None:
        Stamps(stamps).record(s.name, inputs, outputs)
    return True


LIBRARIES = ("spacy", "spacy-lookups-data", "pandas", "pyarrow", "numpy", "scikit-learn", "pdfminer.six",
             "trafilatura", "python-docx", "datasketch")


def code_version(module: str, *extra: str) -> str:
    """A version for the results of ``module``: the bytes of every project file
    it can run, and the versions of the libraries that shape its results.
    Any edit to the code (or an upgrade) gives a new version: cache entries
    made by other code are never served."""
    h = hashlib.sha256()
    for path in import_closure(module):
        h.update(str(path.relative_to(ROOT)).encode())
        h.update(path.read_bytes())
    for lib in LIBRARIES:
        try:
            h.update(f"{lib}=={metadata.version(lib)}".encode())
        except metadata.PackageNotFoundError:
            h.update(f"{lib}: absent".encode())
    for item in extra:
        h.update(item.encode())
    return h.hexdigest()[:16]


def tag_cache(*, folder: str, gazetteer: Path, cities: Path, codebook: Path, trained: str = ""):
    """The tag stage's per-statement cache: the entity part versioned by all
    the code the stage runs, the gazetteers and the library versions; the
    theme part by the codebook on top of that. Shared by the tag stage and
    `compare`, which re-matches themes on the same cached entity parts."""
    from .core.tagstream import TagCache
    entity_version = code_version("pipeline.tag", gazetteer.read_text(encoding="utf-8"),
                                  cities.read_text(encoding="utf-8"), trained)
    theme_version = hashlib.sha256(codebook.read_bytes()).hexdigest()[:16]
    return TagCache(Path(folder) if folder else None, entity_version=entity_version, theme_version=theme_version)


# -- dvc.yaml -----------------------------------------------------------------------------------------------------

DVC_LAYOUT = Layout(statements=Path("${corpus.statements}"), manifest=Path("${corpus.manifest}"))

HEADER = """\
# GENERATED from pipeline/stages.py by `python -m pipeline.stages --write`: edit that file, not this one.
#
# The pipeline: statement files -> clean statements, meetings and paragraphs
# (ingest) -> sentences, entities, themes, people and attendance (tag) ->
# tables across meetings (trends) and topics the codebook may miss (discover) ->
# figures (charts) -> one HTML page (report); the learned tagger (train) and
# theme tagging scored against human labels (evaluate). Every path a stage reads
# or writes is in its cmd and in its deps/outs; knobs come from params.yaml.
# Run everything with `make run` (or `dvc repro` inside the .venv).
"""


def _dvc_stage(s: Stage) -> dict:
    entry: dict = {"desc": s.desc, "cmd": f"python -m {s.module} " + " ".join(s.argv())}
    entry["deps"] = [str(p) for p in code_deps(s)] + [str(p) for p in s.deps]
    if s.params:
        entry["params"] = list(s.params)
    # persist: DVC must not delete the previous outputs before the stage runs. Every stage writes its outputs
    # to temporary files and moves them into place only when all are done, so a failed run leaves them as they were.
    outs = [{str(p): {"persist": True}} for p in s.outs] + [{str(p): {"cache": False, "persist": True}}
                                                            for p in s.published]
    if outs:
        entry["outs"] = outs
    if s.metrics:
        entry["metrics"] = [{str(p): {"cache": False, "persist": True}} for p in s.metrics]
    return entry


def dvc_yaml(theme_ids: list[str]) -> str:
    L = DVC_LAYOUT
    body = {"stages": {s.name: _dvc_stage(s) for s in stages(L)}}
    plots = {"plots": [
        {"theme_share_by_meeting": {
            "template": "linear", "title": "Share of sentences mentioning each theme, meetings in time order",
            "x": "order", "x_label": "meeting (in time order; labels in theme_shares.csv)",
            "y_label": "share of sentences", "y": {str(L.table("theme_shares")): theme_ids}}},
        {"participants_by_meeting": {"template": "bar_horizontal", "x": "participants",
                                     "y": {str(L.table("attendance_trends")): "label"}}},
        {"sentences_by_actor_and_theme": {"template": "bar_horizontal", "x": "sentences",
                                          "y": {str(L.table("actor_themes")): "canonical_id"}}},
    ]}
    dump = lambda d: yaml.safe_dump(d, sort_keys=False, width=120, allow_unicode=True)  # noqa: E731
    return HEADER + dump(body) + "\n# Trend tables for `dvc plots show` / `dvc plots diff` (no project code needed).\n" \
        + dump(plots)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description="Write dvc.yaml from the stage declaration in pipeline/stages.py.")
    p.add_argument("--write", action="store_true", help="write dvc.yaml (default: print it)")
    p.add_argument("--codebook", type=Path, default=Layout().codebook, help="theme codebook (for the plot's lines)")
    args = p.parse_args(argv)
    book = load_yaml(args.codebook.read_text(encoding="utf-8"))  # only the ids: the stages check the rest
    text = dvc_yaml([theme["id"] for theme in book["themes"]])
    if args.write:
        (ROOT / "dvc.yaml").write_text(text, encoding="utf-8")
        print("dvc.yaml written", file=sys.stderr)
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    from . import _stage
    _stage.run(main)
