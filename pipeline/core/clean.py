"""Turn extracted text into clean blocks: headings, paragraphs and bullets.

Every reader in :mod:`pipeline.core.extract` produces *pages* of lightly marked
text (``# `` for headings, ``- `` for bullets, pages separated by form feeds).
This module does the rest, the same way for every format:

1. :func:`normalise_text` -- Unicode NFKC, invisible characters, quotes, spaces;
2. :func:`split_pages` -- form feeds, or runs of 3+ blank lines in text saved
   from a PDF;
3. :func:`find_running_lines` / :func:`drop_running_lines` -- page headers and
   footers that repeat at the edges of pages, and bare page numbers;
4. :func:`parse_blocks` -- blank-line separated blocks, bullets, headings,
   lines joined and de-hyphenated;
5. :func:`join_pages` -- a paragraph cut by a page break is joined again.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

BlockKind = Literal["heading", "paragraph", "bullet"]

_REPLACEMENTS = {**dict.fromkeys("\u00ad\u200b\u200c\u200d\u2060\ufeff", ""),  # invisible characters
                 "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'",       # straight quotes
                 "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u2032": "'"}
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")
_SPACES = re.compile(r"[ \t\u00a0\u2000-\u200a\u202f\u205f\u3000]+")
_PAGE_GAP = re.compile(r"\n[ \t]*\n[ \t]*\n[ \t]*\n")  # three or more blank lines
_PAGE_NUMBER = re.compile(r"^(?:page\s*)?[-\u2013 ]*\d{1,4}(?:\s*(?:of|/)\s*\d{1,4})?[-\u2013 ]*$", re.I)
_BULLET = re.compile(r"^(?:[-*\u2022\u25cf\u25aa\u25e6\u2023\u2013\u2014]|\(?\d{1,2}[.)]|\(?[a-z]\)|\(?[ivx]{1,4}\))\s+")
_HEADING_MARK = re.compile(r"^#{1,6}\s+")
_EMPHASIS = re.compile(r"(\*\*|__|\*)(?=\S)(.+?)(?<=\S)\1")
_LINK = re.compile(r"\[([^\]]+)\]\((?:[^)\s]+)\)")
_TERMINAL = (".", "!", "?", ";", ":", ",", '."', ".'", ".)")
_SENTENCE_END = (".", "!", "?", ";", ":", '."', ".'", ".)", '?"')
EDGE_LINES = 3


@dataclass(frozen=True)
class Block:
    """One unit of a cleaned statement, in reading order."""

    kind: BlockKind
    text: str


def normalise_text(text: str) -> str:
    """NFKC-normalise, drop invisible and control characters, straighten quotes,
    collapse horizontal whitespace and strip line ends. Newlines and form feeds
    (page breaks) are kept for the later steps."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if not text.isascii():  # NFKC, invisible characters and curly quotes concern non-ASCII text only
        text = unicodedata.normalize("NFKC", text)
        # replace() per character present: str.translate with a mapping is ~20x slower on long texts
        for char, replacement in _REPLACEMENTS.items():
            if char in text:
                text = text.replace(char, replacement)
    text = _CONTROL.sub("", text)
    return "\n".join(_SPACES.sub(" ", line).strip() for line in text.split("\n"))


def split_pages(text: str) -> list[str]:
    """Pages by form feed; failing that, by gaps of three or more blank lines,
    which is how page breaks survive in text saved from a PDF."""
    if "\f" in text:
        return text.split("\f")
    return _PAGE_GAP.split(text)


def _edge_lines(page: str) -> list[str]:
    lines = [line for line in page.split("\n") if line.strip()]
    if len(lines) <= 2 * EDGE_LINES:
        return lines
    return lines[:EDGE_LINES] + lines[-EDGE_LINES:]


def _line_key(line: str) -> str:
    return re.sub(r"\d+", "#", line.strip().lower())


def find_running_lines(pages: Sequence[str], *, min_share: float = 0.5) -> set[str]:
    """Lines (digits folded, so 'Page 2' matches 'Page 3') that stand among
    the first or last lines of at least two pages and of ``min_share`` of all
    pages: running headers and footers."""
    if len(pages) < 2:
        return set()
    counts = Counter(key for page in pages for key in {_line_key(line) for line in _edge_lines(page)})
    needed = max(2, min_share * len(pages))
    return {key for key, n in counts.items() if n >= needed and key}


