"""The opened index: chunk records and ids read on demand, postings memory-mapped, search.
Reading only: building and updating (build.py, update.py) sit above this module and are never
imported by it; load.py opens an index of either shape.

Cost model (why it scales): a question reads only its terms' postings (memory-mapped) and the
ten chunk records it returns; opening an index maps arrays and reads the vocabulary, never
the chunk texts.
"""
from __future__ import annotations

import bisect
import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from . import store
from .analyze import Analyzer
from .bm25 import DEFAULT_PARAMS, BM25, BM25Params, Postings, block_ptr, build_postings
from ..reading.corpus import Chunk
from ..errors import IndexFormatError
from ..facts import FACTS_FILE
from .tokens import TOKEN_ARRAYS, ChunkTokens, StoredTokens, analyzed_tokens


class SearchHit:
    """One result: the chunk, its score, its position in the index (for Index.tokens; -1 when
    unknown). Behaves as the tuple (chunk, score, pos). A search's hits read their chunk
    record when .chunk is first asked for, not before: parsing ten JSON records costs more
    than the search itself at a million passages, and a caller may need only some of them."""

    __slots__ = ("_chunk", "_chunks", "score", "pos")

    def __init__(self, chunk: Chunk | None, score: float, pos: int = -1,
                 chunks: Sequence[Chunk] | None = None) -> None:
        """chunks: where to read the chunk (at pos) when chunk is None."""
        self._chunk, self._chunks, self.score, self.pos = chunk, chunks, score, pos

    @property
    def chunk(self) -> Chunk:
        c = self._chunk
        if c is None:
            c = self._chunk = self._chunks[self.pos]
        return c

    def _tuple(self) -> tuple:
        return (self.chunk, self.score, self.pos)

    def __iter__(self):
        return iter(self._tuple())

    def __len__(self) -> int:
        return 3

    def __getitem__(self, i):
        return self._tuple()[i]

    def __eq__(self, other) -> bool:
        return isinstance(other, (SearchHit, tuple)) and self._tuple() == tuple(other)

    def __hash__(self) -> int:
        return hash(self._tuple())

    def __repr__(self) -> str:
        return f"SearchHit(chunk={self.chunk!r}, score={self.score!r}, pos={self.pos!r})"

    def _replace(self, **changes) -> "SearchHit":
        if "pos" in changes and "chunk" not in changes:
            changes["chunk"] = self.chunk  # the same chunk at another position, as a tuple's
        if "chunk" in changes:
            return SearchHit(changes["chunk"], changes.get("score", self.score),
                             changes.get("pos", self.pos))
        return SearchHit(self._chunk, changes.get("score", self.score), self.pos, self._chunks)


def hit_chunks(hits: Sequence[SearchHit]) -> list[Chunk]:
    """[h.chunk for h in hits], the records not yet read read together (StoredChunks.many):
    a question's candidates all need theirs."""
    lazy = [h for h in hits if getattr(h, "_chunk", True) is None and h._chunks is not None]
    if lazy:
        source = lazy[0]._chunks
        many = getattr(source, "many", None)
        if many is not None and all(h._chunks is source for h in lazy):
            for h, c in zip(lazy, many([h.pos for h in lazy])):
                h._chunk = c
    return [h.chunk for h in hits]


def index_text(chunk: Chunk) -> str:
    """What is indexed for a chunk: its section heading too, so 'the Prime Minister's visit to
    Pyongyang' finds the paragraphs under that heading."""
    return f"{chunk.section}\n{chunk.text}" if chunk.section else chunk.text


# -- chunks and ids read from the index files, on demand -----------------------------------------


