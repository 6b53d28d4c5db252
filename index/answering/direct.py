"""The direct answer to a question: the date, figure or name it asks for, cut from the best
sentence (or given by a matching fact), else the best sentence itself. Extractive only: the
text occurs verbatim in the passage or in the fact."""
from __future__ import annotations

import re
from bisect import bisect_left
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Callable, Iterable, Iterator, Sequence

from .asked import (CITING_WORDS, DATE_RE, GENERIC, INITIAL_WORD, LETTER_WORD_RE, MONTHS,
                    NUMBER_RE, PERIOD_RE, PLACE_WORDS, ROLES, TITLE_MODIFIERS, TITLE_WORDS,
                    WEEKDAYS, Asked, after_role, asked, asked_noun, asked_words, norm, personal,
                    quoted, same_word, title_run, title_words, titled, words, years_in)
from .constraints import (LOCATIVE_WORDS, OFFICES, RANKS, Constraints, fold_name, people_words,
                          sentence_conflicts, thing_elsewhere)
from ..facts import human_date, human_figure
from ..search.analyze import base_form
from ..search.translit import latin_spellings
from ..reading.corpus import is_field_line, is_head_line, paragraphs
from ..sentences import sentence_spans

LINE = 110  # characters of a sentence answer shown as the answer line (two phone lines, bold)

_MONEY_RE = re.compile(r"US\$|USD|[$€£¥]|\b(?:dollars?|euros?|pounds|yen|yuan|rubles?|tugriks?)\b", re.I)
_PRICE_RE = re.compile(r"\b(?:cost|costs|price|paid|pay|spend|spent|worth|budget|money|revenue|income)\b"
                       r"|\bhow much\b.*\b(?:sold|bought)\b", re.I)
_AMOUNT_RE = re.compile(r"\d|%|[$€£¥]|\b(?:hundred|thousand|million|billion|percent|per cent)\b", re.I)
_LOCATIVE_RE = re.compile(r"\b(?:%s)\s+(?:the\s+)?$" % "|".join(LOCATIVE_WORDS), re.I)
_LIGHT_VERBS = frozenset("hold held take took taken place happen happened occur occurred"
                         .split())  # as norm() gives them
_CLAUSE_RE = re.compile(r"[,;:()]|\s[—–-]\s|\n\s*\n")  # a blank line too: an entry's head ends
_AND_RE = re.compile(r"\s(?:and|but)\s")  # what joins two clauses (or two of anything)
# words a figure keeps after it in the answer line: units of measure, money, multipliers;
# a noun it counts is the question's to say ('How many points …?' -> '308', not '308 points'
# nor a fragment like 'two forced' of 'two forced fumbles')
_UNIT_WORD_RE = re.compile(
    r"(?:years?|months?|weeks?|days?|hours?|minutes?|seconds?|decades?|century|centuries"
    r"|millennia|millennium|km|kilomet(?:er|re)s?|met(?:er|re)s?|miles?|feet|foot|yards?|inch(?:es)?"
    r"|cm|mm|m|km2|mi|sq|acres?|hectares?|ha|square|cubic|tons?|tonnes?|gigatons?|megatons?|kg"
    r"|kilograms?|grams?|pounds?|ounces?|litres?|liters?|gallons?|barrels?|head|bytes?|kbytes?"
    r"|[kKMGTP]i?B|[kKMGT]b(?:it)?s?|[kMGT]?Hz|[kMG]?W|watts?|volts?|degrees?|°[CF]?|percent"
    r"|per|cent|mph|km/h|dollars?|euros?|yen|yuan|rubles?|tugriks?|francs?"
    r"|shillings?|million|billion|trillion|times|fold)", re.I)


_UNREAD: Any = object()  # direct_answer's default: read the question here


@dataclass(frozen=True)
class DirectAnswer:
    """text: what to say first; kind: fact | span | sentence | note (an endnote of the
    passage, with the note it repeats for an "Ibid."); chunk_id: the passage it was cut
    from (or the fact's passage); fact: the fact's id for kind fact; sentence: the sentence
    (or the fact's quote) it stands in; line: text as an answer line of at most LINE
    characters (a long sentence is cut to its clauses about the question, marked with …)."""

    text: str
    kind: str
    chunk_id: str | None
    fact: str | None
    sentence: str
    line: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"text": self.text, "kind": self.kind, "chunk_id": self.chunk_id,
                "fact": self.fact, "sentence": self.sentence}


def direct_answer(question: str, passages: Sequence, facts: Sequence = (),
                  ask: Any = _UNREAD, cons: Constraints | None = None,
                  around: str = "", unnamed: bool = False,
                  common: Callable[[str], bool] | None = None,
                  fact_first: bool = False,
                  paragraph: tuple[Any, int] | None = None,
                  spans: Sequence[tuple[int, int]] | None = None) -> DirectAnswer | None:
    """The direct answer to question from its ranked passages (index.answering.answer.Passage) and
    matching facts (FactMatch or Fact), or None when there is neither. ask: what the question
    asks for (an Asked, or None for nothing of a shape) as the answer service already read
    it; by default it is read here. around: the text around passage 1, itself included (what
    it says of a person it names). cons: the question's constraints (the passages and facts
    given meet them); a sentence that speaks of other years than the question's, or places
    what it says in other states, gives no answer line. unnamed: the best sentence lacks a
    name the question gives, or what it asks a value of (Answerer._unnamed): no span is cut
    from it. common: whether the documents write a word in lower case (a common noun's,
    never a person's name: 'Working Group'). Precision first: a span must be of the asked
    type (a person for who, a number counting the asked noun, never a date's day); without
    one, a fact holding the asked value comes before the best sentence. fact_first: the best
    fact says what the question asks about and the best sentence does not
    (Answerer._fact_first): the fact's value is the answer. paragraph: when passage 1 is a
    part of a split paragraph, the whole paragraph (its text and endnotes) and where the
    part's text starts in it: a question about what is cited is answered by any of its notes.
    spans: passage 1's sentences as the index stored them (sentence_spans of its text), when
    it did: not split again here."""
    if ask is _UNREAD:
        ask = asked(question)
    wants = ask.kind if ask is not None else "other"
    fact = _fact_answer(question, wants, facts)
    if fact is not None and cons is not None and thing_elsewhere(cons, f"{fact.text} {fact.sentence}"):
        fact = None  # 'closes its embassy in Mongolia' for the embassy in Pyongyang
    if not passages:
        if fact is None and facts:  # facts alone answer it: the best one's quote
            f = getattr(facts[0], "fact", facts[0])
            # a table row whose layout was lost ('198519861987 10,718,7') reads as the fact
            said = f.quote if _LETTER_RE.findall(f.quote) else f.text
            return DirectAnswer(said, "sentence", f.passage, f.id, f.quote, clip(said, []))
        return fact
    p = passages[0]
    h, chunk = p.highlight, p.hit.chunk
    sentence = h.sentence
    if fact is not None and (fact_first or _squash(fact.sentence) in _squash(sentence)):
        return fact  # the fact and the best sentence agree, or the sentence is about else
    if cons is not None and sentence_conflicts(cons, sentence, states=wants != "place"):
        return fact  # the best sentence is about another year or state: nothing to cut from it
    whole, at = paragraph if paragraph is not None and cites(question) else (chunk, 0)
    note = cited_note(question, whole, at + h.start, at + h.end,
                      cons.places if cons is not None else frozenset())
    if note is not None:  # the source it asks for, or what only an endnote names
        text = note.text + (f" (= {note.see})" if note.see else "")
        return DirectAnswer(text, "note", chunk.id, None, text, f"[{note.mark}] {text}")
    nxt = _continued(chunk.text, h, ask, spans)
    if nxt is not h and not (cons is not None and sentence_conflicts(
            cons, nxt.sentence, states=wants != "place")):
        h, sentence = nxt, nxt.sentence
    h = _with_head(chunk.text, h)
    sentence = h.sentence
    terms = [(s - h.start, e - h.start) for s, e in h.terms if s >= h.start and e <= h.end]
    # where: the sentence, not a place cut from it (on SQuAD a place cut out was right less
    # often than the sentence around it: .43 against .59)
    # "what is the name of the stadium": a thing's name, which the person a span would be
    # is not (on SQuAD's fitting half such spans held the answer in 17 of 54; their
    # sentences in 44)
    span = (_span(question, ask, sentence, terms, cons, common)
            if ask is not None and ask.kind != "place" and not _names_a_thing(question)
            else None)
    if span is None and ask is not None and ask.kind == "name":
        # 'he was sent to South Korea as Ambassador': whom the sentence's 'he' stands for
        at = antecedent(question, ask, chunk.text, h.start, h.end, cons)
        if at is not None:
            span = chunk.text[at[0]:at[1]]
    if span is not None and ask.kind == "name" and (
            _serves_elsewhere(around or chunk.text, sentence, span, cons)
            or _owned_elsewhere(around or chunk.text, span, cons)):
        # 'Ambassador Dorj', whom the passage sent to Pyongyang, not to Ulaanbaatar; whom
        # the Mongolian government sent, not China's
        span = None
    if unnamed:
        span = None  # the sentence is about someone or something the question does not name
    if span is not None:  # the best sentence says it, not the fact's
        return DirectAnswer(span, "span", chunk.id, None, sentence, span)
    if fact is not None:  # it meets the question's constraints and holds the asked value
        return fact
    return DirectAnswer(sentence, "sentence", chunk.id, None, sentence, _line(sentence, terms))


