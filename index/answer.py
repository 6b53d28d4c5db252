"""The answer service: a question in, ranked cited passages (and facts) or an honest no out."""
from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Callable

from .corpus import DocumentTexts
from .engine import Index, SearchHit, index_text
from .highlight import Highlight, highlight

from .facts import FactMatch, FactTable

MAX_QUESTION_CHARS = 2000
# Share of the question's weight the best passage must match to count as an answer. Chosen by
# tests/bench/abstain.py: the value that best separates the Q&A suite's questions from SQuAD
# questions asked of the bundled documents (see README.md).
MIN_COVERAGE = 0.40
_MONTH = r"(?:January|February|March|April|May|June|July|August|September|October|November|December)"
# What the question word asks for, so the highlighted sentence is the one that holds it.
ASKS_FOR = (
    (re.compile(r"^\s*(when|what year|in what year|which year|what date|on what date)\b", re.I),
     re.compile(rf"\b(1[5-9]\d\d|20\d\d)\b|\b{_MONTH}\b")),
    (re.compile(r"^\s*how (many|much|long|often)\b", re.I), re.compile(r"\d")),
)
_ANSI_RE = re.compile(r"\x1b(?:\[[0-?]*[ -/]*[@-~]|[@-Z\\-_])")
NOTHING_FOUND = "I found nothing about that in the documents."
NO_WORDS = "Your question has no words I can search for; ask about a person, place, date or event."
EMPTY = "Please type a question."


@dataclass(frozen=True)
class Passage:
    rank: int
    score: float
    hit: SearchHit
    highlight: Highlight
    facts: tuple[str, ...] = ()  # ids of facts whose quote is in this passage

    def to_dict(self) -> dict[str, Any]:
        c = self.hit.chunk
        return {
            "rank": self.rank, "score": round(self.score, 6), "doc": c.doc, "title": c.title,
            "section": c.section, "paragraph": c.paragraph, "chunk_id": c.id, "text": c.text,
            "highlight": self.highlight.to_dict(), "citation": c.citation,
            "notes": [n.to_dict() for n in c.notes], "facts": list(self.facts),
        }


@dataclass(frozen=True)
class Answer:
    """What the answer service gives for one question; immutable (a page or a re-labelled
    answer is a new Answer: see with_)."""

    question: str
    answered: bool
    message: str | None = None
    facts: tuple[FactMatch, ...] = ()
    passages: tuple[Passage, ...] = ()
    terms: tuple[str, ...] = ()  # the question's index terms
    coverage: float = 0.0
    more: bool = False  # further passages exist beyond these
    assumed: str | None = None  # how a follow-up was read in the light of the last question

    def with_(self, **changes: Any) -> "Answer":
        """A copy with some fields changed."""
        return replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        return {
            "question": self.question, "answered": self.answered, "message": self.message,
            "facts": [f.to_dict() for f in self.facts],
            "passages": [p.to_dict() for p in self.passages], "assumed": self.assumed,
        }


def clean_question(text: str) -> tuple[str, str | None]:
    """Drop control and format characters (NUL, bidi overrides), collapse spaces and cut very
    long input. Returns the question and a notice when it was cut."""
    kept = []
    text = _ANSI_RE.sub("", text)  # terminal escape sequences are not words
    for ch in text:
        cat = unicodedata.category(ch)
        if cat in ("Cc", "Cf", "Cs", "Co", "Cn"):
            kept.append(" " if ch in "\t\n\r" else "")
        else:
            kept.append(ch)
    q = " ".join("".join(kept).split())
    if len(q) > MAX_QUESTION_CHARS:
        cut = q.rfind(" ", 0, MAX_QUESTION_CHARS)
        q = q[: cut if cut > 0 else MAX_QUESTION_CHARS]
        return q, f"Only the first {len(q):,} characters of the question were used."
    return q, None


class Answerer:
    """Answers questions from one index (and, when given, one fact table)."""

    def __init__(self, index: Index, facts: FactTable | None = None) -> None:
        self.index = index
        self.facts = facts or FactTable()
        self._n = len(index.chunks)
        self._facts_by_passage = self.facts.by_passage()
        self.source: tuple[Path, Path | None, tuple] | None = None  # set by open()

    @classmethod
    def open(cls, data_dir: Path, index_dir: Path | None = None,
             notice: Callable[[str], None] = lambda m: None) -> "Answerer":
        """The index (built or refreshed as needed) and the fact table of a data folder."""
        before = data_signature(data_dir)
        index = Index.open(data_dir, index_dir, notice=notice)
        answerer = cls(index, load_facts(data_dir, index))
        answerer.source = (data_dir, index_dir, before)
        return answerer

    def refreshed(self, notice: Callable[[str], None] = lambda m: None) -> "Answerer | None":
        """A new Answerer when the data folder changed since this one was opened, else None.
        Raises DocbotError when the new data cannot be used; this one stays as it was."""
        if self.source is None:
            return None
        data_dir, index_dir, signature = self.source
        if data_signature(data_dir) == signature:
            return None
        return Answerer.open(data_dir, index_dir, notice)

    def weight(self, term: str) -> float:
        """How much a term says about a question: rare terms most, unknown terms the most."""
        return math.log((self._n + 1) / (self.index.df(term) + 0.5))

    def coverage(self, terms: list[str], hit: SearchHit) -> float:
        """Share of the question's (weighted, distinct) terms that the passage contains."""
        unique = list(dict.fromkeys(terms))
        total = sum(self.weight(t) for t in unique)
        if total <= 0:
            return 0.0
        have = set(self.index.analyzer.terms(index_text(hit.chunk)))
        return sum(self.weight(t) for t in unique if t in have) / total

    def ask(self, question: str, k: int = 3, offset: int = 0) -> Answer:
        q, notice = clean_question(question)
        if not q:
            return Answer(question, False, EMPTY)
        terms = self.index.analyzer.terms(q)
        if not terms:
            return Answer(question, False, NO_WORDS)
        facts = self.facts.match(q, self.index.analyzer) if offset == 0 else []
        hits = self.index.search_terms(terms, offset + k + 1)
        cov = self.coverage(terms, hits[0]) if hits else 0.0
        if cov < MIN_COVERAGE:
            hits = []
        if not hits and not facts:
            return Answer(question, False, NOTHING_FOUND, terms=tuple(terms), coverage=cov)
        page = hits[offset : offset + k]
        wants = next((shape for asks, shape in ASKS_FOR if asks.search(q)), None)
        passages = [
            Passage(offset + i + 1, h.score, h,
                    highlight(h.chunk.text, terms, self.index.analyzer, self.weight, wants,
                              self.index, h.pos),
                    tuple(self._facts_by_passage.get(h.chunk.id, ())))
            for i, h in enumerate(page)
        ]
        return Answer(question, True, notice, facts=tuple(facts), passages=tuple(passages),
                      terms=tuple(terms), coverage=cov, more=len(hits) > offset + k)


def data_signature(data_dir: Path) -> tuple:
    """Name, size and mtime of every file under data_dir: changes when any file does."""
    out = []
    try:
        for p in sorted(data_dir.rglob("*")):
            if p.is_file():
                st = p.stat()
                out.append((str(p), st.st_size, st.st_mtime_ns))
    except OSError:
        return ("unreadable",)
    return tuple(out)


def load_facts(data_dir: Path, index: Index) -> FactTable:
    """data_dir/facts.yaml validated against the documents, or an empty table without one."""
    path = data_dir / "facts.yaml"
    if not path.is_file():
        return FactTable()
    parties = index.analyzer.aliases.keys()
    return FactTable.load(path, DocumentTexts(data_dir), parties, index.chunks)
