"""The tag stage's per-statement cache, its tables in parts and worker
processes: a rerun tags only what changed and rewrites only the parts it is
in, a codebook edit re-runs only theme matching, and neither the cache, the
parts kept nor the number of processes changes a byte of the output."""

from __future__ import annotations

import re
import sqlite3

import pandas as pd
import pytest
import yaml

from pipeline import ingest, tag
from pipeline.core.cache import STORE_FILE

from .conftest import PARAMS, ROOT, SEED

OTHER = {
    "a.txt": "Fiji presented on exploitation in the fishing industry.\n\nThe Philippines raised scam centres.\n",
    "b.txt": "Delegates discussed the reintegration of returned victims of trafficking in persons.\n",
}


def write_params(folder, *, n_process=1, cache=True):
    params = yaml.safe_load(PARAMS.read_text())
    params["tag"].update(n_process=n_process, cache_dir=str(folder / "cache") if cache else "")
    path = folder / f"params-{n_process}-{cache}.yaml"
    path.write_text(yaml.safe_dump(params))
    return path


def run(folder, params, capsys, *, codebook=ROOT / "corpus/codebook.yaml", out="out"):
    assert ingest.main(["--statements", str(folder / "statements"), "--manifest", str(folder / "none.csv"),
                        "--out", str(folder / out / "interim"), "--metrics", str(folder / out / "ingest.json"),
                        "--duplicates", str(folder / out / "duplicates.csv"), "--params", str(params)]) == 0
    capsys.readouterr()
    assert tag.main(["--interim", str(folder / out / "interim"), "--tables", str(folder / out / "tables"),
                     "--metrics", str(folder / out / "tag.json"), "--codebook", str(codebook),
                     "--params", str(params)]) == 0
    line = [x for x in capsys.readouterr().err.splitlines() if "from the cache" in x][-1]
    found = re.search(r"(\d+) tagged, (\d+) theme matching only, (\d+) from the cache, (\d+) unchanged", line)
    return dict(zip(("tagged", "themes_only", "cached", "unchanged"), map(int, found.groups())))


def outputs(folder, out="out") -> dict[str, bytes]:
    """The stage's files; a table written in parts, file by file."""
    files = ["interim/sentences.parquet", "interim/mentions.parquet", "interim/people.parquet",
             "tables/attendance.csv", "tables/people.csv", "tag.json"]
    found = {}
    for f in files:
        path = folder / out / f
        for part in sorted(path.iterdir()) if path.is_dir() else [path]:
            found[str(part.relative_to(folder / out))] = part.read_bytes()
    return found


@pytest.fixture
def corpus(tmp_path):
    (tmp_path / "statements").mkdir()
    (tmp_path / "statements" / SEED.name).write_bytes(SEED.read_bytes())
    for name, text in OTHER.items():
        (tmp_path / "statements" / name).write_text(text, encoding="utf-8")
    return tmp_path


def test_adding_a_statement_tags_only_that_statement(corpus, capsys):
    params = write_params(corpus)
    assert run(corpus, params, capsys) == {"tagged": 3, "themes_only": 0, "cached": 0, "unchanged": 0}
    assert run(corpus, params, capsys) == {"tagged": 0, "themes_only": 0, "cached": 0, "unchanged": 3}
    (corpus / "statements" / "c.txt").write_text("Forced marriage was discussed.\n", encoding="utf-8")
    counts = run(corpus, params, capsys)
    assert counts["tagged"] == 1 and counts["themes_only"] == 0 and counts["cached"] + counts["unchanged"] == 3
    cached = outputs(corpus)
    assert run(corpus, write_params(corpus, cache=False), capsys, out="fresh") == {"tagged": 4, "themes_only": 0,
                                                                                   "cached": 0, "unchanged": 0}
    assert outputs(corpus, "fresh") == cached


def test_editing_the_codebook_reruns_theme_matching_only_and_gives_what_a_fresh_run_gives(corpus, capsys):
    params = write_params(corpus)
    run(corpus, params, capsys)
    edited = corpus / "codebook.yaml"
    edited.write_text((ROOT / "corpus/codebook.yaml").read_text().replace(
        "    - grievance mechanism", "    - grievance mechanism\n    - fishing industry", 1))
    assert run(corpus, params, capsys, codebook=edited) == {"tagged": 0, "themes_only": 3, "cached": 0,
                                                            "unchanged": 0}
    rethemed = outputs(corpus)
    run(corpus, write_params(corpus, cache=False), capsys, codebook=edited, out="fresh")
    assert outputs(corpus, "fresh") == rethemed
    mentions = pd.read_parquet(corpus / "out/interim/mentions.parquet")
    assert "fishing industry" in set(mentions.loc[mentions.label == "remedy", "text"])


def test_two_worker_processes_give_the_same_bytes_as_one(corpus, capsys):
    run(corpus, write_params(corpus, n_process=1, cache=False), capsys, out="one")
    assert run(corpus, write_params(corpus, n_process=2, cache=False), capsys, out="two")["tagged"] == 3
    assert outputs(corpus, "two") == outputs(corpus, "one")


