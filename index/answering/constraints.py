"""What any answer to a question must respect, read once from the question and checked
candidate by candidate: passages (with their heading, endnotes and document title), facts and
the sentence an answer line is cut from.

Aggregates of term weight let a passage with most of the question's words and the wrong
country, year or person pass. Here each constraint is judged as a unit: a name the question
gives must stand in the candidate as a phrase (or as one of its aliases, which the analyzer
already folds into one term, or its demonym: "Japanese" for "Japan"); a year must be one the
candidate mentions or a period it gives that holds it; another number must be there as it is.
A candidate that breaks one of them does not answer the question.
"""
from __future__ import annotations

import re
from bisect import bisect_left
from collections import ChainMap
from dataclasses import dataclass, field, replace
from functools import cached_property, lru_cache
from types import MappingProxyType
from typing import Callable, Iterable, Mapping, Sequence

import numpy as np

from .asked import (DECADE_RE, FOLLOWING_WORD_RE, FUNCTION_WORDS, GENERIC, LETTER_WORD_RE,
                    RANGE_RE, TITLE_WORDS, YEAR_RE, asks_for, norm, years_in)

# Offices whose holder a who-question asks for: the relation an answer must speak of
# (not "head", "leader", "member": paraphrases put those in other words)
OFFICES = frozenset("""ambassador minister president chairman premier secretary spokesman
governor mayor king queen emperor marshal colonel counsellor""".split())
# Offices a paraphrase may leave unsaid ('led', 'in charge of'), but when a passage says one,
# it must be at the rank asked: 'who headed the department' is not answered by its deputy head
RANKED_ONLY = frozenset("head leader chief director commander".split())
# Words that make an office another one: a deputy minister is not the minister
RANKS = ("deputy", "vice", "assistant", "acting")
# Words that say which office of its kind: the prime minister is not the foreign minister
KINDS = ("prime", "foreign", "defence", "defense", "finance", "trade", "interior", "justice",
         "education", "health", "culture", "agriculture", "economy", "energy", "transport")
# Bodies named after their members: 'the Council of Ministers' holds no minister's office
BODIES = ("council", "committee", "commission", "cabinet", "conference", "board")
# Verbs that say an office: 'who chaired the committee' asks for its chairman
OFFICE_VERBS = {"chaired": "chairman", "chair": "chairman", "presided": "president",
                "governed": "governor"}
NO_BREAKS: Mapping[int, bool] = MappingProxyType({})  # a text read as one clause (clause_breaks)
# the shortest last word of a name that stands for the whole name once its document has said
# it ('Manning' for Peyton Manning; not 'Il' for Kim Jong Il)
SURNAME_MIN = 3
# a period open at one end: "until 1971", "since 1990"
_OPEN_RE = re.compile(r"\b(?:until|till|up to|since|from|after|before|by)\s+(?:the\s+)?"
                      r"(?:(?:early|mid|late|end of|spring|summer|autumn|winter)\s+)?"
                      r"(?:\w+\s+)?(?:1[0-9]\d\d|20\d\d)", re.I)


def _after_no(before: str, literal: str) -> str:
    """The pattern (?<!before)literal (before: one character's class; literal: a pattern of
    fixed width without look-arounds, say a letter, a class or an escaped word) written
    literal first, as literal(?<!before literal): the same matches, but re skips to where
    the literal can start, not trying the look-behind (or a \\b) at every position of a
    passage (30 times faster over 1,000 characters for a word, 3 times for a class)."""
    return f"{literal}(?<!{before}{literal})"


_ACRONYM_RE = re.compile(r"[A-Z][A-Z0-9&]+s?")
# a people's adjective: European, Brazilian, Japanese, British, Israeli (not 'Pan', 'Ian')
_DEMONYM_RE = re.compile(r"[A-Z][a-z]{2,}(?:ian|an|ese|ish|i)")
# words the question quotes: "…", “…”, or ‘…’ opened after a space (not an apostrophe)
_QUOTED_RE = re.compile(r'"([^"\n]+)"|“([^”\n]+)”|(?:^|(?<=[\s(]))‘([^’\n]+)’(?!\w)')
_MONTHS = frozenset("""january february march april may june july august september october
november december monday tuesday wednesday thursday friday saturday sunday""".split())
# Political texts name a state by its capital ("talks between Moscow and Pyongyang"): the
# country meets a question's capital. Not the reverse: a capital in a dateline ("Moscow,
# Tokyo") says nothing of the country.
CAPITALS = {
    "Afghanistan": "Kabul", "Albania": "Tirana", "Algeria": "Algiers", "Argentina": "Buenos Aires",
    "Armenia": "Yerevan", "Australia": "Canberra", "Austria": "Vienna", "Azerbaijan": "Baku",
    "Bangladesh": "Dhaka", "Belarus": "Minsk", "Belgium": "Brussels", "Bolivia": "La Paz",
    "Brazil": "Brasília", "Bulgaria": "Sofia", "Cambodia": "Phnom Penh", "Canada": "Ottawa",
    "Chile": "Santiago", "China": "Beijing", "Colombia": "Bogotá", "Croatia": "Zagreb",
    "Cuba": "Havana", "Czech Republic": "Prague", "Denmark": "Copenhagen", "Egypt": "Cairo",
    "Estonia": "Tallinn", "Ethiopia": "Addis Ababa", "Finland": "Helsinki", "France": "Paris",
    "Georgia": "Tbilisi", "Germany": "Berlin", "Greece": "Athens", "Hungary": "Budapest",
    "India": "New Delhi", "Indonesia": "Jakarta", "Iran": "Tehran", "Iraq": "Baghdad",
    "Ireland": "Dublin", "Israel": "Jerusalem", "Italy": "Rome", "Japan": "Tokyo",
    "Jordan": "Amman", "Kazakhstan": "Astana", "Kenya": "Nairobi", "Kyrgyzstan": "Bishkek",
    "Laos": "Vientiane", "Latvia": "Riga", "Lebanon": "Beirut", "Libya": "Tripoli",
    "Lithuania": "Vilnius", "Malaysia": "Kuala Lumpur", "Mexico": "Mexico City",
    "Mongolia": "Ulaanbaatar", "Morocco": "Rabat", "Myanmar": "Naypyidaw", "Nepal": "Kathmandu",
    "Netherlands": "Amsterdam", "New Zealand": "Wellington", "Nigeria": "Abuja",
    "North Korea": "Pyongyang", "Norway": "Oslo", "Pakistan": "Islamabad", "Peru": "Lima",
    "Philippines": "Manila", "Poland": "Warsaw", "Portugal": "Lisbon", "Romania": "Bucharest",
    "Russia": "Moscow", "Saudi Arabia": "Riyadh", "Serbia": "Belgrade", "Singapore": "Singapore",
    "Slovakia": "Bratislava", "South Africa": "Pretoria", "South Korea": "Seoul", "Spain": "Madrid",
    "Sweden": "Stockholm", "Switzerland": "Bern", "Syria": "Damascus", "Taiwan": "Taipei",
    "Tajikistan": "Dushanbe", "Thailand": "Bangkok", "Turkey": "Ankara",
    "Turkmenistan": "Ashgabat", "Ukraine": "Kyiv", "United Kingdom": "London",
    "United States": "Washington", "Uzbekistan": "Tashkent", "Venezuela": "Caracas",
    "Vietnam": "Hanoi", "Soviet Union": "Moscow",
}
# Names and peoples of states that the regular endings below do not make ('Dutch', 'Swiss',
# 'American'): what says which state a title or a sentence speaks of (not 'US', which is also
# 'us', nor 'Poles', also 'poles')
OTHER_NAMES = {
    "United States": "USA America American Americans", "United Kingdom": "UK Britain British "
    "England Scotland Scottish Wales", "Netherlands": "Holland Dutch",
    "France": "French", "Germany": "German Germans", "Spain": "Spanish Spaniards",
    "Switzerland": "Swiss", "Sweden": "Swedish Swedes", "Poland": "Polish",
    "Denmark": "Danish Danes", "Finland": "Finnish Finns", "Turkey": "Turkish Turks",
    "Greece": "Greek Greeks", "Ireland": "Irish", "Philippines": "Filipino Filipinos",
    "Thailand": "Thai", "Portugal": "Portuguese", "Afghanistan": "Afghan Afghans",
    "Peru": "Peruvian", "Iraq": "Iraqi", "Kyrgyzstan": "Kyrgyz", "Uzbekistan": "Uzbek",
    "Tajikistan": "Tajik", "Turkmenistan": "Turkmen", "Kazakhstan": "Kazakh",
    "Soviet Union": "USSR Soviet Soviets", "Czech Republic": "Czech Czechs",
    "New Zealand": "Zealander", "Saudi Arabia": "Saudi Saudis", "Cuba": "Cuban",
    "Lebanon": "Lebanese", "Norway": "Norwegian", "Belgium": "Belgian",
}
# states one of which a question may name for the other: a state and its predecessor
SAME_STATE = {"russia": "soviet union", "soviet union": "russia"}
# words that put what follows in a place ('in Moscow', 'to Pyongyang')
LOCATIVE_WORDS = ("in", "at", "near", "inside", "outside", "to", "from")
# what puts an event in a place: those, and 'into', 'visit Mongolia'
_PLACING = r"\b(?i:%s)\s+(?:the\s+)?" % "|".join(
    LOCATIVE_WORDS + ("into", "visit", "visits", "visited", "visiting"))
