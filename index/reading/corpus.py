"""Documents -> chunks: paragraphs with their section, paragraph number and cited endnotes."""
from __future__ import annotations

import bisect
import hashlib
import math
import re
from dataclasses import dataclass, field
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path

import numpy as np

from ..errors import DataError
from ..sentences import sentence_arrays, sentence_spans
from .accounting import _NOT_ASCII_LETTERS, letters, non_ascii

TEXT_SUFFIXES = (".txt", ".md")
CONVERTED_SUFFIXES = (".pdf", ".docx", ".html", ".htm")  # read by index/reading/
DOC_SUFFIXES = TEXT_SUFFIXES + CONVERTED_SUFFIXES
FRONT_MATTER_KEYS = ("title", "author", "source", "date", "url")
# 9: a page that says no encoding read as UTF-8 when it is; 8: heads up to 160 characters;
# 7: a blank line ends a sentence; 6: a section's short last paragraph joins the one before;
# 5: an entry's head goes with what it heads
CHUNKER_VERSION = 9
MAX_CHARS = 1200  # a passage stays readable in a chat message
MIN_CHARS = 200  # shorter paragraphs are merged with their neighbour in the same section
MAX_HEADING_CHARS = 120

_NOTE_DEF_RE = re.compile(r"^\[\^?([ivxlcdm]+|\d{1,3})\]:?\s+(\S.*)", re.S)
_NOTE_SPLIT_RE = re.compile(r"\n(?=\[\^?(?:[ivxlcdm]+|\d{1,3})\]:?\s)")
_NOTE_REF_RE = re.compile(r"\[\^?([ivxlcdm]+|\d{1,3})\]")
_MD_HEADING_RE = re.compile(r"^#{1,6}\s+(.+?)\s*#*\s*$")
_LIST_ITEM_RE = re.compile(r"^(?:\d+[.)]|[-*•])\s")
_BLANK_LINES_RE = re.compile(r"\n[ \t\r\f\v]*\n\s*")
# "Release: 1.12" lines: a field list (Sphinx's, a record's header) is a passage of its own,
# never glued to the paragraph after it
_FIELD_LINE_RE = re.compile(r"^[^\W\d_][\w .'/-]{0,29}: \S.{0,59}(?<![.!?])$")


@dataclass(frozen=True)
class Note:
    mark: str
    text: str
    see: str | None = None  # for an "Ibid." note: the text of the note it refers to

    def to_dict(self) -> dict:
        d = {"mark": self.mark, "text": self.text}
        if self.see:
            d["see"] = self.see
        return d


@dataclass(frozen=True)
class Chunk:
    id: str
    doc: str
    title: str
    section: str
    paragraph: int  # 1-based number of the document's text paragraph where the chunk starts
    paragraph_end: int
    part: int  # 0 for a whole paragraph, else 1.. for the pieces of a split one
    seq: int  # position of the chunk in its document
    start: int  # offsets of the chunk in the document body
    end: int
    text: str
    notes: tuple[Note, ...] = ()
    page: int = 0  # 1-based page where the chunk starts (PDF), 0 for documents without pages
    page_end: int = 0  # page where it ends
    # PDF: where its lines are drawn, (page, left, bottom, right, top) in PDF points, to show
    # the passage on its page
    boxes: tuple[tuple[int, int, int, int, int], ...] = ()

    @property
    def pages(self) -> str:
        """'p. 12', 'pp. 12–13', or '' for a document without pages."""
        if not self.page:
            return ""
        return f"p. {self.page}" if self.page_end <= self.page else f"pp. {self.page}–{self.page_end}"

    @property
    def citation(self) -> str:
        where = f"¶{self.paragraph}" if self.paragraph == self.paragraph_end else (
            f"¶{self.paragraph}–{self.paragraph_end}"
        )
        if self.part:
            where += f" (part {self.part})"
        if self.page:
            where = f"{self.pages}, {where}"
        parts = [self.title]
        if self.section:
            parts.append(self.section)
        return " — ".join(parts) + ", " + where

    def to_dict(self) -> dict:
        return {
            "id": self.id, "doc": self.doc, "title": self.title, "section": self.section,
            "paragraph": self.paragraph, "paragraph_end": self.paragraph_end, "part": self.part,
            "seq": self.seq, "start": self.start, "end": self.end, "text": self.text,
            "notes": [n.to_dict() for n in self.notes], "page": self.page,
            "page_end": self.page_end, **({"boxes": [list(b) for b in self.boxes]} if self.boxes else {}),
        }

    @classmethod
    def from_dict(cls, d: dict) -> "Chunk":
        notes = d.get("notes")
        boxes = d.get("boxes")
        # the fields set at once, as __init__ would set them: a frozen dataclass's __init__
        # sets each through object.__setattr__, half the cost of reading a record from the
        # index, which every answer does for each of its candidates
        c = object.__new__(cls)
        c.__dict__.update(
            id=d["id"], doc=d["doc"], title=d["title"], section=d["section"],
            paragraph=d["paragraph"], paragraph_end=d["paragraph_end"], part=d["part"],
            seq=d["seq"], start=d["start"], end=d["end"], text=d["text"],
            notes=tuple(Note(n["mark"], n["text"], n.get("see")) for n in notes) if notes else (),
            page=d.get("page", 0), page_end=d.get("page_end", 0),
            boxes=tuple(map(tuple, boxes)) if boxes else ())
        return c


