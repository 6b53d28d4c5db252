"""The fact table: dated relation events, each anchored to a verbatim quote in a document.

FactTable.load validates data/facts.yaml strictly (see the schema comment at the top of that
file); FactTable.match picks the facts a question is about; timeline/select browse them.
"""
from __future__ import annotations

import calendar
import math
import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Mapping

from . import yamlfile
from .analyze import Analyzer
from .corpus import Chunk
from .errors import DataError

RELATIONS = (
    "diplomatic_relations", "treaty", "agreement", "termination", "visit", "ambassador",
    "embassy", "trade", "aid", "party_relations", "statement",
)
REQUIRED = ("id", "date", "parties", "relation", "title", "summary", "source")
OPTIONAL = ("value", "unit")
_ID_RE = re.compile(r"^[a-z0-9][a-z0-9-]*$")
_DATE_RE = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$")
_YEAR_RE = re.compile(r"\b(1[89]\d\d|20\d\d)s?\b")
MONTHS = ("January February March April May June July August September October November "
          "December").split()

# Words that signal each relation, as written; they are analyzed (stemmed) when loaded.
RELATION_WORDS: dict[str, str] = {
    "diplomatic_relations": "diplomatic relations recognition recognise recognize recognized",
    "treaty": "treaty treaties pact",
    "agreement": "agreement agreements accord convention protocol agreed join joined accession member membership",
    "termination": "terminate terminated termination expire expired cancel scrapped abrogate end ended",
    "visit": "visit visited visits trip travelled traveled went came go delegation",
    "ambassador": "ambassador ambassadors envoy",
    "embassy": "embassy embassies mission consulate",
    "trade": "trade share export exports import imports usd million figures",
    "aid": "aid aided help helped assistance supplied supply food donated relief send sent ship shipped deliver delivered",
    "party_relations": "party parties congress delegation",
    "statement": "statement declaration said say says stated message speech",
}


def human_date(date: str) -> str:
    """'1948-10-15' -> '15 October 1948', '1989-08' -> 'August 1989', '1995' -> '1995'."""
    m = _DATE_RE.match(date)
    if not m:
        return date
    y, mo, d = m.groups()
    if d:
        return f"{int(d)} {MONTHS[int(mo) - 1]} {y}"
    if mo:
        return f"{MONTHS[int(mo) - 1]} {y}"
    return y


def human_figure(value: float, unit: str | None = None) -> str:
    """A fact's figure as every front end shows it: 226236 -> '226,236', 10.7 -> '10.7'."""
    number = f"{int(value):,}" if float(value).is_integer() else f"{value:,}"
    return f"{number} {unit}" if unit else number


@dataclass(frozen=True)
class Fact:
    id: str
    date: str
    parties: tuple[str, ...]
    relation: str
    title: str
    summary: str
    doc: str
    quote: str
    value: float | None = None
    unit: str | None = None
    line: int = 0
    passage: str | None = None  # chunk id of the passage that holds the quote

    @property
    def year(self) -> int:
        return int(self.date[:4])

    @property
    def text(self) -> str:
        """One readable sentence with the date."""
        figure = f": {human_figure(self.value, self.unit)}" if self.value is not None else ""
        return f"{human_date(self.date)} — {self.title}{figure} ({', '.join(self.parties)})."

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {
            "id": self.id, "date": self.date, "parties": list(self.parties),
            "relation": self.relation, "title": self.title, "text": self.text,
            "summary": self.summary, "source": {"doc": self.doc, "quote": self.quote},
            "passage": self.passage,
        }
        if self.value is not None:
            d["value"], d["unit"] = self.value, self.unit
        return d


@dataclass(frozen=True)
class FactMatch:
    fact: Fact
    score: tuple

    def to_dict(self) -> dict[str, Any]:
        return self.fact.to_dict()


def _squash(text: str) -> str:
    return " ".join(text.split())