_PLACING_BEFORE_RE = re.compile(_PLACING + r"$")
_PLACED_RE = re.compile(_PLACING + r"([A-Z][\w’'-]*(?:\s+[A-Z][\w’'-]*)*)")
# demonyms and country names: forms a name may take in a text ("Japan" ~ "Japanese")
_SUFFIXES = ("ese", "ian", "an", "n", "i", "ish", "ic", "s")


@dataclass(frozen=True)
class Name:
    """A name the question gives: as written, and its analyzed terms in order (an alias is
    one term); forms: per term, the other terms it may stand as (demonyms)."""

    text: str
    terms: tuple[str, ...]
    forms: tuple[frozenset, ...] = ()
    acronym: bool = False  # 'UMC', 'PO': met where a passage spells it out (two letters,
    # 'TV', 'US', also where its document has it: they stand for words in lower case too)
    unsaid_ok: bool = False  # a role a passage may leave unsaid, not name at another rank
    quoted: bool = False  # the question quotes it: said where the answer stands
    owner: frozenset = frozenset()  # whose office a role is ('Japan's ambassador'): states
    office: str = ""  # a role's office word as a passage titles its holder ('chairman')
    kind: str = ""  # a role's word of KINDS just before its office ('foreign'), as analyzed
    dest: frozenset = frozenset()  # where a role serves ('ambassador to Japan'): states


@dataclass(frozen=True)
class Constraints:
    names: tuple[Name, ...] = ()
    years: tuple[tuple[int, int], ...] = ()  # each a year or a decade: (first, last)
    numbers: tuple[str, ...] = ()  # numbers other than years, as analyzed terms
    roles: tuple[Name, ...] = ()  # the office a who-question asks about ('ambassador'); its
    #                               terms: (the office) or (its rank, the office): 'deputy minister'
    places: frozenset = frozenset()  # names of states and places (folded): no one's name
    ranks: frozenset = frozenset()  # the terms of RANKS
    # term -> the states it may name ('korea': North and South): whose office a passage names
    states: Mapping[str, frozenset] = field(default_factory=dict, compare=False)
    kinds: frozenset = frozenset()  # the terms of KINDS
    # words -> the states they may name ('DPRK', 'Russian'): whose office a title before a
    # name says, where a sentence places what it says; None when no role has an owner and
    # the question places nothing in a state
    state_of: Callable[[str], frozenset] | None = field(default=None, compare=False)
    # the states where the question puts what it asks about ('visit Mongolia', 'in
    # Pyongyang'): an answer line's sentence that puts it in another state only ('a visit to
    # Moscow') speaks of something else
    located: frozenset = frozenset()
    # a thing the question places in a state, by its noun ('embassy' of 'the Mongolian
    # embassy in Pyongyang'): (the noun folded, the states), which a text that places the
    # same thing elsewhere only ('its embassy in Mongolia') does not speak of
    placed_things: tuple[tuple[str, frozenset], ...] = ()
    # the states its names name, each by one state only ('South Korea', 'the DPRK'; not
    # 'Korea' when no aliases file tells the two apart)
    named_states: frozenset = frozenset()
    bodies: frozenset = frozenset()  # the terms of BODIES, when an office is asked
    # one-letter options it names ('-k'), which no index term holds: said as written
    options: tuple[str, ...] = ()

    @property
    def owners(self) -> frozenset:
        """The states whose offices the question asks about ('Japan's ambassador')."""
        return frozenset().union(*(r.owner for r in self.roles))

    @property
    def terms(self) -> frozenset:
        """Every term a check looks for (names, their forms, numbers)."""
        out = set(self.numbers) | {t for r in self.roles for t in r.terms}
        if self.roles:
            out |= self.ranks | self.bodies
        if any(r.kind for r in self.roles):
            out |= self.kinds
        if any(r.owner or r.dest for r in self.roles):
            out.update(self.states)
        for n in self.names:
            out.update(n.terms)
            for f in n.forms:
                out.update(f)
        return frozenset(out)

    def __bool__(self) -> bool:
        return bool(self.names or self.years or self.numbers or self.roles or self.options)

    # read per candidate checked: found once per question
    @cached_property
    def quotes(self) -> bool:
        """Whether the question quotes something (a name met where the answer stands)."""
        return any(n.quoted for n in self.names)

    @cached_property
    def placed_roles(self) -> bool:
        """Whether an office asked of has an owner or a place it serves (clause_breaks)."""
        return any(r.owner or r.dest for r in self.roles)

    @cached_property
    def in_terms(self) -> bool:
        """Whether every constraint is judged on terms alone (names and numbers: no year,
        which is read in the texts, no office, no option), so a candidate's own terms may
        meet them all (met_in_text)."""
        return not (self.years or self.roles or self.options)

    @cached_property
    def all_met(self) -> "Check":
        """Check of a candidate that meets every constraint (one per question, shared)."""
        return Check(self.count, self.count)

    @cached_property
    def count(self) -> int:
        """How many constraints a candidate must meet (Check.total)."""
        return (len(self.names) + len(self.years) + len(self.numbers) + len(self.roles)
                + len(self.options))


@dataclass(frozen=True)
class Check:
    """How one candidate meets a question's constraints."""

    met: int = 0
    total: int = 0
    missing: tuple[str, ...] = ()  # what it lacks, as the question writes it
    untyped: str = ""  # what is asked for (a person, a date, a figure) when it gives none

    @property
    def passes(self) -> bool:
        return not self.missing and not self.untyped

    @property
    def share(self) -> float:
        return self.met / self.total if self.total else 1.0


# what read() and _names() look for in a question, compiled once
_FIGURE_RE = re.compile(r"\d{2,}(?:[.,]\d+)*|\d+(?:\.\d+)+")  # '1986', '3.5', '1.0.6'
_PLURAL_RE = re.compile(r"['’]?s\b")  # '70s', "70's"
_POSSESSIVE_RE = re.compile(r"[’']s$")
_DIGIT_RE = re.compile(r"\d")  # what every figure holds


