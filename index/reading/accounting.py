"""How much of a document's visible text ended in passages, measured independently of the reader.

The visible text comes from another tool than the one that read the document: poppler's
pdftotext for PDF (pypdfium2's plain text when poppler is not installed), the Python standard
library's HTML tokenizer for HTML, the DOCX package's XML read with the standard library for
DOCX, the file itself for text (letters counted, as the chunker does not reorder). Only prose counts: for HTML, runs of at least PROSE_WORDS words
outside links (menus, tables of contents and breadcrumbs are links by construction); everywhere,
words with letters (page numbers do not count). A visible word is kept when a run of three
visible words around it occurs in the document's passages, their sections or its title."""
from __future__ import annotations

import re
import shutil
import subprocess
import unicodedata
import zipfile
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from xml.etree import ElementTree

import numpy as np

PARTLY = 0.8  # a document that kept less than this share of its visible text is "partly read",
PARTLY_WORDS = 30  # and lost at least this many words (a short page's footer is no loss)
PROSE_WORDS = 6  # HTML: a shorter run of text between tags is a label, a button, a menu item
_WORD_RE = re.compile(r"\w+")
_HYPHEN_BREAK_RE = re.compile(r"(\w)-\n(\w)")
_PDFTOTEXT_SECONDS = 120


@dataclass
class Reading:
    share: float | None  # kept / visible; None when the visible text could not be measured
    visible: int = 0  # words of prose the independent measure saw
    kept: int = 0
    measure: str = ""  # the tool that measured: pdftotext, pdfium, html.parser, docx-xml, file
    lost: str = ""  # the first words of the longest run of visible text not in any passage
    lost_pages: list[int] = field(default_factory=list)  # PDF pages mostly not kept

    def to_meta(self) -> dict:
        out: dict = {"visible_words": self.visible, "kept_words": self.kept,
                     "measure": self.measure}
        if self.share is not None:
            out["kept"] = round(self.share, 3)
        if self.lost:
            out["lost"] = self.lost
        if self.lost_pages:
            out["lost_pages"] = self.lost_pages
        return out


def measure(path: Path, kept_texts: list[str], raw: bytes | None = None,
            body: str | None = None, body_utf8: bytes | None = None) -> Reading:
    """The share of the visible text of the file at path found in kept_texts (its passages,
    their sections and notes, its title). body: a text file's text without its front matter
    (body_utf8: its UTF-8 bytes, if made already)."""
    kind = path.suffix.lower()
    try:
        if kind == ".pdf":
            pages, tool = pdf_pages(path)
        elif kind in (".html", ".htm"):
            pages, tool = [html_text(raw if raw is not None else path.read_bytes())], "html.parser"
        elif kind == ".docx":
            pages, tool = [docx_text(raw if raw is not None else path.read_bytes())], "docx-xml"
        else:
            if body is None:
                body, body_utf8 = path.read_text("utf-8", "replace"), None
            return _text_share(body, kept_texts, body_utf8)
    except Exception:  # a file the measure cannot open either: nothing to compare with
        return Reading(None, measure="")
    return compare(pages, kept_texts, tool)


_ASCII = bytes(range(128))
_NOT_ASCII_LETTERS = bytes(c for c in range(256) if not (c < 128 and chr(c).isalpha()))


def non_ascii(utf8: bytes) -> str:
    """The non-ASCII characters of a UTF-8 text, in order (its ASCII bytes dropped, in C)."""
    return utf8.translate(None, _ASCII).decode("utf-8", "surrogatepass")


def letters(text: str, utf8: bytes | None = None) -> int:
    """How many letters a text holds (utf8: its encoding, if made already)."""
    # counted in C, not character by character in Python: the ASCII letters by
    # bytes.translate, only the (few) non-ASCII characters one by one
    if utf8 is None:
        utf8 = text.encode("utf-8", "surrogatepass")
    n = len(utf8.translate(None, _NOT_ASCII_LETTERS))
    if len(utf8) != len(text):
        n += sum(map(str.isalpha, non_ascii(utf8)))
    return n


COMPILED_BYTES = 1 << 20  # texts this large are counted by count_kernels (numba)


def _text_share(body: str, kept_texts: list[str], utf8: bytes | None = None) -> Reading:
    """A text file is its own visible text; the chunker only leaves out blocks without words
    and repeats nothing, so letters counted (in C) tell the share, at any corpus size.
    utf8: the body's encoding, if made already."""
    if utf8 is None:
        utf8 = body.encode("utf-8", "surrogatepass")
    if len(utf8) >= COMPILED_BYTES:
        visible, words = _compiled_counts(body, utf8)
        kept = "".join(kept_texts)
        kept_letters = _compiled_counts(kept, kept.encode("utf-8", "surrogatepass"))[0]
    else:
        visible = letters(body, utf8)
        kept_letters = letters("".join(kept_texts)) if visible else 0
        words = word_count(body, utf8) if visible else 0
    if not visible:
        return Reading(None, measure="text")
    share = min(1.0, kept_letters / visible)  # a count adds up over texts
    return Reading(share, words, round(share * words), "file")


