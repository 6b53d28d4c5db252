"""The direct answer to a question: the date, figure or name it asks for, cut from the best
sentence (or given by a matching fact), else the best sentence itself. Extractive only: the
text occurs verbatim in the passage or in the fact."""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Any, Iterable, Sequence

from .facts import human_date, human_figure

LINE = 110  # characters of a sentence answer shown as the answer line (two phone lines, bold)

# Words for a person's office or part: "which <role>" asks for a name.
_ROLES = {"president", "minister", "ambassador", "envoy", "diplomat", "chairman", "premier",
          "leader", "secretary", "spokesman", "member", "official", "general", "marshal",
          "colonel", "head", "chief", "graduate", "counsellor", "successor", "politician",
          "king", "queen", "emperor", "governor", "mayor", "author", "journalist", "person"}
# What the question word asks for; the earliest question word decides.
_ASKS = (
    ("date", r"\b(?:when|what (?:year|date|day|month|decade|century)|which (?:year|date|day|month|decade|century)"
             r"|how long ago)\b"),
    ("number", r"\bhow (?:many|much|long|old|far|large|big|often|tall|high)\b|\bwhat (?:percentage|percent|number|amount)\b"),
    ("name", r"\b(?:who|whom|whose|which person|what person)\b"
             # "which (former, North Korean …) foreign minister": a role asks for a person
             r"|\b(?:which|what)\s+(?:[\w'’-]+\s+){0,4}?(?:%s)s?\b" % "|".join(sorted(_ROLES))),
    ("other", r"\b(?:what|which|why|how|where)\b"),
)
_ASK_RES = [(kind, re.compile(rx, re.I)) for kind, rx in _ASKS]

_MONTHS = ("January February March April May June July August September October November "
           "December").split()
_WEEKDAYS = "Monday Tuesday Wednesday Thursday Friday Saturday Sunday".split()
_MON = r"(?:%s)" % "|".join(_MONTHS + [m[:3] + r"\." for m in _MONTHS] + ["Sept\\."])
_DAY = r"\d{1,2}(?:st|nd|rd|th)?"
_YEAR = r"(?:1[0-9]\d\d|20\d\d)"
_DATE_RE = re.compile(
    rf"\b(?:{_DAY}\s+{_MON},?\s+{_YEAR}|{_MON}\s+{_DAY},?\s+{_YEAR}|{_MON},?\s+{_YEAR}"
    rf"|{_YEAR}\s*[–-]\s*(?:{_YEAR}|\d\d)\b|{_DAY}\s+{_MON}\b|{_MON}\s+{_DAY}\b"
    rf"|(?:the\s+)?{_YEAR}s\b|{_YEAR}\b)")
_NUMBER_WORDS = ("one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
                 "fifteen sixteen seventeen eighteen nineteen twenty thirty forty fifty sixty "
                 "seventy eighty ninety hundred thousand dozen dozens hundreds thousands").split()
_NUM_RE = re.compile(
    r"(?:(?:US\$|USD|\$|€|£|¥)\s?)?(?<![\w.,])\d+(?:[.,]\d+)*(?:\s?%)?"
    r"(?:\s+(?:hundred|thousand|million|billion|trillion))?"
    r"|\b(?:" + "|".join(_NUMBER_WORDS) + r")(?:[\s-](?:" + "|".join(_NUMBER_WORDS) + r"))*\b",
    re.I)
_WORD_RE = re.compile(r"[^\W\d_][\w’'.-]*|\d[\w.,%]*", re.U)
# Words that are no name however they are capitalised (a sentence's first word, a month …).
_FUNCTION = set("""a an the in on at of to for from by with and or but as if when while after
before since during until it its he she they them his her their this that these those there
then also however although though both all some many most such which who whom whose what where
why how we our you your i my me is was were are be been being has had have do did does not no
yes so thus hence moreover furthermore meanwhile conversely later earlier today yesterday
nevertheless despite because according among between into onto over under about above below
each every other another one mr mrs ms dr""".split())
_TITLES = set("""president vice prime minister foreign deputy secretary general ambassador chairman
premier chancellor king queen prince princess emperor governor mayor senator minister's
spokesman chief head leader comrade marshal colonel captain lieutenant professor""".split())
_CONNECT = {"of", "the", "de", "du", "von", "van", "der", "bin", "ibn", "al", "la", "le", "y", "and"}
_UNITS_FREE = {"of", "the", "a", "an", "and", "in", "to", "from", "for", "on", "at", "by", "with"}
_MONEY_RE = re.compile(r"US\$|USD|[$€£¥]|\b(?:dollars?|euros?|pounds|yen|yuan|rubles?|tugriks?)\b", re.I)
_PRICE_RE = re.compile(r"\b(?:cost|costs|price|paid|pay|spend|spent|worth|budget|money|revenue|income)\b"
                       r"|\bhow much\b.*\b(?:sold|bought)\b", re.I)
_CLAUSE_RE = re.compile(r"[,;:()]|\s[—–-]\s")