def read(question: str, tokens: Sequence, known: Callable[[str], bool],
         analyze: Callable[[str], list[str]], compounds: Iterable[str] = (),
         related: dict | None = None, places: frozenset = frozenset(),
         code: Sequence[tuple[int, int]] = (),
         states: Callable[[], Mapping[str, frozenset]] = dict,
         forms_memo: dict | None = None,
         common: Callable[[str], bool] | None = None) -> Constraints:
    """The constraints of a question from its analyzed tokens (term, start, end); known: does
    the collection hold a term (for a name's other forms); analyze: text -> terms;
    compounds: the one-term names of multi-word entities (the aliases' 'north_korea'), which
    hold a name that is one of their words ('Korean' is said by 'North Korea'); related: a
    one-term name's other terms (capital_terms); code: the spans of the programs, functions
    and files it names (asked.code_spans), each a name of its own. forms_memo: where a
    one-word name's other forms (and the terms of RANKS, KINDS…) are kept from question to
    question, for the same known, analyze, compounds and related only (one collection's).
    common: whether the documents write a word in lower case (a common noun), if they can tell."""
    periods, taken = [], []  # "the 1960s", "1950-53": any year of them will do
    # the year patterns open with a look-behind that re tries at every position: most
    # questions have no 1 or 2 that a year, period or decade would start with
    years_in_it = "1" in question or "2" in question
    for m in (DECADE_RE.finditer(question) if years_in_it else ()):
        periods.append((int(m.group(1)) * 10, int(m.group(1)) * 10 + 9))
        taken.append((m.start(), m.end()))
    for m in (RANGE_RE.finditer(question) if years_in_it else ()):
        lo, b = int(m.group(1)), m.group(2)
        hi = int(b) if len(b) == 4 else lo // 100 * 100 + int(b)
        if lo < hi <= lo + 60:
            periods.append((lo, hi))
            taken.append((m.start(), m.end()))
    inside = lambda s: any(a <= s < b for a, b in taken)  # noqa: E731
    years = tuple(dict.fromkeys(
        [(int(m.group(1)),) * 2 for m in (YEAR_RE.finditer(question) if years_in_it else ())
         if not inside(m.start())]
        + periods))
    year_terms = {str(lo) for lo, hi in years if lo == hi}
    # other numbers: plain figures of two digits or more ('5' may be written 'five'; '70s',
    # '4th', '3D' are no figures), versions ('1.0.6') and options ('xz -7')
    # (the figure first: most words are none, and each test alone decides nothing else)
    figures = _DIGIT_RE.search(question) is not None  # (a figure's test per word, else none)
    numbers = tuple(dict.fromkeys(
        t.term for t in tokens if (figures and _FIGURE_RE.fullmatch(question, t.start, t.end)
                                   or question[max(0, t.start - 2):t.start] in (" -", "--"))
        and t.term not in year_terms and not inside(t.start)
        and not _PLURAL_RE.match(question[t.end:t.end + 2])))
    names = _names(question, tokens, known, analyze, related or {}, code, forms_memo, common)
    said = _quoted(question, tokens)
    if said:  # a name inside a quotation is met by the quotation as a whole
        inside_quote = lambda n: any(n.text in q.text for q in said)  # noqa: E731
        names = tuple(n for n in names if not inside_quote(n)) + said
    names = tuple(dict.fromkeys(names))  # a name said twice is one constraint, said once
    holding = _compound_parts(compounds, forms_memo)  # word -> the compounds that hold it
    if holding:
        names = tuple(
            replace(n, forms=tuple(f | {c for w in f | {t} for c in holding.get(w, ())}
                                   for t, f in zip(n.terms, n.forms)))
            if len(n.terms) == 1 else n for n in names)
    roles: dict[str, Name] = {}
    ranks = _word_set(RANKS, analyze, forms_memo)
    kinds = _word_set(KINDS, analyze, forms_memo)
    if asks_for(question) == "name":  # "who was Japan's ambassador": the office is the relation
        ranked_only = _word_set(RANKED_ONLY, analyze, forms_memo)
        for i, t in enumerate(tokens):
            # 'who headed': the office the verb names ('headed' is analyzed as 'head')
            word = norm(question[t.start:t.end])
            if word in OFFICE_VERBS:  # a passage may say the verb, not the office
                office = OFFICE_VERBS[word]
                roles.setdefault(office, Name(question[t.start:t.end], tuple(analyze(office)),
                                              unsaid_ok=True, office=office))
                continue
            soft = t.term in ranked_only
            if soft or word in OFFICES:
                # its rank, one or two words before ('deputy foreign minister')
                rank = next((u for u in tokens[max(0, i - 2):i] if u.term in ranks), None)
                start = rank.start if rank is not None else t.start
                owner, (a, b) = _owner(question, tokens, i, start, states)
                # which office of its kind: 'foreign' of 'North Korea's foreign minister'
                kind = tokens[i - 1].term if i > 0 and tokens[i - 1].term in kinds and \
                    not question[tokens[i - 1].end:t.start].strip() else ""
                roles.setdefault(t.term, Name(
                    question[a:b], (rank.term, t.term) if rank is not None else (t.term,),
                    unsaid_ok=soft, owner=owner, office=word, kind=kind,
                    dest=_destination(question, tokens, i, states)))
    owned = any(r.owner or r.dest for r in roles.values())
    known_states = states()
    located = frozenset().union(*(
        known_states.get(t, ()) for n in names for t in n.terms
        if any(_PLACING_BEFORE_RE.search(question, 0, at)
               and not _noun_after(question, at + len(n.text))
               for at in _found_at(n.text, question))))
    located |= {SAME_STATE[st] for st in located if st in SAME_STATE}
    state_of = _state_reader(known_states, analyze)
    things = []
    for m in _THING_IN_RE.finditer(question):
        where = state_of(m.group(2))
        if where and norm(m.group(1)) not in FUNCTION_WORDS:
            things.append((norm(m.group(1)), where | {SAME_STATE[st] for st in where
                                                      if st in SAME_STATE}))
    named = frozenset().union(*(st for st in map(state_of, (n.text for n in names))
                                if len(st) == 1))
    bodies = _word_set(BODIES, analyze, forms_memo) if roles else frozenset()
    options = tuple(dict.fromkeys(OPTION_RE.findall(question)))
    return Constraints(names, years, numbers, tuple(roles.values()), places, ranks,
                       known_states if owned else {}, kinds,
                       state_of if owned or located or things or named else None,
                       located, tuple(things), named, bodies, options)


# a command's option of one letter ('-k'): the analyzer keeps no one-letter word
OPTION_RE = re.compile(_after_no(r"[\w-]", "-") + r"[A-Za-z](?![\w-])")


def _says_option(text: str, option: str) -> bool:
    """Whether text says the option as written ('-k', not '-kb' nor 'x-k')."""
    return re.search(r"(?<![\w-])%s(?![\w-])" % re.escape(option), text) is not None


# a thing and the place it is in: 'embassy in Pyongyang', 'consulate at Nakhodka'
_THING_IN_RE = re.compile(r"(" + _after_no(r"\w", "[a-z]") + r"[a-z-]+)\s+(?:in|at)\s+(?:the\s+)?"
                          r"([A-Z][\w’'-]*(?:\s+[A-Z][\w’'-]*)*)")


def thing_elsewhere(c: Constraints, text: str) -> bool:
    """Whether a text places a thing the question places in a state ('the embassy in
    Pyongyang') only in other states ('its embassy in Mongolia')."""
    if not c.placed_things or c.state_of is None:
        return False
    for noun, where in c.placed_things:
        there = [c.state_of(m.group(2)) for m in _THING_IN_RE.finditer(text)
                 if norm(m.group(1)) == noun]
        there = [t for t in there if t]
        if there and not any(t & where for t in there):
            return True
    return False


