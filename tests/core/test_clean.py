from pipeline.core.clean import (Block, clean_pages, find_running_lines, join_lines, join_pages,
                                 normalise_text, parse_blocks, split_pages, strip_inline_markup)


def test_normalise_text_folds_unicode_spaces_and_quotes():
    raw = "Attorney\u2011General\u2019s\u00a0 Department\u200b \ufb01shing\r\nnext"
    assert normalise_text(raw) == "Attorney\u2010General's Department fishing\nnext"


def test_join_lines_mends_words_split_by_a_hyphen():
    assert join_lines(["combat traf-", "ficking in persons"]) == "combat trafficking in persons"


def test_join_lines_keeps_hyphens_of_compound_names():
    assert join_lines(["the WG-", "TIP meeting in 2024-", "26"]) == "the WG-TIP meeting in 2024-26"


def test_join_lines_joins_a_paragraph_broken_across_lines():
    assert join_lines(["Members shared", "updates on their", "responses."]) == "Members shared updates on their responses."


def test_bullets_are_their_own_blocks_and_lose_their_markers():
    blocks = parse_blocks("Key sessions included:\n- A panel on remedy.\n- Small group\ndiscussions.\n\nThe day ended.",
                          heading_max_words=25)
    assert blocks == [Block("paragraph", "Key sessions included:"), Block("bullet", "A panel on remedy."),
                      Block("bullet", "Small group discussions."), Block("paragraph", "The day ended.")]


def test_short_unpunctuated_lines_are_headings_and_sentences_are_not():
    blocks = parse_blocks("Conclusion\n\nCo-Chairs thank members.\n\n## Outcomes", heading_max_words=25)
    assert [b.kind for b in blocks] == ["heading", "paragraph", "heading"]
    assert blocks[2].text == "Outcomes"


def test_inline_markdown_emphasis_and_links_become_plain_words():
    assert strip_inline_markup("the **importance** of *Inflection point* [report](http://x.org/a)") == \
        "the importance of Inflection point report"


def test_text_saved_from_pdf_splits_into_pages_at_wide_gaps():
    assert split_pages("page one\n\n\n\npage two\n\npara") == ["page one", "page two\n\npara"]
    assert split_pages("a\fb") == ["a", "b"]


def test_running_header_repeated_at_page_tops_is_found_but_body_text_is_not():
    pages = [f"The Bali Process\nPage {i}\nText of page {i} about the meeting.\nMore text.\nEven more.\nEnd {i}."
             for i in range(1, 4)]
    running = find_running_lines(pages, min_share=0.5)
    assert "the bali process" in running
    assert "page #" in running


def test_a_paragraph_cut_by_a_page_break_is_joined_again():
    pages = [[Block("paragraph", "The agenda delivered items under the Working Group's")],
             [Block("paragraph", "Forward Work Plan 2024-26."), Block("paragraph", "Next.")]]
    assert join_pages(pages)[0].text == "The agenda delivered items under the Working Group's Forward Work Plan 2024-26."
    assert len(join_pages(pages)) == 2


def test_a_finished_paragraph_is_not_joined_to_the_next_page():
    pages = [[Block("paragraph", "It ended.")], [Block("paragraph", "A new one.")]]
    assert len(join_pages(pages)) == 2


def test_clean_pages_removes_every_copy_of_the_running_header(seed_text):
    blocks = clean_pages([seed_text], header_min_share=0.5, heading_max_words=25)
    texts = [b.text for b in blocks]
    assert not any("on People Smuggling, Trafficking in Persons and Related Transnational Crime" in t for t in texts)
    assert "The Bali Process" not in texts
    assert any(t.endswith("under the Working Group's Forward Work Plan 2024-26, in line with the broader Bali "
                          "Process 2023 Adelaide Strategy for Cooperation.") for t in texts)
