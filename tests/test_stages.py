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


def _imports_by_parsing_the_whole_file(path, package: str) -> set[str]:
    """The reference: every Import and ImportFrom node of the whole syntax tree."""
    import ast
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = package.split(".")[: len(package.split(".")) - node.level + 1] if node.level else []
            prefix = ".".join(base + ([node.module] if node.module else [])) if node.level else node.module
            found |= {prefix} | {f"{prefix}.{a.name}" for a in node.names}
    return found


def test_scanning_import_lines_finds_every_project_import_a_full_parse_finds():
    from pipeline.stages import _imports, _module_file
    for path in sorted((ROOT / "pipeline").rglob("*.py")):
        module = ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
        package = module if path.name == "__init__.py" else module.rpartition(".")[0]
        expected = {m for m in _imports_by_parsing_the_whole_file(path, package)
                    if m.split(".")[0] == "pipeline" and _module_file(m)}
        assert _imports(path, module) == expected, path


def test_an_import_inside_a_function_or_in_parentheses_over_several_lines_is_found(tmp_path):
    from pipeline.stages import _import_statements
    source = ("def f():\n    if True:\n        from .core import (\n            io,\n            stamps,\n        )\n"
              "    import pipeline.core.cache as c\n")
    found = [(type(n).__name__, getattr(n, "module", None), [a.name for a in n.names])
             for n in _import_statements(source)]
    assert found == [("ImportFrom", "core", ["io", "stamps"]), ("Import", None, ["pipeline.core.cache"])]
