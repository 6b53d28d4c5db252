"""MaxScore over postings lists, term at a time, compiled (numba) and free of the GIL.

Why compiled: a real question carries common words whose postings run to hundreds of
thousands of entries at a million passages. Scoring every posting (what rank-bm25 and bm25s
do) costs what those lists hold; MaxScore adds up only the rarer terms' postings, and once
the k-th best sum so far exceeds all the common terms together could add, no chunk they
alone hold can reach the top k: the common terms are then only looked up, by seeking, for
the chunks already found that can still get there. Term at a time, each rare list is merged
into a list of (chunk, sum so far) kept in chunk order: both are read and written straight
through. But when several mid-frequency terms must all be added up, each merge copies the
whole list, and the chunks found are many to look up in the common terms: then
(_window_rest) the search goes on a window of chunks at a time (bm25.WINDOW), the
essential terms added into the window's sums (in the cache), the chunks found completed
there, the k-th best rising as it goes, so that terms stop being essential window by
window. At a million passages it took the slowest questions from 2.5-3.4 ms to 1.5-2.1
(tests/bench/search_tail.py); a dense pass (one sum per chunk for the whole collection, 4
MB) measured before it did no better with warm caches and lost when other work took them.
Released from the GIL, it lets several askers search at once.

taat_candidates only chooses candidates: every chunk whose score can come within `margin`
(relative) of the k-th best, with its score summed in some order. search_top scores the
survivors again in query order and ranks them, so the figures equal scoring every posting
(BM25.search_all).
"""
from __future__ import annotations

import numpy as np
from numba import njit

PROBE = 64  # chunks scored whole after each rare term, for a threshold
MARGIN = 1e-5  # relative slack on bounds and thresholds: float32 sums, sums in another order
READ_THROUGH = 3  # a common list shorter than this times the chunks to look up is read through


@njit(cache=True, nogil=True, inline="always")
def _weight(tf: float, k1p1: float, k1norm_d: float, idf: float, mult: float) -> float:
    # the operations of BM25.formula in its order, so the floats agree to the last digits
    w = tf * k1p1
    w = w / (k1norm_d + tf)
    w = w * idf
    if mult != 1.0:
        w = mult * w
    return w


# k1norm[d] is read from a table by chunk length where the length fits a byte (code[d] <
# 255: k1norm_tab[code[d]], the same float, the table being computed by the same
# expression), from a byte per chunk instead of eight, so the random reads of a long list
# stay in the cache. It is written out in each loop ("k1n" below): as a function taking the
# arrays, even inlined, it made a posting's weight cost four times as much.


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


@njit(cache=True, nogil=True, inline="always")
def _offer(heap: np.ndarray, size: int, k: int, v: float) -> int:
    """v into a min-heap of the k largest values offered; the new size."""
    if size < k:
        return _heap_push(heap, size, v)
    if v > heap[0]:
        _heap_replace_min(heap, size, v)
    return size


@njit(cache=True, nogil=True, inline="always")
def _offer_pair(hv: np.ndarray, hd: np.ndarray, size: int, v: float, d: int) -> int:
    """(v, d) into a min-heap (by v) of the len(hv) largest values offered; the new size."""
    m = len(hv)
    if size < m:
        i = size
        hv[i], hd[i] = v, d
        while i > 0:
            p = (i - 1) >> 1
            if hv[p] <= hv[i]:
                break
            hv[p], hv[i] = hv[i], hv[p]
            hd[p], hd[i] = hd[i], hd[p]
            i = p
        return size + 1
    if v <= hv[0]:
        return size
    hv[0], hd[0] = v, d
    i = 0
    while True:
        a = 2 * i + 1
        if a >= size:
            break
        b = a + 1
        c = b if b < size and hv[b] < hv[a] else a
        if hv[i] <= hv[c]:
            break
        hv[i], hv[c] = hv[c], hv[i]
        hd[i], hd[c] = hd[c], hd[i]
        i = c
    return size


