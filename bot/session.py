"""Conversation state shared by the terminal chat and the Telegram bot: the last question,
its pages of passages, and the context a follow-up question inherits."""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from index.search.analyze import Analyzer
from index.reading.corpus import Chunk

from index.answering.answer import Answer, Answerer, clean_question
from index.answering.asked import asks_for
from index.filters import Where
from index.answering.rescore import DEPTH

MAX_K = 10
MAX_TOTAL = DEPTH  # passages the answer service ranks at first ("of 20+" when it may rank more)
# A follow-up leans on the previous question: it starts by continuing it ("and with Russia?"),
# or points back with a pronoun ("who signed it?"), or is a fragment ("why?", "in 1990?").
_PRONOUN = re.compile(r"\b(it|its|they|them|their|he|him|his|she|her|that|this|those|these|"
                      r"there|then|same)\b", re.I)
_CONTINUE = re.compile(r"^\s*(?:and what about|and how about|what about|how about|what of|"
                       r"and also|also|and)\b[\s,]*", re.I)
_WH = re.compile(r"^\s*(when|who|whom|whose|what|which|why|how|where)\b", re.I)
_WH_AUX = re.compile(r"^\s*(?:(?:when|who|whom|whose|what|which|why|how(?: many| much)?|where)"
                     r"(?:\s+\w+)?\s+(?:did|does|do|was|were|is|are|has|have|had|will|would|"
                     r"can|could))\b\s*", re.I)
_WORD = re.compile(r"[^\W_][\w’'-]*")
_PERSONAL = frozenset({"he", "him", "his", "she", "her"})  # a person's pronouns
_YEAR = re.compile(r"\b(?:1[5-9]\d\d|20\d\d)\b")
_SMALL_WORDS = set("in on at by for from to of the a an and or since until before after during "
                   "then so did was were is are".split())
FOLLOW_UP_WORDS = 8  # a longer line is a question of its own
_CARRIED = re.compile(r"\(([^()]+)\)")  # the topic a follow-up was read with: 'Who … it (topic)
# Small talk: a whole line of greeting, thanks or acknowledgement, and the one line it gets.
SMALL_TALK = (
    (re.compile(r"^(hi|hello|hey|hiya|howdy|yo|greetings|good (morning|afternoon|evening|day))"
                r"( there| all| everyone| bot| docbot)?$", re.I),
     "Hello! Ask me a question about the documents."),
    (re.compile(r"^(thanks?( a lot| so much| you)?|thank you( very much| so much)?|thx|ty|"
                r"cheers|much appreciated|great,? thanks?)$", re.I),
     "You're welcome — ask another question any time."),
    (re.compile(r"^(ok|okay|k|kk|cool|great|nice|good|fine|alright|all right|sure|got it|"
                r"i see|understood|perfect|wow|yes|no|yep|nope|right|lol|hm+|ah+|oh+)$", re.I),
     "OK. Ask another question whenever you like."),
    (re.compile(r"^(bye|goodbye|good bye|see you|see ya|good night|cya)$", re.I),
     "Goodbye! Come back with a question any time."),
)


