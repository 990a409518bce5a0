"""Typed params: defaults in one place, and every mistake one line naming the field."""

from __future__ import annotations

import pytest

from pipeline.core.errors import PipelineError
from pipeline.core.params import Params, dump_params, load_params, parse_params

from ..conftest import ROOT


def test_the_project_params_file_is_valid_and_round_trips(tmp_path):
    params = load_params(ROOT / "params.yaml")
    path = tmp_path / "params.yaml"
    path.write_text(dump_params(params), encoding="utf-8")
    assert load_params(path) == params


def test_a_missing_section_takes_its_defaults():
    params = parse_params({"trends": {"top_terms": 5}})
    assert params.trends.top_terms == 5 and params.learned == Params().learned


@pytest.mark.parametrize("data, field", [
    ({"trends": {"top_trems": 5}}, "trends.top_trems"),
    ({"learned": {"c": "strong"}}, "learned.c"),
    ({"trends": {"group_by": "decade"}}, "trends.group_by"),
    ({"nosuch": {}}, "nosuch"),
    ({"tag": {"n_process": 0}}, "tag.n_process"),
])
def test_a_misspelt_key_or_a_wrong_value_is_one_line_naming_the_field(data, field):
    with pytest.raises(PipelineError) as err:
        parse_params(data, source="params.yaml")
    assert str(err.value).startswith(f"params.yaml: {field}:") and "\n" not in str(err.value)


def test_a_missing_params_file_is_an_error_not_silent_defaults(tmp_path):
    with pytest.raises(PipelineError, match="no such params file"):
        load_params(tmp_path / "params.yaml")


def test_a_params_file_that_is_not_yaml_is_one_line(tmp_path):
    path = tmp_path / "params.yaml"
    path.write_text("trends: [unclosed", encoding="utf-8")
    with pytest.raises(PipelineError, match="not readable YAML"):
        load_params(path)