@dataclass
class Document:
    id: str
    path: Path
    title: str
    source: str = ""
    date: str = ""
    url: str = ""
    author: str = ""
    body: str = ""  # the text chunk offsets refer to: the file's, or the text extracted from it
    body_line: int = 1  # line of the file where the body starts
    sha256: str = ""
    chunks: list[Chunk] = field(default_factory=list)
    notes: dict[str, Note] = field(default_factory=dict)
    skipped_blocks: int = 0  # blocks with no words (e.g. tables that lost their layout)
    page_starts: list[int] = field(default_factory=list)  # body offset where each page begins
    problem: str = ""  # why the file was skipped or read only in part, for a one-line notice
    reading: dict = field(default_factory=dict)  # share of the visible text kept (account())
    # PDF: (start, end, page, left, bottom, right, top) of each body line, by start
    line_boxes: list[tuple[int, int, int, int, int, int, int]] = field(default_factory=list)
    # a large body's UTF-8 bytes, made by the chunker for its counts, kept for account() when
    # asked (load_document's keep_utf8)
    body_utf8: bytes | None = field(default=None, repr=False)

    def meta(self) -> dict:
        meta = {"id": self.id, "path": self.path.name, "title": self.title, "source": self.source,
                "date": self.date, "url": self.url, "sha256": self.sha256,
                "chunks": len(self.chunks)}
        if self.author:
            meta["author"] = self.author
        if self.page_starts:
            meta["pages"] = len(self.page_starts)
        if self.problem:
            meta["problem"] = self.problem
        meta.update(self.reading)
        return meta

    def page_at(self, offset: int) -> int:
        """The 1-based page holding a body offset (0 for a document without pages)."""
        return bisect.bisect_right(self.page_starts, offset) if self.page_starts else 0

    def boxes_of(self, start: int, end: int) -> tuple[tuple[int, int, int, int, int], ...]:
        """(page, left, bottom, right, top) of the lines drawn for body[start:end]."""
        if not self.line_boxes:
            return ()
        if not hasattr(self, "_box_starts"):
            self._box_starts = [b[0] for b in self.line_boxes]
        i = max(0, bisect.bisect_right(self._box_starts, start) - 1)
        out = []
        for b in self.line_boxes[i:]:
            if b[0] >= end:
                break
            if b[1] > start:
                out.append(b[2:])
        return tuple(out)


# -- reading -------------------------------------------------------------------------------


def doc_paths(data_dir: Path) -> list[Path]:
    """The document files of a data directory, sorted; errors say how to fix the layout."""
    if not data_dir.exists():
        raise DataError(f"{data_dir}: data directory not found; pass --data DIR (a folder with docs/)")
    docs = data_dir / "docs"
    if not docs.is_dir():
        raise DataError(f"{data_dir}: no docs/ folder; put your documents ({_KINDS}) in {docs}")
    paths = sorted(
        (p for p in docs.rglob("*")
         if p.suffix.lower() in DOC_SUFFIXES and p.is_file() and not p.name.startswith(".")),
        key=lambda p: p.parts,  # Path order, without comparing Path objects
    )
    if not paths:
        raise DataError(f"{docs}: no documents ({_KINDS}); add at least one")
    seen: dict[str, Path] = {}
    for p in paths:  # report.pdf and report.txt would both be the document 'report'
        doc_id = doc_id_for(p, docs)
        if doc_id in seen:
            raise DataError(f"{p}: same name as {seen[doc_id].name} (both are the document "
                            f"{doc_id!r}); rename one of them")
        seen[doc_id] = p
    return paths


