"""Read statement files into pages of lightly marked text.

Each reader returns :class:`Extracted`: pages of text where headings are
``# ...`` and list items ``- ...`` where the format says so. Problems a user
can fix raise :class:`Unreadable` with the status and a message saying what
to do.
"""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import yaml

SUPPORTED_FORMATS = ("txt", "md", "html", "pdf", "docx")
_FORMAT_BY_SUFFIX = {".txt": "txt", ".text": "txt", ".md": "md", ".markdown": "md",
                     ".html": "html", ".htm": "html", ".pdf": "pdf", ".docx": "docx"}
MIN_TEXT_CHARS_PER_PAGE = 20
MAX_DOCX_UNPACKED_BYTES = 200_000_000  # a Word statement unpacks to a few MB; more is a ZIP bomb
MAX_DOCX_RATIO = 200                    # ... and so is one that expands this many times its size
_FRONT_MATTER = re.compile(r"\A---[ \t]*\r?\n(.*?)\r?\n---[ \t]*(?:\r?\n|\Z)", re.S)


class Unreadable(Exception):
    """A file that cannot be turned into text; ``status`` is skipped or failed."""

    def __init__(self, reason: str, *, status: str = "failed") -> None:
        super().__init__(reason)
        self.reason = reason
        self.status = status


@dataclass
class Extracted:
    pages: list[str]
    warnings: list[str] = field(default_factory=list)
    front_matter: dict = field(default_factory=dict)


def format_of(path: Path) -> str:
    """Format name from the file suffix ('' suffix gives '')."""
    return _FORMAT_BY_SUFFIX.get(path.suffix.lower(), path.suffix.lower().lstrip("."))


_CONTROL_BYTES = [bytes([b]) for b in range(32) if b < 9 or 13 < b]


