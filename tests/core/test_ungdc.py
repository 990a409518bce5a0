"""UNGDC file names to manifest rows, and the import command's reports."""

from __future__ import annotations

import csv
import tarfile

import pytest

from pipeline import import_ungdc
from pipeline.core.errors import PipelineError
from pipeline.core.ungdc import manifest_row


def test_a_ungdc_file_name_gives_series_session_year_and_speaker():
    row = manifest_row("PHL_78_2023.txt", {"PHL": "Philippines"})
    assert row == {"file": "PHL_78_2023.txt", "title": "Philippines at the UN General Debate, session 78 (2023)",
                   "series": "UN General Debate", "ordinal": "78", "start_date": "2023", "end_date": "2023",
                   "city": "New York", "country": "United States", "speaker": "PHL"}
    assert manifest_row("EU_66_2011.txt", {})["speaker"] == "eu"
    assert manifest_row("notes.txt", {}) is None and manifest_row("PHL-78-2023.txt", {}) is None


def write_speeches(folder):
    folder.mkdir(parents=True)
    (folder / "FJI_79_2024.txt").write_text("Fiji speaks on ocean governance.\n", encoding="utf-8")
    (folder / "AUS_79_2024.txt").write_text("Australia speaks on people smuggling.\n", encoding="utf-8")
    (folder / "readme.txt").write_text("not a speech\n", encoding="utf-8")


def test_import_writes_statements_and_a_manifest_and_names_files_it_leaves_out(tmp_path, capsys):
    write_speeches(tmp_path / "src")
    assert import_ungdc.main([str(tmp_path / "src"), "--out", str(tmp_path / "corpus")]) == 0
    rows = list(csv.DictReader((tmp_path / "corpus/statements.csv").open(encoding="utf-8")))
    assert [r["file"] for r in rows] == ["AUS_79_2024.txt", "FJI_79_2024.txt"]
    assert sorted(p.name for p in (tmp_path / "corpus/statements").iterdir()) == ["AUS_79_2024.txt", "FJI_79_2024.txt"]
    assert "readme.txt: not named ISO3_SESSION_YEAR.txt" in capsys.readouterr().err


def test_import_reads_a_tar_archive_and_refuses_to_overwrite(tmp_path):
    write_speeches(tmp_path / "src")
    with tarfile.open(tmp_path / "ungdc.tar.xz", "w:xz") as archive:
        archive.add(tmp_path / "src", arcname="ungdc_flat")
    assert import_ungdc.main([str(tmp_path / "ungdc.tar.xz"), "--out", str(tmp_path / "corpus")]) == 0
    assert (tmp_path / "corpus/statements/FJI_79_2024.txt").exists()
    with pytest.raises(PipelineError, match="already has files"):
        import_ungdc.main([str(tmp_path / "src"), "--out", str(tmp_path / "corpus")])
    with pytest.raises(PipelineError, match="not a folder or a tar archive"):
        import_ungdc.main([str(tmp_path / "missing"), "--out", str(tmp_path / "other")])


def test_run_corpus_overrides_read_numbers_and_keep_text_with_colons():
    from pipeline.core.params import Params
    from pipeline.run_corpus import apply_overrides
    params = apply_overrides(Params(), [
        "trends.top_terms=5", "report.title=UN speeches: themes across sessions", "tag.cache_dir=",
        "evaluate.gold=[{file: a.jsonl, rules_written_against: false}]"])
    assert params.trends.top_terms == 5
    assert params.report.title == "UN speeches: themes across sessions"
    assert params.tag.cache_dir == "" and params.evaluate.gold[0].file == "a.jsonl"


@pytest.mark.parametrize("assignment, field", [("trends.top_terms=many", "trends.top_terms"),
                                               ("trends.tpo_terms=5", "trends.tpo_terms"),
                                               ("nosuch.key=1", "nosuch")])
def test_run_corpus_override_of_the_wrong_type_or_name_is_one_line_naming_it(assignment, field):
    from pipeline.core.params import Params
    from pipeline.run_corpus import apply_overrides
    with pytest.raises(PipelineError, match=rf"^--set: {field}"):
        apply_overrides(Params(), [assignment])