_KINDS = ", ".join(DOC_SUFFIXES[:-1])


def doc_id_for(path: Path, docs_dir: Path) -> str:
    rel = path.relative_to(docs_dir).with_suffix("")
    return "/".join(rel.parts)


def read_text(path: Path) -> tuple[str, bytes]:
    try:
        raw = path.read_bytes()
    except OSError as e:
        raise DataError(f"{path}: cannot read ({e.strerror})") from None
    if b"\x00" in raw:
        raise DataError(f"{path}: binary file (contains NUL bytes); remove it from docs/")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise DataError(
            f"{path}: not UTF-8 text (byte {raw[e.start]:#04x} at offset {e.start}); "
            "convert it to UTF-8"
        ) from None
    return text.replace("\r\n", "\n").replace("\r", "\n"), raw


def parse_front_matter(path: Path, text: str) -> tuple[dict, str, int]:
    """Split optional YAML front matter from the body: (meta, body, body's first line)."""
    if not text.startswith("---\n"):
        return {}, text, 1
    end = text.find("\n---", 3)
    while end != -1 and text[end + 4 : end + 5] not in ("\n", ""):
        end = text.find("\n---", end + 4)
    if end == -1:
        raise DataError(f"{path}:1: front matter starts with '---' but has no closing '---' line")
    import yaml

    block = text[4 : end + 1]
    try:
        meta = yaml.safe_load(block)
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        line = mark.line + 2 if mark else 1
        problem = getattr(e, "problem", None) or str(e).splitlines()[0]
        raise DataError(f"{path}:{line}: malformed front matter ({problem})") from None
    if meta is None:
        meta = {}
    if not isinstance(meta, dict):
        raise DataError(f"{path}:2: front matter must be 'key: value' lines ({', '.join(FRONT_MATTER_KEYS)})")
    for key, value in meta.items():
        if key not in FRONT_MATTER_KEYS:
            line = next((i + 2 for i, ln in enumerate(block.splitlines())
                         if re.match(rf"['\"]?{re.escape(str(key))}['\"]?\s*:", ln)), 2)
            raise DataError(
                f"{path}:{line}: unknown front matter key {key!r}; allowed: {', '.join(FRONT_MATTER_KEYS)}"
            )
        if isinstance(value, (dict, list)):
            raise DataError(f"{path}:2: front matter {key!r} must be a single value")
    body_start = end + 5 if text[end + 4 : end + 5] == "\n" else end + 4
    body_line = text.count("\n", 0, body_start) + 1
    return {k: "" if v is None else str(v) for k, v in meta.items()}, text[body_start:], body_line


def load_document(path: Path, docs_dir: Path, keep_utf8: bool = False) -> Document:
    """Read and chunk one document. A PDF, DOCX or HTML file that cannot be read (scanned,
    encrypted, damaged) gives a Document without chunks whose `problem` says why. keep_utf8:
    leave a large body's UTF-8 bytes in body_utf8 for account() (which lets go of them)."""
    if path.suffix.lower() in CONVERTED_SUFFIXES:
        return _load_converted(path, docs_dir)
    text, raw = read_text(path)
    meta, body, body_line = parse_front_matter(path, text)
    doc = Document(
        id=doc_id_for(path, docs_dir), path=path, title=meta.get("title", ""),
        source=meta.get("source", ""), date=meta.get("date", ""), url=meta.get("url", ""),
        author=meta.get("author", ""),
        body=body, body_line=body_line, sha256=hashlib.sha256(raw).hexdigest(),
    )
    chunk_document(doc)
    if not keep_utf8:
        doc.body_utf8 = None
    return doc