def _line(sentence: str, terms: list[tuple[int, int]]) -> str:
    """The answer line of a sentence: clipped to LINE, and for an entry's head read past its
    fields to what it says ('class …Handler[source]', 'Bases: object', 'Base file system event
    handler …'), the head and what it says, the fields left out (marked …) when all do not fit."""
    parts = list(paragraphs(sentence))
    if (len(sentence) > LINE and len(parts) >= 3 and is_head_line(parts[0].group())
            and all(is_field_line(m.group()) for m in parts[1:-1])):
        head, said = " ".join(parts[0].group().split()), parts[-1]
        room = LINE - len(head) - 3
        if room >= 40:
            rest = clip(said.group(), [(s - said.start(), e - said.start()) for s, e in terms
                                      if s >= said.start()], room)
            return f"{head} … {rest.lstrip('…')}"
    return clip(sentence, terms, LINE)


def _continued(text: str, h: Any, ask: Asked | None,
               spans: Sequence[tuple[int, int]] | None = None) -> Any:
    """The best sentence, or the one after it when that one, read with the sentence before
    it, holds more of the question's words: it says what the sentence before sets up
    ("… signed the treaty. It was ratified in 1962."). Each sentence counts its own words once
    and half of those only the sentence before it holds. spans: sentence_spans(text), when
    known."""
    if spans is None:
        spans = sentence_spans(text)
    at = next((k for k, (a, b) in enumerate(spans) if a <= h.start < b), None)
    if at is None or at + 1 >= len(spans):
        return h
    said = [{norm(text[ts:te]) for ts, te in h.terms if a <= ts and te <= b} for a, b in spans]

    def score(k: int) -> float:
        before = said[k - 1] - said[k] if k > 0 else set()
        return len(said[k]) + len(before) / 2

    nxt = spans[at + 1]
    if score(at + 1) <= score(at):
        return h
    if ask is not None and not ask.found(text, *nxt):
        return h  # the value asked is not in it
    return h._replace(start=nxt[0], end=nxt[1], sentence=text[nxt[0]:nxt[1]])


_CITING = frozenset(norm(w) for w in CITING_WORDS.split())
_BLANK_BEFORE_RE = re.compile(r"\n[ \t\r\f\v]*\n\s*$")
_BLANK_AFTER_RE = re.compile(r"[ \t\r\f\v]*\n[ \t\r\f\v]*\n\s*")


def _with_head(text: str, h: Any) -> Any:
    """The sentence with the entry's head before it, when it is the first of an entry (a
    line of its own above it, set off by a blank line, that ends as no sentence does): '-k
    --keep' and 'Keep (don't delete) input files' are one answer. A head alone, with the
    first sentence of what it heads ('--novalid', 'Skip loading the document's DTD.')."""
    if is_head_line(h.sentence):
        # past its fields ('Bases: object'), to what it says
        spans, end = None, h.end
        for _ in range(3):
            after = _BLANK_AFTER_RE.match(text, end)
            if after is None:
                return h
            spans = spans if spans is not None else sentence_spans(text)
            nxt = next(((s, e) for s, e in spans if s == after.end()), None)
            if nxt is None:
                return h
            if not is_head_line(text[nxt[0]:nxt[1]]):
                return h._replace(end=nxt[1], sentence=text[h.start:nxt[1]])
            if not is_field_line(text[nxt[0]:nxt[1]]):
                return h  # another entry's head: a list of them
            end = nxt[1]
        return h
    before = text[:h.start]
    if not _BLANK_BEFORE_RE.search(before):
        return h
    line_start = before.rstrip().rfind("\n") + 1
    head = before[line_start:].strip()
    if not is_head_line(head) or not (line_start == 0 or _BLANK_BEFORE_RE.search(text[:line_start])):
        return h
    start = line_start + (len(before[line_start:]) - len(before[line_start:].lstrip()))
    return h._replace(start=start, sentence=text[start:h.end])


def cites(question: str) -> bool:
    """Whether the question asks what is cited ('which source is cited for …')."""
    return any(norm(w) in _CITING for w in words(question))


def cited_note(question: str, chunk: Any, start: int, end: int,
               places: frozenset = frozenset()) -> Any | None:
    """The endnote of a passage that answers a question, when one does: for a question
    about what is cited ("which periodical is cited for …"), the note holding most of the
    names it asks about, else the one whose marker ends the answering sentence
    (text[start:end]) or follows it; for any question, the note that alone holds a name the
    passage's text does not ("where was Barkmann's collection published?"), other than a
    place (folded names, places): a note names the city its source was published in, which
    says nothing of who led a delegation there. Names are met in a note as written or in
    its Latin spelling."""
    notes = getattr(chunk, "notes", ())
    if not notes:
        return None
    said = words(question)
    # names of someone or something ('Barkmann'), not words any title or body has
    names = {norm(w) for w in said[1:] if w[:1].isupper() and norm(w) not in GENERIC
             and w.casefold() not in TITLE_WORDS}
    citing = cites(question)
    text = {norm(w) for w in words(chunk.text)}
    held = []
    for n in notes:
        note_words = {norm(w) for t in (n.text, *latin_spellings(n.text)) for w in words(t)}
        held.append(names & note_words)
    alone = [len(h - text - places) for h in held]
    if not citing:
        best = max(range(len(notes)), key=lambda i: (alone[i], -i))
        return notes[best] if alone[best] else None
    if any(held):
        return notes[max(range(len(notes)), key=lambda i: (len(held[i]), -i))]
    # the first marker from the answering sentence on (it may follow its full stop)
    marked = sorted((at, i) for i, at in enumerate(
        chunk.text.find(f"[{n.mark}]", start) for n in notes) if at >= 0)
    return notes[marked[0][1]] if marked else None


# a person as a clause's subject: the sentence says what someone named before did (not
# 'his', 'him': 'the high point of his activities' is about something else)
_PRONOUN_RE = re.compile(r"\b(?:[Hh]e|[Ss]he)\b")


def antecedent(question: str, ask: Asked, text: str, start: int, end: int,
               cons: Constraints | None = None) -> tuple[int, int] | None:
    """The person a 'he' or 'she' of text[start:end] stands for, as offsets in text: the
    first one named in the nearest sentence before it (in its passage) that names someone,
    when that one is of the type asked (a person, not the question's own, not another
    office's holder). Only for who held an office the question names ('he was sent to South
    Korea as Ambassador'): on SQuAD's fitting half a pronoun's person answered other
    who-questions right in 1 of 4. None otherwise."""
    if cons is None or not cons.roles or not _PRONOUN_RE.search(text, start, end):
        return None
    for s0, e0 in reversed(sentence_spans(text[:start])):
        piece = text[s0:e0]
        first = next(((s, e) for s, e, _ in ask.each_candidate(piece)
                      if _someone(piece, s, e, cons)), None)
        if first is None:
            continue
        # the pronoun's person is the first one named; when that is not of the type asked
        # (the question's own person: 'who did Luther strike out against?'), no one is
        # (the office is said where the pronoun stands, not where its person is named)
        if any((s, e) == first for s, e, _ in typed_candidates(question, ask, piece, (), cons,
                                                               office_said=False)):
            return s0 + first[0], s0 + first[1]
        return None
    return None


def _someone(text: str, s: int, e: int, cons: Constraints | None) -> bool:
    """Whether the name at text[s:e] may be a person's: one read as a person's, or a single
    word that is no acronym, body, office nor known place ('Luther'; not 'CPSU', 'Moscow
    Academy of Social Sciences')."""
    name = text[s:e]
    if quoted(text, s, e) or _place(name, cons) or _no_one(name):
        return False
    if personal(text, s, e):
        return True
    said = words(name)
    return len(said) == 1 and not name.isupper() and norm(name) not in GENERIC


# -- facts -------------------------------------------------------------------------------------


def _fact_answer(question: str, wants: str, facts: Sequence) -> DirectAnswer | None:
    """The best matching fact, when it gives what the question asks for: its date for a
    when-question, its figure for a how-many/how-much question whose noun is the fact's unit
    (or that names none)."""
    if not facts or wants not in ("date", "number"):
        return None
    f = getattr(facts[0], "fact", facts[0])
    if wants == "date":
        text = f"{human_date(f.date)} — {f.title}"
    else:
        if f.value is None:
            return None
        if _PERCENT_ASKED_RE.search(question) and not _PERCENT_RE.search(f.unit or ""):
            return None  # 'what percentage' is no amount in USD million
        noun = asked_noun(question)
        unit = {norm(w) for w in words(f.unit or "")}
        if noun and not ({norm(noun)} & unit):
            return None
        text = f"{human_figure(f.value, f.unit)} — {f.title}"
    return DirectAnswer(text, "fact", f.passage, f.id, f.quote, text)


# -- spans -------------------------------------------------------------------------------------


# the nouns of people: "the name of the quarterback" asks for a person
_PEOPLE = frozenset(norm(w) for w in ROLES | {
    "man", "woman", "men", "women", "people", "person", "player", "quarterback", "coach",
    "actor", "actress", "singer", "composer", "scientist", "astronaut", "doctor", "artist",
    "architect", "writer", "wife", "husband", "son", "daughter", "father", "mother", "child"})
