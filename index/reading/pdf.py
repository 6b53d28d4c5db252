"""PDF -> text with pages, headings, paragraphs and footnotes, from the characters' positions.

pypdfium2 (PDFium, the PDF engine of Chromium; Apache-2.0/BSD) gives each character with its
loose box and font size, fast enough for hundreds of pages a second. From those: lines
(a change of baseline), words (a horizontal gap; many PDFs have no space characters),
superscript note markers, running headers and footers (the same line at the same place on
several pages, page numbers), paragraphs (a wider line gap, a first-line indent, a short last
line), headings (the outline's titles; else short lines set larger or in bold) and footnotes
(smaller lines at the foot of a page that start with a marker)."""
from __future__ import annotations

import ctypes
import math
import re
import threading
import unicodedata
from collections import Counter
from dataclasses import dataclass, field

from . import Extracted, Unreadable, note_block

_PAGE_NUMBER_RE = re.compile(
    r"^[\s\-−–—|·.]*(?:page\s+|p\.\s*|seite\s+)?(?:\d{1,4}|[ivxlcdm]{1,7})"
    r"(?:\s*(?:of|/|von)\s*\d{1,4})?[\s\-−–—|·.]*$", re.I)
_NOTE_START_RE = re.compile(r"^\[?(\d{1,3}|[*†‡§])\]?[.)]?\s+(\S.*)")
_FILE_TITLE_RE = re.compile(r"\.(?:docx?|odt|rtf|tex|dvi|ms|ps|txt|pdf|indd|pages)$|^untitled$|"
                            r"^microsoft word\b", re.I)
_EDGE_NUMBER_RE = re.compile(r"(?:^|\s)(\d{1,4})\W{0,3}$")
_BOLD_RE = re.compile(rb"bold|black|heavy|semibold|demi", re.I)
# a table-of-contents or index entry ends with a page reference: after dot leaders
# ('Naming . . . 3'), after a comma ('asn1_dup_node, 11, 14–15') or after the title ('Intro 6')
_PAGE_REF = r"(?:\d{1,4}|[ivxlcdm]{1,7})(?:\s?[–-]\s?\d{1,4})?"
_LEADERS_RE = re.compile(rf"(?:(?:[.·]\s){{3,}}|\.{{4,}}|[·…_]{{3,}})\s*(?:{_PAGE_REF})?\s*$", re.I)
_COMMA_REFS_RE = re.compile(rf"[^\W\d_][)\]\"”’']*,\s*{_PAGE_REF}(?:\s*,\s*{_PAGE_REF})*\s*$", re.I)
_TRAILING_REF_RE = re.compile(rf"(?:^|[\w)\]’'\"”:]\s+)({_PAGE_REF})\s*$", re.I)
_REF_NUMBER_RE = re.compile(r"(\d{1,4})\s*$")
_SENTENCE_END = ".!?:;\"'”’)»"
HYPHENS = "-\u00ad\ufffe\u2010"  # PDFium reports a hyphen at a line end as U+FFFE
# spacing accents -> combining ones: TeX and others draw 'ä' as '¨' over 'a' (two glyphs)
_ACCENTS = {"\u00a8": "\u0308", "\u00b4": "\u0301", "`": "\u0300", "\u02c6": "\u0302",
            "^": "\u0302", "\u02dc": "\u0303", "~": "\u0303", "\u00b8": "\u0327",
            "\u02c7": "\u030c", "\u02d8": "\u0306", "\u02d9": "\u0307", "\u02da": "\u030a",
            "\u02dd": "\u030b", "\u02db": "\u0328", "\u00af": "\u0304"}
_DOTLESS = {"\u0131": "i", "\u0237": "j"}  # 'ı' + '´' is TeX's 'í'


@dataclass
class _Line:
    page: int
    text: str
    x0: float
    x1: float
    y: float  # bottom of its characters' boxes (the same for one font and size)
    size: float  # font size of most of its characters
    bold: bool
    top: float = 0.0  # top of its characters' boxes
    kind: str = "body"  # body | furniture (header, footer, page number) | note | heading


