"""One analyzer for documents, queries and facts.

NFKC -> casefold -> fold accents -> split words (hyphens and apostrophes handled, numbers kept)
-> stem -> entity aliases (longest match) -> drop stopwords.
"""
from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

import Stemmer
from breame.data.spelling_constants import BRITISH_ENGLISH_SPELLINGS

from .. import yamlfile
from ..errors import DataError

ANALYZER_VERSION = 9

# A broad English list (NLTK-like, ~180 words: broader than Lucene's 33, which measurably helps
# on SQuAD) plus question words and fillers that carry no topic.
STOPWORDS = frozenset(
    """
    a about above after again against all am an and any are as at be because been before being
    below between both but by can could did do does doing down during each few for from further
    had has have having he her here hers herself him himself his how i if in into is it its itself
    just me more most my myself no nor not now of off on once only or other our ours ourselves out
    over own same she should so some such than that the their theirs them themselves then there
    these they this those through to too under until up very was we were what when where which
    while who whom why will with would you your yours yourself yourselves
    s t don shall may might must also yet ever
    tell please let know many much else besides
    """.split()
)

# British spellings as American ones ('defence' is 'defense', 'organisation' 'organization',
# 'travelled' 'traveled'): a question and a document spelled either way meet. The list is
# breame's (1,730 words, Apache-2.0).
_AMERICAN: dict[str, str] = dict(BRITISH_ENGLISH_SPELLINGS)
# Irregular past forms as their verb ('wrote', 'written' are 'write'; 'began' is 'begin'): the
# stemmer joins 'writes' and 'writing' only, so "Who wrote it?" met no 'written by'. Forms that
# are as often other words or names stay as they are ('found', 'left', 'saw', 'won', 'born',
# 'lay', 'bound', 'ground', 'rose', 'lit', 'bore', 'fed', 'done'; 'Sung' of Kim Il Sung, 'Sang',
# 'Hung', 'Ran', 'Drew', 'Bent', 'Tore', 'Lent').
_IRREGULAR = """arose:arise arisen:arise awoke:awake beaten:beat became:become began:begin
begun:begin bitten:bite blew:blow blown:blow broke:break broken:break brought:bring
built:build burnt:burn bought:buy caught:catch chose:choose chosen:choose came:come
crept:creep dealt:deal dug:dig drawn:draw dreamt:dream drove:drive driven:drive
drank:drink ate:eat eaten:eat fell:fall fallen:fall felt:feel fought:fight fled:flee flew:fly
flown:fly forbade:forbid forbidden:forbid forgot:forget forgotten:forget forgave:forgive
forgiven:forgive froze:freeze frozen:freeze got:get gotten:get gave:give given:give went:go
gone:go grew:grow grown:grow heard:hear hid:hide hidden:hide held:hold kept:keep
knelt:kneel knew:know known:know laid:lay led:lead lost:lose made:make
meant:mean met:meet paid:pay rode:ride ridden:ride risen:rise
sought:seek sold:sell sent:send shook:shake shaken:shake shone:shine shot:shoot shown:show
shrank:shrink sank:sink sunk:sink slept:sleep slid:slide spoke:speak
spoken:speak sped:speed spent:spend spun:spin sprang:spring sprung:spring stood:stand
stole:steal stolen:steal stuck:stick stung:sting strode:stride struck:strike stricken:strike
strove:strive swore:swear sworn:swear swept:sweep swam:swim swum:swim took:take taken:take
taught:teach torn:tear told:tell thought:think threw:throw thrown:throw
understood:understand undertook:undertake undertaken:undertake woke:wake woken:wake
wore:wear worn:wear wove:weave woven:weave wept:weep wrote:write written:write
withdrew:withdraw withdrawn:withdraw overthrew:overthrow overthrown:overthrow
overtook:overtake overtaken:overtake foresaw:foresee foreseen:foresee mistook:mistake
rebuilt:rebuild seen:see"""
# Irregular plurals as their singular, which the stemmer leaves apart ('children', 'crises',
# 'criteria'); not those that are also verbs ('lives', 'leaves', 'axes', 'analyses').
_IRREGULAR += """ children:child men:man women:woman feet:foot teeth:tooth mice:mouse wives:wife
knives:knife halves:half wolves:wolf crises:crisis theses:thesis phenomena:phenomenon
criteria:criterion indices:index matrices:matrix vertices:vertex hypotheses:hypothesis
diagnoses:diagnosis"""
_AMERICAN.update(pair.split(":") for pair in _IRREGULAR.split())


def base_form(word: str) -> str:
    """A lowercase word as the analyzer reads it before stemming: an irregular form as its
    verb or singular ('wrote' -> 'write'), a British spelling as the American one."""
    return _AMERICAN.get(word, word)