def _compiled_counts(text: str, utf8: bytes) -> tuple[int, int]:
    """(letters(text), word_count(text)) in one compiled pass over the bytes."""
    from .count_kernels import ascii_letters_and_words

    n, words = ascii_letters_and_words(utf8)
    if len(utf8) != len(text):  # only the non-ASCII characters one by one
        other = non_ascii(utf8)
        n += sum(map(str.isalpha, other))
        if any(map(str.isspace, other)):
            words = len(text.split())  # a non-ASCII space (rare): str.split knows them all
    return n, words


_ASCII_SPACE = np.array([c < 128 and chr(c).isspace() for c in range(256)])


def word_count(text: str, utf8: bytes | None = None) -> int:
    """len(text.split()), counted in numpy without making the words (utf8: its encoding,
    if made already)."""
    if utf8 is None:
        utf8 = text.encode("utf-8", "surrogatepass")
    if len(utf8) != len(text) and any(map(str.isspace, non_ascii(utf8))):
        return len(text.split())  # a non-ASCII space (rare): str.split knows them all
    space = _ASCII_SPACE[np.frombuffer(utf8, dtype=np.uint8)]
    # a word starts at each byte that is not a space after one that is (or at the start)
    return int(np.count_nonzero(space[:-1] & ~space[1:])) + int(len(space) > 0 and not space[0])


def compare(pages: list[str], kept_texts: list[str], tool: str = "") -> Reading:
    """Kept share of the words of pages (one string per page) found in kept_texts."""
    kept_grams: set = set()
    short_grams: set = set()
    for t in kept_texts:
        ws = _words(t)
        kept_grams.update(zip(ws, ws[1:], ws[2:]))
        if 0 < len(ws) < 3:
            short_grams.add(tuple(ws))
    visible = kept = 0
    best = (0, 0, 0)  # the longest run of lost words: length, page, start
    lost_pages = []
    page_words = []
    for n, page in enumerate(pages):
        page = _HYPHEN_BREAK_RE.sub(r"\1\2", page)
        shown = _WORD_RE.findall(page)
        ws = _words(page)
        page_words.append(shown)
        ok = np.zeros(len(ws), bool)
        if len(ws) >= 3:
            hit = np.fromiter(map(kept_grams.__contains__, zip(ws, ws[1:], ws[2:])), bool, len(ws) - 2)
            ok[:-2] |= hit
            ok[1:-1] |= hit
            ok[2:] |= hit
        if short_grams:
            for i in np.flatnonzero(~ok):  # a one- or two-word title or heading
                if short_grams & {(ws[i],), tuple(ws[i:i + 2]), tuple(ws[max(i - 1, 0):i + 1])}:
                    ok[i] = True
        counted = np.fromiter((not w.isdigit() for w in ws), bool, len(ws))  # page numbers are not text
        page_visible = int(counted.sum())
        page_kept = int((counted & ok).sum())
        visible += page_visible
        kept += page_kept
        if len(pages) > 1 and page_visible >= 20 and page_kept < 0.5 * page_visible:
            lost_pages.append(n + 1)
        if page_kept < page_visible:  # runs of lost words: starts and ends of ~ok
            edges = np.flatnonzero(np.diff(np.concatenate(([0], (~ok).view(np.int8), [0]))))
            starts, ends = edges[::2], edges[1::2]
            i = int(np.argmax(ends - starts))
            if ends[i] - starts[i] > best[0]:
                best = (int(ends[i] - starts[i]), n, int(starts[i]))
    lost = ""
    if best[0] >= 3:
        length, n, start = best
        lost = " ".join(page_words[n][start:start + min(length, 12)]) + ("…" if length > 12 else "")
    share = kept / visible if visible else None
    return Reading(share, visible, kept, tool, lost, lost_pages)


def _fold(word: str) -> str:
    """Case, accents and compatibility forms (ligatures) folded: the tools differ in those."""
    word = unicodedata.normalize("NFKD", word)
    return "".join(ch for ch in word if not unicodedata.combining(ch)).casefold()


def _words(text: str) -> list[str]:
    """The folded words of a text (the words as found, then each folded: the same words on
    both sides of the comparison)."""
    if text.isascii():
        return _WORD_RE.findall(text.lower())
    return [w.lower() if w.isascii() else _fold(w) for w in _WORD_RE.findall(text)]


# -- PDF ---------------------------------------------------------------------------------------


