"""Reading statements back as tasks."""

from __future__ import annotations

import pandas as pd
import pytest

from pipeline.core.errors import PipelineError
from pipeline.core.tagstream import Task, read_tasks


def test_only_ok_statements_become_tasks_with_their_paragraph_texts(tmp_path):
    pd.DataFrame({"statement_id": ["a", "b"], "status": ["ok", "failed"], "text": ["One. Two.", ""]}).to_parquet(
        tmp_path / "statements.parquet")
    pd.DataFrame({"paragraph_id": ["a-p0"], "statement_id": ["a"], "meeting_id": ["a-m0"], "section": [""],
                  "order": [0], "kind": ["paragraph"], "start": [5], "end": [9]}).to_parquet(
        tmp_path / "paragraphs.parquet")
    total, tasks = read_tasks(tmp_path / "statements.parquet", tmp_path / "paragraphs.parquet")
    (task,) = list(tasks)
    assert total == 1 and task.statement_id == "a" and task.paragraphs[0]["text"] == "Two."


def write_tables(folder, statements: list[str], paragraph_owners: list[str]) -> None:
    pd.DataFrame({"statement_id": statements, "status": ["ok"] * len(statements),
                  "text": ["Alpha. Beta."] * len(statements)}).to_parquet(folder / "statements.parquet")
    pd.DataFrame({"paragraph_id": [f"{o}-p{i}" for i, o in enumerate(paragraph_owners)],
                  "statement_id": paragraph_owners, "meeting_id": [f"{o}-m0" for o in paragraph_owners],
                  "section": "", "order": list(range(len(paragraph_owners)))[::-1], "kind": "paragraph",
                  "start": 0, "end": 6}).to_parquet(folder / "paragraphs.parquet")


def test_each_statement_gets_all_its_paragraphs_in_order_when_reading_the_tables_side_by_side(tmp_path):
    write_tables(tmp_path, ["a", "b", "c"], ["a", "a", "c"])  # b has no paragraph
    _, tasks = read_tasks(tmp_path / "statements.parquet", tmp_path / "paragraphs.parquet")
    got = {t.statement_id: [p["paragraph_id"] for p in t.paragraphs] for t in tasks}
    assert got == {"a": ["a-p1", "a-p0"], "b": [], "c": ["c-p2"]}


def test_paragraphs_out_of_step_with_the_statements_stop_the_run_instead_of_being_dropped(tmp_path):
    write_tables(tmp_path, ["a", "b"], ["b", "a"])
    _, tasks = read_tasks(tmp_path / "statements.parquet", tmp_path / "paragraphs.parquet")
    with pytest.raises(PipelineError, match=r"paragraph a-p1 is not with its statement .*rerun `dvc repro ingest`"):
        list(tasks)


def test_reading_tasks_before_ingest_says_which_stage_to_run(tmp_path):
    with pytest.raises(PipelineError, match="run the ingest stage first"):
        read_tasks(tmp_path / "statements.parquet", tmp_path / "paragraphs.parquet")


def test_a_task_key_changes_with_its_text_and_its_paragraph_layout():
    p = ({"paragraph_id": "a-p0", "meeting_id": "a-m0", "kind": "paragraph", "order": 0, "start": 0, "end": 4},)
    moved = ({**p[0], "meeting_id": "a-m1"},)
    assert Task("a", "One.", p).key != Task("a", "One!", p).key
    assert Task("a", "One.", p).key != Task("a", "One.", moved).key