_NAME_OF_RE = re.compile(
    r"\bnames? of (?:the |a |an |this |that |his |her |their |its |one |another )?"
    r"((?:[\w'’-]+ ){0,4}?[\w'’-]+?)(?= who\b| that\b| which\b| where\b| whose\b| when\b"
    r"| in\b| on\b| at\b| for\b| to\b| from\b| of\b| by\b| with\b| did\b| was\b| is\b"
    r"| used\b|\?|$)", re.I)


def _names_a_thing(question: str) -> bool:
    """Whether the question asks for the name of something that is no person ('the name of
    the stadium', not 'the name of the ambassador')."""
    m = _NAME_OF_RE.search(question)
    return m is not None and norm(m.group(1).split()[-1]) not in _PEOPLE


def _squash(text: str) -> str:
    return " ".join(text.split())


_HOW_MANY_RE = re.compile(r"\bhow many\b", re.I)
_AMOUNT_ASKED_RE = re.compile(r"\bhow much\b|\b(?:worth|share|value|amount|total|cost|price)\b",
                              re.I)
# 'how big is the dictionary', 'how large is the campus': a size; 'how big was the
# delegation' asks a count ('60 businessmen'), as of any body of people
_SIZE_ASKED_RE = re.compile(r"\bhow (?:big|large)\b", re.I)
_GROUPS = frozenset(norm(w) for w in (
    "delegation contingent team army force forces crowd population family group staff crew "
    "class fleet party mission audience workforce membership community congregation entourage "
    "household tribe nation city town village company firm").split())
_QUANTITY_ASKED_RE = re.compile(
    r"\bhow (?:much\s+(?!did|does|do|was|were|is|are|has|have|had|will|would|can|could)\w+"
    r"|heavy|fast)\b", re.I)


# a when-question that asks for a month, a weekday, a decade or a century, and what gives one
_TIME_ASKED = tuple((re.compile(asked, re.I), re.compile(gives)) for asked, gives in (
    (r"\b(?:what|which) month\b", r"\b(?:%s)\b" % "|".join(MONTHS)),
    (r"\b(?:what|which) day of the week\b", r"\b(?:%s)s?\b" % "|".join(WEEKDAYS)),
    (r"\b(?:what|which) decade\b", r"\d0s\b|\b(?:twenties|thirties|forties|fifties|sixties"
     r"|seventies|eighties|nineties)\b"),
    (r"\b(?:what|which) century\b", r"\b\d{1,2}(?:st|nd|rd|th)\b|\bcentur(?:y|ies)\b"),
))
# the first word of a place's name: a point of the compass ('North Carolina', 'Central Asian'
# is a people), a fort, a mountain, a lake …
_PLACE_OPENER_RE = re.compile(
    r"(?:North|South|East|West|Northern|Southern|Eastern|Western|Central"
    r"|North-?[Ee]ast(?:ern)?|North-?[Ww]est(?:ern)?|South-?[Ee]ast(?:ern)?"
    r"|South-?[Ww]est(?:ern)?|Fort|Mount|Mt\.|Lake|Cape|Port|Camp)(?![\w-])")
_LONG_WORD_RE = re.compile(r"[^\W\d_]{2,}")
_LETTER_RE = re.compile(r"[^\W\d_]{3,}")  # a word of three letters or more


def _ends_common(name: str, common: Callable[[str], bool]) -> bool:
    """Whether the last word of a capitalised run (initials aside) is one the documents write
    in lower case more often than capitalised: a common noun ('Group'), not a surname."""
    last = _LONG_WORD_RE.findall(name)
    return bool(last) and common(last[-1])


def typed_candidates(question: str, ask: Asked, text: str, terms: Sequence = (),
                     cons: Constraints | None = None, office_said: bool = True,
                     common: Callable[[str], bool] | None = None
                     ) -> Iterator[tuple[int, int, float]]:
    """The spans of text of the type the question asks for: a person for who (never a
    country, a body, a title in quotes, nor the question's own person; for who held an
    office, one whose sentence says it, unless office_said is False), a date for when, for
    how many a number (never a date's day; of the asked noun when the text names it; an
    amount, not a count, for a how-much without a noun). common: whether the documents write
    a word in lower case; a person's name does not end in such a word."""
    wants = ask.kind
    noun = ask.noun
    # a count of the asked noun: when the text names the noun, only a number of it (not for
    # 'how much memory': '3700 kbytes' measures it in a unit); whether the text names it is
    # read at the first candidate that needs it
    count_asked = bool(noun) and _HOW_MANY_RE.search(question) is not None
    counted_words = {norm(w) for w in ask.nouns}  # 'orphans', or 'Korean' of 'Korean orphans'
    noun_here = None
    # "how much" without a noun asks for an amount: figures, not a count of things
    amount = wants == "number" and not noun and _AMOUNT_ASKED_RE.search(question)
    # "how much memory": a quantity in a unit ('64 MiB', '10 tons'), not a count of something
    # else ('one thread'); "how big" may ask for a count ('how big was the delegation')
    quantity = wants == "number" and _QUANTITY_ASKED_RE.search(question)
    size_asked = (wants == "number" and _SIZE_ASKED_RE.search(question)
                  and not any(norm(w) in _GROUPS for w in words(question)))
    unit_of_time = next((rx for asked_rx, rx in _TIME_ASKED if asked_rx.search(question)),
                        None) if wants == "date" else None
    offices = _asked_offices(ask, cons) if wants == "name" else []
    # who held an office: the words that say it, which the name's sentence must hold
    said_offices = _office_words(cons) if wants == "name" and office_said else frozenset()
    sentences: list[tuple[int, int]] | None = None
    # one at a time: a caller that needs only the first (gives) reads no further
    spans = ask.candidates(text, terms=terms) if terms else ask.each_candidate(text)
    heads = {norm(w) for w in _heads(question)} if wants == "name" else set()
    for s, e, known in spans:
        if heads:
            # 'NFL Commissioner Roger Goodell' when the commissioner is asked: the office
            # the question says ends the title, the name follows
            inner = [m for m in LETTER_WORD_RE.finditer(text, s, e)
                     if norm(m.group()) in heads]
            after = LETTER_WORD_RE.search(text, inner[-1].end(), e) if inner else None
            if after is not None:
                s = after.start()
                rest = [w for w in words(text[s:e]) if not INITIAL_WORD.fullmatch(w)]
                known = sum(norm(w) in ask.words for w in rest) / max(1, len(rest))
        if wants == "name" and cons is not None and _LOCATIVE_RE.search(text, max(0, s - 16), s):
            # 'Ambassador to Moscow Park Y Chung': the place ends the title, the name follows
            first = _FIRST_WORD_RE.match(text, s, e)
            if first is not None and first.end() < e and _place(first.group(1), cons):
                s = first.end()
                rest = [w for w in words(text[s:e]) if not INITIAL_WORD.fullmatch(w)]
                known = sum(norm(w) in ask.words for w in rest) / max(1, len(rest))
        if wants == "number" and _day_of_month(text, s, e):
            continue  # "26" of "26 March 1990" counts nothing
        if unit_of_time is not None and not unit_of_time.search(text, s, e):
            continue  # 'what month' is no year ('May', not '1999'); 'what decade' a decade
        if count_asked and noun_here is None:
            noun_here = any(norm(w) in counted_words for w in words(text))
        if noun_here and not _counts(text, s, e, counted_words):
            continue
        if amount and not _AMOUNT_RE.search(text[s:e]):
            continue  # 'two states' counts; it is no amount
        if (quantity or size_asked) and not _in_units(text, s, e):
            continue  # 'how big is the dictionary': a size, not 'three threading methods'
        if wants == "number" and _in_reference(text, s):
            continue  # 'p. 211, 142': pages of a source count nothing
        if wants == "number" and _PRONOUN_ONE_RE.match(text, s):
            continue  # 'One can adjust the block size': no figure
        if wants == "number" and (not text[:s].strip(" (") and _ENUMERATOR_RE.match(text, s)
                                  or _ITEM_RE.match(text, s)):
            # '2) The MPR government would …', '… and 3. to keep an eye on …': an item's
            # number counts nothing
            continue
        if wants == "name" and _no_one(text[s:e]):
            continue  # 'Ministry' of 'Foreign Ministry', a treaty: no one, whatever stands before
        if wants == "name" and (not personal(text, s, e) or _place(text[s:e], cons)):
            continue  # who: a person, never a country ('North Koreans'), a body or a title
        if wants == "name" and _PLACE_OPENER_RE.match(text, s):
            continue  # 'North Carolina', 'Fort Edward', 'Central Asian': a place or a people
        if wants == "name" and common is not None and _ends_common(text[s:e], common):
            continue  # 'Dynastic Name', 'Moving Image': capitalised common nouns, no one's name
        if wants == "name" and _own_name(text, s, e, ask):
            continue  # 'Sh. Gungaadorj' is the question's own Gungaadorj
        if wants == "name" and _other_office(text, s, e, offices):
            continue  # 'Foreign Minister Sh. Altangerel' is no committee's chairman
        if wants == "name" and _other_state(text, s, e, cons):
            continue  # 'DPRK Foreign Minister Paek Nam Sun' is not the Russian one
        if said_offices:
            if sentences is None:
                sentences = sentence_spans(text)
            if not _office_said(text, s, sentences, said_offices):
                # 'Lieutenant General J. Jamyanjav brought aid shipments' names no
                # ambassador, whatever the passage says around it
                continue
        if wants == "name" and terms and _reporter(text, s, e, ask, terms):
            continue  # 'Agence France Presse reported that …' did not sign the treaty
        if wants == "date" and terms and _report_date(text, s, ask, terms):
            continue  # 'KCNA said on February 12 that … talks last week': the report's day
        if wants == "place" and (titled(text, s, e) or quoted(text, s, e) or not (
                _LOCATIVE_RE.search(text, max(0, s - 16), s)
                or cons is not None and fold_name(text[s:e]) in cons.places)):
            # where: a place, after 'in', 'at' … or one known as a place; not the person
            # there, a title, nor any capitalised word ('Coincidentally', 'Roman numerals')
            continue
        yield s, e, known


