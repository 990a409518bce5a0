"""A rerun of `run_corpus` into the same folder does only what changed:
a stage runs again when its code, params or input files changed, or when
an output it wrote was touched; otherwise it is skipped."""

from __future__ import annotations

import os

import pytest

from pipeline import run_corpus
from pipeline.core.stamps import Stamps

from .conftest import PARAMS, SEED

STAGES = ["ingest", "train", "tag", "evaluate", "trends", "discover", "compare", "charts", "report"]


def test_a_stamp_is_fresh_only_for_the_same_fingerprint_and_untouched_outputs(tmp_path):
    out = tmp_path / "table.csv"
    out.write_text("a\n")
    stamps = Stamps(tmp_path / "stamps")
    assert not stamps.fresh("trends", "print-1", [out])  # never recorded
    stamps.record("trends", "print-1", [out])
    assert stamps.fresh("trends", "print-1", [out])
    assert not stamps.fresh("trends", "print-2", [out])
    os.utime(out, ns=(1, 1))
    assert not stamps.fresh("trends", "print-1", [out])
    stamps.record("trends", "print-1", [out])
    out.unlink()
    assert not stamps.fresh("trends", "print-1", [out])
    (tmp_path / "stamps" / "trends.json").write_text("{damaged")
    assert not stamps.fresh("trends", "print-1", [out])


@pytest.fixture
def corpus(tmp_path):
    folder = tmp_path / "statements"
    folder.mkdir()
    (folder / SEED.name).write_bytes(SEED.read_bytes())
    (folder / "b.txt").write_text("Delegates discussed scam centres and forced marriage.\n", encoding="utf-8")
    return folder


def run(corpus, out, capsys, *extra) -> dict[str, bool]:
    capsys.readouterr()
    assert run_corpus.main([str(corpus), "--out", str(out), "--params", str(PARAMS), *extra]) == 0
    err = capsys.readouterr().err
    return {name: f"run_corpus: {name} done" in err for name in STAGES if f"run_corpus: {name} " in err}


def snapshot(out):
    return {p: p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file() and ".stamps" not in p.parts}


def test_a_rerun_with_nothing_changed_runs_nothing_and_an_edit_reruns_from_where_it_bites(corpus, tmp_path, capsys):
    out = tmp_path / "run"
    assert all(run(corpus, out, capsys).values())
    before = snapshot(out)
    assert not any(run(corpus, out, capsys).values())
    assert snapshot(out) == before
    (out / "report.html").write_text("edited by hand")
    assert [s for s, ran in run(corpus, out, capsys).items() if ran] == ["report"]
    assert snapshot(out) == before
    (corpus / "c.txt").write_text("Fiji raised exploitation in the fishing industry.\n", encoding="utf-8")
    ran = run(corpus, out, capsys)
    assert ran["ingest"] and ran["tag"] and ran["trends"] and not ran["train"]
    assert all(run(corpus, out, capsys, "--force").values())
    assert not any(run(corpus, out, capsys, "--set", "charts.top_actors=20").values())  # the same value
    ran = run(corpus, out, capsys, "--set", "charts.top_actors=5")
    assert [s for s, r in ran.items() if r] == ["charts", "report"]
