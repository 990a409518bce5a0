"""Export the tagged corpus for the programs researchers code text in.

    python -m pipeline.export qdpx --out outputs/local/corpus.qdpx     # REFI-QDA: NVivo, ATLAS.ti, MAXQDA, QualCoder
    python -m pipeline.export quanteda --out outputs/local/themes.yml   # the codebook's word lists for quanteda
    python -m pipeline.export liwc --out outputs/local/themes.dic       # ... as a LIWC-style dictionary
    python -m pipeline.export import-dictionary published.yml --out outputs/local/published-codebook.yaml

Every export is checked against the REFI-QDA schema (QDA-XML 1.0) before it is written.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pandas as pd

from . import _stage
from .core.codebook import load_codebook
from .core.errors import PipelineError
from .core.io import write_all
from .core.layout import Layout
from .core.qdpx import project_xml, qdpx_bytes, validate

L = Layout()


def qdpx(args) -> int:
    for name in ("statements", "meetings", "sentences", "mentions"):
        if not (args.interim / f"{name}.parquet").exists():
            raise PipelineError(f"{args.interim / name}.parquet: not found: run the pipeline first (`make run`)")
    book = load_codebook(args.codebook)
    statements = pd.read_parquet(args.interim / "statements.parquet",
                                 columns=["statement_id", "path", "status", "series", "start_date", "speaker", "party",
                                          "text"])
    statements = statements[statements["status"] == "ok"].copy()
    meetings = pd.read_parquet(args.interim / "meetings.parquet", columns=["meeting_id", "statement_id", "level",
                                                                         "title"])
    whole = meetings[meetings["level"] == "statement"].drop_duplicates("statement_id")
    statements["meeting"] = statements["statement_id"].map(dict(zip(whole["statement_id"], whole["title"])))
    sentences = pd.read_parquet(args.interim / "sentences.parquet", columns=["sentence_id", "start"])
    mentions = pd.read_parquet(args.interim / "mentions.parquet",
                               columns=["sentence_id", "statement_id", "kind", "label", "start", "end", "source"])
    mentions = mentions[mentions["kind"] == "theme"].merge(sentences.rename(columns={"start": "offset"}),
                                                           on="sentence_id")
    mentions["start"] += mentions["offset"]
    mentions["end"] += mentions["offset"]
    themes = [(t.id, t.label, t.definition, t.parent) for t in book.themes]
    project = project_xml(name=args.name, themes=themes, statements=statements, mentions=mentions)
    problems = validate(project)
    if problems:
        raise PipelineError(f"{args.out}: the export breaks the REFI-QDA schema: {problems[0]} (a bug: please report)")
    data = qdpx_bytes(project, dict(zip(statements["statement_id"], statements["text"])))
    write_all({args.out: lambda path: path.write_bytes(data)})
    _stage.log(f"export: {len(statements)} sources, {len(themes)} codes, {len(mentions)} coded selections -> {args.out}")
    return 0


def dictionary(args) -> int:
    from .core.dictionaries import liwc_dic, quanteda_yaml
    text, notes = (quanteda_yaml if args.command == "quanteda" else liwc_dic)(load_codebook(args.codebook))
    write_all({args.out: lambda path: path.write_text(text, encoding="utf-8")})
    _stage.log(f"export: {args.out}; {len(notes)} codebook rules or patterns do not translate"
               + (" (listed at the top of the file)" if args.command == "quanteda" else ":"))
    if args.command == "liwc":
        for note in notes:
            _stage.log(f"  {note}")
    return 0


def import_dictionary(args) -> int:
    import tempfile

    import yaml

    from .core.dictionaries import read_liwc, read_quanteda
    reader = read_liwc if args.file.suffix.lower() == ".dic" else read_quanteda
    if not args.file.is_file():
        raise PipelineError(f"{args.file}: no such file")
    book = reader(args.file)
    text = (f"# Imported from {args.file.name} by `python -m pipeline.export import-dictionary`.\n"
            + yaml.safe_dump(book, sort_keys=False, allow_unicode=True, width=120))
    with tempfile.TemporaryDirectory() as tmp:  # checked like any codebook before it is written
        probe = Path(tmp) / "codebook.yaml"
        probe.write_text(text, encoding="utf-8")
        load_codebook(probe)
    write_all({args.out: lambda path: path.write_text(text, encoding="utf-8")})
    _stage.log(f"export: {len(book['themes'])} themes from {args.file} -> {args.out} (run it with "
               f"`python -m pipeline.run_corpus ... --codebook {args.out}`)")
    return 0


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="command", required=True)
    q = sub.add_parser("qdpx", help="a REFI-QDA project (.qdpx) of the statements, themes and theme codings")
    q.add_argument("--out", type=Path, required=True, help="the .qdpx file")
    q.add_argument("--interim", type=Path, default=L.interim, help="the tagged corpus")
    q.add_argument("--codebook", type=Path, default=L.codebook, help="theme codebook")
    q.add_argument("--name", default="Bali Process themes", help="project name shown by the QDA program")
    for kind, what in (("quanteda", "a quanteda YAML dictionary"), ("liwc", "a LIWC-style .dic")):
        d = sub.add_parser(kind, help=f"the codebook's word lists as {what}")
        d.add_argument("--out", type=Path, required=True, help="the dictionary file")
        d.add_argument("--codebook", type=Path, default=L.codebook, help="theme codebook")
    i = sub.add_parser("import-dictionary", help="a quanteda YAML or LIWC .dic dictionary as a codebook")
    i.add_argument("file", type=Path, help="the dictionary (.yml/.yaml or .dic)")
    i.add_argument("--out", type=Path, required=True, help="the codebook to write")
    args = p.parse_args(argv)
    return {"qdpx": qdpx, "quanteda": dictionary, "liwc": dictionary,
            "import-dictionary": import_dictionary}[args.command](args)


if __name__ == "__main__":
    _stage.run(lambda argv: main(argv if argv is not None else sys.argv[1:]))