def _load_converted(path: Path, docs_dir: Path) -> Document:
    from . import Unreadable, extract

    try:
        raw = path.read_bytes()
    except OSError as e:
        raise DataError(f"{path}: cannot read ({e.strerror})") from None
    doc = Document(id=doc_id_for(path, docs_dir), path=path, title="",
                   sha256=hashlib.sha256(raw).hexdigest())
    try:
        ex = extract(path, raw)
    except Unreadable as e:
        doc.problem = str(e)
    except RecursionError:
        doc.problem = "nested too deeply to read — skipped"
    except Exception as e:  # a parser's surprise on a strange file costs that file, not the build
        doc.problem = f"could not be read ({type(e).__name__}: {str(e)[:80]}) — skipped"
    if doc.problem:
        doc.title = _title_from_name(path)
        return doc
    doc.title, doc.author = ex.meta.get("title", ""), ex.meta.get("author", "")
    doc.source, doc.date, doc.url = (ex.meta.get(k, "") for k in ("source", "date", "url"))
    doc.body, doc.page_starts, doc.problem = ex.body, ex.page_starts, ex.problem
    doc.line_boxes = ex.line_boxes
    chunk_document(doc)
    doc.body_utf8 = None  # account() measures a converted document from its file
    if not doc.chunks and not doc.problem:
        doc.problem = "no text found — skipped"
    return doc


def account(doc: Document) -> None:
    """Measure how much of the document's visible text its passages kept (doc.reading)."""
    from .accounting import measure

    kept = [doc.title]
    for c in doc.chunks:
        kept += [c.section, c.text, *(n.text for n in c.notes)]
    body = doc.body if doc.path.suffix.lower() in TEXT_SUFFIXES else None
    doc.reading = measure(doc.path, kept, body=body,
                          body_utf8=doc.body_utf8 if body is not None else None).to_meta()
    doc.body_utf8 = None


def problem_notices(docs: list[dict]) -> list[str]:
    """One line per document (manifest entries) that was skipped or kept less than 80 % of
    its visible text: its name, the share kept and the likely cause."""
    from .accounting import partly_read

    out = []
    for d in docs:
        kept = d.get("kept")
        low = partly_read(d)
        if not (d.get("problem") or low):
            continue
        line = f"{d['path']}: "
        if low:
            line += f"kept {round(kept * 100)} % of its text"
        if d.get("problem"):
            line += ("; " if low else "") + d["problem"]
        elif low:
            line += " — " + likely_cause(d)
        out.append(line)
    return out


def likely_cause(d: dict) -> str:
    """Why a document kept little of its text, from what the measure saw."""
    pages = d.get("lost_pages") or []
    if pages:
        shown = ", ".join(map(str, pages[:8])) + (", …" if len(pages) > 8 else "")
        return f"pages {shown} mostly not read (scanned, or text the reader took for layout)"
    if d.get("lost"):
        return f"text such as “{d['lost']}” is not in any passage"
    return "text in a form the reader does not take"


def reading_summary(docs: list[dict]) -> dict:
    """Counts for the index summary: read whole, read in part, skipped (no passages)."""
    from .accounting import partly_read

    skipped = sum(1 for d in docs if not d.get("chunks"))
    partly = sum(1 for d in docs if d.get("chunks") and (partly_read(d) or d.get("problem")))
    return {"documents": len(docs), "indexed": len(docs) - skipped, "partly_read": partly,
            "skipped": skipped}


def _title_from_name(path: Path) -> str:
    return path.stem.replace("_", " ").replace("-", " ").strip().capitalize()


# -- chunking ------------------------------------------------------------------------------


@dataclass
class _Block:
    start: int
    end: int
    text: str
    kind: str = "para"  # para | heading | note | junk
    number: int = 0  # paragraph number for paras
    ascii_letters: int = -1  # ASCII letters in text, if counted already


COMPILED_CHARS = 1 << 20  # bodies this long are counted by count_kernels (numba)


_SUBTITLE_RE = re.compile(r":\s| — | – ")


def short_title(title: str) -> str:
    """A document's title up to its subtitle ('API Reference' of 'API Reference — watchdog
    2.2.1 documentation'): what a citation names it by."""
    return _SUBTITLE_RE.split(title, maxsplit=1)[0].strip() or title


