"""What a line typed by a user means, for every front end: a question or a /command.

handle(session, line) -> Reply; front ends only render the Reply (bot/render.py)."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Callable

from index.reading.corpus import Chunk

from index.answering.answer import Answer
from index.errors import DocbotError
from index.facts import RELATIONS, Fact
from index.filters import DATE_RE, Where
from index.page_image import NoPageImage, PageImage
from .session import MAX_K, Session, split_entities

_YEAR_RE = re.compile(r"^\d{4}(-\d{2}(-\d{2})?)?$")


@dataclass
class Reply:
    kind: str  # answer | facts | source | page | docs | help | info | error | quit
    answer: Answer | None = None
    facts: list[Fact] = field(default_factory=list)
    title: str = ""
    chunks: list[Chunk] = field(default_factory=list)  # /source: the passage and its neighbours
    focus: str | None = None  # /source: id of the passage asked for
    docs: list[dict] = field(default_factory=list)
    text: str = ""
    image: PageImage | None = None  # /page: the passage on its page; title is its citation


@dataclass(frozen=True)
class Command:
    name: str
    usage: str
    help: str
    run: Callable[[Session, str], Reply]


def _known_parties(session: Session) -> str:
    return ", ".join(sorted({p for f in session.answerer.facts.facts for p in f.parties}))


def cmd_facts(session: Session, args: str) -> Reply:
    """/facts [party …] [relation] [from-year [to-year]]"""
    table = session.answerer.facts
    if not table.facts:
        return Reply("info", text="There is no fact table for these documents.")
    words = args.split()
    relation = next((w for w in words if w.lower() in RELATIONS), None)
    dates = [w for w in words if _YEAR_RE.match(w)]
    rest = " ".join(w for w in words if w != relation and w not in dates)
    parties, unknown = split_entities(session.answerer.index.analyzer, rest)
    if unknown:
        return Reply("error", text=f"Unknown party or filter: {_short(' '.join(unknown))}. "
                     f"Parties: {_known_parties(session)}. Relations: {', '.join(RELATIONS)}.")
    date_from = min(dates) if dates else None
    date_to = max(dates) if len(dates) > 1 else None
    facts = table.select(parties, relation.lower() if relation else None, date_from, date_to)
    label = " ".join([*parties, relation or "", "–".join(dates)]).strip() or "all"
    return Reply("facts", facts=facts, title=f"Facts ({label}): {len(facts)}")


def cmd_timeline(session: Session, args: str) -> Reply:
    """/timeline PARTY [PARTY]"""
    if not args.strip():
        return Reply("error", text="Usage: /timeline PARTY [PARTY], e.g. /timeline Mongolia DPRK")
    parties, unknown = split_entities(session.answerer.index.analyzer, args)
    if unknown or not parties:
        return Reply("error", text=f"Unknown party: {_short(' '.join(unknown) or args.strip())}. "
                     f"Try one of: {_known_parties(session)}.")
    facts = session.answerer.facts.timeline(parties)
    return Reply("facts", facts=facts, title=f"Timeline: {' – '.join(parties)} ({len(facts)} facts)")


def cmd_more(session: Session, args: str) -> Reply:
    page = session.more()
    if page is None:
        return Reply("info", text="Ask a question first; /more shows further passages for it.")
    if not page.passages:
        return Reply("info", text="No more passages for that question.")
    return Reply("answer", answer=page)


def _short(text: str, limit: int = 40) -> str:
    """User text echoed in a message, cut so a huge input does not make a huge reply."""
    return text if len(text) <= limit else text[:limit] + "…"


def _whole(args: str) -> int | None:
    """A whole number typed as an argument (in any script's decimal digits), or None; one too
    long to be a passage number or k (int() refuses over 4,300 digits) counts as 10**9."""
    text = args.strip()
    if not text.isdecimal():  # not isdigit(): '²' is a digit that int() refuses
        return None
    return int(text) if len(text) <= 9 else 10**9


def _shown_passage(session: Session, args: str, command: str) -> tuple[int, Chunk] | Reply:
    """(N, passage N of the last answer) for '/command N', or the error Reply saying why not."""
    n = _whole(args)
    if n is None:
        return Reply("error", text=f"Usage: /{command} N, where N is a passage number from the last answer")
    chunk = session.passage(n)
    if chunk is None:
        shown = len(session.shown)
        hint = f"passages 1–{shown} are shown" if shown else "ask a question first"
        return Reply("error", text=f"No passage {_short(args.strip(), 20)}: {hint}.")
    return n, chunk


def cmd_source(session: Session, args: str) -> Reply:
    got = _shown_passage(session, args, "source")
    if isinstance(got, Reply):
        return got
    chunk = got[1]
    around = surroundings(session.answerer, chunk)
    return Reply("source", chunks=around, focus=chunk.id, title=chunk.citation)


def cmd_page(session: Session, args: str) -> Reply:
    got = _shown_passage(session, args, "page")
    if isinstance(got, Reply):
        return got
    n, chunk = got
    return page_reply(session, chunk, n)


def page_reply(session: Session, chunk: Chunk, n: int) -> Reply:
    """Passage n (chunk) seen on its PDF page, or the one line that says why it cannot be."""
    try:
        image = session.answerer.page_image(chunk)
    except NoPageImage as e:
        return Reply("error", text=f"Passage {n} has no page to show: {e}. /source {n} shows its text.")
    return Reply("page", chunks=[chunk], focus=chunk.id, title=chunk.citation, image=image)


def surroundings(answerer, chunk: Chunk) -> list[Chunk]:
    """A passage with the passages before and after it; alone when the index was reloaded
    since it was shown and no longer has it."""
    if chunk.id not in answerer.index.by_id:
        return [chunk]
    return answerer.index.neighbours(chunk, 1, 1)


def parse_filter(args: str) -> Where:
    """'/filter lighthouses harbour 1999 2003' or '… from 1999 to 2003': document names (comma
    separated when they hold spaces) and dates; one bare date is that year (or month, day)."""
    text = args.strip()
    dates: dict[str, str] = {}
    for key in ("from", "to"):
        m = re.search(rf"(?:^|\s){key}\s+(\S+)", text, re.I)
        if m:
            dates[key] = m.group(1)
            text = (text[: m.start()] + " " + text[m.end():]).strip()
    words = text.replace(",", " , ").split()
    bare = [w for w in words if DATE_RE.match(w)]
    if bare and not dates:
        dates = {"from": bare[0], "to": bare[-1]}
    rest = " ".join(w for w in words if w not in bare)
    sep = "," if "," in rest else None
    names = tuple(n.strip() for n in rest.split(sep) if n.strip() and n.strip() != ",")
    return Where(names, dates.get("from"), dates.get("to"))


def cmd_filter(session: Session, args: str) -> Reply:
    """/filter [doc …] [from DATE] [to DATE] | /filter off"""
    if not args.strip():
        if not session.where:
            return Reply("info", text="No filter: answers come from all documents. "
                                      "Usage: /filter NAME… [from DATE] [to DATE], /filter off")
        return Reply("info", text=f"Answers come only from documents {session.where.label(session.answerer.index.documents)[4:]}.")
    if args.strip().lower() in ("off", "none", "clear", "all"):
        session.where = None
        return Reply("info", text="Filter off: answers come from all documents.")
    try:
        where = parse_filter(args)
        kept = where.doc_ids(session.answerer.index.documents)
    except DocbotError as e:
        return Reply("error", text=_short(str(e), 300))
    if not kept:
        return Reply("error", text="No document has a date in that span; the filter is unchanged.")
    session.where = where
    return Reply("info", text=f"Answers now come only from {len(kept)} "
                              f"document{'s' if len(kept) != 1 else ''} "
                              f"({where.label(session.answerer.index.documents)}). /filter off to undo.")


def cmd_docs(session: Session, args: str) -> Reply:
    return Reply("docs", docs=session.answerer.index.documents)


def cmd_k(session: Session, args: str) -> Reply:
    n = _whole(args)
    if n is None or not 1 <= n <= MAX_K:
        return Reply("error", text=f"Usage: /k N, with N from 1 to {MAX_K} (now {session.k})")
    session.set_k(n)
    return Reply("info", text=f"Showing {session.k} passages per answer.")


def cmd_help(session: Session, args: str) -> Reply:
    return Reply("help", text=help_text())


def cmd_quit(session: Session, args: str) -> Reply:
    return Reply("quit")


COMMANDS: dict[str, Command] = {c.name: c for c in (
    Command("help", "/help", "this list", cmd_help),
    Command("more", "/more", "more passages for the last question", cmd_more),
    Command("source", "/source N", "full text of passage N with its surroundings", cmd_source),
    Command("page", "/page N", "passage N from a PDF seen on its page (an image)", cmd_page),
    Command("facts", "/facts [party…] [relation] [year [year]]", "list facts, e.g. /facts MPR treaty 1980 1990", cmd_facts),
    Command("timeline", "/timeline PARTY [PARTY]", "chronology between parties", cmd_timeline),
    Command("docs", "/docs", "the documents I know", cmd_docs),
    Command("filter", "/filter [doc…] [from DATE] [to DATE]", "answer only from these documents/dates; /filter off", cmd_filter),
    Command("k", "/k N", "passages per answer (1–10)", cmd_k),
    Command("quit", "/quit", "leave (or Ctrl-D)", cmd_quit),
)}


def help_text(exclude: tuple[str, ...] = ()) -> str:
    rows = [f"{c.usage:<42} {c.help}" for c in COMMANDS.values() if c.name not in exclude]
    return "Ask any question about the documents, or use:\n" + "\n".join(rows)


def handle(session: Session, line: str) -> Reply:
    """Run a /command or answer a question."""
    text = line.strip()
    if not text.startswith("/"):
        return Reply("answer", answer=session.ask(line))
    name, _, args = text[1:].partition(" ")
    name = name.split("@", 1)[0].lower()  # Telegram adds @botname in groups
    command = COMMANDS.get(name)
    if command is None:
        close = [c for c in COMMANDS if c.startswith(name[:2])] if name else []
        hint = f" Did you mean /{close[0]}?" if close else ""
        return Reply("error", text=f"Unknown command /{_short(name)}.{hint} Type /help for the list.")
    return command.run(session, args)