_SPELLINGS_DIGEST = hashlib.sha256(
    "\x00".join(f"{b}={a}" for b, a in sorted(_AMERICAN.items())).encode()).digest()

# Pronouns that may not be aliases, though "US" stays searchable ("told us" is no country).
_PRONOUNS = frozenset({"us", "it", "me", "we", "i"})
# A number keeps its inner separators: 226,236 and 1948 and 10,7 stay one token each. A
# command's option of one letter ('-k') is one word with its dash: a letter alone says nothing.
# Its neighbours are judged as the tokenizers join bytes (split_tokens, TermIds): an ASCII
# letter, digit or apostrophe, a dash before it, or any other character is no boundary, but
# whitespace is, whatever its code ('\x85', '\u2028' split tokens as a space does).
_OPTION = (r"(?<![A-Za-z0-9'\-])(?<![^\s\x00-\x7f])-[a-z]"
           r"(?![A-Za-z0-9'])(?![^\s\x00-\x7f])")
_WORD_RE = re.compile(_OPTION + r"|\d+(?:[.,]\d+)*|[^\W\d_]+(?:['’][^\W\d_]+)*|[^\W_]+")
# a dash that starts an option in ASCII bytes (split_tokens keeps it; the word decides)
_OPTION_DASH = re.compile(rb"(?<![A-Za-z0-9'\-])-(?=[A-Za-z])")
_THOUSANDS_RE = re.compile(r"^\d{1,3}(?:,\d{3})+$")


def _ascii_table(keep: bytes) -> bytes:
    table = bytearray(b" " * 256)
    for c in keep:
        table[c] = c
    for c in b"ABCDEFGHIJKLMNOPQRSTUVWXYZ":
        table[c] = c + 32
    return bytes(table)


# An ASCII character that no word can contain separates words just as a space does, and ASCII
# folds to lowercase; '.' and ',' belong to words only between digits ("226,236").
_WORD_BYTES = b"0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ'"
_WORDS_ONLY = _ascii_table(_WORD_BYTES)
_WITH_NUMBERS = _ascii_table(_WORD_BYTES + b".,")
_WORDS_ONLY_DASH = _ascii_table(_WORD_BYTES + b"\x01")
_WITH_NUMBERS_DASH = _ascii_table(_WORD_BYTES + b".,\x01")
_NUMBER_SHAPE = bytes(48 if 48 <= c <= 57 else c if c in b".," else 120 for c in range(256))


def split_tokens(text: str) -> list:
    """A text's whitespace-separated tokens as the analyzer's cache keys them: for ASCII text,
    bytes, lowercased, with every character that cannot be part of a word made a space (so
    'Korea,' and 'korea' are one key); other text is split as it is. Analyzing the tokens one
    by one gives the words of the whole text (words never span whitespace, and whitespace folds
    to whitespace)."""
    if text.isascii():
        raw = text.encode("ascii")
        shape = raw.translate(_NUMBER_SHAPE)  # digits -> 0, '.' and ',' kept, the rest -> x
        numbers = b"0.0" in shape or b"0,0" in shape  # 10.7, 226,236: keep their separators
        if b"-" in raw:  # an option's dash ('-k') stays, as \x01 through the table
            raw = _OPTION_DASH.sub(b"\x01", raw)
            if b"\x01" in raw:
                table = _WITH_NUMBERS_DASH if numbers else _WORDS_ONLY_DASH
                return [t.replace(b"\x01", b"-") for t in raw.translate(table).split()]
        return raw.translate(_WITH_NUMBERS if numbers else _WORDS_ONLY).split()
    return text.split()


class _Word(NamedTuple):
    term: str
    start: int
    end: int
    stop: bool


_CACHE_WORDS = 2_000_000  # distinct words (and tokens) remembered; then start afresh
SPECIAL = object()  # a token that may start an alias name or holds several terms


class _TokenTerms(dict):
    """Whitespace-separated token as written -> Analyzer.classify(token), on first sight."""

    def __init__(self, analyzer: "Analyzer") -> None:
        super().__init__()
        self._classify = analyzer.classify

    def __missing__(self, token: str):
        value = self._classify(token)
        if len(self) >= _CACHE_WORDS:
            self.clear()
        self[token] = value
        return value


class Token(NamedTuple):
    term: str
    start: int  # character offsets in the original text
    end: int


_FOLD_CACHE: dict[str, str] = {}