def cited_titles(docs: Sequence[dict]) -> dict[str, str]:
    """Document id -> the name a citation gives it, one no other document of the collection
    shares: its short title, else its whole title (two projects' 'Installation' pages), else
    the whole title with its file ('… (watchdog/installation)'). docs: the index's documents
    (id, title)."""
    full = {d["id"]: d.get("title") or d["id"] for d in docs}
    short = {i: short_title(t) for i, t in full.items()}
    n_short, n_full = Counter(short.values()), Counter(full.values())
    return {i: short[i] if n_short[short[i]] == 1 else full[i] if n_full[full[i]] == 1
            else f"{full[i]} ({i})" for i in full}


HEAD_MAX = 160  # an entry's head: a term, an option with its default, a signature


def is_head_line(text: str) -> bool:
    """Whether a paragraph is an entry's head: one short line that ends as no sentence or
    clause does (a definition list's term: '-k --keep', '--num-callers=<number> [default:
    12]', 'class watchdog.observers.Observer[source]'). Read by the chunker, and by the
    answer line and the passages an option's question is answered from."""
    t = text.strip()
    return 0 < len(t) <= HEAD_MAX and "\n" not in t and t[-1] not in ".!?:;,…'’\"”"


_PARAGRAPH_RE = re.compile(r"[^\n](?:[^\n]|\n(?![ \t\r\f\v]*\n))*")


def paragraphs(text: str) -> Iterator[re.Match]:
    """The paragraphs of a text (runs between blank lines), with where each stands."""
    return _PARAGRAPH_RE.finditer(text)


def is_field_line(text: str) -> bool:
    """Whether a line is a field of a record ('Bases: object', 'Release: 1.12')."""
    return _FIELD_LINE_RE.match(text.strip()) is not None


def _is_head(b: _Block) -> bool:
    return b.kind == "para" and is_head_line(b.text)


def _blocks(body: str, utf8: bytes | None = None) -> list[_Block]:
    """The body's blocks (text between blank lines); utf8: the body's UTF-8 bytes, to count
    the ASCII letters of every block in one compiled pass."""
    out: list[_Block] = []
    pos = 0
    for m in list(_BLANK_LINES_RE.finditer(body)) + [None]:
        end = m.start() if m else len(body)
        chunk = body[pos:end]
        text = chunk.strip()
        if text:  # what strip() left starts at the first character that is not a space
            lead = chunk.index(text[0])
            out.append(_Block(pos + lead, pos + lead + len(text), text))
        pos = m.end() if m else len(body)
    if utf8 is not None and out:
        from .count_kernels import ascii_letters_before

        at = np.array([x for b in out for x in (b.start, b.end)], dtype=np.int64)
        before = ascii_letters_before(utf8, at)
        for b, n in zip(out, (before[1::2] - before[::2]).tolist()):
            b.ascii_letters = n
    return out


# bytes that are not ASCII whitespace, by str.isspace
_NOT_ASCII_SPACES = bytes(c for c in range(256) if not (c < 128 and chr(c).isspace()))


def _visible(text: str) -> int:
    utf8 = text.encode("utf-8", "surrogatepass")
    n = len(text) - len(utf8.translate(None, _NOT_ASCII_SPACES))
    if len(utf8) != len(text):  # only the non-ASCII characters one by one
        n -= sum(map(str.isspace, non_ascii(utf8)))
    return n


def _is_junk(text: str, ascii_letters: int = -1) -> bool:
    """No words: a table whose layout was lost, a row of dashes, page numbers (ascii_letters:
    the text's ASCII letters, if counted already)."""
    if ascii_letters < 0:
        utf8 = text.encode("utf-8", "surrogatepass")
        ascii_letters = len(utf8.translate(None, _NOT_ASCII_LETTERS))
    if ascii_letters >= max(1, 0.2 * len(text)):  # enough whatever else it holds
        return False
    return letters(text) < max(1, 0.2 * _visible(text))


_UNDERLINED_RE = re.compile(r"[^\n]+\n([=~^*#-])\1{2,}[ \t]*")


