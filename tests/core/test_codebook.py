"""The codebook's examples are specifications: each one runs here."""

from __future__ import annotations

import pytest

from pipeline.core.codebook import load_codebook
from pipeline.core.themes import sentence_themes
from pipeline.core.errors import PipelineError
from pipeline.core.evaluate import score
from pipeline.core.nlp import build_nlp

from ..conftest import ROOT

CODEBOOK = ROOT / "corpus/codebook.yaml"
BOOK = load_codebook(CODEBOOK)
SPEC_IDS = ["trafficking", "people_smuggling", "scam_centres", "forced_marriage", "fishing", "reintegration",
            "labour_exploitation", "sexual_exploitation", "victim_protection", "law_enforcement", "safe_migration",
            "illicit_finance", "technology", "remedy"]


@pytest.fixture(scope="module")
def tagger():
    return build_nlp(gazetteer=ROOT / "corpus/gazetteer/actors.yaml", cities=ROOT / "corpus/gazetteer/cities.csv",
                     codebook=CODEBOOK)


def test_the_codebook_has_the_fourteen_specified_themes():
    assert sorted(BOOK.ids()) == sorted(SPEC_IDS)
    assert all(t.positive and t.negative for t in BOOK.themes)


@pytest.mark.parametrize("theme, text", [(t.id, x) for t in BOOK.themes for x in t.positive])
def test_positive_example_is_tagged(tagger, theme, text):
    assert theme in sentence_themes(tagger(text))


@pytest.mark.parametrize("theme, text", [(t.id, x) for t in BOOK.themes for x in t.negative])
def test_negative_example_is_not_tagged(tagger, theme, text):
    assert theme not in sentence_themes(tagger(text))


def test_each_theme_mention_carries_its_evidence_span_and_rule(tagger):
    doc = tagger("Delegates discussed trafficking in persons for forced criminality in online scam centres.")
    found = {(s.label_, s.text, s.kb_id_) for s in doc.spans["themes"]}
    assert ("trafficking", "trafficking in persons", "trafficking.named") in found
    assert ("scam_centres", "forced criminality", "scam_centres.scam") in found


def test_lemmas_cover_inflections_and_spelling_without_duplicate_patterns(tagger):
    for text in ["Scam centers were raided.", "The scam centre closed.", "Women were trafficked."]:
        assert sentence_themes(tagger(text)) & {"scam_centres", "trafficking"}


def test_a_theme_word_inside_an_organisation_name_is_not_evidence(tagger):
    doc = tagger("The Samoa Returnees Charitable Trust and the Technical Experts Group on Returns and Reintegration attended.")
    assert sentence_themes(doc) == set()


def test_matching_lemma_norms_finds_what_matching_every_word_form_finds(tagger):
    """The default pipeline compares each token's lemma (its NORM); beside a
    trained pipeline, patterns list every word form instead. Both give the
    same mentions, tokenizer exceptions and dashes included."""
    by_forms = build_nlp(gazetteer=ROOT / "corpus/gazetteer/actors.yaml", cities=ROOT / "corpus/gazetteer/cities.csv",
                         codebook=CODEBOOK, lemma_norms=False)
    assert tagger.get_pipe("bali_themes").attr == "NORM" and by_forms.get_pipe("bali_themes").attr == "LOWER"
    texts = [x for t in BOOK.themes for x in (*t.positive, *t.negative)] + [
        "They can't stop trafficking in Jan. and won't end forced-marriages or scam—centres.",
        "Trafficked persons were re-integrated; victims' families were WED against their will.",
    ]
    def mentions(nlp, text):
        doc = nlp(text)
        return [(s.start, s.end, s.label_, s.kb_id_) for s in doc.spans["themes"]]
    found = [mentions(tagger, x) for x in texts]
    assert sum(map(len, found)) > len(texts) // 2
    assert found == [mentions(by_forms, x) for x in texts]


def test_the_project_codebook_runs_on_phrase_matchers_alone(tagger):
    """A pattern the PhraseMatchers cannot run goes to spaCy's token Matcher,
    a pass over every token of every statement (one such pattern made theme
    matching 1.5 times slower)."""
    assert tagger.get_pipe("bali_themes").token_matcher_patterns() == 0