def _own_name(text: str, s: int, e: int, ask: Asked) -> bool:
    """Whether the name at text[s:e] is one the question itself says (its initials aside)."""
    return all(norm(w) in ask.words for w in words(text[s:e]) if not INITIAL_WORD.fullmatch(w))


_WORD_AFTER_RE = re.compile(r"[\s-]*([^\s,;:()]+)")
_GLUED_UNIT_RE = re.compile(r"(?:[kKMGTP]i?[Bb]?|[kMG]Hz|[kmcM]?[mgW]|°[CF])\b")
_PRONOUN_ONE_RE = re.compile(r"one\s+(?:can|could|may|might|must|should|would|will|needs?|has"
                             r"|had)\b", re.I)


_ENUMERATOR_RE = re.compile(r"\d{1,2}\)")
# a source's pages, volume or issue: 'p. 211, 142, 177', 'pp. 3-9', 'vol. 2', 'No. 24'
_REFERENCE_RE = re.compile(r"\b(?:pp?|vol|no|nr|ed)\.\s*\d+(?:\s*[,–-]\s*\d+)*", re.I)


def _in_reference(text: str, s: int) -> bool:
    """Whether the number at text[s:] is a page, volume or issue of a source."""
    return any(m.start() <= s < m.end() for m in _REFERENCE_RE.finditer(text, max(0, s - 60),
                                                                          s + 1))
_ITEM_RE = re.compile(r"\d{1,2}[.)]\s+[a-z]")  # an item of a list run into a sentence


def _in_units(text: str, s: int, e: int) -> bool:
    """Whether the figure at text[s:e] is a quantity: money or a share, or a unit of measure
    after it ('64 MiB', '10 tons', '5 years', 'USD 13.3 million')."""
    if re.search(r"%|[$€£¥]|\b(?:USD|per ?cent)\b", text[s:e], re.I):
        return True
    digits = re.match(r"[\d.,]+", text[s:e])
    if digits and _GLUED_UNIT_RE.match(text, s + digits.end()):
        return True  # a unit written on the figure: '2300k', '64MiB', '10kg'
    figure = NUMBER_RE.match(text, s, e)
    after = _WORD_AFTER_RE.match(text, figure.end() if figure else e)
    return after is not None and _UNIT_WORD_RE.fullmatch(after.group(1).rstrip(".")) is not None


def _counts(text: str, s: int, e: int, nouns: set[str]) -> bool:
    """Whether the number at text[s:e] counts the noun (any of nouns, normed): it ends with
    it, or it follows within three words ('10 tons of food' for 'how much food')."""
    if norm(words(text[s:e])[-1]) in nouns:
        return True
    return any(norm(w) in nouns for w in words(text[e:e + 40])[:3])


def gives(question: str, ask: Asked | None, text: str, cons: Constraints | None = None) -> bool:
    """Whether a text holds anything of the type the question asks for (for who, a name: the
    answer line still wants a person, but a team or a body may be what is asked)."""
    if ask is None:
        return True
    if ask.kind == "date":  # any date: the year a question names may date the event
        return ask.found(text)
    if ask.kind == "name":  # a person, or the organisation asked for ('the Denver Broncos')
        # an office is held by a person: 'who succeeded Lombo as ambassador' is not answered
        # by 'the Mongolian Mission'
        held = cons is not None and bool(cons.roles)
        offices = _asked_offices(ask, cons) if held else []
        return any(not quoted(text, s, e) and not _place(text[s:e], cons)
                   and not _no_one(text[s:e]) and not _placed(text[s:e])
                   and not _line_opener(text, s, e) and not _own_name(text, s, e, ask)
                   and not _connective(text, s, e)
                   and (not held or personal(text, s, e) and not _other_office(text, s, e, offices)
                        and not _other_state(text, s, e, cons))
                   for s, e, _ in ask.each_candidate(text))
    return next(typed_candidates(question, ask, text, (), cons), None) is not None


# offices a title before a name gives its holder ('Foreign Minister', 'President'); not ranks
# of the military, nor words a title of any office may hold ('General', 'Foreign')
_TITLE_OFFICES = ((OFFICES - {"marshal", "colonel"})
                  | {"chancellor", "senator", "prince", "princess"})


def _placed(name: str) -> bool:
    """Whether a name is a place's by its words ('Rajin-Sonbong Free Trade Zone') or is a
    currency's ('USD')."""
    return any(norm(w) in PLACE_WORDS for w in words(name)) or bool(_MONEY_RE.fullmatch(name))


def _line_opener(text: str, s: int, e: int) -> bool:
    """Whether text[s:e] is a label: one word that opens the text or a line and a colon
    follows ('Source:' of a table's note); not 'Pilots guided ships …', who did it."""
    return (" " not in text[s:e].strip() and text[e:e + 1] == ":"
            and (not text[:s].strip() or text[:s].rstrip(" ").endswith("\n")))


# words that open a sentence before a comma and name no one ('Therefore, the coverage …');
# the others ('However', 'Thus', 'Today') are function words, never a candidate (asked.py)
_CONNECTIVES = frozenset("""therefore nonetheless instead indeed afterwards consequently
accordingly otherwise besides overall still yet again""".split())
_SENTENCE_END_RE = re.compile(r"(?:^|[.!?][\"”’')]*\s+|\n)$")


def _connective(text: str, s: int, e: int) -> bool:
    """Whether text[s:e] is one word opening its sentence before a comma that is an adverb or
    a connective ('Unfortunately, Dmitry Skosyrev …'), not a name ('Ivanov, who …')."""
    word = text[s:e].strip()
    if " " in word or text[e:e + 1] != "," or not _SENTENCE_END_RE.search(text[max(0, s - 4):s]):
        return False
    low = word.casefold()
    return low in _CONNECTIVES or len(low) > 5 and low.endswith("ly")


def _surname(name: str) -> str:
    """The word a text goes on naming someone by: the last that is no initial ('Dorj' of
    'General B. Dorj'), or ''."""
    return next((w for w in reversed(words(name)) if not INITIAL_WORD.fullmatch(w)), "")


def _served_at(sentence: str, office: str) -> list[str]:
    """The places a sentence says an office serves: 'ambassador to Pyongyang', 'ambassador in
    Seoul', 'sent to South Korea as Ambassador'."""
    after = re.finditer(rf"\b(?i:{office})s?\s+(?:to|in|at)\s+(?:the\s+)?"
                        rf"([A-Z][\w’'-]*(?:\s+[A-Z][\w’'-]*){{0,2}})", sentence)
    before = re.finditer(rf"\bto\s+(?:the\s+)?([A-Z][\w’'-]*(?:\s+[A-Z][\w’'-]*){{0,2}})\s+as\s+"
                         rf"(?:(?:an?|the|its|their|his|her)\s+)?(?:\w+\s+)?(?i:{office})\b",
                         sentence)
    return [m.group(1).strip() for m in (*after, *before)]


def _serves_elsewhere(text: str, sentence: str, name: str, cons: Constraints | None) -> bool:
    """Whether a name answering a question about an office somewhere ('the ambassador to
    Mongolia') held it only elsewhere, as far as the passage says: the answering sentence and
    the passage's other sentences naming it (by its last word) say where the office served,
    and none says the place asked. Unsaid, it may be anywhere."""
    roles = [r for r in cons.roles if r.dest] if cons is not None and cons.state_of else []
    key = _surname(name)
    if not roles or not key:
        return False
    sentences = [sentence] + [text[a:b] for a, b in sentence_spans(text)
                              if text[a:b] != sentence
                              and re.search(rf"\b{re.escape(key)}\b", text[a:b])]
    said = [bool(cons.state_of(place) & r.dest)
            for r in roles for piece in sentences for place in _served_at(piece, r.office)
            if cons.state_of(place)]
    return bool(said) and not any(said)


_SENT_RE = re.compile(r"\bsent\b")
_SUBJECT_PRONOUN_RE = re.compile(r"^\s*(?:It|They)\b")


