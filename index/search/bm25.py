"""BM25 over an inverted index, with rank-bm25's exact formulas.

rank-bm25 scores every document for every query term in a Python loop. Here each query term
touches only its postings, so a question costs what it matches, not the collection's size;
the scores equal rank-bm25's for the same variant and parameters (tests check it).

numpy does the arithmetic over postings slices (memory-mapped from the index files) and the
top-k selection; scipy.sparse turns chunk-major term counts into term-major postings (a
counting-sort transpose in C++, O(terms + postings), where numpy could only sort).
"""
from __future__ import annotations

import math
import threading
from collections import Counter
from dataclasses import dataclass
from typing import Iterable, NamedTuple, Sequence

import numpy as np

from . import kernels

VARIANTS = ("okapi", "plus", "l")
# Scores closer than this (relative) are ties, ranked by the tiebreak (chunk id): float sums of
# the same terms in another order differ in the last digits (rank-bm25's own scores of two
# chunks that match alike do), and a ranking should not depend on that.
TIE_RTOL = 1e-9


@dataclass(frozen=True)
class BM25Params:
    variant: str = "okapi"
    k1: float = 1.2
    b: float = 0.75
    epsilon: float = 0.25  # okapi: floor for negative IDF, as a fraction of the mean IDF
    delta: float = 1.0  # plus and l

    def to_dict(self) -> dict:
        return {"variant": self.variant, "k1": self.k1, "b": self.b, "epsilon": self.epsilon,
                "delta": self.delta}


# Chosen by tests/bench/quality.py (SQuAD dev + Cranfield) and the Q&A suite: see README.md.
# BM25Plus also keeps IDF positive and monotonic: BM25Okapi's floor lets a term in most chunks
# ("North Korea" here) outweigh a rarer one.
DEFAULT_PARAMS = BM25Params(variant="plus", k1=0.9, b=0.75, delta=1.0)


class Hit(NamedTuple):
    doc: int  # position of the chunk in the index
    score: float


class Postings(NamedTuple):
    """Term-major sparse matrix: the chunks holding term t are docs[indptr[t]:indptr[t+1]]."""

    indptr: np.ndarray  # int64, n_terms + 1
    docs: np.ndarray  # int32
    tfs: np.ndarray  # int32
    doc_len: np.ndarray  # int32, tokens per chunk


def build_postings(token_lists: Iterable[Sequence[str]], vocab: dict[str, int]) -> Postings:
    """Count terms per chunk; vocab is extended with new terms in order of appearance."""
    term_ids: list[int] = []
    lens: list[int] = []
    get = vocab.get
    for tokens in token_lists:
        lens.append(len(tokens))
        for term in tokens:
            t = get(term)
            if t is None:
                t = vocab[term] = len(vocab)
            term_ids.append(t)
    rows, terms, tfs = count_terms(np.asarray(term_ids, dtype=np.int64), np.asarray(lens, dtype=np.int64))
    return postings_from_forward(chunk_ptr(rows, len(lens)), terms, tfs,
                                 np.asarray(lens, dtype=np.int32), len(vocab))


