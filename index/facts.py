"""The fact table: dated relation events, each anchored to a verbatim quote in a document.

FactTable.load validates data/facts.yaml strictly (see the schema comment at the top of that
file); FactTable.match picks the facts a question is about; timeline/select browse them.
"""
from __future__ import annotations

import calendar
import dataclasses
import hashlib
import json
import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterable, Mapping

from . import yamlfile
from .reading.corpus import Chunk, DocumentTexts
from .errors import DataError

if TYPE_CHECKING:  # the analyzer is handed in; the fact table sits below the search floor
    from .search.analyze import Analyzer

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
    passes: bool = False  # the fact passes the evidence rule on its own words (it may lead)

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
             chunks_of: Callable[[str], Iterable[Chunk]] | None = None) -> "FactTable":
        """Read and validate a fact table. doc_texts maps document id -> body text; parties
        are the allowed canonical names (empty: any); chunks_of(doc id) gives a document's
        passages, to link each fact to the one holding its quote. Raises DataError
        'file:line: fact id: …'."""
        raw = yamlfile.load(path, with_lines=True)
        if raw is None:
            return cls([], path)
        if not isinstance(raw, list):
            raise DataError(f"{path}:1: expected a list of facts (each item starting with '- id:')")
        allowed = set(parties)
        squashed = _Squashed(doc_texts)
        facts: list[Fact] = []
        seen: dict[str, int] = {}
        lines = getattr(raw, "lines", [0] * len(raw))
        for item, line in zip(raw, lines):
            facts.append(_validate(path, item, allowed, squashed, seen, line))
        if chunks_of is not None:
            texts: dict[str, list[tuple[str, str, str]]] = {}
            for f in facts:
                if f.doc not in texts:  # only the documents the facts cite are read
                    texts[f.doc] = [(c.id, c.doc, _squash(c.text)) for c in chunks_of(f.doc)]
            facts = [_link(f, texts[f.doc]) for f in facts]
        return cls(facts, path)

    # -- compiled with the index ---------------------------------------------------------------
    def to_records(self) -> list[dict]:
        return [dataclasses.asdict(f) for f in self.facts]

    @classmethod
    def from_records(cls, records: list[dict], path: Path | None = None) -> "FactTable":
        """The table as the index build compiled it (already validated and linked)."""
        return cls([Fact(**dict(r, parties=tuple(r["parties"]))) for r in records], path)

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


FACTS_FILE = "facts.json"  # the compiled table in an index generation


def facts_sha(data_dir: Path) -> str | None:
    """Content hash of data_dir/facts.yaml (None without one): part of the index's fingerprint."""
    path = data_dir / "facts.yaml"
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else None


def compile_facts(data_dir: Path, parties: Iterable[str]) -> bytes:
    """data_dir/facts.yaml validated against the documents it cites and linked to their
    passages, as the index build stores it (JSON). Raises DataError 'file:line: …'."""
    path = data_dir / "facts.yaml"
    if not path.is_file():
        return json.dumps({"path": None, "facts": []}).encode("utf-8")
    texts = DocumentTexts(data_dir)
    table = FactTable.load(path, texts, parties, texts.chunks)
    return json.dumps({"path": str(path), "facts": table.to_records()},
                      ensure_ascii=False).encode("utf-8")


def read_compiled(data: bytes) -> FactTable:
    obj = json.loads(data.decode("utf-8"))
    return FactTable.from_records(obj["facts"], Path(obj["path"]) if obj["path"] else None)


def fact_text(f: Fact) -> str:
    """What the engine indexes for a fact: its fields as text (title, summary, the quote,
    parties, relation, date), so facts are retrieved like passages."""
    figure = f"{f.value:,g} {f.unit}" if f.value is not None else ""
    return "\n".join(x for x in (f.title, f.summary, f.quote, " ".join(f.parties),
                                  f.relation.replace("_", " "), human_date(f.date), figure) if x)


def fact_chunks(facts: Iterable[Fact]) -> list[Chunk]:
    """Facts as chunks of a small index of their own (id = fact id)."""
    out = []
    for i, f in enumerate(facts):
        text = fact_text(f)
        out.append(Chunk(f.id, f.doc, f.title, "", i + 1, i + 1, 0, i, 0, len(text), text))
    return out


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