def _noun_after(question: str, end: int) -> bool:
    """Whether a word in lower case that is no function word follows question[:end]: the name
    before it is a people's adjective ('to British plans'), no place."""
    m = FOLLOWING_WORD_RE.match(question, end)
    return m is not None and m.group(1).islower() and m.group(1) not in FUNCTION_WORDS


def _state_reader(states: Mapping[str, frozenset], analyze: Callable[[str], list[str]]
                  ) -> Callable[[str], frozenset]:
    """words -> the states their terms may name."""
    def state_of(text: str) -> frozenset:
        return frozenset().union(*(states.get(t, ()) for t in analyze(text)))
    return state_of


# what may stand between a state and its office: "Japan's ambassador", "the Mongolian
# foreign minister"; not "ambassador to Japan", "minister in Tokyo"
_OWNER_GAP = re.compile(r"(?:['’]s)?(?:\s+(?!(?:to|in|at|from|for|with|by|of|and|or|the|a|an)\b)"
                        r"[A-Za-z-]+){0,2}\s+", re.I)


def _owner(question: str, tokens: Sequence, i: int, start: int,
           states: Callable[[], Mapping[str, frozenset]]
           ) -> tuple[frozenset, tuple[int, int]]:
    """The state whose office (tokens[i], its rank from start) the question asks about
    ('Japan's ambassador', 'the Mongolian president', 'president of South Korea'), as the
    states its word may name (empty when it names none), and where the question says the
    office with its state."""
    owner, span = None, (start, tokens[i].end)
    for j in range(i - 1, max(-1, i - 4), -1):
        u = tokens[j]
        if u.end <= start and _OWNER_GAP.fullmatch(question, u.end, start):
            if u.term in states():
                owner, span = u.term, (u.start, tokens[i].end)
                break
    if (owner is None and i + 1 < len(tokens) and re.fullmatch(
            r"\s+of\s+(?:the\s+)?", question[tokens[i].end:tokens[i + 1].start], re.I)):
        # 'president of South Korea': the state's words follow one another
        for j in range(i + 1, min(len(tokens), i + 4)):
            if j > i + 1 and question[tokens[j - 1].end:tokens[j].start].strip():
                break
            if tokens[j].term in states():
                owner, span = tokens[j].term, (start, tokens[j].end)
                break
    return (frozenset(), span) if owner is None else (states()[owner], span)


def _destination(question: str, tokens: Sequence, i: int,
                 states: Callable[[], Mapping[str, frozenset]]) -> frozenset:
    """The states where the office tokens[i] serves ('ambassador to Japan', 'ambassador in
    Seoul'), empty when the question names none."""
    if i + 1 >= len(tokens) or not re.fullmatch(r"\s+(?:to|in|at)\s+(?:the\s+)?",
                                                 question[tokens[i].end:tokens[i + 1].start]):
        return frozenset()
    for j in range(i + 1, min(len(tokens), i + 3)):
        if j > i + 1 and question[tokens[j - 1].end:tokens[j].start].strip():
            break
        if tokens[j].term in states():
            return states()[tokens[j].term]
    return frozenset()


def _found_at(text: str, where: str) -> list[int]:
    """Where text stands in where, left to right and not overlapping, as re.finditer of the
    escaped text finds it, with no pattern compiled for each question's names."""
    if not text:
        return list(range(len(where) + 1))
    out, at = [], where.find(text)
    while at >= 0:
        out.append(at)
        at = where.find(text, at + len(text))
    return out


_AUXILIARIES = frozenset("is are was were be been am do does did has have had can could will "
                        "would shall should may might must".split())


def _names(question: str, tokens: Sequence, known: Callable[[str], bool],
           analyze: Callable[[str], list[str]], related: dict,
           code: Sequence[tuple[int, int]], forms_memo: dict | None = None,
           common: Callable[[str], bool] | None = None) -> tuple[Name, ...]:
    in_code = lambda t: any(a <= t.start < b for a, b in code)  # noqa: E731
    capital = [t for t in tokens if t.start > 0 and question[t.start:t.start + 1].isupper()
               and not t.term[:1].isdigit() and not in_code(t)]
    words = LETTER_WORD_RE.findall(question)
    if len(words) > 3 and len(capital) >= 0.6 * (len(words) - 1) and not any(
            w[:1].islower() and (w.casefold() not in FUNCTION_WORDS or w in _AUXILIARIES)
            for w in words[1:]):
        # a question in title case gives no names by its capitals (one with a verb in small
        # letters is not: 'When did Kim Jong Un visit Ulaanbaatar?', 'Who is Kim Jong Un?':
        # title case writes 'Is', 'Did')
        return ()
    groups: list[list] = []
    for t in capital:
        if groups:
            prev = groups[-1][-1]
            gap = question[prev.end:t.start]
            if gap.isspace() and len(gap) <= 2:
                groups[-1].append(t)
                continue
        groups.append([t])
    out = []
    for a, b in code:  # a program's or file's name: its pieces together ('7z2xz.bash')
        terms = tuple(dict.fromkeys(t.term for t in tokens if a <= t.start < b))
        if terms and all(known(t) for t in terms):
            out.append(Name(question[a:b], terms, (frozenset(),) * len(terms)))
    groups = [[t for t in g if question[t.start:t.end].casefold() not in _MONTHS] for g in groups]
    groups = [part for g in groups for part in _split_group(question, g, common)]
    for g in groups:
        if not g or len(g) == 1 and norm(question[g[0].start:g[0].end]) in GENERIC:
            continue  # 'Republic', 'Treaty', 'President' alone name nothing in particular
        if not all(known(t.term) for t in g):
            continue  # no passage could meet it: the names gate judges names never mentioned
        terms = tuple(dict.fromkeys(t.term for t in g))
        text = _POSSESSIVE_RE.sub("", question[g[0].start:g[-1].end])
        forms = tuple(_forms_kept(question[t.start:t.end], t.term, known, analyze, related,
                                  forms_memo)
                      if len(g) == 1
                      else frozenset() for t in g)
        acronym = len(g) == 1 and bool(_ACRONYM_RE.fullmatch(question[g[0].start:g[0].end]))
        out.append(Name(text, terms, forms, acronym))
    return tuple(out)


def _quoted(question: str, tokens: Sequence) -> tuple[Name, ...]:
    """What the question quotes, each a phrase a passage must say in those words (as a
    search engine reads quotation marks): a title, or the words a follow-up asks about."""
    out = []
    if '"' not in question and "“" not in question and "‘" not in question:
        return ()  # (the pattern's third branch opens with a look-behind)
    for m in _QUOTED_RE.finditer(question):
        i = next(g for g in (1, 2, 3) if m.group(g) is not None)
        a, b = m.start(i), m.end(i)
        terms = tuple(t.term for t in tokens if a <= t.start < b)
        if terms:
            out.append(Name(m.group(i).strip(), terms, (frozenset(),) * len(terms), quoted=True))
    return tuple(out)


def _split_group(question: str, group: list,
                 common: Callable[[str], bool] | None = None) -> list[list]:
    """A run of capitalised words as the names it holds: a people's adjective before a noun
    ends one ("European Protestant", "North American Huguenot", "British TV"): a text says
    "Protestant leaders in Europe", so each is met on its own, not as one phrase. So does a
    name before an office ("US President": a text says "President Cleveland" of the US), and a
    name's possessive ("Newcastle's Gay Community", "the Yuan's Persian ally": a text says
    "the Gay Community in Newcastle"), where common tells that its word is a name: a common
    noun's is part of one ("People's Republic", "Children's Hospital")."""
    parts: list[list] = [[]]
    for i, t in enumerate(group):
        parts[-1].append(t)
        word = question[t.start:t.end]
        last = i == len(group) - 1
        after = question[group[i + 1].start:group[i + 1].end] if not last else ""
        if not last and (_DEMONYM_RE.fullmatch(word) and not _named_kind(after)
                         or word.casefold() not in TITLE_WORDS and after.casefold() in OFFICES
                         or common is not None and _POSSESSIVE_RE.search(word)
                         and not common(_POSSESSIVE_RE.sub("", word))):
            parts.append([])
    return [p for p in parts if p]


