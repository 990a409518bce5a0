"""The JSON store behind the per-statement caches: what goes in comes out,
and nothing unreadable is ever trusted."""

from __future__ import annotations

from pipeline.core.cache import JsonStore


def test_a_stored_value_comes_back_and_an_unknown_key_is_missing(tmp_path):
    store = JsonStore(tmp_path)
    store.put("ab12", {"rows": [1, 2], "text": "Tráfico"})
    assert store.get("ab12") == {"rows": [1, 2], "text": "Tráfico"}
    assert store.get("cd34") is None


def test_a_damaged_entry_is_treated_as_missing(tmp_path):
    store = JsonStore(tmp_path)
    store.put("ab12", {"rows": [1]})
    (entry,) = tmp_path.rglob("*.json")
    entry.write_text('{"rows": [1', encoding="utf-8")
    assert store.get("ab12") is None


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
