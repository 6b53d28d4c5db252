"""What a question asks for (a date, a number, a name) and where a sentence gives it.

One reading of the question serves the second stage (does a passage's best sentence hold
what is asked?), the evidence rule (does the best passage?) and the direct answer (which
words of it?): a value counts only when it is not made of the question's own words."""
from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from typing import Iterator, Sequence

from ..search.analyze import base_form

# Words for a person's office or part: "which <role>" asks for a name.
ROLES = _ROLES = {"president", "minister", "ambassador", "envoy", "diplomat", "chairman", "premier",
          "leader", "secretary", "spokesman", "member", "official", "general", "marshal",
          "colonel", "head", "chief", "graduate", "counsellor", "successor", "politician",
          "king", "queen", "emperor", "governor", "mayor", "author", "journalist", "person",
          "officer", "commander", "director", "editor", "correspondent", "founder", "inventor",
          "developer", "maintainer", "chairperson", "chairwoman", "representative", "delegate"}
# "which (former, North Korean …) foreign minister": a role asks for a person (not "which
# General Assembly session": a role is no part of a name)
# "what did South Korean diplomats see": a verb before the role makes it the subject,
# and what is asked is something else
_AUX = r"(?:did|does|do|was|were|is|are|has|have|had|will|would|can|could|should|may|might)"
# "what general solutions", "which member state": a role word before a noun in lower case
# qualifies that noun, and no person is asked for
_QUALIFIED = (r"(?!\s+(?-i:[a-z]+(?:ions?|ity|ities|isms?|ry|ries|ures?|ous|al|ic|ive|ments?|ences?"
              r"|ances?|ships?|ness)|states?|nations?|countries)\b)")
# 'what happened to the ambassador', 'what became of him': 'what' is what happened, an event
_EVENT_VERB = r"(?:happen(?:ed|s)?|bec[oa]me?s?|caus(?:ed|es)|prompt(?:ed|s)|led|made|forced|befell)"
_ROLE_RX = (r"\b(?:which|what)\s+(?!%s\b)(?:(?!%s\b)[\w'’-]+\s+){0,4}?(%s)s?\b(?!\s+(?-i:[A-Z]))%s"
            % (_EVENT_VERB, _AUX, "|".join(sorted(_ROLES)), _QUALIFIED))
# What the question word asks for; the earliest question word decides.
_ASKS = (
    ("date", r"\b(?:when|(?:what|which) (?:(?:were|was|are|is) )?(?:the )?"
             r"(?:years?|dates?|days?|months?|decades?|century|period)|how long ago)\b"),
    # "what was X's share of trade … worth": a figure, not a sentence; a setting's default
    # or a function's return value may be a word ('[default: summary]')
    ("number", r"\bhow (?:many|much|long|old|far|large|big|often|tall|high)\b|\bwhat (?:percentage|percent|number|amount)\b"
               r"|\bwhat (?:is|was|were|are)\b[^?]{0,40}?"
               r"\b(?:worth|share|(?<!default )(?<!return )value|amount|total|cost|price)\b"
               r"|\b(?:what|which) (?:version|release)\b"),
    ("name", r"\b(?:who|whom|whose|which person|what person)\b"
             r"|\b(?:what|which) (?:is|was|were|are) the names? of\b|" + _ROLE_RX),
    ("place", r"\bwhere\b|\b(?:what|which) (?:city|town|village|place|country|province|region"
              r"|capital)\b"),
    ("other", r"\b(?:what|which|why|how)\b"),
)
_ASK_RES = [(kind, re.compile(rx, re.I)) for kind, rx in _ASKS]
# "where can I find pressure data …" asks for the documents that hold it, not a place; "how
# much is known about …", "how far can one trust …" ask to what extent, not a figure
# 'Who is Paek Nam Sun?', 'Who was Philip I?': a name alone, no article, title or possessive
_WHO_IS_RE = re.compile(r"^\W*(?i:who\s+(?:is|was|are|were))\s+([A-Z][\w.-]*(?:\s+(?:[A-Z][\w.-]*"
                        r"|of|de|du|von|van|al|bin|ibn|[IVX]+))*)\s*\??\s*$")
_ASKS_DOCUMENTS = re.compile(
    r"^\W*(?:where (?:can|could|do|should|might|would|may) (?:i|we|one|you) (?:find|look for|read"
    r"|get|obtain)(?: \S+){0,3}? (?:information|data|papers|references|literature|reports|details"
    r"|documents|results|measurements|articles|studies|material)"
    r"|how much (?:is|was|has been) (?:known|understood|published|written)"
    r"|how far (?:can|could|should|may|might|does|do) (?:(?:one|we|you|i) )?(?:trust|rely|believe"
    r"|depend|apply|extend))\b", re.I)
