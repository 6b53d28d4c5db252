"""The answer service: a question in, ranked cited passages (and facts) or an honest no out."""
from __future__ import annotations

import re
import threading
import unicodedata
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any, Callable, NamedTuple, Sequence

import numpy as np

from . import batched, constraints, evidence, meaning, rescore

from ..search import kernels
from .asked import (CITING_WORDS, Asked, asked, asked_subject, asked_words, code_spans, norm,
                    words, years_in)
from .constraints import Check, Constraints
from ..reading.corpus import (Chunk, cited_titles, is_field_line, is_head_line, paragraphs,
                              short_title)
from .direct import DirectAnswer, antecedent, cites, direct_answer, gives
from ..search.engine import Index, SearchHit, open_index
from ..search.searcher import drop_oldest, hit_chunks
from .evidence import Evidence
from ..search.analyze import canonical_term
from ..facts import Fact, FactMatch, FactTable, compile_facts, fact_chunks, read_compiled
from ..sentences import sentence_spans
from .highlight import Highlight, chosen_many, highlight
from ..search.tokens import ChunkTokens
from ..search.translit import latin_spellings

if TYPE_CHECKING:
    from ..page_image import PageImage

from ..filters import Where

MAX_QUESTION_CHARS = 2000
FACTS_SHOWN = 3  # at most this many facts with an answer
FACT_DEPTH = 8  # fact candidates BM25 brings to the evidence rule
NOTE_WEIGHT = 0.5  # an endnote's words count half as much as the passage's own
NOTE_DEPTH = 5  # candidates the endnotes field adds to the passages' own
PHRASE_DEPTH = 20  # passages looked at for a document that says a name of several words in full
YEAR_DEPTH = 200  # passages looked at for the sections that say a year
SECTION_REACH = 40  # passages either side looked at for whether a section names a year
# passages either side whose years date a passage that names none, in a document whose title
# gives no period (SQuAD's fitting half made into near misses, tests/bench/near_miss.py: the
# year changed declined 33.4 % with the whole document, 37.5 % with 5, 40.5 % with 2, the
# questions as written answered 94.8 / 94.7 / 94.7 %)
YEAR_REACH = 2
OUTSIDE_KEPT = 50_000  # passages whose heading and endnote terms are kept analyzed
CASE_SAMPLE = 16  # passages read for how the documents write a word (the first that hold it)
CASE_KEPT = 10_000  # words whose case in the documents is kept
_ANSI_RE = re.compile(r"\x1b(?:\[[0-?]*[ -/]*[@-~]|[@-Z\\-_])")
NOTHING_FOUND = "I found nothing about that in the documents."
CLOSEST = "The documents don't say: no passage on it mentions {missing}. Closest passages:"
CLOSEST_TYPED = "The documents don't say: no passage on it gives {what}. Closest passages:"
_WHAT = {"name": "the person asked for", "date": "a date", "number": "the figure asked for",
         "place": "the place asked for"}
CLOSEST_WEAK = "The documents don't seem to answer that. Closest passages:"
# the best passage names what the question names and holds none of what it asks of it
CLOSEST_UNSAID = ("The documents don't seem to say: the best passage naming {names} says "
                  "nothing of {words}. Closest passages:")
CLOSEST_ELSEWHERE = ("The documents don't say: the passages on it are about another place or "
                     "year. Closest passages:")
# what an answer line gives as a value: a question asking for one (or naming a year) is not
# answered by passages whose best sentence is about another place or year
_VALUE_KINDS = frozenset({"date", "number", "name"})
# what a reply is: an answer; the closest passages of a question on the documents' subject
# that nothing answers; nothing
ANSWER, CLOSEST_STATUS, NONE = "answer", "closest", "none"
NO_WORDS = "Your question has no words I can search for; ask about a person, place, date or event."
EMPTY = "Please type a question."
_MET = Check()  # no constraint to meet
_NO_TERMS: frozenset = frozenset()  # a passage with no heading or endnotes adds no terms


@dataclass(frozen=True)
class Passage:
    rank: int
    score: float
    hit: SearchHit
    highlight: Highlight
    facts: tuple[str, ...] = ()  # ids of facts whose quote is in this passage
    # the name a citation gives its document, one no other document of the collection shares
    # (reading.corpus.cited_titles); empty: the title up to its subtitle
    cited_as: str = ""

    def to_dict(self) -> dict[str, Any]:
        c = self.hit.chunk
        return {
            "rank": self.rank, "score": round(self.score, 6), "doc": c.doc, "title": c.title,
            "cited_as": self.cited_as or short_title(c.title),
            "section": c.section, "paragraph": c.paragraph, "chunk_id": c.id, "text": c.text,
            "highlight": self.highlight.to_dict(), "citation": c.citation,
            "notes": [n.to_dict() for n in c.notes], "facts": list(self.facts),
            "page": c.page or None, "pages": [c.page, c.page_end] if c.page else None,
            "offsets": [c.start, c.end],  # in the document's (extracted) text
        }


_PASSAGE_FIELDS = ("rank", "score", "hit", "highlight", "facts", "cited_as")


def _passage(*values) -> Passage:
    """Passage(*values) with its fields set at once (a frozen dataclass's __init__ sets each
    through object.__setattr__), as rescore._signals makes Signals: ten of them an answer."""
    p = object.__new__(Passage)
    p.__dict__.update(zip(_PASSAGE_FIELDS, values))
    return p


@dataclass(frozen=True)
class Answer:
    """What the answer service gives for one question; immutable (a page or a re-labelled
    answer is a new Answer: see with_)."""

    question: str
    answered: bool
    message: str | None = None
    facts: tuple[FactMatch, ...] = ()
    passages: tuple[Passage, ...] = ()
    terms: tuple[str, ...] = ()  # the question's index terms
    coverage: float = 0.0
    evidence: Evidence | None = None  # how the evidence rule judged passage 1
    more: bool = False  # further passages exist beyond these
    total: int = 0  # passages ranked for the question (pages may run up to this)
    assumed: str | None = None  # how a follow-up was read in the light of the last question
    direct: DirectAnswer | None = None  # the answer line: a fact, a span or the best sentence
    where: Where | None = None  # the documents and dates the passages were limited to
    status: str = ""  # answer | closest | none (empty: derived from answered)

    @property
    def kind(self) -> str:
        """answer | closest | none: what the reply is."""
        if self.status:
            return self.status
        return ANSWER if self.answered else NONE

    def with_(self, **changes: Any) -> "Answer":
        """A copy with some fields changed."""
        return replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        d = {
            "question": self.question, "status": self.kind, "answered": self.answered,
            "message": self.message,
            "facts": [f.to_dict() for f in self.facts],
            "passages": [p.to_dict() for p in self.passages], "assumed": self.assumed,
            "answer": self.direct.to_dict() if self.direct else None,
        }
        if self.where:  # only on a filtered answer (ask --doc/--from/--to, /filter)
            d["filter"] = self.where.to_dict()
        return d


class _Kept(dict):
    """Character code -> what a question keeps of it (a space for a tab or line break, nothing
    for other control and format characters, else itself), each character's category looked
    up once: str.translate then reads this in C, not a Python call per character."""

    def __missing__(self, code: int) -> str:
        ch = chr(code)
        if unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Co", "Cn"):
            out = " " if ch in "\t\n\r" else ""
        else:
            out = ch
        self[code] = out
        return out


_KEPT = _Kept()


def clean_question(text: str) -> tuple[str, str | None]:
    """Drop control and format characters (NUL, bidi overrides), collapse spaces and cut very
    long input. Returns the question and a notice when it was cut."""
    text = _ANSI_RE.sub("", text)  # terminal escape sequences are not words
    q = " ".join(text.translate(_KEPT).split())
    if len(q) > MAX_QUESTION_CHARS:
        cut = q.rfind(" ", 0, MAX_QUESTION_CHARS)
        q = q[: cut if cut > 0 else MAX_QUESTION_CHARS]
        return q, f"Only the first {len(q):,} characters of the question were used."
    return q, None


@dataclass(frozen=True)
class Query:
    """A question cleaned and analyzed once, as every stage below needs it."""

    text: str
    notice: str | None
    terms: tuple[str, ...]
    wants: Asked | None  # what it asks for (a date, a number, a name)
    qterms: rescore.QueryTerms
    ids: dict[str, int]  # question-local id of each distinct term (what the second stage compares)
    names: frozenset = frozenset()  # terms of the names it gives (capitalised words)
    cons: Constraints = Constraints()  # what any answer must respect
    local: tuple[str, ...] = ()  # the term of each question-local id (constraint terms too)
    # facts judged against the constraints so far: each is judged once per question, however
    # many passages quote it and however often a passage is checked
    fact_meets: dict = field(default_factory=dict, compare=False, repr=False)
    # names of several words -> the documents that say them in full (Answerer._phrase_docs)
    phrase_docs: dict = field(default_factory=dict, compare=False, repr=False)
    # the terms of the words a when- or how-much-question asks a value of ('embassy')
    subject: tuple[str, ...] = ()
    # for a date, number or name: the terms of its other words in lower case, what it asks
    # about ('visit' of 'When did Tsedenbal visit Pyongyang?')
    event: tuple[str, ...] = ()
    # and those are words the documents never use ('born' of 'When was Kim Il Sung born?'):
    # no sentence says it, so no value is cut from one
    unsaid: bool = False
    # year -> the (document, section) pairs whose passages say it (Answerer._year_sections)
    year_sections: dict = field(default_factory=dict, compare=False, repr=False)
    # the options and functions it names, as written ('--leak-check'), whose entries in a
    # reference define them (_ENTRY_NAME_RE: not programs nor files)
    entries: tuple[str, ...] = ()
    # a text -> whether it holds what the question asks for (direct.gives): a passage is
    # checked again with its neighbours, and a neighbour is often another candidate
    gives: dict = field(default_factory=dict, compare=False, repr=False)
    # (vocabulary ids, local ids) of its terms the index knows: what maps a passage's stored
    # term ids to the question's, found once per question rather than per passage
    vocab_map: tuple[np.ndarray, np.ndarray] | None = field(default=None, compare=False,
                                                            repr=False)
    # its analyzed tokens (each term and where its word stands), as query() read them
    tokens: Sequence = field(default=(), compare=False, repr=False)