def drop_running_lines(page: str, running: set[str]) -> str:
    """Remove running lines and bare page numbers from the edges of a page
    (never from its middle, where the same words may be real text)."""
    lines = page.split("\n")
    content = [i for i, line in enumerate(lines) if line.strip()]
    edges = set(content[:EDGE_LINES] + content[-EDGE_LINES:])
    kept = [
        line for i, line in enumerate(lines)
        if not (i in edges and (_line_key(line) in running or _PAGE_NUMBER.match(line.strip())))
    ]
    return "\n".join(kept)


def strip_inline_markup(text: str) -> str:
    """Markdown emphasis and links to plain words (``*Title*`` -> ``Title``)."""
    return _EMPHASIS.sub(r"\2", _LINK.sub(r"\1", text))


def join_lines(lines: Sequence[str]) -> str:
    """Join the lines of one block: a word split by a hyphen at a line end
    ('traf-' + 'ficking') is mended; 'WG-' + 'TIP' keeps its hyphen."""
    out = ""
    for line in (line.strip() for line in lines):
        if not line:
            continue
        if not out:
            out = line
        elif out.endswith("-") and len(out) > 1 and out[-2].isalpha() and line[0].islower():
            out = out[:-1] + line
        elif out.endswith("-") and len(out) > 1 and out[-2].isalnum():
            out += line
        else:
            out += " " + line
    return out


def looks_like_heading(text: str, *, max_words: int) -> bool:
    """A short line that starts like a title and ends without sentence
    punctuation ('Conclusion', 'Site visits - 3 December 2025')."""
    return (
        "\n" not in text
        and 0 < len(text.split()) <= max_words
        and (text[0].isupper() or text[0].isdigit())
        and not text.endswith(_TERMINAL)
    )


def parse_blocks(page: str, *, heading_max_words: int) -> list[Block]:
    """Split one page into blocks: blank lines end a block, a bullet marker
    starts one, ``#`` marks a heading; other lines of a block are joined."""
    blocks: list[Block] = []
    lines: list[str] = []
    kind: BlockKind = "paragraph"

    def flush() -> None:
        nonlocal lines, kind
        if lines:
            text = strip_inline_markup(join_lines(lines))
            if text:
                if kind == "paragraph" and len(lines) == 1 and looks_like_heading(text, max_words=heading_max_words):
                    kind = "heading"
                blocks.append(Block(kind, text))
        lines, kind = [], "paragraph"

    for line in page.split("\n"):
        if not line.strip():
            flush()
        elif _HEADING_MARK.match(line):
            flush()
            blocks.append(Block("heading", strip_inline_markup(_HEADING_MARK.sub("", line).strip())))
        elif _BULLET.match(line):
            flush()
            kind = "bullet"
            lines = [_BULLET.sub("", line)]
        else:
            lines.append(line)
    flush()
    return blocks


def join_pages(pages: Sequence[list[Block]]) -> list[Block]:
    """Concatenate pages, mending a paragraph or bullet that a page break cut:
    it ends without sentence punctuation and the next page opens with a
    paragraph."""
    out: list[Block] = []
    for blocks in pages:
        if out and blocks and out[-1].kind != "heading" and blocks[0].kind == "paragraph" \
                and not out[-1].text.endswith(_SENTENCE_END):
            out[-1] = Block(out[-1].kind, out[-1].text + " " + blocks[0].text)
            blocks = blocks[1:]
        out.extend(blocks)
    return out


def clean_pages(pages: Sequence[str], *, header_min_share: float, heading_max_words: int) -> list[Block]:
    """The whole cleaning pass over a document's pages."""
    pages = [normalise_text(p) for p in pages]
    if len(pages) == 1:
        pages = split_pages(pages[0])
    running = find_running_lines(pages, min_share=header_min_share)
    pages = [drop_running_lines(p, running) for p in pages]
    return join_pages([parse_blocks(p, heading_max_words=heading_max_words) for p in pages])
