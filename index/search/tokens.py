"""Per-chunk tokens stored at build time: the term ids of a chunk's text in text order, their
character offsets and the sentence breaks, so that answering (highlighting, rescoring) reads a
few slices of memory-mapped arrays instead of analyzing passages again.

Layout (all flat arrays, chunk i's rows at ptr[i]:ptr[i+1]):
    tok_ptr (n + 1), tok_terms (vocabulary ids), tok_start, tok_end (offsets in chunk.text)
    sent_ptr (n + 1), sent_tok (token index where each sentence starts), sent_start, sent_end
A token of the section heading is not a token of the text; the postings count both.
"""
from __future__ import annotations

from typing import Callable, Iterable, NamedTuple, Sequence

import numpy as np

from .analyze import Analyzer, TermIds
from ..sentences import sentence_arrays, sentence_spans

TOKEN_ARRAYS = ("tok_ptr", "tok_terms", "tok_start", "tok_end",
                "sent_ptr", "sent_tok", "sent_start", "sent_end")


class ChunkTokens(NamedTuple):
    terms: np.ndarray  # int32 vocabulary ids in text order (-1: a term only the heading's
    #                    analysis gave, so the vocabulary lacks it; rare)
    starts: np.ndarray  # int32 character offsets into chunk.text
    ends: np.ndarray  # int32
    sentences: np.ndarray  # int32 token index where each sentence starts (the first is 0)


def offset_dtype(max_offset: int) -> np.dtype:
    """Offsets in a passage fit 16 bits (passages are short); int32 otherwise."""
    return np.dtype(np.uint16 if max_offset < 1 << 16 else np.int32)


class TokenRuns(list):
    """ChunkTokens of several chunks (a list), with the flat arrays they are slices of:
    runs = (token bounds per chunk, terms, starts, ends, sentence bounds per chunk, sentence
    starts), so the second stage's compiled loops read them as they are, not joined again;
    empty until a caller joins them (the second stage keeps what it joined here)."""

    runs: tuple = ()


class StoredTokens:
    """Chunk tokens and sentence spans over the flat arrays (memory-mapped or in memory)."""

    def __init__(self, arrays: dict[str, np.ndarray]) -> None:
        a = {name: np.asarray(arrays[name]).view(np.ndarray) for name in TOKEN_ARRAYS}
        self._tp, self._terms = a["tok_ptr"], a["tok_terms"]
        self._ts, self._te = a["tok_start"], a["tok_end"]
        self._sp, self._stok = a["sent_ptr"], a["sent_tok"]
        self._ss, self._se = a["sent_start"], a["sent_end"]

    def __len__(self) -> int:
        return len(self._tp) - 1

    def tokens(self, i: int) -> ChunkTokens:
        lo, hi = int(self._tp[i]), int(self._tp[i + 1])
        slo, shi = int(self._sp[i]), int(self._sp[i + 1])
        return ChunkTokens(self._terms[lo:hi], self._ts[lo:hi].astype(np.int32),
                           self._te[lo:hi].astype(np.int32),
                           self._stok[slo:shi].astype(np.int32))

    def mapped(self, rows: Sequence[int], vocab_ids: np.ndarray,
               local_ids: np.ndarray) -> list[ChunkTokens]:
        """tokens() of several chunks, terms as kernels.remap gives them (vocab_ids[j] ->
        local_ids[j], others -1): one compiled call for all, numpy until numba is loaded."""
        from . import kernels

        if not kernels.compiled():
            out = []
            for i in rows:
                t = self.tokens(i)
                out.append(t._replace(terms=kernels.remap_reference(t.terms, vocab_ids, local_ids)))
            return out
        from ..answering.rescore_kernel import gather

        t_ptr, terms, starts, ends, s_ptr, sents = gather(
            self._tp, self._terms, self._ts, self._te, self._sp, self._stok,
            np.asarray(rows, dtype=np.int64), vocab_ids, local_ids)
        t, s = t_ptr.tolist(), s_ptr.tolist()
        out = TokenRuns()
        add, new = out.append, tuple.__new__  # (ChunkTokens' own __new__ is a Python call)
        for a, b, c, d in zip(t, t[1:], s, s[1:]):
            add(new(ChunkTokens, (terms[a:b], starts[a:b], ends[a:b], sents[c:d])))
        out.runs = (t_ptr, terms, starts, ends, s_ptr, sents)
        return out

    def sentence_spans(self, i: int) -> np.ndarray:
        """(start, end) character offsets in chunk.text of each sentence, shape (k, 2)."""
        slo, shi = int(self._sp[i]), int(self._sp[i + 1])
        return np.stack([self._ss[slo:shi], self._se[slo:shi]], axis=1).astype(np.int32)

    def sentence_pairs(self, i: int) -> list[tuple[int, int]]:
        """sentence_spans(i) as a list of (start, end): what highlighting iterates over."""
        slo, shi = int(self._sp[i]), int(self._sp[i + 1])
        return list(zip(self._ss[slo:shi].tolist(), self._se[slo:shi].tolist()))

    def sentence_around(self, i: int, offset: int) -> tuple[int, int] | None:
        """The first of sentence_pairs(i) that holds offset, else None; no list of them made."""
        slo, shi = int(self._sp[i]), int(self._sp[i + 1])
        for s, e in zip(self._ss[slo:shi].tolist(), self._se[slo:shi].tolist()):
            if s <= offset < e:
                return s, e
        return None

    def sentences_around(self, rows: Sequence[int], offsets: Sequence[int]
                         ) -> list[tuple[int, int] | None]:
        """sentence_around(i, offset) of each row and offset (0 <= i < len): one compiled
        call for a page's passages when numba is loaded."""
        from . import kernels

        if not kernels.compiled():
            return [self.sentence_around(i, o) for i, o in zip(rows, offsets)]
        from ..answering.rank_kernels import sentences_around

        got = sentences_around(self._sp, self._ss, self._se, np.asarray(rows, dtype=np.int64),
                               np.asarray(offsets, dtype=np.int64)).tolist()
        return [None if s < 0 else (s, e) for s, e in got]