@dataclass(frozen=True)
class DirectAnswer:
    """text: what to say first; kind: fact | span | sentence; chunk_id: the passage it was cut
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


def asks_for(question: str) -> str:
    """date | number | name | other: what the question's (first) question word asks for."""
    found = [(m.start(), kind) for kind, rx in _ASK_RES for m in [rx.search(question)] if m]
    return min(found)[1] if found else "other"


def direct_answer(question: str, passages: Sequence, facts: Sequence = ()) -> DirectAnswer | None:
    """The direct answer to question from its ranked passages (index.answer.Passage) and
    matching facts (FactMatch or Fact), or None when there is neither."""
    wants = asks_for(question)
    fact = _fact_answer(question, wants, facts)
    if not passages:
        if fact is None and facts:  # facts alone answer it: the best one's quote
            f = getattr(facts[0], "fact", facts[0])
            return DirectAnswer(f.quote, "sentence", f.passage, f.id, f.quote, clip(f.quote, []))
        return fact
    p = passages[0]
    h, chunk = p.highlight, p.hit.chunk
    sentence = h.sentence
    if fact is not None and _squash(fact.sentence) in _squash(sentence):
        return fact  # the fact and the best sentence agree
    terms = [(s - h.start, e - h.start) for s, e in h.terms if s >= h.start and e <= h.end]
    span = _span(question, wants, sentence, terms) if wants in ("date", "number", "name") else None
    if span is not None:  # the best sentence says it, not the fact's
        return DirectAnswer(span, "span", chunk.id, None, sentence, span)
    if fact is not None:
        return fact
    return DirectAnswer(sentence, "sentence", chunk.id, None, sentence,
                        clip(sentence, terms, LINE))


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
        noun = _asked_noun(question)
        unit = {_norm(w) for w in _words(f.unit or "")}
        if noun and not ({_norm(noun)} & unit):
            return None
        text = f"{human_figure(f.value, f.unit)} — {f.title}"
    return DirectAnswer(text, "fact", f.passage, f.id, f.quote, text)


def _asked_noun(question: str) -> str | None:
    """The noun of 'how many NOUN' / 'how much NOUN' (tons, orphans …), or None."""
    m = re.search(r"\bhow (?:many|much)\s+([^\W\d_][\w-]*)", question, re.I)
    if not m or m.group(1).casefold() in _FUNCTION or m.group(1).casefold() in (
            "did", "does", "do", "was", "were", "is", "are", "has", "had", "have"):
        return None
    return m.group(1)


# -- spans -------------------------------------------------------------------------------------


def _squash(text: str) -> str:
    return " ".join(text.split())


def _words(text: str) -> list[str]:
    return _WORD_RE.findall(text)


def _norm(word: str) -> str:
    """A word as compared with the question's: casefolded, without possessive or plural s."""
    w = "".join(c for c in unicodedata.normalize("NFKD", word.casefold())
                if not unicodedata.combining(c)).strip("’'.-")
    for end in ("’s", "'s"):
        if w.endswith(end):
            w = w[: -len(end)]
    if len(w) > 3 and w.endswith("s") and not w.endswith("ss"):
        w = w[:-1]
    return w


def _span(question: str, wants: str, sentence: str, terms: list[tuple[int, int]]) -> str | None:
    """The candidate of the wanted shape nearest the question's terms in the sentence that is
    not made only of the question's own words."""
    asked = {_norm(w) for w in _words(question)}
    noun = _asked_noun(question) if wants == "number" else None
    money = wants == "number" and _PRICE_RE.search(question) is not None
    if wants == "date":
        cands = [(m.start(), m.end()) for m in _DATE_RE.finditer(sentence)]
    elif wants == "number":
        cands = _numbers(question, sentence)
    else:
        cands = _names(sentence)
    best, best_key = None, None
    for s, e in cands:
        inside = [w for w in _words(sentence[s:e]) if w.casefold() not in _FUNCTION]
        if not inside:
            continue
        known = [_norm(w) in asked or _in_terms(sentence, w, s, e, terms) for w in inside]
        if all(known):
            continue  # the question's own words are no answer
        if wants == "number" and re.fullmatch(_YEAR, sentence[s:e]):
            continue  # a year counts nothing
        distance = min((min(abs(s - te), abs(ts - e)) for ts, te in terms), default=0)
        # a number followed by the noun the question counts ('how many tons' -> '10 tons'),
        # an amount of money when it asks what something cost
        counted = not (noun and _norm(_words(sentence[s:e])[-1]) == _norm(noun))
        priced = money and not _MONEY_RE.search(sentence[s:e])
        # a person asked for: a name with initials or a title before it beats a place or
        # an acronym ("D. Sharav", "Foreign Minister Paek Nam Sun" over "MPRP", "Mongolia")
        impersonal = wants == "name" and not _personal(sentence, s, e)
        key = (counted, priced, impersonal, sum(known) / len(known), distance, -(e - s), s)
        if best_key is None or key < best_key:
            best, best_key = (s, e), key
    if best is None:
        return None
    return sentence[best[0] : best[1]].strip(" ,;:")