@njit(cache=True, nogil=True)
def _kth_of_completed(hd: np.ndarray, hv: np.ndarray, size: int, k: int, indptr: np.ndarray,
                      docs: np.ndarray, tfs: np.ndarray, k1norm: np.ndarray, code: np.ndarray,
                      k1norm_tab: np.ndarray, k1p1: float,
                      terms: np.ndarray, idf: np.ndarray, mult: np.ndarray, first: int) -> float:
    """The k-th best full score of chunks hd[:size] (hv: their sums so far, terms[first:]
    looked up by seeking): real scores of distinct chunks, so at most the final k-th best."""
    order = np.argsort(hd[:size])
    ds = hd[:size][order]
    full = hv[:size][order].copy()
    for i in range(first, len(terms)):
        lo, hi = indptr[terms[i]], indptr[terms[i] + 1]
        p = lo
        for j in range(size):
            d = ds[j]
            p = _seek(docs, p, hi, d)
            if p < hi and docs[p] == d:
                c = code[d]  # k1n
                kn = k1norm_tab[c] if c < 255 else k1norm[d]
                full[j] += _weight(float(tfs[p]), k1p1, kn,
                                   idf[i], mult[i])
    full.sort()
    return full[size - k]


# the lowest set bit of a 64-bit word by de Bruijn multiplication (numba has no ctz)
_DEBRUIJN = np.uint64(0x03F79D71B4CB0A89)
_DB_POS = np.zeros(64, dtype=np.int64)
for _i in range(64):
    _DB_POS[(((1 << _i) * 0x03F79D71B4CB0A89) & ((1 << 64) - 1)) >> 58] = _i


