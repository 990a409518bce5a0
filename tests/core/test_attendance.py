import pytest

from pipeline.core.attendance import Entity, attendance_rows, find_lists, item_ranges, role_of


@pytest.mark.parametrize("label, role", [
    ("WG-TIP and TEG-RR members", "member"),
    ("additional Bali Process members as observers", "member as observer"),
    ("Bali Process observers", "observer"),
    ("civil society and non-government organisations", "civil society"),
    ("partner agencies", "other"),
])
def test_role_is_read_from_the_list_label(label, role):
    assert role_of(label) == role


def test_items_split_at_commas_and_and_but_not_inside_parentheses_or_known_names():
    text = "A, B (the C, D), the Foo, Bar and Baz Council and E"
    protected = [(text.index("Foo"), text.index("Council") + len("Council"))]
    got = [text[s:e] for s, e in item_ranges(text, 0, len(text), protected)]
    assert got == ["A", "B (the C, D)", "the Foo, Bar and Baz Council", "E"]


def test_a_group_item_is_replaced_by_its_members():
    text = "the X program, other workstreams (Alpha, Beta, and the Gamma) and Delta"
    assert [text[s:e] for s, e in item_ranges(text, 0, len(text))] == ["the X program", "Alpha", "Beta", "the Gamma", "Delta"]


def test_a_stated_count_that_differs_from_the_list_is_flagged_not_fixed():
    paragraph = {"paragraph_id": "s-p1", "statement_id": "s", "meeting_id": "s-m0",
                 "text": "3 civil society organisations (Alpha, Beta, Gamma and Delta)."}
    text = paragraph["text"]
    entities = [Entity(text.index(n), text.index(n) + len(n), n.lower(), "civil society", n, True) for n in ("Alpha", "Beta")]
    rows, checks = attendance_rows(paragraph, entities)
    assert [r["participant"] for r in rows] == ["Alpha", "Beta", "Gamma", "Delta"]
    assert rows[0]["canonical_id"] == "alpha" and rows[2]["canonical_id"] == ""
    assert checks == [{"statement_id": "s", "meeting_id": "s-m0", "list_id": "s-p1-l0",
                       "list": "civil society organisations", "role": "civil society",
                       "stated_count": 3, "listed_count": 4, "matches": False}]


def test_numbers_in_words_count_too_and_lists_need_a_participant_noun():
    assert find_lists("five member states (A, B, C, D, E) attended")[0].stated == 5
    assert find_lists("for 3 days (Monday to Wednesday)") == []


def test_a_parenthesis_after_a_number_is_no_list_unless_it_names_participants():
    paragraph = {"paragraph_id": "s-p1", "statement_id": "s", "meeting_id": "s-m0",
                 "text": "We give 2 per cent of GNI to least developed countries (in line with targets)."}
    assert attendance_rows(paragraph, []) == ([], [])


def test_an_acronym_in_brackets_after_a_count_is_no_participant_list():
    text = ("On 9 September, the leaders of the 21-member Asia-Pacific Economic Cooperation (APEC) economies "
            "issued the Sydney Declaration.")
    name, acronym = text.index("Asia-Pacific"), text.index("APEC")
    paragraph = {"paragraph_id": "x-p0000", "statement_id": "x", "meeting_id": "x-m0", "text": text}
    entities = [Entity(name, name + len("Asia-Pacific Economic Cooperation"), "apec", "international organisation",
                       "APEC", False), Entity(acronym, acronym + 4, "apec", "international organisation", "APEC", False)]
    assert attendance_rows(paragraph, entities) == ([], [])
