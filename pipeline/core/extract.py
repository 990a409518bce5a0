"""Read statement files into pages of lightly marked text.

Each reader returns :class:`Extracted`: pages of text where headings are
``# ...`` and list items ``- ...`` where the format says so. Problems a user
can fix raise :class:`Unreadable` with the status and a message saying what
to do.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from pathlib import Path

SUPPORTED_FORMATS = ("txt", "md", "html", "pdf", "docx")
_FORMAT_BY_SUFFIX = {".txt": "txt", ".text": "txt", ".md": "md", ".markdown": "md",
                     ".html": "html", ".htm": "html", ".pdf": "pdf", ".docx": "docx"}
MIN_TEXT_CHARS_PER_PAGE = 20


class Unreadable(Exception):
    """A file that cannot be turned into text; ``status`` is skipped or failed."""

    def __init__(self, reason: str, *, status: str = "failed") -> None:
        super().__init__(reason)
        self.reason = reason
        self.status = status


@dataclass
class Extracted:
    pages: list[str]
    reflow: bool = False  # PDF text needs paragraph boundaries restored
    warnings: list[str] = field(default_factory=list)


def format_of(path: Path) -> str:
    """Format name from the file suffix ('' suffix gives '')."""
    return _FORMAT_BY_SUFFIX.get(path.suffix.lower(), path.suffix.lower().lstrip("."))


def decode_text(data: bytes) -> tuple[str, list[str]]:
    """UTF-8 (with or without BOM); failing that Windows-1252/Latin-1 with a
    warning. Bytes that look binary raise :class:`Unreadable`."""
    sample = data[:8192]
    if b"\x00" in sample or sum(b < 9 or 13 < b < 32 for b in sample) > 0.05 * max(len(sample), 1):
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


def read_text(data: bytes) -> Extracted:
    text, warnings = decode_text(data)
    return Extracted([text], warnings=warnings)


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


def read_pdf(data: bytes) -> Extracted:
    """Text layer of each page with pypdf. Encrypted PDFs that open with an
    empty password are read; others, and PDFs without text, are refused."""
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            try:
                opened = reader.decrypt("")
            except Exception as err:  # pypdf raises several types for unsupported ciphers
                raise Unreadable(f"encrypted PDF ({err}): save an unencrypted copy") from err
            if not opened:
                raise Unreadable("encrypted PDF that needs a password: save an unencrypted copy")
        pages = [page.extract_text() or "" for page in reader.pages]
    except Unreadable:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError, OSError) as err:
        raise Unreadable(f"not a readable PDF ({type(err).__name__}: {err}): check the file is complete") from err
    if not pages:
        raise Unreadable("PDF has no pages")
    if sum(len(p.strip()) for p in pages) < MIN_TEXT_CHARS_PER_PAGE * len(pages):
        raise Unreadable("PDF has no text layer (a scan?): run OCR on it, e.g. `ocrmypdf in.pdf out.pdf`, and add the result")
    return Extracted(pages, reflow=True)


def read_docx(data: bytes) -> Extracted:
    """Paragraphs of a Word file with python-docx; Heading/Title styles become
    headings and List styles bullets."""
    import docx
    from docx.opc.exceptions import PackageNotFoundError

    try:
        document = docx.Document(io.BytesIO(data))
    except (PackageNotFoundError, KeyError, ValueError, OSError) as err:
        raise Unreadable(f"not a readable DOCX ({type(err).__name__}): open and re-save it in Word or LibreOffice") from err
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
