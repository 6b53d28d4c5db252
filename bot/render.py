"""One Answer, several faces: plain text, coloured terminal text, JSON."""
from __future__ import annotations

import json
import os
import re
import textwrap

from index.answering.answer import Answer, Passage
from index.facts import human_date, human_figure
from index.reading.corpus import short_title

_BOLD, _ITALIC, _DIM, _CYAN, _YELLOW, _RESET = (
    "\x1b[1m", "\x1b[3m", "\x1b[2m", "\x1b[36m", "\x1b[33m", "\x1b[0m")


def use_color(stream) -> bool:
    """Colour on a terminal, unless NO_COLOR is set or the terminal is dumb."""
    return stream.isatty() and not os.environ.get("NO_COLOR") and os.environ.get("TERM") != "dumb"


def one_line(text: str) -> str:
    return " ".join(text.split())


_JOINER = frozenset("-_'’")  # inside one word: 'Jong-il', 'XZ_DEFAULTS'


def _joined(text: str, spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """spans with those that touch (or stand one hyphen apart) made one: 'bzip2' is one bold
    word, not '**bzip****2**'."""
    out: list[tuple[int, int]] = []
    for s, e in spans:
        if out and 0 <= s - out[-1][1] <= 1 and (s == out[-1][1] or text[s - 1] in _JOINER):
            out[-1] = (out[-1][0], e)
        else:
            out.append((s, e))
    return out


def _mark_terms(text: str, start: int, end: int, spans: list[tuple[int, int]], color: bool) -> str:
    """text[start:end] with the matched terms in bold (ANSI) or **stars** (plain)."""
    out, pos = [], start
    for s, e in _joined(text, spans):
        if s < pos or e > end:
            continue
        out.append(text[pos:s])
        word = text[s:e]
        out.append(f"{_BOLD}{word}{_RESET}{_YELLOW if color else ''}" if color else f"**{word}**")
        pos = e
    out.append(text[pos:end])
    return "".join(out)


def cut(text: str, limit: int) -> str:
    """text on one line, cut at a word to at most limit characters (… marks the cut)."""
    text = one_line(text)
    if len(text) <= limit:
        return text
    head = text[: limit - 1]
    space = head.rfind(" ")
    return (head[:space] if space > limit // 2 else head).rstrip(" ,;:—–-") + "…"


def short_citation(chunk, limit: int = 110, cited_as: str = "") -> str:
    """Where a passage stands, short: its document as the collection cites it (cited_as, the
    Passage's; else the title up to its subtitle), the section, ¶ (or page)."""
    title = cited_as or short_title(chunk.title)
    where = f"¶{chunk.paragraph}" if chunk.paragraph == chunk.paragraph_end else (
        f"¶{chunk.paragraph}–{chunk.paragraph_end}")
    page = getattr(chunk, "page", None)
    if page:
        where = f"p. {page}, {where}"
    title = cut(title, max(20, limit // 2))
    room = limit - len(title) - len(where) - 4
    parts = [title]
    if chunk.section and room >= 12:
        parts.append(cut(chunk.section, room))
    return ", ".join(parts + [where])


def excerpt(text: str, start: int, end: int, width: int) -> tuple[str, str, str]:
    """(before, sentence, after) of a passage, trimmed at words to about width characters."""
    before, sentence, after = one_line(text[:start]), one_line(text[start:end]), one_line(text[end:])
    room = max(0, width - len(sentence))
    if len(before) + len(after) <= room:
        return before, sentence, after
    keep_before = min(len(before), room // 3)
    keep_after = min(len(after), room - keep_before)
    keep_before = min(len(before), room - keep_after)
    if keep_before < len(before):
        piece = before[len(before) - keep_before :]
        piece = piece[piece.find(" ") + 1 :] if " " in piece else ""
        before = "…" + piece if piece else "…"
    if keep_after < len(after):
        piece = after[:keep_after]
        piece = piece[: piece.rfind(" ")] if " " in piece else ""
        after = (piece + " …") if piece else "…"
    return before, sentence, after


def direct_source(answer: Answer):
    """The passage (chunk) the answer line comes from, when it is among the answer's."""
    p = _direct_passage(answer)
    return p.hit.chunk if p is not None else None


def _direct_passage(answer: Answer) -> Passage | None:
    d = answer.direct
    if d is None:
        return None
    return next((p for p in answer.passages if p.hit.chunk.id == d.chunk_id), None)


def answer_line(answer: Answer, width: int = 90) -> tuple[str, str] | None:
    """(the answer line, its short citation) of the first page of an answer, else None."""
    d = answer.direct
    if d is None or not answer.answered or (answer.passages and answer.passages[0].rank != 1):
        return None
    p = _direct_passage(answer)
    if p is not None:
        where = short_citation(p.hit.chunk, width, p.cited_as)
    else:
        fact = next((m.fact for m in answer.facts if m.fact.id == d.fact), None)
        where = f"fact table, quoting {fact.doc}" if fact else ""
    return d.line or d.text, where


def page_label(answer: Answer, total: int | None = None) -> str:
    """'passages 4–6 of 12' for the passages of a page."""
    if not answer.passages:
        return ""
    lo, hi = answer.passages[0].rank, answer.passages[-1].rank
    span = f"{lo}" if lo == hi else f"{lo}–{hi}"
    if total:
        from .session import MAX_TOTAL
        return f"passages {span} of {total}{'+' if total >= MAX_TOTAL else ''}"
    return f"passages {span}"


def passage_text(p: Passage, color: bool = False, width: int = 100, size: int = 320) -> str:
    """[n] short citation on one line, then the passage around its best sentence (marked)."""
    c, h = p.hit.chunk, p.highlight
    head = f"[{p.rank}] {short_citation(c, width - len(str(p.rank)) - 3, p.cited_as)}"
    before, _, after = excerpt(c.text, h.start, h.end, size)
    sentence = one_line(_mark_terms(c.text, h.start, h.end, h.terms, color))
    if color:
        head = f"{_CYAN}{_BOLD}[{p.rank}]{_RESET}{_CYAN}{head[len(str(p.rank)) + 2:]}{_RESET}"
        sentence = f"{_YELLOW}{sentence}{_RESET}"
    body = " ".join(x for x in (before, f"»{sentence}«" if not color else sentence, after) if x)
    lines = [head]
    lines += textwrap.wrap(body, width=width, initial_indent="    ", subsequent_indent="    ",
                           break_long_words=False, break_on_hyphens=False) or ["    "]
    for n in c.notes:
        note = cut(f"[{n.mark}] {n.text}" + (f" (= {n.see})" if n.see else ""), width - 6)
        lines.append(f"      {_DIM}{note}{_RESET}" if color else f"      {note}")
    return "\n".join(lines)


def facts_table(facts: list, width: int = 100, color: bool = False) -> str:
    """Facts as aligned rows: date | relation | text, with the quote's passage when known."""
    rows = []
    for f in facts:
        f = getattr(f, "fact", f)
        date = human_date(f.date)
        line = f"  {date:>17}  {f.relation.replace('_', ' '):<20} {f.title}"
        if f.value is not None:
            line += f": {human_figure(f.value, f.unit)}"
        line += f" ({', '.join(f.parties)})"
        if color:
            line = f"{_BOLD}{line[:19]}{_RESET}{line[19:]}"
        rows.append(line)
    return "\n".join(rows)


def answer_text(answer: Answer, color: bool = False, width: int = 100) -> str:
    """The whole answer for a terminal or a pipe: the answer line and where it stands, then
    the facts and the passages."""
    parts: list[str] = []
    if not answer.answered:  # nothing; or the closest passages, after saying so
        return "\n".join([answer.message or ""] + [passage_text(p, color, width)
                                                     for p in answer.passages])
    line = answer_line(answer, width - 2)
    if line is not None:
        text, where = line
        wrapped = textwrap.wrap(text, width=width, break_long_words=False) or [text]
        parts += [f"{_BOLD}{x}{_RESET}" if color else x for x in wrapped]
        if where:
            parts.append(f"  {_DIM}{where}{_RESET}" if color else f"  {where}")
        parts.append("")
    if answer.facts:
        parts += ["Facts:", facts_table(answer.facts, width, color), ""]
    parts += [passage_text(p, color, width) for p in answer.passages]
    if answer.message:
        parts.append(answer.message)
    return "\n".join(parts)


def answer_json(answer: Answer) -> str:
    return json.dumps(answer.to_dict(), ensure_ascii=False)


def source_text(chunks: list, focus: str | None, color: bool = False, width: int = 100) -> str:
    """A passage in full with the passages around it (dimmed), for /source."""
    out = []
    for c in chunks:
        head = c.citation + ("" if c.id == focus else "  (context)")
        body = textwrap.fill(one_line(c.text), width=width, initial_indent="    ",
                             subsequent_indent="    ", break_long_words=False)
        if color:
            head = f"{_CYAN}{_BOLD}{head}{_RESET}" if c.id == focus else f"{_DIM}{head}{_RESET}"
            body = body if c.id == focus else f"{_DIM}{body}{_RESET}"
        out += [head, body]
        if c.id == focus:
            for n in c.notes:
                out.append(f"      [{n.mark}] {n.text}" + (f" (= {n.see})" if n.see else ""))
        out.append("")
    return "\n".join(out).rstrip()


def kept_label(d: dict) -> str:
    """', 97 % of its text' for a document whose reading was measured, else ''."""
    kept = d.get("kept")
    if kept is None:
        return ""
    return f", {_percent(kept)} of its text"


def _percent(share: float) -> str:
    """Whole percents, except that a share just below 100 % or above 0 % does not round to it."""
    pct = round(share * 100)
    if pct == 100 and share < 1:
        return ">99 %"
    if pct == 0 and share > 0:
        return "<1 %"
    return f"{pct} %"


def docs_text(docs: list[dict]) -> str:
    lines = []
    for i, d in enumerate(docs, 1):
        lines.append(f"{i}. {d.get('title')} — {d.get('chunks', '?')} passages{kept_label(d)} "
                     f"({d.get('path')})")
        if d.get("source"):
            lines.append(f"   {d['source']}")
        if d.get("problem"):  # a PDF, DOCX or HTML file skipped or read in part
            lines.append(f"   {d['problem']}")
    return "\n".join(lines) or "No documents."


def reply_text(reply, color: bool = False, width: int = 100) -> str:
    """Any Reply of bot.commands.handle as terminal text."""
    if reply.kind == "answer":
        text = answer_text(reply.answer, color, width)
        if reply.answer.assumed:
            note = f"({reply.answer.assumed})"
            text = (f"{_DIM}{note}{_RESET}" if color else note) + "\n" + text
        if reply.answer.passages and reply.answer.passages[0].rank > 1:
            label = page_label(reply.answer)
            text = (f"{_DIM}{label}{_RESET}" if color else label) + "\n" + text
        if reply.answer.more:
            text += "\n" + (f"{_DIM}/more for more passages{_RESET}" if color else "/more for more passages")
        return text
    if reply.kind == "facts":
        body = facts_table(reply.facts, width, color) if reply.facts else "  No facts match."
        return f"{reply.title}\n{body}"
    if reply.kind == "source":
        return source_text(reply.chunks, reply.focus, color, width)
    if reply.kind == "docs":
        return docs_text(reply.docs)
    if reply.kind == "page":
        return f"{reply.title}\n  page image: {reply.text}"
    return reply.text
