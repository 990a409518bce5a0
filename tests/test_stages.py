"""The stage declaration: order, flags and the code each stage runs."""

from __future__ import annotations

from pipeline.stages import code_version, import_closure, stages

from .conftest import ROOT


def test_stages_run_in_an_order_where_every_input_is_made_before_it_is_read():
    made: set = set()
    for stage in stages():
        produced = set(stage.outs) | set(stage.published) | set(stage.metrics)
        for dep in stage.deps:
            later = [s.name for s in stages() if dep in set(s.outs) | set(s.published) | set(s.metrics)]
            assert not later or dep in made, f"{stage.name} reads {dep} before {later} writes it"
        made |= produced


def test_the_import_closure_follows_function_level_and_relative_imports():
    files = {str(p.relative_to(ROOT)) for p in import_closure("pipeline.tag")}
    assert {"pipeline/tag.py", "pipeline/core/tagstream.py", "pipeline/core/records.py",
            "pipeline/core/themes.py"} <= files  # themes: imported inside build_nlp
    assert "pipeline/core/report.py" not in files


def test_the_code_version_changes_with_extra_facts():
    assert code_version("pipeline.tag", "a") != code_version("pipeline.tag", "b")
    assert code_version("pipeline.tag", "a") == code_version("pipeline.tag", "a")
