"""Any real folder, any real file: corpora without meetings or manifests,
front matter, duplicates, and hostile or careless input. Each test names the
case it guards; a bad file gets a status row and the run goes on."""

from __future__ import annotations

import io
import json
import os
import zipfile

import pandas as pd
import pytest
import yaml

from pipeline import ingest, run_corpus
from pipeline.core.errors import PipelineError
from pipeline.core.io import csv_writer
from pipeline.core.tagstream import TagCache

from .conftest import PARAMS, ROOT

FRONT = """---
title: "Boat arrivals and regional cooperation"
date: "2009-11-18"
creators:
  - "Smith, Jane"
  - "Liberal Party of Australia"
source: "MINISTER FOR IMMIGRATION"
trove_url: http://example.org/1
---

The minister discussed people smuggling and the Bali Process with Indonesia.

Returns and reintegration of victims of trafficking were raised.
"""


def ingest_folder(folder, out, **ingest_params):
    params = out / "params.yaml"
    params.parent.mkdir(parents=True, exist_ok=True)
    data = yaml.safe_load(PARAMS.read_text())
    data["ingest"].update(ingest_params)
    params.write_text(yaml.safe_dump(data))
    assert ingest.main(["--statements", str(folder), "--manifest", str(out / "none.csv"),
                        "--out", str(out / "interim"), "--metrics", str(out / "ingest.json"),
                        "--duplicates", str(out / "duplicates.csv"), "--params", str(params)]) == 0
    return pd.read_parquet(out / "interim/statements.parquet").set_index("path")


def test_front_matter_gives_metadata_and_never_reaches_the_text(tmp_path):
    (tmp_path / "c").mkdir()
    (tmp_path / "c/release.txt").write_text(FRONT, encoding="utf-8")
    row = ingest_folder(tmp_path / "c", tmp_path / "out").loc["release.txt"]
    assert row["title"] == "Boat arrivals and regional cooperation" and row["title_source"] == "front_matter"
    assert row["start_date"] == "2009-11-18" and row["speaker"] == "Smith, Jane"
    assert row["party"] == "Liberal Party of Australia"
    assert "trove_url" not in row["text"] and "title:" not in row["text"]
    assert json.loads(row["front_matter"])["source"] == "MINISTER FOR IMMIGRATION"


def test_near_duplicate_releases_are_listed_and_left_out_of_the_counts_unless_kept(tmp_path):
    (tmp_path / "c").mkdir()
    body = " ".join(f"Ministers discussed people smuggling point {i} with regional partners." for i in range(40))
    (tmp_path / "c/a.txt").write_text(body, encoding="utf-8")
    (tmp_path / "c/b.txt").write_text(body.replace("point 39", "point thirty-nine"), encoding="utf-8")
    (tmp_path / "c/c.txt").write_text("A different statement about forced marriage.", encoding="utf-8")
    st = ingest_folder(tmp_path / "c", tmp_path / "out")
    assert st.loc["b.txt", "status"] == "skipped" and st.loc["b.txt", "duplicate_of"] == st.loc["a.txt", "statement_id"]
    assert st.loc["a.txt", "status"] == "ok" and st.loc["c.txt", "duplicate_of"] == ""
    listed = pd.read_csv(tmp_path / "out/duplicates.csv")
    assert listed["path"].tolist() == ["b.txt"] and not listed["counted"].any()
    kept = ingest_folder(tmp_path / "c", tmp_path / "kept", keep_duplicates=True)
    assert kept.loc["b.txt", "status"] == "ok" and kept.loc["b.txt", "duplicate_of"] == kept.loc["a.txt", "statement_id"]