def _named_kind(word: str) -> bool:
    """Whether a people's adjective before this word is part of a name: a kind of thing that
    alone names nothing ('Korean War', 'Soviet Army'), not an office ('Korean Ambassador')."""
    w = norm(word)
    return w in GENERIC and w not in TITLE_WORDS


def fold_name(text: str) -> str:
    return " ".join(re.sub(r"[’']s$", "", text.strip()).casefold().split())


def place_names(aliases: dict) -> frozenset:
    """Folded names of the entities of an aliases file and of the states and capitals above."""
    out = {fold_name(n) for n in list(CAPITALS) + list(CAPITALS.values())}
    for name, others in aliases.items():
        out.add(fold_name(name))
        out.update(fold_name(o) for o in others)
    return frozenset(out)


def state_terms(aliases: Mapping[str, Sequence[str]],
                analyze: Callable[[str], list[str]]) -> dict[str, frozenset]:
    """term -> the states it may name: the entities of an aliases file by any of their names,
    the states above by name, capital and people ('Japanese', or 'Mongolian' when no aliases
    file folds it into 'Mongolia'). A name of several words counts by its last ('South Korea'
    by 'Korea', which then names both Koreas). What says whose office a passage names."""
    out: dict[str, set] = {}

    def add(name: str, state: str) -> None:
        terms = analyze(name)
        if terms:
            out.setdefault(terms[-1], set()).add(state)

    # an aliases entity is a state when it is one of the states or capitals above ('the CPSU
    # General Secretary' is the Soviet Union's, not another state's)
    state_of = {fold_name(c): fold_name(c) for c in CAPITALS}
    state_of.update((fold_name(cap), fold_name(c)) for c, cap in CAPITALS.items())
    for name, others in aliases.items():
        state = state_of.get(fold_name(name))
        for n in [name, *others] if state else ():
            add(n, state)
    for country, capital in CAPITALS.items():
        state = fold_name(country)
        # an aliases entity of the same name is the same state
        add(country, state)
        add(capital, state)
        for people in people_words(country.split()[-1]):
            add(people, state)
    for country, others in OTHER_NAMES.items():
        for name in others.split():
            add(name, fold_name(country))
    # the last word that several states' names share names each ('Korea': North and South),
    # also where an aliases file makes each name one term ('north_korea')
    by_last: dict[str, list[str]] = {}
    for country in CAPITALS:
        if " " in country:
            by_last.setdefault(country.split()[-1], []).append(fold_name(country))
    for last, states in by_last.items():
        for state in states if len(states) > 1 else ():
            add(last, state)
    return {t: frozenset(v) for t, v in out.items()}


def people_words(last: str) -> list[str]:
    """The words that may name the people of a place by its last word ('Korean', 'Chinese',
    'Japanese', 'Israeli', 'Iraqi'; not 'Georgii', a name, nor 'Chini')."""
    return [base + suffix for base in (last, last[:-1])
            for suffix in ("n", "an", "ian", "ese", "ish")] + [last + "i"]


def capital_terms(analyze: Callable[[str], list[str]]) -> dict[str, frozenset]:
    """Term of a capital -> terms of its country (one-term names only)."""
    out: dict[str, set] = {}
    for country, capital in CAPITALS.items():
        a, b = analyze(country), analyze(capital)
        if len(a) == 1 and len(b) == 1 and a != b:
            out.setdefault(b[0], set()).add(a[0])
    return {k: frozenset(v) for k, v in out.items()}


FORMS_KEPT = 20_000  # one-word names whose forms a forms_memo keeps


def _compound_parts(compounds: Iterable[str], memo: dict | None) -> dict[str, tuple]:
    """Each word of the multi-word compounds -> the compounds that hold it, made once per
    memo (the aliases file's entities, the same for every question of a collection)."""
    got = memo.get("compound parts") if memo is not None else None
    if got is None:
        holding: dict[str, list] = {}
        for c in compounds:
            if "_" in c:
                for w in set(c.split("_")):
                    holding.setdefault(w, []).append(c)
        got = {w: tuple(cs) for w, cs in holding.items()}
        if memo is not None:
            memo["compound parts"] = got
    return got


def _word_set(words: Iterable[str], analyze: Callable[[str], list[str]],
              memo: dict | None) -> frozenset:
    """The terms of a fixed list of words (RANKS, KINDS), analyzed once per memo."""
    got = memo.get(words) if memo is not None else None
    if got is None:
        got = frozenset(t for w in words for t in analyze(w))
        if memo is not None:
            memo[words] = got
    return got


def _forms_kept(word: str, term: str, known: Callable[[str], bool],
                analyze: Callable[[str], list[str]], related: dict,
                memo: dict | None) -> frozenset:
    """_forms, looked up in memo first: the same names come back question after question,
    and each of their forms costs an analysis and a look-up in the index."""
    if memo is None:
        return _forms(word, term, known, analyze, related)
    got = memo.get((word, term))
    if got is None:
        if len(memo) >= FORMS_KEPT:
            memo.clear()
        got = memo[(word, term)] = _forms(word, term, known, analyze, related)
    return got


def _forms(word: str, term: str, known: Callable[[str], bool],
           analyze: Callable[[str], list[str]], related: dict) -> frozenset:
    """Other terms a one-word name may stand as in a text: Japan ~ Japanese, Chinese ~ China."""
    w = word.rstrip("’'s") if word.endswith(("’s", "'s")) else word
    bases = {w, w[:-1]} if len(w) > 4 else {w}
    # strip a demonym's ending: Japanese -> Japan, Canadian -> Canada, and a plural's first
    # (Koreans -> Korean -> Korea)
    for word in {w, w[:-1]} if w.endswith("s") and len(w) > 4 else {w}:
        for suffix in _SUFFIXES:
            if word.casefold().endswith(suffix) and len(word) - len(suffix) >= 4:
                stem = word[: -len(suffix)]
                bases.update({stem, stem + "a", stem + "y"})
    found = {t for t in related.get(term, ()) if known(t)}
    if not LETTER_WORD_RE.fullmatch(w):
        return frozenset(found)  # an alias of several words ('North Korea') has no endings
    # each spelling once: the bases' endings overlap ('Japan' + 'ese' is the word itself)
    for cand in dict.fromkeys([c for base in bases for c in (base, *[base + s for s in _SUFFIXES])]):
        for t in analyze(cand):
            if t != term and known(t):
                found.add(t)
    return frozenset(found)


def has_phrase(seq: Sequence[str], name: Name) -> bool:
    """Whether all the name's terms stand together in seq: within a window of two terms more
    than the name has, in any order ('Energy Department' is the 'Department of Energy'),
    never scattered over the passage."""
    if type(seq) is TermsRead:
        got = seq.phrases.get(name.terms)
        if got is not None:
            return got
        seq = seq.list
    want = set(name.terms)
    width = len(name.terms) + 2
    at = _positions(seq, want)
    for a in range(len(at)):
        seen = set()
        for b in range(a, len(at)):
            if at[b] - at[a] >= width:
                break
            seen.add(seq[at[b]])
            if seen == want:
                return True
    return False


def _positions(seq: Sequence[str], want: set[str]) -> list[int]:
    """The positions in seq of the wanted terms, ascending: found by list.index, which scans
    in C, rather than by a Python loop over every term of a passage."""
    if type(seq) is not list and type(seq) is not tuple:
        return [i for i, t in enumerate(seq) if t in want]
    at = []
    for t in want:
        i = -1
        try:
            while True:
                i = seq.index(t, i + 1)
                at.append(i)
        except ValueError:
            pass
    at.sort()
    return at


