"""Answers and command replies as Telegram HTML messages.

Every string from a document or a user goes through html.escape; the only markup is the
renderer's own (b, i, blockquote). pack() joins blocks (a passage, a fact line …) into
messages of at most 4,096 characters, splitting between blocks; a block too long on its own
is cut by cut_html() at a sentence or word boundary, closing the open tags at the cut and
opening them again in the next message, so every message is well-formed."""
from __future__ import annotations

import re
from html import escape, unescape
from typing import Iterable

from index.answering.answer import Answer, Passage
from index.facts import Fact, human_date, human_figure
from .commands import COMMANDS, Reply
from .render import answer_line, cut, excerpt, kept_label, page_label, short_citation

LIMIT = 4096  # Telegram's limit on a message's text (counted here before entity parsing)
EXCERPT = 700  # characters of a passage shown around its best sentence in an answer
NOTE = 240  # characters of an endnote shown under a passage in an answer
EXTRA_COMMANDS = (("/ask QUESTION", "ask in a group (or reply to one of my messages)"),
                  ("/start", "what I know"))
HIDDEN_COMMANDS = ("quit",)  # REPL-only

_ATOM_RE = re.compile(r"<[^<>]*>|&#?\w+;|[^<&]", re.S)
_TAG_RE = re.compile(r"<(/?)([a-zA-Z][\w-]*)")
_SENTENCE_END = ".!?…:;"


def esc(text: str) -> str:
    """Document or user text, safe inside Telegram HTML."""
    return escape(str(text), quote=False)


def one_line(text: str) -> str:
    return " ".join(str(text).split())


def tg_len(text: str) -> int:
    """Length as Telegram counts it: UTF-16 code units."""
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


# -- splitting ---------------------------------------------------------------------------------


def pack(blocks: Iterable[str], sep: str = "\n\n", limit: int = LIMIT) -> list[str]:
    """Blocks joined with sep into as few messages ≤ limit as keep the blocks whole."""
    messages: list[str] = []
    current = ""
    for block in blocks:
        if not block or not block.strip():
            continue
        for piece in cut_html(block, limit) if tg_len(block) > limit else [block]:
            if current and tg_len(current) + tg_len(sep) + tg_len(piece) <= limit:
                current += sep + piece
            else:
                if current:
                    messages.append(current)
                current = piece
    if current:
        messages.append(current)
    return messages


