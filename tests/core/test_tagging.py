"""Rows from a tagged doc: sentences that tile their paragraphs, mentions
whose offsets point at their evidence."""

from __future__ import annotations

import pytest

from pipeline.core.nlp import tagging_pipeline
from pipeline.core.tagging import tag_statement

from ..conftest import ROOT

TEXT = "Fiji raised forced labour on fishing vessels. The IOM spoke.\n\nThailand discussed scam centres."


@pytest.fixture(scope="module")
def tagger():
    return tagging_pipeline(gazetteer=ROOT / "corpus/gazetteer/actors.yaml", cities=ROOT / "corpus/gazetteer/cities.csv",
                            codebook=ROOT / "corpus/codebook.yaml")


def paragraphs(text: str) -> list[dict]:
    out, start = [], 0
    for order, block in enumerate(text.split("\n\n")):
        out.append({"paragraph_id": f"x-p{order:03d}", "meeting_id": "x-m0", "kind": "paragraph", "order": order,
                    "start": start, "end": start + len(block), "text": block, "section": ""})
        start += len(block) + 2
    return out


def test_sentences_are_numbered_within_their_paragraph_and_never_cross_it(tagger):
    rows = tag_statement(tagger(TEXT), "x", paragraphs(TEXT), {})
    assert [s["sentence_id"] for s in rows.sentences] == ["x-p000-s00", "x-p000-s01", "x-p001-s00"]
    for s in rows.sentences:
        assert TEXT[s["start"]:s["end"]] == s["text"] and "\n\n" not in s["text"]


def test_every_mention_points_at_its_evidence_inside_its_sentence(tagger):
    rows = tag_statement(tagger(TEXT), "x", paragraphs(TEXT), {})
    by_id = {s["sentence_id"]: s["text"] for s in rows.sentences}
    labels = {(m["kind"], m["label"]) for m in rows.mentions}
    assert {("entity", "STATE"), ("entity", "ORG"), ("theme", "fishing"), ("theme", "scam_centres")} <= labels
    for m in rows.mentions:
        assert by_id[m["sentence_id"]][m["start"]:m["end"]] == m["text"]


def test_an_empty_statement_gives_no_rows(tagger):
    rows = tag_statement(tagger(""), "x", [], {})
    assert rows.sentences == [] and rows.mentions == []