@njit(cache=True, nogil=True)
def _window_rest(indptr: np.ndarray, docs: np.ndarray, tfs: np.ndarray, k1norm: np.ndarray,
                 code: np.ndarray, k1norm_tab: np.ndarray, k1p1: float, terms: np.ndarray,
                 idf: np.ndarray, mult: np.ndarray, rest: np.ndarray, k: int,
                 allowed: np.ndarray, use_allowed: bool, margin: float, da: np.ndarray,
                 sa: np.ndarray, out_d: np.ndarray, out_s: np.ndarray, n_docs: int,
                 first: int, cut: float, window: int):
    """taat_candidates' result when terms[:first] are merged into da/sa (ascending chunks,
    their sums) and the list grew long: MaxScore a window of `window` chunks at a time (a
    multiple of 64, at most 4,096: one 64-bit word tells which of its bit words hold
    chunks). The essential terms (terms[:ess]: the terms after could not lift a chunk
    none of these holds to the k-th best) are added into the window's sums, a write into
    the cache per posting, each chunk found marked in a bit set; the chunks found that can
    still get there are then completed in chunk order, term by term, by seeking in each
    other term's postings or, when its postings in the window are few for them, by
    placing those by chunk first; each chunk dropped as soon as the terms left could not
    lift it to the k-th best. Completed chunks raise the k-th best as the walk goes, so
    terms leave the essential ones window by window. out_d, out_s: scratch of at least
    the number of chunks (not da, sa)."""
    n = len(terms)
    pos = np.empty(n, dtype=np.int64)
    end = np.empty(n, dtype=np.int64)
    for i in range(n):
        pos[i], end[i] = indptr[terms[i]], indptr[terms[i] + 1]
    ess = first
    while ess < n and rest[ess] >= cut:
        ess += 1
    buf = np.zeros(window, dtype=np.float64)
    n_words = window >> 6
    slot = np.zeros(window, dtype=np.int64)
    cd = np.empty(window, dtype=np.int64)
    cs = np.empty(window, dtype=np.float64)
    bits = np.zeros(n_words, dtype=np.uint64)
    one, zero, top = np.uint64(1), np.uint64(0), np.uint64(58)
    heap = np.empty(k, dtype=np.float64)
    size = 0
    m = 0
    q = 0  # da[q:]: the merged list's chunks not yet in a window
    n_da = len(da)
    for w0 in range(0, n_docs, window):
        w1 = w0 + window
        words = zero  # bit b: bits[b] holds a chunk found
        while q < n_da and da[q] < w1:
            j = da[q] - w0
            buf[j] = sa[q]
            bits[j >> 6] |= one << np.uint64(j & 63)
            words |= one << np.uint64(j >> 6)
            q += 1
        for i in range(first, ess):
            w_idf, w_mult = idf[i], mult[i]
            p, hi = pos[i], end[i]
            while p < hi and docs[p] < w1:
                d = docs[p]
                p += 1
                if use_allowed and not allowed[d]:
                    continue
                c = code[d]  # k1n
                kn = k1norm_tab[c] if c < 255 else k1norm[d]
                j = d - w0
                buf[j] += _weight(float(tfs[p - 1]), k1p1, kn, w_idf, w_mult)
                bits[j >> 6] |= one << np.uint64(j & 63)
                words |= one << np.uint64(j >> 6)
            pos[i] = p
        if words == zero:
            continue
        # the chunks found that can still get there, in order; then the other terms
        # looked up term by term for all of them (sought, or a term's postings in the
        # window placed by chunk when they are few for them), each chunk dropped as soon
        # as the terms left could not lift it to the k-th best
        nc = 0
        lim = cut - rest[ess]
        while words != zero:
            low = words & (zero - words)
            words ^= low
            b = _DB_POS[(low * _DEBRUIJN) >> top]
            word = bits[b]
            bits[b] = zero
            while word != zero:
                low = word & (zero - word)
                word ^= low
                j = (b << 6) + _DB_POS[(low * _DEBRUIJN) >> top]
                s = buf[j]
                buf[j] = 0.0
                if s >= lim:
                    cd[nc] = w0 + j
                    cs[nc] = s
                    nc += 1
        for i in range(ess, n):
            if nc == 0:
                break
            w_idf, w_mult = idf[i], mult[i]
            hi = end[i]
            p = _seek(docs, pos[i], hi, w0)  # a term the chunks before left behind
            stop = _seek(docs, p, hi, w1)
            p0 = p
            scatter = stop - p < READ_THROUGH * nc
            if scatter:  # each posting's place, by chunk in the window
                for r in range(p, stop):
                    slot[docs[r] - w0] = r + 1
            lim = cut - rest[i]
            n2 = 0
            for jj in range(nc):
                s = cs[jj]
                if s < lim:
                    continue
                d = cd[jj]
                if scatter:
                    r = slot[d - w0] - 1
                else:
                    p = _seek(docs, p, stop, d)
                    r = p if p < stop and docs[p] == d else -1
                if r >= 0:
                    c = code[d]  # k1n
                    kn = k1norm_tab[c] if c < 255 else k1norm[d]
                    s += _weight(float(tfs[r]), k1p1, kn, w_idf, w_mult)
                cd[n2] = d
                cs[n2] = s
                n2 += 1
            nc = n2
            if scatter:
                for r in range(p0, stop):
                    slot[docs[r] - w0] = 0
            pos[i] = stop
        for jj in range(nc):
            s = cs[jj]
            if s < cut:
                continue
            out_d[m] = cd[jj]
            out_s[m] = s
            m += 1
            if size < k or s > heap[0]:
                size = _offer(heap, size, k, s)
                if size == k:
                    cut = max(cut, heap[0] - margin * abs(heap[0]))
        while ess > first and rest[ess - 1] < cut:
            ess -= 1  # no chunk that only this term and the ones after hold can get there
    keep_d = np.empty(m, dtype=np.int64)
    keep_s = np.empty(m, dtype=np.float64)
    n_keep = 0
    for j in range(m):
        if out_s[j] >= cut:
            keep_d[n_keep] = out_d[j]
            keep_s[n_keep] = out_s[j]
            n_keep += 1
    return keep_d[:n_keep], keep_s[:n_keep]