def test_a_sub_theme_also_tags_its_parent(tmp_path):
    book = tmp_path / "codebook.yaml"
    book.write_text(CODEBOOK.read_text() + """
- id: cyber_scam_recruitment
  label: Recruitment into scam centres through fake job ads
  parent: scam_centres
  rules:
  - id: fake_jobs
    patterns: ["fake job {advertisement|ad|ads|offer|offers}"]
  examples:
    positive: [Victims answered fake job offers on social media.]
    negative: [Job offers rose this year.]
""")
    nlp = build_nlp(gazetteer=ROOT / "corpus/gazetteer/actors.yaml", cities=ROOT / "corpus/gazetteer/cities.csv",
                    codebook=book)
    assert {"cyber_scam_recruitment", "scam_centres"} <= sentence_themes(nlp("Victims answered fake job offers."))


@pytest.mark.parametrize("text", ["debt based coercion", "debt-based coercion", "debt based-coercion",
                                  "debt-based-coercion", "DEBT-BASED COERCION"])
def test_a_phrase_matches_with_or_without_a_hyphen_at_each_gap(tmp_path, text):
    book = write_codebook(tmp_path, "themes:\n  - id: t\n    label: T\n    rules:\n"
                                    "      - patterns: [debt based coercion]\n")
    nlp = build_nlp(gazetteer=ROOT / "corpus/gazetteer/actors.yaml", cities=ROOT / "corpus/gazetteer/cities.csv",
                    codebook=book)
    assert sentence_themes(nlp(f"Officials described {text} of workers.")) == {"t"}


@pytest.mark.parametrize("edit, message", [
    (lambda t: t.replace("- id: remedy", "- id: trafficking", 1), "theme trafficking: duplicate id"),
    (lambda t: t.replace("  label: Access to remedy", "  label: Access to remedy\n  colour: red", 1),
     "theme remedy, field 'colour': unknown key"),
    (lambda t: t.replace("    - access to justice", "    - access to {justice", 1),
     "theme remedy, rule named, field 'patterns': invalid phrase"),
    (lambda t: t.replace("    - grievance mechanism", "    - [{LOWER: {NOT_AN_OP: [x]}}]", 1),
     "theme remedy, rule remedy.named, field 'patterns': invalid pattern"),
])
def test_codebook_errors_name_the_theme_and_field(tmp_path, edit, message):
    book = tmp_path / "codebook.yaml"
    book.write_text(edit(CODEBOOK.read_text()))
    with pytest.raises(PipelineError, match=message.replace("(", r"\(").replace("[", r"\[")):
        build_nlp(gazetteer=ROOT / "corpus/gazetteer/actors.yaml", cities=ROOT / "corpus/gazetteer/cities.csv",
                  codebook=book)


def test_an_example_that_fails_its_own_rules_stops_the_tag_stage(tmp_path):
    from pipeline import ingest, tag
    (tmp_path / "statements").mkdir()
    (tmp_path / "statements" / "a.txt").write_text("Delegates discussed scam centres.\n", encoding="utf-8")
    assert ingest.main(["--statements", str(tmp_path / "statements"), "--manifest", str(tmp_path / "none.csv"),
                        "--out", str(tmp_path / "interim"), "--metrics", str(tmp_path / "ingest.json"),
                        "--duplicates", str(tmp_path / "duplicates.csv")]) == 0
    book = tmp_path / "codebook.yaml"
    book.write_text(CODEBOOK.read_text().replace("    - Trade disputes need effective remedies.",
                                                 "    - Trade disputes need effective remedies.\n"
                                                 "    - Survivors of trafficking deserve compensation.", 1))
    with pytest.raises(PipelineError, match="theme remedy, examples.negative: tagged: 'Survivors of trafficking"):
        tag.main(["--codebook", str(book), "--interim", str(tmp_path / "interim"), "--tables", str(tmp_path / "t"),
                  "--metrics", str(tmp_path / "tag.json")])
    assert not (tmp_path / "interim/sentences.parquet").exists(), "a failed run wrote part of its output"


