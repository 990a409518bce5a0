"""End to end: the ingest stage over a tiny corpus of every format and every
kind of bad input, plus the seed statement."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest

from pipeline import ingest

from .conftest import PARAMS, ROOT, SEED
from .fixtures import HTML_EVENT_PAGE, encrypted_pdf, scanned_pdf, statement_docx, two_page_pdf

RUNNING_HEADER = ("The Bali Process", "on People Smuggling, Trafficking in Persons and Related Transnational Crime")


def run_ingest(corpus: Path, manifest: Path, out: Path) -> None:
    code = ingest.main(["--statements", str(corpus), "--manifest", str(manifest),
                        "--register", str(ROOT / "corpus/meetings.csv"), "--series", str(ROOT / "corpus/series.yaml"),
                        "--cities", str(ROOT / "corpus/gazetteer/cities.csv"), "--out", str(out / "interim"),
                        "--metrics", str(out / "metrics/ingest.json"), "--duplicates", str(out / "tables/duplicates.csv"),
                        "--params", str(PARAMS)])
    assert code == 0


@pytest.fixture(scope="module")
def tiny_corpus(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("corpus")
    files = root / "statements"
    files.mkdir()
    shutil.copy(SEED, files / "seed.txt")
    shutil.copy(SEED, files / "seed_copy.txt")
    (files / "event.html").write_text(HTML_EVENT_PAGE, encoding="utf-8")
    (files / "teg-rr.pdf").write_bytes(two_page_pdf())
    (files / "dwg.docx").write_bytes(statement_docx())
    (files / "empty.txt").write_bytes(b"")
    (files / "binary.txt").write_bytes(bytes(range(256)) * 8)
    (files / "latin1.txt").write_bytes("R\u00e9union du groupe \u00e0 Bangkok sur la traite des personnes.".encode("latin-1"))
    (files / "corrupt.pdf").write_bytes(b"%PDF-1.4\n1 0 obj << /Type /Catalog >> trailer garbage")
    (files / "locked.pdf").write_bytes(encrypted_pdf())
    (files / "scan.pdf").write_bytes(scanned_pdf())
    (files / "notes.rtf").write_bytes(b"{\\rtf1 a statement}")
    (root / "statements.csv").write_text(
        "file,title,series,ordinal,start_date,end_date,city,country,co_chairs,source_url\n"
        "event.html,,Ad Hoc Group,,next Tuesday,,,,,https://example.org/event\n"
        "missing.pdf,A statement we lost,,,,,,,,\n"
        "dwg.docx,,,,2024-09-05,,,,Indonesia; Australia,\n", encoding="utf-8")
    run_ingest(files, root / "statements.csv", root / "outputs")
    return root


def table(corpus: Path, name: str) -> pd.DataFrame:
    return pd.read_parquet(corpus / "outputs" / "interim" / f"{name}.parquet")


def statuses(corpus: Path) -> dict[str, tuple[str, str]]:
    st = table(corpus, "statements")
    return {row.path: (row.status, row.reason) for row in st.itertuples()}


@pytest.mark.parametrize("path, status, words", [
    ("empty.txt", "skipped", "empty file"),
    ("binary.txt", "failed", "binary content"),
    ("latin1.txt", "ok", "not valid UTF-8"),
    ("corrupt.pdf", "failed", "not a readable PDF"),
    ("locked.pdf", "failed", "encrypted PDF"),
    ("scan.pdf", "failed", "no text layer"),
    ("notes.rtf", "skipped", "unsupported format"),
    ("seed_copy.txt", "skipped", "duplicate of seed.txt"),
    ("missing.pdf", "failed", "no such file"),
    ("event.html", "ok", "'next Tuesday' is not a date"),
])
def test_every_bad_input_gets_a_row_with_status_and_reason(tiny_corpus, path, status, words):
    assert statuses(tiny_corpus)[path][0] == status
    assert words in statuses(tiny_corpus)[path][1]


def test_good_files_of_every_format_are_ok(tiny_corpus):
    got = statuses(tiny_corpus)
    for path in ("seed.txt", "event.html", "teg-rr.pdf", "dwg.docx", "latin1.txt"):
        assert got[path][0] == "ok", (path, got[path])


def test_nothing_is_silently_dropped(tiny_corpus):
    files = {p.name for p in (tiny_corpus / "statements").iterdir()}
    assert set(statuses(tiny_corpus)) == files | {"missing.pdf"}


def test_metrics_count_statements_by_status_and_format(tiny_corpus):
    metrics = json.loads((tiny_corpus / "outputs/metrics/ingest.json").read_text())
    assert metrics["statements"] == {"total": 13, "ok": 5, "skipped": 3, "failed": 5}
    assert metrics["by_format"]["pdf"] == {"failed": 4, "ok": 1}


def test_statement_ids_are_stable_and_unique(tiny_corpus, tmp_path):
    first = table(tiny_corpus, "statements")
    assert first["statement_id"].is_unique
    run_ingest(tiny_corpus / "statements", tiny_corpus / "statements.csv", tmp_path)
    again = pd.read_parquet(tmp_path / "interim/statements.parquet")
    pd.testing.assert_frame_equal(first, again)


def test_manifest_values_win_and_provenance_is_recorded(tiny_corpus):
    st = table(tiny_corpus, "statements").set_index("path")
    dwg = st.loc["dwg.docx"]
    assert (dwg.co_chairs, dwg.co_chairs_source) == ("Indonesia; Australia", "manifest")
    assert (dwg.city, dwg.city_source) == ("Jakarta", "text")
    assert (dwg.series, dwg.ordinal, dwg.series_source) == ("Disruption WG", 7, "text")
    html = st.loc["event.html"]
    assert (html.series, html.series_source) == ("Ad Hoc Group", "manifest")
    assert (html.start_date, html.start_date_source) == ("2024-03-03", "text")
    assert html.source_url == "https://example.org/event"


def test_pdf_statement_reads_like_the_others(tiny_corpus):
    st = table(tiny_corpus, "statements").set_index("path").loc["teg-rr.pdf"]
    assert (st.series, st.ordinal, st.start_date, st.end_date, st.city, st.country) == \
        ("TEG-RR", 6, "2024-06-10", "2024-06-11", "Colombo", "Sri Lanka")


def test_paragraph_offsets_point_into_the_cleaned_text(tiny_corpus):
    st = table(tiny_corpus, "statements").set_index("statement_id")
    for p in table(tiny_corpus, "paragraphs").itertuples():
        assert st.loc[p.statement_id, "text"][p.start:p.end] == p.text


# --- the seed -----------------------------------------------------------------

@pytest.fixture(scope="module")
def seed(tiny_corpus):
    st = table(tiny_corpus, "statements")
    sid = st.loc[st.path == "seed.txt", "statement_id"].item()
    meetings = table(tiny_corpus, "meetings")
    paragraphs = table(tiny_corpus, "paragraphs")
    return st[st.statement_id == sid].iloc[0], meetings[meetings.statement_id == sid], \
        paragraphs[paragraphs.statement_id == sid]


def test_seed_statement_metadata_is_inferred_from_its_text(seed):
    st, _, _ = seed
    assert (st.series, st.ordinal, st.start_date, st.end_date, st.city, st.country) == \
        ("WG-TIP", 11, "2025-12-01", "2025-12-05", "Manila", "Philippines")
    assert st.co_chairs == "Australia; Indonesia; the Philippines"
    assert st.title.startswith("Bali Process Working Group on Trafficking in Persons 11th Annual Meeting")
    assert st.start_date_source == "text"


def test_seed_splits_into_the_meetings_it_reports(seed):
    _, meetings, _ = seed
    got = {(m.title, m.start_date, m.end_date) for m in meetings.itertuples()}
    assert ("Eleventh Annual Meeting", "2025-12-01", "2025-12-01") in got
    assert ("Joint Regional Event", "2025-12-02", "2025-12-02") in got
    assert ("Site visits", "2025-12-03", "2025-12-03") in got
    whole = meetings[meetings.level == "statement"].iloc[0]
    assert (whole.start_date, whole.end_date, whole.city) == ("2025-12-01", "2025-12-05", "Manila")
    annual = meetings[meetings.title == "Eleventh Annual Meeting"].iloc[0]
    assert annual.ordinal == 11
    assert annual.co_chairs == "Caka Alverdi Awal; Kathryn Haigh"


def test_seed_opening_and_conclusion_belong_to_the_statement_as_a_whole(seed):
    _, meetings, paragraphs = seed
    whole = meetings[meetings.level == "statement"].meeting_id.item()
    opening = paragraphs[paragraphs.text.str.startswith("From 1 to 5 December 2025")]
    conclusion = paragraphs[paragraphs.text.str.startswith("Co-Chairs thank WG-TIP members")]
    assert opening.meeting_id.item() == whole
    assert conclusion.meeting_id.item() == whole
    assert conclusion.section.item() == "Conclusion"


def test_seed_keeps_no_page_header_text_in_any_paragraph(seed):
    _, _, paragraphs = seed
    for line in RUNNING_HEADER:
        assert not paragraphs.text.str.contains(line, regex=False).any()


def test_seed_keeps_its_four_attendance_bullets_and_seven_session_bullets(seed):
    _, _, paragraphs = seed
    assert (paragraphs.kind == "bullet").sum() == 3 + 7


# --- failures -----------------------------------------------------------------

@pytest.mark.parametrize("manifest, line, words", [
    ("file,title,colour\nseed.txt,,blue\n", 1, "unknown column 'colour'"),
    ("file,title\nseed.txt,A,extra\n", 2, "3 fields"),
    ('file,title\nseed.txt,"unclosed\n', 2, "malformed CSV"),
])
def test_a_malformed_manifest_stops_the_run_naming_the_line_and_writes_nothing(tmp_path, manifest, line, words):
    files = tmp_path / "statements"
    files.mkdir()
    shutil.copy(SEED, files / "seed.txt")
    (tmp_path / "statements.csv").write_text(manifest)
    with pytest.raises(ingest.PipelineError, match=f"line {line}: .*{words}"):
        run_ingest(files, tmp_path / "statements.csv", tmp_path / "out")
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").rglob("*.parquet"))


def test_the_command_line_reports_a_user_error_in_one_line(tmp_path):
    import subprocess
    import sys
    done = subprocess.run([sys.executable, "-m", "pipeline.ingest", "--statements", str(tmp_path / "nowhere")],
                          capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 2
    assert done.stderr.strip().startswith("error:") and "nowhere" in done.stderr
    assert "Traceback" not in done.stderr


def test_a_rerun_reads_only_changed_files_and_gives_the_same_tables(tiny_corpus, tmp_path, monkeypatch):
    params = tmp_path / "params.yaml"
    params.write_text(f"ingest:\n  cache_dir: {tmp_path / 'cache'}\n")

    def run(out):
        assert ingest.main(["--statements", str(tiny_corpus / "statements"), "--manifest", str(tmp_path / "none.csv"),
                            "--out", str(tmp_path / out), "--metrics", str(tmp_path / out / "m.json"),
                            "--duplicates", str(tmp_path / out / "d.csv"), "--params", str(params)]) == 0
        return {part.relative_to(tmp_path / out).as_posix(): part.read_bytes()
                for n in ("statements.parquet", "meetings.parquet", "paragraphs.parquet")
                for part in sorted((tmp_path / out / n).iterdir())}

    first = run("a")
    from pipeline.core import statements
    real, read = statements.ingest_file, []
    monkeypatch.setattr(statements, "ingest_file", lambda rel, *a, **k: read.append(rel) or real(rel, *a, **k))
    assert run("b") == first and read == []  # nothing read again, the same bytes out
    shutil.copytree(tiny_corpus / "statements", tmp_path / "more")
    (tmp_path / "more" / "new.txt").write_text("Delegates met in Bangkok on 3 March 2026.\n", encoding="utf-8")
    assert ingest.main(["--statements", str(tmp_path / "more"), "--manifest", str(tmp_path / "none.csv"),
                        "--out", str(tmp_path / "c"), "--metrics", str(tmp_path / "c" / "m.json"),
                        "--duplicates", str(tmp_path / "c" / "d.csv"), "--params", str(params)]) == 0
    assert read == ["new.txt"]