@njit(cache=True, nogil=True)
def taat_candidates(indptr: np.ndarray, docs: np.ndarray, tfs: np.ndarray,
                    k1norm: np.ndarray, code: np.ndarray, k1norm_tab: np.ndarray, k1p1: float,
                    terms: np.ndarray, idf: np.ndarray, mult: np.ndarray, bound: np.ndarray,
                    k: int, allowed: np.ndarray, use_allowed: bool, margin: float,
                    da: np.ndarray, db: np.ndarray, sa: np.ndarray, sb: np.ndarray,
                    window_at: int, window: int):
    """(chunks ascending, their scores) that can reach the top k, for query terms sorted by
    bound descending (bound: the most a term adds to any chunk, mult times); MaxScore term at
    a time. The rarest terms' postings are merged whole into a list of (chunk, sum) in chunk
    order until the k-th best sum so far exceeds all that the terms left could add to a
    chunk none of them holds: from then on no new chunk can reach the top k, and the chunks
    found are looked up in the common terms' postings (seeking, or reading a list through
    when the chunks are many for it), each dropped as soon as the terms left could not lift
    it to the k-th best.

    The k-th best is always that of distinct chunks' partial sums, each at most its chunk's
    score, so it never exceeds the final k-th best: what is dropped could not have reached
    the top k. Sums may be float32 (sa, sb): their rounding, a few 1e-7 relative, stays far
    inside margin. da, db (chunk numbers), sa, sb (sums): scratch of at least the number of
    chunks each, swapped as the list is merged. code, k1norm_tab: see k1n.

    Once the list of chunks found would pass window_at entries, _window_rest finishes the
    search instead, `window` chunks at a time."""
    n = len(terms)
    rest = np.empty(n + 1, dtype=np.float64)  # what terms i.. can add together, with margin
    rest[n] = 0.0
    for i in range(n - 1, -1, -1):
        rest[i] = rest[i + 1] + bound[i] * (1.0 + margin)
    heap = np.empty(k, dtype=np.float64)
    cut = -np.inf  # the k-th best so far, less the margin
    n_best = max(k, PROBE)
    best_v = np.empty(n_best, dtype=np.float64)  # the best sums of the term just added up
    best_d = np.empty(n_best, dtype=np.int64)
    m = 0  # da[:m], sa[:m]: the chunks found so far, ascending, and their sums
    e = 0  # terms[:e] are added up whole
    while e < n:
        if e > 0 and rest[e] < cut:
            break  # a chunk none of terms[:e] holds cannot reach the top k
        lo, hi = indptr[terms[e]], indptr[terms[e] + 1]
        w_idf, w_mult = idf[e], mult[e]
        size = 0
        if m + (hi - lo) > window_at and e + 1 < n:  # the last term: merged at once
            return _window_rest(indptr, docs, tfs, k1norm, code, k1norm_tab, k1p1, terms, idf,
                                mult, rest, k, allowed, use_allowed, margin, da[:m], sa[:m],
                                db, sb, len(code), e, cut, window)
        i = 0
        o = 0
        for p in range(lo, hi):  # merge the list into da/sa, into db/sb
            d = docs[p]
            if use_allowed and not allowed[d]:
                continue
            while i < m and da[i] < d:
                db[o] = da[i]
                sb[o] = sa[i]
                o += 1
                i += 1
            c = code[d]  # k1n
            kn = k1norm_tab[c] if c < 255 else k1norm[d]
            s = _weight(float(tfs[p]), k1p1, kn, w_idf, w_mult)
            if i < m and da[i] == d:
                s += sa[i]
                i += 1
            db[o] = d
            sb[o] = s
            o += 1
            if size < n_best or s > best_v[0]:  # the test inline: most sums fail it
                size = _offer_pair(best_v, best_d, size, s, d)
        while i < m:
            db[o] = da[i]
            sb[o] = sa[i]
            o += 1
            i += 1
        da, db = db, da
        sa, sb = sb, sa
        m = o
        e += 1
        if size >= k:
            # the chunks with the best sums so far, scored whole: their k-th best is a far
            # higher threshold than the sums' (the chunks that hold the rare terms usually
            # hold the rest), so the common terms stop being added up sooner
            kth = _kth_of_completed(best_d, best_v, size, k, indptr, docs, tfs, k1norm, code,
                                    k1norm_tab, k1p1, terms, idf, mult,
                                    e) if e < n else np.sort(best_v[:size])[size - k]
            cut = max(cut, kth - margin * abs(kth))
    # the common terms, rarest first: each chunk that can still reach the top k looked up
    # by seeking in their postings, or, when the chunks are many for a list, by reading the
    # list through beside them; the list of chunks shrinks in place
    for i in range(e, n):
        lo, hi = indptr[terms[i]], indptr[terms[i] + 1]
        w_idf, w_mult = idf[i], mult[i]
        linear = hi - lo < READ_THROUGH * m
        size = 0
        m2 = 0
        p = lo
        for j in range(m):
            d = da[j]
            s = float(sa[j])
            if s + rest[i] < cut:
                continue
            if linear:
                while p < hi and docs[p] < d:
                    p += 1
            else:
                p = _seek(docs, p, hi, d)
            if p < hi and docs[p] == d:
                c = code[d]  # k1n
                kn = k1norm_tab[c] if c < 255 else k1norm[d]
                s += _weight(float(tfs[p]), k1p1, kn, w_idf,
                             w_mult)
            da[m2] = d
            sa[m2] = s
            m2 += 1
            if size < k or s > heap[0]:
                size = _offer(heap, size, k, s)
        m = m2
        if size == k:
            cut = max(cut, heap[0] - margin * abs(heap[0]))
    out_d = np.empty(m, dtype=np.int64)
    out_s = np.empty(m, dtype=np.float64)
    n_out = 0
    for j in range(m):
        s = sa[j]
        if s >= cut:
            out_d[n_out] = da[j]
            out_s[n_out] = s
            n_out += 1
    return out_d[:n_out], out_s[:n_out]