def count_terms(term_ids: np.ndarray, lens: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Term ids of consecutive chunks (lens[i] of chunk i) -> (chunk, term, tf), sorted by
    chunk then term: the chunk-major counts that Counter-per-chunk gave, for a whole block at
    once."""
    rows = np.repeat(np.arange(len(lens), dtype=np.int64), lens)
    keys, tfs = np.unique((rows << 32) | term_ids, return_counts=True)
    return (keys >> 32), (keys & 0xFFFFFFFF).astype(np.int32), tfs


def chunk_ptr(rows: np.ndarray, n_chunks: int) -> np.ndarray:
    """CSR row pointer (n_chunks + 1) for sorted chunk numbers."""
    ptr = np.zeros(n_chunks + 1, dtype=np.int64)
    np.cumsum(np.bincount(rows, minlength=n_chunks), out=ptr[1:])
    return ptr


def tf_dtype(max_tf: int) -> np.dtype:
    """The smallest type that holds every term frequency: most are 1-3."""
    return np.dtype(np.uint8 if max_tf < 1 << 8 else np.uint16 if max_tf < 1 << 16 else np.int32)


def postings_from_forward(ptr: np.ndarray, terms: np.ndarray, tfs: np.ndarray,
                          doc_len: np.ndarray, n_terms: int) -> Postings:
    """Chunk-major counts (chunk i holds terms[ptr[i]:ptr[i+1]]) -> term-major postings, chunks
    ascending within each term (a sparse transpose)."""
    import scipy.sparse as sp

    n = len(ptr) - 1
    dtype = tf_dtype(int(tfs.max()) if len(tfs) else 0)
    if len(terms) == 0:
        return Postings(np.zeros(n_terms + 1, dtype=np.int64), np.zeros(0, dtype=np.int32),
                        np.zeros(0, dtype=dtype), np.asarray(doc_len, dtype=np.int32))
    m = sp.csr_matrix((tfs.astype(dtype, copy=False), terms, ptr), shape=(n, n_terms), copy=False)
    t = m.tocsc()
    if not t.has_sorted_indices:  # csr->csc visits rows in order, so this does not happen
        t.sort_indices()
    return Postings(t.indptr.astype(np.int64), t.indices.astype(np.int32, copy=False),
                    t.data.astype(dtype, copy=False), np.asarray(doc_len, dtype=np.int32))


def rank_order(scores: np.ndarray, ties: np.ndarray) -> np.ndarray:
    """Positions by descending score; scores within TIE_RTOL of the one above form one group,
    ordered by ties (ascending)."""
    by_score = np.argsort(-scores, kind="stable")
    s = scores[by_score]
    new_group = np.empty(len(s), dtype=bool)
    new_group[:1] = True
    new_group[1:] = s[:-1] - s[1:] > TIE_RTOL * np.abs(s[:-1])
    group = np.cumsum(new_group)
    return by_score[np.lexsort((ties[by_score], group))]


_NO_DOCS = np.zeros(0, dtype=np.int64)
_NO_SCORES = np.zeros(0, dtype=np.float64)


def _arrays(hits: list[Hit]) -> tuple[np.ndarray, np.ndarray]:
    return (np.asarray([h.doc for h in hits], dtype=np.int64),
            np.asarray([h.score for h in hits], dtype=np.float64))


_search_global = None  # maxscore.search_global once imported (numba is imported on first use)
_MARGIN = 0.0  # maxscore.MARGIN, read with it
_NO_FILTER = np.ones(1, dtype=bool)  # what the kernel is given when nothing is filtered
_NO_TIES = np.zeros(1, dtype=np.int64)  # ... and when ties go by chunk number


# The window pass (maxscore._window_rest) from a merged list of n_docs // WINDOW_SHARE chunks
# (at least WINDOW_MIN). At 1M (tests/bench/search_tail.py, one process, 300 questions x 5,
# CPU time) every search's p50 / p95 / p99 were 0.38 / 1.09 / 1.51 ms from a 128th, 0.40 /
# 1.13 / 1.58 from a 64th, 0.41 / 1.27 / 1.66 from a 32nd and 0.42 / 1.13 / 1.54 from the
# first term; without the pass 0.37 / 1.79 / 2.79 (another run).
WINDOW_SHARE = 128
WINDOW_MIN = 4096
WINDOW = 4096  # chunks a window: their sums (float64, 32 KB) stay in the cache; 1,024 and
# 16,384 did no better at 1M

BLOCK = 64  # postings per block whose largest weight is kept for skipping


def block_ptr(indptr: np.ndarray) -> np.ndarray:
    """Where each term's blocks start in the block arrays (n_terms + 1): a term of df
    postings has ceil(df / BLOCK) blocks, block j holding its postings BLOCK*j onwards."""
    per = (np.diff(indptr) + BLOCK - 1) // BLOCK
    out = np.zeros(len(indptr), dtype=np.int64)
    np.cumsum(per, out=out[1:])
    return out


def term_bounds(bm25: "BM25", step: int = 1 << 23) -> tuple[np.ndarray, np.ndarray]:
    """Per term, its largest weight in any chunk (0 for a term no chunk holds), and per block
    of its postings the largest weight there, rounded up to float32; a slice of postings at
    a time (cut at term boundaries) so memory stays bounded."""
    ind = bm25.postings.indptr
    bp = block_ptr(ind)
    n_terms = len(ind) - 1
    out = np.zeros(n_terms, dtype=np.float64)
    blocks = np.zeros(int(bp[-1]), dtype=np.float32)
    t = 0
    while t < n_terms:
        end = int(np.searchsorted(ind, ind[t] + step, side="right")) - 1
        end = min(max(end, t + 1), n_terms)
        lo, hi = int(ind[t]), int(ind[end])
        if hi > lo:
            w = _weights_of_range(bm25, t, end, lo, hi)
            starts = ind[t:end] - lo
            held = ind[t + 1 : end + 1] > ind[t:end]
            out[t:end][held] = np.maximum.reduceat(w, starts[held])
            b0, b1 = int(bp[t]), int(bp[end])
            owner = np.repeat(np.arange(t, end), np.diff(bp[t : end + 1]))
            first = ind[owner] - lo + BLOCK * (np.arange(b0, b1) - bp[owner])
            best = np.maximum.reduceat(w, first)
            up = best.astype(np.float32)
            low = up < best  # rounding to float32 went down: one step up keeps it a bound
            up[low] = np.nextafter(up[low], np.float32(np.inf))
            blocks[b0:b1] = up
        t = end
    return out, blocks


def _weights_of_range(bm25: "BM25", t0: int, t1: int, lo: int, hi: int) -> np.ndarray:
    """The weights of postings lo:hi (terms t0:t1), as term_weights computes them."""
    ind = bm25.postings.indptr
    per = np.repeat(np.arange(t0, t1), np.diff(ind[t0 : t1 + 1]))
    return bm25.formula(bm25.idf[per], bm25.postings.docs[lo:hi], bm25.postings.tfs[lo:hi])


def collection_idf(params: BM25Params, n: int, df: np.ndarray) -> np.ndarray:
    """rank-bm25's IDF of each term for a collection of n chunks (df: chunks holding it)."""
    df = np.asarray(df, dtype=np.float64)
    if params.variant == "okapi":
        idf = np.log(n - df + 0.5) - np.log(df + 0.5)
        # rank-bm25 averages over the terms it has seen (df > 0) and floors negatives only;
        # summed exactly (fsum), so the terms' order (a segmented index's) changes nothing
        seen = idf[df > 0]
        mean = math.fsum(seen.tolist()) / len(seen) if len(seen) else 0.0
        return np.where(idf < 0, params.epsilon * mean, idf)
    if params.variant == "plus":
        return np.log((n + 1) / np.maximum(df, 1))
    return np.log(n + 1) - np.log(df + 0.5)


class BM25:
    """Scores chunks for a bag of query terms (term ids, repeats count as in rank-bm25)."""

    def __init__(self, postings: Postings, params: BM25Params = BM25Params(),
                 term_max: np.ndarray | None = None, block_max: np.ndarray | None = None,
                 idf: np.ndarray | None = None, avgdl: float | None = None) -> None:
        """idf and avgdl: the collection's, when these postings are one segment of it
        (index/search/segments.py); else computed from the postings."""
        if params.variant not in VARIANTS:
            raise ValueError(f"unknown BM25 variant {params.variant!r}; choose one of {VARIANTS}")
        self.p = params
        self.postings = postings
        n = len(postings.doc_len)
        self.n_docs = n
        self.avgdl = (float(postings.doc_len.sum()) / n if n else 0.0) if avgdl is None else avgdl
        if idf is None:
            idf = collection_idf(params, n, np.diff(postings.indptr))
        self.idf = idf
        dl = postings.doc_len.astype(np.float64)
        self.norm = (1 - params.b + params.b * dl / self.avgdl) if self.avgdl else np.ones(n)
        self._k1norm = params.k1 * self.norm
        # the largest contribution of each term to any chunk (stored at build time; computed
        # here for an index held in memory): what lets search skip what cannot reach the top
        if term_max is None or block_max is None:
            term_max, block_max = term_bounds(self)
        self.term_max = term_max
        self.block_max = block_max  # per block of BLOCK postings, its largest weight
        self.block_ptr = block_ptr(postings.indptr)
        self._local = threading.local()  # scratch per thread: searches may run concurrently
        self._codes: tuple[np.ndarray, np.ndarray] | None = None  # _length_codes
        # chunks found past which the search goes on a window of chunks at a time instead
        # of merging the rarer terms into a list (maxscore.taat_candidates); tests set 0
        # (from the first term), more, or a smaller window
        self.window_at = max(WINDOW_MIN, n // WINDOW_SHARE)
        self.window = WINDOW

    def _scratch(self) -> np.ndarray:
        """This thread's score accumulator (zeros between searches)."""
        acc = getattr(self._local, "acc", None)
        if acc is None:
            acc = self._local.acc = np.zeros(self.n_docs, dtype=np.float64)
        return acc

    def _search_scratch(self) -> tuple[np.ndarray, ...]:
        """This thread's scratch for the compiled search: two lists of chunk numbers and two
        of their sums (float32), each as long as the chunks, which it merges back and forth.
        Only the pages a search writes are ever mapped."""
        out = getattr(self._local, "search", None)
        if out is None:
            n = self.n_docs
            out = self._local.search = (np.empty(n, dtype=np.int32), np.empty(n, dtype=np.int32),
                                        np.empty(n, dtype=np.float32),
                                        np.empty(n, dtype=np.float32))
        return out

    def _length_codes(self) -> tuple[np.ndarray, np.ndarray]:
        """(each chunk's length as a byte, 255 for 255 and more; k1norm of lengths 0..254),
        made on the first search: what lets the compiled search read k1norm from a byte per
        chunk (k1n in maxscore.py). The table is computed by the very expression of _k1norm, so
        its floats are the same."""
        codes = self._codes
        if codes is None:
            lens = np.arange(255, dtype=np.float64)
            p = self.p
            tab = (p.k1 * (1 - p.b + p.b * lens / self.avgdl) if self.avgdl
                   else p.k1 * np.ones(255))
            code = np.minimum(self.postings.doc_len, 255).astype(np.uint8)
            codes = self._codes = (code, tab)
        return codes

    def term_weights(self, t: int) -> tuple[np.ndarray, np.ndarray]:
        """(chunks, contribution above baseline(t)) of one occurrence of term t in a query."""
        lo, hi = self.postings.indptr[t], self.postings.indptr[t + 1]
        docs = self.postings.docs[lo:hi]
        return docs, self.weights(t, docs, self.postings.tfs[lo:hi])

    def weights(self, t: int, docs: np.ndarray, tfs: np.ndarray) -> np.ndarray:
        """Contributions of term t to the given chunks, which hold it tfs times."""
        return self.formula(self.idf[t], docs, tfs)

    def formula(self, idf, docs: np.ndarray, tfs: np.ndarray) -> np.ndarray:
        """rank-bm25's term contribution for chunks holding a term tfs times; idf is the
        term's (a number) or each posting's (an array)."""
        tf = tfs.astype(np.float64)
        p = self.p
        if p.variant in ("okapi", "plus"):
            # idf * (tf * (k1 + 1) / (k1 * norm + tf)), the same operations in place
            w = np.multiply(tf, p.k1 + 1)
            denom = self._k1norm[docs]
            denom += tf
            w /= denom
            w *= idf
            return w
        # rank-bm25's BM25L, which multiplies by tf once more than Lv & Zhai's formula
        ctd = tf / self.norm[docs]
        return idf * tf * (p.k1 + 1) * (ctd + p.delta) / (p.k1 + ctd + p.delta)

    def baseline(self, t: int) -> float:
        """What rank-bm25 adds to every chunk, matching or not (BM25Plus's delta)."""
        return float(self.idf[t] * self.p.delta) if self.p.variant == "plus" else 0.0

    def search(self, term_ids: Sequence[int], k: int, tiebreak: np.ndarray | None = None,
               allowed: np.ndarray | None = None) -> list[Hit]:
        """Top-k chunks containing at least one query term, best first; ties by tiebreak rank.

        MaxScore, term at a time, in one compiled call (index/search/maxscore.py): the rarer
        terms' postings are summed whole until the k-th best sum exceeds what the common
        terms could add together; those are then only looked up for the chunks found that
        can still reach the top k. The winners' scores are then summed again in query
        order, so scores and ranking equal scoring every posting (search_all)."""
        top, scores = self.search_arrays(term_ids, k, tiebreak, allowed)
        return [Hit(d, s) for d, s in zip(top.tolist(), scores.tolist())]

    def search_arrays(self, term_ids: Sequence[int], k: int, tiebreak: np.ndarray | None = None,
                      allowed: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """search() as (chunk positions int64, scores float64), best first: what a caller
        that goes on in numpy (the segments' merge) reads without a Hit per chunk."""
        counts = Counter(t for t in term_ids if 0 <= t < len(self.idf))
        ind = self.postings.indptr
        held = [t for t in counts if ind[t + 1] > ind[t]]
        if not held or k <= 0:
            return _NO_DOCS, _NO_SCORES
        if self.p.variant not in ("okapi", "plus") or not kernels.compiled():
            # another formula (no bounds) / numba still loading: the same figures in numpy
            return _arrays(self.search_all(term_ids, k, tiebreak, allowed))
        from .maxscore import MARGIN, search_top  # compiled on first use, not at open

        use_allowed, use_tiebreak = allowed is not None, tiebreak is not None
        code, k1norm_tab = self._length_codes()
        da, db, sa, sb = self._search_scratch()
        top, scores, ok = search_top(
            ind, self.postings.docs, self.postings.tfs, self._k1norm, code, k1norm_tab,
            float(self.p.k1 + 1), self.idf, self.term_max, np.asarray(held, dtype=np.int64),
            np.asarray([counts[t] for t in held], dtype=np.float64),
            float(self.p.delta) if self.p.variant == "plus" else 0.0, int(k),
            allowed if use_allowed else _NO_FILTER, use_allowed,
            tiebreak if use_tiebreak else _NO_TIES, use_tiebreak, MARGIN, TIE_RTOL,
            da, db, sa, sb, self.window_at, self.window)
        if not ok:  # a term of idf <= 0: no bound to prune with
            return _arrays(self.search_all(term_ids, k, tiebreak, allowed))
        return top.astype(np.int64, copy=False), scores.astype(np.float64, copy=False)

    def search_held(self, held: np.ndarray, mult: np.ndarray, k: int, tiebreak: np.ndarray,
                    allowed: np.ndarray | None, run_local: np.ndarray, run_global: np.ndarray,
                    keys: np.ndarray) -> tuple[np.ndarray, ...] | None:
        """search_arrays() of a query already counted, for a segment: held, its distinct
        terms that have postings in query order (int64), mult how often each was asked
        (float64); numba loaded, an okapi or plus index, k > 0 and held not empty. Returns
        (local chunks, scores, chunk numbers by the runs, keys[local]); None: a term of idf
        <= 0 (search_arrays answers it). The segments' search calls it without recounting."""
        global _search_global, _MARGIN
        if _search_global is None:
            from .maxscore import MARGIN as _MARGIN, search_global as _search_global
        use_allowed = allowed is not None
        code, k1norm_tab = self._length_codes()
        da, db, sa, sb = self._search_scratch()
        top, scores, g, key, ok = _search_global(
            self.postings.indptr, self.postings.docs, self.postings.tfs, self._k1norm, code,
            k1norm_tab, float(self.p.k1 + 1), self.idf, self.term_max, held, mult,
            float(self.p.delta) if self.p.variant == "plus" else 0.0, int(k),
            allowed if use_allowed else _NO_FILTER, use_allowed, tiebreak, _MARGIN,
            TIE_RTOL, da, db, sa, sb, self.window_at, self.window, run_local, run_global, keys)
        if not ok:
            return None
        return top, scores, g, key

    def search_all(self, term_ids: Sequence[int], k: int, tiebreak: np.ndarray | None = None,
                   allowed: np.ndarray | None = None) -> list[Hit]:
        """search() by scoring every posting of every query term (the reference).

        Costs what the query's postings hold: scores accumulate in a dense array that only
        the touched chunks are read from and reset in, and the k best are picked with a
        partition over the touched entries (a chunk appears once per matching query term)
        instead of sorting or de-duplicating every candidate."""
        counts = Counter(t for t in term_ids if 0 <= t < len(self.idf))
        if not counts or k <= 0:
            return []
        acc = self._scratch()
        base = 0.0
        touched = []
        for t, c in counts.items():
            docs, w = self.term_weights(t)
            if len(docs) == 0:
                continue
            np.add.at(acc, docs, w if c == 1 else c * w)  # docs are distinct within a term
            base += c * self.baseline(t)
            touched.append(docs)
        if not touched:
            return []
        cand = touched[0] if len(touched) == 1 else np.concatenate(touched)
        scores = acc[cand]
        acc[cand] = 0.0
        if base:
            scores += base
        if allowed is not None:
            keep = allowed[cand]
            cand, scores = cand[keep], scores[keep]
        repeats = len(touched)  # the most times one chunk can occur in cand
        m = k * repeats  # the m best entries hold at least k distinct chunks (or all of them)
        if len(cand) > 64 * m:
            # A cheap lower bound first: the m-th best of every 16th entry is at most the k-th
            # best chunk's score, so the entries below it can go before the exact selection.
            sample = scores[::16]
            if len(sample) > m:
                floor = np.partition(sample, len(sample) - m)[len(sample) - m]
                keep = scores >= floor - TIE_RTOL * abs(floor)
                cand, scores = cand[keep], scores[keep]
        if len(cand) > m:
            # The k-th best of the m best entries' chunks is the k-th best overall; every chunk
            # tied with it stays for the tiebreak.
            top = np.argpartition(scores, len(scores) - m)[len(scores) - m :]
            best = scores[top]
            if repeats > 1:
                best = best[np.unique(cand[top], return_index=True)[1]]
            kth = np.partition(best, len(best) - k)[len(best) - k]
            keep = scores >= kth - TIE_RTOL * abs(kth)
            cand, scores = cand[keep], scores[keep]
        if repeats > 1 and len(cand) > 1:
            cand, first = np.unique(cand, return_index=True)
            scores = scores[first]
        ties = tiebreak[cand] if tiebreak is not None else cand
        order = rank_order(scores, ties)[:k]
        return [Hit(int(cand[i]), float(scores[i])) for i in order]

    def scores_for(self, term_ids: Sequence[int]) -> np.ndarray:
        """Dense scores for every chunk (what rank-bm25's get_scores returns)."""
        out = np.zeros(self.n_docs, dtype=np.float64)
        for t in term_ids:
            if 0 <= t < len(self.idf):
                docs, w = self.term_weights(t)
                out += self.baseline(t)
                out[docs] += w
        return out