class Ranked(NamedTuple):
    hit: SearchHit
    signals: rescore.Signals
    score: float
    held: frozenset  # the question's term ids the passage holds (text, heading, endnotes)
    check: Check = Check()  # how it meets the question's constraints
    toks: ChunkTokens | None = None  # its tokens as the question's ids (for highlighting)

    @property
    def doc(self) -> str:
        return self.hit.chunk.doc


class Answerer:
    """Answers questions from one index (and, when given, one fact table)."""

    def __init__(self, index: Index, facts: FactTable | None = None,
                 endnotes: bool = True) -> None:
        self.index = index
        self.facts = facts or FactTable()
        # passage 1's closeness in meaning, for answers the lexical rule is unsure of
        self.meaning = meaning.shared() if meaning.wanted() else None
        self._n = len(index.chunks)
        self._facts_by_passage = self.facts.by_passage()
        self._cited: tuple | None = None  # _cited_titles: (its documents, their names)
        self._fact_index = (Index.from_chunks(fact_chunks(self.facts.facts), index.analyzer)
                            if self.facts.facts else None)
        self._facts_by_id = {f.id: f for f in self.facts.facts}
        self._fact_terms: list[str] = []  # the fact index's term of each id
        self._fact_words: dict[str, list[str]] = {}  # fact id -> its terms in order
        self._fact_breaks: dict[str, dict[int, bool]] = {}  # fact id -> its clause breaks
        if self._fact_index is not None:
            self._fact_terms = [""] * len(self._fact_index.vocab)
            for term, i in self._fact_index.vocab.items():
                self._fact_terms[int(i)] = term
        # per fact, the terms of what it states (title, relation, parties, unit), not of
        # the summary and quote around it: a fact leads only on those
        self._fact_said: dict[str, frozenset] = {}  # fact id -> its title's and quote's terms
        self._fact_heads = {f.id: frozenset(index.analyzer.terms(
            f"{f.title} {f.relation.replace('_', ' ')} {' '.join(f.parties)} {f.unit or ''}"))
            for f in self.facts.facts}
        # the terms that name a party of some fact (a country, a party), which a fact must hold
        # when the question names them
        parties = {p for f in self.facts.facts for p in f.parties}
        self._party_terms = frozenset(t for t, name in index.analyzer.display_names.items()
                                      if name in parties)
        self._notes = _notes_index(index) if endnotes else None
        self._notes_latin = _notes_index(index, latin=True) if endnotes else None
        # the words of those spellings as written (casefolded): what a question must spell
        self._latin_words = frozenset(
            _surface(w) for c in (self._notes_latin.chunks if self._notes_latin else ())
            for w in c.text.split())
        # a passage with endnotes holds the words for citing through its notes, which never
        # say "cited" of themselves ("whose recollections are cited as the source for …")
        self._citing = frozenset(index.analyzer.terms(CITING_WORDS))
        # every passage with endnotes holds the citing words
        self._citing_df = len(self._notes.chunks) if self._notes is not None else 0
        # chunk id -> (its document's title, the term sequences _outside_terms gives)
        self._outside: dict[str, tuple[str, tuple[tuple[str, ...], ...]]] = {}
        self._titles: dict[str, tuple[str, ...]] = {}
        self._dated_sections: dict[tuple[str, str], bool] = {}  # (doc, section) -> names a year
        self._analyzed: dict[str, tuple[str, ...]] = {}  # chunk id -> its text's terms
        self._words: dict[str, tuple[str, ...]] = {}  # a name's form -> its terms
        self._term_docs: dict[str, frozenset] = {}  # term -> the documents holding it
        self._dates: dict[str, str] | None = None  # document id -> its date
        # an index that stores each chunk's tokens at build time (the local one does)
        self._stored = index if hasattr(index, "tokens") and hasattr(index, "term_id") else None
        self.source: tuple[Path, Path | None, tuple] | None = None  # set by open()
        self._compounds = tuple(canonical_term(name) for name in index.analyzer.aliases)
        self._capitals = constraints.capital_terms(index.analyzer.terms)
        self._places = constraints.place_names(index.analyzer.aliases)
        self._states: dict | None = None  # their terms, read when a question needs them
        self._state_id_terms: dict[int, str] | None = None  # their vocabulary ids -> terms
        # a name's forms and the word lists' terms depend on this index only: kept from
        # question to question (constraints.read)
        self._forms_memo: dict = {}
        self._titled: dict[str, frozenset] | None = None  # title term -> its documents
        self._lower: dict[str, bool] = {}  # casefolded word -> written in lower case mostly
        self._doc_sizes: dict[str, int | None] | None = None  # document -> its passages
        self.warming: threading.Thread | None = None  # the start-up open() left running

    @classmethod
    def open(cls, data_dir: Path, index_dir: Path | None = None,
             notice: Callable[[str], None] = lambda m: None) -> "Answerer":
        """The index (built or refreshed as needed) and the fact table of a data folder."""
        before = data_signature(data_dir)
        index = open_index(data_dir, index_dir, notice=notice)
        answerer = cls(index, load_facts(data_dir, index))
        answerer.source = (data_dir, index_dir, before)
        answerer.warming = answerer.warm_up()
        return answerer

    def warm_up(self) -> threading.Thread:
        """Ask one question made of the first passage's words in the background, so that
        numba's start (about a second: its compiler target and the cached loops) is done
        there, and load the embedder's model; questions asked meanwhile take the numpy path
        (index/search/kernels.py)."""
        def run() -> None:
            if len(self.index.chunks):
                self.ask(" ".join(self.index.chunks[0].text.split()[:12]), k=3)
            if self.meaning is not None:  # the embedder's model too (about 0.1 s)
                self.meaning.load()

        return kernels.load_in_background(run, "docbot-warm-up")

    def refreshed(self, notice: Callable[[str], None] = lambda m: None) -> "Answerer | None":
        """A new Answerer when the data folder changed since this one was opened, else None.
        Raises DocbotError when the new data cannot be used; this one stays as it was."""
        if self.source is None:
            return None
        data_dir, index_dir, signature = self.source
        if data_signature(data_dir) == signature:
            return None
        return Answerer.open(data_dir, index_dir, notice)

    def page_image(self, chunk: Chunk) -> "PageImage":
        """A PDF passage on its page(s), cropped around it, its lines highlighted (a PNG).
        Raises NoPageImage with the reason when it cannot be shown."""
        import hashlib

        from ..page_image import NoPageImage, render_passage

        if not chunk.boxes:
            raise NoPageImage("it is not from a PDF; only PDF passages have a page to show")
        meta = next((d for d in self.index.documents if d.get("id") == chunk.doc), None)
        if self.source is None or meta is None or not meta.get("path"):
            raise NoPageImage("the PDF it comes from is not known to this index")
        path = self.source[0] / "docs" / meta["path"]
        try:
            raw = path.read_bytes()
        except OSError as e:
            raise NoPageImage(f"cannot read {path} ({e.strerror}); run docbot index") from None
        if meta.get("sha256") and hashlib.sha256(raw).hexdigest() != meta["sha256"]:
            raise NoPageImage(f"{meta['path']} changed since it was indexed; ask again once "
                              "the index is updated (docbot index)")
        return render_passage(raw, chunk.boxes)

    def weight(self, term: str) -> float:
        """How much a term says about a question: rare terms most, unknown terms the most."""
        return rescore.term_weight(self._n, self.index.df(term) + (
            self._citing_df if term in self._citing else 0))

    # -- the stages ----------------------------------------------------------------------------
    def query(self, question: str) -> Query | Answer:
        """The question cleaned and analyzed, or the Answer that says why it cannot be asked."""
        q, notice = clean_question(question)
        if not q:
            return Answer(question, False, EMPTY)
        tokens = self.index.analyzer.tokens(q)  # analyzed once: terms and where they stand
        terms = tuple(t.term for t in tokens)
        if not terms:
            return Answer(question, False, NO_WORDS)
        wants = asked(q)
        # question-local ids: the second stage only compares ids, so any backend serves
        ids = {t: i for i, t in enumerate(dict.fromkeys(terms))}
        code = code_spans(q)  # the programs, functions and files it names
        names = rescore.name_terms(q, tokens, code)
        # a term only the endnotes hold is known: a passage holds it through its notes; by a
        # note's Latin spelling only when the word is spelled so ('Tsedenbal', 'ulaanbaatar';
        # 'body' is no 'Bodi', which 'Бодь' is, though both are analyzed alike)
        spelled = {t.term for t in tokens if _surface(q[t.start:t.end]) in self._latin_words}
        df = {t: self._df(t, latin=t in spelled) for t in ids}
        term_id = lambda t: ids[t] if df.get(t) else -1  # noqa: E731 (-1: the corpus lacks it)
        # without endnotes a term's weight is read from the count above, not counted again
        weight = ((lambda t: rescore.term_weight(self._n, df[t]))  # noqa: E731
                  if self._notes is None and self._notes_latin is None else self.weight)
        qterms = rescore.query_terms(terms, term_id, weight, wants, names,
                                     rescore.said_terms(q, tokens))
        # the constraints ask of the same forms again and again; the question's own terms
        # are known from df where it was counted as holds counts (the Latin notes too)
        known: dict[str, bool] = {t: n > 0 for t, n in df.items()
                                  if self._notes_latin is None or t in spelled}

        def holds(t: str) -> bool:
            got = known.get(t)
            if got is None:
                got = known[t] = self._df(t) > 0
            return got

        cons = constraints.read(q, tokens, holds, self._word_terms,
                                self._compounds, self._capitals, self._places, code,
                                self._state_terms, self._forms_memo,
                                self._common())
        topics = self._topic_names(q, tokens, cons)
        if topics:
            cons = replace(cons, names=cons.names + topics)
        for t in cons.terms:  # the constraints' own terms are looked for in passages too
            ids.setdefault(t, len(ids))
        vocab_map = None
        if self._stored is not None and not hasattr(self._stored, "tokens_for"):
            known = [(v, i) for v, i in ((self._stored.term_id(t), i) for t, i in ids.items())
                     if v is not None]
            vocab_map = (np.asarray([v for v, _ in known], dtype=np.int64),
                         np.asarray([i for _, i in known], dtype=np.int32))
        # (terms of the question's own: the passages' tokens are read as its ids)
        subject = tuple(t for w in asked_subject(q) for t in self._word_terms(w) if t in ids)
        event = (tuple(dict.fromkeys(t for w in asked_words(q) for t in self._word_terms(w)
                                     if t in df))
                 if wants is not None and wants.kind in ("date", "number", "name") else ())
        unsaid = bool(event) and not any(df[t] for t in event)
        return Query(q, notice, terms, wants, qterms, ids, names, cons, tuple(ids),
                     vocab_map=vocab_map, subject=subject, event=event, unsaid=unsaid,
                     entries=tuple(n for n in (q[s:e] for s, e in code)
                                   if _ENTRY_NAME_RE.search(n)), tokens=tokens)

    def _topic_names(self, question: str, tokens: list, cons: Constraints) -> tuple:
        """The words of the question that name what a document is about: in its title, and
        in no other document's passages ('xz' of the 'XZ Utils FAQ'). A passage of another
        document answers such a question only when it says the word itself ('who is the
        author of xz?' is not answered by a licence's 'authors' in another manual)."""
        titled = self._title_terms()
        if not titled:
            return ()
        have = {t for n in cons.names for t in n.terms}
        have.update(f for n in cons.names for fs in n.forms for f in fs)
        out = []
        for tok in tokens:
            t = tok.term
            docs = titled.get(t)
            if docs is None or t in have or t[:1].isdigit():
                continue
            if self.index.df(t) > self._doc_chunks(docs):
                continue  # more passages hold it than those documents have
            holding = self._docs_with(t)
            if holding and holding <= docs:
                out.append(constraints.Name(question[tok.start:tok.end], (t,)))
                have.add(t)
        return tuple(out)

    def _doc_chunks(self, docs: frozenset) -> float:
        """How many passages the documents have (unbounded when the index cannot say)."""
        sizes = self._doc_sizes
        if sizes is None:
            sizes = self._doc_sizes = {d["id"]: d.get("chunks") for d in self.index.documents}
        if any(sizes.get(d) is None for d in docs):
            return float("inf")
        return float(sum(sizes[d] for d in docs))

    def _title_terms(self) -> dict[str, frozenset]:
        """term -> the documents whose titles hold it, for the terms not in every title."""
        if self._titled is None:
            titles = {d["id"]: d.get("title") or "" for d in self.index.documents}
            if not titles:  # an index held in memory: its chunks name their documents
                titles = {c.doc: c.title or "" for c in self.index.chunks}
            out: dict[str, set] = {}
            for doc, title in titles.items():
                for t in self._title_of(title):
                    out.setdefault(t, set()).add(doc)
            self._titled = {t: frozenset(d) for t, d in out.items() if len(d) < len(titles)}
        return self._titled

    def _word_terms(self, text: str) -> list[str]:
        """analyzer.terms of the short texts a question's constraints analyze (the forms of
        its names, the ranks of offices), each analyzed once, not once per question."""
        cache = self._words
        got = cache.get(text)
        if got is None:
            if len(cache) >= OUTSIDE_KEPT:
                drop_oldest(cache)
            got = cache[text] = tuple(self.index.analyzer.terms(text))
        return list(got)

    def _state_terms(self) -> dict:
        if self._states is None:
            self._states = constraints.state_terms(self.index.analyzer.aliases,
                                                   self.index.analyzer.terms)
        return self._states

    def _df(self, term: str, latin: bool = True) -> int:
        """Passages holding a term, in their text or endnotes (latin: or in a note's Latin
        spelling); every passage with endnotes holds the words for citing."""
        if self._notes is None and self._notes_latin is None:  # no endnotes (and no citing)
            return self.index.df(term)
        notes = (self._notes, self._notes_latin) if latin else (self._notes,)
        return self.index.df(term) + sum(n.df(term) for n in notes if n is not None) + (
            self._citing_df if term in self._citing else 0)

    def tokens(self, q: Query, hit: SearchHit) -> ChunkTokens:
        """A passage's terms as ids of the question's terms (-1: not a question term): from
        the tokens the index stored at build time when it has them, else analyzed now."""
        ids = q.ids
        pos = getattr(hit, "pos", -1)
        if q.vocab_map is not None and pos >= 0:  # the local index's stored tokens
            if hasattr(self._stored, "mapped_tokens"):
                return self._stored.mapped_tokens([pos], *q.vocab_map)[0]
            stored = self._stored.tokens(pos)
            # compiled once numba is loaded, numpy until then
            return ChunkTokens(kernels.remap(stored.terms, *q.vocab_map), stored.starts,
                               stored.ends, stored.sentences)
        if self._stored is None or pos < 0:
            return rescore.analyze_tokens(hit.chunk.text, self.index.analyzer,
                                          lambda t: ids.get(t, -1))
        return self._stored.tokens_for(pos, ids)  # a backend that maps the terms itself

    def tokens_of(self, q: Query, hits: list[SearchHit]) -> list[ChunkTokens]:
        """tokens() of a question's hits: the local index's stored ones in one call."""
        if not hits:
            return []
        if (q.vocab_map is not None and hasattr(self._stored, "mapped_tokens")
                and all(getattr(h, "pos", -1) >= 0 for h in hits)):
            return self._stored.mapped_tokens([h.pos for h in hits], *q.vocab_map)
        return [self.tokens(q, h) for h in hits]

    def rank(self, q: Query, depth: int = rescore.DEPTH,
             allowed: np.ndarray | None = None) -> list[Ranked]:
        """BM25's best passages (and those whose endnotes match), reordered by the second
        stage; best first. allowed: per chunk, may it answer (a filter)."""
        hits = (self.index.search_terms(list(q.terms), depth, allowed=allowed)
                if allowed is not None else self.index.search_terms(list(q.terms), depth))
        notes_score: dict[str, float] = {}
        if self._notes is not None:
            known = {h.chunk.id for h in hits}
            for h in self._notes.search_terms(list(q.terms), NOTE_DEPTH):
                notes_score[h.chunk.id] = h.score
            if self._notes_latin is not None:
                # found by a note's Latin spelling, with no score of its own: the
                # transliteration finds a cited source; it does not count twice a name
                # the passage says in its text too
                for h in self._notes_latin.search_terms(list(q.terms), NOTE_DEPTH):
                    notes_score.setdefault(h.chunk.id, 0.0)
            extra = [cid for cid in notes_score if cid not in known
                     and (allowed is None or allowed[self.index.by_id[cid]])]
            if extra:
                pos = np.asarray([self.index.by_id[c] for c in extra], dtype=np.int64)
                body = rescore.scores_at(self.index.bm25, self.index.query_term_ids(list(q.terms)), pos)
                hits = hits + [SearchHit(self.index.chunks[int(i)], float(s), int(i))
                               for i, s in zip(pos.tolist(), body.tolist())]
        out = []
        chunks = hit_chunks(hits)  # their records read together
        outsides = [self._outside_terms(c) for c in chunks]
        citing = frozenset(q.ids[t] for t in q.terms if t in self._citing)
        # most passages have no heading or endnotes: nothing to look up for them
        extras = [frozenset(q.ids[t] for s in outside[:-1] for t in s if t in q.ids)
                  | (citing if c.notes else _NO_TERMS)
                  if len(outside) > 1 or c.notes else _NO_TERMS
                  for c, outside in zip(chunks, outsides)]
        all_toks = self.tokens_of(q, hits)
        measured = rescore.signals_and_held_many(q.qterms, all_toks, [c.text for c in chunks],
                                                 [h.score for h in hits], extras)
        # the best sentence and the next of each (_with_next), in one compiled call
        typed_all = batched.typed_spans(all_toks, [m[0].sentence for m in measured],
                                        [len(c.text) for c in chunks], _with_next)
        rows = list(zip(hits, all_toks, outsides, typed_all))
        memos: list[dict] = [{} for _ in rows]  # what both checks of a passage read of its text
        read = batched.terms_read(all_toks, q.local, q.ids, q.cons.names) if q.cons else None
        if read is not None:  # its terms as the checks read them, all found in one call
            for memo, terms in zip(memos, read):
                memo["terms"] = terms
        checks = [self._check(q, h, toks, outside, [], typed, memo)
                  for (h, toks, outside, typed), memo in zip(rows, memos)]
        # those that fail: what the passage before each (or the rest of its paragraph) says,
        # all their neighbours read together
        failing = [j for j, check in enumerate(checks) if not check.passes]
        for j, near in zip(failing, self._neighbours(q, [hits[j] for j in failing])):
            if near:
                h, toks, outside, typed = rows[j]
                checks[j] = self._check(q, h, toks, outside, near, typed, memos[j])
        for h, c, (sig, held), check, toks in zip(hits, chunks, measured, checks, all_toks):
            if check.untyped and not check.missing and q.entries and _defines(c.text, q.entries):
                # the entry of the option asked about says its value, whatever its type
                # ('[default: summary]' for 'what is the default value of --leak-check?')
                check = Check(check.met, check.total)
            score = sig.score() + NOTE_WEIGHT * notes_score.get(c.id, 0.0)
            out.append(Ranked(h, sig, score, frozenset(held), check, toks))
        out.sort(key=lambda r: (-r.score, r.hit.chunk.id))  # ties by chunk id, as BM25's
        return out

    def _check(self, q: Query, hit: SearchHit, toks: ChunkTokens, outside: tuple,
               near: list[tuple[list[str], str]], typed: tuple[int, int],
               memo: dict | None = None) -> Check:
        """How a passage (with its heading, endnotes, title, date and the neighbours given)
        meets the question's constraints and gives what it asks for; typed: the span of its
        text that must give it (the best sentence and the next), else a neighbour. memo:
        where a passage checked again (with its neighbours) keeps what its text gave."""
        c = hit.chunk
        check = _MET  # frozen: one shared, not one made per passage
        cons = q.cons
        if cons:
            memo = {} if memo is None else memo
            text_terms = memo.get("terms")
            if text_terms is None:
                text_terms = memo["terms"] = constraints.local_terms(toks.terms, q.local)
            breaks = memo.get("breaks")
            if breaks is None:
                breaks = memo["breaks"] = (
                    constraints.clause_breaks(c.text, toks.starts.tolist(), toks.ends.tolist())
                    if cons.placed_roles else constraints.NO_BREAKS)
            if not near and type(text_terms) is constraints.TermsRead and \
                    constraints.met_in_text(cons, text_terms):
                # its own text meets them all: what check() would find, not read again
                check = cons.all_met
            else:
                check = constraints.check(
                    cons, text_terms, outside,
                    # not the endnotes' years: they are mostly when a source was published
                    [c.text, c.section, *(text for _, text in near)] if near else [c.text, c.section],
                    lambda term, doc=c.doc: doc in self._docs_with(term),
                    breaks,
                    context=[c.title, self._doc_dates().get(c.doc, "")],
                    # its last word alone stands for a name the document has said whole, not
                    # as a part of another name ('Eli Manning', 'Super Bowl')
                    said_in_document=lambda name, doc=c.doc, text=c.text: (
                        constraints.last_word_alone(text, name)
                        and doc in self._phrase_docs(q, name)),
                    year_near=lambda y, c=c: self._year_near(q, c, y),
                    near=[terms for terms, _ in near] if near else (), owner_in_text=True)
            if not check.passes and any(self._fact_meets(q, f)
                                        for f in self._facts_by_passage.get(c.id, ())):
                # the fact table says who and when of what the passage quotes
                check = Check(check.total, check.total)
            if check.passes and cons.quotes:
                # what the question quotes is said where the answer stands, not elsewhere in
                # the passage ('who "signed" it' is not met by a convention signed later on)
                at = (toks.starts >= typed[0]) & (toks.starts < typed[1])
                window = constraints.local_terms(toks.terms[at], q.local)
                for terms, _ in near:  # the neighbours' terms, as _neighbours read them
                    window += terms
                missing = constraints.unquoted(cons, window)
                if missing:
                    check = Check(check.met - len(missing), check.total, missing)
        # the asked-for type: a who-question's passage names someone, and so on (not for
        # when: 'sails at 07:40 on weekdays' answers it without a date; nor where: 'in the
        # atmosphere' is a place, as is 'towards the Pacific', and the line is the sentence)
        if check.passes and q.wants is not None and q.wants.kind not in ("date", "place") and not any(
                self._gives_text(q, t)
                for t in [c.text[typed[0]:typed[1]], *(t for _, t in near)]
        ) and not any(self._fact_meets(q, f) and _gives(self._facts_by_id[f], q.wants)
                      for f in self._facts_by_passage.get(c.id, ())) and not (
                # 'he was sent to South Korea as Ambassador': the person named before
                q.wants.kind == "name"
                and antecedent(q.text, q.wants, c.text, *typed, q.cons) is not None):
            check = Check(check.met, check.total, (), _WHAT[q.wants.kind])
        return check

    @staticmethod
    def _gives_text(q: Query, text: str) -> bool:
        """direct.gives of a text for the question, each text judged once per question."""
        got = q.gives.get(text)
        if got is None:
            got = q.gives[text] = gives(q.text, q.wants, text, q.cons)
        return got

    def _neighbours(self, q: Query, hits: list[SearchHit]) -> list[list[tuple[list[str], str]]]:
        """Of each hit, the passage before it in its section and the rest of its paragraph
        when it was split, as (terms, text): a passage continues what came before it ('He
        visited …' after 'Ivanov arrived …'); what follows in another paragraph is about
        something else. The local index's stored tokens of them all are read in one call."""
        many = getattr(self.index.chunks, "many", None)
        if many is not None:  # the records around them read together (kept for neighbours())
            n = len(self.index.chunks)
            rows = {p + d for h in hits for p in [getattr(h, "pos", -1)] if p >= 0
                    for d in (-1, 1) if 0 <= p + d < n}
            if rows:
                many(sorted(rows))
        near = [[(c, p) for c, p in self._continued(h) if c.id != h.chunk.id] for h in hits]
        if self._stored is None or hasattr(self._stored, "tokens_for"):
            return [[(self._text_terms(q, c, p), c.text) for c, p in cs] for cs in near]
        flat = [SearchHit(c, 0.0, self.index.by_id[c.id] if p is None else p)
                for cs in near for c, p in cs]
        toks = iter(self.tokens_of(q, flat))  # (as _text_terms reads them, one by one)
        return [[(constraints.local_terms(next(toks).terms, q.local), c.text) for c, _ in cs]
                for cs in near]

    def _continued(self, hit: SearchHit) -> list[tuple[Chunk, int | None]]:
        """The hit's chunk and those it continues or that continue it (the passage before it
        in its section, the rest of its paragraph), in order, each with its position when
        known; [] when the index cannot say."""
        h = hit.chunk
        if not hasattr(self.index, "neighbours"):
            return []
        pos = getattr(hit, "pos", -1)
        # a position only the local index reads (the cluster finds the neighbours by id)
        local = pos >= 0 and self._stored is not None and not hasattr(self._stored, "tokens_for")
        near = self.index.neighbours(h, 1, 1, at=pos) if local else self.index.neighbours(h, 1, 1)
        # the local index gives consecutive chunks: their positions follow from the hit's,
        # with no look-up of their ids
        at = next((j for j, c in enumerate(near) if c.id == h.id), -1)
        first = pos - at if at >= 0 and pos >= 0 else None
        return [(c, None if first is None else first + j) for j, c in enumerate(near)
                if c.id == h.id or (c.part and h.part and c.paragraph == h.paragraph)
                or (c.seq < h.seq and c.section == h.section)]

    def _around(self, q: Query, passages: tuple[Passage, ...] | list[Passage]) -> str:
        """The text around the first passage, when the question asks whose office or where
        ('China's ambassador'): the passage before it in its section and the rest of its
        paragraph, in order, itself included (what it says of a person it names may stand
        in the part before); else ''."""
        if (not passages or q.wants is None or q.wants.kind != "name"
                or not any(r.owner or r.dest for r in q.cons.roles)):
            return ""
        return "\n".join(c.text for c, _ in self._continued(passages[0].hit))

    def _said_in(self, q: Query, passage: Passage, first: Ranked | None, start: int) -> set[str]:
        """The question's terms that passage 1's text says from start to the end of its best
        sentence: read from the tokens the second stage read (first: the ranked passage
        behind it), else analyzed."""
        h = passage.highlight
        if first is not None and first.toks is not None:
            toks = first.toks  # the question's (and its constraints') terms, by local id
            at = (toks.starts >= start) & (toks.starts < h.end)
            return set(constraints.local_terms(toks.terms[at], q.local))
        return set(self.index.analyzer.terms(passage.hit.chunk.text[start:h.end]))

    def _unnamed(self, q: Query, passages: tuple[Passage, ...] | list[Passage],
                 first: Ranked | None = None) -> bool:
        """Whether passage 1's best sentence lacks a name the question gives (not a state's,
        which the answer line checks apart, nor one its heading or title says), or every word
        of what a when- or how-much-question asks a value of ('the dictionary'): what is cut
        from it would be about someone or something else. A sentence that refers back ('he',
        'the Prime Minister') is read with what comes before it in the passage. first: the
        ranked passage behind passage 1, whose tokens the second stage read (else analyzed)."""
        if q.unsaid and passages:
            return True
        if not passages or not (q.cons.names or q.subject):
            return False
        h = passages[0].highlight
        terms = self._said_in(q, passages[0], first,
                              0 if _REFERS_BACK_RE.search(h.sentence) else h.start)
        if q.subject and not terms & set(q.subject):
            return True  # about something else than what the value is asked of
        states = self._state_terms()
        # what its heading, endnotes or document title say, the whole passage is about
        throughout = {t for seq in self._outside_terms(passages[0].hit.chunk) for t in seq}
        for n in q.cons.names:
            if n.quoted or any(t in states for t in n.terms) or set(n.terms) <= throughout:
                continue
            last = n.terms[-1]
            if n.terms[0] in terms or any(f & terms for f in n.forms) or (
                    len(n.terms) > 1 and len(last) >= constraints.SURNAME_MIN and last in terms):
                continue
            return True
        return False

    def _common(self) -> Callable[[str], bool] | None:
        """Whether the documents write a word in lower case (a common noun), when they can tell."""
        return self._lower_case if self._can_read_case() else None

    def _can_read_case(self) -> bool:
        return self._stored is not None and hasattr(self.index, "chunks_with")

    def _lower_case(self, word: str) -> bool:
        """Whether the documents write word in lower case more often than capitalised
        within a sentence, in the first passages that hold it: a common noun ('Group',
        'Image'), which no person's name ends in. A sentence's first word says nothing."""
        key = word.casefold()
        known = self._lower.get(key)
        if known is not None:
            return known
        terms = self.index.analyzer.terms(word)
        t = self.index.term_id(terms[0]) if len(terms) == 1 else None
        lower = upper = 0
        if t is not None:
            rows = self.index.chunks_with(terms[0], CASE_SAMPLE)
            chunks = self.index.chunks
            many = getattr(chunks, "many", None)
            for pos, chunk in zip(rows, many(rows) if many else [chunks[i] for i in rows]):
                toks = self.index.tokens(pos)
                text = chunk.text
                for j in np.flatnonzero(toks.terms == t).tolist():
                    s, e = int(toks.starts[j]), int(toks.ends[j])
                    if text[s:e].casefold() != key:
                        continue  # another form of the term ('groups')
                    before = text[max(0, s - 8):s].rstrip(" \t\"'“‘(")
                    if not before or before[-1] in ".!?:\n":
                        continue  # a sentence's first word is capitalised whatever it is
                    if text[s].islower():
                        lower += 1
                    elif text[s].isupper():
                        upper += 1
        if len(self._lower) >= CASE_KEPT:
            drop_oldest(self._lower)
        self._lower[key] = known = lower > upper
        return known

    def _text_terms(self, q: Query, chunk: Chunk, pos: int | None = None) -> list[str]:
        """A passage's terms in order, the question's as themselves and others as '': from
        the tokens the local index stored; a backend that keeps only its hits' tokens (the
        cluster) has its neighbours analyzed, once per passage. pos: its position, when known."""
        if self._stored is not None and not hasattr(self._stored, "tokens_for"):
            toks = self.tokens(q, SearchHit(chunk, 0.0,
                                            self.index.by_id[chunk.id] if pos is None else pos))
            return constraints.local_terms(toks.terms, q.local)
        terms = self._analyzed.get(chunk.id)
        if terms is None:
            if len(self._analyzed) >= OUTSIDE_KEPT:
                drop_oldest(self._analyzed)
            terms = self._analyzed[chunk.id] = tuple(self.index.analyzer.terms(chunk.text))
        return list(terms)

    def _phrase_docs(self, q: Query, name: constraints.Name) -> frozenset:
        """The documents among the best passages for a name of several words that say it in
        full; found once per question and name, in the passages' stored tokens."""
        got = q.phrase_docs.get(name.terms)
        if got is None:
            docs: set[str] = set()
            hits = self.index.search_terms(list(name.terms), PHRASE_DEPTH)
            for h, toks in zip(hits, self.tokens_of(q, hits)):  # their tokens in one call
                c = h.chunk
                if c.doc not in docs and constraints.has_phrase(
                        constraints.local_terms(toks.terms, q.local), name):
                    docs.add(c.doc)
            got = q.phrase_docs[name.terms] = frozenset(docs)
        return got

    def _year_near(self, q: Query, chunk: Chunk, year: int) -> bool:
        """Whether a year is said near a passage that names none: when its document's title
        gives a period, in its section (a history of 1948-2000 is of another time in each
        section), or, in a section that names no year, in that period; else in the passages
        around it (a news digest of one month is of its month throughout; an article's
        paragraphs each of their own time: 'the 2005 season' is not the one a paragraph on
        the 2015 season names none of)."""
        title = chunk.title or ""
        if not constraints.gives_period(title):
            if not hasattr(self.index, "neighbours"):
                return chunk.doc in self._docs_with(str(year))
            around = self.index.neighbours(chunk, YEAR_REACH, YEAR_REACH)
            return any(year in years_in(c.text) for c in around)
        if (chunk.doc, chunk.section) in self._year_sections(q, year):
            return True
        return not self._section_dated(chunk) and year in years_in(title)

    def _section_dated(self, chunk: Chunk) -> bool:
        """Whether a passage of a chunk's section (within SECTION_REACH passages either side)
        names a year; read once per section."""
        key = (chunk.doc, chunk.section)
        got = self._dated_sections.get(key)
        if got is None:
            around = self.index.neighbours(chunk, SECTION_REACH, SECTION_REACH)
            got = any(years_in(c.text) for c in around if c.section == chunk.section)
            if len(self._dated_sections) >= OUTSIDE_KEPT:
                drop_oldest(self._dated_sections)
            self._dated_sections[key] = got
        return got

    def _year_sections(self, q: Query, year: int) -> frozenset:
        """The (document, section) pairs whose passages say a year, found once per question
        and year (of its first YEAR_DEPTH passages)."""
        got = q.year_sections.get(year)
        if got is None:
            got = q.year_sections[year] = frozenset(
                (h.chunk.doc, h.chunk.section)
                for h in self.index.search_terms([str(year)], YEAR_DEPTH))
        return got

    def _docs_with(self, term: str) -> frozenset:
        """The documents (ids) whose passages hold a term; empty when the index cannot say."""
        cache = self._term_docs
        got = cache.get(term)
        if got is None:
            got = self.index.docs_with(term) if hasattr(self.index, "docs_with") else frozenset()
            if len(cache) > 4096:
                drop_oldest(cache)
            cache[term] = got
        return got

    def _doc_dates(self) -> dict[str, str]:
        dates = self._dates
        if dates is None:  # read on first use: a cluster asks its shards
            dates = self._dates = {d["id"]: d.get("date") or "" for d in self.index.documents}
        return dates

    def _outside_terms(self, chunk: Chunk) -> tuple[tuple[str, ...], ...]:
        """The term sequences of a passage's heading, each of its endnotes and (last) its
        document's title: what it says outside its text."""
        got = self._outside.get(chunk.id)
        if got is not None and got[0] == chunk.title:  # with its title's terms as last read
            return got[1]
        if got is None:  # analyzed once per passage, not once per question
            terms = self.index.analyzer.terms
            seqs = tuple(tuple(terms(t)) for t in [chunk.section, *_notes_read(chunk)] if t)
            if len(self._outside) >= OUTSIDE_KEPT:
                drop_oldest(self._outside)
        else:  # its document's title changed: its own terms as they were
            seqs = got[1][:-1]
        seqs += (self._title_of(chunk.title),)
        self._outside[chunk.id] = (chunk.title, seqs)
        return seqs

    def _title_of(self, title: str | None) -> tuple[str, ...]:
        """A document title's terms, analyzed once per title."""
        terms = self._titles.get(title or "")
        if terms is None:
            terms = self._titles[title or ""] = tuple(self.index.analyzer.terms(title or ""))
        return terms

    def judge(self, q: Query, ranked: list[Ranked]) -> Evidence | None:
        """The evidence rule on the best passage."""
        if not ranked:
            return None
        return evidence.judge(evidence.features(q.qterms, ranked, len(self.index.documents) or 1))

    def decide(self, q: Query, ranked: list[Ranked]
               ) -> tuple[list[Ranked], Evidence | None, list[Ranked]]:
        """(the passages that answer, best first, or none; the evidence rule on the best;
        the closest passages when the question is on the documents' subject and none
        answers). A passage that breaks a constraint does not answer: those that meet them
        come first, and the rule judges the best of them."""
        ev = self.judge(q, ranked)
        on_subject = ev is not None and evidence.on_subject(q.qterms, ev, ranked[0].held)
        if not ranked:
            return [], ev, []
        meeting = [r for r in ranked if r.check.passes]
        if not meeting:
            return [], ev, self._closest(q, ranked, on_subject)
        # those that meet them first, every one of them: a passage of the wrong country
        # does not stand between the answer and the other passages that meet the question
        first = meeting + [r for r in ranked if not r.check.passes]
        if meeting[0] is not ranked[0]:
            ranked = first
            ev = self.judge(q, ranked)
            # the best that meets them may be on the subject where the best of all is not
            # (the passage whose endnote names Barkmann)
            on_subject = on_subject or ev is not None and evidence.on_subject(
                q.qterms, ev, ranked[0].held)
        if ev is not None and ev.passes and self.meaning is not None \
                and evidence.needs_meaning(ev.probability):
            # shares the question's words, but is it about what the question asks?
            cosine = self.meaning.similarity(q.text, first[0].hit.chunk.text)
            if cosine is not None and not evidence.meaning_passes(ev.probability, cosine):
                ev = ev._replace(features={**ev.features, "meaning": cosine}, declined=True)
                # on the subject in meaning by the cosine just computed (the whole passage's:
                # no second embedding; fit_subject.py fitted the threshold with it so)
                return [], ev, self._closest(
                    q, first, evidence.on_subject(q.qterms, ev, first[0].held), cosine)
        if ev is not None and ev.passes:
            if q.entries:
                # of those that answer, the entry that defines an option or function the
                # question names comes first ('--leak-check=<no|summary|yes|full> [default:
                # summary]', then what it does): the others only mention it
                first.sort(key=lambda r: not (r.check.passes
                                              and _defines(r.hit.chunk.text, q.entries)))
            return first, ev, []
        return [], ev, self._closest(q, ranked, on_subject)

    def _absent_names(self, q: Query) -> tuple[str, ...]:
        """The names the question gives that the collection never mentions, as written
        (neighbouring words of one name together: 'East Germany')."""
        absent = {t for t, i in zip(dict.fromkeys(q.terms), q.qterms.ids.tolist())
                  if i < 0 and t in q.names}
        out: list[list[int]] = []
        for tok in q.tokens:
            if tok.term not in absent:
                continue
            if out and not q.text[out[-1][1]:tok.start].strip():
                out[-1][1] = tok.end
            else:
                out.append([tok.start, tok.end])
        return tuple(dict.fromkeys(q.text[a:b] for a, b in out))

    def _closest(self, q: Query, ranked: list[Ranked], on_subject: bool,
                 cosine: float | None = None) -> list[Ranked]:
        """The closest passages of a question nothing answers: ranked when it is on the
        documents' subject by the rules, or passage 1 is close to it in meaning around its best
        sentence (cosine: passage 1's, when already computed); else none."""
        if on_subject:
            return ranked
        if self.meaning is None or not ranked:
            return []
        if cosine is None:
            cosine = self.meaning.similarity(
                q.text, meaning.around(ranked[0].hit.chunk.text, *ranked[0].signals.sentence))
        return ranked if evidence.meaning_on_subject(cosine) else []

    def match_facts(self, q: Query, ranked: list[Ranked], shown: list[Ranked]) -> list[FactMatch]:
        """Facts that hold the parties and numbers the question names and either pass the
        evidence rule (their own words against the question, the collection's evidence as
        for passages) or are held by a shown passage; best first."""
        if self._fact_index is None or not ranked:
            return []
        hits = self._fact_index.search_terms(list(q.terms), FACT_DEPTH)
        if not hits:
            return []
        collection = evidence.features(q.qterms, ranked, len(self.index.documents) or 1)
        fact_q = rescore.query_terms(q.terms, self._fact_term_id, self.weight, q.wants, q.names)
        # every party and number the question names, and its most specific name or number
        # (else its rarest word): a fact that lacks one is about other parties or another
        # year ("trade with South Korea in 1992" is not answered by North Korea's, nor by 1994's)
        names = self.index.analyzer.display_names
        specific = [t for t in q.terms if t in names or t.isdigit()] or list(q.terms)
        # each may stand as another form of the name: a capital as its state ('when did North
        # Korea close its embassy in Ulaanbaatar' is met by a fact about Mongolia)
        forms = {n.terms[0]: n.forms[0] for n in q.cons.names if len(n.terms) == 1 and n.forms}
        wanted = {t for t in q.terms if t in self._party_terms or t.isdigit()}
        wanted.add(max(specific, key=self.weight))
        required = [frozenset(i for i in map(self._fact_term_id, {t, *forms.get(t, ())})
                              if i >= 0) for t in wanted]
        if not all(required):
            return []
        # a fact leads the answer only when what it states holds the question's rarest word
        # ("when was the DPRK founded?" is not answered by the 1948 relations fact whose
        # summary mentions the founding)
        rarest = max(q.terms, key=self.weight)
        dates_asked = q.wants is not None and q.wants.kind == "date"
        named = set(forms) | {f for fs in forms.values() for f in fs} | self._party_terms
        named.update(t for n in q.cons.names for t in n.terms)
        said = {t for t in q.terms if t not in named and not t.isdigit()}
        # what the question asks of its parties (a state, or its capital): a fact that holds
        # none of it is about something else of theirs, however many parties it names
        topic = {t for t in q.terms if not t.isdigit() and t not in self._party_terms
                 and not forms.get(t, frozenset()) & self._party_terms}
        topic_ids = {i for i in map(self._fact_term_id, topic) if i >= 0}
        shown_ids = {r.hit.chunk.id for r in shown}
        out = []
        for h in hits:
            c = h.chunk
            toks = self._fact_index.tokens(h.pos)  # analyzed when the fact index was made
            held = rescore.held_ids(fact_q, toks)
            words_held = set(toks.terms.tolist())
            if not all(req & words_held for req in required):
                continue
            fact = self._facts_by_id[c.id]
            if not self._fact_meets(q, c.id, toks):
                continue  # another year, party or person than the question's
            sig = rescore.signals(fact_q, toks, c.text, h.score)
            own = evidence.features(fact_q, [Ranked(h, sig, sig.score(), frozenset(held))], 1)
            ev = evidence.judge(evidence.with_own(collection, own), fact=True)
            # it may lead the answer when what it states holds the question's rarest word, or,
            # for a figure or a name, it is of the year asked about ("trade in 1990"; a
            # when-question's year names its subject: "when did the 2000 treaty enter into force")
            heads = self._fact_heads[c.id]
            if dates_asked:
                # its date answers a when-question when what it states holds the rarest word
                # and something the question says of its names, not only a name ('when did
                # Putin become president?' is not answered by the date of Putin's letter)
                # a year the question names is held by a fact of that year, as by one
                # whose words say it ('when was the 2000 treaty signed?' and the treaty
                # signed on 9 February 2000)
                dated = heads | {str(fact.year)} if rarest.isdigit() else heads
                lead = rarest in dated and (not said or bool(said & heads))
            else:
                lead = rarest in heads or any(lo <= fact.year <= hi for lo, hi in q.cons.years)
            if not shown and not (ev.passes and lead and _gives(fact, q.wants)):
                continue  # alone, a fact must lead and hold what the question asks for
            if (shown and not (ev.passes and lead) and fact.passage != shown[0].hit.chunk.id
                    and topic_ids and not topic & (heads | self._title_and_quote(fact))):
                # what another passage shown quotes, of the question's parties only: about
                # something else of theirs (what it states and quotes, not its summary, which
                # may tell of anything around it)
                continue
            if ev.passes or fact.passage in shown_ids:
                # ordered as passages are, by the second stage's score; the rule only admits
                out.append(FactMatch(fact, (round(sig.score(), 6), round(ev.probability, 6)),
                                     ev.passes and lead))
        out.sort(key=lambda m: (-m.score[0], -m.score[1], m.fact.date, m.fact.id))
        if dates_asked and q.cons.years:
            # a when-question naming a year: of the facts that may lead, those of that year
            # first, before those that only mention it ('1961 defence pact (replaced in 2000)'
            # for the 2000 treaty); the others keep their order ('when did Mongolia end the
            # 1986 treaty' is answered by 1995's)
            out.sort(key=lambda m: not (m.passes and any(lo <= m.fact.year <= hi
                                                         for lo, hi in q.cons.years)))
        if q.wants is not None and q.wants.kind == "number":
            # the one holding the asked figure first: of the asked noun ('how many embassies'
            # is not answered by 10,000 workers)
            out.sort(key=lambda m: not _gives(m.fact, q.wants))
        return out[:FACTS_SHOWN]

    def _fact_meets(self, q: Query, fact_id: str, toks: ChunkTokens | None = None) -> bool:
        """Whether a fact meets the question's constraints: its names in its words, the
        question's years in its date or title."""
        if not q.cons:
            return True
        known = q.fact_meets.get(fact_id)
        if known is not None:
            return known
        fact = self._facts_by_id.get(fact_id)
        if fact is None or self._fact_index is None:
            return False
        terms = self._fact_words.get(fact_id)  # the same for every question: made once
        if terms is None:
            pos = self._fact_index.by_id[fact_id]
            if toks is None:
                toks = self._fact_index.tokens(pos)
            terms = self._fact_words[fact_id] = [self._fact_terms[i] if i >= 0 else ""
                                                 for i in toks.terms.tolist()]
            # where its clauses break: 'sent to South Korea as ambassador' is no South
            # Korean ambassador, as in a passage; and where one of its fields ends (a line)
            self._fact_breaks[fact_id] = constraints.clause_breaks(
                self._fact_index.chunks[pos].text.replace("\n", ";"), toks.starts.tolist(),
                toks.ends.tolist())
        met = q.fact_meets[fact_id] = constraints.check(
            q.cons, terms, (), [fact.date, fact.title], breaks=self._fact_breaks[fact_id],
            one_holder=True).passes
        return met

    def _fact_term_id(self, term: str) -> int:
        t = self._fact_index.vocab.get(term) if self._fact_index is not None else None
        return -1 if t is None else int(t)

    def ask(self, question: str, k: int = 3, offset: int = 0, where: Where | None = None) -> Answer:
        q = self.query(question)
        if isinstance(q, Answer):
            return q
        where = where or None
        docs = self.index.documents
        allowed = where.mask(docs) if where else None
        ranked = self.rank(q, max(rescore.DEPTH, offset + k + 1), allowed)
        cov = ranked[0].signals.coverage if ranked else 0.0
        answering, ev, closest = self.decide(q, ranked)
        passes = bool(answering)
        # facts are judged on their own words against the collection's evidence
        facts = (self.match_facts(q, answering or ranked, answering[:k])
                 if offset == 0 else [])
        if where:  # facts too come only from the documents and dates asked for
            kept = set(where.doc_ids(docs))
            facts = [f for f in facts if f.fact.doc in kept]
        # one passage per paragraph: the other parts of a split one repeat its place
        ranked, closest = _one_per_paragraph(answering), _one_per_paragraph(closest)
        if not passes and not facts and closest:
            top = closest[0].check
            unsaid = ev is not None and ev.declined and evidence.names_only(ev.features)
            # what the question names and the documents never mention (the names gate)
            missing = top.missing or (self._absent_names(q) if ev is not None
                                      and ev.features.get("names_absent") else ())
            message = (CLOSEST.format(missing=" or ".join(f"“{m}”" for m in missing))
                       if missing else CLOSEST_TYPED.format(what=top.untyped)
                       if top.untyped else CLOSEST_UNSAID.format(
                           names=_listed([n.text for n in q.cons.names], "and"),
                           words=_listed(asked_words(q.text)))
                       if unsaid and q.cons.names else CLOSEST_WEAK)
            page = closest[offset : offset + k]
            return Answer(question, False, message, terms=q.terms,
                          coverage=cov, evidence=ev, passages=self._passages(q, page, offset),
                          more=len(closest) > offset + k, total=len(closest), where=where,
                          status=CLOSEST_STATUS)
        if not ranked and not facts:
            message = (NOTHING_FOUND[:-1] + f" ({where.label(docs)})." if where else NOTHING_FOUND)
            return Answer(question, False, message, terms=q.terms, coverage=cov, evidence=ev,
                          where=where, status=NONE)
        passages = self._passages(q, ranked[offset : offset + k], offset)
        first = ranked[offset] if offset < len(ranked) else None
        # a fact shown only for its passage's sake does not lead the answer
        leading = [f for f in facts if f.passes]
        direct = self._direct(q, passages, facts, leading, first)
        if q.wants is not None and q.wants.kind in _VALUE_KINDS or q.cons.years:
            # the answer line as passage 1 gives it, whichever page is shown
            page_1, lead = passages, direct
            if offset > 0:
                page_1 = self._passages(q, ranked[:1], 0)
                lead = self._direct(q, page_1, facts, leading, ranked[0])
            if lead is None and page_1 and not self._placed_as_asked(q, page_1[0]):
                # a date, figure or person, or anything of a year, that the line withholds:
                # passage 1's best sentence is about another year or state, no fact gives it,
                # and the passage says nothing of the place asked about ('When did Ivanov
                # visit Seoul?' and his talks in Pyongyang; 'What did they sign in 1965?' and
                # the treaty of 1961)
                return Answer(question, False, CLOSEST_ELSEWHERE, terms=q.terms, coverage=cov,
                              evidence=ev, passages=tuple(passages),
                              more=len(ranked) > offset + k, total=len(ranked), where=where,
                              status=CLOSEST_STATUS)
        return Answer(question, True, q.notice or (where.label(docs) if where else None),
                      facts=tuple(facts), passages=tuple(passages), terms=q.terms, coverage=cov,
                      evidence=ev, more=len(ranked) > offset + k, total=len(ranked),
                      direct=direct, where=where, status=ANSWER)

    def _direct(self, q: Query, passages: tuple[Passage, ...], facts: list[FactMatch],
                leading: list[FactMatch], first: Ranked | None) -> DirectAnswer | None:
        """The answer line from a page of passages and the facts (leading: those that may
        lead it); first: the ranked passage behind the page's first."""
        pos = getattr(passages[0].hit, "pos", -1) if passages else -1
        return direct_answer(q.text, passages, leading, q.wants, q.cons,
                             self._around(q, passages), self._unnamed(q, passages, first),
                             self._common(),
                             self._fact_first(q, passages, facts, first),
                             self._paragraph(passages) if cites(q.text) else None,
                             # passage 1's sentences as stored, not split again
                             self.index.sentence_pairs(pos) if pos >= 0 and hasattr(
                                 self.index, "sentence_pairs") else None)

    def _placed_as_asked(self, q: Query, passage: Passage) -> bool:
        """Whether a passage's own text names a state the question places what it asks in
        ('visit Seoul': South Korea), a word of several states ('Korea') read as the one the
        text names by a name of its own: the best sentence may be the wrong one of a passage
        about the place asked ('Like Mao Zedong in China, Kim Il Sung had purges …' before
        the ambassador sent to Pyongyang)."""
        if not q.cons.located:
            return False
        pos = getattr(passage.hit, "pos", -1)
        if pos >= 0 and self._can_read_case():  # its stored tokens, as the engine read them
            ids = self._state_ids()
            seq = [ids[i] for i in np.unique(self.index.tokens(pos).terms).tolist() if i in ids]
        else:
            seq = self.index.analyzer.terms(passage.hit.chunk.text)
        return bool(constraints.states_named(seq, self._state_terms()) & q.cons.located)

    def _state_ids(self) -> dict[int, str]:
        """The index's vocabulary id of each term that names a state -> the term."""
        if self._state_id_terms is None:
            ids = ((self.index.term_id(t), t) for t in self._state_terms())
            self._state_id_terms = {int(i): t for i, t in ids if i is not None}
        return self._state_id_terms

    def _paragraph(self, passages: list[Passage]) -> tuple[SimpleNamespace, int] | None:
        """Passage 1's whole paragraph when it is a part of a split one: its parts' text
        (joined by line breaks) and endnotes, and where passage 1's text starts in it; a
        note the paragraph cites after the part shown ('… without interruption.’[xviii]')."""
        if not passages or not passages[0].hit.chunk.part:
            return None
        h = passages[0].hit.chunk
        parts = [c for c, _ in self._continued(passages[0].hit)
                 if c.id == h.id or c.part and c.paragraph == h.paragraph]
        here = next((i for i, c in enumerate(parts) if c.id == h.id), None)
        if len(parts) < 2 or here is None:
            return None
        at = sum(len(c.text) + 1 for c in parts[:here])
        notes = tuple(dict.fromkeys(n for c in parts for n in c.notes))
        return SimpleNamespace(text="\n".join(c.text for c in parts), notes=notes), at

    def _fact_first(self, q: Query, passages: list[Passage], facts: list[FactMatch],
                    first: Ranked | None = None) -> bool:
        """Whether the best fact (of those that pass) says what a when- or how-much-question
        asks about ('Tsedenbal's official visit to North Korea') and passage 1's best
        sentence says none of it ('Tsedenbal congratulated … (June 7, 1971)')."""
        lead = next((f for f in facts if f.passes), None)
        if (lead is None or not passages or not q.event
                or q.wants is None or q.wants.kind not in ("date", "number")):
            return False
        asked = set(q.event)
        return (bool(asked & self._title_and_quote(lead.fact))
                and not asked & self._said_in(q, passages[0], first,
                                              passages[0].highlight.start))

    def _title_and_quote(self, fact: Fact) -> frozenset:
        """The terms of a fact's title and quote, analyzed once per fact (when first needed;
        _fact_words holds its indexed fields' terms, summary and parties too)."""
        words = self._fact_said.get(fact.id)
        if words is None:
            words = self._fact_said[fact.id] = frozenset(
                self.index.analyzer.terms(f"{fact.title} {fact.quote}"))
        return words

    def _passages(self, q: Query, page: list[Ranked], offset: int) -> tuple[Passage, ...]:
        # the tokens the second stage read, when they are the stored ones (not analyzed now);
        # the question's own terms have the first ids, the constraints' come after
        reuse = q.vocab_map is not None
        names = q.local[: len(set(q.terms))]
        terms = list(q.terms)
        shown: list[Highlight | None] = [None] * len(page)
        if reuse and self._stored is not None and kernels.compiled():
            # those whose sentence and tokens the second stage read: highlighted together
            ready = [i for i, r in enumerate(page) if r.signals.sent_cov > 0
                     and r.toks is not None and getattr(r.hit, "pos", -1) >= 0]
            if ready:
                got = chosen_many([page[i].hit.chunk.text for i in ready], self._stored,
                                  [page[i].hit.pos for i in ready],
                                  [page[i].signals.sentence for i in ready],
                                  [page[i].toks for i in ready], names, set(terms))
                for i, h in zip(ready, got):
                    shown[i] = h
        for i, r in enumerate(page):
            if shown[i] is None:
                shown[i] = highlight(r.hit.chunk.text, terms, self.index.analyzer, self.weight,
                                     q.wants, self._stored, getattr(r.hit, "pos", -1),
                                     r.signals.sentence if r.signals.sent_cov > 0 else None,
                                     (r.toks, names) if reuse and r.toks is not None else None)
            entry = _entry_head(r.hit.chunk.text, q.entries) if q.entries else None
            if entry is not None and not entry[0] <= shown[i].start < entry[1]:
                # the entry of the option asked about, not another one of the passage
                shown[i] = self._sentence_at(r.hit, entry[0], shown[i])
        cited = self._cited_titles()
        facts = self._facts_by_passage
        return tuple(_passage(offset + i + 1, r.score, r.hit, h,
                              tuple(facts.get(c.id, ())), cited.get(c.doc, ""))
                     for i, (r, h) in enumerate(zip(page, shown)) for c in (r.hit.chunk,))

    def _cited_titles(self) -> dict[str, str]:
        """Document id -> how a citation names it (reading.corpus.cited_titles), made again
        only when the index's documents change (a cluster's shards are updated in place)."""
        docs = self.index.documents
        # the same documents are the same objects: their first and last stand for the list
        first, last = (docs[0], docs[-1]) if docs else (None, None)
        known = self._cited
        if known is None or known[0] != len(docs) or known[1] is not first or known[2] is not last:
            known = self._cited = (len(docs), first, last, cited_titles(docs))
        return known[3]

    def _sentence_at(self, hit: SearchHit, at: int, h: Highlight) -> Highlight:
        """h moved to the sentence of hit's passage that holds offset at."""
        text, pos = hit.chunk.text, getattr(hit, "pos", -1)
        spans = ([tuple(s) for s in self.index.sentence_spans(pos).tolist()] if pos >= 0
                 else sentence_spans(text))
        s, e = next(((s, e) for s, e in spans if s <= at < e), (at, len(text)))
        return h._replace(start=s, end=e, sentence=text[s:e])


