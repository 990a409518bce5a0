"""The annotation loop: queue -> label in a spreadsheet -> import -> agreement.
A hand-edited spreadsheet is hostile input: every problem is reported with its
row, and a failed import changes nothing."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from openpyxl import load_workbook

from pipeline import annotate
from pipeline.core.annotate import agreement
from pipeline.core.errors import PipelineError

from .conftest import ROOT


@pytest.fixture
def tagged(seed_run, tmp_path):
    """The seed's tagged corpus, with a gold folder of the test's own."""
    (tmp_path / "gold").mkdir()
    return {"interim": seed_run / "interim", "gold": tmp_path / "gold", "tmp": tmp_path}


def make_queue(tagged, n=3, suffix="xlsx", extra=()):
    out = tagged["tmp"] / f"queue.{suffix}"
    assert annotate.main(["queue", "--n", str(n), "--out", str(out), "--interim", str(tagged["interim"]),
                          "--gold", str(tagged["gold"]), "--codebook", str(ROOT / "corpus/codebook.yaml"), *extra]) == 0
    return out


def run_import(tagged, path, coder="anna"):
    return annotate.main(["import", str(path), "--coder", coder, "--interim", str(tagged["interim"]),
                          "--gold", str(tagged["gold"]), "--date", "2026-11-29"])


def fill(path, values: dict[int, dict[str, object]], *, header_edit=None):
    book = load_workbook(path)
    sheet = book["queue"]
    header = [c.value for c in sheet[1]]
    for row, cells in values.items():
        for name, value in cells.items():
            sheet.cell(row=row, column=header.index(name) + 1, value=value)
    if header_edit:
        header_edit(sheet)
    book.save(path)
    return header


def test_the_queue_is_a_blank_sheet_with_a_drop_down_per_theme_and_the_definitions_beside(tagged):
    path = make_queue(tagged)
    book = load_workbook(path)
    sheet = book["queue"]
    header = [c.value for c in sheet[1]]
    assert header[:6] == ["id", "statement", "meeting", "before", "sentence", "after"]
    assert header[-2:] == ["coder", "notes"] and "fishing" in header
    assert all(sheet.cell(row=2, column=k).value is None for k in range(7, len(header) - 1))  # labelled blind
    assert sheet.data_validations.dataValidation[0].formula1 == '"0,1"'
    assert book["themes"].cell(row=2, column=1).value == "trafficking"


def test_a_labelled_sheet_round_trips_into_the_coder_s_gold_file(tagged):
    path = make_queue(tagged)
    fill(path, {2: {"fishing": 1, "trafficking": "yes", "coder": "anna"}, 3: {"fishing": "1.0", "remedy": 0}})
    assert run_import(tagged, path) == 0
    rows = [json.loads(line) for line in (tagged["gold"] / "anna.jsonl").read_text().splitlines()]
    assert len(rows) == 2 and rows[0]["themes"] == ["fishing", "trafficking"] and rows[1]["themes"] == ["fishing"]
    assert rows[0]["coder"] == "anna" and rows[0]["date"] == "2026-11-29" and rows[0]["source"] == "queue.xlsx"


def test_every_problem_is_reported_with_its_row_and_nothing_is_imported(tagged):
    path = make_queue(tagged)

    def damage(sheet):
        sheet.cell(row=1, column=sheet.max_column + 1, value="climate")
        sheet.cell(row=4, column=5, value="A sentence somebody rewrote.")
    header = fill(path, {2: {"fishing": "maybe"}, 3: {"id": dt.datetime(2025, 12, 1), "fishing": 1},
                         4: {"fishing": 1}}, header_edit=damage)
    assert "fishing" in header
    with pytest.raises(PipelineError) as err:
        run_import(tagged, path)
    message = str(err.value)
    assert "nothing was imported" in message and "row 2, column fishing: 'maybe' is not 0 or 1" in message
    assert "row 3: the id is a date" in message and "row 4: the sentence text" in message
    assert "unknown column(s) 'climate'" in message
    assert not (tagged["gold"] / "anna.jsonl").exists()


def test_duplicate_rows_unknown_ids_and_merged_cells_are_refused(tagged):
    path = make_queue(tagged, suffix="csv")
    text = path.read_text(encoding="utf-8").splitlines()
    header = text[0].split(",")
    row = text[1]
    bad = "\n".join([text[0], row, row, "no-such-id" + row[row.index(","):]]) + "\n"
    path.write_text(bad.replace(",,,,", ",1,,,", 1), encoding="utf-8")
    with pytest.raises(PipelineError) as err:
        run_import(tagged, path)
    assert "labelled twice" in str(err.value) and "unknown sentence id 'no-such-id'" in str(err.value)
    assert "id" in header
    xlsx = make_queue(tagged)
    fill(xlsx, {2: {"fishing": 1}}, header_edit=lambda s: s.merge_cells("G2:H2"))
    with pytest.raises(PipelineError, match="merged cells"):
        run_import(tagged, xlsx)


def test_an_earlier_coder_s_labels_are_never_overwritten(tagged):
    path = make_queue(tagged)
    fill(path, {2: {"fishing": 1}})
    assert run_import(tagged, path) == 0
    before = (tagged["gold"] / "anna.jsonl").read_bytes()
    with pytest.raises(PipelineError, match="never overwritten"):
        run_import(tagged, path)
    assert (tagged["gold"] / "anna.jsonl").read_bytes() == before
    assert run_import(tagged, path, coder="ben") == 0  # another coder labels the same sentence: kept apart


def test_agreement_is_krippendorff_s_alpha_as_computed_by_hand():
    # two coders, four sentences: (1,1) (1,0) (0,0) (0,0) -> o00=4, o11=2, o01=o10=1, n=8
    # D_o = 2/8, D_e = 2*5*3/(8*7), alpha = 1 - 0.25/0.5357 = 0.5333
    a = {"s1": {"fishing"}, "s2": {"fishing"}, "s3": set(), "s4": set()}
    b = {"s1": {"fishing"}, "s2": set(), "s3": set(), "s4": set()}
    result = agreement({"anna": a, "ben": b}, ["fishing", "remedy"])
    assert result["alpha"]["fishing"] == pytest.approx(0.5333, abs=1e-4)
    assert result["alpha"]["remedy"] is None  # nobody ever used it: undefined, not 1
    assert result["pairs"]["anna vs ben"] == {"sentences": 4, "micro_f1": pytest.approx(2 / 3, abs=1e-4)}


def test_agree_writes_an_adjudication_sheet_of_the_disagreements(tagged):
    for coder, themes in (("anna", ["fishing"]), ("ben", [])):
        (tagged["gold"] / f"{coder}.jsonl").write_text(
            json.dumps({"id": "x1", "text": "Crews were held at sea.", "themes": themes, "coder": coder}) + "\n")
    out = tagged["tmp"] / "adjudicate.xlsx"
    assert annotate.main(["agree", "--gold", str(tagged["gold"]), "--out", str(out),
                          "--metrics", str(tagged["tmp"] / "agreement.json")]) == 0
    sheet = load_workbook(out)["queue"]
    header = [c.value for c in sheet[1]]
    assert header[:4] == ["id", "sentence", "coder anna", "coder ben"] and sheet.cell(row=2, column=3).value == "fishing"


def test_the_claim_is_measured_on_sentences_the_queue_never_sees():
    from pipeline.core.annotate import simulate
    from pipeline.core.codebook import load_codebook
    book = load_codebook(ROOT / "corpus/codebook.yaml")
    pool = [{"id": f"p{i}", "text": f"Crews were held at sea without pay on boat {i}.", "themes": ["fishing"]}
            for i in range(10)] + [{"id": f"q{i}", "text": f"The budget grew in year {i}.", "themes": []}
                                   for i in range(10)]
    test = [{"id": "t1", "text": "Deckhands were held at sea without pay.", "themes": ["fishing"]},
            {"id": "t2", "text": "The budget grew.", "themes": []}]
    seen = []

    def rules_of(texts):
        seen.extend(texts)
        return [set() for _ in texts]
    result = simulate(book, pool, test, rules_of=rules_of, n=10, steps=(5, 10))
    curves = ("queue_model", "random_model", "queue", "random", "queue_joined", "random_joined")
    assert result["steps"] == [5, 10] and all(len(result[c]) == 2 for c in curves)
    assert all(0 <= f <= 1 for c in curves for f in result[c]) and result["rules_alone"] == 0.0
    assert result["test"] == 2 and result["pool"] == 20