def _holds_office(seq: Sequence[str], role: Name, ranks: frozenset,
                  states: Mapping[str, frozenset] | None = None,
                  breaks: Mapping[int, bool] = NO_BREAKS, kinds: frozenset = frozenset(),
                  one_holder: bool = False, unsaid_is_owner: bool = True,
                  bodies: frozenset = frozenset()) -> bool:
    """Whether seq names the office at the rank asked: 'deputy minister' by 'deputy (foreign)
    minister' only, 'minister' by a minister with no rank before him; of the kind asked ('Prime
    Minister' is no foreign minister); where it serves, when the question says ('Ambassador
    to Pyongyang' is not the ambassador to Japan); and, when the question says whose office it
    is, not only as another state's ('the Mongolian President' is not the president of South
    Korea). one_holder: seq is about one holder of the office (a fact), so a mention that
    names no state does not make up for one that names another. unsaid_is_owner: whether an
    office whose state its clause leaves unsaid may be the owner's (not when the candidate
    names the owner nowhere)."""
    if role.kind and kinds:
        # another office of its kind is not the one asked: 'Prime Minister' for the foreign
        # minister; an office said without its kind may be it ('the Minister of Foreign
        # Affairs', 'the minister')
        seq = [t if t != role.terms[-1] or i == 0 or seq[i - 1] not in kinds
               or seq[i - 1] == role.kind else "" for i, t in enumerate(seq)]
    if len(role.terms) == 2:
        if not role.owner:
            return has_phrase(seq, role)
        rank, office = role.terms
        at = [(i, next(j for j in range(i - 1, max(-1, i - 4), -1) if seq[j] == rank))
              for i, t in enumerate(seq) if t == office and rank in seq[max(0, i - 3):i]]
    else:
        office = role.terms[0]
        at = [(i, i) for i, t in enumerate(seq)
              if t == office and not ranks & set(seq[max(0, i - 2):i])]
    if bodies:  # 'the Council of Ministers' is a body, no minister's office
        at = [(i, first) for i, first in at
              if not (first > 0 and seq[first - 1] in bodies and breaks.get(first) is False)]
    if role.dest and states:
        # serving elsewhere: 'Ambassador to Pyongyang' is not the ambassador to South Korea
        # (the state said right after the office, in its clause)
        def after(i: int) -> frozenset | None:
            if i + 1 < len(seq) and not breaks.get(i + 1, False) and seq[i + 1] in states:
                return states[seq[i + 1]]
            return None

        def before(first: int) -> frozenset | None:  # 'sent to South Korea as ambassador'
            if (first > 0 and seq[first - 1] in states and breaks.get(first) is False
                    and breaks.get(first - 1) is False):
                return states[seq[first - 1]]
            return None
        if one_holder:
            places = [after(i) or before(first) for i, first in at]
            if any(places) and not any(p and p & role.dest for p in places):
                return False  # a fact says where its office served, and it is elsewhere
            at = [m for m, p in zip(at, places) if p is None or p & role.dest]
        else:
            at = [(i, first) for i, first in at
                  if not (after(i) is not None and not after(i) & role.dest)]
    if not role.owner or not states:
        return bool(at)
    unsaid = False
    for _, first in at:
        # the state said just before the office, in the same clause (one word may stand
        # between: 'the Mongolian Foreign Minister'; not '... in Moscow. Ambassador X')
        state = None
        for j in range(first - 1, max(-1, first - 3), -1):
            if j + 1 in breaks:
                break
            if seq[j] in states:
                state = seq[j]
                break
        if state is not None and states[state] & role.owner:
            return True
        unsaid = unsaid or state is None
    # an office whose state is unsaid may be anyone's; in a fact, about one holder, the
    # state said at another mention is its state
    return unsaid and unsaid_is_owner and not (one_holder and len(at) > 1 and any(
        _state_before(seq, first, breaks, states) for _, first in at))


def _as_said(seq: Sequence[str], states: Mapping[str, frozenset]) -> Mapping[str, frozenset]:
    """states, with a word of several states ('Korea': North and South) read as the one of
    them that seq names by a name of its own ('DPRK'), when it names one only: 'Valery
    Denisov, Russian ambassador to Korea' in a text about the DPRK serves in North Korea."""
    own = {st for t in seq if t in states and len(states[t]) == 1 for st in states[t]}
    narrowed = {}
    for t in set(seq):
        of = states.get(t)
        if of is not None and len(of) > 1 and len(of & own) == 1:
            narrowed[t] = of & own
    return ChainMap(narrowed, states) if narrowed else states


def writes_initials(text: str, name: str) -> bool:
    """Whether a text writes a name of two capitalised words or more as their initials,
    dotted or not ('US' or 'U.S.' for United States)."""
    rx = _initials_re(name)
    return rx is not None and rx.search(text) is not None


@lru_cache(maxsize=1024)
def _initials_re(name: str) -> re.Pattern | None:
    """The pattern of a name's initials (None under two): made once per name, not once per
    candidate checked against it."""
    letters = [w[0] for w in name.split() if w[:1].isupper()]
    if len(letters) < 2:
        return None
    return re.compile(_after_no(r"[\w.]", letters[0]) + "".join(r"\.?" + c for c in letters[1:])
                      + r"\.?(?![\w])")


def spells_out(text: str, acronym: str) -> bool:
    """Whether a text says the words an acronym stands for, their capitals its letters
    ('Central Intelligence Agency' for CIA, 'Council for Mutual Economic Assistance' for
    CMEA); a plural's s and an ampersand aside."""
    letters = re.sub(r"s$", "", acronym.replace("&", ""))
    if len(letters) < 2:
        return False
    return any(letters in initials for initials in _initials(text))


@lru_cache(maxsize=4096)
def _initials(text: str) -> tuple[str, ...]:
    """The capitals that open the words of each capitalised run of a text: read once per
    text, not once per acronym and question that look at it."""
    return tuple("".join(w[0] for w in run.split() if w[0].isupper())
                 for run in _CAPITALISED_RUN_RE.findall(text))


# capitalised words in a row, with small words between ('Council for Mutual Economic Assistance')
_CAPITALISED_RUN_RE = re.compile(r"[A-Z][\w’'-]*(?:\s+(?:(?:of|for|and|the|de|du|des|von|und)\s+)*"
                                 r"[A-Z][\w’'-]*)+")


def last_word_alone(text: str, name: Name) -> bool:
    """Whether a text says a name's last word other than as a part of another name: alone
    ('Manning threw'), after a function word ('the Broncos') or after the name's own words;
    not after another capitalised word ('Eli Manning' is not Peyton Manning, 'Super Bowl' no
    Pro Bowl)."""
    last, own, pattern = _last_word(name.text)
    if last not in text:  # the pattern's literal: no match without it
        return False
    for m in pattern.finditer(text):
        word = _word_before(text, m.start())
        if word is None:
            return True
        if not word[0].isupper() or word.casefold() in own or word.casefold() in FUNCTION_WORDS:
            return True
    return False


@lru_cache(maxsize=4096)
def _last_word(text: str) -> tuple[str, frozenset, re.Pattern]:
    """A name's last word (no possessive), its other words casefolded, and the pattern that
    finds the last word alone: made once per name, not once per passage checked."""
    words = text.split()
    last = re.sub(r"[’']s$", "", words[-1])
    return (last, frozenset(w.casefold() for w in words[:-1]),
            re.compile(_after_no(r"[\w-]", re.escape(last)) + r"(?![\w-])"))


