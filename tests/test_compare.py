"""What a codebook edit changed: a one-pattern edit lists exactly the
sentences that pattern gains, and nothing else."""

from __future__ import annotations

import pandas as pd
import yaml

from pipeline import compare, ingest, tag

from .conftest import PARAMS, ROOT, SEED


def test_a_one_pattern_edit_lists_exactly_the_sentences_it_gains(tmp_path, monkeypatch):
    original = ROOT / "corpus/codebook.yaml"
    data = yaml.safe_load(original.read_text(encoding="utf-8"))
    remedy = next(t for t in data["themes"] if t["id"] == "remedy")
    remedy["rules"].append({"id": "test_edit", "patterns": ["delegates"]})
    edited = tmp_path / "codebook.yaml"
    edited.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    (tmp_path / "statements").mkdir()
    (tmp_path / "statements" / SEED.name).write_bytes(SEED.read_bytes())
    interim = tmp_path / "interim"
    assert ingest.main(["--statements", str(tmp_path / "statements"), "--manifest", str(tmp_path / "none.csv"),
                        "--out", str(interim), "--metrics", str(tmp_path / "i.json"), "--duplicates",
                        str(tmp_path / "d.csv"), "--params", str(PARAMS)]) == 0
    assert tag.main(["--interim", str(interim), "--tables", str(tmp_path), "--metrics", str(tmp_path / "t.json"),
                     "--codebook", str(edited), "--params", str(PARAMS)]) == 0
    assert compare.main(["--codebook-from", str(original), "--codebook", str(edited), "--interim", str(interim),
                         "--tables", str(tmp_path), "--params", str(PARAMS)]) == 0
    diff = pd.read_csv(tmp_path / "codebook_diff.csv", keep_default_na=False)
    sentences = pd.read_parquet(interim / "sentences.parquet")
    mentions = pd.read_parquet(interim / "mentions.parquet")
    before_remedy = set(mentions.loc[(mentions["label"] == "remedy")
                                     & (mentions["source"] != "remedy.test_edit"), "sentence_id"])
    expected = set(sentences.loc[sentences["text"].str.contains(r"\bdelegates\b", case=False), "sentence_id"])
    expected -= before_remedy
    assert expected and set(diff["sentence_id"]) == expected
    assert set(diff["change"]) == {"gained"} and set(diff["theme"]) == {"remedy"}
    assert set(diff["evidence"].str.lower()) == {"delegates"}
    shares = pd.read_csv(tmp_path / "codebook_diff_shares.csv")
    remedy_rows = shares[shares["theme"] == "remedy"]
    assert (remedy_rows["sentences_with_theme_after"] - remedy_rows["sentences_with_theme_before"]).sum() == len(expected)
    assert (shares.loc[shares["theme"] != "remedy", "change"] == 0).all()

    # the same edit named as a git revision gives the same rows
    import subprocess
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "codebook.yaml").write_bytes(original.read_bytes())
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@example.org"]
    for cmd in (["init", "-q"], ["add", "codebook.yaml"], ["commit", "-qm", "old"]):
        subprocess.run(git + cmd, cwd=repo, check=True)
    (repo / "codebook.yaml").write_bytes(edited.read_bytes())
    monkeypatch.chdir(repo)
    assert compare.main(["--codebook-from", "HEAD", "--codebook", "codebook.yaml", "--interim", str(interim),
                         "--gazetteer", str(ROOT / "corpus/gazetteer/actors.yaml"),
                         "--cities", str(ROOT / "corpus/gazetteer/cities.csv"),
                         "--tables", str(repo), "--params", str(PARAMS)]) == 0
    assert pd.read_csv(repo / "codebook_diff.csv", keep_default_na=False).equals(diff)