def _is_txt_heading(text: str) -> bool:
    return (
        "\n" not in text
        and len(text) <= MAX_HEADING_CHARS
        and _NOTE_REF_RE.sub("", text).rstrip()[-1:] not in ".,;:!…"  # "…1950.[i]" is text
        and len(text.split()) <= 16
        and letters(text) > 0
        and (text[0].isalnum() or text[0] in "\"'‘“(*")
        and not _LIST_ITEM_RE.match(text)
        and not _NOTE_DEF_RE.match(text)
    )


_FAQ_QUESTION_RE = re.compile(r"(?:Q|Question)\s*[:.)]\s")
_FAQ_ANSWER_RE = re.compile(r"(?:A|Answer)\s*[:.)]\s")
MAX_QUESTION_CHARS = 400


def _is_faq_question(text: str, blocks: list[_Block], i: int) -> bool:
    """Whether a plain-text block is an FAQ's question ('Q: I need to use a script that runs
    "xz -9". On a system with 256 MiB …'): it opens with Q: and the next block with A:. Its
    answer is read under it, as under a heading; a question is no answer."""
    return (_FAQ_QUESTION_RE.match(text) is not None and len(text) <= MAX_QUESTION_CHARS
            and i + 1 < len(blocks) and _FAQ_ANSWER_RE.match(blocks[i + 1].text) is not None)


def _classify(doc: Document, blocks: list[_Block]) -> None:
    markdown = doc.path.suffix.lower() != ".txt"  # converted documents are written as Markdown
    for i, b in enumerate(blocks):
        note = _NOTE_DEF_RE.match(b.text)
        if note and (markdown or not b.text.startswith("[^")):
            b.kind = "note"
            for part in _NOTE_SPLIT_RE.split(b.text):  # notes may sit on consecutive lines
                m = _NOTE_DEF_RE.match(part)
                if m:
                    doc.notes[m.group(1)] = Note(m.group(1), " ".join(m.group(2).split()))
        elif _is_junk(b.text, b.ascii_letters):
            b.kind = "junk"
        elif ": " in b.text[:32] and all(_FIELD_LINE_RE.match(line) for line in b.text.split("\n")):
            b.kind = "fields"
        elif markdown:
            m = _MD_HEADING_RE.match(b.text.split("\n", 1)[0])
            if m:
                b.kind = "heading"
                rest = b.text.split("\n", 1)[1].strip() if "\n" in b.text else ""
                if rest:  # a heading line directly followed by text in the same block
                    off = b.text.index(rest)
                    b.text, tail = m.group(1), _Block(b.start + off, b.end, rest)
                    blocks.insert(blocks.index(b) + 1, tail)
                else:
                    b.text = m.group(1)
        elif ("\n" in b.text and _UNDERLINED_RE.fullmatch(b.text)
              and _is_txt_heading(b.text.split("\n", 1)[0])):
            b.kind = "heading"  # a title underlined with '====' or '----' (plain-text files, rst)
            b.text = b.text.split("\n", 1)[0].strip()
        elif _is_txt_heading(b.text):
            b.kind = "heading"
        elif _is_faq_question(b.text, blocks, i):
            b.kind = "heading"  # the question an FAQ's answer is under, over several lines
            b.text = re.sub(r"\s*\n\s*", " ", b.text)
    # A heading right before a table with no words is that table's caption, not a section.
    for prev, cur in zip(blocks, blocks[1:]):
        if prev.kind == "heading" and cur.kind == "junk":
            prev.kind = "caption"
    # "Ibid." notes point at the nearest earlier note that is not itself "Ibid."
    last = None
    for mark, n in doc.notes.items():
        if n.text.lower().startswith("ibid") and last is not None:
            doc.notes[mark] = Note(n.mark, n.text, last.text)
        elif not n.text.lower().startswith("ibid"):
            last = n


