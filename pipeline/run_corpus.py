"""Run every stage (ingest -> tag -> train -> evaluate -> trends -> discover -> charts -> report) on any corpus folder, into a separate output folder.

    python -m pipeline.run_corpus STATEMENTS_DIR --manifest statements.csv --out outputs/ungdc \
        --set charts.source="UN General Debate Corpus"

The project's own outputs/ are not touched. The stages and their order are those of dvc.yaml (both come
from pipeline/stages.py). Params come from params.yaml with any --set overrides, checked, and written to
OUT/params.yaml, so the run can be repeated exactly. A rerun into the same --out skips every stage
whose code, params and input files are unchanged since it last ran (stamps in OUT/.stamps/), as
`dvc repro` does for the project's own pipeline.
"""

from __future__ import annotations

import time
from pathlib import Path

import yaml

from . import _stage
from .core.errors import PipelineError
from .core.io import text_writer, write_all
from .core.layout import Layout
from .core.params import Params, dump_params, load_params, parse_params
from .stages import run_stage, stages


def apply_overrides(params: Params, assignments: list[str]) -> Params:
    """'section.key=value' pairs over the params: numbers and booleans as
    such, lists and mappings only when written in brackets, text otherwise.
    The result is checked like a params file."""
    data = params.model_dump()
    for item in assignments:
        key, sep, value = item.partition("=")
        section, dot, name = key.partition(".")
        if not sep or not dot or not name:
            raise PipelineError(f"--set {item!r}: write section.key=value, e.g. trends.group_by=year")
        try:
            parsed = yaml.safe_load(value) if value.strip() else ""
        except yaml.YAMLError:
            parsed = value
        if isinstance(parsed, (dict, list)) and not value.lstrip().startswith(("{", "[")):
            parsed = value  # 'Title: subtitle' is text, not a mapping
        if parsed is None:
            parsed = value
        data.setdefault(section, {})
        if not isinstance(data[section], dict):
            raise PipelineError(f"--set {item!r}: {section} is not a params section")
        data[section][name] = parsed
    return parse_params(data, source="--set")


def main(argv: list[str] | None = None) -> int:
    p = _stage.parser(__doc__.splitlines()[0])
    p.add_argument("statements", type=Path, help="folder of statement files")
    p.add_argument("--manifest", type=Path, default=None, help="manifest CSV (default: none)")
    p.add_argument("--codebook", type=Path, default=None, help="theme codebook (default: the project's)")
    p.add_argument("--out", type=Path, required=True, help="output folder (interim/, tables/, figures/, report.html)")
    p.add_argument("--set", dest="overrides", action="append", default=[], metavar="SECTION.KEY=VALUE",
                   help="override a params.yaml value (repeatable)")
    p.add_argument("--force", action="store_true",
                   help="run every stage even when nothing it reads changed since its last run into --out")
    args = p.parse_args(argv)
    if not args.statements.is_dir():
        raise PipelineError(f"{args.statements}: no such folder: give the folder of statement files")
    params = apply_overrides(load_params(args.params), args.overrides)
    run_params = args.out / "params.yaml"
    write_all({run_params: text_writer(dump_params(params))})
    layout = Layout.under(args.out, statements=args.statements, manifest=args.manifest or args.out / "no-manifest.csv",
                          **({"codebook": args.codebook} if args.codebook else {}))
    for stage in stages(layout):
        started = time.perf_counter()
        ran = run_stage(stage, run_params, stamps=args.out / ".stamps", force=args.force)
        _stage.log(f"run_corpus: {stage.name} done in {time.perf_counter() - started:.1f} s" if ran else
                   f"run_corpus: {stage.name} skipped: nothing it reads changed since its last run (--force to rerun)")
    _stage.log(f"run_corpus: report at {layout.report}")
    return 0


if __name__ == "__main__":
    _stage.run(main)