def cut_html(html: str, limit: int = LIMIT) -> list[str]:
    """Well-formed pieces of html, each ≤ limit: cut after a sentence when one ends in the
    second half of the piece, else after a word, else between characters; never inside a tag
    or an entity. Tags open at a cut are closed there and opened again in the next piece."""
    atoms = _ATOM_RE.findall(html)
    pieces: list[str] = []
    stack: list[tuple[str, str]] = []  # (name, start tag) open where the current piece starts
    i = 0
    while i < len(atoms):
        prefix = "".join(tag for _, tag in stack)
        open_ = list(stack)
        size = tg_len(prefix)
        closing = sum(len(name) + 3 for name, _ in open_)  # len("</name>")
        last: dict[str, tuple[int, int, list]] = {}  # kind -> (cut index, size there, open tags)
        last_char = ""
        j = i
        while j < len(atoms):
            atom = atoms[j]
            m = _TAG_RE.match(atom)
            new_open, new_closing = open_, closing
            if m and m.group(1):  # an end tag closes the innermost open tag
                if open_:
                    new_open, new_closing = open_[:-1], closing - len(open_[-1][0]) - 3
            elif m:
                new_open = open_ + [(m.group(2).lower(), atom)]
                new_closing = closing + len(m.group(2)) + 3
            if size + tg_len(atom) + new_closing > limit:
                break
            size += tg_len(atom)
            open_, closing = new_open, new_closing
            j += 1
            if m:
                if m.group(1):  # after an end tag is a fine place to cut
                    last["char"] = (j, size, open_)
                continue
            if atom.isspace():
                kind = "sentence" if last_char in _SENTENCE_END else "word"
                last[kind] = (j, size, open_)
            last["char"] = (j, size, open_)
            last_char = "x" if atom.startswith("&") else atom
        if j == len(atoms):
            pieces.append(prefix + "".join(atoms[i:]))
            break
        choice = None
        for kind, at_least in (("sentence", limit // 2), ("word", limit // 4), ("char", 0)):
            if kind in last and last[kind][1] >= at_least and last[kind][0] > i:
                choice = last[kind]
                break
        if choice is None:  # not one character fits: only with absurdly small limits
            raise ValueError(f"cannot cut HTML into pieces of {limit} characters")
        j, _, open_at_cut = choice
        body = "".join(atoms[i:j]).rstrip()
        pieces.append(prefix + body + "".join(f"</{name}>" for name, _ in reversed(open_at_cut)))
        stack = open_at_cut
        i = j
        while i < len(atoms):  # the next piece starts with neither spaces nor empty elements
            if atoms[i].isspace():
                i += 1
            elif stack and atoms[i].startswith("</"):
                stack = stack[:-1]
                i += 1
            else:
                break
    return [p for p in pieces if _visible(p).strip()]


def _visible(html: str) -> str:
    return re.sub(r"<[^<>]*>", "", html)


# -- answers -----------------------------------------------------------------------------------


def fact_line(fact: Fact) -> str:
    """'• <b>15 October 1948</b> — title: 226,236 head of meat (parties)'."""
    fact = getattr(fact, "fact", fact)
    figure = f": {human_figure(fact.value, fact.unit)}" if fact.value is not None else ""
    return (f"• <b>{esc(human_date(fact.date))}</b> — {esc(fact.title)}{esc(figure)} "
            f"({esc(', '.join(fact.parties))})")


def quote(html: str) -> str:
    """A block folded behind a tap on a phone (Telegram's expandable blockquote)."""
    return f"<blockquote expandable>{html}</blockquote>"


def passage_html(p: Passage, excerpt_size: int = EXCERPT, note_size: int = NOTE) -> str:
    """[n] short citation, the passage around its best sentence (in bold), its endnotes: one
    expandable quote, so a phone shows its first lines until tapped."""
    c, h = p.hit.chunk, p.highlight
    before, sentence, after = excerpt(c.text, h.start, h.end, excerpt_size)
    if len(sentence) > excerpt_size < EXCERPT:  # shrunk to fit: part of the sentence only
        before, sentence, after = ("…" if before else ""), cut(sentence, excerpt_size), ""
    body = " ".join(x for x in (esc(before), f"<b>{esc(sentence)}</b>" if sentence else "",
                                esc(after)) if x)
    lines = [f"<b>[{p.rank}]</b> <i>{esc(short_citation(c, cited_as=p.cited_as))}</i>", body]
    for n in c.notes if note_size > 0 else ():
        see = f" (= {one_line(n.see)})" if n.see else ""
        lines.append(f"<i>[{esc(n.mark)}]</i> {esc(cut(one_line(n.text) + see, note_size))}")
    return quote("\n".join(lines))


def answer_head(answer: Answer) -> str:
    """The answer line (bold) and where it stands (italic), with how a follow-up was read;
    what every page of the answer starts with. Empty for an answer without one."""
    line = answer_line(answer)
    head = []
    if line is not None:
        text, where = line
        head.append(f"<b>{esc(text)}</b>")
        if where:
            head.append(f"<i>{esc(where)}</i>")
    if answer.assumed:
        head.append(f"<i>{esc(answer.assumed)}</i>")
    return "\n".join(head)


def answer_page(answer: Answer, head: str | None = None, total: int | None = None,
                limit: int = LIMIT) -> str:
    """One message for a page of an answer: the answer line and its citation (head: the first
    page's, for later pages), the facts and passages as expandable quotes, "passages 1–3 of
    N". Excerpts shrink until the page fits one message, so a page can be edited in place."""
    if not answer.answered and not answer.passages:
        return esc(answer.message or "I found nothing about that in the documents.")
    if not answer.answered:  # the closest passages, after saying the documents don't answer
        for size, note in ((EXCERPT, NOTE), (400, 120), (200, 60), (80, 0)):
            head = [esc(answer.message or "")]
            if answer.assumed:
                head.append(f"<i>{esc(answer.assumed)}</i>")
            text = "\n\n".join(["\n".join(head)]
                                 + [passage_html(p, size, note) for p in answer.passages])
            if tg_len(text) <= limit:
                break
        return pack([text], limit=limit)[0]
    head = answer_head(answer) if head is None else head
    facts = ""
    direct = answer.direct
    shown = [m for m in answer.facts if not (direct and direct.kind == "fact" and m.fact.id == direct.fact)]
    if shown:
        facts = quote("<b>Facts</b>\n" + "\n".join(fact_line(f) for f in answer.facts))
    label = page_label(answer, total)
    for size, note in ((EXCERPT, NOTE), (400, 120), (200, 60), (80, 0)):
        blocks = [head, facts] + [passage_html(p, size, note) for p in answer.passages]
        blocks += [f"<i>{esc(label)}</i>" if label else "",
                   f"<i>{esc(answer.message)}</i>" if answer.message else ""]
        text = "\n\n".join(b for b in blocks if b)
        if tg_len(text) <= limit:
            return text
    while len(blocks) > 3 and tg_len(text) > limit:  # still too long: fewer passages
        del blocks[-3]
        text = "\n\n".join(b for b in blocks if b)
    return pack([text], limit=limit)[0]


def answer_messages(answer: Answer, limit: int = LIMIT) -> list[str]:
    """An answer as Telegram messages: one page."""
    return [answer_page(answer, limit=limit)]


def shown_chars(html: str, quote_lines: int = 3, line_chars: int = 40) -> int:
    """Characters a phone shows of a message before anything is expanded: everything outside
    expandable quotes, and of each such quote its first quote_lines lines of about line_chars
    characters (Telegram folds the rest)."""
    total, pos = 0, 0
    for m in re.finditer(r"<blockquote expandable>(.*?)</blockquote>", html, re.S):
        total += len(_plain(html[pos : m.start()]))
        lines, left = _plain(m.group(1)).split("\n"), quote_lines
        for line in lines:
            if left <= 0:
                break
            rows = max(1, -(-len(line) // line_chars))
            take = min(rows, left)
            total += min(len(line), take * line_chars)
            left -= take
        pos = m.end()
    return total + len(_plain(html[pos:]))


def _plain(html: str) -> str:
    return unescape(re.sub(r"<[^<>]*>", "", html))


# -- other replies -----------------------------------------------------------------------------


def facts_messages(facts: list, title: str, limit: int = LIMIT) -> list[str]:
    """A list of facts (one per line) under a title."""
    lines = [f"<b>{esc(title)}</b>"] + ([fact_line(f) for f in facts] or ["No facts match."])
    return pack(lines, "\n", limit)


def fact_details_messages(facts: list[Fact], citations: dict[str, str],
                          limit: int = LIMIT) -> list[str]:
    """Facts with their summary and the quote they rest on (and where it stands)."""
    blocks = []
    for f in facts:
        where = citations.get(f.passage or "", f.doc)
        blocks.append(f"{fact_line(f)}\n{esc(f.summary)}\n<blockquote>{esc(f.quote)}</blockquote>"
                      f"\n<i>{esc(where)}</i>")
    return pack(blocks or ["No facts for this answer."], "\n\n", limit)


def source_messages(chunks: list, focus: str | None, limit: int = LIMIT) -> list[str]:
    """A passage in full (with its endnotes), and the passages given around it, marked as
    context before or after it."""
    blocks = []
    seen_focus = False
    for c in chunks:
        if c.id == focus:
            seen_focus = True
            lines = [f"<b>{esc(c.citation)}</b>", esc(one_line(c.text))]
            lines += [f"<i>[{esc(n.mark)}]</i> {esc(one_line(n.text))}"
                      + (f" (= {esc(one_line(n.see))})" if n.see else "") for n in c.notes]
            blocks.append("\n".join(lines))
        else:
            where = "context after" if seen_focus else "context before"
            blocks.append(f"<i>{esc(c.citation)} ({where})</i>\n{esc(one_line(c.text))}")
    return pack(blocks, "\n\n", limit)


def docs_messages(docs: list[dict], limit: int = LIMIT) -> list[str]:
    lines = []
    for i, d in enumerate(docs, 1):
        line = (f"{i}. <b>{esc(d.get('title') or d.get('id'))}</b> — {d.get('chunks', '?')} passages"
                f"{esc(kept_label(d))}")
        if d.get("source"):
            line += f"\n<i>{esc(d['source'])}</i>"
        if d.get("problem"):  # a PDF, DOCX or HTML file skipped or read in part
            line += f"\n{esc(d['problem'])}"
        lines.append(line)
    return pack(lines or ["No documents."], "\n", limit)


def help_html(exclude: tuple[str, ...] = HIDDEN_COMMANDS, group_hint: str | None = None) -> str:
    """The commands; group_hint: how to ask in this group, instead of the general line."""
    rows = [f"{esc(usage)} — {esc(text)}" for usage, text in EXTRA_COMMANDS]
    rows += [f"{esc(c.usage)} — {esc(c.help)}" for c in COMMANDS.values() if c.name not in exclude]
    hint = f"\n\n{esc(group_hint)}." if group_hint else ""
    return ("Ask me any question about the documents: I answer with the passages that answer "
            "it, cited, and with dated facts when it is about relations." + hint + "\n\n"
            + "\n".join(rows))


CAPTION_LIMIT = 1024  # Telegram's limit on a photo's caption


def page_caption(reply: Reply) -> str:
    """The caption of a /page image (HTML): the passage's citation."""
    return esc(cut(reply.title, CAPTION_LIMIT - 16))


def reply_messages(reply: Reply, limit: int = LIMIT) -> list[str]:
    """Any Reply of bot.commands.handle as Telegram HTML messages."""
    if reply.kind == "answer" and reply.answer is not None:
        return answer_messages(reply.answer, limit)
    if reply.kind == "facts":
        return facts_messages(reply.facts, reply.title, limit)
    if reply.kind == "source":
        return source_messages(reply.chunks, reply.focus, limit)
    if reply.kind == "docs":
        return docs_messages(reply.docs, limit)
    if reply.kind == "page":  # where a photo cannot be sent: say which page to look at
        return pack([page_caption(reply)], "\n", limit)
    if reply.kind == "help":
        return pack([help_html()], "\n", limit)
    return pack([esc(reply.text or "OK.")], "\n", limit)