# the word right before a position, when only spaces stand between
_WORD_BEFORE_RE = re.compile(r"([\w’'.-]+)[ \t]+$")
_WORD_MARKS = frozenset("’'.-_")


def _word_before(text: str, end: int) -> str | None:
    """_WORD_BEFORE_RE.search(text, 0, end).group(1) (or None), read backwards from end: the
    pattern tried from every position of the text before it cost a scan of the whole text
    per mention. ($ also matches before a newline that ends the searched part.)"""
    stop = end - 1 if end > 0 and text[end - 1] == "\n" else end
    k = stop
    while k > 0 and text[k - 1] in " \t":
        k -= 1
    if k == stop:
        return None
    j = k
    while j > 0 and (text[j - 1].isalnum() or text[j - 1] in _WORD_MARKS):
        j -= 1
    return text[j:k] if j < k else None


def states_named(seq: Iterable[str], states: Mapping[str, frozenset]) -> frozenset:
    """The states a text's terms name, a word of several states ('Korea') read as the one the
    text names by a name of its own ('DPRK'), when it names one only."""
    seq = set(seq)
    said = _as_said(seq, states)
    return frozenset().union(*(said[t] for t in seq if t in said))


def _names_owner(seq: Sequence[str], role: Name, states: Mapping[str, frozenset],
                 breaks: Mapping[int, bool]) -> tuple[bool, bool]:
    """(whether seq names the state whose office role asks of other than as where such an
    office serves; whether it names it as that post: 'the first MPR ambassador to North
    Korea')."""
    office = role.terms[-1]
    posts = getattr(breaks, "posts", frozenset())
    said = posted = False
    for j, t in enumerate(seq):
        if t not in states or not states[t] & role.owner:
            continue
        # right after the office ('ambassador to North Korea'), or before it across a
        # preposition ('sent to North Korea as ambassador')
        served = j in posts and (j > 0 and seq[j - 1] == office or (
            j + 1 < len(seq) and seq[j + 1] == office and breaks.get(j + 1) is False))
        posted = posted or served
        said = said or not served
    return said, posted


def _state_before(seq: Sequence[str], first: int, breaks: Mapping[int, bool],
                  states: Mapping[str, frozenset]) -> bool:
    """Whether a state is said just before position first, in its clause."""
    for j in range(first - 1, max(-1, first - 3), -1):
        if j + 1 in breaks:
            return False
        if seq[j] in states:
            return True
    return False


def met_in_text(c: Constraints, terms: "TermsRead") -> bool:
    """Whether a candidate's own terms meet every constraint as check() finds them met, so
    that check gives Check(c.count, c.count) whatever else the candidate holds: c has names
    and numbers only (Constraints.in_terms), and the candidate's text holds each number,
    each name of one term, each name of several as a phrase (what check reads first)."""
    if not c.in_terms:
        return False
    held, phrases = terms.held, terms.phrases
    for name in c.names:
        if not (name.terms[0] in held if len(name.terms) == 1 else phrases.get(name.terms)):
            return False
    return all(num in held for num in c.numbers)


def check(c: Constraints, text_terms: Sequence[str], outside: Iterable[Sequence[str]],
          texts: Iterable[str], in_document: Callable[[str], bool] | None = None,
          breaks: Mapping[int, bool] = NO_BREAKS, context: Iterable[str] = (),
          said_in_document: Callable[[Name], bool] | None = None,
          year_near: Callable[[int], bool] | None = None,
          one_holder: bool = False, near: Iterable[Sequence[str]] = (),
          owner_in_text: bool = False) -> Check:
    """How a candidate meets c: text_terms, its own terms in order (only the constraint terms
    matter, others may be anything); outside, the term sequences of its heading, endnotes and
    document title; texts, every text of it (for years); in_document: whether its document
    holds a term (an acronym is met where the candidate's text, the first of texts, spells
    it out, one of two letters also where its document has it; a name of several words where
    that text writes its initials); breaks: the positions of text_terms that follow a punctuation mark or a preposition (clause_breaks: a state before it does
    not say whose office follows);
    context: its document's title and date, whose years count only when its own texts name
    none, and not when they are a period (a history of 1948-2000 does not date each of its
    passages to any of those years); year_near: whether a year is said in its section (a
    passage that names none is of its section's time, if of any);
    said_in_document: whether its document says a name of several words in full somewhere (a
    text that has named 'Peyton Manning' goes on with 'Manning'); one_holder: the candidate
    is about one holder of an office (a fact), whose state any mention may say; near: the
    term sequences of the passages it continues, which may hold its names and years but not
    the office asked of (the passage before, naming an ambassador, does not make the year
    this one names his); owner_in_text: an office whose state is unsaid is the state's asked
    only when the candidate itself (its text, heading, endnotes, title) names that state
    ('Ambassador Dorj' in a passage that names no China is not China's ambassador).
    """
    if not c:
        return Check()
    texts = texts if type(texts) is list else list(texts)  # read for years and for options
    # the sequences as given (has_phrase reads tuples as lists): copied only for the roles
    own_outside = outside if type(outside) in (list, tuple) else list(outside)
    near = near if type(near) in (list, tuple) else list(near)
    outside = [*own_outside, *near] if near else own_outside
    held = set(text_terms.held) if type(text_terms) is TermsRead else set(text_terms)
    for s in outside:
        held.update(s)
    missing = []
    met = 0
    for name in c.names:
        if len(name.terms) == 1:
            # an acronym: spelled out by the candidate's text ('the United Nations' for UN,
            # 'the Presiding Officer' for PO, said as such in its document or not), or one
            # of two letters its document says ('TV', 'US': too short to read initials by)
            ok = name.terms[0] in held or any(f & held for f in name.forms) or (
                name.acronym and (any(spells_out(t, name.text) for t in texts[:1]) or (
                    len(name.text) < 3 and in_document is not None
                    and in_document(name.terms[0]))))
        else:
            # a term held nowhere: no phrase anywhere (held is every sequence's terms)
            ok = held.issuperset(name.terms) and (
                has_phrase(text_terms, name) or any(has_phrase(s, name) for s in outside))
            if not ok and not name.quoted:
                # written as its initials by the candidate's text ('the US' for the United
                # States, 'the PO' for the Presiding Officer)
                ok = any(writes_initials(t, name.text) for t in texts[:1])
            last = name.terms[-1]
            if (not ok and said_in_document is not None and not name.quoted
                    and len(name.text.split()[-1]) >= SURNAME_MIN and last in text_terms
                    and fold_name(name.text) not in c.places
                    and norm(name.text.split()[-1]) not in GENERIC):
                # its last word alone, once the document has said the whole name: a person's
                # surname, a team's nickname (not 'Un' for Kim Jong Un, 'Korea' for North
                # Korea, 'Treaty' for the DPRK Treaty: too short, a place, a kind of thing)
                ok = said_in_document(name)
        met += ok
        if not ok:
            missing.append(name.text)
    if c.years:
        years: set[int] = set()
        for t in texts:
            if t:
                years |= years_in(t)
        own = bool(years)
        if not years:
            for t in context:
                # a title's period ('relations 1948-2000') dates none of its passages
                if t and (_ISO_DATE_RE.fullmatch(t) or not gives_period(t)):
                    years |= years_in(t)
        for lo, hi in c.years:
            ok = any(lo <= y <= hi for y in years) or (
                not own and year_near is not None
                and any(year_near(y) for y in range(lo, hi + 1)))
            met += ok
            if not ok:
                missing.append(str(lo) if lo == hi else f"the {lo}s")
    for num in c.numbers:
        met += num in held
        if num not in held:
            missing.append(num)
    for option in c.options:
        ok = any(_says_option(t, option) for t in texts if t)
        met += ok
        if not ok:
            missing.append(option)
    if c.roles and type(text_terms) is TermsRead:  # an office is read term by term
        text_terms = text_terms.list
    states = _as_said(text_terms, c.states) if c.roles else c.states
    if c.roles:
        own_outside = [list(s) for s in own_outside]
        outside = own_outside + [list(s) for s in near]
    for role in c.roles:
        seqs = [text_terms, *outside]
        # whose an office is when its clause does not say: the asked state's when the
        # candidate names that state, but not when its text says the office serves there
        # ('Ambassador Dorj' beside 'the first MPR ambassador to North Korea' is not North
        # Korea's, whatever else names North Korea)
        said, posted = _names_owner(text_terms, role, states, breaks)
        unsaid_is_owner = not (owner_in_text and role.owner) or not posted and (said or any(
            _names_owner(s, role, c.states, NO_BREAKS)[0] for s in own_outside))
        ok = _holds_office(text_terms, role, c.ranks, states, breaks, c.kinds, one_holder,
                           unsaid_is_owner, c.bodies) or any(
            _holds_office(seq, role, c.ranks, c.states, NO_BREAKS, c.kinds,
                          unsaid_is_owner=unsaid_is_owner) for seq in own_outside) or (
            role.unsaid_ok and not any(role.terms[-1] in seq for seq in seqs))
        met += ok
        if not ok:
            missing.append(role.text)
    if not missing:  # all met: the question's one shared Check of that
        return c.all_met
    return Check(met, c.count, tuple(missing))


