"""The trends, charts and report stages on the project's own corpus (the seed statement)."""

from __future__ import annotations

import re

import pandas as pd
import pytest

from pipeline import charts, report
from pipeline.core.errors import PipelineError
from pipeline.core.codebook import load_codebook

from .conftest import ROOT

THEMES = load_codebook(ROOT / "corpus/codebook.yaml").ids()


def table(run, name: str) -> pd.DataFrame:
    return pd.read_csv(run / "tables" / f"{name}.csv", keep_default_na=False, na_values=[""])


def test_the_seed_reports_four_meetings_each_with_a_row_per_theme(seed_run):
    tt = table(seed_run, "theme_trends")
    assert tt.groupby("group_id").size().to_dict() == {g: len(THEMES) for g in tt.group_id.unique()}
    assert list(tt.drop_duplicates("group_id").sort_values("order").label) == [
        "WG-TIP 11", "Eleventh Annual Meeting", "Joint Regional Event", "Site visits"]
    assert (tt.sentences_with_theme <= tt.sentences).all()
    assert ((tt.share_low <= tt.share) & (tt.share <= tt.share_high)).all()
    assert tt.sentences.drop_duplicates().sum() > 0 and 0 in set(tt.sentences_with_theme)


def test_who_raises_what_pairs_fiji_with_fishing_and_the_philippines_with_scam_centres(seed_run):
    pairs = set(zip(table(seed_run, "actor_themes").canonical_id, table(seed_run, "actor_themes").theme))
    assert {("FJI", "fishing"), ("PHL", "scam_centres")} <= pairs


def test_every_theme_count_is_backed_by_as_many_evidence_sentences(seed_run):
    tt = table(seed_run, "theme_trends")
    evidence = table(seed_run, "theme_evidence")
    counted = evidence.groupby(["group_id", "theme"]).sentence_id.nunique()
    for row in tt[tt.sentences_with_theme > 0].itertuples():
        assert counted[(row.group_id, row.theme)] == row.sentences_with_theme
    assert len(evidence.groupby(["group_id", "theme"])) == (tt.sentences_with_theme > 0).sum()


def test_attendance_trends_count_the_seed_participants_by_role(seed_run):
    roles = table(seed_run, "attendance_trends").set_index("role").participants.to_dict()
    assert roles == {"civil society": 7, "member": 17, "member as observer": 12, "observer": 3, "other": 5}


def test_charts_are_written_as_png_and_svg_and_are_byte_identical_on_a_rerun(seed_run, tmp_path):
    names = ["actor_themes", "attendance", "theme_heatmap", "theme_lines"]
    assert sorted(p.name for p in (seed_run / "figures").iterdir()) == sorted(
        f"{n}.{ext}" for n in names for ext in ("png", "svg"))
    assert charts.main(["--tables", str(seed_run / "tables"), "--summary", str(seed_run / "metrics/trends.json"),
                        "--figures", str(tmp_path), "--params", str(seed_run / "params.yaml")]) == 0
    for path in (seed_run / "figures").iterdir():
        assert (tmp_path / path.name).read_bytes() == path.read_bytes(), path.name


def test_the_report_is_one_file_that_links_every_count_to_its_evidence(seed_run):
    page = (seed_run / "report.html").read_text(encoding="utf-8")
    assert not re.search(r"""(src|href)=["']?(https?:|//)""", page), "the report must not load anything from the web"
    assert "<script" not in page and page.count("<svg") == 4
    tt = table(seed_run, "theme_trends")
    links = set(re.findall(r'href="#(ev-[^"]+)"', page))
    ids = set(re.findall(r'id="(ev-[^"]+)"', page))
    assert len(links) == (tt.sentences_with_theme > 0).sum() and links <= ids
    assert page.count("<mark>") >= len(table(seed_run, "theme_evidence").drop_duplicates("sentence_id"))
    assert "fishing industry" in page and "Fiji presented" in page


def test_a_stage_run_before_its_inputs_exist_says_which_stage_to_run(tmp_path):
    with pytest.raises(PipelineError, match="run the trends stage first"):
        charts.main(["--tables", str(tmp_path), "--figures", str(tmp_path / "f")])
    with pytest.raises(PipelineError, match="run the earlier stages first"):
        report.main(["--tables", str(tmp_path), "--out", str(tmp_path / "r.html")])
