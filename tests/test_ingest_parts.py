"""The ingest stage's tables in parts: a rerun rewrites only the parts whose
statements changed (content, duplicate marks, rules), and its tables are
always those a fresh run writes."""

from __future__ import annotations

import shutil

import pandas as pd
import pytest
import yaml

from pipeline import ingest
from pipeline.core import ingeststream

from .conftest import PARAMS, table_parts

TABLES = ("statements", "meetings", "paragraphs")


def speech(i: int) -> str:
    return (f"Statement {i}. Delegation {i} met in meeting {i} on {i % 28 + 1} March 2026 "
            f"and spoke about item {i * 7} of the agenda.\n")


@pytest.fixture
def corpus(tmp_path):
    (tmp_path / "statements").mkdir()
    for i in range(80):  # enough statements for several parts (about 32 per part)
        (tmp_path / "statements" / f"s{i:03d}.txt").write_text(speech(i), encoding="utf-8")
    params = yaml.safe_load(PARAMS.read_text())
    params["ingest"].update(cache_dir="")  # the parts must be kept without the cache too
    (tmp_path / "params.yaml").write_text(yaml.safe_dump(params))
    return tmp_path


def run(folder, out="out"):
    root = folder / out
    assert ingest.main(["--statements", str(folder / "statements"), "--manifest", str(folder / "none.csv"),
                        "--out", str(root / "interim"), "--metrics", str(root / "ingest.json"),
                        "--duplicates", str(root / "duplicates.csv"), "--params", str(folder / "params.yaml")]) == 0
    return root


def parts(root) -> dict[str, tuple[int, bytes]]:
    return table_parts(root, TABLES)


def contents(root) -> dict[str, bytes]:
    return {path: data for path, (_, data) in parts(root).items()} | {
        f: (root / f).read_bytes() for f in ("ingest.json", "duplicates.csv")}


def rewritten(before: dict, after: dict) -> set[str]:
    return {path for path, (inode, _) in after.items() if before.get(path, (None,))[0] != inode}


def test_a_rerun_with_nothing_changed_rewrites_no_part(corpus):
    root = run(corpus)
    before = parts(root)
    assert len({p.split("/")[2] for p in before}) >= 2, "the corpus should make several parts"
    run(corpus)
    assert parts(root) == before  # the same files: not even rewritten with the same bytes


def test_an_added_statement_rewrites_only_its_part_and_the_tables_are_a_fresh_runs(corpus):
    root = run(corpus)
    before = parts(root)
    (corpus / "statements" / "s040a.txt").write_text("Delegates met in Bangkok on 3 March 2026 to agree a plan.\n",
                                                     encoding="utf-8")
    run(corpus)
    after = parts(root)
    changed = {p.split("/")[2] for p in rewritten(before, after)}
    assert 1 <= len(changed) <= 2 and len(changed) < len({p.split("/")[2] for p in after})
    fresh = run(corpus, "fresh")
    assert contents(root) == contents(fresh)
    statements = pd.read_parquet(root / "interim" / "statements.parquet")
    assert list(statements["path"]) == sorted(statements["path"]) and "s040a.txt" in set(statements["path"])


def test_a_new_file_that_an_existing_statement_repeats_rewrites_that_statements_part(corpus):
    long_speech = "".join(speech(65 + 100 * k) for k in range(20))
    (corpus / "statements" / "s065.txt").write_text(long_speech, encoding="utf-8")
    root = run(corpus)
    # s065 repeats the new file, which comes first in path order: s065 is now the near-duplicate left out
    (corpus / "statements" / "s000-original.txt").write_text(long_speech + "One more line.\n", encoding="utf-8")
    run(corpus)
    statements = pd.read_parquet(root / "interim" / "statements.parquet").set_index("path")
    assert statements.loc["s065.txt", "status"] == "skipped"
    assert statements.loc["s065.txt", "duplicate_of"] == statements.loc["s000-original.txt", "statement_id"]
    assert "s065.txt" not in set(pd.read_parquet(root / "interim" / "paragraphs.parquet")["statement_id"].map(
        dict(zip(statements["statement_id"], statements.index))))
    assert contents(root) == contents(run(corpus, "fresh"))


def test_changed_rules_rewrite_every_part(corpus):
    root = run(corpus)
    before = parts(root)
    params = yaml.safe_load((corpus / "params.yaml").read_text())
    params["ingest"]["heading_max_words"] = 30
    (corpus / "params.yaml").write_text(yaml.safe_dump(params))
    run(corpus)
    assert rewritten(before, parts(root)) == set(parts(root))


def test_a_run_that_fails_halfway_leaves_the_tables_as_they_were(corpus, monkeypatch):
    root = run(corpus)
    before = parts(root)
    shutil.copy(corpus / "statements" / "s001.txt", corpus / "statements" / "s001-copy.txt")
    (corpus / "statements" / "s079a.txt").write_text("Delegates met in Suva on 4 May 2026.\n", encoding="utf-8")
    real, calls = ingeststream.arrow_table, []

    def fails_on_the_second_part(rows, table):
        calls.append(table)
        if calls.count("statements") == 2:
            raise RuntimeError("disk full")
        return real(rows, table)

    monkeypatch.setattr(ingeststream, "arrow_table", fails_on_the_second_part)
    with pytest.raises(RuntimeError, match="disk full"):
        run(corpus)
    assert parts(root) == before
    assert not [p for p in (root / "interim").iterdir() if p.name.startswith(".")], "no staging folder is left"


def test_staging_and_scratch_folders_left_by_a_killed_run_are_removed_by_the_next(corpus):
    import os
    interim = corpus / "out" / "interim"
    interim.mkdir(parents=True)
    left = [interim / ".statements.parquet.k1ll3d", interim / ".ingest-scratch-k1ll3d"]
    for folder in left:
        (folder / "part").mkdir(parents=True)
        os.utime(folder, (0, 0))  # older than this process: a run that was killed
    run(corpus)
    assert not any(folder.exists() for folder in left)
    assert not [p for p in interim.iterdir() if p.name.startswith(".")]