_ISO_DATE_RE = re.compile(r"\d{4}(?:-\d\d){0,2}")  # a document's date: '2000-02' is no period


def gives_period(text: str) -> bool:
    """Whether a text gives a period of years ('1948-2000', 'the 1990s')."""
    return RANGE_RE.search(text) is not None or DECADE_RE.search(text) is not None


def unquoted(c: Constraints, window: Sequence[str]) -> tuple[str, ...]:
    """The phrases the question quotes that window (the terms where the answer stands, in
    order) does not say."""
    return tuple(n.text for n in c.names if n.quoted and not (
        has_phrase(window, n) if len(n.terms) > 1 else n.terms[0] in window))


def sentence_conflicts(c: Constraints, sentence: str, states: bool = True) -> bool:
    """Whether a sentence speaks of other years than every one the question gives, or (with
    states) puts what it says in other states than the question and names none of its own
    (an answer line cut from it would answer for another year, or of a visit to Moscow when
    the question asks of one to Mongolia; not when a state is what is asked: 'which country
    was the first …')."""
    if thing_elsewhere(c, sentence):
        return True
    if states and c.named_states and c.state_of is not None:
        # 'North Korean Foreign Minister Paek Nam Sun' for a question about South Korea: a
        # state its name could be mistaken for (the same last word: North and South Korea,
        # East and West Germany) that the question does not name too
        said = c.state_of(sentence)
        for asked_state in c.named_states - said:
            last = asked_state.split()[-1]
            if any(other not in c.named_states and other.split()[-1] == last
                   for other in said):
                return True
    if states and c.located and c.state_of is not None:
        placed = frozenset().union(*(c.state_of(m.group(1))
                                     for m in _PLACED_RE.finditer(sentence)))
        # its own states as it names them, not as a people's adjective ('the Mongolian
        # foreign minister travelled to Pyongyang' is of a visit to North Korea)
        if placed and not placed & c.located and not c.state_of(
                _ADJECTIVES_RE.sub(_blank_adjective, sentence)) & c.located:
            return True
    if not c.years or _OPEN_RE.search(sentence):
        return False  # 'until 1971' may hold the late 1960s
    said = years_in(sentence)
    return bool(said) and not any(lo <= y <= hi for y in said for lo, hi in c.years)


_CLAUSE_END = re.compile(r"[.,;:!?()\[\]–—]")
_ADJECTIVES_RE = re.compile(r"\b[A-Z][\w’'-]*(?=\s+[a-z])")


def _blank_adjective(m: re.Match) -> str:
    """A capitalised word before a word in lower case that is no function word, blanked when
    it is a people's adjective ('Mongolian' of 'the Mongolian side'); kept otherwise."""
    word = m.group(0)
    if ((_DEMONYM_RE.fullmatch(word) or word in _IRREGULAR_DEMONYMS) and word not in _COUNTRIES
            and _noun_after(m.string, m.end())):
        return " " * len(word)
    return word


# peoples' adjectives that no ending shows, and the states and capitals an ending would
# take for one ('Japan', 'Jordan')
_IRREGULAR_DEMONYMS = frozenset("""Dutch Swiss French Greek Czech Soviet Kazakh Uzbek Tajik
Turkmen Kyrgyz Filipino""".split())
_COUNTRIES = frozenset(w for name in [*CAPITALS, *CAPITALS.values(), *OTHER_NAMES]
                       for w in name.split())


_BEFORE_WORD = re.compile(r"\b(?:as|to|in|at|from|for|with|by|of)\b", re.I)
_POST_WORD = re.compile(r"\b(?:to|in|at)\b", re.I)  # where an office serves: 'ambassador to'


class Breaks(dict):
    """clause_breaks' positions, and posts: those that follow 'to', 'in' or 'at', where an
    office serves ('ambassador to North Korea'; not 'a leader of the Swiss Reformation')."""

    posts: frozenset = frozenset()


def clause_breaks(text: str, starts: Sequence[int], ends: Sequence[int]) -> Breaks:
    """The positions of the tokens of text (offsets starts, ends) that follow a punctuation
    mark (True) or a preposition (False: 'sent to South Korea as Ambassador' does not make
    him South Korea's ambassador; 'Ambassador to Japan' says where he serves)."""
    # the marks found in one pass over the text, each gap between tokens looked up in them
    # (a pattern search per gap held the GIL for every token of every candidate)
    marks = [m.start() for m in _CLAUSE_END.finditer(text)]
    preps = [m.start() for m in _BEFORE_WORD.finditer(text)]
    posting = [m.start() for m in _POST_WORD.finditer(text)]
    out = Breaks()
    posts = []
    for k in range(1, len(starts)):
        a, b = int(ends[k - 1]), int(starts[k])
        i = bisect_left(marks, a)
        if i < len(marks) and marks[i] < b:
            out[k] = True
            continue
        i = bisect_left(preps, a)
        if i < len(preps) and preps[i] < b:
            out[k] = False
            i = bisect_left(posting, a)
            if i < len(posting) and posting[i] < b:
                posts.append(k)
    out.posts = frozenset(posts)
    return out


def local_terms(ids: np.ndarray, names: Sequence[str]) -> list[str]:
    """A candidate's token ids (question-local, -1 for others) as terms ('' for others)."""
    named = [*names, ""]  # id -1 is the last: ''
    return list(map(named.__getitem__, ids.tolist()))


class TermsRead(Sequence):
    """local_terms of a candidate with what check reads of them found beforehand, for all of
    a question's candidates in one compiled call (batched.terms_read): the terms it holds
    ('' for any other token) and, per name of several words (by its terms), whether it says
    it as has_phrase does. The list itself is made only when read term by term (an office
    asked of, a name not found beforehand)."""

    __slots__ = ("ids", "names", "held", "phrases", "_list")

    def __init__(self, ids: np.ndarray, names: Sequence[str], held: frozenset,
                 phrases: Mapping[tuple, bool]) -> None:
        self.ids, self.names, self.held, self.phrases = ids, names, held, phrases
        self._list: list[str] | None = None

    @property
    def list(self) -> list[str]:
        if self._list is None:
            self._list = local_terms(self.ids, self.names)
        return self._list

    def __len__(self) -> int:
        return len(self.ids)

    def __getitem__(self, i):
        return self.list[i]

    def __iter__(self):
        return iter(self.list)

    def __contains__(self, term: object) -> bool:
        return term in self.held
