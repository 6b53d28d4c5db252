"""Conversation state shared by the terminal chat and the Telegram bot: the last question,
its pages of passages, and the context a follow-up question inherits."""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from index.analyze import Analyzer
from index.corpus import Chunk

from index.answer import Answer, Answerer, clean_question
from index.filters import Where

MAX_K = 10
# Words that make a short question lean on the previous one ("who signed it?").
_BACKREF = re.compile(
    r"\b(it|its|they|them|their|he|him|his|she|her|that|this|those|these|there|then|same)\b", re.I)
_CONTINUE = re.compile(r"^\s*(and|also|what about|how about|and what about|what of)\b", re.I)


def split_entities(analyzer: Analyzer, text: str) -> tuple[list[str], list[str]]:
    """(entities named, any alias and multi-word ones too; the other content words as
    written, each once) of a line."""
    entities: list[str] = []
    words: list[str] = []
    for tok in analyzer.tokens(text):
        name = analyzer.display_names.get(tok.term)
        if name:
            if name not in entities:
                entities.append(name)
        else:
            word = text[tok.start : tok.end] or tok.term
            if word.casefold() not in (w.casefold() for w in words):
                words.append(word)
    return entities, words


@dataclass
class Session:
    """One user's conversation. Not thread-safe: one per chat."""

    answerer: Answerer
    k: int = 3
    question: str | None = None  # the last question as searched (with what it inherited)
    answer: Answer | None = None
    shown: list = field(default_factory=list)  # passages shown so far for the last question
    parties: list[str] = field(default_factory=list)  # context for follow-ups
    topic: list[str] = field(default_factory=list)
    where: Where | None = None  # /filter: the documents and dates answers come from

    def ask(self, text: str) -> Answer:
        """Answer a question, reading it as a follow-up of the last one when it leans on it."""
        q, notice = clean_question(text)
        searched, assumed = self._resolve(q)
        answer = self.answerer.ask(searched, k=self.k, where=self.where).with_(question=text)
        if notice and answer.answered and not answer.message:
            answer = answer.with_(message=notice)  # the question was cut before it was searched
        if assumed and answer.answered:
            answer = answer.with_(assumed=assumed)
        self.question, self.answer = searched, answer
        self.shown = list(answer.passages)
        if answer.answered:
            self._remember(searched)
        return answer

    def more(self) -> Answer | None:
        """The next page of passages for the last question; None when there was none."""
        if self.question is None or self.answer is None or not self.answer.answered:
            return None
        page = self.answerer.ask(self.question, k=self.k, offset=len(self.shown),
                                 where=self.where).with_(
            question=self.answer.question, facts=())
        self.shown += page.passages
        return page

    def passage(self, n: int) -> Chunk | None:
        """Passage number n (as shown, 1-based) of the last question."""
        for p in self.shown:
            if p.rank == n:
                return p.hit.chunk
        return None

    def set_k(self, k: int) -> None:
        self.k = max(1, min(MAX_K, k))

    # -- follow-ups ----------------------------------------------------------------------------
    def _split(self, text: str) -> tuple[list[str], list[str]]:
        return split_entities(self.answerer.index.analyzer, text)

    def _resolve(self, q: str) -> tuple[str, str | None]:
        if not self.parties and not self.topic:
            return q, None
        parties, words = self._split(q)
        leans = bool(_BACKREF.search(q) or _CONTINUE.match(q)) or (not parties and len(words) <= 2)
        if not leans or not q:
            return q, None
        add_parties: list[str] = []
        if not parties:
            add_parties = list(self.parties)
        elif len(self.parties) >= 2 and len(parties) == 1:
            # "and with Russia?" after "Mongolia … with South Korea": Russia replaces the partner
            add_parties = [p for p in self.parties[:-1] if p not in parties]
        add_words = [w for w in self.topic if w.casefold() not in (x.casefold() for x in words)]
        if not add_parties and not add_words:
            return q, None
        extra = " ".join(add_parties + add_words)
        return f"{q} {extra}", f"taking this with the previous question: {extra}"

    def _remember(self, searched: str) -> None:
        parties, words = self._split(searched)
        if parties:
            self.parties = parties
        if words:
            self.topic = words[:8]