def pdf_pages(path: Path) -> tuple[list[str], str]:
    """The text of each page, by pdftotext when installed, else by PDFium's plain text."""
    if shutil.which("pdftotext"):
        r = subprocess.run(["pdftotext", "-q", "-enc", "UTF-8", str(path), "-"],
                           capture_output=True, timeout=_PDFTOTEXT_SECONDS)
        if r.returncode == 0:
            pages = r.stdout.decode("utf-8", "replace").split("\f")
            return (pages[:-1] if pages and not pages[-1].strip() else pages), "pdftotext"
    import pypdfium2

    pdf = pypdfium2.PdfDocument(str(path))
    try:
        out = []
        for i in range(len(pdf)):
            tp = pdf[i].get_textpage()
            out.append(tp.get_text_range())
        return out, "pdfium"
    finally:
        pdf.close()


# -- HTML --------------------------------------------------------------------------------------

_UNSEEN = {"script", "style", "head", "title", "template", "noscript", "svg", "select", "option",
           "textarea", "button", "object", "iframe"}
_VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param",
         "source", "track", "wbr"}
_RUN_BREAKING = {"p", "div", "li", "ul", "ol", "dl", "dt", "dd", "table", "tr", "td", "th",
                 "h1", "h2", "h3", "h4", "h5", "h6", "section", "article", "aside", "header",
                 "footer", "nav", "main", "figure", "figcaption", "blockquote", "pre", "br", "hr",
                 "caption", "address", "form", "fieldset", "legend", "details", "summary",
                 "body", "html"}
_CHARSET_RE = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?([\w.:-]+)""", re.I)


class _Visible(HTMLParser):
    """Text a reader of the page sees, in runs between block tags; link text and text hidden
    from view or from assistive technology left out."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.runs: list[str] = []
        self.current: list[str] = []
        self.skip: list[list] = []  # [tag, depth] of the element whose text is not counted

    def handle_starttag(self, tag: str, attrs) -> None:
        a = dict(attrs)
        if tag in _RUN_BREAKING:
            self._end_run()
        if self.skip:
            if tag == self.skip[-1][0] and tag not in _VOID:
                self.skip[-1][1] += 1
            return
        style = (a.get("style") or "").replace(" ", "").lower()
        if tag in _VOID:
            return
        if (tag in _UNSEEN or (tag == "a" and a.get("href") is not None) or "hidden" in a
                or a.get("aria-hidden") == "true" or "display:none" in style):
            self.skip.append([tag, 1])

    def handle_endtag(self, tag: str) -> None:
        if self.skip and tag == self.skip[-1][0]:
            self.skip[-1][1] -= 1
            if self.skip[-1][1] == 0:
                self.skip.pop()
        if tag in _RUN_BREAKING:
            self._end_run()

    def handle_data(self, data: str) -> None:
        if not self.skip:
            self.current.append(data)

    def _end_run(self) -> None:
        text = " ".join("".join(self.current).split())
        self.current = []
        if len(_WORD_RE.findall(text)) >= PROSE_WORDS:
            self.runs.append(text)


def html_text(raw: bytes) -> str:
    """The page's visible prose, one run per line."""
    m = _CHARSET_RE.search(raw[:4096])
    encoding = m.group(1).decode("ascii") if m else "utf-8"
    try:
        text = raw.decode(encoding, "replace")
    except LookupError:
        text = raw.decode("utf-8", "replace")
    p = _Visible()
    p.feed(text)
    p.close()
    p._end_run()
    return "\n".join(p.runs)


# -- DOCX --------------------------------------------------------------------------------------

_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


def docx_text(raw: bytes) -> str:
    """Every paragraph of the body (text boxes included), the footnotes and the endnotes."""
    import io

    out = []
    with zipfile.ZipFile(io.BytesIO(raw)) as z:
        for part in ("word/document.xml", "word/footnotes.xml", "word/endnotes.xml"):
            if part not in z.namelist():
                continue
            root = ElementTree.fromstring(z.read(part))
            for p in root.iter(_W + "p"):
                # a text box's paragraphs sit inside their anchor's paragraph: each counts once
                inner = {id(t) for q in p.iter(_W + "p") if q is not p for t in q.iter(_W + "t")}
                out.append("".join(t.text or "" for t in p.iter(_W + "t") if id(t) not in inner))
    return "\n".join(x for x in out if x.strip())


def partly_read(meta: dict) -> bool:
    """A document with passages that kept less than PARTLY of its visible text (manifest
    entry), PARTLY_WORDS words or more."""
    kept = meta.get("kept")
    return (bool(meta.get("chunks")) and kept is not None and kept < PARTLY
            and meta.get("visible_words", 0) - meta.get("kept_words", 0) >= PARTLY_WORDS)