@dataclass
class _Page:
    lines: list[_Line] = field(default_factory=list)
    images: int = 0


_PDFIUM = threading.Lock()  # PDFium is not thread-safe (a bot reloads in a thread)


def read(raw: bytes) -> Extracted:
    with _PDFIUM:
        return _read(raw)


def _read(raw: bytes) -> Extracted:
    import pypdfium2 as pdfium

    try:
        pdf = pdfium.PdfDocument(raw)
    except pdfium.PdfiumError as e:
        if "password" in str(e).lower():
            raise Unreadable("encrypted (needs a password) — skipped; index an unlocked copy") from None
        raise Unreadable(f"damaged or not a PDF ({_reason(e)}) — skipped") from None
    try:
        truncated = b"%%EOF" not in raw[-2048:]
        pages = [_read_page(pdf, i) for i in range(len(pdf))]
        outline = _outline(pdf)
        info = _metadata(pdf)
    except pdfium.PdfiumError as e:  # a page that cannot be loaded
        raise Unreadable(f"damaged PDF ({_reason(e)}) — skipped") from None
    finally:
        pdf.close()
    if not pages:
        raise Unreadable("damaged PDF (no pages) — skipped")
    blank = [i + 1 for i, p in enumerate(pages) if not p.lines]
    if len(blank) == len(pages):
        if any(p.images for p in pages):
            raise Unreadable("no text layer — scanned? skipped")
        raise Unreadable("no text in the PDF — skipped")
    problems = []
    if truncated:
        problems.append(f"truncated or damaged (no end-of-file marker): indexed the text of "
                        f"{len(pages) - len(blank)} readable pages")
    scanned = [n for n in blank if pages[n - 1].images]
    if scanned:
        problems.append(f"no text layer on {_page_list(scanned)} (scanned?): those pages are "
                        "not indexed")
    body, starts, boxes = _compose(pages, outline)
    meta = {"title": info["title"]} if info.get("title") else {}
    for key in ("author", "date"):
        if info.get(key):
            meta[key] = info[key]
    return Extracted(body, meta, starts, "; ".join(problems), line_boxes=boxes)


def _reason(e: Exception) -> str:
    m = re.search(r"PDFium: ([^)]+)", str(e))
    return m.group(1) if m else str(e).strip(". ")


def _page_list(pages: list[int]) -> str:
    return ("page " if len(pages) == 1 else "pages ") + ", ".join(map(str, pages[:10])) + (
        "…" if len(pages) > 10 else "")


# -- characters -> lines ------------------------------------------------------------------------


def _read_page(pdf, i: int) -> _Page:
    import pypdfium2.raw as R

    page = pdf[i]
    try:
        tp = page.get_textpage()
        try:
            out = _Page(_lines(R, tp.raw, i + 1, _chars(R, tp.raw)))
        finally:
            tp.close()
        if not out.lines:
            out.images = sum(1 for _ in page.get_objects(filter=[R.FPDF_PAGEOBJ_IMAGE], max_depth=2))
        return out
    finally:
        page.close()


# a character: (text, left, right, bottom, font size, index on the page, top)
_Ch = tuple