# a question that opens with a verb asks yes or no: a "when" or "where" later in it opens a
# clause ("can … be applied when the main stream is a shear flow"), unless a verb of knowing
# or saying asks it ("do you know when …", "is it possible to predict when …")
_YES_NO = re.compile(r"^\W*(?:%s|must|shall)\b" % _AUX, re.I)
# a clause that opens a question and ends at its comma: 'When UPT bought ABC, …', not the
# question 'When did …' itself
_OPENING_CLAUSE = re.compile(r"^\W*(?:when|while|after|before|once|if)\s+(?!%s\b)[^,?]+,\s*" % _AUX,
                             re.I)
_QUESTION_WORD = re.compile(r"\b(?:what|which|who|whom|whose|where|when|why|how)\b", re.I)
_CLAUSE_WORD = re.compile(r"\b(?:when|where)\b", re.I)
_ASKS_CLAUSE = re.compile(r"\b(?:know|known|tell|told|say|said|remember|recall|find out|ask"
                          r"|predict|determine|show|explain|learn|note)(?: (?:me|us|him|her|them))?"
                          r"(?: exactly)?\W*$", re.I)

_MONTHS = ("January February March April May June July August September October November "
           "December").split()
_WEEKDAYS = "Monday Tuesday Wednesday Thursday Friday Saturday Sunday".split()
_MONTH_SET, _WEEKDAY_SET = frozenset(_MONTHS), frozenset(_WEEKDAYS)
MONTHS, WEEKDAYS = tuple(_MONTHS), tuple(_WEEKDAYS)
_MON = r"(?:%s)" % "|".join(_MONTHS + [m[:3] + r"\." for m in _MONTHS] + ["Sept\\."])
# with a day or a year beside it, a month may be abbreviated without its point ('11 Apr 2022',
# 'Sep 3, 2021', as generated documentation and change logs write it); alone, 'Mar' and 'Jan'
# are words and names
_MON_Y = r"(?:%s)" % "|".join(_MONTHS + [m[:3] + r"\.?" for m in _MONTHS if m != "May"]
                                + ["Sept\\.?"])
_DAY = r"\d{1,2}(?:st|nd|rd|th)?"
_YEAR = r"(?:1[0-9]\d\d|20\d\d)"
DATE_RE = _DATE_RE = re.compile(
    # ranges first ("1937 to 1946", "July 1-8, 1989"), so a span holds the whole period; the
    # lookahead holds the first character of every form (a digit, a month, 'the'), so a word
    # that starts otherwise is passed over without trying each form
    rf"\b(?=[\dJFMASONDt])(?:{_YEAR}\s+(?:to|until|till)\s+{_YEAR}\b|{_MON}\s+\d{{1,2}}\s*[–-]\s*\d{{1,2}},?\s+{_YEAR}"
    rf"|\d{{1,2}}\s*[–-]\s*{_DAY}\s+{_MON},?\s+{_YEAR}"
    rf"|{_DAY}\s+{_MON_Y},?\s+{_YEAR}|{_MON_Y}\s+{_DAY},?\s+{_YEAR}|{_MON_Y},?\s+{_YEAR}"
    rf"|{_YEAR}\s*[–-]\s*(?:{_YEAR}|\d\d)\b|{_DAY}\s+{_MON}\b|{_MON}\s+{_DAY}\b"
    rf"|(?:the\s+)?{_YEAR}s\b|{_YEAR}\b)")
# every form of a date above holds a digit: a text without one is passed over in one scan,
# not tried by the whole pattern at each word (most sentences of prose hold no digit)
_DIGIT_RE = re.compile(r"\d")
_NUMBER_WORDS = ("one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
                 "fifteen sixteen seventeen eighteen nineteen twenty thirty forty fifty sixty "
                 "seventy eighty ninety hundred thousand dozen dozens hundreds thousands").split()