@njit(cache=True, nogil=True)
def _rank(scores: np.ndarray, ties: np.ndarray, tie_rtol: float) -> np.ndarray:
    """Positions by descending score; scores within tie_rtol of the one above form one group,
    ordered by ties ascending: bm25.rank_order, compiled."""
    by_score = np.argsort(-scores, kind="mergesort")
    n = len(scores)
    key = np.empty(n, dtype=np.int64)
    group = 0
    for j in range(n):
        if j > 0:
            a, b = scores[by_score[j - 1]], scores[by_score[j]]
            if a - b > tie_rtol * abs(a):
                group += 1
        key[j] = group * (np.int64(1) << 32) + np.int64(ties[by_score[j]])
    return by_score[np.argsort(key, kind="mergesort")]


@njit(cache=True, nogil=True)
def search_top(indptr: np.ndarray, docs: np.ndarray, tfs: np.ndarray, k1norm: np.ndarray,
               code: np.ndarray, k1norm_tab: np.ndarray, k1p1: float, idf_all: np.ndarray, term_max: np.ndarray, query: np.ndarray,
               mult: np.ndarray, delta: float, k: int, allowed: np.ndarray, use_allowed: bool,
               tiebreak: np.ndarray, use_tiebreak: bool, margin: float, tie_rtol: float,
               da: np.ndarray, db: np.ndarray, sa: np.ndarray, sb: np.ndarray,
               window_at: int, window: int):
    """BM25.search in one compiled call: (chunks, scores) of the top k, best first, and
    whether it could answer (False: a term of idf <= 0, which has no bound to prune with).
    query: the distinct terms holding postings, in query order, mult: how often each was
    asked; delta: BM25+'s baseline per unit of idf (0 for Okapi). Candidates come from
    taat_candidates; their scores are summed again term by term in query order, plus the
    baseline, as BM25.search_all sums them, so the figures are the same to the last digit."""
    n = len(query)
    idf = np.empty(n, dtype=np.float64)
    bound = np.empty(n, dtype=np.float64)
    for i in range(n):
        idf[i] = idf_all[query[i]]
        if idf[i] <= 0.0:
            return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.float64), False
        bound[i] = mult[i] * term_max[query[i]]
    # by bound descending, ties by term id (a stable order for the same question)
    key = np.empty(n, dtype=np.float64)
    for i in range(n):
        key[i] = -bound[i]
    order = np.argsort(key, kind="mergesort")
    for a in range(1, n):  # equal bounds: smaller term id first
        j = a
        while j > 0 and key[order[j - 1]] == key[order[j]] and query[order[j - 1]] > query[order[j]]:
            order[j - 1], order[j] = order[j], order[j - 1]
            j -= 1
    terms = query[order]
    cand, _ = taat_candidates(indptr, docs, tfs, k1norm, code, k1norm_tab, k1p1, terms,
                              idf[order], mult[order], bound[order], k, allowed, use_allowed,
                              margin, da, db, sa, sb, window_at, window)
    if len(cand) == 0:
        return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.float64), True
    base = 0.0
    if delta != 0.0:
        for i in range(n):
            base += mult[i] * (idf[i] * delta)
    scores = exact_scores(indptr, docs, tfs, k1norm, k1p1, query, idf, mult, cand, base)
    ties = np.empty(len(cand), dtype=np.int64)
    for j in range(len(cand)):
        ties[j] = tiebreak[cand[j]] if use_tiebreak else cand[j]
    at = _rank(scores, ties, tie_rtol)[:k]
    return cand[at], scores[at], True


