import pytest

from pipeline.core.gazetteer import load_actors
from pipeline.core.errors import PipelineError

from ..conftest import ents


@pytest.mark.parametrize("text, kb_id", [
    ("Viet Nam", "VNM"), ("Vietnam", "VNM"), ("Lao PDR", "LAO"), ("Laos", "LAO"),
    ("Lao People's Democratic Republic", "LAO"), ("the USA", "USA"), ("the United States", "USA"),
    ("the US", "USA"), ("Türkiye", "TUR"), ("Turkey", "TUR"), ("Republic of Korea", "KOR"),
    ("South Korea", "KOR"), ("the Philippines", "PHL"), ("Philippine", "PHL"), ("Hong Kong SAR", "HKG"),
    ("Macau SAR", "MAC"), ("the United Nations High Commissioner for Refugees", "unhcr"),
    ("the international organization for migration", "iom"), ("the Regional Support Office", "bp-rso"),
])
def test_aliases_resolve_to_one_canonical_id(nlp, text, kb_id):
    found = ents(nlp(f"Delegates from {text} spoke."))
    assert [k for _, _, k in found] == [kb_id]


def test_states_are_labelled_state_and_organisations_org(nlp):
    labels = {k: label for _, label, k in ents(nlp("Fiji, Hong Kong SAR, IOM and ASEAN-ACT met."))}
    assert labels == {"FJI": "STATE", "HKG": "STATE", "iom": "ORG", "asean-act": "ORG"}


@pytest.mark.parametrize("text", ["Let us work together.", "It helps us.", "We ate turkey.",
                                  "The iom of the matter.", "a korean dish"])
def test_short_names_match_case_sensitively(nlp, text):
    assert ents(nlp(text)) == []


def test_longest_name_wins_over_a_name_inside_it(nlp):
    found = ents(nlp("The Australian National University and the Australian Attorney-General's Department."))
    assert [k for _, _, k in found] == ["anu", "aus-agd"]


def test_an_acronym_defined_in_the_text_links_later_uses_to_the_gazetteer_id(nlp):
    doc = nlp("We thank the Inter-Agency Council Against Trafficking (IACAT). Later, IACAT presented.")
    assert [k for _, _, k in ents(doc)] == ["phl-iacat", "phl-iacat", "phl-iacat"]


def test_an_organisation_defined_only_in_the_text_gets_a_derived_id_and_a_flag(nlp):
    doc = nlp("The Coalition Against Modern Slavery (CAMS) reported. CAMS will return next year.")
    found = ents(doc)
    assert found == [("Coalition Against Modern Slavery", "ORG", "unlisted:coalition-against-modern-slavery"),
                     ("CAMS", "ORG", "unlisted:coalition-against-modern-slavery"),
                     ("CAMS", "ORG", "unlisted:coalition-against-modern-slavery")]
    info = doc.user_data["entity_info"]
    assert all(not v["in_gazetteer"] for v in info.values())


def test_parenthesised_words_whose_initials_do_not_fit_are_not_acronyms(nlp):
    assert ents(nlp("Members agreed (IMPORTANT) to meet again.")) == []


def test_people_with_titles_get_role_and_affiliation(nlp):
    doc = nlp("Co-Chairs, Dr Jane Smith, Director of Policy, Department of Foreign Affairs and Trade, and "
              "H.E. Somchai Wong, Ambassador of Thailand, opened the meeting.")
    people = [e for e in doc.ents if e.label_ == "PERSON"]
    assert [p.kb_id_ for p in people] == ["person:jane-smith", "person:somchai-wong"]
    first = doc.user_data["entity_info"][f"{people[0].start_char}:{people[0].end_char}"]
    assert (first["title"], first["role"], first["affiliation"], first["co_chair"]) == \
        ("Dr", "Director of Policy", "Department of Foreign Affairs and Trade", True)


def test_cities_and_dates_are_entities_with_ids(nlp):
    found = ents(nlp("They met in Bangkok from 16 to 19 May 2016."))
    assert found == [("Bangkok", "PLACE", "THA-bangkok"), ("16 to 19 May 2016", "DATE", "2016-05-16/2016-05-19")]


def test_sentences_never_cross_a_paragraph_break(nlp):
    doc = nlp("Conclusion\n\nCo-Chairs thank members. They close")
    assert [s.text.strip() for s in doc.sents] == ["Conclusion", "Co-Chairs thank members.", "They close"]


def test_lemmas_come_from_the_lookup_tables_in_both_directions():
    from pipeline.core.lemmas import english
    table = english()
    assert [table.lemma(w) for w in ["Centres", "were", "trafficked"]] == ["centre", "be", "traffic"]
    assert table.forms("traffic") == ["traffic", "trafficked", "trafficking", "traffics"]
    assert table.forms("scam") == ["scam", "scammed", "scamming", "scams"]
    assert table.forms("qwertyish") == ["qwertyish"]  # unknown words are their own lemma


def test_wed_is_one_word_and_a_written_contraction_is_still_split(nlp):
    assert [t.text for t in nlp.make_doc("Girls are wed young. We'd go.")] == \
        ["Girls", "are", "wed", "young", ".", "We", "'d", "go", "."]


def test_a_paragraph_break_starts_a_sentence_and_spaces_never_do(nlp):
    doc = nlp("Heading without stop\n\nFirst sentence here.  Second one.\nLast line")
    starts = [t.text for t in doc if t.is_sent_start]
    assert starts == ["Heading", "First", "Second", "Last"]
    assert all(not t.is_sent_start for t in doc if t.is_space)


def test_gazetteer_errors_name_the_entry_and_field(tmp_path):
    bad = tmp_path / "actors.yaml"
    bad.write_text("- {id: AUS, name: Australia, kind: state}\n- {id: AUS, name: Austria, kind: state}\n")
    with pytest.raises(PipelineError, match=r"entry 2 \(AUS\): id 'AUS' is already used by entry 1"):
        load_actors(bad)
    bad.write_text("- {id: X, name: X, kind: planet}\n")
    with pytest.raises(PipelineError, match="entry 1 .*kind 'planet'"):
        load_actors(bad)
    bad.write_text("- {id: X, name: X, kind: state, alias: [Y]}\n")
    with pytest.raises(PipelineError, match="unknown field 'alias'"):
        load_actors(bad)


@pytest.mark.parametrize("enabled", [True, False])
def test_building_a_pipeline_leaves_the_garbage_collector_as_it_found_it(enabled):
    import gc

    from pipeline.core.nlp import collector_paused
    was = gc.isenabled()
    try:
        gc.enable() if enabled else gc.disable()
        with collector_paused():
            assert not gc.isenabled()
        assert gc.isenabled() is enabled
        with pytest.raises(RuntimeError), collector_paused():  # restored after a failed build too
            raise RuntimeError("the build failed")
        assert gc.isenabled() is enabled
    finally:
        gc.enable() if was else gc.disable()