def decode_text(data: bytes) -> tuple[str, list[str]]:
    """UTF-8 (with or without BOM); failing that Windows-1252/Latin-1 with a
    warning. Bytes that look binary raise :class:`Unreadable`."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16"), []
        except UnicodeDecodeError as err:
            raise Unreadable(f"starts like UTF-16 but is not valid UTF-16 (byte {err.start}): "
                             "re-save the statement as UTF-8 text") from err
    sample = data[:8192]
    if b"\x00" in sample or sum(map(sample.count, _CONTROL_BYTES)) > 0.05 * max(len(sample), 1):
        raise Unreadable("binary content, not text: save the statement as UTF-8 text, or give it its real extension")
    try:
        return data.decode("utf-8-sig"), []
    except UnicodeDecodeError as err:
        warning = (f"not valid UTF-8 (byte {err.start}); read as Windows-1252/Latin-1: "
                   "check accented letters and re-save the file as UTF-8")
        try:
            return data.decode("cp1252"), [warning]
        except UnicodeDecodeError:
            return data.decode("latin-1"), [warning]


def split_front_matter(text: str) -> tuple[dict, str, list[str]]:
    """YAML front matter (between '---' lines at the very start) as a
    mapping, the text after it, and warnings. Front matter that is not a
    YAML mapping is kept as text, with a warning."""
    m = _FRONT_MATTER.match(text)
    if not m:
        return {}, text, []
    try:
        data = yaml.safe_load(m.group(1))
    except yaml.YAMLError as err:
        return {}, text, [f"front matter is not valid YAML ({str(err).splitlines()[0]}): read as text"]
    if not isinstance(data, dict):
        return {}, text, ["front matter is not a YAML mapping of keys to values: read as text"]
    return data, text[m.end():], []


def read_text(data: bytes) -> Extracted:
    text, warnings = decode_text(data)
    front, body, more = split_front_matter(text)
    return Extracted([body], warnings=warnings + more, front_matter=front)


def read_html(data: bytes) -> Extracted:
    """Main text of a web page (navigation, footers, cookie banners dropped)
    with trafilatura; headings and lists come back as Markdown marks."""
    import trafilatura

    text, warnings = decode_text(data)
    main = trafilatura.extract(text, output_format="markdown", include_formatting=True,
                               include_comments=False, include_tables=True, include_links=False,
                               include_images=False, favor_recall=True, deduplicate=False)
    if not main or not main.strip():
        raise Unreadable("no main text found in the HTML page: save the statement's text as .txt instead")
    return Extracted([main], warnings=warnings)


def _pdf_page_text(page) -> str:
    """A page's lines in reading order, with a blank line wherever the gap
    above a line is clearly wider than the page's usual line spacing: that
    gap, not the text, is what marks a paragraph in a PDF."""
    from pdfminer.layout import LTTextContainer, LTTextLine

    lines = []
    for element in page:
        if isinstance(element, LTTextContainer):
            for line in (element if not isinstance(element, LTTextLine) else [element]):
                if isinstance(line, LTTextLine) and line.get_text().strip():
                    lines.append((line.y0, line.y1, line.get_text().strip()))
    if not lines:
        return ""
    steps = sorted(prev[0] - cur[0] for prev, cur in zip(lines, lines[1:]) if prev[0] - cur[0] > 0)
    usual = steps[len(steps) // 2] if steps else 0.0
    out = [lines[0][2]]
    for prev, cur in zip(lines, lines[1:]):
        step = prev[0] - cur[0]
        if usual and (step > 1.4 * usual or step < 0):
            out.append("")
        out.append(cur[2])
    return "\n".join(out)


def read_pdf(data: bytes) -> Extracted:
    """Text of each page with pdfminer.six, paragraphs told apart by layout.
    Encrypted PDFs that open without a password are read; others, and PDFs
    without a text layer (scans), are refused with what to do."""
    from pdfminer.high_level import extract_pages
    from pdfminer.pdfdocument import PDFEncryptionError, PDFPasswordIncorrect
    from pdfminer.pdfexceptions import PDFException
    from pdfminer.psexceptions import PSException

    try:
        pages = [_pdf_page_text(page) for page in extract_pages(io.BytesIO(data))]
    except (PDFPasswordIncorrect, PDFEncryptionError) as err:
        raise Unreadable(f"encrypted PDF that needs a password ({type(err).__name__}): save an unencrypted copy") from err
    except (PDFException, PSException, ValueError, KeyError, TypeError, IndexError, AssertionError) as err:
        raise Unreadable(f"not a readable PDF ({type(err).__name__}: {err}): check the file is complete "
                         "or export it again") from err
    if not pages:
        raise Unreadable("PDF has no pages")
    if sum(len(p.strip()) for p in pages) < MIN_TEXT_CHARS_PER_PAGE * len(pages):
        raise Unreadable("PDF has no text layer (a scan?): run OCR on it, e.g. `ocrmypdf in.pdf out.pdf`, and add the result")
    return Extracted(pages)


def read_docx(data: bytes) -> Extracted:
    """Paragraphs of a Word file with python-docx; Heading/Title styles become
    headings and List styles bullets."""
    import docx
    from docx.opc.exceptions import PackageNotFoundError

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, ValueError, OSError) as err:
        raise Unreadable(f"not a readable DOCX (not a complete ZIP file: {err}): open and re-save it in Word or "
                         "LibreOffice") from err
    if unpacked > MAX_DOCX_UNPACKED_BYTES or unpacked > MAX_DOCX_RATIO * max(len(data), 1):
        raise Unreadable(f"DOCX would unpack to {unpacked:,} bytes from {len(data):,}: not read (a ZIP bomb?); "
                         "re-save it from Word or LibreOffice")
    try:
        document = docx.Document(io.BytesIO(data))
    except (PackageNotFoundError, KeyError, ValueError, OSError, zipfile.BadZipFile) as err:
        raise Unreadable(f"not a readable DOCX ({type(err).__name__}): open and re-save it in Word or LibreOffice") from err
    except Exception as err:  # lxml's XMLSyntaxError and kin: a damaged document part
        raise Unreadable(f"not a readable DOCX (damaged content: {type(err).__name__}): open and re-save it in Word "
                         "or LibreOffice") from err
    lines = []
    for para in document.paragraphs:
        text = para.text.strip()
        style = (para.style.name if para.style is not None else "") or ""
        if not text:
            continue
        if style.startswith(("Heading", "Title")):
            lines.append(f"# {text}")
        elif style.startswith("List"):
            lines.append(f"- {text}")
        else:
            lines.append(text)
        lines.append("")
    return Extracted(["\n".join(lines)])


READERS = {"txt": read_text, "md": read_text, "html": read_html, "pdf": read_pdf, "docx": read_docx}


def extract(data: bytes, fmt: str) -> Extracted:
    """Dispatch on format; empty and unsupported files are *skipped*."""
    if fmt not in READERS:
        raise Unreadable(f"unsupported format '.{fmt}': convert it to one of {', '.join(SUPPORTED_FORMATS)}",
                         status="skipped")
    if not data.strip():
        raise Unreadable("empty file: add the statement's text or remove the file", status="skipped")
    return READERS[fmt](data)
