"""A property: every stage runs on any small corpus -- missing or partial
dates, series without numbers, front matter, duplicates, empty, binary and
odd files -- and every sentence is counted in exactly one group."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from pipeline import run_corpus

from .conftest import PARAMS

pytestmark = pytest.mark.slow

SENTENCES = ["Ministers discussed people smuggling and the return of victims.",
             "Fiji raised forced labour on fishing vessels.",
             "Scam centres in the region hold trafficked workers.",
             "The meeting closed with thanks to the hosts.",
             "Officials spoke about forced marriage of girls."]
HEADINGS = ["", "# Bali Process Ministerial Conference", "# Working Group on Trafficking in Persons",
            "# Eleventh Meeting of the Ad Hoc Group", "# Joint Regional Event - 2 December 2025"]
DATES = ["", "3 March 2023", "December 2025", "2019", "1-5 December 2025", "31 February 2024"]
FRONT = ["", "---\ntitle: Release\ndate: 2011-04-02\ncreators: [\"Smith, Jane\", \"Australian Labor Party\"]\n---\n",
         "---\ndate: 2011\n---\n", "---\ntitle: [unclosed\n---\n", "---\ncreators: \"Jones, Bob\"\n---\n"]

statement = st.builds(
    lambda front, heading, date, body: f"{front}{heading}\n\n{date}\n\n" + "\n\n".join(body),
    st.sampled_from(FRONT), st.sampled_from(HEADINGS), st.sampled_from(DATES),
    st.lists(st.sampled_from(SENTENCES), min_size=0, max_size=4))
odd_file = st.sampled_from([("empty.txt", b""), ("binary.txt", b"\x00\x01\x02" * 50), ("notes.xyz", b"hello"),
                            ("broken.docx", b"PK\x03\x04 not a zip"), ("blank.md", b"   \n\n ")])


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow], phases=[Phase.explicit, Phase.reuse, Phase.generate])
@given(texts=st.lists(statement, min_size=1, max_size=4), copies=st.integers(0, 2),
       odd=st.lists(odd_file, max_size=2, unique_by=lambda f: f[0]),
       group_by=st.sampled_from(["meeting", "year", "speaker", "party", "series"]))
def test_every_stage_completes_and_counts_each_sentence_in_exactly_one_group(texts, copies, odd, group_by):
    work = Path(tempfile.mkdtemp(prefix="any-corpus-"))
    try:
        corpus = work / "statements"
        corpus.mkdir()
        for i, text in enumerate(texts):
            (corpus / f"s{i}.txt").write_text(text, encoding="utf-8")
        for i in range(min(copies, len(texts))):
            (corpus / f"copy{i}.txt").write_text(texts[i], encoding="utf-8")
        for name, data in odd:
            (corpus / name).write_bytes(data)
        out = work / "run"
        assert run_corpus.main([str(corpus), "--out", str(out), "--params", str(PARAMS),
                                "--set", f"trends.group_by={group_by}", "--set", "tag.cache_dir=",
                                "--set", "ingest.cache_dir="]) == 0
        statements = pd.read_parquet(out / "interim/statements.parquet")
        assert len(statements) == len(list(corpus.iterdir()))  # every file has its row: nothing dropped
        sentences = pd.read_parquet(out / "interim/sentences.parquet")
        assert sentences["sentence_id"].is_unique
        trends = pd.read_csv(out / "tables/theme_trends.csv")
        assert trends.drop_duplicates("group_id")["sentences"].sum() == len(sentences)
        assert (out / "report.html").stat().st_size > 0
    finally:
        shutil.rmtree(work, ignore_errors=True)