def sentences_of(text: str) -> list[tuple[int, int]]:
    """The sentences highlighting chooses from: at least one, the whole text if need be."""
    return sentence_spans(text) or [(0, len(text))]


class TokenBlock(NamedTuple):
    """Tokens and sentences of a run of chunks, rows numbered from 0 within the run."""

    tok_count: np.ndarray  # int64 per chunk
    tok_terms: np.ndarray  # int32 (the analyzing process's term ids)
    tok_start: np.ndarray  # int32
    tok_end: np.ndarray
    sent_count: np.ndarray  # int64 per chunk
    sent_tok: np.ndarray  # int32
    sent_start: np.ndarray  # int32
    sent_end: np.ndarray


def text_tokens(term_ids: TermIds, sections: Sequence[str], bodies: Sequence[str]
                ) -> tuple[np.ndarray, np.ndarray, TokenBlock]:
    """Analyze chunks' index texts ('section\\ntext') once: (term ids, row) of every term for
    the postings, and the tokens of the texts alone with offsets into them."""
    texts = [f"{s}\n{b}" if s else b for s, b in zip(sections, bodies)]
    terms, rows, starts, ends = term_ids.tokens(texts)
    off = np.fromiter((len(s) + 1 if s else 0 for s in sections), dtype=np.int64,
                      count=len(sections))
    o = off[rows]
    keep = starts >= o
    # an alias name that runs from the heading into the text ("North" / "Korea ..."): the
    # text alone is analyzed for those chunks
    straddle = np.unique(rows[(starts < o) & (ends >= o)])
    t_terms, t_rows = terms[keep], rows[keep]
    t_start, t_end = (starts[keep] - o[keep]).astype(np.int32), (ends[keep] - o[keep]).astype(np.int32)
    if len(straddle):
        redo = ~np.isin(t_rows, straddle)
        parts = [(t_terms[redo], t_rows[redo], t_start[redo], t_end[redo])]
        vocab = term_ids.vocab
        for r in straddle.tolist():
            toks = term_ids.analyzer.tokens(bodies[r])
            parts.append((np.array([vocab.get(t.term, -1) for t in toks], dtype=np.int32),
                          np.full(len(toks), r, dtype=np.int64),
                          np.array([t.start for t in toks], dtype=np.int32),
                          np.array([t.end for t in toks], dtype=np.int32)))
        t_terms, t_rows, t_start, t_end = (np.concatenate(x) for x in zip(*parts))
        order = np.argsort(t_rows, kind="stable")
        t_terms, t_rows, t_start, t_end = t_terms[order], t_rows[order], t_start[order], t_end[order]
    return terms, rows, _with_sentences(bodies, t_terms, t_rows, t_start, t_end)