_INITIAL = re.compile(r"\b[A-ZА-ЯЁ][a-zа-яё]?\.(?=\s|[A-Z])")


def _personal(sentence: str, s: int, e: int) -> bool:
    """Whether sentence[s:e] reads as a person's name: initials, a title just before it, or
    two or more capitalised words none of which is an acronym."""
    text = sentence[s:e]
    if _INITIAL.search(text):
        return True
    before = re.findall(r"[\w’'-]+", sentence[max(0, s - 40) : s])
    if before and before[-1].casefold() in _TITLES:
        return True
    words = [w for w in re.findall(r"[^\W\d_][\w’'-]*", text) if w.casefold() not in _CONNECT]
    return len(words) >= 2 and not any(len(w) > 1 and w.isupper() for w in words)


def _in_terms(sentence: str, word: str, s: int, e: int, terms: list[tuple[int, int]]) -> bool:
    """Whether this word of the candidate sentence[s:e] is one of the question's matched terms."""
    at = sentence.find(word, s, e)
    return at >= 0 and any(ts <= at < te for ts, te in terms)


def _numbers(question: str, sentence: str) -> list[tuple[int, int]]:
    """Numbers with the unit or noun after them ('226,236 head', '10 tons', 'USD 10.7 million')."""
    noun = _asked_noun(question)
    out = []
    for m in _NUM_RE.finditer(sentence):
        s, e = m.start(), m.end()
        if sentence[s:e].strip() == "":
            continue
        following = list(re.finditer(r"\s+([^\W\d_][\w’'-]*)", sentence[e:e + 60]))
        end = e
        pos = 0
        taken = []
        for w in following:
            if w.start() != pos:
                break
            word = w.group(1)
            if word.casefold() in _UNITS_FREE or word.casefold() in _FUNCTION or word in _MONTHS:
                break
            taken.append((word, e + w.end()))
            pos = w.end()
            if noun and _norm(word) == _norm(noun):
                break
            if len(taken) == 3 or not word[0].isupper():
                break
        if sentence[e:e + 1] == "-" and sentence[e + 1 : e + 2].isalpha():
            continue  # '33-yard': a measure describing something else
        if taken:
            if noun:
                hit = next((i for i, (w, _) in enumerate(taken) if _norm(w) == _norm(noun)), None)
                end = taken[hit][1] if hit is not None else e
            else:
                end = taken[0][1] if taken[0][0][0].islower() else e
        out.append((s, end))
    return out


def _names(sentence: str) -> list[tuple[int, int]]:
    """Runs of capitalised words (with 'of', 'bin', initials …), minus leading function words."""
    tokens = [(m.start(), m.end(), m.group()) for m in re.finditer(r"[^\W\d_][\w’'.-]*", sentence)]
    out: list[tuple[int, int]] = []
    run: list[tuple[int, int, str]] = []

    def flush() -> None:
        while run and (run[-1][2].casefold() in _CONNECT):
            run.pop()
        while run and (run[0][2].casefold().rstrip(".") in _FUNCTION or run[0][2] in _MONTHS
                       or run[0][2].casefold() in _TITLES):
            run.pop(0)  # "The", "In", and titles: "Foreign Minister Igor Ivanov" -> the name
        if run and not all(t[2] in _MONTHS for t in run):
            s, e = run[0][0], run[-1][1]
            if sentence[e - 1] == "." and len(run[-1][2]) > 2:
                e -= 1  # the sentence's full stop, not an initial
            text = sentence[s:e]
            for end in ("’s", "'s"):
                if text.endswith(end):
                    e -= len(end)
            out.append((s, e))
        run.clear()

    for i, (s, e, word) in enumerate(tokens):
        gap = sentence[run[-1][1] : s] if run else " "
        joined = run and gap.strip() == "" and len(gap) <= 2
        if word[0].isupper() and word not in _MONTHS and word not in _WEEKDAYS:
            if run and not joined:
                flush()
            run.append((s, e, word))
        elif run and joined and word.casefold() in _CONNECT and word != "and" and \
                i + 1 < len(tokens) and tokens[i + 1][2][0].isupper():
            run.append((s, e, word))
        else:
            flush()
    flush()
    return out


# -- the answer line ---------------------------------------------------------------------------


def clip(sentence: str, terms: Iterable[tuple[int, int]], limit: int = LINE) -> str:
    """The sentence, or when it is longer than limit its run of clauses that holds the most
    of the question's terms (offsets in the sentence), cut with … where it was cut."""
    text = " ".join(sentence.split())
    if len(sentence) <= limit:
        return text
    terms = list(terms)
    bounds = [0] + [m.end() for m in _CLAUSE_RE.finditer(sentence)] + [len(sentence)]
    bounds = sorted(set(bounds))
    best, best_key = None, None
    for i in range(len(bounds) - 1):
        for j in range(i + 1, len(bounds)):
            s, e = bounds[i], bounds[j]
            if len(sentence[s:e].strip()) > limit - 2:
                break
            count = sum(1 for ts, te in terms if s <= ts and te <= e)
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
