"""The UN General Debate statements by Bali Process members (952 speeches,
2002-2024; ../shared, skipped where absent): imported into the corpus format
and run through every stage."""

from __future__ import annotations

import pandas as pd
import pytest

from pipeline import import_ungdc, run_corpus

from .conftest import PARAMS, shared_path

pytestmark = [pytest.mark.shared, pytest.mark.slow]


@pytest.fixture(scope="module")
def ungdc_run(tmp_path_factory):
    source = shared_path("ungdc", "bali-members-2002-2024")
    work = tmp_path_factory.mktemp("ungdc")
    assert import_ungdc.main([str(source), "--out", str(work / "corpus")]) == 0
    assert run_corpus.main([str(work / "corpus/statements"), "--manifest", str(work / "corpus/statements.csv"),
                            "--out", str(work / "run"), "--params", str(PARAMS),
                            "--set", "charts.source=UN General Debate Corpus"]) == 0
    return work / "run"


def test_every_speech_is_ingested_and_tagged(ungdc_run):
    statements = pd.read_parquet(ungdc_run / "interim/statements.parquet", columns=["statement_id", "status"])
    sentences = pd.read_parquet(ungdc_run / "interim/sentences.parquet", columns=["statement_id"])
    assert len(statements) == 952 and (statements.status == "ok").all()
    assert set(sentences.statement_id) == set(statements.statement_id)


def test_tag_finds_the_speaking_state_in_nearly_every_speech(ungdc_run):
    statements = pd.read_parquet(ungdc_run / "interim/statements.parquet", columns=["statement_id", "speaker"])
    mentions = pd.read_parquet(ungdc_run / "interim/mentions.parquet")
    named = mentions[mentions.label == "STATE"].groupby("statement_id").canonical_id.agg(set)
    found = [speaker in named.get(sid, set()) for sid, speaker in zip(statements.statement_id, statements.speaker)]
    assert sum(found) / len(found) >= 0.97


def test_each_session_is_one_meeting_and_trafficking_is_visible_year_by_year(ungdc_run):
    tt = pd.read_csv(ungdc_run / "tables/theme_trends.csv")
    sessions = tt.drop_duplicates("group_id").sort_values("order")
    assert list(sessions.start_date.astype(str)) == [str(y) for y in range(2002, 2025)]
    assert (sessions.statements >= 35).all()
    trafficking = tt[tt.theme == "trafficking"]
    assert (trafficking.sentences_with_theme > 0).all()
    assert ((trafficking.share_low < trafficking.share) & (trafficking.share < trafficking.share_high)).all()


def test_the_run_draws_the_2002_2024_trend_chart_and_the_report(ungdc_run):
    shares = pd.read_csv(ungdc_run / "tables/theme_shares.csv")  # the table the line chart draws
    assert list(shares.start_date) == list(range(2002, 2025))
    for name in ("theme_lines", "theme_heatmap"):
        assert (ungdc_run / f"figures/{name}.png").stat().st_size > 50_000
        assert (ungdc_run / f"figures/{name}.svg").stat().st_size > 50_000
    page = (ungdc_run / "report.html").read_text()
    assert "23</b> meetings" in page and "UN General Debate 79" in page
