"""MaxScore document-at-a-time over postings lists, compiled (numba) and free of the GIL.

Why compiled: a real question carries common words whose postings run to hundreds of
thousands of entries at a million passages. Term-at-a-time numpy must score every one of
them before it knows what the top k needs; walking the lists document by document can skip
a common term's postings as soon as the k-th best score so far exceeds what the rarer terms
alone could reach, but only a compiled loop makes that walk cheap. Released from the GIL, it
lets several askers search at once.

The kernel only chooses candidates: every chunk whose score can come within `margin`
(relative) of the k-th best, with its score summed in some order. BM25.search scores the
survivors again in query order, so the figures equal scoring every posting.
"""
from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True, nogil=True, inline="always")
def _weight(tf: float, k1p1: float, k1norm_d: float, idf: float, mult: float) -> float:
    # the operations of BM25.formula in its order, so the floats agree to the last digits
    w = tf * k1p1
    w = w / (k1norm_d + tf)
    w = w * idf
    if mult != 1.0:
        w = mult * w
    return w


@njit(cache=True, nogil=True, inline="always")
def _seek(docs: np.ndarray, lo: int, hi: int, d: int) -> int:
    """The first position in docs[lo:hi] (sorted) holding a chunk >= d: galloping, then
    binary search, since the next match is usually close."""
    if lo >= hi or docs[lo] >= d:
        return lo
    step = 1
    prev = lo
    cur = lo + 1
    while cur < hi and docs[cur] < d:
        prev = cur
        step *= 2
        cur = lo + step
    if cur > hi:
        cur = hi
    a, b = prev + 1, cur
    while a < b:
        m = (a + b) >> 1
        if docs[m] < d:
            a = m + 1
        else:
            b = m
    return a


@njit(cache=True, nogil=True, inline="always")
def _complete(s: float, d: int, top: int, docs: np.ndarray, tfs: np.ndarray, pos: np.ndarray,
              end: np.ndarray, upto: np.ndarray, cut: float, k1p1: float, k1norm: np.ndarray,
              idf: np.ndarray, mult: np.ndarray):
    """(chunk d's score s completed over the rarer terms top-1 .. 0, each found by seeking
    from pos[i], which advances; whether it can still reach cut): it stops as soon as the
    terms left could not lift it there."""
    for i in range(top - 1, -1, -1):
        if s + upto[i] < cut:
            return s, False
        p = _seek(docs, pos[i], end[i], d)
        pos[i] = p
        if p < end[i] and docs[p] == d:
            s += _weight(float(tfs[p]), k1p1, k1norm[d], idf[i], mult[i])
    return s, True


@njit(cache=True, nogil=True, inline="always")
def _keep_above(out_d: np.ndarray, out_s: np.ndarray, n: int, cut: float) -> int:
    """Keep, in order, the first n candidates scoring at least cut; how many are kept."""
    m = 0
    for j in range(n):
        if out_s[j] >= cut:
            out_d[m] = out_d[j]
            out_s[m] = out_s[j]
            m += 1
    return m


@njit(cache=True, nogil=True)
def _heap_push(heap: np.ndarray, size: int, v: float) -> int:
    i = size
    heap[i] = v
    while i > 0:
        p = (i - 1) >> 1
        if heap[p] <= heap[i]:
            break
        heap[p], heap[i] = heap[i], heap[p]
        i = p
    return size + 1


@njit(cache=True, nogil=True)
def _heap_replace_min(heap: np.ndarray, size: int, v: float) -> None:
    heap[0] = v
    i = 0
    while True:
        a = 2 * i + 1
        if a >= size:
            break
        b = a + 1
        c = b if b < size and heap[b] < heap[a] else a
        if heap[i] <= heap[c]:
            break
        heap[i], heap[c] = heap[c], heap[i]
        i = c


