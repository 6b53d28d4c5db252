"""DOCX -> text: headings from paragraph styles, footnotes and endnotes as notes, tables as
rows of text.

python-docx (MIT) reads the package, the styles and the body in order; footnotes and endnotes
live in parts of their own, which it reaches through the document part's relationships."""
from __future__ import annotations

import io
import re
import zipfile
import zlib

from . import Extracted, Unreadable, note_block, roman

_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_HEADING_RE = re.compile(r"^(?:heading|überschrift|titre|titolo|encabezado)\s*(\d)$", re.I)
_META_STYLES = {"title": "title", "subtitle": "", "author": "author", "date": "date"}


def read(raw: bytes) -> Extracted:
    import docx
    from docx.opc.exceptions import PackageNotFoundError
    from lxml import etree

    try:
        document = docx.Document(io.BytesIO(raw))
        notes = {kind: _notes(document, kind, etree) for kind in ("footnotes", "endnotes")}
        blocks = list(document.iter_inner_content())
    except (PackageNotFoundError, zipfile.BadZipFile, KeyError, ValueError, OSError,
            etree.XMLSyntaxError, zlib.error, NotImplementedError, EOFError) as e:
        raise Unreadable(f"damaged or not a Word document ({_reason(e)}) — skipped") from None
    meta: dict[str, str] = {}
    core = document.core_properties
    if (core.title or "").strip():
        meta["title"] = " ".join(core.title.split())
    if (core.author or "").strip():
        meta["author"] = " ".join(core.author.split())
    marks: dict[tuple[str, str], str] = {}  # (kind, note id) -> mark shown in the text
    out: list[str] = []
    for block in blocks:
        if hasattr(block, "rows"):
            out.extend(_table(block, notes, marks))
            continue
        text = _text(block._p, notes, marks)
        if not text:
            continue
        style = (block.style.name if block.style is not None else "") or ""
        level = _heading_level(block, style)
        role = _META_STYLES.get(style.lower())
        if role is not None:
            if role and role not in meta:
                meta[role] = text
            elif role == "title" and text != meta["title"]:
                out.append("# " + text)
            continue
        out.append(("# " + text) if level else text)
    if "date" in meta:  # (not core.created: that is when the file was saved)
        meta["date"] = _iso_date(meta["date"])
    defs = [note_block(mark, notes[kind][nid]) for (kind, nid), mark in marks.items()
            if nid in notes[kind]]
    return Extracted("\n\n".join(out + defs) + "\n", meta)


def _reason(e: Exception) -> str:
    if isinstance(e, zipfile.BadZipFile):
        return "not a zip package"
    return (str(e).splitlines() or [type(e).__name__])[0][:80]


def _notes(document, kind: str, etree) -> dict[str, str]:
    """Note id -> its text, from the footnotes or endnotes part."""
    out: dict[str, str] = {}
    for rel in document.part.rels.values():
        if rel.is_external or not rel.reltype.endswith("/" + kind):
            continue
        root = etree.fromstring(rel.target_part.blob)
        tag = _W + kind[:-1]  # w:footnote / w:endnote
        for note in root.iter(tag):
            if note.get(_W + "type") in ("separator", "continuationSeparator", "continuationNotice"):
                continue
            text = " ".join(_plain(p) for p in note.iter(_W + "p"))
            text = " ".join(text.split())
            if text:
                out[note.get(_W + "id")] = text
    return out


def _plain(p) -> str:
    parts = []
    for el in p.iter(_W + "t", _W + "tab", _W + "br"):
        parts.append(el.text or "" if el.tag == _W + "t" else " ")
    return "".join(parts)


def _text(p, notes: dict, marks: dict) -> str:
    """A paragraph's text, with '[n]' where it cites a footnote and '[i]' an endnote."""
    parts = []
    for el in p.iter(_W + "t", _W + "tab", _W + "br", _W + "cr", _W + "footnoteReference",
                     _W + "endnoteReference"):
        if el.tag == _W + "t":
            parts.append(el.text or "")
        elif el.tag in (_W + "footnoteReference", _W + "endnoteReference"):
            kind = "footnotes" if el.tag == _W + "footnoteReference" else "endnotes"
            key = (kind, el.get(_W + "id"))
            if key[1] in notes[kind]:
                if key not in marks:
                    n = sum(1 for k in marks if k[0] == kind) + 1
                    marks[key] = str(n) if kind == "footnotes" else roman(n)
                parts.append(f"[{marks[key]}]")
        else:
            parts.append(" ")
    return " ".join("".join(parts).split())


def _heading_level(paragraph, style: str) -> int:
    m = _HEADING_RE.match(style.strip())
    if m:
        return int(m.group(1))
    lvl = paragraph._p.find(f"{_W}pPr/{_W}outlineLvl")
    if lvl is not None and (lvl.get(_W + "val") or "9").isdigit() and int(lvl.get(_W + "val")) < 9:
        return int(lvl.get(_W + "val")) + 1
    return 0


def _table(table, notes: dict, marks: dict) -> list[str]:
    """A table as one block: a line per row, cells separated by ' | ' (a merged cell once)."""
    lines = []
    for row in table.rows:
        cells = []
        for cell in row.cells:
            text = " ".join(_text(p._p, notes, marks) for p in cell.paragraphs).strip()
            if text and (not cells or cells[-1] != text):
                cells.append(text)
        if cells:
            lines.append(" | ".join(cells))
    return ["\n".join(lines)] if lines else []


def _iso_date(text: str) -> str:
    from .html import iso_date

    return iso_date(text) or text
