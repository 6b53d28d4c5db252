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
from typing import Iterable, NamedTuple

import Stemmer

from . import yamlfile
from .errors import DataError

ANALYZER_VERSION = 5

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

# Pronouns that may not be aliases, though "US" stays searchable ("told us" is no country).
_PRONOUNS = frozenset({"us", "it", "me", "we", "i"})
# A number keeps its inner separators: 226,236 and 1948 and 10,7 stay one token each.
_WORD_RE = re.compile(r"\d+(?:[.,]\d+)*|[^\W\d_]+(?:['’][^\W\d_]+)*|[^\W_]+")
_THOUSANDS_RE = re.compile(r"^\d{1,3}(?:,\d{3})+$")


class _Word(NamedTuple):
    term: str
    start: int
    end: int
    stop: bool


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

    def __post_init__(self) -> None:
        self._stemmer = Stemmer.Stemmer(self.language)
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
            if word[0].isdigit():
                out.append(_Word(_normalize_number(word), start, end, False))
                continue
            word = re.sub(r"['’]s$", "", word)  # Korea's -> korea
            for part in re.split(r"['’]", word):  # o'clock, d'Estaing -> parts
                if part:
                    # Stopwords are judged before stemming: "why" is one, "owns" is not.
                    stop = part in STOPWORDS or (len(part) == 1 and part.isalpha())
                    out.append(_Word(self._stemmer.stemWord(part), start, end, stop))
        return out

    def _stem_words(self, text: str) -> list[str]:
        return [t.term for t in self._words(text)]

    # -- public ------------------------------------------------------------------------------
    def tokens(self, text: str) -> list[Token]:
        """Index terms with the character span of the words they came from."""
        words = self._words(text)
        out: list[Token] = []
        i = 0
        while i < len(words):
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
        return [t.term for t in self.tokens(text)]

    def fingerprint(self) -> str:
        """Changes whenever the analyzer would produce different terms."""
        h = hashlib.sha256()
        h.update(f"v{ANALYZER_VERSION}|{self.language}|".encode())
        h.update("\x00".join(sorted(STOPWORDS)).encode())
        for key in sorted(self._phrases):
            h.update(("\x01" + " ".join(key) + "=" + self._phrases[key]).encode())
        return h.hexdigest()[:16]


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


def parties_in(analyzer: Analyzer, text: str) -> list[str]:
    """Canonical entity names mentioned in text, in order of first mention."""
    seen: list[str] = []
    for t in analyzer.terms(text):
        name = analyzer.display_names.get(t)
        if name and name not in seen:
            seen.append(name)
    return seen