def _owned_elsewhere(text: str, name: str, cons: Constraints | None) -> bool:
    """Whether a name answering whose office a question asks about ('China's ambassador')
    held it, as far as the passage says, only for other states: the titles before its
    mentions ('MPR Ambassador J. Sambuu') and who sent it ('the Mongolian government sent
    General B. Dorj as ambassador'; 'It sent …' after a sentence about the Mongolian
    government). Unsaid, it may be anyone's."""
    if cons is None or cons.state_of is None or not cons.owners:
        return False
    key = _surname(name)
    if not key:
        return False
    said: list[frozenset] = []
    spans = sentence_spans(text)
    for k, (a, b) in enumerate(spans):
        piece = text[a:b]
        for m in re.finditer(rf"\b{re.escape(key)}\b", piece):
            # the name's first word, for its title
            start = piece.rfind(name, 0, m.end())
            states = _title_states(piece, start if start >= 0 else m.start(), m.end(), cons)
            if states:
                said.append(states)
            sent = _SENT_RE.search(piece, 0, m.start())
            if sent is not None:
                who = piece[:sent.start()]
                if _SUBJECT_PRONOUN_RE.match(who) and k > 0:
                    who = text[spans[k - 1][0]:spans[k - 1][1]]
                # the sender: the first state its words name
                states = next((st for st in (cons.state_of(w) for w in words(who)
                                             if w[:1].isupper()) if st), frozenset())
                if states:
                    said.append(states)
    return bool(said) and not any(st & cons.owners for st in said)


# an office someone else holds towards the name: 'received … by the North Korean ambassador',
# 'met with the ambassador' (its holder, when named, follows it)
_OFFICE_OBJECT_RE = re.compile(
    r"\b(?:by|with|to|from|for)\s+(?:the|a|an|its|their|his|her)\s+"
    r"(?:[\w.'’-]+\s+){0,3}$", re.I)


def _office_said(text: str, s: int, sentences: list[tuple[int, int]], offices: frozenset) -> bool:
    """Whether the sentence (of sentences, spans of text) holding text[s] says one of the
    offices (_office_words) of the name at s: not one held by whoever acts on it ('Ts.
    Elbegdorj, who was received … by the North Korean ambassador'), unless the name follows
    that office."""
    lo, hi = next(((a, b) for a, b in sentences if a <= s < b), (0, len(text)))
    for m in LETTER_WORD_RE.finditer(text, lo, hi):
        if norm(m.group()) not in offices:
            continue
        if not _OFFICE_OBJECT_RE.search(text, max(lo, m.start() - 60), m.start()) or (
                0 <= s - m.end() <= 3):
            return True
    return False


def _office_words(cons: Constraints | None) -> frozenset:
    """The words that say an office a who-question asks about by name ('ambassador'; the
    premier may be the prime minister), not one a paraphrase may leave unsaid ('who headed',
    'who chaired')."""
    out: set[str] = set()
    for r in cons.roles if cons is not None else ():
        if r.office in OFFICES and not r.unsaid_ok:
            out.add(r.office)
            if r.office == "premier":
                out.add("prime")
    return frozenset(out)


def _asked_offices(ask: Asked, cons: Constraints | None) -> list[tuple[str, bool, str]]:
    """The offices a who-question asks about, each with whether it asks for a rank of it
    ('deputy minister') and the word that says which office of its kind ('defence' of
    'Mongolia's defence minister', or ''): the roles its constraints read, and the role of a
    'which <role>'."""
    out = []
    for r in cons.roles if cons is not None else ():
        if r.office in _TITLE_OFFICES:
            # the word before the office's own ('president of South Korea' ends with the state)
            said = r.text.split()
            at = next((i for i, w in enumerate(said) if norm(w) == r.office), 0)
            kind = said[at - 1] if at > 0 else ""
            # 'defence', 'Foreign': not a state ('Japan's', 'the Mongolian') nor a rank
            if kind[:1].isupper() and kind.casefold() not in TITLE_MODIFIERS or \
                    kind.casefold() in RANKS:
                kind = ""
            out.append((r.office, len(r.terms) == 2, kind.casefold()))
    if ask.role in _TITLE_OFFICES and not any(o == ask.role for o, _, _ in out):
        out.append((ask.role, any(r in ask.words for r in RANKS), ""))
    return out


def _other_office(text: str, s: int, e: int, asked_for: list[tuple[str, bool, str]]) -> bool:
    """Whether the name at text[s:e] is titled with another office than the ones asked about
    (_asked_offices): 'Foreign Minister Sh. Altangerel' does not answer who chaired a
    committee, nor a deputy minister who the minister was. A name without a title may hold
    any office."""
    if not asked_for:
        return False
    title = title_words(text, s)
    held = [w for w in title if w in _TITLE_OFFICES]
    if not held:
        return False
    after = _CLAUSE_AFTER_RE.match(text, e)
    if after is not None and any(norm(w) == want for w in words(after.group())
                                 for want, _, _ in asked_for):
        # 'the Chairman of the Presidium, J. Sambuu, who had been the first ambassador'
        return False
    ranked = any(w in RANKS for w in title)
    # which office of its kind the title says: 'Prime' of 'Prime Minister'
    kinds = {w for w in title if w in TITLE_MODIFIERS and w not in RANKS}
    for want, want_rank, kind in asked_for:
        # the premier is the prime minister
        same = want in held or want == "premier" and "minister" in held and "prime" in title
        if same and kind and kinds and kind not in kinds:
            continue  # the prime minister is not the defence minister
        if same and ranked == want_rank:
            return False
    return True


def _title_states(text: str, s: int, e: int, cons: Constraints | None) -> frozenset:
    """The states the title of the name at text[s:e] says it holds its office for: 'DPRK'
    of 'DPRK Foreign Minister Paek Nam Sun', 'MPR' of 'J. Sambuu, who had been the first MPR
    ambassador'; empty when it names none or the question asks no state's office."""
    if cons is None or cons.state_of is None or not cons.owners:
        return frozenset()
    start, title = title_run(text, s)
    before = text[max(0, s - 80):start].split() if start >= 0 else []
    if title and before:
        said = _state_words(before)
    else:  # a clause after the name that says the office asked ('…, who had been the
        #     first MPR ambassador to North Korea'), else none
        after = _CLAUSE_AFTER_RE.match(text, e)
        offices = {r.office for r in cons.roles if r.owner}
        clause = after.group().split() if after is not None else []
        at = next((i for i, w in enumerate(clause) if norm(w) in offices), -1)
        said = _state_words(clause[:at]) if at > 0 else []
    return cons.state_of(" ".join(said)) if said else frozenset()


def _state_words(before: list[str]) -> list[str]:
    """The capitalised words (at most two) that end before, in one clause: what may name
    the state of the title after them."""
    said: list[str] = []
    for w in reversed(before[-2:]):
        if not w[:1].isupper() or w[-1] in ",;:()":
            break
        said.insert(0, w)
    return said


def _other_state(text: str, s: int, e: int, cons: Constraints | None) -> bool:
    """Whether the name at text[s:e] is titled as another state's office holder than the
    question asks about ('DPRK Foreign Minister Paek Nam Sun' for the Russian foreign
    minister). A title that names no state may be any state's."""
    states = _title_states(text, s, e, cons)
    return bool(states) and cons is not None and not states & cons.owners


# words that make a name a text: a treaty, a law, a declaration, a yearbook is nobody who
# did anything
_DOCUMENT_WORDS = frozenset("""treaty agreement convention law constitution charter declaration
protocol accord statute pact communique memorandum resolution yearbook almanac encyclopedia
dictionary bulletin edict catechism bible scripture""".split())
# words that make a name an event's: 'Battle of Hastings', 'First Crusade', 'Super Bowl V'
_EVENT_WORDS = frozenset(norm(w) for w in """battle siege crusade revolt rebellion uprising
massacre bowl""".split())


# what a name ends in when it names a body, an event or a prize: 'Scottish Parliament', 'Vince
# Lombardi Trophy', 'Soyuz Test Project'
_BODY_HEADS = frozenset(norm(w) for w in """parliament senate cabinet government court church
museum school college network group team club foundation board department authority
administration project programme program trophy award awards prize cup dynasty empire games
series channel center centre institute university agency station company corporation""".split())


def _no_one(name: str) -> bool:
    """Whether a name names nobody who did anything: it is made only of office and body words
    ('Ministry'), or it is a text's ('Treaty on Friendship and Cooperation', 'Basic Law')."""
    said = [norm(w) for w in words(name)]
    return (all(w in GENERIC for w in said)
            or any(w in _DOCUMENT_WORDS or w in _EVENT_WORDS for w in said)
            or bool(said) and said[-1] in _BODY_HEADS)


# the verbs a source reports with
_REPORT_VERBS = (r"(?:reported|reports|said|says|stated|states|quoted|quotes|announced|announces"
                 r"|wrote|writes|noted|added|cited|told|commented|claimed)")
# a source a text cites: 'Agence France Presse reported that …', 'the VOR said on 7 February'
_REPORTS_RE = re.compile(r"(?:['’]s?)?\s+(?:(?:has|had|also|later|then)\s+)?" + _REPORT_VERBS + r"\b")
_REPORTING = frozenset(norm(w) for w in """report reported reports say said says state stated
states quote quoted announce announced write wrote written note noted add added cite cited tell
told comment commented claim claimed source sources according newspaper agency think thought
believe believed argue argued suggest suggested propose proposed describe described consider
considered call called""".split())


