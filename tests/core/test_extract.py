import pytest

from pipeline.core.clean import clean_pages
from pipeline.core.extract import Unreadable, decode_text, extract, format_of

from ..fixtures import HTML_EVENT_PAGE, PDF_HEADER, encrypted_pdf, scanned_pdf, statement_docx, two_page_pdf


def blocks_of(data: bytes, fmt: str):
    got = extract(data, fmt)
    return clean_pages(got.pages, header_min_share=0.5, heading_max_words=25)


def test_latin1_text_is_read_with_a_warning_that_names_the_fix():
    text, warnings = decode_text("R\u00e9union \u00e0 Bangkok".encode("latin-1"))
    assert text == "R\u00e9union \u00e0 Bangkok"
    assert "UTF-8" in warnings[0]


def test_binary_bytes_in_a_text_file_are_refused():
    with pytest.raises(Unreadable, match="binary"):
        extract(bytes(range(256)) * 4, "txt")


def test_empty_and_unknown_files_are_skipped_not_failed():
    with pytest.raises(Unreadable) as empty:
        extract(b"  \n", "txt")
    with pytest.raises(Unreadable) as unknown:
        extract(b"{\\rtf1 hello}", "rtf")
    assert empty.value.status == unknown.value.status == "skipped"


def test_html_keeps_the_article_and_drops_navigation_cookies_and_footer():
    blocks = blocks_of(HTML_EVENT_PAGE.encode(), "html")
    text = " ".join(b.text for b in blocks)
    assert blocks[0] == blocks[0].__class__("heading", "Ad Hoc Group Senior Officials' Meeting")
    assert "online scam centres" in text
    assert [b.kind for b in blocks].count("bullet") == 2
    for boilerplate in ("About us", "cookies", "Copyright", "Privacy policy"):
        assert boilerplate not in text


def test_pdf_running_header_and_page_numbers_are_removed_and_the_split_paragraph_joined():
    blocks = blocks_of(two_page_pdf(), "pdf")
    texts = [b.text for b in blocks]
    assert not any(PDF_HEADER in t for t in texts)
    assert not any(t.startswith("Page ") for t in texts)
    assert blocks[0].kind == "heading" and blocks[0].text == "TEG-RR 6th Annual Meeting"
    long = [t for t in texts if t.startswith("Delegates of the Technical Experts Group")]
    assert len(long) == 1 and long[0].count("trafficked again.") == 12


@pytest.mark.parametrize("make, message", [(encrypted_pdf, "encrypted"), (scanned_pdf, "no text layer"),
                                           (lambda: b"%PDF-1.4\n1 0 obj <<>> garbage", "not a readable PDF")])
def test_unreadable_pdfs_fail_with_a_reason(make, message):
    with pytest.raises(Unreadable, match=message) as problem:
        extract(make(), "pdf")
    assert problem.value.status == "failed"


def test_docx_headings_and_list_items_keep_their_roles():
    blocks = blocks_of(statement_docx(), "docx")
    assert [b.kind for b in blocks] == ["heading", "paragraph", "heading", "bullet", "bullet"]


def test_format_comes_from_the_suffix():
    from pathlib import Path
    assert [format_of(Path(p)) for p in ["a.TXT", "b.htm", "c.markdown", "d.rtf"]] == ["txt", "html", "md", "rtf"]