def test_a_damaged_cache_entry_is_recomputed(corpus, capsys):
    params = write_params(corpus)
    run(corpus, params, capsys)
    [entity_store] = (corpus / "cache" / "entities").rglob(STORE_FILE)
    with sqlite3.connect(entity_store) as db:  # one statement's sentences and entities cut short
        db.execute("UPDATE entries SET value = '{not json' WHERE key = (SELECT MIN(key) FROM entries)")
    counts = run(corpus, params, capsys, out="again")  # new tables: every statement is read from the cache
    assert counts["cached"] == 2 and counts["tagged"] + counts["themes_only"] == 1


def test_a_rerun_that_must_tag_loads_the_compiled_pipeline_from_the_cache_and_tags_the_same(corpus, capsys,
                                                                                           monkeypatch):
    params = write_params(corpus)
    run(corpus, params, capsys)
    assert len(list((corpus / "cache" / "pipelines").glob("*.pickle"))) == 1

    def no_building(**_):
        raise AssertionError("the pipeline was compiled again instead of loaded from the cache")

    monkeypatch.setattr(tag, "tagging_pipeline", no_building)
    (corpus / "statements" / "c.txt").write_text("Forced marriage was discussed.\n", encoding="utf-8")
    assert run(corpus, params, capsys)["tagged"] == 1
    monkeypatch.undo()
    run(corpus, write_params(corpus, cache=False), capsys, out="fresh")
    assert outputs(corpus, "fresh") == outputs(corpus)


def test_a_damaged_pickled_pipeline_is_rebuilt(corpus, capsys):
    params = write_params(corpus)
    run(corpus, params, capsys)
    [pickled] = (corpus / "cache" / "pipelines").glob("*.pickle")
    pickled.write_bytes(pickled.read_bytes()[:1000])  # cut short, as by a full disk
    (corpus / "statements" / "c.txt").write_text("Forced marriage was discussed.\n", encoding="utf-8")
    assert run(corpus, params, capsys)["tagged"] == 1
    assert pickled.stat().st_size > 1000
    run(corpus, write_params(corpus, cache=False), capsys, out="fresh")
    assert outputs(corpus, "fresh") == outputs(corpus)


def test_a_bug_planted_in_any_tagging_module_is_never_hidden_by_a_warm_cache(corpus):
    """The experiment behind the cache key: a copy of the project warms its
    cache, a bug that drops every mention is planted in the copy's
    tagstream.py, and the rerun must show the bug (not serve the old rows)."""
    import shutil
    import subprocess
    import sys
    project = corpus / "project"
    shutil.copytree(ROOT / "pipeline", project / "pipeline", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(ROOT / "corpus", project / "corpus", ignore=shutil.ignore_patterns("statements", "*.csv"))
    shutil.copy(ROOT / "corpus/gazetteer/cities.csv", project / "corpus/gazetteer/cities.csv")
    params = write_params(corpus)
    assert ingest.main(["--statements", str(corpus / "statements"), "--manifest", str(corpus / "none.csv"),
                        "--out", str(corpus / "interim"), "--metrics", str(corpus / "ingest.json"),
                        "--duplicates", str(corpus / "duplicates.csv"), "--params", str(params)]) == 0

    def mentions_after_tagging() -> int:
        done = subprocess.run([sys.executable, "-m", "pipeline.tag", "--interim", str(corpus / "interim"),
                               "--tables", str(corpus / "tables"), "--metrics", str(corpus / "tag.json"),
                               "--params", str(params)], cwd=project, capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
        return len(pd.read_parquet(corpus / "interim/mentions.parquet"))

    assert mentions_after_tagging() > 0
    tagstream = project / "pipeline/core/tagstream.py"
    source = tagstream.read_text(encoding="utf-8")
    planted = source.replace("    return split_rows(tag_statement(doc, task.statement_id, task.paragraphs, names))",
                             "    rows = tag_statement(doc, task.statement_id, task.paragraphs, names)\n"
                             "    rows.mentions.clear()\n    return split_rows(rows)")
    assert planted != source
    tagstream.write_text(planted, encoding="utf-8")
    assert mentions_after_tagging() == 0


def test_a_model_joined_to_the_rules_adds_its_sentence_tags_after_the_cache(corpus, capsys):
    from pipeline.core.codebook import load_codebook
    from pipeline.core.learned import ThemeModel, training_set
    book = load_codebook(ROOT / "corpus/codebook.yaml")
    model = ThemeModel(book.ids()).fit(*training_set(book))
    model.joined = {"fishing": 0.0}  # every sentence passes: the test is about the wiring, not the model
    model.save(corpus / "model.joblib")
    params = write_params(corpus)
    run(corpus, params, capsys)  # warms the cache without the model
    assert tag.main(["--interim", str(corpus / "out/interim"), "--tables", str(corpus / "out/tables"),
                     "--metrics", str(corpus / "out/tag.json"), "--model", str(corpus / "model.joblib"),
                     "--params", str(params)]) == 0
    mentions = pd.read_parquet(corpus / "out/interim/mentions.parquet")
    sentences = pd.read_parquet(corpus / "out/interim/sentences.parquet")
    by_model = mentions[mentions["source"].str.startswith("learned model")]
    ruled = set(mentions.loc[(mentions["label"] == "fishing") & ~mentions.index.isin(by_model.index), "sentence_id"])
    assert set(by_model["sentence_id"]) == set(sentences["sentence_id"]) - ruled
