"""Run ingest -> tag -> trends -> discover -> charts -> report on any corpus folder, into a separate output folder.

    python -m pipeline.run_corpus STATEMENTS_DIR --manifest statements.csv --out outputs/ungdc \
        --set charts.source="UN General Debate Corpus"

The project's own outputs/ are not touched. Params come from params.yaml with any --set overrides
(written to OUT/params.yaml, so the run can be repeated exactly).
"""

from __future__ import annotations

import time
from pathlib import Path

import yaml

from . import _stage, charts, discover, ingest, report, tag, trends
from .core.errors import PipelineError


def apply_overrides(params: dict, assignments: list[str]) -> dict:
    """'section.key=value' pairs over the params: numbers and booleans as
    such, lists and mappings only when written in brackets, text otherwise."""
    for item in assignments:
        key, sep, value = item.partition("=")
        section, dot, name = key.partition(".")
        if not sep or not dot or not name:
            raise PipelineError(f"--set {item!r}: write section.key=value, e.g. trends.group_by=year")
        parsed = yaml.safe_load(value) if value.strip() else ""
        if isinstance(parsed, (dict, list)) and not value.lstrip().startswith(("{", "[")):
            parsed = value  # 'Title: subtitle' is text, not a mapping
        params.setdefault(section, {})[name] = parsed
    return params


def stage_commands(statements: Path, manifest: Path, out: Path) -> list[tuple[str, object, list[str]]]:
    interim, tables, metrics = out / "interim", out / "tables", out / "metrics"
    return [
        ("ingest", ingest.main, ["--statements", str(statements), "--manifest", str(manifest), "--out", str(interim),
                                 "--metrics", str(metrics / "ingest.json")]),
        ("tag", tag.main, ["--interim", str(interim), "--tables", str(tables), "--metrics", str(metrics / "tag.json")]),
        ("trends", trends.main, ["--interim", str(interim), "--attendance", str(tables / "attendance.csv"),
                                 "--tables", str(tables), "--metrics", str(metrics / "trends.json")]),
        ("discover", discover.main, ["--interim", str(interim), "--tables", str(tables)]),
        ("charts", charts.main, ["--tables", str(tables), "--summary", str(metrics / "trends.json"),
                                 "--figures", str(out / "figures")]),
        ("report", report.main, ["--tables", str(tables), "--summary", str(metrics / "trends.json"),
                                 "--statements", str(interim / "statements.parquet"), "--figures", str(out / "figures"),
                                 "--out", str(out / "report.html")]),
    ]


def main(argv: list[str] | None = None) -> int:
    p = _stage.parser(__doc__.splitlines()[0])
    p.add_argument("statements", type=Path, help="folder of statement files")
    p.add_argument("--manifest", type=Path, default=None, help="manifest CSV (default: none)")
    p.add_argument("--out", type=Path, required=True, help="output folder (interim/, tables/, figures/, report.html)")
    p.add_argument("--set", dest="overrides", action="append", default=[], metavar="SECTION.KEY=VALUE",
                   help="override a params.yaml value (repeatable)")
    args = p.parse_args(argv)
    params = yaml.safe_load(args.params.read_text(encoding="utf-8")) if args.params.exists() else {}
    params = apply_overrides(params or {}, args.overrides)
    args.out.mkdir(parents=True, exist_ok=True)
    run_params = args.out / "params.yaml"
    run_params.write_text(yaml.safe_dump(params, sort_keys=False, allow_unicode=True), encoding="utf-8")
    manifest = args.manifest or args.out / "no-manifest.csv"
    for name, stage_main, stage_args in stage_commands(args.statements, manifest, args.out):
        started = time.perf_counter()
        stage_main(stage_args + ["--params", str(run_params)])
        _stage.log(f"run_corpus: {name} done in {time.perf_counter() - started:.1f} s")
    _stage.log(f"run_corpus: report at {args.out / 'report.html'}")
    return 0


if __name__ == "__main__":
    _stage.run(main)