# what refers back to someone or something named before: a pronoun, 'the Prime Minister'
_REFERS_BACK_RE = re.compile(r"\b(?i:he|she|him|his|her|hers|they|them|their|it|its)\b"
                             r"|\b(?:[Tt]he|[Tt]his|[Tt]hese) (?:[A-Z][a-z]+ )*[A-Z][a-z]+\b"
                             r"|^\W*(?:This|These|There)\b")


# what names an option or a function, which a reference's entry defines ('--leak-check',
# 'idn2_lookup_u8', 'watchdog.Observer', 'FileSystemEventHandler'); not a program ('bzip2'),
# what a whole manual is about, nor a file ('idn2.h')
_ENTRY_NAME_RE = re.compile(r"^-|[_(]|[a-z][A-Z]|\.[A-Z]")
_CODE_END_RE = re.compile(r"(?![\w-])")


def _heads(text: str) -> list[tuple[int, str]]:
    """The entry heads of a passage (lines of their own, set off by blank lines, that end as
    no sentence does; a record's fields are its entry's), with where each starts."""
    out = []
    for m in paragraphs(text):
        line = m.group()
        if is_head_line(line) and not is_field_line(line):
            stripped = line.strip()
            out.append((m.start() + len(line) - len(line.lstrip()), stripped))
    return out


