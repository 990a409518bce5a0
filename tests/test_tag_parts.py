"""The tag stage's tables in parts: a rerun rewrites only the parts whose
statements changed, and its tables are always those a fresh run writes."""

from __future__ import annotations

import pandas as pd
import pytest
import yaml

from pipeline import ingest, tag
from pipeline.core import tagstream
from pipeline.core.partitions import runs

from .conftest import PARAMS, table_parts

TOPICS = ["scam centres", "forced marriage", "exploitation of fishers at sea", "the return of migrants",
          "money laundering", "people smuggling by boat", "victims of trafficking"]


def speech(i: int) -> str:
    return f"Statement {i}. Delegation {i} spoke about {TOPICS[i % len(TOPICS)]} in meeting {i}.\n"


@pytest.fixture
def corpus(tmp_path):
    (tmp_path / "statements").mkdir()
    for i in range(80):  # enough statements for several parts (about 32 per part)
        (tmp_path / "statements" / f"s{i:03d}.txt").write_text(speech(i), encoding="utf-8")
    params = yaml.safe_load(PARAMS.read_text())
    params["tag"].update(cache_dir=str(tmp_path / "cache"))
    (tmp_path / "params.yaml").write_text(yaml.safe_dump(params))
    return tmp_path


def run(folder, out="out"):
    root = folder / out
    args = ["--params", str(folder / "params.yaml")]
    assert ingest.main(["--statements", str(folder / "statements"), "--manifest", str(folder / "none.csv"),
                        "--out", str(root / "interim"), "--metrics", str(root / "ingest.json"),
                        "--duplicates", str(root / "duplicates.csv"), *args]) == 0
    assert tag.main(["--interim", str(root / "interim"), "--tables", str(root / "tables"),
                     "--metrics", str(root / "tag.json"), *args]) == 0
    return root


def parts(root) -> dict[str, tuple[int, bytes]]:
    return table_parts(root, tag.TABLES)


def tables(root) -> dict:
    return {**{t: pd.read_parquet(root / "interim" / f"{t}.parquet")
               for t in ("sentences", "mentions", "people", "term_counts")},
            **{f: (root / f).read_bytes() for f in ("tables/attendance.csv", "tables/people.csv", "tag.json")}}


def same_tables(a: dict, b: dict) -> bool:
    return all(a[k].equals(b[k]) if isinstance(a[k], pd.DataFrame) else a[k] == b[k] for k in a)


def test_runs_of_statements_stay_the_same_when_one_is_added_elsewhere():
    ids = [f"s{i:03d}" for i in range(300)]
    before = [tuple(r) for r in runs(ids, statement_id=str)]
    after = [tuple(r) for r in runs(ids[:150] + ["new"] + ids[150:], statement_id=str)]
    assert len(before) > 3
    changed = [r for r in after if r not in before]
    # the run the new statement joins, or the two it splits when it starts a run itself
    assert 1 <= len(changed) <= 2 and all("new" in r or after[after.index(r) + 1][0] == "new" for r in changed)


def test_a_rerun_with_nothing_changed_rewrites_no_part(corpus):
    root = run(corpus)
    before = parts(root)
    assert len({p.split("/")[1] for p in before}) >= 2, "the corpus should make several parts"
    run(corpus)
    assert parts(root) == before  # same files: not even rewritten with the same bytes


def test_adding_a_statement_rewrites_only_its_part_and_gives_what_a_fresh_run_gives(corpus):
    root = run(corpus)
    before = parts(root)
    (corpus / "statements" / "s040b.txt").write_text("A new delegation raised debt bondage in brick kilns.\n",
                                                     encoding="utf-8")
    run(corpus)
    after = parts(root)
    rewritten = {p for p in after if before.get(p) != after[p]}
    n_parts = len({p.split("/")[-1] for p in before})
    assert 0 < len({p.split("/")[-1] for p in rewritten}) <= 2 < n_parts
    fresh = run(corpus, out="fresh")
    assert same_tables(tables(root), tables(fresh))
    assert "debt bondage" in " ".join(pd.read_parquet(root / "interim/sentences.parquet")["text"])


def test_removing_statements_gives_what_a_fresh_run_gives(corpus):
    root = run(corpus)
    for i in (3, 40, 41, 79):
        (corpus / "statements" / f"s{i:03d}.txt").unlink()
    run(corpus)
    assert same_tables(tables(root), tables(run(corpus, out="fresh")))
    assert len(pd.read_parquet(root / "interim/sentences.parquet")["statement_id"].unique()) == 76


def test_a_run_that_fails_part_way_leaves_every_part_as_it_was(corpus, monkeypatch):
    root = run(corpus)
    before = parts(root)
    for i in range(0, 80, 7):  # new statements in several parts
        (corpus / "statements" / f"s{i:03d}x.txt").write_text(f"Added {i}: forced labour was raised.\n",
                                                              encoding="utf-8")
    calls = []

    def fail_on_the_third(*args):
        calls.append(1)
        if len(calls) == 3:
            raise RuntimeError("the machine ran out of memory")
        return tag_fully(*args)

    tag_fully = tagstream._tag_fully
    monkeypatch.setattr(tagstream, "_tag_fully", fail_on_the_third)
    with pytest.raises(RuntimeError, match="out of memory"):
        run(corpus)
    assert parts(root) == before
    assert not [p for p in (root / "interim").iterdir() if p.name.startswith(".")], "staging folders left behind"


def test_a_corpus_with_no_statements_left_gives_empty_readable_tables(corpus):
    root = run(corpus)
    for path in (corpus / "statements").iterdir():
        path.write_text("", encoding="utf-8")  # empty files: read, but no statement to tag
    run(corpus)
    assert len(pd.read_parquet(root / "interim/sentences.parquet")) == 0
    assert list(pd.read_parquet(root / "interim/mentions.parquet").columns)[:2] == ["sentence_id", "statement_id"]


def test_a_rerun_reads_the_texts_of_the_changed_ingest_parts_only(corpus, monkeypatch):
    root = run(corpus)
    (corpus / "statements" / "s040b.txt").write_text("A new delegation raised debt bondage in brick kilns.\n",
                                                     encoding="utf-8")
    read = []
    read_table = tagstream.pq.read_table

    def recording(path, *args, **kwargs):
        if kwargs.get("columns") and "text" in kwargs["columns"]:
            read.append(str(path))
        return read_table(path, *args, **kwargs)

    monkeypatch.setattr(tagstream.pq, "read_table", recording)
    run(corpus)
    n_parts = len(list((root / "interim" / "statements.parquet").glob("*.parquet")))
    assert 0 < len(read) <= 2 < n_parts and all("statements.parquet" in p for p in read)
    assert same_tables(tables(root), tables(run(corpus, out="fresh")))


def test_statements_without_ingest_records_are_read_and_fingerprinted_by_their_content(corpus):
    root = run(corpus)
    interim = root / "interim"
    for name in ("statements", "paragraphs"):  # the tables as one file each, as other tools write them
        whole = pd.read_parquet(interim / f"{name}.parquet")
        for path in (interim / f"{name}.parquet").iterdir():
            path.unlink()
        (interim / f"{name}.parquet").rmdir()
        whole.to_parquet(interim / f"{name}.parquet")
    assert tagstream.recorded_statements(interim / "statements.parquet") is None
    assert tag.main(["--interim", str(interim), "--tables", str(root / "tables"), "--metrics", str(root / "tag.json"),
                     "--params", str(corpus / "params.yaml")]) == 0
    assert same_tables(tables(root), tables(run(corpus, out="fresh")))
