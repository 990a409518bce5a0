"""Dictionary exchange: the codebook as quanteda YAML or LIWC .dic, and back."""

from __future__ import annotations

import pytest
import yaml

from pipeline.core.codebook import load_codebook
from pipeline.core.dictionaries import liwc_dic, quanteda_yaml, read_liwc, read_quanteda
from pipeline.core.errors import PipelineError

from ..conftest import ROOT


def as_codebook(tmp_path, data: dict):
    path = tmp_path / "codebook.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return load_codebook(path)


def test_a_quanteda_export_imported_and_exported_again_is_unchanged(tmp_path):
    text, notes = quanteda_yaml(load_codebook(ROOT / "corpus/codebook.yaml"))
    assert notes and all(line.startswith("#") for line in text.splitlines()[:len(notes) + 1])
    (tmp_path / "themes.yml").write_text(text, encoding="utf-8")
    again, more = quanteda_yaml(as_codebook(tmp_path, read_quanteda(tmp_path / "themes.yml")))
    body = lambda t: [line for line in t.splitlines() if not line.startswith("#")]  # noqa: E731
    assert body(again) == body(text) and more == []


def test_what_does_not_translate_is_listed_not_dropped_silently():
    _, notes = quanteda_yaml(load_codebook(ROOT / "corpus/codebook.yaml"))
    assert any("context rules" in n for n in notes) and any("token pattern" in n for n in notes)
    assert any("'*' for a whole word" in n for n in notes)


def test_a_liwc_dictionary_with_globs_and_shared_words_becomes_themes(tmp_path):
    path = tmp_path / "d.dic"
    path.write_text("%\n1\tSmuggling\n2\tBorders\n%\nsmuggl*\t1\nboat people\t1\t2\n", encoding="utf-8")
    book = as_codebook(tmp_path, read_liwc(path))
    assert [t.id for t in book.themes] == ["smuggling", "borders"]
    assert book.themes[0].rules[0].patterns == (({"LOWER": {"REGEX": "^smuggl"}},), "boat people")
    text, _ = liwc_dic(book)
    assert "boat people\t1\t2" in text


def test_nested_quanteda_categories_become_sub_themes_whose_parent_counts_them_all(tmp_path):
    path = tmp_path / "d.yml"
    path.write_text("exploitation:\n  labour: [forced labour]\n  sexual: [brothel*]\n", encoding="utf-8")
    book = as_codebook(tmp_path, read_quanteda(path))
    parent = {t.id: t for t in book.themes}
    assert parent["labour"].parent == "exploitation" and len(parent["exploitation"].rules[0].patterns) == 2


def test_a_parent_with_entries_of_its_own_keeps_them_and_its_sub_theme_keeps_its_own(tmp_path):
    path = tmp_path / "d.yml"  # the shape quanteda_yaml writes for a theme with sub-themes
    path.write_text("labour:\n  labour: [forced labour]\n  fishing: [deckhand]\n", encoding="utf-8")
    book = as_codebook(tmp_path, read_quanteda(path))
    themes = {t.id: t for t in book.themes}
    assert [t.id for t in book.themes] == ["labour", "fishing"] and themes["fishing"].parent == "labour"
    assert themes["labour"].rules[0].patterns == ("forced labour",)
    assert themes["fishing"].rules[0].patterns == ("deckhand",)


@pytest.mark.parametrize("entry, message", [("'*'", "matches every word"), ("'tr*ff'", "not a glob"),
                                            ("'[a'", "words only")])
def test_a_dictionary_entry_that_matches_everything_or_is_not_a_glob_is_one_error(tmp_path, entry, message):
    path = tmp_path / "d.yml"
    path.write_text(f"theme: [{entry}]\n", encoding="utf-8")
    with pytest.raises(PipelineError, match=message):
        read_quanteda(path)