def _entry_head(text: str, code: tuple[str, ...]) -> tuple[int, int] | None:
    """Where a passage holds the entry of one of the options or functions code gives (its
    head names it whole): (where the head starts, where the next head starts or the text
    ends). None when it holds none: the passage only mentions them."""
    heads = _heads(text)
    for k, (at, line) in enumerate(heads):
        for name in code:
            i = line.find(name)
            while i >= 0:
                before = line[i - 1] if i else " "
                if not (before.isalnum() or before in "_-") and _CODE_END_RE.match(line, i + len(name)):
                    return at, heads[k + 1][0] if k + 1 < len(heads) else len(text)
                i = line.find(name, i + 1)
    return None


def _defines(text: str, code: tuple[str, ...]) -> bool:
    return bool(code) and _entry_head(text, code) is not None


def _listed(words: Sequence[str], last: str = "or") -> str:
    """“a”, “b” or “c” (last: the word before the last)."""
    quoted = [f"“{w}”" for w in words]
    return (f" {last} ".join(quoted) if len(quoted) < 3
            else ", ".join(quoted[:-1]) + f" {last} " + quoted[-1])


def _one_per_paragraph(ranked: list[Ranked]) -> list[Ranked]:
    """The ranked passages with the best part of each split paragraph only: its other parts
    would take the places of other paragraphs (ten passages of five abstracts)."""
    seen: set[tuple[str, int]] = set()
    out = []
    for r in ranked:
        c = r.hit.chunk
        if c.part:
            key = (c.doc, c.paragraph)
            if key in seen:
                continue
            seen.add(key)
        out.append(r)
    return out


