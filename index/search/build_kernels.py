"""Compiled loops of a large index build (index/search/build.py): each term's and each block's
largest BM25 weight, in one pass over the postings without the float64 arrays the numpy path
(bm25.term_bounds) makes for every posting. The same floats: the weight is computed by the
same operations in the same order (tests/test_bm25.py compares the two).
"""
from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True, nogil=True)
def okapi_bounds(indptr: np.ndarray, docs: np.ndarray, tfs: np.ndarray, idf: np.ndarray,
                 k1norm: np.ndarray, k1: float, block: int):
    """(per term its largest weight idf * (tf * (k1 + 1) / (k1norm + tf)), 0 without
    postings; per block of `block` postings of a term, its largest weight as float32 rounded
    up), blocks laid out as bm25.block_ptr lays them out."""
    n_terms = len(indptr) - 1
    out = np.zeros(n_terms, dtype=np.float64)
    n_blocks = 0
    for t in range(n_terms):
        n_blocks += (indptr[t + 1] - indptr[t] + block - 1) // block
    blocks = np.zeros(n_blocks, dtype=np.float32)
    kp1 = k1 + 1
    b = 0
    for t in range(n_terms):
        lo, hi = indptr[t], indptr[t + 1]
        if hi == lo:
            continue
        w_idf = idf[t]
        best_t = -np.inf
        for start in range(lo, hi, block):
            best = -np.inf
            for j in range(start, min(start + block, hi)):
                tf = np.float64(tfs[j])
                w = tf * kp1
                w /= k1norm[docs[j]] + tf
                w *= w_idf
                if w > best:
                    best = w
            up = np.float32(best)
            if np.float64(up) < best:  # rounding to float32 went down: one step up
                up = np.nextafter(up, np.float32(np.inf))
            blocks[b] = up
            b += 1
            if best > best_t:
                best_t = best
        out[t] = best_t
    return out, blocks


@njit(cache=True, nogil=True)
def chunk_counts(rows: np.ndarray, terms: np.ndarray, n: int):
    """A worker's chunk-major counts of (row, term) pairs given with rows ascending, as the
    np.unique of row << 32 | term in build.py gives them, a small sort per chunk instead of
    one of every token: (sorted, doc_len int32, ptr int64 (n + 1), terms int32, tfs int64);
    sorted False (and the rest empty) when rows were not ascending."""
    doc_len = np.zeros(n, dtype=np.int32)
    ptr = np.zeros(n + 1, dtype=np.int64)
    for i in range(len(rows)):
        if i and rows[i] < rows[i - 1]:
            return False, doc_len, ptr, np.zeros(0, np.int32), np.zeros(0, np.int64)
        doc_len[rows[i]] += 1
    out_terms = np.empty(len(terms), dtype=np.int32)
    out_tfs = np.empty(len(terms), dtype=np.int64)
    seg = np.empty(64, dtype=terms.dtype)
    m = 0
    lo = 0
    for r in range(n):
        hi = lo + doc_len[r]
        k = hi - lo
        if k > 64:
            seg = np.sort(terms[lo:hi])
        else:  # insertion sort in place: most chunks hold a few dozen tokens
            for i in range(k):
                v = terms[lo + i]
                j = i
                while j > 0 and seg[j - 1] > v:
                    seg[j] = seg[j - 1]
                    j -= 1
                seg[j] = v
        j = 0
        while j < k:
            t = seg[j]
            e = j + 1
            while e < k and seg[e] == t:
                e += 1
            out_terms[m] = t
            out_tfs[m] = e - j
            m += 1
            j = e
        if len(seg) != 64:
            seg = np.empty(64, dtype=terms.dtype)
        ptr[r + 1] = m
        lo = hi
    return True, doc_len, ptr, out_terms[:m].copy(), out_tfs[:m].copy()



@njit(cache=True, nogil=True)
def scatter_postings(cursor: np.ndarray, out_rows: np.ndarray, out_tfs: np.ndarray,
                     terms: np.ndarray, tptr: np.ndarray, rows: np.ndarray, tfs: np.ndarray,
                     base: int) -> None:
    """One batch's postings into their terms' places: the batch holds term terms[i] (a
    vocabulary id, -1 for none) in rows[tptr[i]:tptr[i + 1]] (its own rows, from base);
    cursor[t] is where term t's next postings go (advanced). Batches taken in order leave
    each term's rows ascending."""
    for i in range(len(terms)):
        t = terms[i]
        lo, hi = tptr[i], tptr[i + 1]
        if t < 0:
            continue
        o = cursor[t]
        for j in range(lo, hi):
            out_rows[o] = rows[j] + base
            out_tfs[o] = tfs[j]
            o += 1
        cursor[t] = o