def drop_oldest(cache: dict) -> None:
    """Make room in a full cache: its oldest entries out, at most 256. Not clear(): freeing
    thousands at once is a pause of milliseconds in the answer that fills it; nor one at a
    time: finding the oldest skips over the holes the last ones left, again at every entry."""
    try:  # one C call over the keys (no other thread runs meanwhile)
        old = list(itertools.islice(cache, max(1, min(256, len(cache) // 8))))
    except RuntimeError:  # another thread changed it meanwhile
        return
    for key in old:
        cache.pop(key, None)


class StoredChunks(Sequence):
    """Index.chunks of a loaded index: Chunk records parsed when asked for (a few recent
    ones are kept), so opening a million-chunk index reads none of them."""

    _KEEP = 4096

    def __init__(self, records: store.ChunkRecords) -> None:
        self._records = records
        self._cache: dict[int, Chunk] = {}

    def __len__(self) -> int:
        return len(self._records)

    def __getitem__(self, i):
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(len(self)))]
        if i < 0:
            i += len(self)
        c = self._cache.get(i)
        if c is None:
            if not 0 <= i < len(self):
                raise IndexError(i)
            try:
                c = Chunk.from_dict(self._records[i])
            except (KeyError, TypeError) as e:
                raise IndexFormatError(f"chunk record {i}: damaged ({e})") from None
            if len(self._cache) >= self._KEEP:
                drop_oldest(self._cache)
            self._cache[i] = c
        return c

    def many(self, rows: Sequence[int]) -> list[Chunk]:
        """self[i] of each row (positions 0 <= i < len), the records not kept read in one
        call: the candidates of a question, each otherwise read through several layers."""
        cache = self._cache
        out = [cache.get(i) for i in rows]
        missing = [i for i, c in zip(rows, out) if c is None]
        if not missing:
            return out
        many = getattr(self._records, "many", None)
        if many is None:
            return [self[i] for i in rows]
        n = len(self)
        for i in missing:
            if not 0 <= i < n:
                raise IndexError(i)
        read = Chunk.from_dict
        try:
            got = [read(r) for r in many(missing)]
        except (KeyError, TypeError) as e:
            raise IndexFormatError(f"chunk records {missing}: damaged ({e})") from None
        for _ in range(len(missing) + 1):  # room for them all (drop_oldest drops one or more)
            if len(cache) + len(missing) <= self._KEEP:
                break
            drop_oldest(cache)
        cache.update(zip(missing, got))
        if len(missing) == len(rows):
            return got
        new = dict(zip(missing, got))
        return [c if c is not None else new[i] for i, c in zip(rows, out)]


class ChunkIds(Mapping):
    """Index.by_id of a loaded index: chunk id -> position, by binary search over the ids in
    sorted order (ids blob + offsets + order, all memory-mapped)."""

    def __init__(self, blob: np.ndarray, offsets: np.ndarray, order: np.ndarray) -> None:
        # plain arrays over the maps: numpy.memmap's indexing costs Python calls (GIL) each
        self._blob, self._off, self._order = (np.asarray(a).view(np.ndarray)
                                              for a in (blob, offsets, order))

    def id_at(self, i: int) -> str:
        return self._blob[self._off[i] : self._off[i + 1]].tobytes().decode("utf-8")

    def __len__(self) -> int:
        return len(self._order)

    def __iter__(self):
        return (self.id_at(i) for i in range(len(self)))

    def __getitem__(self, cid: str) -> int:
        if isinstance(cid, str):
            order = self._order
            k = bisect.bisect_left(range(len(order)), cid, key=lambda j: self.id_at(int(order[j])))
            if k < len(order) and self.id_at(int(order[k])) == cid:
                return int(order[k])
        raise KeyError(cid)


# -- the index -----------------------------------------------------------------------------------


@dataclass
class Index:
    chunks: Sequence[Chunk]
    vocab: Mapping[str, int]
    bm25: BM25
    analyzer: Analyzer
    manifest: dict
    by_id: Mapping[str, int] | None = None
    _id_rank: np.ndarray | None = field(default=None, repr=False)
    _tokens: StoredTokens | None = field(default=None, repr=False)
    fact_table: bytes | None = field(default=None, repr=False)  # compiled facts (facts.json)

    def __post_init__(self) -> None:
        if self._id_rank is None:  # chunks held in memory
            ids = [c.id for c in self.chunks]
            order = sorted(range(len(ids)), key=ids.__getitem__)
            self._id_rank = np.empty(len(ids), dtype=np.int64)
            self._id_rank[order] = np.arange(len(ids))
            self.by_id = {cid: i for i, cid in enumerate(ids)}
        if self._tokens is None:
            self._tokens = StoredTokens(analyzed_tokens(
                self.analyzer, (c.text for c in self.chunks), self.vocab.get))

    # -- making and opening --------------------------------------------------------------------
    @classmethod
    def from_chunks(cls, chunks: list[Chunk], analyzer: Analyzer,
                    params: BM25Params = DEFAULT_PARAMS, manifest: dict | None = None) -> "Index":
        """An index held in memory (not saved), e.g. for benchmarks on ready-made chunks."""
        vocab: dict[str, int] = {}
        postings = build_postings((analyzer.terms(index_text(c)) for c in chunks), vocab)
        return cls(list(chunks), vocab, BM25(postings, params), analyzer, manifest or {})

    @classmethod
    def load_built(cls, index_dir: Path, analyzer: Analyzer) -> "Index":
        """Open the generation in use when a build wrote it (one segment): arrays
        memory-mapped, chunk records read on demand. index/search/load.py opens either kind."""
        stored = store.load(index_dir)
        m = stored.manifest
        if "segs" in m:
            raise ValueError(f"{stored.path}: several segments; open it with load.load_index")
        a = stored.arrays
        try:
            params = BM25Params(**m["config"]["bm25"])
            records = stored.chunks
            if not isinstance(records, store.ChunkRecords) or any(
                    k not in a for k in ("ids", "id_off", "id_order")):
                raise KeyError("chunk locator")
        except (KeyError, TypeError) as e:
            raise IndexFormatError(f"{stored.path}: damaged manifest ({e})") from None
        plain = {name: np.asarray(a[name]).view(np.ndarray) for name in ARRAYS_OF_POSTINGS}
        postings = Postings(plain["indptr"], plain["docs"], plain["tfs"], plain["doc_len"])
        _prefault(postings)
        n = len(records)
        order = a["id_order"]
        if order.shape != (n,) or a["id_off"].shape != (n + 1,):
            raise IndexFormatError(f"{stored.path}: inconsistent index files")
        rank = np.empty(n, dtype=np.int32)
        rank[order] = np.arange(n, dtype=np.int32)
        vocab = {t: i for i, t in enumerate(stored.vocab)}
        if any(name not in a for name in TOKEN_ARRAYS) or a["tok_ptr"].shape != (n + 1,) \
                or a["sent_ptr"].shape != (n + 1,):
            raise IndexFormatError(f"{stored.path}: inconsistent chunk token files")
        if "term_max" not in a or a["term_max"].shape != (len(vocab),):
            raise IndexFormatError(f"{stored.path}: inconsistent index files (term_max)")
        term_max = np.asarray(a["term_max"]).view(np.ndarray)
        n_blocks = int(block_ptr(postings.indptr)[-1])
        if "block_max" not in a or a["block_max"].shape != (n_blocks,):
            raise IndexFormatError(f"{stored.path}: inconsistent index files (block_max)")
        block_max = np.asarray(a["block_max"]).view(np.ndarray)
        if FACTS_FILE not in m.get("files", {}):
            raise IndexFormatError(f"{stored.path}: no compiled fact table")
        index = cls(StoredChunks(records), vocab, BM25(postings, params, term_max, block_max), analyzer, m,
                    ChunkIds(a["ids"], a["id_off"], order), rank, StoredTokens(a))
        index.fact_table = (stored.path / FACTS_FILE).read_bytes()
        return index

    # -- searching -----------------------------------------------------------------------------
    def query_term_ids(self, terms: list[str]) -> list[int]:
        return [self.vocab[t] for t in terms if t in self.vocab]

    def search_terms(self, terms: list[str], k: int,
                     allowed: np.ndarray | None = None) -> list[SearchHit]:
        hits = self.bm25.search(self.query_term_ids(terms), k, tiebreak=self._id_rank,
                                allowed=allowed)
        chunks = self.chunks
        return [SearchHit(None, h.score, h.doc, chunks) for h in hits]

    def search(self, query: str, k: int = 10) -> list[SearchHit]:
        """The k best chunks for a question, best first (ties broken by chunk id)."""
        return self.search_terms(self.analyzer.terms(query), k)

    def term_id(self, term: str) -> int | None:
        """The vocabulary id of an index term (None: no chunk holds it)."""
        return self.vocab.get(term)

    def tokens(self, i: int) -> ChunkTokens:
        """Chunk i's text as stored at build time: term ids, offsets, sentence breaks."""
        return self._tokens.tokens(i)

    def mapped_tokens(self, positions: Sequence[int], vocab_ids: np.ndarray,
                      local_ids: np.ndarray) -> list[ChunkTokens]:
        """tokens() of several chunks, their terms mapped as kernels.remap maps them (vocab_ids
        must be terms the index holds): one compiled call for all the hits of a question."""
        return self._tokens.mapped(positions, vocab_ids, local_ids)

    def sentence_spans(self, i: int) -> np.ndarray:
        """(start, end) offsets in chunk i's text of its sentences (at least one), (k, 2)."""
        return self._tokens.sentence_spans(i)

    def sentence_pairs(self, i: int) -> list[tuple[int, int]]:
        """sentence_spans(i) as a list of (start, end) pairs."""
        return self._tokens.sentence_pairs(i)

    def sentence_around(self, i: int, offset: int) -> tuple[int, int] | None:
        """The first of chunk i's sentences that holds offset (None: none does)."""
        return self._tokens.sentence_around(i, offset)

    def sentences_around(self, positions: Sequence[int], offsets: Sequence[int]
                         ) -> list[tuple[int, int] | None]:
        """sentence_around() of several chunks (a page's passages) at once."""
        n = len(self.chunks)
        for i in positions:
            if not 0 <= i < n:
                raise IndexError(i)
        return self._tokens.sentences_around(positions, offsets)

    def df(self, term: str) -> int:
        t = self.vocab.get(term)
        if t is None:
            return 0
        ptr = self.bm25.postings.indptr
        return int(ptr[t + 1] - ptr[t])

    def chunks_with(self, term: str, limit: int) -> list[int]:
        """The positions of the first limit chunks (in collection order) that hold a term."""
        t = self.vocab.get(term)
        if t is None or limit <= 0:
            return []
        ptr = self.bm25.postings.indptr
        lo = int(ptr[t])
        return self.bm25.postings.docs[lo : min(int(ptr[t + 1]), lo + limit)].tolist()

    def docs_with(self, term: str) -> frozenset:
        """Ids of the documents whose passages hold a term."""
        t = self.vocab.get(term)
        if t is None:
            return frozenset()
        ptr = self.bm25.postings.indptr
        where = self.bm25.postings.docs[ptr[t] : ptr[t + 1]]  # the chunks holding it
        docs = self.documents
        if not docs:  # an index held in memory: its chunks name their documents
            return frozenset(self.chunks[int(i)].doc for i in where)
        ends = np.cumsum([int(d.get("chunks", 0)) for d in docs])  # chunks are in document order
        at = np.unique(np.searchsorted(ends, where, side="right"))
        return frozenset(docs[i]["id"] for i in at.tolist() if i < len(docs))

    def neighbours(self, chunk: Chunk, before: int = 1, after: int = 1,
                   at: int | None = None) -> list[Chunk]:
        """The chunk with its neighbours in the same document, in reading order. at: the
        chunk's position when the caller knows it (a search hit's), not looked up by id."""
        i = self.by_id[chunk.id] if at is None else at
        lo, hi = i, i
        while lo > 0 and i - lo < before and self.chunks[lo - 1].doc == chunk.doc:
            lo -= 1
        while hi + 1 < len(self.chunks) and hi - i < after and self.chunks[hi + 1].doc == chunk.doc:
            hi += 1
        return self.chunks[lo : hi + 1]

    @property
    def documents(self) -> list[dict]:
        return list(self.manifest.get("docs", []))


ARRAYS_OF_POSTINGS = ("indptr", "docs", "tfs", "doc_len")
PREFAULT_BYTES = 32 << 20


def _prefault(postings: Postings) -> None:
    """Map the pages of large postings in the background after an index is opened, so that
    the first questions do not pay a page fault per 4 KiB of postings they read (the files are
    usually in the page cache already; this only maps them)."""
    big = [a for a in (postings.docs, postings.tfs) if a.nbytes > PREFAULT_BYTES]
    if not big:
        return
    import threading

    def touch() -> None:
        for a in big:
            int(a.view(np.uint8)[::4096].sum())  # numpy lets go of the GIL while it reads

    threading.Thread(target=touch, name="docbot-prefault", daemon=True).start()

