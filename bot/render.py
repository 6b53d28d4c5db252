"""One Answer, several faces: plain text, coloured terminal text, JSON."""
from __future__ import annotations

import json
import os
import textwrap

from index.answer import Answer, Passage
from index.facts import human_date

_BOLD, _ITALIC, _DIM, _CYAN, _YELLOW, _RESET = (
    "\x1b[1m", "\x1b[3m", "\x1b[2m", "\x1b[36m", "\x1b[33m", "\x1b[0m")


def use_color(stream) -> bool:
    """Colour on a terminal, unless NO_COLOR is set or the terminal is dumb."""
    return stream.isatty() and not os.environ.get("NO_COLOR") and os.environ.get("TERM") != "dumb"


def one_line(text: str) -> str:
    return " ".join(text.split())


def _mark_terms(text: str, start: int, end: int, spans: list[tuple[int, int]], color: bool) -> str:
    """text[start:end] with the matched terms in bold (ANSI) or **stars** (plain)."""
    out, pos = [], start
    for s, e in spans:
        if s < pos or e > end:
            continue
        out.append(text[pos:s])
        word = text[s:e]
        out.append(f"{_BOLD}{word}{_RESET}{_YELLOW if color else ''}" if color else f"**{word}**")
        pos = e
    out.append(text[pos:end])
    return "".join(out)


def passage_text(p: Passage, color: bool = False, width: int = 100) -> str:
    c, h = p.hit.chunk, p.highlight
    head = f"[{p.rank}] {c.citation}"
    sentence = one_line(_mark_terms(c.text, h.start, h.end, h.terms, color))
    if color:
        head = f"{_CYAN}{_BOLD}[{p.rank}]{_RESET}{_CYAN} {c.citation}{_RESET}"
        sentence = f"{_YELLOW}{sentence}{_RESET}"
    before = one_line(c.text[: h.start])
    after = one_line(c.text[h.end :])
    body = " ".join(x for x in (before, f"»{sentence}«" if not color else sentence, after) if x)
    lines = [head]
    lines += textwrap.wrap(body, width=width, initial_indent="    ", subsequent_indent="    ",
                           break_long_words=False, break_on_hyphens=False) or ["    "]
    for n in c.notes:
        note = f"[{n.mark}] {n.text}" + (f" (= {n.see})" if n.see else "")
        wrapped = textwrap.wrap(note, width=width, initial_indent="      ",
                                subsequent_indent="        ")
        lines += [f"{_DIM}{x}{_RESET}" if color else x for x in wrapped]
    return "\n".join(lines)


def facts_table(facts: list, width: int = 100, color: bool = False) -> str:
    """Facts as aligned rows: date | relation | text, with the quote's passage when known."""
    rows = []
    for f in facts:
        f = getattr(f, "fact", f)
        date = human_date(f.date)
        line = f"  {date:>17}  {f.relation.replace('_', ' '):<20} {f.title}"
        if f.value is not None:
            line += f": {f.value:,g} {f.unit}"
        line += f" ({', '.join(f.parties)})"
        if color:
            line = f"{_BOLD}{line[:19]}{_RESET}{line[19:]}"
        rows.append(line)
    return "\n".join(rows)


def answer_text(answer: Answer, color: bool = False, width: int = 100) -> str:
    """The whole answer for a terminal or a pipe."""
    parts: list[str] = []
    if not answer.answered:
        return answer.message or ""
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


def docs_text(docs: list[dict]) -> str:
    lines = []
    for i, d in enumerate(docs, 1):
        lines.append(f"{i}. {d.get('title')} — {d.get('chunks', '?')} passages ({d.get('path')})")
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
    return reply.text
