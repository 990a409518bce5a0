"""dvc.yaml, params.yaml and the code agree: every stage runs, every declared
output is produced, every param a stage names exists, and a second
`dvc repro` has nothing to do."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from .conftest import ROOT

PARAMS = yaml.safe_load((ROOT / "params.yaml").read_text())


def resolve(text: str) -> str:
    def value(m: re.Match) -> str:
        node = PARAMS
        for key in m.group(1).split("."):
            node = node[key]
        return str(node)
    return re.sub(r"\$\{([\w.]+)\}", value, text)


def paths(entries) -> list[str]:
    return [resolve(next(iter(e)) if isinstance(e, dict) else e) for e in entries or []]


STAGES = yaml.safe_load((ROOT / "dvc.yaml").read_text())["stages"]


@pytest.mark.parametrize("name", sorted(STAGES))
def test_every_param_a_stage_names_exists(name):
    for dotted in STAGES[name].get("params", []):
        node = PARAMS
        for key in dotted.split("."):
            assert key in node, f"stage {name}: param {dotted} is not in params.yaml"
            node = node[key]


@pytest.mark.parametrize("name", sorted(STAGES))
def test_every_path_a_stage_writes_is_in_its_command(name):
    stage = STAGES[name]
    cmd = resolve(stage["cmd"])
    for path in paths(stage.get("outs")) + paths(stage.get("metrics")) + paths(stage.get("plots")):
        folder = str(Path(path).parent)
        assert path in cmd or folder in cmd, f"stage {name}: {path} is declared but not in its cmd"


@pytest.mark.parametrize("name", sorted(STAGES))
def test_every_dependency_exists_or_is_made_by_an_earlier_stage(name):
    made = {p for stage in STAGES.values() for p in paths(stage.get("outs"))}
    for path in paths(STAGES[name].get("deps")):
        assert path in made or (ROOT / path).exists(), f"stage {name}: dependency {path} does not exist"


@pytest.mark.parametrize("name", sorted(STAGES))
def test_every_stage_has_a_description_and_a_help(name):
    assert STAGES[name].get("desc")
    module = re.search(r"python -m ([\w.]+)", STAGES[name]["cmd"]).group(1)
    done = subprocess.run([sys.executable, "-m", module, "--help"], capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 0 and "usage:" in done.stdout
    assert "(default: None)" not in done.stdout and not re.search(r"\(default: [^)]*\)\s+\(default:", done.stdout)


def test_dvc_yaml_is_what_the_stage_declaration_gives():
    from pipeline.core.codebook import load_codebook
    from pipeline.stages import dvc_yaml
    expected = dvc_yaml(load_codebook(ROOT / "corpus/codebook.yaml").ids())
    assert (ROOT / "dvc.yaml").read_text(encoding="utf-8") == expected, \
        "dvc.yaml is out of date: run `python -m pipeline.stages --write`"


def imported_project_files(module: str) -> set[str]:
    """The project files a module can run, found by the standard library's
    ModuleFinder (independently of the project's own import scan)."""
    from modulefinder import ModuleFinder
    finder = ModuleFinder(path=[str(ROOT)], excludes=["pandas", "numpy", "spacy", "sklearn", "scipy", "pyarrow",
                                                       "matplotlib", "dvc", "jinja2", "pydantic", "yaml", "tqdm"])
    finder.import_hook(module)
    return {str(Path(m.__file__).relative_to(ROOT)) for m in finder.modules.values()
            if m.__file__ and Path(m.__file__).resolve().is_relative_to(ROOT / "pipeline")}


@pytest.mark.parametrize("name", sorted(STAGES))
def test_every_stage_depends_on_every_project_module_it_imports(name):
    module = re.search(r"python -m ([\w.]+)", STAGES[name]["cmd"]).group(1)
    deps = set(paths(STAGES[name]["deps"]))
    missing = imported_project_files(module) - deps
    assert not missing, f"stage {name} runs {sorted(missing)} but dvc.yaml does not list them as deps"


@pytest.fixture(scope="module")
def fresh_clone(tmp_path_factory) -> Path:
    """The committed project in a fresh folder, as a user's clone would be
    (plus any uncommitted edits to tracked files, so the test checks the code
    under test)."""
    dest = tmp_path_factory.mktemp("clone") / "project"
    files = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                           capture_output=True, text=True, cwd=ROOT, check=True).stdout.split("\0")
    for rel in filter(None, files):
        src = ROOT / rel
        if src.is_file():
            (dest / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / rel)
    subprocess.run(["git", "init", "-q"], cwd=dest, check=True)
    return dest


