"""Readers for documents that are not plain text: PDF, DOCX and HTML.

Each turns a file into the text the chunker reads: Markdown-like blocks separated by blank
lines ('# heading', paragraphs, '[n] note' definitions that '[n]' markers in the text cite),
plus the document's metadata (the front matter fields) and, for PDF, where each page begins.
Libraries are imported only when a file of their kind is read."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path


class Unreadable(Exception):
    """The file cannot be read as its kind (scanned, encrypted, damaged): the message is the
    notice shown after the file's name, e.g. 'no text layer — scanned? skipped'."""


@dataclass
class Extracted:
    body: str
    meta: dict[str, str] = field(default_factory=dict)  # title, author, source, date, url
    page_starts: list[int] = field(default_factory=list)  # body offset where each page begins
    problem: str = ""  # read in part: what was lost
    # PDF: where each body line is drawn, (start, end, page, left, bottom, right, top) in points
    line_boxes: list[tuple[int, int, int, int, int, int, int]] = field(default_factory=list)


def extract(path: Path, raw: bytes) -> Extracted:
    """The text and metadata of a PDF, DOCX or HTML file; Unreadable when there is none."""
    kind = path.suffix.lower()
    if kind == ".pdf":
        from .pdf import read
    elif kind == ".docx":
        from .docx import read
    elif kind in (".html", ".htm"):
        from .html import read
    else:
        raise Unreadable(f"unknown kind of document {kind!r} — skipped")
    return read(raw)


def note_block(mark: str, text: str) -> str:
    """A note definition as the chunker reads it: '[mark] text' on one line."""
    return f"[{mark}] " + " ".join(text.split())


def roman(n: int) -> str:
    """Lower-case Roman numeral (endnotes are marked i, ii, … to keep them apart from
    footnotes 1, 2, …)."""
    out = []
    for value, digits in ((1000, "m"), (900, "cm"), (500, "d"), (400, "cd"), (100, "c"),
                          (90, "xc"), (50, "l"), (40, "xl"), (10, "x"), (9, "ix"), (5, "v"),
                          (4, "iv"), (1, "i")):
        while n >= value:
            out.append(digits)
            n -= value
    return "".join(out)
