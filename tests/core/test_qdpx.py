"""REFI-QDA export: valid against the standard's schema, offsets that point at
the evidence, the same bytes for the same corpus."""

from __future__ import annotations

import io
import zipfile
from xml.etree import ElementTree as ET

import pandas as pd

from pipeline import export
from pipeline.core.codebook import load_codebook
from pipeline.core.qdpx import NS, validate

from ..conftest import ROOT


def exported(seed_run, path):
    assert export.main(["qdpx", "--out", str(path), "--interim", str(seed_run / "interim"),
                        "--codebook", str(ROOT / "corpus/codebook.yaml")]) == 0
    return path.read_bytes()


def test_the_seed_exports_a_valid_project_whose_selections_are_the_evidence(seed_run, tmp_path):
    data = exported(seed_run, tmp_path / "seed.qdpx")
    archive = zipfile.ZipFile(io.BytesIO(data))
    project = archive.read("project.qde")
    assert validate(project) == []
    root = ET.fromstring(project)
    q = f"{{{NS}}}"
    codes = {c.get("guid"): c.get("name") for c in root.iter(f"{q}Code")}
    (source,) = root.iter(f"{q}TextSource")
    text = archive.read(source.get("plainTextPath").replace("internal://", "sources/")).decode("utf-8")
    selections = list(source.iter(f"{q}PlainTextSelection"))
    mentions = pd.read_parquet(seed_run / "interim/mentions.parquet")
    themes = mentions[mentions["kind"] == "theme"]
    assert len(selections) == len(themes) and len(codes) == 14
    found = sorted((text[int(s.get("startPosition")):int(s.get("endPosition"))].lower(),
                    codes[s.find(f"{q}Coding/{q}CodeRef").get("targetGUID")]) for s in selections)
    labels = {c.id: c.label for c in load_codebook(ROOT / "corpus/codebook.yaml").themes}
    assert found == sorted((t.lower(), labels[lab]) for t, lab in zip(themes["text"], themes["label"]))


def test_the_same_corpus_exports_the_same_bytes(seed_run, tmp_path):
    assert exported(seed_run, tmp_path / "a.qdpx") == exported(seed_run, tmp_path / "b.qdpx")


def test_a_project_that_breaks_the_schema_is_caught():
    bad = f'<Project xmlns="{NS}"><Users><User name="x"/></Users></Project>'.encode()
    assert validate(bad)  # no project name, no user guid


def test_an_exported_project_imported_back_gives_the_pipeline_s_own_tags_as_labels(seed_run, tmp_path):
    import json

    from pipeline import annotate
    exported(seed_run, tmp_path / "seed.qdpx")
    (tmp_path / "gold").mkdir()
    assert annotate.main(["import", str(tmp_path / "seed.qdpx"), "--coder", "qda", "--interim",
                          str(seed_run / "interim"), "--gold", str(tmp_path / "gold"), "--date", "2026-11-29"]) == 0
    rows = [json.loads(x) for x in (tmp_path / "gold/qda.jsonl").read_text().splitlines()]
    mentions = pd.read_parquet(seed_run / "interim/mentions.parquet")
    tags = mentions[mentions["kind"] == "theme"].groupby("sentence_id")["label"].agg(lambda s: sorted(set(s)))
    sentences = pd.read_parquet(seed_run / "interim/sentences.parquet")
    assert len(rows) == len(sentences)
    assert {r["id"]: r["themes"] for r in rows} == {s: tags.get(s, []) for s in sentences["sentence_id"]}


def test_a_hostile_project_is_refused_in_one_line(tmp_path):
    import pytest

    from pipeline.core.errors import PipelineError
    from pipeline.core.qdpx import project_codings
    slip = tmp_path / "slip.qdpx"
    with zipfile.ZipFile(slip, "w") as z:
        z.writestr("project.qde", "<Project/>")
        z.writestr("../../evil.txt", "x")
    with pytest.raises(PipelineError, match="outside the archive"):
        project_codings(slip)
    bomb = tmp_path / "bomb.qdpx"
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("project.qde", " " * 20_000_000)
    with pytest.raises(PipelineError, match="ZIP bomb"):
        project_codings(bomb)
    entities = tmp_path / "xxe.qdpx"
    with zipfile.ZipFile(entities, "w") as z:
        z.writestr("project.qde", '<?xml version="1.0"?><!DOCTYPE p [<!ENTITY e SYSTEM "file:///etc/passwd">]>'
                                  f'<Project xmlns="{NS}" name="&e;"/>')
    with pytest.raises(PipelineError, match="refused or unreadable"):
        project_codings(entities)