def _with_sentences(bodies: Sequence[str], terms: np.ndarray, rows: np.ndarray,
                    starts: np.ndarray, ends: np.ndarray) -> TokenBlock:
    n = len(bodies)
    tok_count = np.bincount(rows, minlength=n).astype(np.int64)
    sent_count, sent_start, sent_end = sentence_arrays(bodies)
    s_rows = np.repeat(np.arange(n, dtype=np.int64), sent_count)
    tok_ptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(tok_count, out=tok_ptr[1:])
    # a sentence's first token: the first token starting at or after the sentence's start
    keys = (rows.astype(np.int64) << 32) | starts.astype(np.int64)
    at = np.searchsorted(keys, (s_rows << 32) | sent_start) - tok_ptr[s_rows]
    return TokenBlock(tok_count, terms.astype(np.int32), starts.astype(np.int32),
                      ends.astype(np.int32), sent_count, at.astype(np.int32), sent_start, sent_end)


def analyzed_tokens(analyzer: Analyzer, bodies: Iterable[str],
                    term_id: Callable[[str], int | None]) -> dict[str, np.ndarray]:
    """The stored token arrays for chunks analyzed one by one (an index held in memory)."""
    bodies = list(bodies)
    terms, rows, starts, ends = [], [], [], []
    for r, b in enumerate(bodies):
        for t in analyzer.tokens(b):
            tid = term_id(t.term)
            terms.append(-1 if tid is None else tid)
            rows.append(r)
            starts.append(t.start)
            ends.append(t.end)
    block = _with_sentences(bodies, np.array(terms, dtype=np.int32),
                            np.array(rows, dtype=np.int64), np.array(starts, dtype=np.int32),
                            np.array(ends, dtype=np.int32))
    return join_blocks([block], [None])


def map_terms(ids: np.ndarray, terms: np.ndarray) -> np.ndarray:
    """Term ids through a map (ids[t]); -1 stays -1."""
    return np.where(terms >= 0, ids[terms], -1).astype(np.int32)


def concat_blocks(blocks: Sequence[TokenBlock]) -> TokenBlock:
    if not blocks:
        return TokenBlock(*(np.zeros(0, np.int64 if f.endswith("count") else np.int32)
                            for f in TokenBlock._fields))
    return TokenBlock(*(np.concatenate(x) for x in zip(*blocks)))


def join_blocks(blocks: Sequence[TokenBlock], maps: Sequence[np.ndarray | None]
                ) -> dict[str, np.ndarray]:
    """The stored arrays of consecutive blocks held in memory; maps[j] turns block j's term
    ids into vocabulary ids (None: they are already)."""
    def cat(name, dtype):
        parts = [getattr(b, name) for b in blocks]
        return np.concatenate(parts).astype(dtype) if parts else np.zeros(0, dtype)

    def ptr(name):
        out = np.zeros(1 + sum(len(getattr(b, name)) for b in blocks), dtype=np.int64)
        if len(out) > 1:
            np.cumsum(cat(name, np.int64), out=out[1:])
        return out

    terms = [b.tok_terms if m is None else map_terms(m, b.tok_terms) for b, m in zip(blocks, maps)]
    return {"tok_ptr": ptr("tok_count"),
            "tok_terms": np.concatenate(terms).astype(np.int32) if terms else np.zeros(0, np.int32),
            "tok_start": cat("tok_start", np.int32), "tok_end": cat("tok_end", np.int32),
            "sent_ptr": ptr("sent_count"), "sent_tok": cat("sent_tok", np.int32),
            "sent_start": cat("sent_start", np.int32), "sent_end": cat("sent_end", np.int32)}