def _fold_char(ch: str) -> str:
    out = _FOLD_CACHE.get(ch)
    if out is None:
        decomposed = unicodedata.normalize("NFD", unicodedata.normalize("NFKC", ch).casefold())
        out = unicodedata.normalize(
            "NFC", "".join(c for c in decomposed if not unicodedata.combining(c))
        )
        _FOLD_CACHE[ch] = out
    return out


def fold_with_offsets(text: str) -> tuple[str, list[int] | None]:
    """NFKC, casefold and strip accents (Čen -> cen). Returns the folded text and, for non-ASCII
    input, the original offset of every folded character."""
    if text.isascii():
        return text.lower(), None
    parts: list[str] = []
    origin: list[int] = []
    for i, ch in enumerate(text):
        f = _fold_char(ch)
        parts.append(f)
        origin.extend([i] * len(f))
    folded = "".join(parts)
    return folded, origin


def fold(text: str) -> str:
    return fold_with_offsets(text)[0]


def _normalize_number(word: str) -> str:
    # 226,236 -> 226236 (thousands); 10,7 -> 10.7 (decimal comma)
    if _THOUSANDS_RE.match(word):
        return word.replace(",", "")
    return word.replace(",", ".")


def canonical_term(name: str) -> str:
    """The single index term an entity is known by: 'North Korea' -> 'north_korea'."""
    return "_".join(re.findall(r"[^\W_]+", fold(name)))