def small_talk(text: str) -> str | None:
    """The one-line reply to a greeting, thanks or 'ok', or None for anything else."""
    core = re.sub(r"[\W_]+", " ", text).strip()
    if not core and text.strip():
        return None if any(ch.isalnum() for ch in text) else SMALL_TALK[2][1]  # 👍, :)
    for pattern, reply in SMALL_TALK:
        if pattern.match(core):
            return reply
    return None


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
    """One user's conversation. Not thread-safe: one per user and chat."""

    answerer: Answerer
    k: int = 3
    question: str | None = None  # the last question as searched (a follow-up, as read)
    answer: Answer | None = None
    shown: list = field(default_factory=list)  # passages shown so far for the last question
    where: Where | None = None  # /filter: the documents and dates answers come from

    def ask(self, text: str) -> Answer:
        """Answer a question, reading it as a follow-up of the last one when it has the shape
        of one. Small talk gets its one line and leaves the conversation as it was."""
        q, notice = clean_question(text)
        chat = small_talk(q)
        if chat is not None:
            return Answer(text, False, chat)
        searched, assumed = self._resolve(q)
        answer = self.answerer.ask(searched, k=self.k, where=self.where).with_(question=text)
        if notice and answer.answered and not answer.message:
            answer = answer.with_(message=notice)  # the question was cut before it was searched
        if assumed and answer.passages:
            answer = answer.with_(assumed=assumed)
        if answer.answered:  # an unanswered line leaves the context to follow up on
            self.question, self.answer = searched, answer
        if answer.passages:  # closest passages too can be opened with /source N
            self.shown = list(answer.passages)
        return answer

    def page(self, searched: str, question: str, offset: int) -> Answer:
        """Passages offset+1… of a question (as searched), labelled with the question as asked:
        the one pager of the chat and the Telegram buttons."""
        return self.answerer.ask(searched, k=self.k, offset=max(0, offset),
                                 where=self.where).with_(question=question, facts=())

    def more(self) -> Answer | None:
        """The next page of passages for the last question; None when there was none."""
        if self.question is None or self.answer is None or not self.answer.answered:
            return None
        page = self.page(self.question, self.answer.question, len(self.shown))
        self.shown += page.passages
        return page

    def total(self, answer: Answer) -> int:
        """How many passages the answer service ranked for the question; at least those
        shown."""
        if not answer.answered:
            return 0
        return max(answer.total, max((p.rank for p in answer.passages), default=0))

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

    def follows_up(self, q: str) -> bool:
        """Whether a line has the shape of a follow-up: it continues the last question ("and
        with Russia?"), or points back with a pronoun or is a fragment ("who signed it?",
        "why?", "in 1990?") and names no party of its own."""
        if self.question is None or not q:
            return False
        if _CONTINUE.match(q):
            q = _CONTINUE.sub("", q, count=1)
            if not _WH.match(q):
                return True
            # 'and who was the Russian foreign minister?': a question of its own unless it
            # points back or is a fragment ('and who signed it?', 'and when?')
        words = _WORD.findall(q)
        parties, _ = self._split(q)
        if parties or len(words) > FOLLOW_UP_WORDS:
            return False
        if _PRONOUN.search(q):
            return True
        # a fragment: no words of its own but a question word, a year or small words
        own = [w for w in words if not (_WH.fullmatch(w) or _YEAR.fullmatch(w)
                                        or w.casefold() in _SMALL_WORDS)]
        return len(words) <= 3 and not own

    def _resolve(self, q: str) -> tuple[str, str | None]:
        """(the question to search, 'Read as: …' when it was read with the last question)."""
        if not self.follows_up(q):
            own = _CONTINUE.sub("", q, count=1)
            # 'and who was …?' asked on its own: the question without its 'and'
            return (_cap(own) if own != q and _WH.match(own) else q), None
        read = self._read_as(q, self.question or "")
        if read is None or read.casefold() == q.casefold():
            return q, None
        return read, f"Read as: {read}"

    def _read_as(self, q: str, last: str) -> str | None:
        """The follow-up as a question of its own, in words taken from the two."""
        analyzer = self.answerer.index.analyzer
        last_q = last.strip().rstrip("?.! ")
        rest = _CONTINUE.sub("", q, count=1).strip().rstrip("?.! ")
        new_parties = [t for t in analyzer.tokens(rest) if analyzer.display_names.get(t.term)]
        if _CONTINUE.match(q) and new_parties:
            # "and with Russia?": Russia takes the place of the last question's last party
            # (not one the two questions share)
            new = {analyzer.display_names[t.term] for t in new_parties}
            old = [t for t in analyzer.tokens(last_q) if analyzer.display_names.get(t.term)
                   and analyzer.display_names[t.term] not in new]
            if old:
                t, n = old[-1], new_parties[0]
                return (last_q[: t.start] + rest[n.start : n.end] + last_q[t.end :]) + "?"
            return f"{last_q}, {rest}?"
        wh = _WH.match(q)
        words = _WORD.findall(rest)
        aux = _WH_AUX.match(last_q)
        if wh and len(words) == 1 and aux:
            # "why?": the last question with this question word
            return _cap(wh.group(1)) + last_q[_WH.match(last_q).end() :] + "?"
        years, last_years = _YEAR.findall(rest), list(_YEAR.finditer(last_q))
        if years and last_years and len(words) <= 2:
            # "in 1990?": the last question about that year
            y = last_years[-1]
            return last_q[: y.start()] + years[0] + last_q[y.end() :] + "?"
        pronoun = _PRONOUN.search(rest)
        carried = _CARRIED.search(last_q) if self.answer is not None and self.answer.assumed else None
        # a follow-up of a follow-up keeps the topic the first one carried
        topic = carried.group(1) if carried else self._topic(last_q)
        person = self._person()
        if pronoun and person and pronoun.group(1).casefold() in _PERSONAL:
            topic = person  # 'when was he recalled?' after 'who was …?': the one answered
        if pronoun and topic:
            # what the follow-up asks of the topic is quoted: the answer must say it ('who
            # signed it?' is not answered by a sentence on the relations that names no signing)
            _, own = self._split(rest)
            said = re.compile(r"\b(" + "|".join(map(re.escape, own)) + r")\b") if own else None
            asked = rest[: pronoun.end()] + f" ({topic})" + rest[pronoun.end() :]
            if said is not None:
                cut = pronoun.end()
                asked = (said.sub(r"“\1”", rest[:cut]) + f" ({topic})"
                         + said.sub(r"“\1”", rest[cut:]))
            return _cap(asked) + "?"
        if rest:
            return f"{last_q}, {rest}?"
        return None

    def _person(self) -> str | None:
        """The person the last answer named, when its question asked who: what a 'he' or
        'she' of the next question stands for."""
        a = self.answer
        if a is None or a.status != "answer" or a.direct is None or a.direct.kind != "span":
            return None
        return a.direct.text if asks_for(a.question) == "name" else None

    def _topic(self, last_q: str) -> str:
        """What the last question was about: its words after the question word and its
        auxiliary, up to its last party ("the treaty between Russia and North Korea"), or to
        its end when more than a verb follows ("Mongolia and North Korea establish diplomatic
        relations")."""
        analyzer = self.answerer.index.analyzer
        m = _WH_AUX.match(last_q) or _WH.match(last_q)
        start = m.end() if m else 0
        parties = [t for t in analyzer.tokens(last_q) if analyzer.display_names.get(t.term)
                   and t.start >= start]
        end = parties[-1].end if parties else len(last_q)
        if len(_WORD.findall(last_q[end:])) >= 2:
            end = len(last_q)  # what they did is the topic: "… establish diplomatic relations"
        topic = last_q[start:end].strip(" ,")
        noun = re.match(r"^\s*(?:what|which|how many|how much)\s+([^\W\d_][\w-]*)\s+"
                        r"(?:did|does|do|was|were|is|are|has|have|had)\b", last_q, re.I)
        if noun and m is not None and m.end() > noun.start(1):  # "What treaty did …"
            topic = f"the {noun.group(1)}, {topic}"
        return topic


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]
