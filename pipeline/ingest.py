"""Stage `ingest`: statement files -> statements, meetings and paragraphs.

    python -m pipeline.ingest --statements corpus/statements --manifest corpus/statements.csv ...
"""

from __future__ import annotations

import csv
from collections import Counter
from importlib import metadata
from pathlib import Path

import yaml

from . import _stage
from .core.errors import PipelineError  # re-exported for callers
from .core.cache import JsonStore, fingerprint
from .core.io import json_writer, parquet_writer, write_all
from .core.manifest import load_manifest, load_register
from .core.statements import IngestRules, ingest_corpus


READERS = ("pdfminer.six", "trafilatura", "python-docx")  # their versions shape the text read from files
INGEST_CODE = [Path(__file__).parent / "core" / f for f in
               ("statements.py", "clean.py", "extract.py", "metadata.py", "manifest.py", "records.py")]


def load_rules(*, series: Path, cities: Path, register: Path, params: dict) -> IngestRules:
    try:
        series_rules = yaml.safe_load(series.read_text(encoding="utf-8")) or []
    except (OSError, yaml.YAMLError) as err:
        raise PipelineError(f"{series}: cannot read series rules: {err}") from err
    for i, rule in enumerate(series_rules, start=1):
        if not isinstance(rule, dict) or not rule.get("series") or not isinstance(rule.get("patterns"), list):
            raise PipelineError(f"{series}: entry {i} needs 'series' and a list of 'patterns'")
    with cities.open(encoding="utf-8", newline="") as f:
        city_table = {row["city"]: row["country"] for row in csv.DictReader(f)}
    return IngestRules(series=series_rules, cities=city_table, register=load_register(register),
                       header_min_share=float(params.get("header_min_share", 0.5)),
                       heading_max_words=int(params.get("heading_max_words", 25)))


def main(argv: list[str] | None = None) -> int:
    p = _stage.parser(__doc__.splitlines()[0])
    p.add_argument("--statements", type=Path, default=Path("corpus/statements"), help="folder of statement files")
    p.add_argument("--manifest", type=Path, default=Path("corpus/statements.csv"), help="statement manifest CSV")
    p.add_argument("--register", type=Path, default=Path("corpus/meetings.csv"), help="register of known meetings")
    p.add_argument("--series", type=Path, default=Path("corpus/series.yaml"), help="series naming rules")
    p.add_argument("--cities", type=Path, default=Path("corpus/gazetteer/cities.csv"), help="known cities")
    p.add_argument("--out", type=Path, default=Path("outputs/interim"), help="folder for the Parquet tables")
    p.add_argument("--metrics", type=Path, default=Path("outputs/metrics/ingest.json"), help="counts JSON")
    args = p.parse_args(argv)
    if not args.statements.is_dir():
        raise PipelineError(f"{args.statements}: no such folder: pass --statements with the folder of statement files")
    rules = load_rules(series=args.series, cities=args.cities, register=args.register,
                       params=_stage.load_params(args.params, "ingest"))
    params = _stage.load_params(args.params, "ingest")
    folder = params.get("cache_dir", ".cache/ingest")
    version = fingerprint([args.series, args.cities, args.register, *INGEST_CODE], str(rules.header_min_share),
                          str(rules.heading_max_words), *(metadata.version(lib) for lib in READERS))
    result = ingest_corpus(args.statements, load_manifest(args.manifest), rules=rules,
                           progress=lambda xs: _stage.progress(xs, desc="ingest", unit="file"),
                           cache=JsonStore(Path(folder) / version) if folder else None)
    for message in result.messages:
        _stage.log(message)
    st = result.statements
    metrics = {
        "statements": {"total": len(st), **{k: int(v) for k, v in sorted(Counter(st["status"]).items())}},
        "by_format": {fmt: {k: int(v) for k, v in sorted(Counter(g["status"]).items())}
                      for fmt, g in sorted(st.groupby("format"), key=lambda kv: kv[0])},
        "meetings": len(result.meetings),
        "paragraphs": len(result.paragraphs),
        "words": int(st["n_words"].sum()),
    }
    write_all({
        args.out / "statements.parquet": parquet_writer(st),
        args.out / "meetings.parquet": parquet_writer(result.meetings),
        args.out / "paragraphs.parquet": parquet_writer(result.paragraphs),
        args.metrics: json_writer(metrics),
    })
    _stage.log(f"ingest: {metrics['statements']} -> {len(result.meetings)} meetings, "
               f"{len(result.paragraphs)} paragraphs in {args.out}")
    return 0


if __name__ == "__main__":
    _stage.run(main)
