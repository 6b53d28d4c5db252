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
def token_runs(rows: np.ndarray, terms: np.ndarray, n: int, n_terms: int):
    """A worker's term-major counts of the (row, term) of its tokens, rows ascending: what
    build.term_runs of the chunk-major np.unique counts gives, without a sort (a counting
    sort by term over the pairs, met in row order). (sorted, doc_len int32, the terms held
    ascending int32, where each one's run starts (n + 1) int64, the runs' rows int32, their
    counts int64); sorted False (and the rest empty) when rows were not ascending."""
    doc_len = np.zeros(n, dtype=np.int32)
    empty = np.zeros(0, dtype=np.int32)
    for i in range(len(rows)):
        if i and rows[i] < rows[i - 1]:
            return False, doc_len, empty, np.zeros(1, np.int64), empty, np.zeros(0, np.int64)
        doc_len[rows[i]] += 1
    seen = np.full(n_terms, -1, dtype=np.int64)  # the last row holding each term
    slot = np.zeros(n_terms, dtype=np.int64)  # and where its pair of that row is
    df = np.zeros(n_terms, dtype=np.int64)
    p_row = np.empty(len(rows), dtype=np.int32)
    p_term = np.empty(len(rows), dtype=np.int32)
    p_tf = np.zeros(len(rows), dtype=np.int64)
    m = 0
    for i in range(len(rows)):
        t = terms[i]
        if seen[t] != rows[i]:
            seen[t] = rows[i]
            slot[t] = m
            p_row[m] = rows[i]
            p_term[m] = t
            p_tf[m] = 1
            df[t] += 1
            m += 1
        else:
            p_tf[slot[t]] += 1
    held = 0
    for t in range(n_terms):
        if df[t]:
            held += 1
    tterms = np.empty(held, dtype=np.int32)
    tptr = np.zeros(held + 1, dtype=np.int64)
    h = 0
    for t in range(n_terms):
        if df[t]:
            slot[t] = tptr[h]  # now: where term t's next row goes
            tterms[h] = t
            tptr[h + 1] = tptr[h] + df[t]
            h += 1
    out_rows = np.empty(m, dtype=np.int32)
    out_tfs = np.empty(m, dtype=np.int64)
    for k in range(m):  # pairs in row order: each term's rows come out ascending
        t = p_term[k]
        o = slot[t]
        out_rows[o] = p_row[k]
        out_tfs[o] = p_tf[k]
        slot[t] = o + 1
    return True, doc_len, tterms, tptr, out_rows, out_tfs


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
