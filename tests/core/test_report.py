"""The report page: every text escaped, every count linked to its evidence,
links relative to the page, nothing fetched."""

from __future__ import annotations

import pandas as pd

from pipeline.core.report import build_report, kwic

HOSTILE = "<script>alert('x')</script> Victims of scam centres & forced labour."


def tables() -> dict[str, pd.DataFrame]:
    tt = pd.DataFrame([{"group_id": "M1", "title": "Meeting <1>", "label": "M1", "start_date": "2024-01-01",
                        "order": 0, "theme": "scam_centres", "theme_label": "Scam centres", "sentences_with_theme": 1,
                        "sentences": 4, "share": 0.25, "share_low": 0.05, "share_high": 0.7}])
    start = HOSTILE.index("scam")
    evidence = pd.DataFrame([{"theme": "scam_centres", "group_id": "M1", "sentence_id": "s-1", "statement": "a.txt",
                              "start": start, "end": start + len("scam centres"), "rule": "scam_centres.r1",
                              "sentence": HOSTILE}])
    empty = lambda cols: pd.DataFrame(columns=cols)  # noqa: E731
    return {"theme_trends": tt, "theme_evidence": evidence,
            "attendance_trends": empty(["label", "start_date", "role", "participants"]),
            "actor_themes": empty(["name", "label", "theme", "sentences", "statements", "example_sentence_ids"]),
            "emerging": empty(["kind"]), "discovered_topics": empty(["candidate"]),
            "topic_sentences": empty(["topic"])}


def page() -> str:
    statements = pd.DataFrame([{"path": "a.txt", "title": "<b>A</b>", "series": "", "start_date": None, "city": "",
                                "status": "ok"}])
    links = {"theme_evidence": "tables/theme_evidence.csv", "discovered_topics": "tables/discovered_topics.csv",
             "theme_compare": "tables/theme_compare.csv", "evaluation_per_theme": "tables/evaluation_per_theme.csv",
             "codebook_diff": "tables/codebook_diff.csv",
             "actor_themes": "tables/actor_themes.csv", "statements": "interim/statements.parquet"}
    return build_report(title="Themes & <meetings>", corpus_note="Note", summary={"sentences": 4, "group_by": "meeting"},
                        tables=tables(), statements=statements, figures={}, links=links)


def test_text_from_the_corpus_is_escaped_never_run():
    html = page()
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "<title>Themes &amp; &lt;meetings&gt;</title>" in html and "<b>A</b>" not in html


def test_every_share_links_to_its_evidence_with_the_matched_words_highlighted():
    html = page()
    assert '<a href="#ev-scam_centres-M1">25.0%</a>' in html and 'id="ev-scam_centres-M1"' in html
    assert "<mark>scam centres</mark>" in html and 'id="s-1"' in html


def test_links_to_tables_are_relative_and_the_page_fetches_nothing():
    html = page()
    assert 'href="tables/theme_evidence.csv"' in html and "outputs/" not in html
    assert "<script" not in html and "http://" not in html.replace("http://www.w3.org", "")


def test_kwic_highlights_the_first_match_and_later_ones_in_the_right_context():
    left, key, right = kwic("aa KEY bb KEY cc", [(3, 6), (10, 13)], width=20)
    assert left == [("aa ", False)] and key == [("KEY", True)]
    assert ("KEY", True) in right


def test_the_report_shows_what_a_codebook_edit_changed_only_when_compare_ran():
    assert 'id="edit"' not in page()
    extra = tables()
    extra["codebook_diff"] = pd.DataFrame([{"theme": "remedy", "change": "gained", "sentence_id": "s-9",
                                            "meeting_id": "M1", "evidence": "redress", "rules": "remedy.r",
                                            "sentence": "Workers sought <redress>."}])
    extra["codebook_diff_shares"] = pd.DataFrame([{"group_id": "M1", "label": "M1", "start_date": "", "order": 0,
                                                   "theme": "remedy", "sentences": 4, "share_before": 0.0,
                                                   "share_low_before": 0.0, "share_high_before": 0.49,
                                                   "share_after": 0.25, "share_low_after": 0.05,
                                                   "share_high_after": 0.7, "change": 0.25}])
    statements = pd.DataFrame([{"path": "a.txt", "title": "A", "series": "", "start_date": None, "city": "",
                                "status": "ok"}])
    links = {"theme_evidence": "t.csv", "discovered_topics": "d.csv", "actor_themes": "a.csv", "statements": "s",
             "theme_compare": "c.csv", "evaluation_per_theme": "e.csv", "codebook_diff": "tables/codebook_diff.csv"}
    html = build_report(title="T", corpus_note="", summary={"sentences": 4}, tables=extra, statements=statements,
                        figures={}, links=links)
    assert 'id="edit"' in html and "+25.0 points" in html and "&lt;redress&gt;" in html