def _split_long(text: str, limit: int, sentences: list[tuple[int, int]] | None = None
                ) -> list[tuple[int, int]]:
    """Split text at sentence boundaries (its sentence_spans, found here unless given) into
    balanced pieces of at most ~limit characters."""
    if len(text) <= limit:
        return [(0, len(text))]
    spans = []
    for s, e in sentence_spans(text) if sentences is None else sentences:
        while e - s > limit:  # a single overlong sentence: cut at the last space before the limit
            cut = text.rfind(" ", s, s + limit)
            cut = cut if cut > s else s + limit
            spans.append((s, cut))
            s = cut + 1
        spans.append((s, e))
    pieces = math.ceil(len(text) / limit)
    target = len(text) / pieces
    out: list[tuple[int, int]] = []
    start = spans[0][0]
    for i, (s, e) in enumerate(spans):
        last = i == len(spans) - 1
        nxt_end = spans[i + 1][1] if not last else e
        if last or (e - start >= target) or (nxt_end - start > limit):
            out.append((start, e))
            if not last:
                start = spans[i + 1][0]
    return out


def chunk_document(doc: Document) -> None:
    """Fill doc.chunks from doc.body."""
    if len(doc.body) >= COMPILED_CHARS:
        doc.body_utf8 = doc.body.encode("utf-8", "surrogatepass")
    blocks = _blocks(doc.body, doc.body_utf8)
    _classify(doc, blocks)
    if not doc.title:
        first = blocks[0] if blocks else None
        if first is not None and first.kind == "heading":
            doc.title = first.text
            first.kind = "title"
        else:
            doc.title = _title_from_name(doc.path)

    # Units: runs of paragraphs that may become one chunk, each with its section.
    units: list[tuple[str, list[_Block]]] = []
    section = ""
    number = 0
    pending_caption: list[_Block] = []
    after_table = False
    for b in blocks:
        if b.kind in ("heading",):
            section, after_table, pending_caption = b.text, False, []
            continue
        if b.kind in ("title", "note"):
            continue
        if b.kind == "junk":
            doc.skipped_blocks += 1
            after_table = bool(pending_caption)
            continue
        number += 1
        b.number = number
        if b.kind == "caption":
            pending_caption = [b]
            continue
        if after_table and len(b.text) <= 300:  # the table's source line belongs to its caption
            units.append((section, pending_caption + [b]))
            pending_caption, after_table = [], False
            continue
        if pending_caption:
            units.append((section, pending_caption))
            pending_caption, after_table = [], False
        units.append((section, [b]))
    if pending_caption:
        units.append((section, pending_caption))

    # Merge short paragraphs (and ones ending in ':', and an entry's head) with the next in
    # the same section.
    merged: list[tuple[str, list[_Block]]] = []
    sizes: list[int] = []  # each merged group's sum(len(x.text) + 2 for x in group)
    for sec, group in units:
        size = len(group[0].text) if len(group) == 1 else sum(len(x.text) for x in group)
        if merged:
            psec, pgroup = merged[-1]
            ptext_len = sizes[-1]
            is_table = pgroup[0].kind in ("caption", "fields") or group[0].kind in ("caption", "fields")
            # a head wants what it heads, not the next head (a list of short lines is no
            # entry), its fields too ('class watchdog.Observer[source]', then 'Bases: object')
            head = (psec == sec and pgroup[0].kind not in ("caption", "fields")
                    and _is_head(pgroup[-1]) and not _is_head(group[0]))
            wants_more = ptext_len < MIN_CHARS or pgroup[-1].text.endswith(":") or head
            fits = ptext_len + size <= MAX_CHARS
            if psec == sec and (not is_table or head) and wants_more and fits:
                merged[-1] = (sec, pgroup + group)
                sizes[-1] = ptext_len + size + 2 * len(group)
                continue
            if head and len(pgroup) > 1:
                # an entry's head ('--max-stackframe=<number> [default: 2000000]') goes with
                # what it heads, not at the end of the entry before it
                merged[-1] = (psec, pgroup[:-1])
                sizes[-1] -= len(pgroup[-1].text) + 2
                group = [pgroup[-1], *group]
                size += len(pgroup[-1].text)
        merged.append((sec, group))
        sizes.append(size + 2 * len(group))
    # A short last paragraph of a section (or of the document) joins its predecessor instead:
    # it has no next one in its section to join ('Returns: … Since: 1.6' after a function's
    # entry, the last lines of a chapter).
    k = len(merged) - 1
    while k >= 1:
        (s1, g1), (s2, g2) = merged[k - 1], merged[k]
        last_of_section = k + 1 == len(merged) or merged[k + 1][0] != s2
        total2 = sum(len(x.text) for x in g2)
        if (last_of_section and s1 == s2 and total2 < MIN_CHARS
                and g1[0].kind not in ("caption", "fields") and g2[0].kind not in ("caption", "fields")
                and sum(len(x.text) + 2 for x in g1) + total2 <= MAX_CHARS):
            merged[k - 1 : k + 1] = [(s1, g1 + g2)]
        k -= 1

    texts = [group[0].text if len(group) == 1 else "\n\n".join(b.text for b in group)
             for _, group in merged]
    # the sentences of all the paragraphs to split, found at once
    long = [i for i, (t, (_, group)) in enumerate(zip(texts, merged))
            if len(group) == 1 and len(t) > MAX_CHARS]
    count, starts, ends = sentence_arrays([texts[i] for i in long])
    at = np.zeros(len(long) + 1, dtype=np.int64)
    np.cumsum(count, out=at[1:])
    sentences = {i: list(zip(starts[at[j] : at[j + 1]].tolist(), ends[at[j] : at[j + 1]].tolist()))
                 for j, i in enumerate(long)}
    seen_ids: dict[str, int] = {}
    doc_id, title, notes, chunks = doc.id, doc.title, doc.notes, doc.chunks
    sha1 = hashlib.sha1
    paged, boxed = bool(doc.page_starts), bool(doc.line_boxes)
    new = object.__new__
    for g, ((sec, group), text) in enumerate(zip(merged, texts)):
        pieces = (_split_long(text, MAX_CHARS, sentences[g]) if g in sentences
                  else [(0, len(text))])
        first = group[0]
        for i, (s, e) in enumerate(pieces):
            piece = text[s:e] if s or e != len(text) else text
            start = first.start + s if len(group) == 1 else first.start
            end = first.start + e if len(group) == 1 else group[-1].end
            cid = sha1(f"{doc_id}\x00{piece}".encode()).hexdigest()[:10]
            n = seen_ids.get(cid, 0)
            seen_ids[cid] = n + 1
            marks = (dict.fromkeys(m for m in _NOTE_REF_RE.findall(piece) if m in notes)
                     if notes else ())
            # Chunk's fields set at once: a frozen dataclass's __init__ sets each through
            # object.__setattr__, a good part of the chunker's time per passage
            c = new(Chunk)
            c.__dict__.update(
                id=f"{doc_id}:{cid}-{n + 1}" if n else f"{doc_id}:{cid}", doc=doc_id,
                title=title, section=sec, paragraph=first.number,
                paragraph_end=group[-1].number, part=(i + 1) if len(pieces) > 1 else 0,
                seq=len(chunks), start=start, end=end, text=piece,
                notes=tuple(notes[m] for m in marks),
                page=doc.page_at(start) if paged else 0,
                page_end=doc.page_at(max(start, end - 1)) if paged else 0,
                boxes=doc.boxes_of(start, end) if boxed else ())
            chunks.append(c)