def docx_bytes(parts: dict[str, bytes], *, like: bytes | None = None) -> bytes:
    """A DOCX (ZIP) with ``parts`` replacing or adding members of ``like``."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as z:
        if like is not None:
            with zipfile.ZipFile(io.BytesIO(like)) as original:
                for info in original.infolist():
                    if info.filename not in parts:
                        z.writestr(info, original.read(info))
        for name, data in parts.items():
            z.writestr(name, data)
    return buffer.getvalue()


def test_random_truncated_damaged_and_bomb_docx_files_are_failed_rows_and_the_run_goes_on(tmp_path):
    from .fixtures import statement_docx
    (tmp_path / "c").mkdir()
    good = statement_docx()
    (tmp_path / "c/random.docx").write_bytes(os.urandom(2048))
    (tmp_path / "c/truncated.docx").write_bytes(good[: len(good) // 2])
    (tmp_path / "c/damaged.docx").write_bytes(docx_bytes({"word/document.xml": b"<w:document><<<"}, like=good))
    (tmp_path / "c/bomb.docx").write_bytes(docx_bytes({"word/document.xml": b"<a>" + b" " * 50_000_000 + b"</a>"},
                                                      like=good))
    (tmp_path / "c/fine.txt").write_text("Delegates discussed scam centres.", encoding="utf-8")
    st = ingest_folder(tmp_path / "c", tmp_path / "out")
    for name in ("random.docx", "truncated.docx", "damaged.docx", "bomb.docx"):
        assert st.loc[name, "status"] == "failed", name
        assert "DOCX" in st.loc[name, "reason"]
    assert "ZIP bomb" in st.loc["bomb.docx", "reason"] and st.loc["fine.txt", "status"] == "ok"


def test_symlinks_out_of_the_corpus_broken_or_looping_get_a_row_and_are_never_read(tmp_path):
    (tmp_path / "c").mkdir()
    secret = tmp_path / "secret.txt"
    secret.write_text("outside text that must not be read", encoding="utf-8")
    (tmp_path / "c/inside.txt").write_text("Delegates discussed forced marriage.", encoding="utf-8")
    (tmp_path / "c/out.txt").symlink_to(secret)
    (tmp_path / "c/broken.txt").symlink_to(tmp_path / "missing.txt")
    (tmp_path / "c/loop.txt").symlink_to(tmp_path / "c/loop.txt")
    st = ingest_folder(tmp_path / "c", tmp_path / "out")
    assert "outside the corpus" in st.loc["out.txt", "reason"] and st.loc["out.txt", "status"] == "failed"
    assert st.loc["broken.txt", "status"] == st.loc["loop.txt", "status"] == "failed"
    assert not st["text"].str.contains("must not be read").any()


def test_utf16_text_is_read_not_called_binary_and_end_before_start_is_warned(tmp_path):
    (tmp_path / "c").mkdir()
    (tmp_path / "c/u16.txt").write_bytes("Delegates discussed scam centres in Manila.".encode("utf-16"))
    (tmp_path / "c/dates.txt").write_text("---\ntitle: x\ndate: 2020-05-01\n---\nText about returns.\n",
                                          encoding="utf-8")
    manifest = tmp_path / "manifest.csv"
    manifest.write_text("file,end_date\ndates.txt,2020-04-01\n", encoding="utf-8")
    params = tmp_path / "params.yaml"
    params.write_text(PARAMS.read_text())
    assert ingest.main(["--statements", str(tmp_path / "c"), "--manifest", str(manifest), "--out",
                        str(tmp_path / "interim"), "--metrics", str(tmp_path / "m.json"), "--duplicates",
                        str(tmp_path / "d.csv"), "--params", str(params)]) == 0
    st = pd.read_parquet(tmp_path / "interim/statements.parquet").set_index("path")
    assert st.loc["u16.txt", "status"] == "ok" and "scam centres" in st.loc["u16.txt", "text"]
    assert "end date 2020-04-01 is before start date 2020-05-01" in st.loc["dates.txt", "reason"]


def test_a_spreadsheet_never_runs_a_cell_from_the_corpus(tmp_path):
    path = tmp_path / "t.csv"
    csv_writer(pd.DataFrame({"sentence": ["=HYPERLINK(\"http://x\")", "+1", "-cmd", "@SUM(A1)", "plain"],
                             "n": [-1, 2, 3, 4, 5]}))(path)
    back = pd.read_csv(path)
    assert back["sentence"].tolist() == ["'=HYPERLINK(\"http://x\")", "'+1", "'-cmd", "'@SUM(A1)", "plain"]
    assert back["n"].tolist() == [-1, 2, 3, 4, 5]  # numbers are left alone


def test_a_cache_entry_of_the_wrong_shape_is_recomputed_not_a_traceback(tmp_path):
    cache = TagCache(tmp_path, entity_version="e", theme_version="t")
    cache.put("k", {"sentences": "not a list"}, [1, 2])
    assert cache.get("k") == (None, None)


def test_a_killed_run_s_temporary_files_are_removed_by_the_next(tmp_path):
    from pipeline.core.io import text_writer, write_all
    target = tmp_path / "out.csv"
    stale = tmp_path / ".out.csv.abc123.tmp"
    stale.write_text("half")
    os.utime(stale, (0, 0))  # left by a run before this one
    write_all({target: text_writer("whole")})
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.csv"]


@pytest.mark.parametrize("pattern, message", [
    ("[{\"LOWER\": {\"REGEX\": \"^(a+)+$\"}}]", "repeats a repeated group"),
    ("\"*\"", "matches any word"),
    ("[{}]", "matches any word"),
])
def test_a_dangerous_or_match_everything_pattern_is_refused_in_one_line(tmp_path, pattern, message):
    from pipeline.core.codebook import load_codebook
    path = tmp_path / "codebook.yaml"
    path.write_text(f"themes:\n  - id: t\n    label: T\n    rules:\n      - patterns: [{pattern}]\n", encoding="utf-8")
    with pytest.raises(PipelineError, match=message) as err:
        load_codebook(path)
    assert "\n" not in str(err.value)


def test_a_string_where_a_list_of_examples_belongs_is_one_error(tmp_path):
    from pipeline.core.codebook import load_codebook
    path = tmp_path / "codebook.yaml"
    path.write_text("themes:\n  - id: t\n    label: T\n    rules:\n      - patterns: [scam]\n"
                    "    examples:\n      positive: \"A scam.\"\n", encoding="utf-8")
    with pytest.raises(PipelineError, match=r"examples.positive.*must be a list of sentences"):
        load_codebook(path)


def test_a_statement_over_a_million_characters_is_tagged_whole(nlp):
    text = "Delegates discussed scam centres. " * 32_000
    assert len(text) > 1_000_000
    doc = nlp(text)
    assert len(doc) > 100_000


def test_a_plain_folder_with_and_without_dates_and_unnumbered_series_runs_to_the_report(tmp_path):
    (tmp_path / "c").mkdir()
    (tmp_path / "c/dated.txt").write_text("# Bali Process Ministerial Conference\n\nManila, 3 March 2023.\n\n"
                                          "Ministers discussed people smuggling and scam centres.\n", encoding="utf-8")
    (tmp_path / "c/undated.txt").write_text("Officials spoke about forced marriage and returns.\n", encoding="utf-8")
    out = tmp_path / "run"
    assert run_corpus.main([str(tmp_path / "c"), "--out", str(out), "--params", str(PARAMS),
                            "--set", "report.title=Two files"]) == 0
    trends = pd.read_csv(out / "tables/theme_trends.csv")
    sentences = pd.read_parquet(out / "interim/sentences.parquet")
    per_group = trends.drop_duplicates("group_id")["sentences"].sum()
    assert per_group == len(sentences)  # every sentence counted in exactly one group
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "Two files" in html and 'href="tables/theme_evidence.csv"' in html
    assert "WG-TIP 11" not in html and 'id="fig-attendance"' not in html  # no participant lists: no empty chart


@pytest.mark.parametrize("group_by", ["year", "speaker", "party"])
def test_trends_by_year_speaker_and_party_count_every_sentence_once(tmp_path, group_by):
    (tmp_path / "c").mkdir()
    for i, (who, party, year) in enumerate([("Smith, Jane", "Liberal Party of Australia", 2009),
                                            ("Jones, Bob", "Australian Labor Party", 2012),
                                            ("Smith, Jane", "Liberal Party of Australia", 2012)]):
        (tmp_path / f"c/{i}.txt").write_text(
            f"---\ntitle: Release {i}\ndate: {year}-03-0{i + 1}\ncreators: [\"{who}\", \"{party}\"]\n---\n"
            f"Statement {i} on people smuggling and boat arrivals number {i}.\n\nReturns were discussed {i}.\n",
            encoding="utf-8")
    out = tmp_path / "run"
    assert run_corpus.main([str(tmp_path / "c"), "--out", str(out), "--params", str(PARAMS),
                            "--set", f"trends.group_by={group_by}"]) == 0
    trends = pd.read_csv(out / "tables/theme_trends.csv")
    groups = trends.drop_duplicates("group_id")
    expected = {"year": {"2009", "2012"}, "speaker": {"Smith, Jane", "Jones, Bob"},
                "party": {"Liberal Party of Australia", "Australian Labor Party"}}[group_by]
    assert set(groups["group_id"].astype(str)) == expected
    assert groups["sentences"].sum() == len(pd.read_parquet(out / "interim/sentences.parquet"))


def test_the_manifest_wins_over_the_front_matter(tmp_path):
    (tmp_path / "c").mkdir()
    (tmp_path / "c/release.txt").write_text(FRONT, encoding="utf-8")
    manifest = tmp_path / "manifest.csv"
    manifest.write_text("file,title,start_date\nrelease.txt,Curated title,2009-11-19\n", encoding="utf-8")
    assert ingest.main(["--statements", str(tmp_path / "c"), "--manifest", str(manifest), "--out",
                        str(tmp_path / "interim"), "--metrics", str(tmp_path / "m.json"), "--duplicates",
                        str(tmp_path / "d.csv"), "--params", str(PARAMS)]) == 0
    row = pd.read_parquet(tmp_path / "interim/statements.parquet").iloc[0]
    assert (row["title"], row["title_source"]) == ("Curated title", "manifest")
    assert (row["start_date"], row["end_date"]) == ("2009-11-19", "2009-11-18")  # and the mismatch is warned
    assert "end date 2009-11-18 is before start date 2009-11-19" in row["reason"]


def test_a_full_disk_is_one_line_not_a_traceback(capsys):
    import errno

    from pipeline import _stage

    def stage(argv):
        raise OSError(errno.ENOSPC, "No space left on device", "outputs/tables/theme_trends.csv")
    with pytest.raises(SystemExit) as exit_:
        _stage.run(stage, [])
    err = capsys.readouterr().err.strip()
    assert exit_.value.code == 2 and "\n" not in err
    assert err.startswith("error: outputs/tables/theme_trends.csv: no space left")


def test_a_broken_archive_is_one_line(tmp_path):
    from pipeline import import_ungdc
    archive = tmp_path / "ungdc.tar.xz"
    archive.write_bytes(b"\xfd7zXZ\x00\x00" + os.urandom(200))
    with pytest.raises(PipelineError, match="cannot unpack the archive|not a folder or a tar archive"):
        import_ungdc.main([str(archive), "--out", str(tmp_path / "out")])