def test_score_counts_micro_macro_and_disagreements():
    gold = [{"id": "a", "text": "x", "themes": ["t1"]}, {"id": "b", "text": "y", "themes": ["t1", "t2"]},
            {"id": "c", "text": "z", "themes": []}]
    result = score(gold, {"a": {"t1"}, "b": {"t1"}, "c": {"t2"}}, ["t1", "t2"])
    assert result["per_theme"]["t1"] == {"precision": 1.0, "recall": 1.0, "f1": 1.0, "support": 2, "tp": 2, "fp": 0, "fn": 0}
    assert result["per_theme"]["t2"]["f1"] == 0.0 and result["per_theme"]["t2"]["support"] == 1
    assert result["micro"] == {"precision": 0.6667, "recall": 0.6667, "f1": 0.6667}
    assert result["macro"]["f1"] == 0.5
    assert [d["id"] for d in result["disagreements"]] == ["b", "c"]


def test_a_wildcard_stands_for_exactly_one_word_and_word_lists_ignore_case(tmp_path):
    book = tmp_path / "codebook.yaml"
    book.write_text("""themes:
- id: remedy
  label: Access to remedy
  rules:
  - id: justice
    patterns: ["bring * to justice", "{worker|employee} * * exploit", "redress *", [{LOWER: {IN: [grievance, grievances]}}]]
""")
    nlp = build_nlp(gazetteer=ROOT / "corpus/gazetteer/actors.yaml", cities=ROOT / "corpus/gazetteer/cities.csv",
                    codebook=book)

    def evidence(text):
        doc = nlp(text)
        return [span.text for span in doc.spans["themes"]]
    assert evidence("They must bring traffickers to justice.") == ["bring traffickers to justice"]
    assert evidence("They must bring to justice all offenders.") == []
    assert evidence("They must bring the traffickers to justice.") == []
    assert evidence("Workers were badly exploited.") == ["Workers were badly exploited"]
    assert evidence("Employees were exploited.") == []
    assert evidence("We seek redress") == []
    assert evidence("We seek redress now.") == ["redress now"]
    assert evidence("Grievances were heard.") == ["Grievances"]


def write_codebook(tmp_path, text: str):
    path = tmp_path / "codebook.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_lexicon_named_in_a_rule_brings_all_its_phrases(tmp_path):
    from pipeline.core.codebook import load_codebook as load
    book = load(write_codebook(tmp_path, "lexicons:\n  sea: [trawler, deckhand]\nthemes:\n  - id: t\n    label: T\n"
                                         "    rules:\n      - patterns: ['@sea', crew]\n"))
    assert book.themes[0].rules[0].patterns == ("trawler", "deckhand", "crew")


def test_a_key_given_twice_in_a_rule_is_an_error_not_a_silent_replacement(tmp_path):
    """YAML loaders keep the last of two equal keys: a second 'unless:' would drop the first list."""
    from pipeline.core.codebook import load_codebook as load
    from pipeline.core.errors import PipelineError
    path = write_codebook(tmp_path, "themes:\n  - id: t\n    label: T\n    rules:\n      - patterns: [crew]\n"
                                    "        unless: [navy]\n        unless: [scam]\n")
    with pytest.raises(PipelineError, match=r"(?s)codebook.yaml: cannot read the codebook: .*'unless' is given twice \(lines 6 and 7\)"):
        load(path)


def test_an_unknown_lexicon_is_one_error_naming_the_known_ones(tmp_path):
    from pipeline.core.codebook import load_codebook as load
    from pipeline.core.errors import PipelineError
    path = write_codebook(tmp_path, "lexicons:\n  sea: [trawler]\nthemes:\n  - id: t\n    label: T\n"
                                    "    rules:\n      - patterns: ['@ocean']\n")
    with pytest.raises(PipelineError, match=r"unknown lexicon '@ocean'.*known: sea"):
        load(path)