def _chars(R, tp) -> list[_Ch]:
    """The page's characters in content order, with their loose boxes (which span the advance
    width, so there is no gap inside a word) and font sizes."""
    n = R.FPDFText_CountChars(tp)
    if n <= 0:
        return []
    buf = ctypes.create_string_buffer(2 * (n + 1))
    got = R.FPDFText_GetText(tp, 0, n, ctypes.cast(buf, ctypes.POINTER(ctypes.c_ushort)))
    text = buf.raw[: 2 * max(0, got - 1)].decode("utf-16-le", "surrogatepass")
    if len(text) != n:  # characters outside the BMP take two units: one call per character
        text = "".join(chr(min(R.FPDFText_GetUnicode(tp, k), 0x10FFFF)) for k in range(n))
    box = R.FS_RECTF()
    ref = ctypes.byref(box)
    loose, size_of = R.FPDFText_GetLooseCharBox, R.FPDFText_GetFontSize
    out = []
    height, size = -1.0, 0.0
    for k, ch in enumerate(text):
        if ch in "\r\n":
            continue  # line breaks are found from the positions
        if ch in "\x02\ufffe":  # PDFium's mark for a hyphen that ends a line
            ch = "-"
        elif "\ud800" <= ch <= "\udfff":
            ch = "\ufffd"
        loose(tp, k, ref)
        if ch == " " and box.right <= box.left:
            continue  # a space PDFium made up (no width): word gaps are found from positions
        if box.top - box.bottom != height:  # the same font at the same size: the same height
            height = box.top - box.bottom
            size = round(size_of(tp, k), 1)
        out.append((ch, box.left, box.right, box.bottom, size, k, box.top))
    return out


def _lines(R, tp, page: int, chars: list[_Ch]) -> list[_Line]:
    groups: list[list[_Ch]] = []
    g: list[_Ch] = []
    y0 = 0.0
    for c in chars:
        if g:
            prev = g[-1]
            size = max(prev[4], c[4], 1.0)
            if abs(c[3] - y0) < 0.6 * size and c[1] > prev[1] - 2 * size:
                g.append(c)
                continue
        g = [c]
        y0 = c[3]
        groups.append(g)
    name = ctypes.create_string_buffer(128)
    flags = ctypes.c_int()

    def bold(k: int) -> bool:
        R.FPDFText_GetFontInfo(tp, k, name, 128, ctypes.byref(flags))
        return bool(_BOLD_RE.search(name.value)) or bool(flags.value & (1 << 18))  # ForceBold

    return [ln for g in groups if (ln := _line(page, g, bold)) is not None]


