"""One layout for every path, and links relative to the page that holds them."""

from __future__ import annotations

from pathlib import Path

from pipeline.core.layout import Layout, link_from


def test_a_run_elsewhere_moves_every_output_and_keeps_the_project_inputs():
    layout = Layout.under(Path("/runs/un"), statements=Path("/data/un"))
    assert layout.table("theme_trends") == Path("/runs/un/tables/theme_trends.csv")
    assert layout.interim_table("sentences") == Path("/runs/un/interim/sentences.parquet")
    assert layout.report == Path("/runs/un/report.html")
    assert layout.statements == Path("/data/un") and layout.codebook == Layout().codebook


def test_links_are_relative_to_the_folder_of_the_page():
    assert link_from(Path("/runs/un/report.html"), Path("/runs/un/tables/a.csv")) == "tables/a.csv"
    assert link_from(Path("/runs/un/report.html"), Path("/elsewhere/a.csv")) == "../../elsewhere/a.csv"
