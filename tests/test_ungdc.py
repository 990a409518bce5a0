"""The tag stage over the 952 UN General Debate statements by Bali Process
members (../shared; skipped where absent)."""

from __future__ import annotations

import pandas as pd
import pytest

from pipeline import ingest, tag

from .conftest import ROOT, shared_path

pytestmark = [pytest.mark.shared, pytest.mark.slow]


@pytest.fixture(scope="module")
def ungdc_run(tmp_path_factory):
    corpus = shared_path("ungdc", "bali-members-2002-2024")
    out = tmp_path_factory.mktemp("ungdc")
    assert ingest.main(["--statements", str(corpus), "--manifest", str(out / "none.csv"), "--out", str(out / "interim"),
                        "--metrics", str(out / "ingest.json"), "--params", str(ROOT / "params.yaml")]) == 0
    assert tag.main(["--interim", str(out / "interim"), "--tables", str(out / "tables"),
                     "--metrics", str(out / "tag.json"), "--params", str(ROOT / "params.yaml")]) == 0
    return out


def test_tag_completes_over_all_952_statements(ungdc_run):
    statements = pd.read_parquet(ungdc_run / "interim/statements.parquet", columns=["statement_id", "status"])
    sentences = pd.read_parquet(ungdc_run / "interim/sentences.parquet", columns=["statement_id"])
    assert len(statements) == 952 and (statements.status == "ok").all()
    assert set(sentences.statement_id) == set(statements.statement_id)


def test_tag_finds_the_speaking_state_in_nearly_every_speech(ungdc_run):
    statements = pd.read_parquet(ungdc_run / "interim/statements.parquet", columns=["statement_id", "path"])
    mentions = pd.read_parquet(ungdc_run / "interim/mentions.parquet")
    named = mentions[mentions.label == "STATE"].groupby("statement_id").canonical_id.agg(set)
    speaker = statements.path.str.split("_").str[0]
    found = [iso in named.get(sid, set()) for sid, iso in zip(statements.statement_id, speaker)]
    assert sum(found) / len(found) >= 0.97
    assert set(speaker) <= set(mentions.canonical_id)