def _reporter(text: str, s: int, e: int, ask: Asked, terms: Sequence[tuple[int, int]]) -> bool:
    """Whether the name at text[s:e] only reports what the question asks about: a reporting
    verb follows it, the question's words (terms: their offsets) stand after that and none
    just before the name ('San Francisco mayor Ed Lee said …' is the mayor asked about), and
    the question asks for no reporter ('who signed', not 'who reported')."""
    m = _REPORTS_RE.match(text, e)
    if m is None or ask.words & _REPORTING:
        return False
    if any(s - 30 <= te <= s for _, te in terms):
        return False
    return any(ts >= m.end() for ts, _ in terms)


# a reporting verb and the word that dates it: 'said on', 'reported on', 'announced last'
_REPORTED_ON_RE = re.compile(r"\b" + _REPORT_VERBS + r"(?:\s+\w+)??\s+(?:on|last|this)\s+$")


# a news item's dateline: where and when it was filed, and by whom ('Pyongyang, February 11
# (KCNA) --', 'MOSCOW, March 3 (Reuters) -')
_DATELINE_RE = re.compile(r"\s*[A-Z][\w.'’ -]{1,40},\s+([^()\n,]{3,30}?)\s+\([A-Z][\w.-]*\)\s*"
                          r"(?:--|[-–—])")


_TODAY_RE = re.compile(r"\b(?:today|tonight|this (?:morning|afternoon|evening))\b", re.I)


def _report_date(text: str, s: int, ask: Asked, terms: Sequence[tuple[int, int]]) -> bool:
    """Whether the date at text[s:] only dates a report of what the question asks about: it
    stands in a news item's dateline, or a reporting verb stands right before it and the
    question's words (terms: their offsets) after it; and the question asks of no report
    ('when did he visit', not 'when was it announced')."""
    if ask.words & _REPORTING:
        return False
    line = text.rfind("\n", 0, s) + 1
    dateline = _DATELINE_RE.match(text, line)
    if dateline is not None and dateline.start(1) <= s < dateline.end(1):
        # 'Pyongyang, February 11 (KCNA) --': the day the agency filed it, which is the day of
        # what it tells only when it says so ('The spokesman … today answered …')
        end = text.find("\n", dateline.end())
        return _TODAY_RE.search(text, dateline.end(), end if end >= 0 else len(text)) is None
    if not _REPORTED_ON_RE.search(text, max(0, s - 40), s):
        return False
    return any(ts >= s for ts, _ in terms)


_FIRST_WORD_RE = re.compile(r"(\S+)\s+")


def _place(name: str, cons: Constraints | None) -> bool:
    """Whether a name is a known place or its people ('North Koreans', 'Korean')."""
    folded = fold_name(name)
    if cons is None:
        return False
    if folded in cons.places or folded[:-1] in cons.places or folded in _peoples(cons.places):
        return True
    # 'U.S', 'UK': the initials of a place of several words
    letters = folded.replace(".", "")
    return (_INITIALS_RE.fullmatch(name) is not None
            and any(len(p.split()) == len(letters) and "".join(w[0] for w in p.split()) == letters
                    for p in cons.places))


_INITIALS_RE = re.compile(r"(?:[A-Z]\.?){2,4}")


@lru_cache(maxsize=8)
def _peoples(places: frozenset) -> frozenset:
    """The words for the people of the places' last words (constraints.people_words): a
    nationality names no one ('Korean' of 'North Korea', 'Chinese', 'Iraqi')."""
    out = set()
    for place in places:
        last = place.split()[-1] if place.strip() else ""
        if len(last) >= 4:  # not of 'UN', 'US'
            out.update(people_words(last))
    return frozenset(out - places)


_JOINED_AFTER_RE = re.compile(r"\s*([/–-])\s*(\d{2,4})\b")
_JOINED_BEFORE_RE = re.compile(r"\b(\d{4})\s*([/–-])\s*$")


_PAIR_RE = re.compile(r"(\d{4})\s*([/–-])\s*(\d{2,4})\b")


_DECADE_SPAN_RE = re.compile(r"\b(\d{3})0s\b")


