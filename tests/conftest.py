"""Shared fixtures: the project's seed statement and the optional ../shared data."""

from __future__ import annotations

import atexit
import shutil
import tempfile
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
SEED = ROOT / "corpus" / "statements" / "2025-12-wg-tip-11-manila-co-chair-statement.txt"
SHARED = ROOT.parent / "shared"


def _test_params() -> Path:
    """The project's params.yaml with the ingest and tag caches in a folder of
    this test session's own: tests never read or fill the repository's
    .cache/, so a cache entry made by other code can never hide a bug."""
    folder = Path(tempfile.mkdtemp(prefix="bali-themes-tests-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    params = yaml.safe_load((ROOT / "params.yaml").read_text(encoding="utf-8"))
    params["ingest"]["cache_dir"] = str(folder / "cache" / "ingest")
    params["tag"]["cache_dir"] = str(folder / "cache" / "tag")
    path = folder / "params.yaml"
    path.write_text(yaml.safe_dump(params, sort_keys=False), encoding="utf-8")
    return path


PARAMS = _test_params()


# The project's published outputs: no test may write into them (a stage
# called without an output flag writes to its default path under the
# working directory, which for `make test` is the repository).
PUBLISHED = [ROOT / "outputs" / name for name in ("interim", "tables", "metrics", "figures", "models", "report.html")]


def _published_state() -> dict[str, tuple[int, int]]:
    files = [p for root in PUBLISHED if root.exists() for p in ([root] if root.is_file() else root.rglob("*"))]
    return {str(p.relative_to(ROOT)): (p.stat().st_size, p.stat().st_mtime_ns) for p in files if p.is_file()}


@pytest.fixture(autouse=True)
def _published_outputs_untouched():
    before = _published_state()
    yield
    after = _published_state()
    changed = sorted(k for k in before.keys() | after.keys() if before.get(k) != after.get(k))
    assert not changed, f"the test wrote into the project's outputs: {changed[:5]}; pass the stage an output path"


def table_parts(root: Path, tables) -> dict[str, tuple[int, bytes]]:
    """Every part of the named interim tables under ``root``: (inode, bytes) by
    path, so a test sees which parts a rerun rewrote and which it kept."""
    return {p.relative_to(root).as_posix(): (p.stat().st_ino, p.read_bytes())
            for table in tables for p in sorted((root / "interim" / f"{table}.parquet").iterdir())}


def shared_path(*parts: str) -> Path:
    """A path under ../shared, skipping the test cleanly where it is absent."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"{path} is not here (it ships only with the project's development data)")
    return path


@pytest.fixture(scope="session")
def seed_text() -> str:
    return SEED.read_text(encoding="utf-8")


@pytest.fixture(scope="session")
def nlp():
    """The project's default pipeline (blank English + rules), built once."""
    from pipeline.core.nlp import build_nlp
    return build_nlp(gazetteer=ROOT / "corpus/gazetteer/actors.yaml", cities=ROOT / "corpus/gazetteer/cities.csv")


def ents(doc) -> list[tuple[str, str, str]]:
    return [(e.text, e.label_, e.kb_id_) for e in doc.ents]


@pytest.fixture(scope="session")
def seed_run(tmp_path_factory) -> Path:
    """The project corpus through every stage (ingest -> report) into a temporary folder."""
    from pipeline import run_corpus
    out = tmp_path_factory.mktemp("seed-run")
    assert run_corpus.main([str(ROOT / "corpus/statements"), "--manifest", str(ROOT / "corpus/statements.csv"),
                            "--out", str(out), "--params", str(PARAMS)]) == 0
    return out
