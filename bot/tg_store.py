"""What the bot keeps per chat: each user's Session, and the button store — what the buttons
under recent answers need, under short keys ("m:<key>:<offset>" …), bounded per chat."""
from __future__ import annotations

import asyncio
import secrets
import weakref
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any, Callable

from index.answering.answer import Answer
from index.reading.corpus import Chunk


@dataclass
class AnswerRecord:
    """One answer message: how to page it, and the passages and facts its buttons show. Not
    the answer itself (its highlights and scores are most of its size)."""

    page: weakref.ref  # the first page, while its user's session still holds it
    question: str  # as the user asked it
    searched: str  # as it was searched (a follow-up, as read)
    user: int  # whose session asked it
    head: str  # the answer line and citation (HTML) every page starts with
    total: int  # passages that answer it ("passages 4–6 of N")
    k: int  # passages per page
    offset: int = 0  # first passage of the page the message shows now (0-based)
    chunks: dict[int, Chunk] = field(default_factory=dict)  # rank -> passage
    fact_ids: list[str] = field(default_factory=list)
    parties: list[str] = field(default_factory=list)
    message_id: int | None = None  # the bot's message that shows the answer
    thread_id: int | None = None  # the forum topic it is in

    @property
    def answer(self) -> Answer | None:
        """The first page, or None once its user has moved on to another question."""
        return self.page()

    def add_page(self, page: Answer) -> None:
        for p in page.passages:
            self.chunks[p.rank] = p.hit.chunk
            for fid in p.facts:
                if fid not in self.fact_ids:
                    self.fact_ids.append(fid)
        for m in page.facts:
            if m.fact.id not in self.fact_ids:
                self.fact_ids.append(m.fact.id)


@dataclass
class ChatState:
    """One chat: a Session per user (follow-ups read in the light of the same user's last
    question), a lock around them, the recent answers and which question each answers."""

    new_session: Callable[[], Any]
    max_users: int = 1000
    max_answers: int = 50
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    sessions: OrderedDict[int, Any] = field(default_factory=OrderedDict)
    answers: OrderedDict[str, AnswerRecord] = field(default_factory=OrderedDict)
    asked: OrderedDict[int, str] = field(default_factory=OrderedDict)  # question message -> key
    latest: dict[int, str] = field(default_factory=dict)  # user -> key of their last answer

    def session(self, user: int) -> Any:
        s = self.sessions.pop(user, None) or self.new_session()
        self.sessions[user] = s
        while len(self.sessions) > self.max_users:
            self.sessions.popitem(last=False)
        return s

    def add(self, record: AnswerRecord, question_message: int | None) -> str:
        key = secrets.token_urlsafe(6)
        self.answers[key] = record
        while len(self.answers) > self.max_answers:
            self.answers.popitem(last=False)
        if question_message is not None:
            self.asked[question_message] = key
            while len(self.asked) > self.max_answers:
                self.asked.popitem(last=False)
        return key

    def get(self, key: str) -> AnswerRecord | None:
        record = self.answers.get(key)
        if record is not None:
            self.answers.move_to_end(key)
        return record