@dataclass
class Analyzer:
    """Turns text into index terms. Documents and queries must use the same instance settings."""

    aliases: dict[str, list[str]] = field(default_factory=dict)
    language: str = "english"
    _stemmer: Stemmer.Stemmer = field(init=False, repr=False)
    _phrases: dict[tuple[str, ...], str] = field(init=False, repr=False)
    _max_phrase: int = field(init=False, repr=False)
    display_names: dict[str, str] = field(init=False, repr=False)
    # word as matched in folded text -> its (stem, is stopword) parts; shared by every path
    _parts: dict[str, tuple[tuple[str, bool], ...]] = field(
        init=False, repr=False, compare=False)
    _heads: frozenset[str] = field(init=False, repr=False, compare=False)  # first stems of aliases
    _token_terms: _TokenTerms = field(init=False, repr=False, compare=False)
    _multi: dict[str, tuple[str, ...]] = field(init=False, repr=False, compare=False)
    _tparts: dict[str, tuple[tuple[str, bool], ...]] = field(
        init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        self._stemmer = Stemmer.Stemmer(self.language)
        self._parts = {}
        self._multi = {}
        self._tparts = {}
        self._phrases = {}
        self.display_names = {}
        for canonical, names in self.aliases.items():
            term = canonical_term(canonical)
            self.display_names[term] = canonical
            for name in [canonical, *names]:
                key = tuple(self._stem_words(name))
                if key:
                    self._phrases[key] = term
        self._max_phrase = max((len(k) for k in self._phrases), default=0)
        self._heads = frozenset(k[0] for k in self._phrases)
        self._token_terms = _TokenTerms(self)

    # -- words -------------------------------------------------------------------------------
    def _words(self, text: str) -> list[_Word]:
        """Folded, stemmed words with offsets; stopwords are flagged, not dropped, so alias
        names that contain them ("Republic of Korea") still match."""
        folded, origin = fold_with_offsets(text)
        out: list[Token] = []
        for m in _WORD_RE.finditer(folded):
            word = m.group()
            if origin is None:
                start, end = m.start(), m.end()
            else:
                start, end = origin[m.start()], origin[m.end() - 1] + 1
                while end < len(text) and unicodedata.combining(text[end]):
                    end += 1  # a decomposed accent belongs to its word
            parts = self._parts.get(word) or self._word_parts(word)
            for term, stop in parts:
                out.append(_Word(term, start, end, stop))
        return out

    def _word_parts(self, word: str) -> tuple[tuple[str, bool], ...]:
        """The (stem, stopword?) parts of one word of folded text; cached per distinct word,
        since a word is analyzed the same way wherever it occurs."""
        if word[0].isdigit():
            parts: tuple[tuple[str, bool], ...] = ((_normalize_number(word), False),)
        elif word[0] == "-":  # an option: '-k'
            parts = ((word, False),)
        else:
            bare = re.sub(r"['’]s$", "", word)  # Korea's -> korea
            # o'clock, d'Estaing -> parts. Stopwords are judged before stemming: "why" is one,
            # "owns" is not.
            parts = tuple(
                (self._stemmer.stemWord(_AMERICAN.get(part, part)),
                 part in STOPWORDS or (len(part) == 1 and part.isalpha()))
                for part in re.split(r"['’]", bare) if part
            )
        if len(self._parts) >= _CACHE_WORDS:
            self._parts.clear()
        self._parts[word] = parts
        return parts

    def _token_parts(self, token: str) -> tuple[tuple[str, bool], ...]:
        """The parts of every word in one whitespace-separated token. Words never span
        whitespace and whitespace folds to whitespace, so a text's words are its tokens' words
        in order: analyzing token by token gives what _words() gives for the whole text."""
        if isinstance(token, bytes):
            folded = token.decode("ascii")  # already lowercase (split_tokens)
        else:
            folded = token.lower() if token.isascii() else fold(token)
        parts = self._parts
        return tuple(p for w in _WORD_RE.findall(folded) for p in (parts.get(w) or self._word_parts(w)))

    def classify(self, token: str):
        """What one whitespace-separated token contributes on its own: its single term, None
        (a stopword, punctuation) or SPECIAL: several terms (remembered in _multi), or a word
        that may start an alias name, which needs the words after it."""
        parts = self._token_parts(token)
        if len(parts) == 1 and parts[0][0] not in self._heads:  # the common case
            return None if parts[0][1] else parts[0][0]
        if any(t in self._heads for t, _ in parts):
            return SPECIAL
        terms = tuple(t for t, stop in parts if not stop)
        if len(terms) > 1:
            if len(self._multi) >= _CACHE_WORDS:
                self._multi.clear()
            self._multi[token] = terms
            return SPECIAL
        return terms[0] if terms else None

    def _stem_words(self, text: str) -> list[str]:
        return [t.term for t in self._words(text)]

    # -- public ------------------------------------------------------------------------------
    def tokens(self, text: str) -> list[Token]:
        """Index terms with the character span of the words they came from."""
        words = self._words(text)
        out: list[Token] = []
        heads = self._heads
        i = 0
        while i < len(words):
            if words[i].term not in heads:  # no alias name starts with it: the word alone
                w = words[i]
                if not w.stop:
                    out.append(Token(w.term, w.start, w.end))
                i += 1
                continue
            for n in range(min(self._max_phrase, len(words) - i), 0, -1):
                key = tuple(w.term for w in words[i : i + n])
                term = self._phrases.get(key)
                if term is not None:
                    out.append(Token(term, words[i].start, words[i + n - 1].end))
                    i += n
                    break
            else:
                w = words[i]
                if not w.stop:
                    out.append(Token(w.term, w.start, w.end))
                i += 1
        return out

    def terms(self, text: str) -> list[str]:
        """[t.term for t in self.tokens(text)], fast: the text is split into tokens
        (split_tokens) and each distinct token is analyzed once (cached). Only a text holding a token with several
        terms or one that may start an alias name takes the word-by-word path."""
        tokens = split_tokens(text)
        vals = list(map(self._token_terms.__getitem__, tokens))
        if SPECIAL not in vals:
            return list(filter(None, vals))
        out: list[str] = []
        multi = self._multi
        for tok, v in zip(tokens, vals):
            if v is SPECIAL:
                terms = multi.get(tok)
                if terms is None:  # may start an alias name (or was forgotten)
                    return self._terms_in_context(tokens)
                out.extend(terms)
            elif v is not None:
                out.append(v)
        return out

    def _terms_in_context(self, tokens: list[str]) -> list[str]:
        """tokens()' longest-alias-first matching, over the parts of whitespace tokens."""
        cache = self._tparts
        if len(cache) >= _CACHE_WORDS:
            cache.clear()
        seq = []
        for tok in tokens:
            parts = cache.get(tok)
            if parts is None:
                parts = cache[tok] = self._token_parts(tok)
            seq += parts
        heads, phrases = self._heads, self._phrases
        out: list[str] = []
        i, n = 0, len(seq)
        while i < n:
            term, stop = seq[i]
            if term in heads:
                for m in range(min(self._max_phrase, n - i), 0, -1):
                    alias = phrases.get(tuple(t for t, _ in seq[i : i + m]))
                    if alias is not None:
                        out.append(alias)
                        i += m
                        break
                else:
                    if not stop:
                        out.append(term)
                    i += 1
                continue
            if not stop:
                out.append(term)
            i += 1
        return out

    def fingerprint(self) -> str:
        """Changes whenever the analyzer would produce different terms."""
        h = hashlib.sha256()
        h.update(f"v{ANALYZER_VERSION}|{self.language}|".encode())
        h.update("\x00".join(sorted(STOPWORDS)).encode())
        h.update(_SPELLINGS_DIGEST)  # another version of the spelling list reads words anew
        for key in sorted(self._phrases):
            h.update(("\x01" + " ".join(key) + "=" + self._phrases[key]).encode())
        return h.hexdigest()[:16]


def load_analyzer(data_dir: Path) -> Analyzer:
    """The analyzer of a data folder: its aliases.yaml, when it has one."""
    aliases_path = data_dir / "aliases.yaml"
    aliases = load_aliases(aliases_path) if aliases_path.is_file() else {}
    return Analyzer(aliases=aliases)


def load_aliases(path: Path) -> dict[str, list[str]]:
    """Read an aliases YAML file: a mapping canonical name -> list of names."""
    raw = yamlfile.load(path)
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise DataError(f"{path}: expected a mapping 'Canonical name: [alias, ...]'")
    out: dict[str, list[str]] = {}
    for name, names in raw.items():
        if names is None:
            names = []
        if not isinstance(name, str) or not isinstance(names, list) or not all(
            isinstance(n, str) for n in names
        ):
            raise DataError(f"{path}: entry {name!r} must map a name to a list of names")
        for n in [name, *names]:
            words = [w for w in _WORD_RE.findall(fold(n))]
            if len(words) == 1 and (words[0] in STOPWORDS or words[0] in _PRONOUNS):
                raise DataError(
                    f"{path}: alias {n!r} of {name!r} is an English stopword and would match "
                    "ordinary text; remove it or write a longer form"
                )
        out[name] = names
    return out



# -- many texts at once, for building an index ----------------------------------------------------


def _byte_table(pred) -> "np.ndarray":
    import numpy as np

    return np.array([bool(pred(c)) for c in range(256)])


def _distinct_pairs(k1: "np.ndarray", k2: "np.ndarray") -> tuple["np.ndarray", "np.ndarray"]:
    """The distinct (k1, k2) in ascending order, as np.unique(axis=0) gives them: its sort of
    16-byte rows is several times slower than a lexsort of the two columns."""
    import numpy as np

    order = np.lexsort((k2, k1))
    a, b = k1[order], k2[order]
    first = np.ones(len(a), dtype=bool)
    first[1:] = (a[1:] != a[:-1]) | (b[1:] != b[:-1])
    return a[first], b[first]


class TermIds:
    """Vocabulary ids of the terms of many texts at once, for building an index: what
    [vocab[t] for t in analyzer.terms(text)] gives, with vocab (term -> id, in order of first
    appearance) extended as new terms appear.

    The texts' UTF-8 bytes are split into tokens with numpy (a token is a run of bytes that can
    be part of a word, as in split_tokens), and every ASCII token of up to 16 bytes is looked up
    as an exact key (two uint64) in an open-addressing table: no Python object per token.
    Longer and non-ASCII tokens go through a dict. Each distinct token is analyzed once
    (Analyzer.classify); a text holding a token that may start an alias name, or that holds
    several terms, gets the full analysis (Analyzer.terms)."""

    _EMPTY, _STOP, _SPECIAL = -3, -1, -2
    # A table value is a term id with, in bits 40-47 and 48-55, how many characters of the
    # token come before and after the word it came from ("'hello'" -> 1, 1): token offsets.
    _ID = (1 << 40) - 1
    # texts of this many bytes and more (a build's blocks) go through the compiled loops
    # (index/search/analyze_kernels.py); the same results, without numba's import for less
    COMPILED_BYTES = 1 << 20

    def __init__(self, analyzer: "Analyzer", vocab: dict[str, int] | None = None) -> None:
        import numpy as np

        self.np = np
        self.analyzer = analyzer
        self.vocab: dict[str, int] = {} if vocab is None else vocab
        self._slow: dict[str, int] = {}
        self._multi_spans: dict = {}
        self._bits = 16
        self._new_table(1 << self._bits)
        self._count = 0
        word = set(_WORD_BYTES)
        self._word = _byte_table(lambda c: c in word or c >= 0x80)
        self._sep = _byte_table(lambda c: c in b".,")
        self._digit = _byte_table(lambda c: 48 <= c <= 57)
        # an option's dash ('-k') joins the token when no ASCII word byte or dash is before it
        # and a letter (or a byte of a non-ASCII character) follows (_OPTION)
        self._dash = _byte_table(lambda c: c == 0x2D)
        self._opens = _byte_table(lambda c: 65 <= c <= 90 or 97 <= c <= 122 or c >= 0x80)
        self._blocks = _byte_table(lambda c: c in _WORD_BYTES or c == 0x2D)
        self._classes = (self._word.astype(np.uint8) | (self._sep.astype(np.uint8) << 1)
                         | ((self._digit | (np.arange(256) >= 0x80)).astype(np.uint8) << 2)
                         | (self._dash.astype(np.uint8) << 3) | (self._opens.astype(np.uint8) << 4)
                         | (self._blocks.astype(np.uint8) << 5))
        self._lower = np.array([c + 32 if 65 <= c <= 90 else c for c in range(256)], dtype=np.uint8)
        self._masks = np.array([(1 << (8 * i)) - 1 for i in range(9)], dtype=np.uint64)

    def _new_table(self, size: int) -> None:
        np = self.np
        self._k1 = np.zeros(size, dtype=np.uint64)
        self._k2 = np.zeros(size, dtype=np.uint64)
        self._val = np.full(size, self._EMPTY, dtype=np.int64)

    def _slots(self, k1, k2):
        np = self.np
        h = (k1 * np.uint64(0x9E3779B97F4A7C15)) ^ (k2 * np.uint64(0xC2B2AE3D27D4EB4F))
        h ^= h >> np.uint64(31)
        h *= np.uint64(0x94D049BB133111EB)
        return (h >> np.uint64(64 - self._bits)).astype(np.int64)

    def _find(self, k1, k2, compiled: bool = False):
        """Stored values of the keys, _EMPTY for unknown ones."""
        np = self.np
        slot = self._slots(k1, k2)
        if compiled:
            from .analyze_kernels import find

            return find(k1, k2, slot, self._k1, self._k2, self._val, self._EMPTY)
        out = np.full(len(k1), self._EMPTY, dtype=np.int64)
        pending = np.arange(len(k1))
        mask = len(self._val) - 1
        while len(pending):
            s = slot[pending]
            v = self._val[s]
            hit = (self._k1[s] == k1[pending]) & (self._k2[s] == k2[pending]) & (v != self._EMPTY)
            out[pending[hit]] = v[hit]
            go_on = ~hit & (v != self._EMPTY)
            pending = pending[go_on]
            slot[pending] = (s[go_on] + 1) & mask
        return out

    def _insert(self, k1, k2, vals) -> None:
        """Store keys that are not in the table yet (all distinct)."""
        np = self.np
        if 2 * (self._count + len(k1)) > len(self._val):
            keep = self._val != self._EMPTY
            old = (self._k1[keep], self._k2[keep], self._val[keep])
            while 2 * (self._count + len(k1)) > (1 << self._bits):
                self._bits += 1
            self._new_table(1 << self._bits)
            self._count = 0
            self._insert(*old)
        slot = self._slots(k1, k2)
        pending = np.arange(len(k1))
        mask = len(self._val) - 1
        while len(pending):
            s = slot[pending]
            free = self._val[s] == self._EMPTY
            taken_s, first = np.unique(s[free], return_index=True)
            win = pending[free][first]
            self._k1[taken_s], self._k2[taken_s], self._val[taken_s] = k1[win], k2[win], vals[win]
            done = np.zeros(len(pending), dtype=bool)
            done[np.flatnonzero(free)[first]] = True
            pending = pending[~done]
            slot[pending] = (slot[pending] + 1) & mask
        self._count += len(k1)

    def _value(self, token) -> int:
        v = self.analyzer.classify(token)
        if v is None:
            return self._STOP
        if v is SPECIAL:
            return self._SPECIAL
        if isinstance(token, bytes):  # lowercase ASCII: the word is the one with a term
            text = token.decode("ascii")
            parts = self.analyzer._parts
            words = [m for m in _WORD_RE.finditer(text) if any(
                not stop for _, stop in (parts.get(m.group()) or self.analyzer._word_parts(m.group())))]
            span = (words[0].start(), words[0].end()) if len(words) == 1 else None
        else:
            text = token
            toks = self.analyzer.tokens(text)
            span = (toks[0].start, toks[0].end) if len(toks) == 1 and toks[0].term == v else None
        if span is None:
            return self._SPECIAL  # cannot happen for a single-term token; the slow path is exact
        lead, trail = span[0], len(text) - span[1]
        if lead > 255 or trail > 255:
            return self._SPECIAL
        t = self.vocab.get(v)
        if t is None:
            t = self.vocab[v] = len(self.vocab)
        return t | (lead << 40) | (trail << 48)

    def _term_id(self, term: str) -> int:
        t = self.vocab.get(term)
        if t is None:
            t = self.vocab[term] = len(self.vocab)
        return t

    def _spans(self, key) -> list[tuple[int, int, int]] | None:
        """(term id, start, end) in the token of a token with several terms (remembered by
        classify; no alias starts in it, so it is analyzed alone), else None."""
        out = self._multi_spans.get(key)
        if out is None:
            terms = self.analyzer._multi.get(key)
            if terms is None:
                return None
            text = key.decode("ascii") if isinstance(key, bytes) else key
            toks = self.analyzer.tokens(text)
            if tuple(t.term for t in toks) != terms:
                return None
            if len(self._multi_spans) >= _CACHE_WORDS:
                self._multi_spans.clear()
            out = self._multi_spans[key] = [(self._term_id(t.term), t.start, t.end) for t in toks]
        return out

    def _with_special(self, texts, data, ids, tok_text, t_start, t_end, special, fast, starts,
                      ends, tok_char, compiled: bool = False):
        """tokens() for texts holding tokens of several terms (spliced in from their cached
        spans) or that may start an alias name (the text analyzed whole)."""
        np = self.np
        sp = np.flatnonzero(special)
        extra = []  # (id, text, start, end)
        whole = set()
        for j, f, s, e in zip(sp.tolist(), fast[sp].tolist(), starts[sp].tolist(), ends[sp].tolist()):
            key = data[s:e].lower() if f else data[s:e].decode("utf-8", "surrogatepass")
            spans = self._spans(key)
            i = int(tok_text[j])
            if spans is None:
                whole.add(i)
                continue
            base = int(tok_char[j])
            extra += [(t, i, base + a, base + b) for t, a, b in spans]
        extra = [x for x in extra if x[1] not in whole]
        for i in sorted(whole):
            extra += [(self._term_id(t.term), i, t.start, t.end) for t in self.analyzer.tokens(texts[i])]
        keep = ids >= 0
        if whole:
            keep &= ~np.isin(tok_text, np.fromiter(whole, dtype=np.int64, count=len(whole)))
        x = np.array(extra, dtype=np.int64).reshape(-1, 4)
        x = x[np.lexsort((x[:, 2], x[:, 1]))]
        if compiled:
            from .analyze_kernels import splice

            return splice(keep, ids, tok_text, t_start, t_end, x)
        # the kept tokens are in (text, start) order already: the few new ones are merged in
        # (after any equal key, as a stable sort of kept + new would put them)
        at = np.searchsorted((tok_text[keep] << 32) | t_start[keep], (x[:, 1] << 32) | x[:, 2],
                             side="right")
        return (np.insert(ids[keep], at, x[:, 0]).astype(np.int32),
                np.insert(tok_text[keep], at, x[:, 1]),
                np.insert(t_start[keep], at, x[:, 2]).astype(np.int32),
                np.insert(t_end[keep], at, x[:, 3]).astype(np.int32))

    def _scan(self, arr, text_at):
        """analyze_kernels.scan in numpy."""
        np = self.np
        n = len(arr)
        word = self._word[arr]
        sep = self._sep[arr]
        dash = self._dash[arr]
        if n > 1 and dash.any():
            # an option's dash: what the compiled _in_word does byte by byte
            at = np.flatnonzero(dash[:-1] & self._opens[arr[1:]])
            at = at[(at == 0) | ~self._blocks[arr[np.maximum(at - 1, 0)]]]
            word[at] = True
        if n > 2 and sep.any():
            # '.' and ',' between digits belong to a number; next to a non-ASCII byte (a
            # combining accent, a fullwidth digit) they may too, so that run is analyzed whole
            near = self._digit[arr] | (arr >= 0x80)
            word[1:-1] |= sep[1:-1] & near[:-2] & near[2:]
        edges = np.diff(np.concatenate(([0], word.view(np.int8), [0])))
        starts = np.flatnonzero(edges == 1)
        ends = np.flatnonzero(edges == -1)
        tok_text = np.searchsorted(text_at, starts, side="right") - 1
        # counts of bytes before a position come from searches in the (few) positions of
        # such bytes: a running count over every byte of a block costs more than the rest
        high = np.flatnonzero(arr >= 0x80)
        lens = ends - starts
        fast = (lens <= 16) & (np.searchsorted(high, ends) == np.searchsorted(high, starts))
        fs, fl = starts[fast], lens[fast]
        # each token's first and second 8 bytes as little-endian integers, read through
        # overlapping 8-byte windows of the (lowercased, zero-padded) bytes
        low = np.zeros(n + 24, dtype=np.uint8)
        low[:n] = self._lower[arr]
        windows = np.ndarray((n + 17,), dtype="<u8", buffer=low, strides=(1,))
        k1 = windows[fs] & self._masks[np.minimum(fl, 8)]
        k2 = windows[fs + 8] & self._masks[np.clip(fl - 8, 0, 8)]
        # character offsets in each text: bytes minus the UTF-8 continuation bytes before
        cont = np.flatnonzero((arr & 0xC0) == 0x80) if len(high) else high
        c_text = text_at[:-1] - np.searchsorted(cont, text_at[:-1])
        base = c_text[tok_text]
        return (starts, ends, tok_text, fast, k1, k2,
                starts - np.searchsorted(cont, starts) - base,
                ends - np.searchsorted(cont, ends) - base)

    def __call__(self, texts: list[str]) -> tuple["np.ndarray", "np.ndarray"]:
        """(term ids, number of the text each belongs to), stopwords left out, in text order."""
        return self.tokens(texts, offsets=False)[:2]

    def tokens(self, texts: list[str], offsets: bool = True) -> tuple["np.ndarray", ...]:
        """(term ids, text number, start, end): what Analyzer.tokens gives for each text, in
        text order; start and end are character offsets in that text (int32)."""
        np = self.np
        # surrogatepass: a lone surrogate (never in a decoded file, possible in a str) survives
        data = "\n".join(texts).encode("utf-8", "surrogatepass")
        arr = np.frombuffer(data, dtype=np.uint8)
        n = len(arr)
        compiled = n >= self.COMPILED_BYTES
        text_at = np.zeros(len(texts) + 1, dtype=np.int64)
        # each text's bytes and its newline (an ASCII text's bytes are its characters)
        np.cumsum([len(t) + 1 if t.isascii() else len(t.encode("utf-8", "surrogatepass")) + 1
                   for t in texts], out=text_at[1:])
        if compiled:
            from .analyze_kernels import scan

            starts, ends, tok_text, fast, k1, k2, c_start, c_end = scan(
                arr, self._classes, self._lower, text_at)
            k1, k2 = k1[fast], k2[fast]
        else:
            starts, ends, tok_text, fast, k1, k2, c_start, c_end = self._scan(arr, text_at)
        ids = np.empty(len(starts), dtype=np.int64)
        if len(k1):
            vals = self._find(k1, k2, compiled)
            unknown = vals == self._EMPTY
            if unknown.any():
                nk1, nk2 = _distinct_pairs(k1[unknown], k2[unknown])
                keys = np.stack([nk1, nk2], axis=1).astype("<u8").tobytes()
                new = np.array([self._value(keys[i : i + 16].rstrip(b"\0"))
                                for i in range(0, len(keys), 16)], dtype=np.int64)
                self._insert(nk1, nk2, new)
                vals[unknown] = self._find(k1[unknown], k2[unknown])
            ids[fast] = vals
        slow = np.flatnonzero(~fast)
        if len(slow):
            cache = self._slow
            out = []
            for s, e in zip(starts[slow].tolist(), ends[slow].tolist()):
                tok = data[s:e].decode("utf-8", "surrogatepass")
                v = cache.get(tok)
                if v is None:
                    if len(cache) >= _CACHE_WORDS:
                        cache.clear()
                    v = cache[tok] = self._value(tok)
                out.append(v)
            ids[slow] = out
        if offsets:
            known = ids >= 0
            t_start = c_start + np.where(known, (ids >> 40) & 0xFF, 0)
            t_end = c_end - np.where(known, (ids >> 48) & 0xFF, 0)
        special = ids == self._SPECIAL
        ids = np.where(ids >= 0, ids & self._ID, ids)
        if special.any() and offsets:
            return self._with_special(texts, data, ids, tok_text, t_start, t_end, special,
                                      fast, starts, ends, c_start, compiled)
        if special.any():
            redo = np.unique(tok_text[special])
            keep = ~np.isin(tok_text, redo)
            extra_ids, extra_text, extra_start, extra_end = [], [], [], []
            for i in redo.tolist():
                for tok in (self.analyzer.tokens(texts[i]) if offsets else
                            (Token(term, 0, 0) for term in self.analyzer.terms(texts[i]))):
                    t = self.vocab.get(tok.term)
                    if t is None:
                        t = self.vocab[tok.term] = len(self.vocab)
                    extra_ids.append(t)
                    extra_text.append(i)
                    extra_start.append(tok.start)
                    extra_end.append(tok.end)
            ids = np.concatenate([ids[keep], np.array(extra_ids, dtype=np.int64)])
            tok_text = np.concatenate([tok_text[keep], np.array(extra_text, dtype=np.int64)])
            order = np.argsort(tok_text, kind="stable")
            ids, tok_text = ids[order], tok_text[order]
            if offsets:
                t_start = np.concatenate([t_start[keep], np.array(extra_start, np.int64)])[order]
                t_end = np.concatenate([t_end[keep], np.array(extra_end, np.int64)])[order]
        terms = ids >= 0
        if not offsets:
            return ids[terms].astype(np.int32), tok_text[terms]
        return (ids[terms].astype(np.int32), tok_text[terms], t_start[terms].astype(np.int32),
                t_end[terms].astype(np.int32))
