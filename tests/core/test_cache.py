"""The JSON store behind the per-statement caches: what goes in comes out,
and nothing unreadable is ever trusted."""

from __future__ import annotations

import sqlite3

from pipeline.core.cache import STORE_FILE, JsonStore


def test_a_stored_value_comes_back_and_an_unknown_key_is_missing(tmp_path):
    store = JsonStore(tmp_path)
    store.put("ab12", {"rows": [1, 2], "text": "Tráfico"})
    assert store.get("ab12") == {"rows": [1, 2], "text": "Tráfico"}
    assert store.get("cd34") is None


def test_a_damaged_entry_is_treated_as_missing(tmp_path):
    store = JsonStore(tmp_path)
    store.put("ab12", {"rows": [1]})
    store.put("cd34", {"rows": [2]})
    with sqlite3.connect(tmp_path / STORE_FILE) as db:
        db.execute("UPDATE entries SET value = ? WHERE key = ?", ('{"rows": [1', "ab12"))
    assert store.get("ab12") is None
    assert store.get("cd34") == {"rows": [2]}


def test_a_store_file_that_is_not_a_database_is_replaced_by_an_empty_one(tmp_path):
    first = JsonStore(tmp_path)
    first.put("ab12", {"rows": [1]})
    first.close()
    (tmp_path / STORE_FILE).write_bytes(b"cut short by a full disk" * 100)
    store = JsonStore(tmp_path)
    assert store.get("ab12") is None
    store.put("ab12", {"rows": [3]})
    assert JsonStore(tmp_path).get("ab12") == {"rows": [3]}


def test_an_entry_written_by_one_store_is_read_by_another_on_the_same_folder(tmp_path):
    writer, reader = JsonStore(tmp_path), JsonStore(tmp_path)
    assert reader.get("ab12") is None
    writer.put("ab12", {"rows": [1]})
    writer.put("ab12", {"rows": [2]})  # a key written again holds the last value
    assert reader.get("ab12") == {"rows": [2]}


def test_a_store_travels_to_another_process_without_its_connection(tmp_path):
    import pickle
    store = JsonStore(tmp_path)
    store.put("ab12", [1])
    copy = pickle.loads(pickle.dumps(store))
    assert copy.get("ab12") == [1]


def test_a_store_without_a_folder_keeps_nothing(tmp_path):
    store = JsonStore(None)
    store.put("ab12", {"rows": [1]})
    assert store.get("ab12") is None
    assert not any(tmp_path.iterdir())


def test_writing_leaves_no_temporary_files(tmp_path):
    store = JsonStore(tmp_path)
    for i in range(5):
        store.put(f"key{i}", [i])
    assert not list(tmp_path.rglob("*.tmp"))


def test_a_pickled_result_is_built_once_and_then_loaded(tmp_path):
    from pipeline.core.cache import pickled
    calls = []

    def build():
        calls.append(1)
        return {"pipeline": [1, 2]}

    path = tmp_path / "pipelines" / "v1.pickle"
    assert pickled(path, build) == {"pipeline": [1, 2]}
    assert pickled(path, build) == {"pipeline": [1, 2]}
    assert len(calls) == 1 and path.exists()


def test_a_result_that_cannot_be_pickled_is_returned_and_nothing_is_left_behind(tmp_path):
    from pipeline.core.cache import pickled
    value = {"component": lambda doc: doc}  # a lambda cannot be pickled
    assert pickled(tmp_path / "pipelines" / "v1.pickle", lambda: value) is value
    assert not [p for p in tmp_path.rglob("*") if p.is_file()]