# the lookahead holds the first character of every form (a digit, a currency, the first letter of
# a number word), so the other positions of a text are passed over without trying each form
NUMBER_RE = _NUM_RE = re.compile(
    r"(?=[\du$€£¥otfsenhd])(?:"
    r"(?:(?:US\$|USD|\$|€|£|¥)\s?)?(?<![\w.,])\d+(?:[.,]\d+)*(?:\s?%)?"
    r"(?:\s+(?:hundred|thousand|million|billion|trillion))?"
    r"|\b(?:" + "|".join(_NUMBER_WORDS) + r")(?:[\s-](?:" + "|".join(_NUMBER_WORDS) + r"))*\b)",
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
FUNCTION_WORDS = frozenset(_FUNCTION)
# words of a title that say which office of its kind it is: the Prime and the Foreign Minister
TITLE_MODIFIERS = frozenset({"prime", "foreign", "vice", "deputy"})
_TITLES = set("""president vice prime minister foreign deputy secretary general ambassador chairman
premier chancellor king queen prince princess emperor governor mayor senator minister's
spokesman chief head leader comrade marshal colonel captain lieutenant professor""".split())
TITLE_WORDS = frozenset(_TITLES)
_TITLES_OF_PERSONS = TITLE_WORDS - TITLE_MODIFIERS  # a word just before a name that titles it
# Words that make a capitalised run a body, a text or a place, not a person.
_INSTITUTION = set("""council committee ministry assembly party union republic
kingdom state treaty agreement convention times new gazette agency radio voice army navy
force bank university institute academy organization organisation commission office embassy
mission bureau front league federation association society company corporation news press
daily review journal world war festival congress session conference plenum presidium
hall square street city province region law constitution charter declaration protocol accord
statute code yearbook bulletin magazine herald encyclopedia dictionary almanac""".split())
# Words that make a capitalised run a place: 'Tumen River' is no one
PLACE_WORDS = _PLACE_WORDS = frozenset("""river lake sea ocean mountain mountains island
islands peninsula gulf strait valley desert canal airport station railway zone district county
bay coast plateau harbour harbor stadium arena asia europe africa america americas oceania
antarctica arctic pacific atlantic""".split())
_BODY_CONNECT = frozenset({"on", "for", "with", "of"})
# Capitalised words that alone are no name: offices and kinds of body or text.
# Words for the act of citing: what a passage's endnote marker says ("which source is cited
# for …", "the footnote on …").
CITING_WORDS = ("cite cites cited citing citation citations source sources reference "
                "references referenced endnote endnotes footnote footnotes")
GENERIC = frozenset(_TITLES | _INSTITUTION | {"war", "treaty", "pact", "palace", "memorial"})
_CONNECT = {"of", "the", "de", "du", "von", "van", "der", "bin", "ibn", "al", "la", "le", "y", "and"}
_UNITS_FREE = {"of", "the", "a", "an", "and", "in", "to", "from", "for", "on", "at", "by", "with"}

# A program's or a file's name ('bzip2', 'asn1_der_coding', 'workFactor', '7z2xz.bash'):
# letters and digits mixed, an underscore, an inner capital or a file ending; not '1990s',
# 'mid-1990s', '4th', '900k', '3D', 'e.g.'
_CODE_RE = re.compile(r"(?<![\w.-])[\w.-]*?(?:[^\W\d_]\d|\d[^\W\d_]|_|[a-z][A-Z]|\w\.[a-z]{1,5}\b)"
                      r"[\w.-]*"
                      # a long option: '--leak-check', '--num-callers'
                      r"|(?<![\w-])--[^\W\d_][\w-]*")
_DIGIT_RE, _INNER_CAPITAL_RE = re.compile(r"\d"), re.compile(r"[a-z][A-Z]")
_NOT_CODE = re.compile(r"(?:[a-z]+-)?\d+(?:s|st|nd|rd|th|[a-z]{1,3})|[a-z]\.[a-z]\.?|.*\.$", re.I)


def code_spans(text: str) -> list[tuple[int, int]]:
    """Where text names a program, function, option or file (see _CODE_RE)."""
    # what every such name holds (a digit, '_', '.', '-' or an inner capital): most questions
    # hold none, and _CODE_RE, which opens with a look-behind, costs 6 us on one of them
    if not ("_" in text or "." in text or "-" in text or _DIGIT_RE.search(text)
            or _INNER_CAPITAL_RE.search(text)):
        return []
    out = []
    for m in _CODE_RE.finditer(text):
        s, e = m.start(), m.end()
        while e > s and text[e - 1] in ".-":
            e -= 1  # the sentence's full stop
        if e - s >= 2 and not _NOT_CODE.fullmatch(text[s:e]):
            out.append((s, e))
    return out


@lru_cache(maxsize=4096)  # read by asked() and by the constraints, for the same question
def asks_for(question: str) -> str:
    """date | number | name | place | other: what the question's (first) question word asks for."""
    if _ASKS_DOCUMENTS.match(question):
        return "other"
    who = _WHO_IS_RE.match(question)
    if who is not None and not any(w.casefold() in TITLE_WORDS or w.casefold() in ROLES
                                   for w in who.group(1).split()):
        return "other"  # 'Who is Paek Nam Sun?' asks who he is, not for another name
    clause = _OPENING_CLAUSE.match(question)
    if clause is not None and _QUESTION_WORD.search(question, clause.end()):
        # 'When UPT bought ABC, what was the merged company called?': the clause sets the
        # time, the question word after it asks
        return asks_for(question[clause.end():])
    yes_no = _YES_NO.match(question) is not None
    # at one position the more specific reading wins: 'which city' over 'which'
    found = [(m.start(), rank, kind) for rank, (kind, rx) in enumerate(_ASK_RES)
             for m in [next((m for m in rx.finditer(question)
                             if not (yes_no and _opens_clause(question, m))), None)] if m]
    return min(found)[2] if found else "other"


def _opens_clause(question: str, m: re.Match) -> bool:
    """Whether the question word found is a yes-or-no question's "when" or "where" that opens
    a clause rather than asks."""
    return (_CLAUSE_WORD.fullmatch(m.group(0)) is not None
            and not _ASKS_CLAUSE.search(question, 0, m.start()))



def asked_noun(question: str) -> str | None:
    """The noun of 'how many NOUN' / 'how much NOUN' (tons, orphans …), or None."""
    said = asked_nouns(question)
    return said[0] if said else None


def asked_nouns(question: str) -> tuple[str, ...]:
    """The noun of 'how many NOUN' and the words before it that say whose: ('orphans',
    'Korean') of 'how many Korean orphans', ('teams', 'NFL') of 'how many NFL teams'; a text
    may count either ('8,525 Native American'); () for none."""
    m = re.search(r"\bhow (?:many|much)((?:\s+[^\W\d_][\w-]*){1,3})", question, re.I)
    said = m.group(1).split() if m else []
    whose = []
    while len(said) > 1 and said[0][:1].isupper() and not _aux(said[1]) and (
            said[1][:1].isupper() or _PEOPLES_WORD.fullmatch(said[0]) or said[0].isupper()):
        whose.append(said.pop(0))
    if not said or _aux(said[0]):
        return ()
    return (said[0], *whose)


_PEOPLES_WORD = re.compile(r"[A-Z][a-z]+(?:an|ese|ish|i|ic)")  # 'Korean', 'Japanese'


# 'when was the embassy …', 'how big is the dictionary …': the thing a value is asked of
_SUBJECT_RE = re.compile(
    r"^\W*(?:when|how (?:much|big|large|long|old|far|often|tall|high)|(?:what|which) "
    r"(?:year|date|day|month))\s+%s\s+(?:(?:the|a|an|its|their|his|her)\s+)?"
    r"((?-i:[a-z][\w-]*)(?:\s+(?-i:[a-z][\w-]*)){0,2})\b" % _AUX, re.I)


def asked_subject(question: str) -> tuple[str, ...]:
    """The words in lower case that say what a when- or how-much-question asks a value of, up
    to three ('embassy' of 'when was the embassy … reopened', 'first direct flight'), or ()
    (a name, which the constraints check; or none said)."""
    m = _SUBJECT_RE.match(question)
    if m is None:
        return ()
    out = []
    for w in m.group(1).split():
        if w in _FUNCTION:
            break
        out.append(w)
    return tuple(out)


# words that say what kind of value is asked ('what year', 'how many'), not what it is of
_VALUE_WORDS = frozenset("when what which who whom whose where why how year years date dates day "
                         "days month time many much number long old far often big large tall "
                         "high percentage percent amount name called first last".split())
_LOWER_WORD_RE = re.compile(r"(?<![\w’'-])(?-i:[a-z][\w’'-]*)")


def asked_words(question: str) -> tuple[str, ...]:
    """The question's words in lower case that say what it asks about, other than what kind
    of value it asks for and the words any question has ('visit' of 'When did Tsedenbal
    visit Pyongyang?')."""
    return tuple(dict.fromkeys(
        w for w in _LOWER_WORD_RE.findall(question)
        if w not in _FUNCTION and w not in _VALUE_WORDS and not _aux(w)
        and w.casefold() not in FUNCTION_WORDS))


def _aux(word: str) -> bool:
    return word.casefold() in _FUNCTION or word.casefold() in (
        "did", "does", "do", "was", "were", "is", "are", "has", "had", "have")



def words(text: str) -> list[str]:
    return _WORD_RE.findall(text)


@lru_cache(maxsize=1 << 16)  # the same words recur in every sentence looked at
def norm(word: str) -> str:
    """A word as compared with the question's: casefolded, without possessive or plural s."""
    w = "".join(c for c in unicodedata.normalize("NFKD", word.casefold())
                if not unicodedata.combining(c)).strip("’'.-")
    for end in ("’s", "'s"):
        if w.endswith(end):
            w = w[: -len(end)]
    if len(w) > 3 and w.endswith("s") and not w.endswith("ss"):
        w = w[:-1]
    return w


# what an inflected form adds to its word's stem ('opened', 'died', 'signing', 'stopped')
_ENDINGS = frozenset({"", "e", "s", "es", "d", "ed", "ing", "ion", "ions", "er", "ers",
                      "ies", "ied"})


def same_word(a: str, b: str) -> bool:
    """Whether two norm()ed words are one word, inflected or not: 'open' and 'opened', 'die'
    and 'died', 'write' and 'wrote', 'stop' and 'stopped' (and, as before, two long words
    with the same first five letters)."""
    a, b = base_form(a), base_form(b)
    if a == b or a[:5] == b[:5] and min(len(a), len(b)) >= 5:
        return True
    short, long = (a, b) if len(a) <= len(b) else (b, a)
    if len(short) < 3:
        return False
    stem = short[:-1] if short.endswith("e") else short
    if not long.startswith(stem):
        return False
    rest = long[len(stem):]
    if rest[:1] == stem[-1:] and rest[1:] in ("ed", "ing", "er"):
        rest = rest[1:]  # a doubled last letter
    return rest in _ENDINGS


# compiled once: these run for every candidate span of every passage looked at
_APOSTROPHE_IN_WORD = re.compile(r"\w’\w")
_WORD_OF_TWO = re.compile(r"[^\W\d_]{2,}(?!\.)\b")
_WORD_BEFORE = re.compile(r"[\w’'-]+")
LETTER_WORD_RE = re.compile(r"[^\W\d_][\w’'-]*")  # a word that starts with a letter
# the word right after a place in a text (its first group)
FOLLOWING_WORD_RE = re.compile(r"\s+([^\W\d_][\w’'-]*)")
_NAME_WORD = re.compile(r"[^\W\d_][\w’'.-]*")
_YEAR_ONLY = re.compile(_YEAR)
_LEAD_DIGITS = re.compile(r"\d+")
_LEAD_DECIMAL = re.compile(r"\d+[.,]\d")
INITIAL_WORD = re.compile(r"[A-ZА-ЯЁ][a-zа-яё]?\.")
_INITIAL = re.compile(r"\b[A-ZА-ЯЁ][a-zа-яё]?\.(?=\s|[A-Z])")


def quoted(sentence: str, s: int, e: int) -> bool:
    """Whether sentence[s:e] stands inside quotation marks: a title ('Agreement to Avoid …
    Tax’), neither a person nor a place."""
    text = sentence[s:e]
    return bool(sentence[:s].count("‘") > sentence[:s].count("’") or sentence[:s].count('"') % 2
                or "’" in text.rstrip("s") and not _APOSTROPHE_IN_WORD.search(text))


_EXPANDED = re.compile(r"\s*\(\s*[A-Z][\w.-]*[A-Z0-9][\w.-]*\s*\)")


def titled(sentence: str, s: int, e: int) -> bool:
    """Whether the name at sentence[s:e] is surely a person's: it has initials ('D. Sodnom')
    or a title stands just before it ('Foreign Minister Ivanov')."""
    if not _WORD_OF_TWO.search(sentence[s:e]):
        return False  # initials alone ('N.') name no one
    if _INITIAL.search(sentence[s:e]):
        return True
    before = _WORD_BEFORE.findall(sentence[max(0, s - 40) : s])
    # a title, not the word that begins one ('Foreign Affairs' is no one)
    return bool(before) and before[-1].casefold() in _TITLES_OF_PERSONS


_TITLE_RUN_RE = re.compile(r"(?:[^\W\d_][\w’'-]*\s+){1,4}$")


# an office set before a name between commas: 'the Secretary of the CC of the MPRP, Ch. Surenjav'
_APPOSED_TITLE_RE = re.compile(r"\bthe\s+((?:[A-Z][\w’'-]*\s+){0,2}[A-Z][\w’'-]*)"
                               r"(?:\s+of\s+[^,;()]*)?,\s*$")


def title_words(sentence: str, s: int) -> tuple[str, ...]:
    """The title written just before the name at sentence[s:], folded, first word first:
    ('deputy', 'foreign', 'minister') of 'Deputy Foreign Minister Ivanov', ('secretary',) of
    'the Secretary of the CC, Ch. Surenjav'; () for none."""
    return title_run(sentence, s)[1]


_NON_SPACE = re.compile(r"\S+")


def title_run(sentence: str, s: int) -> tuple[int, tuple[str, ...]]:
    """(where the title just before the name at sentence[s:] begins, its words as
    title_words gives them); the start is -1 for a title set off by commas ('the Secretary
    of the CC, Ch. Surenjav') or none."""
    m = _TITLE_RUN_RE.search(sentence, max(0, s - 60), s)
    out: list[str] = []
    start = -1
    for w in reversed(list(_NON_SPACE.finditer(m.group()))) if m else ():
        word = w.group()
        if not word[:1].isupper() or word.casefold() not in _TITLES:
            break
        out.append(word.casefold())
        start = m.start() + w.start()
    if not out:
        apposed = _APPOSED_TITLE_RE.search(sentence, max(0, s - 80), s)
        said = apposed.group(1).split() if apposed else ()
        if said and all(w.casefold() in _TITLES for w in said):
            return -1, tuple(w.casefold() for w in said)
    return start, tuple(reversed(out))


def personal(sentence: str, s: int, e: int) -> bool:
    """Whether sentence[s:e] reads as a person's name: initials, a title just before it, or
    two or more capitalised words none of which is an acronym."""
    text = sentence[s:e]
    if quoted(sentence, s, e) or _EXPANDED.match(sentence, e):
        # a title, or what an acronym stands for: 'Abstract Syntax Notation One (ASN.1)'
        return False
    if titled(sentence, s, e):
        return True
    words = [w for w in LETTER_WORD_RE.findall(text) if w.casefold() not in _CONNECT]
    return (len(words) >= 2 and not any(len(w) > 1 and w.isupper() for w in words)
            and not any(w.casefold() in _INSTITUTION or norm(w) in _INSTITUTION
                        or norm(w) in _PLACE_WORDS for w in words))



def _numbers(noun: str | None, sentence: str, measure: re.Pattern | None = None
             ) -> list[tuple[int, int]]:
    """Numbers with the unit or noun after them ('226,236 head', '10 tons', 'USD 10.7 million');
    noun: the one 'how many NOUN' asks about, which ends the number's span; measure: the
    units of a measure asked for ('how tall': '30-meter high' is the answer, where '33-yard
    line' describes something else)."""
    out = []
    for m in _NUM_RE.finditer(sentence):
        s, e = m.start(), m.end()
        if sentence[s:e].strip() == "" or sentence[max(0, s - 2):s] in (" -", "--"):
            continue  # nothing, or a program's option ('xz -9')
        following = list(FOLLOWING_WORD_RE.finditer(sentence[e:e + 60]))
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
            if noun and norm(word) == norm(noun):
                break
            if len(taken) == 3 or not word[0].isupper():
                break
        if sentence[e:e + 1] == "-" and sentence[e + 1 : e + 2].isalpha():
            unit = _TIME_UNIT.match(sentence, e + 1)
            if unit is None and measure is not None:  # '30-meter high': the measure asked for
                unit = _DIMENSION_RE.match(sentence, e + 1)
            if unit is None and noun:  # 'how many yards': 'a 33-yard field goal' counts them
                said = _HYPHENED_RE.match(sentence, e + 1)
                if said is not None and norm(said.group(0)) == norm(noun):
                    out.append((s, e))  # the figure: the noun is the question's to say
                    continue
            if unit is None:
                continue  # '33-yard line' of a question that asks no yards
            out.append((s, unit.end()))  # 'a three-year period' says how long
            continue
        if taken:
            hit = None
            if noun:
                hit = next((i for i, (w, _) in enumerate(taken) if norm(w) == norm(noun)), None)
            if hit is not None:
                end = taken[hit][1]
            else:  # its unit or noun ('226,236 head' when 'livestock' was asked, '64 MiB')
                end = taken[0][1] if taken[0][0][0].islower() or _UNIT_RE.fullmatch(
                    taken[0][0]) else e
        out.append((s, end))
    return out


# abbreviations of three letters or more that a name may follow ('Gen. S. Ravdan')
_ABBREVIATIONS = frozenset("""gen col capt sgt maj adm cmdr prof rev gov sen rep mrs hon pres
messrs mme mlle""".split())


# an initial of one letter: 'I.' of 'I. Ivanov' is no pronoun, 'A.' no article
_ONE_INITIAL = re.compile(r"[A-ZА-ЯЁ]\.")


def _full_stop(word: str) -> bool:
    """Whether a word ends its sentence: a full stop after a word of three letters or more
    ('IDNA2008.', 'Sung.'), not after an initial ('J.', 'Sh.'), an abbreviation ('Gen.') or
    letters with stops between them ('U.S.')."""
    if not word.endswith("."):
        return False
    body = word[:-1]
    return len(body) > 2 and "." not in body and body.casefold() not in _ABBREVIATIONS


def _names(sentence: str) -> list[tuple[int, int]]:
    """Runs of capitalised words (with 'of', 'bin', initials …), minus leading function words."""
    tokens = [(m.start(), m.end(), m.group()) for m in _NAME_WORD.finditer(sentence)]
    out: list[tuple[int, int]] = []
    run: list[tuple[int, int, str]] = []

    def flush() -> None:
        while run and (run[-1][2].casefold() in _CONNECT or run[-1][2].casefold() in _BODY_CONNECT):
            run.pop()
        while run and (run[0][2].casefold().rstrip(".") in _FUNCTION
                       and not (len(run) > 1 and _ONE_INITIAL.fullmatch(run[0][2]))
                       or run[0][2] in _MONTHS or run[0][2].casefold() in _TITLES):
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
        if run:
            gap = sentence[run[-1][1] : s]
            joined = (gap.strip() == "" and len(gap) <= 2 and "\n" not in gap
                      and not _full_stop(run[-1][2]))
        else:  # most words of prose: no run to join or to end
            joined = False
        if word[0].isupper() and word not in _MONTH_SET and word not in _WEEKDAY_SET:
            if run and (not joined or word.casefold() in _TITLES
                        and run[-1][2].casefold() not in _TITLES
                        and run[-1][2].casefold() not in _BODY_CONNECT):
                flush()  # a title starts a name: "Pyongyang | Foreign Minister Ivanov"
            run.append((s, e, word))
        elif run and joined and i + 1 < len(tokens) and tokens[i + 1][2][0].isupper() and (
                word.casefold() in _CONNECT and word != "and"
                # a body's or a text's name goes on: 'Treaty on Friendship', 'Committee for
                # Economic Relations with Foreign Countries'
                or word.casefold() in _BODY_CONNECT
                and any(norm(t[2]) in _INSTITUTION for t in run)):
            run.append((s, e, word))
        elif run:
            flush()
    flush()
    return out


# units written with capitals: bytes, hertz, watts …
_UNIT_RE = re.compile(r"[kKMGTP]i?B|[kKMGT]b(?:it)?s?|[kMGT]?Hz|[kMG]?W|[kMGT]?V|°[CF]|MB/s|KiB/s")
_TIME_UNIT = re.compile(r"(?:year|month|week|day|hour|minute|second|decade|century)s?\b", re.I)
_MEASURE_RE = re.compile(r"\b(?:years?|months?|weeks?|days?|hours?|minutes?|seconds?|decades?"
                         r"|century|centuries|km|kilomet(?:er|re)s?|met(?:er|re)s?|miles?|feet"
                         r"|foot|yards?|cm|mm|m)\b|\d(?:km|m|cm|mm)\b", re.I)


_HYPHENED_RE = re.compile(r"[^\W\d_]+")  # the word a figure is hyphened to ('33-yard')
_DIMENSION_RE = re.compile(r"(?:km|kilomet(?:er|re)s?|met(?:er|re)s?|miles?|feet|foot|yards?"
                           r"|cm|mm|m)"
                           r"[\s-](?:high|tall|long|wide|deep)\b", re.I)
# how long something lasted, given by its ends ('1961 to 1972', 'from 1964 until 1969', 'since
# 1979'): the period is the answer when no duration is said
PERIOD_RE = _PERIOD_RE = re.compile(
    rf"\bsince\s+(?:{_MON}\s+)?{_YEAR}\b|\b(?:from\s+)?(?:{_MON}\s+)?{_YEAR}\s*"
    rf"(?:to|until|till|through|–|-)\s*(?:{_MON}\s+)?(?:{_YEAR}|\d\d)\b")
_SPAN_WORDS_RE = re.compile(
    r"\b(?:(?:a\s+)?quarter(?:\s+of\s+a)?|half(?:\s+a)?|several|a\s+few|many)"
    r"\s+(?:years?|months?|weeks?|days?|decades?|century|centuries)\b", re.I)


# years, and periods that hold a year: "1989 to 1991", "1990-96", "1990–1996", "the 1990s"
YEAR_RE = re.compile(r"(?<![\d.,])(1[0-9]\d\d|20\d\d)(?![\d.,]\d)")
RANGE_RE = re.compile(r"(?<!\d)(1[0-9]\d\d|20\d\d)\s*(?:[–-]|to|until|till|through)\s*"
                       r"(\d{4}|\d{2})(?!\d)")
DECADE_RE = re.compile(r"(?<!\d)(1[0-9]\d|20\d)0s\b")


@lru_cache(maxsize=8192)
def years_in(text: str) -> frozenset[int]:
    """The years a text mentions, and every year of the periods it gives. Cached: a passage
    is checked again with its neighbours, its title and date with every passage of its
    document, and these regexes over whole passages are Python work that holds the GIL."""
    out = {int(m.group(1)) for m in YEAR_RE.finditer(text)}
    for m in RANGE_RE.finditer(text):
        a, b = int(m.group(1)), m.group(2)
        end = int(b) if len(b) == 4 else a // 100 * 100 + int(b)
        if a < end <= a + 60:
            out.update(range(a, end + 1))
    for m in DECADE_RE.finditer(text):
        d = int(m.group(1)) * 10
        out.update(range(d, d + 10))
    return frozenset(out)


@lru_cache(maxsize=8192)
def _spans(kind: str, noun: str | None, measure: re.Pattern | None,
           piece: str, period: bool = False) -> tuple[tuple[int, int], ...]:
    """The spans of what is asked (Asked.kind, .noun, .measure) in a piece of text. Cached:
    a question's stages look at the same sentences again, and so do other questions (four
    calls in five at 100k passages), and these regexes are Python work that holds the GIL."""
    if kind == "date":
        if _DIGIT_RE.search(piece) is None:
            return ()
        return tuple((m.start(), m.end()) for m in _DATE_RE.finditer(piece))
    if kind == "number":
        spans = _numbers(noun, piece, measure)
        if measure is not None:  # 'the next quarter century', 'half a year'
            spans += [(m.start(), m.end()) for m in _SPAN_WORDS_RE.finditer(piece)]
        if period:
            spans += [(m.start(), m.end()) for m in _PERIOD_RE.finditer(piece)]
        return tuple(spans)
    return tuple(_names(piece))  # a person or a place: a name


class Asked:
    """What one question asks for: kind is date, number, name (a person) or place."""

    __slots__ = ("kind", "words", "noun", "nouns", "role", "measure", "own", "version", "period",
                 "_found")

    def __init__(self, question: str, kind: str) -> None:
        self.kind = kind
        self.words = frozenset(norm(w) for w in words(question))
        # the noun counted, and the words before it that say whose (asked_nouns)
        self.nouns = asked_nouns(question) if kind == "number" else ()
        self.noun = self.nouns[0] if self.nouns else None
        self.role = _asked_role(question) if kind == "name" else None
        # "how long", "how tall": a duration or a length, not any figure ('two countries')
        self.measure = (_MEASURE_RE if kind == "number" and re.search(
            r"\bhow (?:long|tall|high|far|deep|wide)\b", question, re.I) else None)
        # "how long did it run": a duration, or the period it ran ('1961 to 1972')
        self.period = kind == "number" and re.search(r"\bhow long\b", question, re.I) is not None
        # "which version": a version ('2.0.3', 'version 2'), not any figure ('free(3)')
        self.version = kind == "number" and _VERSION_ASKED.search(question) is not None
        # the numbers the question names, its periods' years included ("1950-53", "xz -9"):
        # none is its answer
        self.own = (frozenset(years_in(question)) | {
            int(n) for n in re.findall(r"(?<![\w.,])\d+(?![\w.,]\d)", question)}
            if kind == "number" else frozenset())
        # (text, start, end) -> found(): the second stage, the checks and the highlighting
        # each ask it of the same sentences, and a neighbour is often another candidate
        self._found: dict[tuple[str, int, int | None], bool] = {}

    def __repr__(self) -> str:
        return f"Asked({self.kind!r})"

    def candidates(self, text: str, start: int = 0, end: int | None = None,
                   terms: Sequence[tuple[int, int]] = ()) -> list[tuple[int, int, float]]:
        """Spans of text[start:end] of the asked kind, as (start, end, known): known is the
        share of its words that are the question's own (words or, by the offsets in terms,
        matched terms); spans made only of those, and bare years asked as numbers, are none."""
        return list(self._candidates(text, start, end, terms))

    def each_candidate(self, text: str) -> Iterator[tuple[int, int, float]]:
        """candidates(text), one at a time: a caller that needs only the first that will do
        reads no further."""
        return self._candidates(text, 0, None, ())

    def _candidates(self, text: str, start: int, end: int | None,
                    terms: Sequence[tuple[int, int]]) -> Iterator[tuple[int, int, float]]:
        piece = text[start:end] if end is not None else text[start:]
        for s, e in _spans(self.kind, self.noun, self.measure, piece, self.period):
            inside = [w for w in words(piece[s:e]) if w.casefold() not in _FUNCTION]
            if not inside:
                continue
            known = [norm(w) in self.words or _in_terms(piece, w, s, e, terms, start)
                     for w in inside]
            if all(known):
                continue  # the question's own words are no answer
            if self.kind == "name" and any(ch.isdigit() or ch == "_" for ch in piece[s:e]):
                continue  # 'IDNA2003', 'RFC8264', 'IDNA_SUCCESS': a standard or code, no one
            if self.kind == "number":
                if _YEAR_ONLY.fullmatch(piece[s:e]):
                    continue  # a year counts nothing
                lead = _LEAD_DIGITS.match(piece[s:e])
                if lead and int(lead.group()) in self.own and not _LEAD_DECIMAL.match(
                        piece[s:e]):
                    continue  # '1953 alone' when the question asks about 1950-53
                if self.measure is not None and not self.measure.search(piece, s, e) and not (
                        self.period and _PERIOD_RE.fullmatch(piece, s, e)):
                    continue
                if self.version and not (_VERSION_RE.search(piece, s, e)
                                         or _VERSION_BEFORE.search(piece, max(0, s - 12), s)):
                    continue
            yield start + s, start + e, sum(known) / len(known)

    def found(self, text: str, start: int = 0, end: int | None = None) -> bool:
        """Whether text[start:end] gives what is asked: a number or name the question lacks,
        or any date (the year a question names may be the answer's: "when was the 1986
        treaty signed?")."""
        key = (text, start, end)
        got = self._found.get(key)
        if got is None:
            if self.kind == "date":
                stop = len(text) if end is None else end
                got = (_DIGIT_RE.search(text, start, stop) is not None
                       and _DATE_RE.search(text, start, stop) is not None)
            else:
                got = next(self._candidates(text, start, end, ()), None) is not None
            self._found[key] = got
        return got


_ROLE_RE = re.compile(_ROLE_RX, re.I)
_VERSION_ASKED = re.compile(r"\b(?:what|which) (?:version|release)\b", re.I)
_VERSION_RE = re.compile(r"\d+(?:\.\d+)+")
_VERSION_BEFORE = re.compile(r"\b(?:version|release|v)\s*$", re.I)


def _asked_role(question: str) -> str | None:
    """The office a "which <role>" question asks about ('minister'), or None."""
    m = _ROLE_RE.search(question)
    return m.group(1).casefold() if m else None


def after_role(sentence: str, s: int, role: str) -> bool:
    """Whether the name at sentence[s:] follows the role's word ('Foreign Minister Ho Dam')."""
    before = _WORD_BEFORE.findall(sentence[max(0, s - 40) : s])
    return bool(before) and norm(before[-1]) == norm(role)


def asked(question: str) -> Asked | None:
    """What the question asks for, or None when it is no date, number, person or place."""
    kind = asks_for(question)
    return Asked(question, kind) if kind in ("date", "number", "name", "place") else None


def _in_terms(text: str, word: str, s: int, e: int, terms: Sequence[tuple[int, int]],
              offset: int) -> bool:
    """Whether this word of the candidate text[s:e] is one of the question's matched terms
    (terms: offsets in the whole text, text starting at offset)."""
    at = text.find(word, s, e)
    return at >= 0 and any(ts <= at + offset < te for ts, te in terms)
