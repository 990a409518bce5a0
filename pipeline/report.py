"""Stage `report`: one self-contained HTML page with the charts, tables and evidence.

    python -m pipeline.report --tables outputs/tables --figures outputs/figures --out outputs/report.html ...
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from . import _stage
from .core.errors import PipelineError
from .core.io import text_writer, write_all
from .core.report import build_report

TABLES = ("theme_trends", "attendance_trends", "actor_themes", "emerging", "theme_evidence", "discovered_topics",
          "topic_sentences")
FIGURES = {
    "theme_heatmap": "Share of each meeting's sentences that mention each theme.",
    "theme_lines": "Theme shares over time, with 95% Wilson intervals.",
    "attendance": "Participants listed in each meeting's statement, by role.",
    "actor_themes": "States and organisations named in the same sentence as a theme.",
}


def main(argv: list[str] | None = None) -> int:
    p = _stage.parser(__doc__.splitlines()[0])
    p.add_argument("--tables", type=Path, default=Path("outputs/tables"), help="the trends stage's CSVs")
    p.add_argument("--summary", type=Path, default=Path("outputs/metrics/trends.json"), help="the trends summary")
    p.add_argument("--statements", type=Path, default=Path("outputs/interim/statements.parquet"),
                   help="the ingest stage's statements")
    p.add_argument("--figures", type=Path, default=Path("outputs/figures"), help="the charts stage's SVG files")
    p.add_argument("--out", type=Path, default=Path("outputs/report.html"), help="the report")
    args = p.parse_args(argv)
    params = _stage.load_params(args.params, "report")
    needed = [args.tables / f"{t}.csv" for t in TABLES] + [args.figures / f"{f}.svg" for f in FIGURES]
    for path in needed + [args.summary, args.statements]:
        if not path.exists():
            raise PipelineError(f"{path}: not found: run the earlier stages first (`dvc repro`)")
    tables = {t: pd.read_csv(args.tables / f"{t}.csv", keep_default_na=False, na_values=[""]) for t in TABLES}
    statements = pd.read_parquet(args.statements, columns=["path", "title", "series", "start_date", "city", "status"])
    figures = {name: (caption, (args.figures / f"{name}.svg").read_text(encoding="utf-8"))
               for name, caption in FIGURES.items()}
    page = build_report(title=str(params.get("title", "Themes across meetings")),
                        corpus_note=str(params.get("corpus_note", "")),
                        summary=json.loads(args.summary.read_text(encoding="utf-8")), tables=tables,
                        statements=statements, figures=figures, per_cell=int(params.get("evidence_per_cell", 20)))
    write_all({args.out: text_writer(page)})
    _stage.log(f"report: {args.out} ({len(page) / 1e6:.1f} MB)")
    return 0


if __name__ == "__main__":
    _stage.run(main)