def _with_next(toks: ChunkTokens, sentence: tuple[int, int], length: int) -> tuple[int, int]:
    """The span of the best sentence and the one after it: where a passage gives what is
    asked about its best sentence ('… D. Sodnom travelled to Pyongyang. He held talks with
    Yi Kun Mo'); another person or figure elsewhere in it answers something else."""
    s, e = sentence
    if e <= s:
        return 0, length
    starts = toks.starts.tolist()  # one conversion, not one numpy scalar per sentence
    n = len(starts)
    later = [starts[i] for i in toks.sentences.tolist() if i < n and starts[i] >= e]
    if len(later) >= 2:
        return s, later[1]
    return s, length


def _gives(fact, wants: Asked | None) -> bool:
    """Whether a fact can give what a question asks for: a figure for how many/how much, a
    date for when; a name or anything else only through its passage's words."""
    if wants is None:
        return True
    if wants.kind == "number":  # of the asked noun, when it names one ('how many refugees')
        return fact.value is not None and (wants.noun is None or norm(wants.noun) in {
            norm(w) for w in words(fact.unit or "")})
    return wants.kind == "date"


def _notes_index(index: Index, latin: bool = False) -> Index | None:
    """A small index of the endnotes each passage cites, so a question about a cited source
    finds the passage. Only documents with endnotes are read (the manifest counts them)."""
    docs = index.documents
    if not docs or not any(d.get("notes") for d in docs):
        if docs:
            return None
        chunks = [c for c in index.chunks if c.notes]  # an index held in memory
    else:
        chunks, at = [], 0
        for d in docs:
            n = int(d.get("chunks", 0))
            if d.get("notes"):
                chunks += [c for c in index.chunks[at : at + n] if c.notes]
            at += n
    if latin:  # only the notes with a Latin spelling (a source cited in Cyrillic)
        chunks = [c for c in chunks if any(latin_spellings(n.text) for n in c.notes)]
    if not chunks:
        return None
    text = ((lambda c: "\n".join(t for n in c.notes for t in latin_spellings(n.text))) if latin
            else (lambda c: "\n".join(n.text for n in c.notes)))
    pseudo = [Chunk(c.id, c.doc, c.title, "", c.paragraph, c.paragraph_end, c.part, c.seq,
                    c.start, c.end, text(c)) for c in chunks]
    return Index.from_chunks(pseudo, index.analyzer)