def _line(page: int, g: list[_Ch], bold) -> _Line | None:
    inked = [c for c in g if not c[0].isspace()]
    if not inked:
        return None
    # a space the next character is drawn over is not a gap between words ('ev ery')
    g = [c for i, c in enumerate(g) if not (
        c[0] == " " and i + 1 < len(g) and g[i + 1][1] < c[1] + 0.4 * (c[2] - c[1]))]
    if any(c[0] in _ACCENTS for c in g):
        g = _compose_accents(g)
    size = Counter(c[4] for c in inked).most_common(1)[0][0]
    base = next(c[3] for c in inked if c[4] == size)
    parts: list[str] = []
    prev = None
    in_sup = False
    gap = 0.1 * size
    for c in g:
        ch = c[0]
        sup = ch.isdigit() and c[4] < 0.85 * size and c[3] > base + 0.2 * size
        if sup != in_sup:
            parts.append("[" if sup else "]")
            in_sup = sup
        if ch.isspace():
            if parts and parts[-1] != " ":
                parts.append(" ")
        else:
            if (prev is not None and not sup and parts and parts[-1] not in " ["
                    and not prev[0].isspace()
                    and c[1] - prev[2] > max(gap, 0.1 * c[4])):
                parts.append(" ")
            parts.append(ch)
        prev = c
    if in_sup:
        parts.append("]")
    text = "".join(parts).strip()
    if not text.isascii():
        text = unicodedata.normalize("NFC", text.translate(_LIGATURES))
    if "[" in text:
        text = re.sub(r"\s+(\[\d{1,3}\])", r"\1", text)  # 'relations [1]' -> 'relations[1]'
    body = [c for c in inked if c[4] == size]
    heavy = bold(body[0][5]) and bold(body[-1][5]) and bold(body[len(body) // 2][5])
    return _Line(page, text, min(c[1] for c in inked), max(c[2] for c in inked), base, size, heavy,
                 max(c[6] for c in body))


_LIGATURES = {c: unicodedata.normalize("NFKC", chr(c)) for c in range(0xFB00, 0xFB07)}


def _over(a: _Ch, b: _Ch) -> bool:
    """Is a drawn over b: most of the narrower of the two boxes is shared."""
    shared = min(a[2], b[2]) - max(a[1], b[1])
    return shared > 0.5 * max(0.1, min(a[2] - a[1], b[2] - b[1]))


def _compose_accents(g: list[_Ch]) -> list[_Ch]:
    """A spacing accent drawn over the letter next to it becomes that letter's combining
    accent ('¨' 'a' -> 'ä'); one that stands on its own ('a^2', a backquote) stays."""
    out: list[_Ch] = []
    i = 0
    while i < len(g):
        c = g[i]
        mark = _ACCENTS.get(c[0])
        if mark is not None:
            nxt = g[i + 1] if i + 1 < len(g) else None
            if nxt is not None and nxt[0].isalpha() and _over(c, nxt):
                out.append((_DOTLESS.get(nxt[0], nxt[0]) + mark,) + tuple(nxt[1:]))
                i += 2
                continue
            if out and out[-1][0][:1].isalpha() and _over(c, out[-1]):
                prev = out[-1]
                out[-1] = (_DOTLESS.get(prev[0], prev[0]) + mark,) + tuple(prev[1:])
                i += 1
                continue
        out.append(c)
        i += 1
    return out


# -- lines -> blocks -------------------------------------------------------------------------------


def _key(text: str) -> str:
    return re.sub(r"\d+", "#", re.sub(r"\s+", "", text.casefold()))


def _mark_furniture(pages: list[_Page]) -> None:
    """Running headers and footers: a line among the first or last two of a page that recurs
    at the same height on other pages (digits aside), and bare page numbers there."""
    zones: list[list[tuple[str, _Line]]] = []
    seen: Counter = Counter()
    for p in pages:
        ls = p.lines
        if not ls:
            zones.append([])
            continue
        top = sorted(ls, key=lambda ln: -ln.y)[:2]
        bottom = sorted(ls, key=lambda ln: ln.y)[:2]
        cands = [("top", ln) for ln in top] + [("bottom", ln) for ln in bottom if ln not in top]
        zones.append(cands)
        for key in {(z, _key(ln.text), round(ln.y / 4)) for z, ln in cands}:
            seen[key] += 1
    need = 2 if len(pages) <= 6 else 3
    # a running head that names the chapter carries the printed page number, which is the
    # page's position plus a constant (front matter aside): 'Chapter 4: Functions 9'
    offsets: Counter = Counter()
    for cands in zones:
        for z, ln in cands[:1] + [c for c in cands if c[0] == "bottom"][:1]:
            for num in _edge_numbers(ln.text):
                offsets[num - ln.page] += 1
    offset, hits = offsets.most_common(1)[0] if offsets else (None, 0)
    for cands in zones:
        for z, ln in cands:
            extreme = ln.y == (max if z == "top" else min)(x.y for x in pages[ln.page - 1].lines)
            if seen[(z, _key(ln.text), round(ln.y / 4))] >= need or (
                    extreme and (_PAGE_NUMBER_RE.match(ln.text)
                                 or (hits >= need and ln.page + offset in _edge_numbers(ln.text)))):
                ln.kind = "furniture"


def _mark_lone_furniture(pages: list[_Page], spacing: float, body: float) -> bool:
    """A running head or foot seen once (a short document): the top- or bottom-most line in
    body type, set apart from the body line next to it by more than two line spacings."""
    found = False
    for p in pages:
        lines = sorted((ln for ln in p.lines if ln.kind in ("body", "heading")), key=lambda ln: -ln.y)
        for edge, near in ((lines[:1], lines[1:2]), (lines[-1:], lines[-2:-1])):
            if not edge or not near or len(lines) < 4:
                continue
            ln, other = edge[0], near[0]
            if (ln.kind == "body" and other.kind == "body" and not ln.bold
                    and ln.size <= 1.05 * body and abs(other.size - body) < 0.5
                    and abs(ln.y - other.y) > 2 * spacing):
                ln.kind = "furniture"
                found = True
    return found


def _entry(text: str, pages: int, titles: set[str]) -> int:
    """2: a line that is surely a table-of-contents or index entry (dot leaders, a list of
    page numbers after a comma, an outline title with its page number); 1: one that may be
    (ends in a number that could be a page's, or is only that number); 0: not an entry."""
    m = _REF_NUMBER_RE.search(text)
    if m and (int(m.group(1)) > pages or m.group(1)[0] == "0"):  # no page has that number
        return 0
    if _LEADERS_RE.search(text):
        return 2 if any(ch.isalnum() for ch in text) else 1
    if _COMMA_REFS_RE.search(text):
        return 2
    m = _TRAILING_REF_RE.search(text)
    if m is None:
        return 0
    if titles and _norm(text[: m.start(1)]).lstrip("0123456789") in titles:
        return 2
    return 1


def _mark_listings(pages: list[_Page], outline: list[tuple[int, str]]) -> int:
    """Tables of contents and back-of-book indexes are not text: a run of entry lines on a
    page (gaps of up to two other lines, e.g. a title that wraps or an index's letter), with
    enough sure entries or with page numbers that only go up, becomes 'listing', with the
    short lines above it (its title) and between runs. Returns how many lines were marked."""
    titles = {t for _, title in outline if (t := _norm(title).lstrip("0123456789"))}
    marked = 0
    for p in pages:
        lines = [ln for ln in p.lines if ln.kind == "body"]
        kinds = [_entry(ln.text, len(pages), titles) for ln in lines]
        runs: list[list[int]] = []
        for i, k in enumerate(kinds):
            if not k:
                continue
            if runs and i - runs[-1][-1] <= 3:
                runs[-1].append(i)
            else:
                runs.append([i])
        kept = []
        for run in runs:
            sure = sum(kinds[i] == 2 for i in run)
            numbers = [int(m.group(1)) for i in run if (m := _REF_NUMBER_RE.search(lines[i].text))
                       and any(ch.isalpha() for ch in lines[i].text)]  # titles, not a table
            rising = (len(numbers) >= 6 and len(set(numbers)) >= 3
                      and all(a <= b for a, b in zip(numbers, numbers[1:])))
            if len(run) >= 4 and (sure >= max(2, len(run) / 3) or rising):
                kept.append(run)
        if not kept:
            continue
        first, last = kept[0][0], kept[-1][-1]
        for i, ln in enumerate(lines):
            inside = first <= i <= last and (any(r[0] <= i <= r[-1] for r in kept) or len(ln.text) <= 60)
            if inside or (i < first and len(ln.text) <= 40):
                ln.kind = "listing"
                marked += 1
    return marked


def _edge_numbers(text: str) -> set[int]:
    """A number at the end of a line (not at its start: '1 Introduction' is a heading)."""
    m = _EDGE_NUMBER_RE.search(text)
    return {int(m.group(1))} if m else set()


def _body_size(lines: list[_Line]) -> float:
    count: Counter = Counter()
    for ln in lines:
        count[ln.size] += len(ln.text)
    return count.most_common(1)[0][0] if count else 10.0


def _mark_notes(pages: list[_Page], body: float) -> dict[int, list[tuple[str, str]]]:
    """Footnotes: a run of smaller lines at the foot of a page or of a column (the next line
    is higher up, or there is none), from the first that starts with a marker. Returns per
    page [(mark, text)]."""
    notes: dict[int, list[tuple[str, str]]] = {}
    for n, p in enumerate(pages, 1):
        content = [ln for ln in p.lines if ln.kind == "body"]
        found: list[list[str]] = []
        i = 0
        while i < len(content):
            if content[i].size >= 0.92 * body:
                i += 1
                continue
            j = i
            while j < len(content) and content[j].size < 0.92 * body:
                j += 1
            run = content[i:j]
            at_foot = j == len(content) or content[j].y > run[-1].y
            start = next((k for k, ln in enumerate(run) if _NOTE_START_RE.match(ln.text)), None)
            if at_foot and start is not None:
                for ln in run[start:]:
                    m = _NOTE_START_RE.match(ln.text)
                    if m:
                        found.append([m.group(1), m.group(2)])
                    else:
                        found[-1][1] = _join(found[-1][1], ln.text)
                    ln.kind = "note"
            i = j
        if found:
            notes[n] = [(mark, text) for mark, text in found]
    return notes


def _outline(pdf) -> list[tuple[int, str]]:
    """(page, title) of the bookmarks that point at a page."""
    out = []
    try:
        for mark in pdf.get_toc(max_depth=6):
            dest = mark.get_dest()
            page = dest.get_index() if dest is not None else None
            title = " ".join((mark.get_title() or "").split())
            if page is not None and title:
                out.append((page + 1, title))
    except Exception:  # a broken outline is no reason to lose the text
        return []
    return out


def _norm(text: str) -> str:
    return re.sub(r"\W+", "", text.casefold())


def _mark_headings(pages: list[_Page], outline: list[tuple[int, str]], body: float) -> None:
    if outline:
        for page, title in outline:
            if not 1 <= page <= len(pages):
                continue
            want = _norm(title)
            for ln in pages[page - 1].lines:
                have = _norm(ln.text)
                if ln.kind == "body" and want and have.endswith(want) and len(have) <= len(want) + 8:
                    ln.kind = "heading"
                    break
        return
    for p in pages:
        for ln in p.lines:
            short = len(ln.text) <= 120 and len(ln.text.split()) <= 16
            if (ln.kind == "body" and short and any(ch.isalpha() for ch in ln.text)
                    and ln.text[-1] not in ".,;" and (ln.size >= 1.15 * body or (ln.bold and ln.size >= 0.95 * body))):
                ln.kind = "heading"


def _join(a: str, b: str) -> str:
    """Two lines of one paragraph: a hyphen at the end of a word before a lower-case letter is
    a line-end hyphen and goes."""
    if len(a) >= 2 and a[-1] in HYPHENS and a[-2].isalpha() and b[:1].islower():
        return a[:-1] + b
    if a and a[-1] in HYPHENS:
        a = a[:-1] + "-"
    return a + " " + b if a else b


def _compose(pages: list[_Page], outline: list[tuple[int, str]]
             ) -> tuple[str, list[int], list[tuple[int, int, int, int, int, int, int]]]:
    """The document text (blocks), where each page starts in it, and where each of its lines
    is on its page: (start, end, page, left, bottom, right, top) in PDF points."""
    all_lines = [ln for p in pages for ln in p.lines]
    _mark_furniture(pages)
    _mark_listings(pages, outline)
    body_size = _body_size([ln for ln in all_lines if ln.kind == "body"])
    notes = _mark_notes(pages, body_size)
    _mark_headings(pages, outline, body_size)
    content = [ln for ln in all_lines if ln.kind in ("body", "heading")]
    title = _layout_title(content, body_size)
    if title and content[0].text == title:
        content[0].kind = "heading"  # the chunker takes a first heading as the title

    gaps = Counter(round(a.y - b.y) for a, b in zip(content, content[1:])
                   if a.page == b.page and a.kind == b.kind == "body" and 0 < a.y - b.y < 3 * body_size)
    spacing = gaps.most_common(1)[0][0] if gaps else 1.2 * body_size
    if _mark_lone_furniture(pages, spacing, body_size):
        content = [ln for ln in content if ln.kind in ("body", "heading")]
    margins: dict[int, list[int]] = {}  # per page: the left edges of its columns
    widths = {}
    for p in pages:
        xs = Counter(round(ln.x0) for ln in p.lines if ln.kind == "body")
        if xs:
            top = xs.most_common(1)[0][1]
            margins[p.lines[0].page] = sorted(x for x, n in xs.items() if n >= max(3, top / 4))
        ws = [ln.x1 - ln.x0 for ln in p.lines if ln.kind == "body"]
        if ws:
            widths[p.lines[0].page] = sorted(ws)[int(len(ws) * 0.8)]

    out: list[str] = []  # finished blocks
    cur: list[str] = []  # the block being built, as one string in cur[0]
    length = 0  # characters of finished blocks, with their separators
    starts: list[int] = []
    boxes: list[tuple[int, int, int, int, int, int, int]] = []

    def place(at: int, ln: _Line) -> None:
        boxes.append((at, at + len(ln.text), ln.page, math.floor(ln.x0), math.floor(ln.y),
                      math.ceil(ln.x1), math.ceil(max(ln.top, ln.y + ln.size * 0.7))))

    prev: _Line | None = None
    for ln in content:
        if (prev is not None and ln.kind == prev.kind == "heading" and ln.page == prev.page
                and ln.size == prev.size and 0 < prev.y - ln.y <= 1.5 * spacing):
            cur[0] += " " + ln.text  # a heading set on two lines
            place(length + len(cur[0]) - len(ln.text), ln)
            prev = ln
            continue
        if prev is None or ln.kind == "heading" or prev.kind == "heading" or _breaks(
                prev, ln, spacing, margins, widths):
            if cur:
                out.append(cur.pop())
                length += len(out[-1]) + 2
        if ln.kind == "heading":
            cur.append("# " + ln.text)
            at = length + 2
        elif cur:
            cur[0] = _join(cur[0], ln.text)
            at = length + len(cur[0]) - len(ln.text)
        else:
            cur.append(ln.text)
            at = length
        while len(starts) < ln.page:  # this page (and any empty ones before it) start here
            starts.append(at if ln.kind != "heading" else at - 2)
        place(at, ln)
        prev = ln
    if cur:
        out.append(cur.pop())
        length += len(out[-1]) + 2
    while len(starts) < len(pages):
        starts.append(length)
    note_lines = [note_block(mark, text) for n in sorted(notes) for mark, text in notes[n]]
    body = "\n\n".join(out + note_lines) + "\n"
    return body, starts, boxes


def _breaks(a: _Line, b: _Line, spacing: float, margins: dict, widths: dict) -> bool:
    """Does line b start a new paragraph after line a?"""
    size = b.size
    if a.page == b.page and a.y - b.y > 1.4 * spacing:
        return True
    # a first-line indent: right of its column's left edge (a jump to the next column is none)
    margin = max((m for m in margins.get(b.page, ()) if m <= b.x0 + 1), default=b.x0)
    if 0.8 * size < b.x0 - margin < 10 * size and abs(b.x0 - a.x0) > 0.8 * size:
        return True
    width = widths.get(a.page)
    short = width is not None and (a.x1 - a.x0) < 0.75 * width
    return short and a.text[-1:] in _SENTENCE_END


def _layout_title(content: list[_Line], body: float) -> str:
    first_page = [ln for ln in content if ln.page == content[0].page] if content else []
    big = [ln for ln in first_page[:8] if ln.size >= 1.15 * body]
    if not big:
        return ""
    top = max(ln.size for ln in big)
    return next(ln.text for ln in big if ln.size == top)


def _metadata(pdf) -> dict[str, str]:
    try:
        info = pdf.get_metadata_dict(skip_empty=True)
    except Exception:
        return {}
    out = {}
    title = " ".join(str(info.get("Title", "")).split())
    if title and not _FILE_TITLE_RE.search(title):
        out["title"] = title
    author = " ".join(str(info.get("Author", "")).split())
    if author:
        out["author"] = author
    m = re.match(r"D:(\d{4})(\d{2})?(\d{2})?", str(info.get("CreationDate", "")))
    if m:
        out["date"] = "-".join(x for x in m.groups() if x)
    return out