def dvc(args: list[str], cwd: Path) -> subprocess.CompletedProcess:
    env_bin = str(Path(sys.executable).parent)
    import os
    env = {**os.environ, "PATH": env_bin + os.pathsep + os.environ.get("PATH", "")}
    return subprocess.run([str(Path(env_bin) / "dvc"), *args], capture_output=True, text=True, cwd=cwd, env=env)


def test_the_dvc_plot_of_theme_shares_has_a_line_for_every_codebook_theme():
    from pipeline.core.codebook import load_codebook
    plots = yaml.safe_load((ROOT / "dvc.yaml").read_text())["plots"]
    shares = next(p["theme_share_by_meeting"] for p in plots if "theme_share_by_meeting" in p)
    assert shares["y"]["outputs/tables/theme_shares.csv"] == load_codebook(ROOT / "corpus/codebook.yaml").ids()


COMMITTED_OUTPUTS = ["outputs/tables", "outputs/figures", "outputs/report.html", "outputs/metrics"]


def committed_files() -> list[str]:
    listed = subprocess.run(["git", "ls-files", *COMMITTED_OUTPUTS], capture_output=True, text=True, cwd=ROOT,
                            check=True).stdout.split()
    return [p for p in listed if (ROOT / p).is_file()]


@pytest.mark.slow
def test_dvc_repro_produces_every_declared_output_and_a_second_run_does_nothing(fresh_clone):
    first = dvc(["repro", "--force"], fresh_clone)
    assert first.returncode == 0, first.stderr + first.stdout
    changed = [p for p in committed_files() if (fresh_clone / p).read_bytes() != (ROOT / p).read_bytes()]
    assert not changed, f"a fresh `dvc repro` changed committed outputs (run `make run` and commit): {changed}"
    for name, stage in STAGES.items():
        for path in paths(stage.get("outs")) + paths(stage.get("metrics")) + paths(stage.get("plots")):
            assert (fresh_clone / path).exists(), f"stage {name} did not write {path}"
    assert (fresh_clone / "dvc.lock").read_text() == (ROOT / "dvc.lock").read_text(), \
        "a fresh `dvc repro` changed dvc.lock: some output is not byte-reproducible (or run `make run` and commit)"
    second = dvc(["repro"], fresh_clone)
    assert second.returncode == 0
    assert "Data and pipelines are up to date." in second.stdout
    assert "Running stage" not in second.stdout


FETCH = yaml.safe_load((ROOT / "corpus/fetch/dvc.yaml").read_text())["stages"]["fetch"]


def test_the_fetch_stage_is_outside_the_default_run_and_agrees_with_params_and_code():
    assert "fetch" not in STAGES  # `dvc repro` (and `make run`) stay offline
    assert FETCH["wdir"] == "../.." and FETCH["desc"]
    for dotted in FETCH["params"]:
        section, key = dotted.split(".")
        assert key in PARAMS[section], f"fetch: param {dotted} is not in params.yaml"
    for path in paths(FETCH["outs"]) + paths(FETCH["deps"]):
        assert path in FETCH["cmd"] or (ROOT / path).exists(), path
    done = subprocess.run([sys.executable, "-m", "pipeline.fetch", "--help"], capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 0 and "usage:" in done.stdout


@pytest.mark.parametrize("module", ["pipeline.bench", "pipeline.import_ungdc", "pipeline.run_corpus", "pipeline.suggest",
                                    "pipeline.annotate", "pipeline.export", "pipeline.compare",
                                    "pipeline.stages"])
def test_every_command_beside_the_stages_has_a_help(module):
    done = subprocess.run([sys.executable, "-m", module, "--help"], capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 0 and "usage:" in done.stdout
    assert "(default: None)" not in done.stdout and not re.search(r"\(default: [^)]*\)\s+\(default:", done.stdout)


@pytest.mark.parametrize("name", sorted(STAGES))
def test_every_output_is_persisted_so_a_failed_run_keeps_the_previous_ones(name):
    entries = [e for key in ("outs", "metrics") for e in STAGES[name].get(key, [])]
    for entry in entries:
        assert isinstance(entry, dict) and next(iter(entry.values())).get("persist") is True, \
            f"stage {name}: {entry} is not persist: DVC would delete it before the stage runs"