def _parse_date(value: Any) -> str | None:
    if isinstance(value, dt.datetime):  # a time of day is not a fact's date
        return None
    if isinstance(value, dt.date):  # YAML turns an unquoted 1948-10-15 into a date
        return value.isoformat()
    if isinstance(value, int) and 1000 <= value <= 9999:
        return str(value)
    if not isinstance(value, str):
        return None
    m = _DATE_RE.match(value)
    if not m:
        return None
    y, mo, d = m.groups()
    if mo and not 1 <= int(mo) <= 12:
        return None
    if d and not 1 <= int(d) <= calendar.monthrange(int(y), int(mo))[1]:
        return None
    return value


@dataclass
class FactTable:
    facts: list[Fact] = field(default_factory=list)
    path: Path | None = None

    # -- loading -----------------------------------------------------------------------------
    @classmethod
    def load(cls, path: Path, doc_texts: Mapping[str, str], parties: Iterable[str],
             chunks: Iterable[Chunk] = ()) -> "FactTable":
        """Read and validate a fact table. doc_texts maps document id -> body text; parties
        are the allowed canonical names (empty: any). Raises DataError 'file:line: fact id: …'."""
        raw = yamlfile.load(path, with_lines=True)
        if raw is None:
            return cls([], path)
        if not isinstance(raw, list):
            raise DataError(f"{path}:1: expected a list of facts (each item starting with '- id:')")
        allowed = set(parties)
        squashed = _Squashed(doc_texts)
        chunk_texts = [(c.id, c.doc, _squash(c.text)) for c in chunks]
        facts: list[Fact] = []
        seen: dict[str, int] = {}
        lines = getattr(raw, "lines", [0] * len(raw))
        for item, line in zip(raw, lines):
            facts.append(_validate(path, item, allowed, squashed, seen, line))
        if chunk_texts:
            facts = [_link(f, chunk_texts) for f in facts]
        return cls(facts, path)

    # -- browsing ----------------------------------------------------------------------------
    def select(self, parties: Iterable[str] = (), relation: str | None = None,
               date_from: str | None = None, date_to: str | None = None) -> list[Fact]:
        """Facts involving all the given parties, of the relation, within the dates; by date."""
        want = set(parties)
        out = [
            f for f in self.facts
            if want <= set(f.parties)
            and (relation is None or f.relation == relation)
            and (date_from is None or f.date[: len(date_from)] >= date_from)
            and (date_to is None or f.date[: len(date_to)] <= date_to)
        ]
        return sorted(out, key=lambda f: (f.date, f.id))

    def timeline(self, parties: Iterable[str]) -> list[Fact]:
        return self.select(parties)

    def by_passage(self) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        for f in self.facts:
            if f.passage:
                out.setdefault(f.passage, []).append(f.id)
        return out

    # -- matching ----------------------------------------------------------------------------
    def match(self, question: str, analyzer: Analyzer, limit: int = 5) -> list[FactMatch]:
        """The facts a question asks about, best first; [] when it asks about no relation.

        A question counts as one about relations when it names a relation (treaty, visit,
        ambassador, …), a party and a year, or or something only one or two facts
        mention and name in their title. Facts must involve a party it names and
        be of a relation it names. They rank by the parties they share, then by the question's
        words found in the fact (rarer words weigh more), then by the years it names, then date.
        """
        ix = self._match_index(analyzer)
        terms = analyzer.terms(question)
        # Only names the table uses as parties select facts; other entities (a city, a
        # news agency) are ordinary words.
        parties = [analyzer.display_names[t] for t in dict.fromkeys(terms)
                   if analyzer.display_names.get(t) in ix.parties]
        party_terms = {t for t in terms if analyzer.display_names.get(t) in parties}
        years = sorted({int(y) for y in _YEAR_RE.findall(question)})
        relations = {r for r, words in ix.relation_terms.items() if words & set(terms)}
        # A word only one or two facts contain (a name like Sharav) asks for the facts whose
        # title has it.
        distinctive = {t for t in terms if ix.weight.get(t, 0.0) >= ix.distinctive}
        if not relations and not (parties and years) and not distinctive:
            return []
        lo, hi = (years[0], years[-1]) if years else (0, 0)
        asked = set(terms) - party_terms
        out = []
        for f in self.facts:
            shared = len(set(parties) & set(f.parties))
            if parties and shared == 0:
                continue
            if relations and f.relation not in relations:
                continue
            if len(parties) >= 2 and shared < 2 and not relations:
                continue
            words = ix.fact_terms[f.id]
            # A year counts when the event falls in it or the fact mentions it
            # ("terminated the 1986 treaty" is a 1995 fact about 1986).
            in_years = 0
            if years:
                in_years = 2 if lo <= f.year <= hi else int(any(str(y) in words for y in years))
            if years and not relations and in_years < 2:
                continue
            if not relations and not (parties and years) and not distinctive & ix.title_terms[f.id]:
                continue
            overlap = sum(ix.weight[t] for t in asked if t in words and not t.isdigit())
            # "end" asks for a termination even where the fact says "terminated"
            overlap += sum(1.0 for t in asked if t in ix.relation_terms[f.relation] and t not in words)
            out.append(FactMatch(f, (shared, round(overlap, 6), in_years)))
        if years and any(m.score[2] for m in out):  # the years asked for, when there are such facts
            out = [m for m in out if m.score[2]]
        out.sort(key=lambda m: (-m.score[0], -m.score[1], -m.score[2], m.fact.date, m.fact.id))
        return out[:limit]

    def _match_index(self, analyzer: Analyzer) -> "_MatchIndex":
        """Analyzed fact texts and relation words, built once per analyzer."""
        cached = self.__dict__.get("_match_cache")
        if cached is not None and cached[0] is analyzer:
            return cached[1]
        fact_terms = {f.id: set(analyzer.terms(f"{f.title} {f.summary} {f.quote}"))
                      for f in self.facts}
        df: dict[str, int] = {}
        for words in fact_terms.values():
            for t in words:
                df[t] = df.get(t, 0) + 1
        n = max(1, len(self.facts))
        ix = _MatchIndex(
            title_terms={f.id: set(analyzer.terms(f.title)) for f in self.facts},
            relation_terms={r: set(analyzer.terms(w)) for r, w in RELATION_WORDS.items()},
            fact_terms=fact_terms,
            weight={t: math.log(n / c) for t, c in df.items()},
            parties={p for f in self.facts for p in f.parties},
            distinctive=math.log(n / 2) if n > 2 else math.inf,
        )
        self.__dict__["_match_cache"] = (analyzer, ix)
        return ix