@pytest.mark.parametrize("text", [
    "The Working Group on Trafficking in Persons met in Bangkok.",
    "The Bali Process on People Smuggling, Trafficking in Persons and Related Transnational Crime hosted a meeting.",
    "Australia's Ambassador for People Smuggling and Human Trafficking Issues opened the workshop.",
    "The Senior Officials' Meeting of the Coordinated Mekong Ministerial Initiative against Trafficking met.",
    "Delegates attended the Roundtable on Returns and Reintegration in Bangkok.",
    "The Workshop on Human Trafficking: Victim Support was held in Bali.",
    "Co-Chairs welcomed the work of the Trafficking in Persons Working Group.",
    "Officials briefed the Regional Symposium on Labour Migration and Forced Labour.",
    "Ministers recalled the Bali Declaration on People Smuggling, Trafficking in Persons and Related Transnational Crime.",
    # a pattern that starts on the name's last word and reaches past it ('trafficking for ...') is still the name
    "Participants thanked the Ambassador for People Smuggling and Human Trafficking for her leadership.",
])
def test_names_of_forums_bodies_and_titles_are_not_evidence_of_a_theme(tagger, text):
    assert sentence_themes(tagger(text)) == set()


def test_a_forum_name_does_not_hide_the_theme_the_rest_of_the_sentence_names(tagger):
    doc = tagger("The Working Group on Trafficking in Persons discussed scam centres and victims of trafficking.")
    assert {"scam_centres", "trafficking"} <= sentence_themes(doc)
    doc = tagger("The Roundtable on Returns and Reintegration agreed to support returned victims' reintegration.")
    assert "reintegration" in sentence_themes(doc)
    doc = tagger("The Trafficking in Persons Working Group shared ways to identify victims of forced labour.")
    assert {"labour_exploitation", "victim_protection"} <= sentence_themes(doc)


def _six_word_runs(text: str) -> set[tuple[str, ...]]:
    import re
    words = re.findall(r"\w+", text.lower())
    return {tuple(words[i:i + 6]) for i in range(len(words) - 5)}


