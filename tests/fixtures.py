"""Statement files in every supported format, built inside the tests."""

from __future__ import annotations

import io

HTML_EVENT_PAGE = """<!doctype html><html><head><title>Event | Bali Process</title></head><body>
<nav><ul><li><a href="/">Home</a></li><li><a href="/events">Events</a></li><li><a href="/about">About us</a></li></ul></nav>
<div class="cookie-banner">We use cookies to improve your experience. Accept all cookies</div>
<main><article>
<h1>Ad Hoc Group Senior Officials' Meeting</h1>
<p>From 3 to 4 March 2024, senior officials of the Bali Process Ad Hoc Group met in Bangkok, Thailand.
Members discussed trafficking in persons, people smuggling and the return of victims.</p>
<h2>Outcomes</h2>
<ul><li>Members agreed to strengthen law enforcement cooperation.</li>
<li>Members welcomed the report on online scam centres.</li></ul>
<p>The meeting closed with thanks to Thailand for hosting.</p>
</article></main>
<footer><p>Copyright 2024 Bali Process Regional Support Office. Privacy policy. Contact us.</p></footer>
</body></html>"""

PDF_HEADER = "Bali Process Regional Support Office"
PDF_PARAGRAPH = ("Delegates of the Technical Experts Group on Returns and Reintegration discussed how returnees "
                 "are received and supported after they come home, and how reintegration services reduce the risk "
                 "that people are trafficked again. ") * 12


def two_page_pdf() -> bytes:
    """A PDF whose long paragraph runs over a page break, under a running header
    and above a page-number footer."""
    from fpdf import FPDF

    class Statement(FPDF):
        def header(self):
            self.set_font("Helvetica", size=9)
            self.cell(0, 8, PDF_HEADER, align="C", new_x="LMARGIN", new_y="NEXT")

        def footer(self):
            self.set_y(-15)
            self.set_font("Helvetica", size=9)
            self.cell(0, 8, f"Page {self.page_no()}", align="C")

    pdf = Statement(format=(148, 210))
    pdf.set_auto_page_break(True, margin=20)
    pdf.add_page()
    pdf.set_font("Helvetica", size=11)
    pdf.multi_cell(0, 6, "TEG-RR 6th Annual Meeting", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    pdf.multi_cell(0, 6, "From 10 to 11 June 2024, members met in Colombo, Sri Lanka.", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    pdf.multi_cell(0, 6, PDF_PARAGRAPH.strip(), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    pdf.multi_cell(0, 6, "Members thanked Sri Lanka for hosting.", new_x="LMARGIN", new_y="NEXT")
    assert pdf.page_no() >= 2, "fixture paragraph must cross a page break"
    return bytes(pdf.output())


def encrypted_pdf() -> bytes:
    from fpdf import FPDF

    pdf = FPDF()
    pdf.set_encryption(owner_password="owner", user_password="secret")
    pdf.add_page()
    pdf.set_font("Helvetica", size=12)
    pdf.cell(0, 10, "Confidential statement on trafficking in persons.")
    return bytes(pdf.output())


def scanned_pdf() -> bytes:
    """Pages with only drawings: what a scan without OCR looks like to a reader."""
    from fpdf import FPDF

    pdf = FPDF()
    for _ in range(2):
        pdf.add_page()
        pdf.rect(20, 20, 100, 150, style="F")
    return bytes(pdf.output())


def statement_docx() -> bytes:
    import docx

    document = docx.Document()
    document.add_heading("Disruption Working Group 7th Annual Meeting", level=1)
    document.add_paragraph("On 5 September 2024, the Disruption Working Group met in Jakarta, Indonesia.")
    document.add_heading("Discussion", level=2)
    document.add_paragraph("Members shared intelligence on people smuggling networks.", style="List Bullet")
    document.add_paragraph("Members discussed money laundering by smugglers.", style="List Bullet")
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()