@njit(cache=True, nogil=True)
def candidates(indptr: np.ndarray, docs: np.ndarray, tfs: np.ndarray, k1norm: np.ndarray,
               k1p1: float, terms: np.ndarray, idf: np.ndarray, mult: np.ndarray,
               bound: np.ndarray, block_ptr: np.ndarray, block_max: np.ndarray, block: int,
               k: int, allowed: np.ndarray, use_allowed: bool, margin: float):
    """(chunks ascending, their scores) that can reach the top k, for query terms sorted by
    bound ascending (bound: the most a term adds to any chunk, mult times). Terms whose
    bounds together stay below the k-th best so far are not essential: a chunk is only
    visited when an essential term holds it, and the others are looked up for it while it
    can still reach the k-th best. A block of an essential term's postings whose largest
    weight, with every other term's bound, stays below the k-th best is skipped whole."""
    n = len(terms)
    pos = np.empty(n, dtype=np.int64)
    end = np.empty(n, dtype=np.int64)
    upto = np.empty(n, dtype=np.float64)  # the bounds of terms 0..i together
    acc = 0.0
    for i in range(n):
        pos[i] = indptr[terms[i]]
        end[i] = indptr[terms[i] + 1]
        acc += bound[i]
        upto[i] = acc * (1.0 + margin)
    other = np.empty(n, dtype=np.float64)  # the bounds of all terms but i together
    for i in range(n):
        other[i] = (acc - bound[i]) * (1.0 + margin)
    heap = np.empty(k, dtype=np.float64)
    size = 0
    cut = -np.inf  # k-th best so far, less the margin
    first = 0  # terms[first:] are essential
    cap = 1024
    out_d = np.empty(cap, dtype=np.int64)
    out_s = np.empty(cap, dtype=np.float64)
    n_out = 0
    # A first threshold from the chunks of the term with the highest bound (a list the walk
    # below reads whole anyway), fully scored: the k-th best of real chunks is a lower bound
    # of the final k-th best, so the walk skips common terms from its first chunk on.
    last = n - 1
    for p0 in range(pos[last], end[last]):
        d = docs[p0]
        if use_allowed and not allowed[d]:
            continue
        s, alive = _complete(_weight(float(tfs[p0]), k1p1, k1norm[d], idf[last], mult[last]),
                             d, last, docs, tfs, pos, end, upto, cut, k1p1, k1norm, idf, mult)
        if not alive:
            continue
        if size < k:
            size = _heap_push(heap, size, s)
        elif s > heap[0]:
            _heap_replace_min(heap, size, s)
        if size == k:
            cut = heap[0] - margin * abs(heap[0])
    for i in range(n):
        pos[i] = indptr[terms[i]]
    size = 0
    while first < n and upto[first] < cut:
        first += 1
    big = np.iinfo(np.int64).max
    while first < n:
        d = big
        for i in range(first, n):
            p = pos[i]
            start = indptr[terms[i]]
            b0 = block_ptr[terms[i]]
            while p < end[i]:
                b = b0 + (p - start) // block
                if block_max[b] * mult[i] * (1.0 + margin) + other[i] >= cut:
                    break
                p = start + (b - b0 + 1) * block  # none of this block can reach the top k
            if p > end[i]:
                p = end[i]
            pos[i] = p
            if p < end[i]:
                x = docs[p]
                if x < d:
                    d = x
        if d == big:
            break
        s = 0.0
        for i in range(first, n):
            p = pos[i]
            if p < end[i] and docs[p] == d:
                s += _weight(float(tfs[p]), k1p1, k1norm[d], idf[i], mult[i])
                pos[i] = p + 1
        if use_allowed and not allowed[d]:
            continue
        s, alive = _complete(s, d, first, docs, tfs, pos, end, upto, cut, k1p1, k1norm, idf,
                             mult)
        if not alive or s < cut:
            continue
        if n_out == cap:  # drop what fell below the k-th best, grow if that is not enough
            n_out = _keep_above(out_d, out_s, n_out, cut)
            if n_out * 2 > cap:
                cap *= 2
                nd = np.empty(cap, dtype=np.int64)
                ns = np.empty(cap, dtype=np.float64)
                nd[:n_out] = out_d[:n_out]
                ns[:n_out] = out_s[:n_out]
                out_d, out_s = nd, ns
        out_d[n_out] = d
        out_s[n_out] = s
        n_out += 1
        if size < k:
            size = _heap_push(heap, size, s)
        elif s > heap[0]:
            _heap_replace_min(heap, size, s)
        if size == k:
            cut = max(cut, heap[0] - margin * abs(heap[0]))
            while first < n and upto[first] < cut:
                first += 1
    m = _keep_above(out_d, out_s, n_out, cut)
    return out_d[:m].copy(), out_s[:m].copy()


@njit(cache=True, nogil=True)
def exact_scores(indptr: np.ndarray, docs: np.ndarray, tfs: np.ndarray, k1norm: np.ndarray,
                 k1p1: float, terms: np.ndarray, idf: np.ndarray, mult: np.ndarray,
                 cand: np.ndarray, base: float) -> np.ndarray:
    """Scores of the chunks cand (ascending), summed term by term in the order given, then
    the baseline: the additions BM25.search_all makes, in its order, so the same floats."""
    out = np.zeros(len(cand), dtype=np.float64)
    for i in range(len(terms)):
        t = terms[i]
        p, hi = indptr[t], indptr[t + 1]
        for j in range(len(cand)):
            d = cand[j]
            p = _seek(docs, p, hi, d)
            if p < hi and docs[p] == d:
                out[j] += _weight(float(tfs[p]), k1p1, k1norm[d], idf[i], mult[i])
    if base != 0.0:
        for j in range(len(cand)):
            out[j] += base
    return out