def _surface(word: str) -> str:
    """A word as written, to compare spellings: casefolded, without its possessive or the
    punctuation around it."""
    w = word.casefold().strip(".,;:()[]'’\"‘“”")
    return w[:-2] if w.endswith(("'s", "’s")) else w


def _notes_read(chunk: Chunk) -> list[str]:
    """A passage's endnotes as a question meets them: each as written, then in Latin letters
    when it cites a source in Cyrillic (a question asks after "Tsedenbal", not
    "Цэдэнбал")."""
    return [t for n in chunk.notes for t in (n.text, *latin_spellings(n.text))]


def data_signature(data_dir: Path) -> tuple:
    """Name, size and mtime of every file under data_dir: changes when any file does."""
    out = []
    try:
        for p in sorted(data_dir.rglob("*")):
            if p.is_file():
                st = p.stat()
                out.append((str(p), st.st_size, st.st_mtime_ns))
    except OSError:
        return ("unreadable",)
    return tuple(out)


def load_facts(data_dir: Path, index: Index) -> FactTable:
    """The fact table the index build compiled (validated, linked to passages); a backend
    without one compiles data_dir/facts.yaml now. Empty without a facts.yaml."""
    compiled = getattr(index, "fact_table", None)
    if compiled is None:
        compiled = compile_facts(data_dir, index.analyzer.aliases.keys())
    return read_compiled(compiled)