@pytest.mark.shared
def test_no_example_copies_six_words_running_from_the_shared_gold_or_un_speeches():
    """The examples are the project's own sentences: text from ../shared stays
    there (and an example copied from a gold set would flatter the scores)."""
    import json

    from ..conftest import shared_path
    gold = shared_path("gold")
    speeches = shared_path("ungdc", "bali-members-2002-2024")
    # the official titles of instruments, which an example must be able to quote to test a rule about them
    titles = set().union(*map(_six_word_runs, ["the Protocol to Prevent, Suppress and Punish Trafficking in Persons, "
                                               "Especially Women and Children"]))
    examples = {x: _six_word_runs(x) - titles for t in BOOK.themes for x in (*t.positive, *t.negative)}
    wanted = set().union(*examples.values())
    seen = set()
    for path in sorted(gold.glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                seen |= _six_word_runs(json.loads(line)["text"]) & wanted
    for path in sorted(speeches.glob("*.txt")):
        seen |= _six_word_runs(path.read_text(encoding="utf-8", errors="replace")) & wanted
    assert [x for x, runs in examples.items() if runs & seen] == []


def test_a_cue_counts_only_in_the_sentence_of_the_pattern_whatever_matcher_finds_it(tmp_path):
    """Cues run on the sentences with a pattern hit; a cue on spaCy's token
    Matcher (here LIKE_NUM) must land in the right sentence too."""
    book = write_codebook(tmp_path, """themes:
- id: people_smuggling
  label: People smuggling
  rules:
  - id: crowded_ferry
    patterns: [ferry]
    requires: [[{LIKE_NUM: true}, {LOWER: passengers}]]
    unless: [holiday]
    exclude: [[{LOWER: ferry}, {LIKE_NUM: true}]]
""")
    nlp = build_nlp(gazetteer=ROOT / "corpus/gazetteer/actors.yaml", cities=ROOT / "corpus/gazetteer/cities.csv",
                    codebook=book)
    assert nlp.get_pipe("bali_themes").token_matcher_patterns() == 2

    def tagged(text):
        doc = nlp(text)
        return [(span.label_, span.text) for span in doc.spans["themes"]]
    assert tagged("The port was quiet. The ferry carried 40 passengers.") == [("people_smuggling", "ferry")]
    assert tagged("The ferry left at noon. Then 40 passengers waited.") == []
    assert tagged("The port was quiet. The ferry carried 40 passengers on holiday.") == []
    assert tagged("A holiday began. The ferry carried 40 passengers.") == [("people_smuggling", "ferry")]
    # an excluded span ('ferry 9', a vessel's name) is found where it is, in the second sentence
    assert tagged("The port was quiet. Ferry 9 carried 40 passengers.") == []


def one_rule_tagger(tmp_path, patterns: str, unless: str, **options):
    """A pipeline whose codebook is one theme 't' with one rule (YAML flow lists)."""
    book = write_codebook(tmp_path, "themes:\n  - id: t\n    label: T\n    rules:\n"
                                    f"      - patterns: {patterns}\n        unless: {unless}\n")
    return build_nlp(gazetteer=ROOT / "corpus/gazetteer/actors.yaml", cities=ROOT / "corpus/gazetteer/cities.csv",
                     codebook=book, **options)


@pytest.mark.parametrize("lemma_norms", [True, False])
def test_a_pattern_word_matches_its_plural_where_the_lemma_table_splits_them(tmp_path, lemma_norms):
    """The lookup table gives 'bombing' the lemma 'bomb' but 'bombings' the
    lemma 'bombing': a phrase 'bombing' must still match 'bombings' (and a
    cue 'meeting' veto 'meetings'), by lemmas or by word forms alike."""
    nlp = one_rule_tagger(tmp_path, "['{bombing|shooting} victims']", "[meeting]", lemma_norms=lemma_norms)
    assert sentence_themes(nlp("Aid reached the bombings victims.")) == {"t"}
    assert sentence_themes(nlp("Aid reached the shootings victims.")) == {"t"}
    assert sentence_themes(nlp("Aid reached the bombing victims.")) == {"t"}
    assert sentence_themes(nlp("Meetings discussed the bombing victims.")) == set()


@pytest.mark.parametrize("lemma_norms", [True, False])
def test_words_the_lemma_table_joined_to_common_words_stay_apart(tmp_path, lemma_norms):
    """The lookup table gave 'goods' and 'well' the lemma 'good', and 'AI' the
    lemma 'have' (core.lemmas.LEMMA_FIXES): a cue 'goods' must not veto
    'as well as', nor 'AI generated' match 'has generated'."""
    nlp = one_rule_tagger(tmp_path, "['ai generated']", "[goods]", lemma_norms=lemma_norms)
    assert sentence_themes(nlp("Traffickers used AI generated images as well as texts.")) == {"t"}
    assert sentence_themes(nlp("Traffickers have generated large profits.")) == set()
    assert sentence_themes(nlp("Traffickers used AI generated images of goods.")) == set()


def test_a_multi_word_alternative_becomes_one_token_pattern_per_option():
    """A phrase that falls back to spaCy's token Matcher cannot hold options of
    different lengths in one pattern: each multi-word option gets its own."""
    from pipeline.core.themes import phrase_to_patterns
    patterns = phrase_to_patterns("take {a child|children|a minor} overseas", lambda w: [[w]])
    words = [[next(iter(t["LOWER"]["IN"])) if len(t["LOWER"]["IN"]) == 1 else sorted(t["LOWER"]["IN"])
              for t in p if "LOWER" in t] for p in patterns]
    assert words == [["take", "children", "overseas"], ["take", "a", "child", "overseas"],
                     ["take", "a", "minor", "overseas"]]


@pytest.mark.parametrize("lemma_norms", [True, False])
def test_a_word_list_of_exact_forms_keeps_their_case_and_a_lower_case_list_ignores_it(tmp_path, lemma_norms):
    """Word lists run on PhraseMatchers of ORTH or LOWER values: what each
    attribute means in spaCy's token Matcher is what it means here."""
    exact = one_rule_tagger(tmp_path, "[[{ORTH: {IN: [POGO, POGOs]}}]]", "[]", lemma_norms=lemma_norms)
    assert sentence_themes(exact("The POGOs closed.")) == {"t"}
    assert sentence_themes(exact("The pogos closed.")) == set()
    folded = one_rule_tagger(tmp_path, "[[{LOWER: {IN: [Pogo, pogos]}}]]", "[]", lemma_norms=lemma_norms)
    assert sentence_themes(folded("The POGO closed.")) == {"t"}
    assert sentence_themes(folded("The Pogos closed.")) == {"t"}
