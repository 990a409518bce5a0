"""Stage `report`: one self-contained HTML page with the charts, tables and evidence.

    python -m pipeline.report --tables outputs/tables --figures outputs/figures --out outputs/report.html ...
"""

from __future__ import annotations

import json

import pandas as pd

from . import _stage
from .core.errors import PipelineError
from .core.io import text_writer, write_all
from .core.layout import link_from
from .core.report import build_report

TABLES = ("theme_trends", "attendance_trends", "actor_themes", "emerging", "theme_evidence", "duplicates",
          "theme_compare", "discovered_topics", "topic_sentences", "evaluation_per_theme", "codebook_diff",
          "codebook_diff_shares")
FIGURES = {
    "theme_heatmap": "Share of each group's sentences that mention each theme.",
    "theme_lines": "Theme shares over time, with 95% Wilson intervals.",
    "attendance": "Participants listed in each meeting's statement, by role.",
    "actor_themes": "States and organisations named in the same sentence as a theme.",
    "theme_compare": "The themes with most sentences, compared across the values of trends.compare_by.",
}
DRAWN_WHEN_DATA = {"attendance": "attendance_trends", "theme_compare": "theme_compare"}


def main(argv: list[str] | None = None) -> int:
    args = _stage.parser(__doc__.splitlines()[0], "report").parse_args(argv)
    params = _stage.params(args).report
    statements_path = args.interim / "statements.parquet"
    needed = [args.tables / f"{t}.csv" for t in TABLES] + [args.figures / f"{f}.svg" for f in FIGURES
                                                          if f not in DRAWN_WHEN_DATA]
    for path in needed + [args.summary, args.evaluation, statements_path]:
        if not path.exists():
            raise PipelineError(f"{path}: not found: run the earlier stages first (`dvc repro`)")
    read = lambda path: pd.read_csv(path, keep_default_na=False, na_values=[""])  # noqa: E731
    tables = {t: read(args.tables / f"{t}.csv") for t in TABLES}
    statements = pd.read_parquet(statements_path, columns=["path", "title", "series", "start_date", "city", "status"])
    summary = json.loads(args.summary.read_text(encoding="utf-8"))
    figures = {name: (caption, (args.figures / f"{name}.svg").read_text(encoding="utf-8"))
               for name, caption in FIGURES.items()
               if name not in DRAWN_WHEN_DATA or not tables[DRAWN_WHEN_DATA[name]].empty}
    links = {name: link_from(args.out, args.tables / f"{name}.csv")
             for name in ("theme_evidence", "discovered_topics", "actor_themes", "theme_compare")}
    links["statements"] = link_from(args.out, statements_path)
    links["evaluation_per_theme"] = link_from(args.out, args.tables / "evaluation_per_theme.csv")
    links["codebook_diff"] = link_from(args.out, args.tables / "codebook_diff.csv")
    links.update({f"{name}.{fmt}": link_from(args.out, args.figures / f"{name}.{fmt}")
                  for name in figures for fmt in ("png", "svg")})
    page = build_report(title=params.title, corpus_note=params.corpus_note, summary=summary, tables=tables,
                        statements=statements, figures=figures, links=links, per_cell=params.evidence_per_cell,
                        evaluation=json.loads(args.evaluation.read_text(encoding="utf-8")))
    write_all({args.out: text_writer(page)})
    _stage.log(f"report: {args.out} ({len(page) / 1e6:.1f} MB)")
    return 0


if __name__ == "__main__":
    _stage.run(main)