@njit(cache=True, nogil=True, inline="always")
def _id_less(blob_a: np.ndarray, a0: int, a1: int, blob_b: np.ndarray, b0: int, b1: int) -> bool:
    """Whether id a sorts before id b: their UTF-8 bytes compared (the order of their code
    points, as Python compares the strings)."""
    n = min(a1 - a0, b1 - b0)
    for j in range(n):
        x, y = blob_a[a0 + j], blob_b[b0 + j]
        if x != y:
            return x < y
    return a1 - a0 < b1 - b0


@njit(cache=True, nogil=True)
def ids_below(blob_a: np.ndarray, off_a: np.ndarray, order_a: np.ndarray,
              blob_b: np.ndarray, off_b: np.ndarray, order_b: np.ndarray) -> np.ndarray:
    """For each chunk of segment a (by local number), how many of segment b's ids sort before
    its id: both lists walked once in id order (order_*: local numbers by id)."""
    out = np.zeros(len(order_a), dtype=np.int64)
    j = 0
    nb = len(order_b)
    for i in range(len(order_a)):
        x = order_a[i]
        xs, xe = off_a[x], off_a[x + 1]
        while j < nb:
            y = order_b[j]
            if _id_less(blob_b, off_b[y], off_b[y + 1], blob_a, xs, xe):
                j += 1
            else:
                break
        out[x] = j
    return out


@njit(cache=True, nogil=True)
def rank_merged(scores: np.ndarray, ties: np.ndarray, tie_rtol: float, k: int) -> np.ndarray:
    """The first k positions of bm25.rank_order(scores, ties), compiled: the segments' merge."""
    return _rank(scores, ties, tie_rtol)[:k]


@njit(cache=True, nogil=True)
def search_global(indptr: np.ndarray, docs: np.ndarray, tfs: np.ndarray, k1norm: np.ndarray,
                  code: np.ndarray, k1norm_tab: np.ndarray, k1p1: float, idf_all: np.ndarray,
                  term_max: np.ndarray, query: np.ndarray, mult: np.ndarray, delta: float,
                  k: int, allowed: np.ndarray, use_allowed: bool, tiebreak: np.ndarray,
                  margin: float, tie_rtol: float, da: np.ndarray, db: np.ndarray,
                  sa: np.ndarray, sb: np.ndarray, window_at: int, window: int,
                  run_local: np.ndarray, run_global: np.ndarray, keys: np.ndarray):
    """search_top of one segment (ties by tiebreak), its chunks also as chunk numbers (the
    runs: Segment.to_global) and with their keys: (local chunks, scores, chunk numbers,
    keys, ok) in one call, not three numpy steps after it."""
    top, scores, ok = search_top(indptr, docs, tfs, k1norm, code, k1norm_tab, k1p1, idf_all,
                                 term_max, query, mult, delta, k, allowed, use_allowed,
                                 tiebreak, True, margin, tie_rtol, da, db, sa, sb, window_at,
                                 window)
    n = len(top)
    g = np.empty(n, dtype=np.int64)
    key = np.empty(n, dtype=np.int64)
    for j in range(n):
        d = top[j]
        r = np.searchsorted(run_local, d, side="right") - 1
        g[j] = run_global[r] + (d - run_local[r])
        key[j] = keys[d]
    return top, scores, g, key, ok