def _joined_to_year(sentence: str, s: int, e: int, years: frozenset) -> bool:
    """Whether the span s:e is the other of two years given as one time, one of which is
    one of years ('1985/1986', '1985-86': a slash, or years in a row), such a pair itself, or
    the decade of one ('the 1960s' for a question about 1966): the time the question already
    names. The other end of a longer range may be the answer ('1986–1996' for when the 1986
    treaty ended)."""
    if any(int(m.group(1)) in {y // 10 for y in years}
           for m in _DECADE_SPAN_RE.finditer(sentence, s, e)):
        return True
    for m in _PAIR_RE.finditer(sentence, s, e):
        first, other = m.group(1), m.group(3)
        if len(other) == 2:
            other = first[:2] + other
        if (int(first) in years or int(other) in years) and (
                m.group(2) == "/" or abs(int(other) - int(first)) == 1):
            return True
    own = sentence[s:e][-4:]
    m = _JOINED_AFTER_RE.match(sentence, e)
    if m is not None and own.isdigit():
        other = m.group(2)
        if len(other) == 2:
            other = own[:2] + other  # '1985-86' is 1985 to 1986
        if int(other) in years and (m.group(1) == "/" or abs(int(other) - int(own)) == 1):
            return True
    m = _JOINED_BEFORE_RE.search(sentence, max(0, s - 8), s)
    first = sentence[s:e][:4]
    return (m is not None and int(m.group(1)) in years and first.isdigit()
            and (m.group(2) == "/" or abs(int(first) - int(m.group(1))) == 1))


def _span(question: str, ask: Asked, sentence: str, terms: list[tuple[int, int]],
          cons: Constraints | None = None, common: Callable[[str], bool] | None = None
          ) -> str | None:
    """The candidate of the wanted shape nearest the question's terms in the sentence that is
    not made only of the question's own words."""
    wants = ask.kind
    noun = ask.noun
    money = wants == "number" and _PRICE_RE.search(question) is not None
    units = _asked_units(question) if wants == "number" else frozenset()
    # 'how many tackles' of a sentence that does not name them: no figure, since the one it
    # gives counts something else ('11 points', 'three plays'); a unit asked ('how many kgs')
    # is the unit's rule below
    named = bool(units) or not (
        noun and re.search(r"\bhow many\b", question, re.I)
        and not any(norm(w) in {norm(n) for n in ask.nouns} for w in words(sentence)))
    # "what percentage" wants a share ('2%'), not another figure of its sentence ('one million')
    percent = wants == "number" and _PERCENT_ASKED_RE.search(question) is not None
    owned = wants == "name" and cons is not None and bool(cons.owners)
    named_years = years_in(question) if wants in ("date", "number") else frozenset()
    heads = _heads(question) if wants == "name" else ()
    if not named:
        return None
    if wants == "date":
        # when: no date from a sentence that says none of what the question says happened,
        # in its words in lower case ('When did Levi's Stadium open?' and the day a vote
        # awarded it the game); a light verb says only that something did ('was held')
        said = [w for w in asked_words(question) if norm(w) not in _LIGHT_VERBS]
        if said:
            said_at = [(m.start(), m.end()) for m in LETTER_WORD_RE.finditer(sentence)
                       if any(same_word(norm(w), norm(m.group())) for w in said)]
            if not said_at:
                return None
    candidates = list(typed_candidates(question, ask, sentence, terms, cons, common=common))
    # when: the date nearest the verb that says what happened is its date ('born in Newcastle
    # in 1709 and died there in 1770' for when he died)
    acts = ([(ws, we) for ws, we in said_at if _past_form(sentence[ws:we])]
            if wants == "date" and said else ())
    of_event = _nearest_each(sentence, candidates, acts) if acts else None
    best, best_key = None, None
    found = []  # every candidate kept, for the names listed with the best
    for s, e, known in candidates:
        found.append((s, e))
        if named_years and _joined_to_year(sentence, s, e, named_years):
            continue  # '(1985/1986)' for a question about 1986: its own year's span of time
        if percent and not _PERCENT_RE.search(sentence, s, min(len(sentence), e + 9)):
            continue
        distance = min((min(abs(s - te), abs(ts - e)) for ts, te in terms), default=0)
        # when: the date standing near more of the question's words, before the one nearest
        # any one of them ('the translation of the Old Testament in 1534', not 'of the New
        # Testament in 1522')
        near = -_closeness(sentence, s, e, terms) if wants == "date" else 0
        # a number followed by the noun the question counts ('how many tons' -> '10 tons'),
        # an amount of money when it asks what something cost
        counted = not (noun and norm(words(sentence[s:e])[-1]) == norm(noun))
        # 'how many kgs', 'in feet': the figure in the unit asked, not the same in another
        # ('842 pounds (382 kg)')
        unasked = bool(units) and _unit_of(sentence, s) not in units
        priced = money and not _MONEY_RE.search(sentence[s:e])
        # a person asked for: a name with initials or a title before it beats a place or
        # an acronym ("D. Sharav", "Foreign Minister Paek Nam Sun" over "MPRP", "Mongolia")
        impersonal = wants == "name" and not personal(sentence, s, e)
        # "which foreign minister": the name the sentence gives that office first
        unroled = ask.role is not None and not after_role(sentence, s, ask.role)
        # who: a name right after the office or part the question asks about in lower case
        # ('field director Ed Mangan', 'head coach Gary Kubiak', 'mayor Ed Lee')
        unheaded = bool(heads) and not any(after_role(sentence, s, w) for w in heads)
        # who: the person a clause after the name says it of ('J. Sambuu, who had been the
        # first MPR ambassador to North Korea' for 'who was the first Mongolian ambassador')
        said_of = -_said_of(sentence, e, terms) if wants == "name" else 0
        # whose office is asked: a name titled as that state's holder ('Russian Foreign
        # Minister I. Ivanov') beats one whose title names no state the question knows
        unowned = owned and not _title_states(sentence, s, e, cons) & cons.owners
        # when: a date in brackets right after the question's words is theirs ('the new
        # Basic Law (1992)'), whatever other date stands nearer the rest of them
        unattached = wants == "date" and not _dated_in_brackets(sentence, s, terms)
        # how long: a duration said ('300 km', 'eleven years') before the period's ends
        ends = ask.period and PERIOD_RE.fullmatch(sentence, s, e) is not None
        off_event = of_event is not None and (s, e) not in of_event
        key = (counted, unasked, priced, unroled, unowned, impersonal, said_of, unheaded, unattached,
               ends, known, off_event, near, distance, -(e - s), s)
        if best_key is None or key < best_key:
            best, best_key = (s, e), key
    if best is None:
        return None
    if wants == "name":
        # 'Murray Gold and Ben Foster': who did it is everyone the list names
        best = _listed_with(sentence, best, found)
    s, e = _whole_period(question, wants, sentence, *best)
    if wants == "number":
        # the unit after the range's last figure ('12 to 15 million')
        last = max((m.start() for m in NUMBER_RE.finditer(sentence, s, e) if m.group().strip()),
                   default=s)
        e = _figure_end(sentence, last, e)
    if units:
        unit, end = _unit_said(sentence, s)
        if unit in units:
            e = max(e, end)  # the unit asked, as the text writes it ('8,646 sq mi')
    if wants == "number":
        glued = _GLUED_UNIT_RE.match(sentence, e)
        if glued:
            e = glued.end()  # '2300k', '64MiB': the unit written on the figure
    if wants == "name":
        crowned = _MONARCH_BEFORE_RE.search(sentence, max(0, s - 12), s)
        if crowned is not None and norm(crowned.group(1)) not in ask.words:
            s = crowned.start()  # 'Queen Elizabeth II', as a monarch is known
    span = sentence[s:e].strip(" ,;:")
    if wants == "date" and _YEAR_ASKED_RE.search(question):
        # "what year" asks for a year: '2005' of '26 March 2005'
        years = _YEAR_RE.findall(span)
        if len(years) == 1 and not re.search(r"\d0s\b", span):
            return years[0]
    return span


# what joins the names of a list: 'A, B and C', 'A and B', 'A, B, and C'
_LIST_JOIN_RE = re.compile(r"\s*,\s*(?:and\s+)?|\s+and\s+")


def _listed_with(sentence: str, best: tuple[int, int], found: list[tuple[int, int]]
                 ) -> tuple[int, int]:
    """The span of the list of names (found: the candidates) that best stands in, when it
    stands in one joined by 'and' ('Boomer Esiason and Dan Fouts', 'A, B and C'); else best.
    A name set off by commas alone is an apposition, not a list ('Ed Whitfield, Chairman of
    the Subcommittee'); two joined by ', and' alone are two clauses' subjects."""
    by_start = {s: e for s, e in found}
    by_end = {e: s for s, e in found}
    s, e = best
    joins = []
    while True:  # the names after it
        m = _LIST_JOIN_RE.match(sentence, e)
        if m is None or m.end() not in by_start:
            break
        joins.append(m.group())
        e = by_start[m.end()]
    while True:  # and before it
        m = next((m for m in (_LIST_JOIN_RE.match(sentence, end) for end in by_end if end < s)
                  if m is not None and m.end() == s), None)
        if m is None:
            break
        joins.append(m.group())
        s = by_end[m.start()]
    plain_and = any("," not in j and "and" in j for j in joins)
    # 'A, B, and C'; but 'by El Temür, and Tugh Temür then …' joins clauses, not names
    comma_and = any("," in j and "and" in j for j in joins) and any("and" not in j for j in joins)
    return (s, e) if plain_and or comma_and else best


# a noun of someone who does something: 'commissioner', 'director', 'pianist', 'librarian'
_PERSON_NOUN_RE = re.compile(r"[a-z]+(?:er|or|ist|ian)")


def _heads(question: str) -> tuple[str, ...]:
    """The words in lower case a who-question names the office or part asked about with
    ('commissioner', 'director', 'coach' …)."""
    return tuple(w for w in asked_words(question) if norm(w) in _PEOPLE or w in TITLE_WORDS
                 or _PERSON_NOUN_RE.fullmatch(w))


# units of measure by their spellings: the unit a question asks a figure in
_UNITS = {u: name for name, spellings in (
    ("kg", "kg kgs kilogram kilograms kilo kilos"), ("lb", "lb lbs pound pounds"),
    ("km", "km kms kilometre kilometres kilometer kilometers"), ("mi", "mi mile miles"),
    ("ft", "ft foot feet"), ("m", "m metre metres meter meters"),
    ("t", "ton tons tonne tonnes"), ("km2", "km2 sq-km square-kilometres square-kilometers"),
    ("mi2", "sq-mi square-miles mi2"), ("acre", "acre acres"), ("ha", "ha hectare hectares"))
    for u in spellings.split()}
_UNIT_SAID_RE = re.compile(r"\b(?:(?:sq\.?|square)\s+[a-z]+|[a-z]+2?)\b", re.I)


def _asked_units(question: str) -> frozenset:
    """The units a how-much question asks its figure in ('how many kgs', 'in feet', 'how
    many square miles')."""
    out = set()
    for m in _UNIT_SAID_RE.finditer(question):
        said = re.sub(r"\.?\s+", "-", m.group().casefold())
        said = said.replace("sq-", "square-") if said.startswith("sq-") else said
        unit = _UNITS.get(said) or _UNITS.get(said.replace("square-", "sq-"))
        if unit is not None and said != "m":  # 'm' alone may be anything
            out.add(unit)
    return frozenset(out)


def _unit_of(sentence: str, s: int) -> str | None:
    """The unit the figure at sentence[s:] is given in ('382 kg', '8,646 sq mi'), or None."""
    return _unit_said(sentence, s)[0]


def _unit_said(sentence: str, s: int) -> tuple[str | None, int]:
    """The unit the figure at sentence[s:] is given in and where its words end, or (None, s)."""
    m = NUMBER_RE.match(sentence, s)
    if m is None:
        return None, s
    gap = re.match(r"[\s-]*", sentence[m.end():])
    after = _UNIT_SAID_RE.match(sentence, m.end() + gap.end())
    if after is None:
        return None, s
    said = re.sub(r"\.?\s+", "-", after.group().casefold())
    unit = _UNITS.get(said) or _UNITS.get(said.replace("sq-", "square-"))
    if unit is not None:
        return unit, after.end()
    return _UNITS.get(said.split("-")[0]), after.start() + len(after.group().split()[0])


# a monarch's title, which is part of the name a reader knows them by ('King George III')
_MONARCH_BEFORE_RE = re.compile(r"\b(King|Queen|Pope|Tsar|Czar)\s+$")


def _past_form(word: str) -> bool:
    """Whether a word is written as a verb's past ('opened', 'wrote'), not as a noun."""
    w = word.casefold()
    return w.endswith("ed") or base_form(w) != w and not w.endswith("s")


def _nearest_each(sentence: str, candidates: Sequence[tuple[int, int, Any]],
                  words_at: Sequence[tuple[int, int]]) -> set[tuple[int, int]]:
    """Of the candidates (start, end, …), the one nearest each word at words_at: in its
    clause first, then by the words between them (ties: each)."""
    out: set[tuple[int, int]] = set()
    for ws, we in words_at:
        gaps = []
        for s, e, *_ in candidates:
            between = sentence[we:s] if we <= s else sentence[e:ws]
            gaps.append(((_CLAUSE_RE.search(between) is not None
                          or _AND_RE.search(between) is not None, len(words(between))), (s, e)))
        least = min((g for g, _ in gaps), default=None)
        out.update(c for g, c in gaps if g == least)
    return out


def _closeness(sentence: str, s: int, e: int, terms: list[tuple[int, int]]) -> float:
    """How near the candidate at sentence[s:e] stands to the question's words (terms: their
    offsets): over each distinct word, 1 / (1 + the words between them)²."""
    nearest: dict[str, int] = {}
    for ts, te in terms:
        if ts < e and te > s:
            continue  # a word of the candidate itself
        gap = len(words(sentence[te:s] if te <= s else sentence[e:ts]))
        key = norm(sentence[ts:te])
        nearest[key] = min(gap, nearest.get(key, gap))
    return round(sum(1.0 / (1 + d) ** 2 for d in nearest.values()), 6)


_BRACKET_BEFORE_RE = re.compile(r"\s*\(\s*$")


def _dated_in_brackets(sentence: str, s: int, terms: list[tuple[int, int]]) -> bool:
    """Whether the date at sentence[s:] opens brackets right after one of the question's
    words (terms: their offsets): 'Basic Law (1992)'."""
    m = _BRACKET_BEFORE_RE.search(sentence, max(0, s - 4), s)
    return m is not None and any(te == m.start() for _, te in terms)


# a relative clause or an apposition right after a name: what it says is said of the name
_CLAUSE_AFTER_RE = re.compile(r",\s+(?:who|whom|whose|the|then|later|formerly|previously|now)\b"
                              r"[^,;.()]*(?:\.[^\s][^,;.()]*)*")


# 'Kevin Harlan as play-by-play announcer': what a name is said to be, right after it, up to
# a word that goes on to something else ('as embassy counsellor and with the commitment …')
_AS_AFTER_RE = re.compile(r"\s+as\s+(?:(?:the|a|an)\s+)?(?:(?!(?:and|or|but|with|to|in|on|at|for|by"
                          r"|from|of|after|before|when|while|who|which|that)\b)[\w'’-]+\s*){1,4}")


def _said_of(sentence: str, e: int, terms: list[tuple[int, int]]) -> int:
    """How many of the question's words (terms: their offsets in sentence) the clause after a
    name at sentence[:e] holds, when one follows it, or what it says the name is ('as …')."""
    m = _CLAUSE_AFTER_RE.match(sentence, e) or _AS_AFTER_RE.match(sentence, e)
    if m is None:
        return 0
    return sum(1 for ts, te in terms if m.start() <= ts and te <= m.end())


_PERCENT_ASKED_RE = re.compile(r"\bper ?cent(?:age)?\b", re.I)
_PERCENT_RE = re.compile(r"%|\bper ?cent\b", re.I)
_YEAR_ASKED_RE = re.compile(r"\b(?:what|which)\s+year\b", re.I)
_YEAR_RE = re.compile(r"(?<![\d.,])(?:1\d{3}|20\d\d)(?![\d.,]?\d)")
_UNIT_AFTER_RE = re.compile(r"(?:\s+[^\s,;:()]+){0,3}")
_QUALIFIED_DECADE_RE = re.compile(r"\b(?:(?:the)\s+)?(?:early|mid|late)[\s-]+$", re.I)


# the first end of a range just before a figure or date: '12 to ', '30–', '1995 until '
_RANGE_BEFORE_RE = re.compile(r"(?<![\w.,])([\w.,$€£¥%]+)\s*(–|—|-|\bto\b|\buntil\b|\bthrough\b)\s*$",
                              re.I)


def _range_start(wants: str, sentence: str, s: int, e: int) -> int:
    """Where a figure or date starts when it ends a range ('12 to 15 million', '30–60%',
    '1964–1965'): at the range's first end. A dash joins figures only when the second has
    its unit or is a share, not a score ('34–19')."""
    m = _RANGE_BEFORE_RE.search(sentence, max(0, s - 24), s)
    if m is None:
        return s
    first = m.group(1)
    rx = DATE_RE if wants == "date" else NUMBER_RE
    if not _DIGIT_RE_ANY.search(first) or not rx.fullmatch(first):
        return s
    if wants == "number" and m.group(2) in "–—-":
        after = re.match(r"\s+([^\s,;:()]+)", sentence[e:])
        unit = after is not None and _UNIT_WORD_RE.fullmatch(after.group(1).strip("."))
        if not (_PERCENT_RE.search(sentence, s, min(len(sentence), e + 1)) or unit
                or _UNIT_WORD_RE.fullmatch(words(sentence[s:e])[-1])):
            return s
    return m.start(1)


_DIGIT_RE_ANY = re.compile(r"\d")


def _whole_period(question: str, wants: str, sentence: str, s: int, e: int) -> tuple[int, int]:
    """The span of a date or figure widened to the period or range it begins: 'between 1835
    and 1842' (without 'between' when the question asks between what years), '24 August – 3
    October 1572', '30–60%', '90% to 93%', 'the late 1970s'. A dash joins figures only when
    the second has its unit ('50–140 cm'), not a score ('34–19')."""
    if wants not in ("date", "number"):
        return s, e
    s = _range_start(wants, sentence, s, e)
    if wants == "date":
        m = _QUALIFIED_DECADE_RE.search(sentence, max(0, s - 14), s)
        if m and re.match(r"(?:the\s+)?\d{3}0s\b", sentence[s:e]):
            s = m.start()
    between = re.search(r"\bbetween\s+$", sentence[max(0, s - 10):s], re.I)
    joiner = re.compile(r"\s*(?:–|—|-|\bto\b|\buntil\b|\bthrough\b" +
                        (r"|\band\b" if between else "") + r")\s*", re.I)
    j = joiner.match(sentence, e)
    if j is None:
        return s, e
    if wants == "date":
        m = DATE_RE.match(sentence, j.end())
        if m is None:
            return s, e
        end = m.end()
    else:
        m = NUMBER_RE.match(sentence, j.end())
        if m is None or not m.group().strip():
            return s, e
        end = m.end()
        if sentence[e:j.end()].strip() in ("–", "—", "-"):
            after = re.match(r"\s+([^\s,;:()]+)", sentence[end:])
            unit = after is not None and _UNIT_WORD_RE.fullmatch(after.group(1).strip("."))
            if not (_PERCENT_RE.search(m.group()) or unit):
                return s, e  # a score or a code, not a range
        end = _figure_end(sentence, m.start(), _UNIT_AFTER_RE.match(sentence, end).end())
    if between and not re.search(r"\bbetween\b", question, re.I):
        s = max(0, s - 10) + between.start()
    return s, end


def _figure_end(sentence: str, s: int, e: int) -> int:
    """Where the figure at sentence[s:e] ends for the answer line: with its unit ('10 tons',
    '5 years', '64 MiB', 'one million'), without the noun it counts ('308 points allowed'
    -> '308'; 'three main networks' -> 'three')."""
    m = NUMBER_RE.match(sentence, s, e)
    if m is None or m.end() >= e or not sentence[m.end()].isspace():
        return e  # '46th', '900k', 'three-year': one word
    end = m.end()
    for w in re.finditer(r"\s+([^\s,;:()]+)", sentence[end:e]):
        unit = w.group(1).rstrip(".")
        if not _UNIT_WORD_RE.fullmatch(unit):
            break
        end = m.end() + w.end() - (len(w.group(1)) - len(unit))  # not the full stop
    return end


_MONTH_RE = re.compile(r"(?:January|February|March|April|May|June|July|August|September|October"
                       r"|November|December|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)\b")


_DAYS_TO_RE = re.compile(r"(?:[–-]|to|and)\s*\d{1,2}\s*")  # '-5 ' of '4-5 November'


def _day_of_month(sentence: str, s: int, e: int) -> bool:
    """Whether the number at sentence[s:e] is a date's day ('26 March', 'March 26', the
    first of '4-5 November' or '4 and 5 November')."""
    if not sentence[s:e].strip().isdigit():
        return False
    after = sentence[e:e + 20].lstrip()
    days = _DAYS_TO_RE.match(after)
    if days:
        after = after[days.end():]
    before = sentence[max(0, s - 12):s].rstrip()
    return bool(_MONTH_RE.match(after)) or bool(re.search(r"(?:" + _MONTH_RE.pattern + r")\.?$", before))


# -- the answer line ---------------------------------------------------------------------------


def clip(sentence: str, terms: Iterable[tuple[int, int]], limit: int = LINE) -> str:
    """The sentence, or when it is longer than limit its run of clauses that holds the most
    of the question's terms (offsets in the sentence), cut with … where it was cut."""
    text = " ".join(sentence.split())
    if len(sentence) <= limit:
        return text
    terms = list(terms)
    n = len(sentence)
    bounds = sorted({0, n, *(m.end() for m in _CLAUSE_RE.finditer(sentence))})
    m = len(bounds)
    # each run's length without the spaces around it, from two offsets per bound (not a
    # piece stripped per run): the first character at or after a bound that is no space,
    # and the last one before it
    solid_from, solid_to = [], []
    for b in bounds:
        k = b
        while k < n and sentence[k].isspace():
            k += 1
        solid_from.append(k)
        k = b - 1
        while k >= 0 and sentence[k].isspace():
            k -= 1
        solid_to.append(k)
    # the terms in a run [bounds[i], bounds[j]]: those starting at or after its start whose
    # first bound at or past their end is at most j, counted up as j grows (not every term
    # tried for every run)
    ends_at = [bisect_left(bounds, te) for _, te in terms]
    best, best_key = None, None
    for i in range(m - 1):
        s = bounds[i]
        per = [0] * (m + 1)
        for (ts, _), j in zip(terms, ends_at):
            if s <= ts:
                per[j] += 1
        count = sum(per[: i + 1])
        start = solid_from[i]
        for j in range(i + 1, m):
            e = bounds[j]
            if (solid_to[j] - start + 1 if start < e else 0) > limit - 2:
                break
            count += per[j]
            key = (count, e - s, -s)
            if best_key is None or key > best_key:
                best, best_key = (s, e), key
    if best is None or best_key[0] == 0 and terms:
        # no clause fits: the words around the first term
        first = terms[0][0] if terms else 0
        s = max(0, sentence.rfind(" ", 0, max(0, first - limit // 3)) + 1)
        e = sentence.rfind(" ", s, s + limit - 2)
        best = (s, e if e > s else min(len(sentence), s + limit - 2))
    s, e = best
    piece = " ".join(sentence[s:e].split()).strip(" ,;:")
    return ("…" if s > 0 else "") + piece + ("…" if e < len(sentence) else "")