@dataclass
class _MatchIndex:
    relation_terms: dict[str, set[str]]
    fact_terms: dict[str, set[str]]
    title_terms: dict[str, set[str]]
    weight: dict[str, float]  # log(facts / facts containing the term)
    parties: set[str]
    distinctive: float  # weight of a term found in at most two facts


def resolve_party(analyzer: Analyzer, name: str) -> str | None:
    """The canonical entity a user means by a name or alias ('DPRK' -> 'North Korea')."""
    terms = analyzer.terms(name)
    if len(terms) == 1 and terms[0] in analyzer.display_names:
        return analyzer.display_names[terms[0]]
    for canonical in analyzer.display_names.values():
        if canonical.casefold() == name.strip().casefold():
            return canonical
    return None


def _validate(path: Path, item: Any, allowed: set[str], docs: "_Squashed",
              seen: dict[str, int], line: int = 0) -> Fact:
    if not isinstance(item, dict):
        raise DataError(f"{path}:{line}: each fact must be a mapping starting with '- id:'")
    line = item.pop(yamlfile.LINE, line)
    fid = item.get("id")

    def fail(msg: str) -> DataError:
        return DataError(f"{path}:{line}: fact {fid!r}: {msg}")

    if not isinstance(fid, str) or not _ID_RE.match(fid):
        raise fail("'id' must be lowercase letters, digits and hyphens")
    if fid in seen:
        raise fail(f"duplicate id (first used at line {seen[fid]})")
    seen[fid] = line
    unknown = sorted(set(item) - set(REQUIRED) - set(OPTIONAL))
    if unknown:
        raise fail(f"unknown key(s) {', '.join(unknown)}; allowed: {', '.join(REQUIRED + OPTIONAL)}")
    missing = [k for k in REQUIRED if k not in item]
    if missing:
        raise fail(f"missing {', '.join(missing)}")
    date = _parse_date(item["date"])
    if date is None:
        raise fail(f"bad date {item['date']!r}; write \"YYYY\", \"YYYY-MM\" or \"YYYY-MM-DD\"")
    parties = item["parties"]
    if not isinstance(parties, list) or not parties or not all(isinstance(p, str) for p in parties):
        raise fail("'parties' must be a non-empty list of names")
    for p in parties:
        if allowed and p not in allowed:
            raise fail(f"unknown party {p!r}; use a canonical name from aliases.yaml")
    if item["relation"] not in RELATIONS:
        raise fail(f"unknown relation {item['relation']!r}; one of: {', '.join(RELATIONS)}")
    for key in ("title", "summary"):
        if not isinstance(item[key], str) or not item[key].strip():
            raise fail(f"'{key}' must be non-empty text")
    value, unit = item.get("value"), item.get("unit")
    if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float))):
        raise fail(f"'value' must be a number, got {value!r}")
    if (value is None) != (unit is None):
        raise fail("'value' and 'unit' go together")
    source = item["source"]
    if not isinstance(source, dict):
        raise fail("'source' must have 'doc' and 'quote'")
    source.pop(yamlfile.LINE, None)
    if set(source) != {"doc", "quote"}:
        raise fail(f"'source' must have exactly 'doc' and 'quote', got {sorted(source)}")
    doc, quote = source["doc"], source["quote"]
    if not isinstance(doc, str):
        raise fail("source doc must be a document id (a file name in docs/ without suffix)")
    if doc not in docs:
        raise fail(f"source doc {doc!r} is not in docs/ (known: {', '.join(sorted(docs))})")
    if not isinstance(quote, str) or len(_squash(quote)) < 10:
        raise fail("'quote' must be at least 10 characters of the document's text")
    if _squash(quote) not in docs[doc]:
        raise fail(f"quote not found verbatim in {doc}: {_squash(quote)[:60]!r}…")
    return Fact(fid, date, tuple(parties), item["relation"], item["title"].strip(),
                " ".join(item["summary"].split()), doc, _squash(quote),
                float(value) if value is not None else None, unit, line)


class _Squashed(dict):
    """Whitespace-collapsed document texts, computed when a fact first cites the document."""

    def __init__(self, texts: Mapping[str, str]) -> None:
        super().__init__()
        self.texts = texts

    def __contains__(self, doc: object) -> bool:
        return doc in self.texts

    def __missing__(self, doc: str) -> str:
        self[doc] = _squash(self.texts[doc])
        return self[doc]

    def __iter__(self):
        return iter(self.texts)


def _link(fact: Fact, chunk_texts: list[tuple[str, str, str]]) -> Fact:
    """Point a fact at the passage that holds its quote (the first, if split across two,
    the one with the quote's beginning)."""
    q = fact.quote
    for cid, doc, text in chunk_texts:
        if doc == fact.doc and q in text:
            return _replace(fact, cid)
    head = q[: max(20, len(q) // 3)]
    for cid, doc, text in chunk_texts:
        if doc == fact.doc and head in text:
            return _replace(fact, cid)
    return fact


def _replace(fact: Fact, passage: str) -> Fact:
    from dataclasses import replace

    return replace(fact, passage=passage)
