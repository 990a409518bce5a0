"""The tag stage on the seed, and the `python -m pipeline tag` interface."""

from __future__ import annotations

import json
import subprocess
import sys

import pandas as pd
import pytest

from pipeline import ingest, tag

from .conftest import PARAMS, ROOT, SEED

SEED_PARTICIPANTS = {
    "member": ["AUS", "BGD", "IND", "IDN", "MYS", "MDV", "NZL", "PAK", "PHL", "LKA", "THA", "VNM", "USA",
               "ilo", "iom", "unodc", "unhcr"],
    "member as observer": ["KHM", "CHN", "FJI", "IRQ", "JPN", "LAO", "PLW", "PNG", "WSM", "SLB", "TLS", "VUT"],
    "observer": ["GBR", "icmpd", "igc"],
    "civil society": ["anu", "gi-toc", "ijm", "mfa-asia", "mmc", "pidc", "srct"],
}


@pytest.fixture(scope="module")
def seed_run(tmp_path_factory):
    root = tmp_path_factory.mktemp("seed")
    (root / "statements").mkdir()
    (root / "statements" / SEED.name).write_bytes(SEED.read_bytes())
    out = root / "outputs"
    assert ingest.main(["--statements", str(root / "statements"), "--manifest", str(root / "none.csv"),
                        "--out", str(out / "interim"), "--metrics", str(out / "ingest.json"),
                        "--duplicates", str(out / "duplicates.csv"), "--params", str(PARAMS)]) == 0
    assert tag.main(["--interim", str(out / "interim"), "--tables", str(out / "tables"),
                     "--metrics", str(out / "tag.json"), "--params", str(PARAMS)]) == 0
    return out


def test_all_39_listed_participants_appear_with_their_role_and_id(seed_run):
    attendance = pd.read_csv(seed_run / "tables/attendance.csv", keep_default_na=False)
    for role, ids in SEED_PARTICIPANTS.items():
        assert attendance.loc[attendance.role == role, "canonical_id"].tolist() == ids, role
    assert attendance.role.isin(SEED_PARTICIPANTS).sum() == 39  # and no one else in these roles


def test_additional_attendees_are_kept_as_other(seed_run):
    attendance = pd.read_csv(seed_run / "tables/attendance.csv", keep_default_na=False)
    assert attendance.loc[attendance.role == "other", "canonical_id"].tolist() == \
        ["asean-act", "bp-tfpp", "bp-dwg", "bp-gabf", "bp-rso"]


def test_the_six_versus_seven_civil_society_mismatch_is_flagged(seed_run):
    checks = pd.read_csv(seed_run / "tables/attendance_checks.csv")
    bad = checks[~checks.matches]
    assert bad[["role", "stated_count", "listed_count"]].values.tolist() == [["civil society", 6, 7]]


def test_both_co_chairs_are_found_with_their_roles(seed_run):
    people = pd.read_csv(seed_run / "tables/people.csv").set_index("name")
    assert people.loc["Caka Alverdi Awal", "role"] == "Director for International Peace and Security"
    assert people.loc["Caka Alverdi Awal", "affiliation"] == "Ministry of Foreign Affairs of the Republic of Indonesia"
    assert people.loc["Kathryn Haigh", "role"] == "First Assistant Secretary"
    assert people.loc["Kathryn Haigh", "affiliation"] == \
        "International Cooperation and Human Rights Division, Australian Attorney-General's Department"
    assert people.loc["Kathryn Haigh", "affiliation_ids"] == "aus-agd"
    assert people.co_chair.all()


def test_mention_offsets_point_into_their_sentence(seed_run):
    sentences = pd.read_parquet(seed_run / "interim/sentences.parquet").set_index("sentence_id")
    mentions = pd.read_parquet(seed_run / "interim/mentions.parquet")
    assert len(mentions) > 100
    for m in mentions.itertuples():
        assert sentences.loc[m.sentence_id, "text"][m.start:m.end] == m.text


def test_sentences_tile_their_paragraphs(seed_run):
    sentences = pd.read_parquet(seed_run / "interim/sentences.parquet")
    paragraphs = pd.read_parquet(seed_run / "interim/paragraphs.parquet").set_index("paragraph_id")
    for s in sentences.itertuples():
        p = paragraphs.loc[s.paragraph_id]
        assert p.start <= s.start < s.end <= p.end
    assert set(sentences.paragraph_id) == set(paragraphs.index)


def run_interface(lines: str) -> list[dict]:
    done = subprocess.run([sys.executable, "-m", "pipeline", "tag"], input=lines, capture_output=True, text=True,
                          cwd=ROOT, timeout=120)
    assert done.returncode == 0, done.stderr
    return [json.loads(line) for line in done.stdout.splitlines()]


def test_interface_tags_each_line_with_offsets_into_its_text():
    text = "Fiji presented on exploitation in the fishing industry with the ILO."
    (out,) = run_interface(json.dumps({"id": "a", "text": text}) + "\n")
    assert out["id"] == "a" and isinstance(out["themes"], list)
    assert [(e["label"], e["id"]) for e in out["entities"]] == [("STATE", "FJI"), ("ORG", "ilo")]
    for e in out["entities"]:
        assert text[e["start"]:e["end"]] == e["text"]


def test_interface_reports_bad_lines_and_goes_on():
    lines = "\n".join(['{"id": 1, "text": "Viet Nam"}', "{broken", '[1, 2]', '{"text": "no id"}',
                       '{"id": 7, "text": null}', '{"id": 8, "text": "Lao PDR"}']) + "\n"
    out = run_interface(lines)
    assert [o.get("id") for o in out] == [1, None, None, None, 7, 8]
    assert [o.get("line") for o in out] == [None, 2, 3, 4, None, None]
    assert "not JSON" in out[1]["error"] and "missing 'id'" in out[3]["error"] and "text" in out[4]["error"]
    assert out[5]["entities"][0]["id"] == "LAO"


def test_interface_handles_thousands_of_lines_in_one_process():
    lines = "".join(json.dumps({"id": i, "text": f"Statement {i} by Thailand."}) + "\n" for i in range(3000))
    out = run_interface(lines)
    assert len(out) == 3000 and out[-1]["id"] == 2999
    assert all(o["entities"][0]["id"] == "THA" for o in out)


def test_interface_reports_invalid_utf8_and_lone_surrogates_and_tags_the_lines_after_them():
    data = (b'{"id": 1, "text": "Viet Nam"}\n{"id": 2, "text": "bad \xff byte"}\n'
            b'{"id": 3, "text": "x \\ud800 y"}\n{"id": 4, "text": "Lao PDR"}\n')
    done = subprocess.run([sys.executable, "-m", "pipeline", "tag", "--params", str(PARAMS)], input=data,
                          capture_output=True, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    out = [json.loads(line) for line in done.stdout.decode("utf-8").splitlines()]
    assert [o.get("line") for o in out] == [None, 2, 3, None]
    assert "not UTF-8" in out[1]["error"] and "surrogate" in out[2]["error"]
    assert out[3]["entities"][0]["id"] == "LAO"
