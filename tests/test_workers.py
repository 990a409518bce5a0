"""Where the work runs does not change a byte: one process, local worker
processes, or the workers of a Dask cluster (a LocalCluster started here
with two worker processes) give the same ingest and tag outputs."""

from __future__ import annotations

import operator
import time
from pathlib import Path

import pytest
import yaml

from pipeline import ingest, tag
from pipeline.core.errors import PipelineError
from pipeline.core.workers import Workers, connect, one_ahead

from .conftest import PARAMS, SEED

STATEMENTS = {
    "a.txt": "Fiji presented on exploitation in the fishing industry.\n\nThe Philippines raised scam centres.\n",
    "b.txt": "Delegates discussed the reintegration of returned victims of trafficking in persons.\n",
    "b-copy.txt": "Delegates discussed the reintegration of returned victims of trafficking in persons.\n",
    "empty.txt": "",
    "broken.pdf": "%PDF-1.4 this is not a PDF",
}


@pytest.fixture(scope="module")
def cluster():
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                                  dashboard_address=None) as local:
        yield local


@pytest.fixture
def corpus(tmp_path):
    folder = tmp_path / "statements"
    folder.mkdir()
    (folder / SEED.name).write_bytes(SEED.read_bytes())
    (folder / "seed-again.txt").write_text(SEED.read_text(encoding="utf-8").replace("Manila", "Manila City", 1),
                                           encoding="utf-8")  # a near-duplicate
    for name, text in STATEMENTS.items():
        (folder / name).write_text(text, encoding="utf-8")
    return tmp_path


def params(folder, *, n_process=1, cache=False):
    values = yaml.safe_load(PARAMS.read_text())
    for stage in ("ingest", "tag"):
        values[stage].update(n_process=n_process, cache_dir=str(folder / "cache" / stage) if cache else "")
    path = folder / f"params-{n_process}-{cache}.yaml"
    path.write_text(yaml.safe_dump(values))
    return path


def run(folder, params_file, out, *extra):
    root = folder / out
    assert ingest.main(["--statements", str(folder / "statements"), "--manifest", str(folder / "none.csv"),
                        "--out", str(root / "interim"), "--metrics", str(root / "ingest.json"),
                        "--duplicates", str(root / "duplicates.csv"), "--params", str(params_file), *extra]) == 0
    assert tag.main(["--interim", str(root / "interim"), "--tables", str(root / "tables"),
                     "--metrics", str(root / "tag.json"), "--params", str(params_file), *extra]) == 0
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_the_workers_return_results_in_input_order_on_every_backend(cluster):
    items = list(range(50))
    for workers in (Workers(), Workers(n_process=2, batch=3), Workers(scheduler=cluster.scheduler_address, batch=3)):
        with workers as pool:
            assert list(pool.map(operator.neg, items)) == [-i for i in items]
            assert list(pool.map(operator.neg, [])) == []


def test_one_ahead_gives_each_item_once_the_next_has_been_taken():
    taken = []

    def blocks_handed_out():
        for i in range(3):
            taken.append(i)
            yield i
    assert [(item, list(taken)) for item in one_ahead(blocks_handed_out())] == [(0, [0, 1]), (1, [0, 1, 2]),
                                                                                (2, [0, 1, 2])]
    assert list(one_ahead(iter([]))) == []


def test_a_blocks_work_is_handed_out_before_its_results_are_read(tmp_path, cluster):
    """So a stage can hand out its next block while it reads the last one's
    results, and the workers never wait for it."""
    for n, workers in enumerate((Workers(n_process=2, batch=2), Workers(scheduler=cluster.scheduler_address, batch=2))):
        marks = [tmp_path / f"{n}-{i}" for i in range(6)]
        with workers as pool:
            results = pool.map(Path.touch, marks)  # not read yet
            deadline = time.monotonic() + 30
            while not all(m.exists() for m in marks) and time.monotonic() < deadline:
                time.sleep(0.05)
            assert all(m.exists() for m in marks)
            assert list(results) == [None] * len(marks)


def test_a_dask_cluster_gives_the_same_bytes_as_one_process(corpus, cluster):
    local = run(corpus, params(corpus), "local")
    on_cluster = run(corpus, params(corpus), "dask", "--scheduler", cluster.scheduler_address)
    assert set(on_cluster) == set(local) >= {"interim/statements.parquet/part-000000.parquet",
                                             "interim/paragraphs.parquet/part-000000.parquet",
                                             "interim/sentences.parquet/part-000000.parquet",
                                             "interim/mentions.parquet/part-000000.parquet",
                                             "duplicates.csv", "tables/attendance.csv"}
    assert on_cluster == local
    assert b"seed-again.txt" in local["duplicates.csv"]


def test_a_dask_cluster_fills_and_reads_the_same_caches_as_a_local_run(corpus, cluster):
    warm = params(corpus, cache=True)
    first = run(corpus, warm, "first", "--scheduler", cluster.scheduler_address)
    assert first == run(corpus, warm, "again")  # locally, everything from the cache
    assert first == run(corpus, params(corpus), "fresh")


def test_local_worker_processes_give_the_same_bytes_as_one(corpus):
    assert run(corpus, params(corpus, n_process=2), "two") == run(corpus, params(corpus), "one")


def test_an_unreachable_scheduler_is_one_clear_error():
    with pytest.raises(PipelineError, match=r"cannot reach the Dask scheduler at tcp://127\.0\.0\.1:9: .*`dask scheduler`"):
        connect("tcp://127.0.0.1:9", timeout="2s")
