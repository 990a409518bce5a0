"""Near-duplicate statements: MinHash signatures of word 5-grams and an LSH
index, written out in core.statements and checked here against datasketch,
whose arithmetic they repeat."""

from __future__ import annotations

import random

import pytest
from datasketch import MinHash, MinHashLSH
from datasketch.lsh import _optimal_param

from pipeline.core.statements import lsh_bands, near_duplicates, shingle_hashes, signature_of

WORDS = ("delegates states trafficking persons smuggling migrants victims returns fishing vessels crews "
         "scam centres marriage brides labour wages recruitment police border finance money").split()


def speech(seed: int, n: int = 120) -> str:
    rng = random.Random(seed)
    return " ".join(rng.choice(WORDS) for _ in range(n)) + "."


def edited(text: str, seed: int, changes: int) -> str:
    rng = random.Random(seed)
    words = text.split()
    for _ in range(changes):
        words[rng.randrange(len(words))] = "changed"
    return " ".join(words)


def by_datasketch(signed, threshold, num_perm=128):
    """The marks as datasketch's MinHash and MinHashLSH give them."""
    lsh = MinHashLSH(threshold=threshold, num_perm=num_perm)
    kept, marks = {}, {}
    for path, sid, text in sorted(signed):
        mh = MinHash(num_perm=num_perm, seed=1, hashfunc=int)
        mh.update_batch(shingle_hashes(text))
        matches = sorted((-mh.jaccard(kept[other][0]), other) for other in lsh.query(mh))
        if matches and -matches[0][0] >= threshold:
            marks[sid] = (kept[matches[0][1]][1], round(-matches[0][0], 3))
        else:
            kept[path] = (mh, sid)
            lsh.insert(path, mh)
    return marks


@pytest.mark.parametrize("text", [speech(1), speech(2, 7), "One two three.", "Delegates met in Bali " * 40])
def test_a_signature_is_the_one_datasketch_computes(text):
    mh = MinHash(num_perm=128, seed=1, hashfunc=int)
    mh.update_batch(shingle_hashes(text))
    assert signature_of(text) == {"scheme": mh.scheme, "values": [int(v) for v in mh.hashvalues]}


def test_a_text_without_words_has_no_signature():
    assert signature_of(" ... ") is None


@pytest.mark.parametrize("threshold", [0.5, 0.7, 0.8, 0.85, 0.9, 0.95])
@pytest.mark.parametrize("num_perm", [64, 128])
def test_the_bands_are_those_datasketch_chooses_for_the_threshold(threshold, num_perm):
    assert lsh_bands(threshold, num_perm) == _optimal_param(threshold, num_perm, 0.5, 0.5)


def test_a_near_copy_is_marked_as_repeating_the_earlier_file_and_the_earliest_of_three_is_kept():
    original = speech(3)
    signed = [("b.txt", "b", original), ("a.txt", "a", edited(original, 1, 2)), ("c.txt", "c", edited(original, 2, 3)),
              ("d.txt", "d", speech(4))]
    marks = near_duplicates([(p, s, signature_of(t)) for p, s, t in signed], threshold=0.7)
    assert set(marks) == {"b", "c"} and marks["b"][0] == marks["c"][0] == "a"
    assert 0.7 <= marks["c"][1] < marks["b"][1] < 1.0


def test_the_marks_are_datasketchs_on_a_corpus_of_copies_edits_and_new_texts():
    signed = []
    for i in range(60):
        base = speech(100 + i // 3)  # groups of three: the same speech with 0, 2 or 25 words changed
        signed.append((f"s{i:03d}.txt", f"id{i}", edited(base, i, [0, 2, 25][i % 3])))
    for threshold in (0.6, 0.9):
        mine = near_duplicates([(p, s, signature_of(t)) for p, s, t in signed], threshold=threshold)
        assert mine == by_datasketch(signed, threshold)
        assert mine, "the corpus should have near-duplicates at this threshold"
