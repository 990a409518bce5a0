"""Stage `charts`: the trend tables drawn as PNG and SVG figures.

    python -m pipeline.charts --tables outputs/tables --figures outputs/figures ...
"""

from __future__ import annotations

import json

import pandas as pd

from . import _stage
from .core import charts
from .core.errors import PipelineError
from .core.io import write_all

TABLES = ("theme_trends", "attendance_trends", "actor_themes", "theme_compare")


def _bytes_writer(data: bytes):
    return lambda path: path.write_bytes(data)


def main(argv: list[str] | None = None) -> int:
    args = _stage.parser(__doc__.splitlines()[0], "charts").parse_args(argv)
    params = _stage.params(args).charts
    for name in TABLES:
        if not (args.tables / f"{name}.csv").exists():
            raise PipelineError(f"{args.tables / name}.csv: not found: run the trends stage first (`dvc repro trends`)")
    t = {name: pd.read_csv(args.tables / f"{name}.csv", keep_default_na=False, na_values=[""]) for name in TABLES}
    summary = json.loads(args.summary.read_text(encoding="utf-8"))
    note = (f"Source: {params.source}; {summary['statements']:,} statement{'s' if summary['statements'] != 1 else ''}, "
            f"{summary['sentences']:,} sentences. Themes tagged by the project codebook (corpus/codebook.yaml); "
            f"evidence sentences in {args.tables.name}/theme_evidence.csv.")
    themes = t["theme_trends"].drop_duplicates("theme").set_index("theme")["theme_label"].to_dict()
    groups = charts.groups_of(t["theme_trends"])
    n = len(groups)
    unit = {"year": "year", "series": "series", "speaker": "speaker", "party": "party"}.get(summary.get("group_by"),
                                                                                          "meeting")
    figures = {}
    with charts.styled():
        fig = charts.new_figure(min(16.0, max(8.0, 3.0 + 0.45 * n)), 6.5)  # wider with more groups, up to a page
        charts.theme_heatmap(fig.add_subplot(), t["theme_trends"], unit=unit)
        figures["theme_heatmap"] = fig
        fig = charts.new_figure(12, 10)
        charts.theme_lines(fig, t["theme_trends"], unit=unit)
        figures["theme_lines"] = fig
        if not t["attendance_trends"].empty:  # no participant lists in the corpus: no chart to draw
            fig = charts.new_figure(min(16.0, max(8.0, 3.0 + 0.6 * n)), 5.5)
            charts.attendance_bars(fig.add_subplot(), t["attendance_trends"], groups)
            figures["attendance"] = fig
        fig = charts.new_figure(11, 7.5)
        charts.actor_theme_matrix(fig.add_subplot(), t["actor_themes"], themes, top=params.top_actors)
        figures["actor_themes"] = fig
        if not t["theme_compare"].empty:
            fig = charts.new_figure(12, 8.5)
            charts.theme_compare_lines(fig, t["theme_compare"], by=summary.get("compare_by") or "value", unit=unit)
            figures["theme_compare"] = fig
        writers = {}
        for name, fig in figures.items():
            charts.source_note(fig, note)
            for fmt, data in charts.save(fig).items():
                writers[args.figures / f"{name}.{fmt}"] = _bytes_writer(data)
    write_all(writers)
    for old in sorted(args.figures.glob("*")):  # a figure this run did not draw (no longer has data) is removed
        if old.suffix in (".png", ".svg") and old not in writers:
            old.unlink()
    _stage.log(f"charts: {len(figures)} figures ({n} {unit} groups) as PNG and SVG in {args.figures}")
    return 0


if __name__ == "__main__":
    _stage.run(main)