def load_documents(data_dir: Path) -> list[Document]:
    docs_dir = data_dir / "docs"
    docs = [load_document(p, docs_dir) for p in doc_paths(data_dir)]
    return docs


class DocumentTexts(Mapping):
    """Document id -> body text (front matter removed; for PDF, DOCX and HTML the extracted
    text chunk offsets refer to), read on first use."""

    def __init__(self, data_dir: Path) -> None:
        docs_dir = self._docs_dir = data_dir / "docs"
        self._paths = {doc_id_for(p, docs_dir): p for p in doc_paths(data_dir)}
        self._texts: dict[str, str] = {}

    def __getitem__(self, doc_id: str) -> str:
        if doc_id not in self._texts:
            path = self._paths[doc_id]
            if path.suffix.lower() in CONVERTED_SUFFIXES:
                self._texts[doc_id] = load_document(path, self._docs_dir).body
            else:
                self._texts[doc_id] = parse_front_matter(path, read_text(path)[0])[1]
        return self._texts[doc_id]

    def chunks(self, doc_id: str) -> list["Chunk"]:
        """The passages of one document, as the index build cuts them."""
        return load_document(self._paths[doc_id], self._docs_dir).chunks

    def __iter__(self):
        return iter(self._paths)

    def __len__(self) -> int:
        return len(self._paths)
