"""The second stage's per-candidate loops compiled (numba), free of the GIL.

Why compiled: every question measures 20 candidates, each a few dozen numpy calls on arrays of
a few dozen tokens, where numpy's per-call cost is most of the time and holds the GIL. One
compiled pass per candidate finds the question's terms in its tokens, groups them by sentence
and sums the pair and bigram signals. The sums replay numpy's order (pairwise for .sum(),
left to right for Python's sum), so every figure equals rescore.signals_reference's.
"""
from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True, nogil=True)
def _block(a: np.ndarray, lo: int, n: int) -> float:
    """numpy's sum of at most 128 float64s: 8 lanes, then the rest in order."""
    if n < 8:
        res = 0.0
        for i in range(lo, lo + n):
            res += a[i]
        return res
    r0, r1, r2, r3 = a[lo], a[lo + 1], a[lo + 2], a[lo + 3]
    r4, r5, r6, r7 = a[lo + 4], a[lo + 5], a[lo + 6], a[lo + 7]
    i = 8
    while i < n - (n % 8):
        j = lo + i
        r0 += a[j]
        r1 += a[j + 1]
        r2 += a[j + 2]
        r3 += a[j + 3]
        r4 += a[j + 4]
        r5 += a[j + 5]
        r6 += a[j + 6]
        r7 += a[j + 7]
        i += 8
    res = ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7))
    while i < n:
        res += a[lo + i]
        i += 1
    return res


@njit(cache=True, nogil=True)
def _pairwise(a: np.ndarray, lo: int, n: int) -> float:
    """a[lo:lo + n].sum() as numpy adds float64: blocks of 128, halves (a multiple of 8)
    added pairwise above that. A stack, not recursion: numba's cache mishandles recursion."""
    if n <= 128:
        return _block(a, lo, n)
    s_lo = np.empty(192, dtype=np.int64)
    s_n = np.empty(192, dtype=np.int64)
    s_done = np.empty(192, dtype=np.bool_)
    vals = np.empty(96, dtype=np.float64)
    top, n_vals = 0, 0
    s_lo[0], s_n[0], s_done[0] = lo, n, False
    top = 1
    while top:
        top -= 1
        l, k, done = s_lo[top], s_n[top], s_done[top]
        if k <= 128:
            vals[n_vals] = _block(a, l, k)
            n_vals += 1
        elif done:
            n_vals -= 1
            vals[n_vals - 1] = vals[n_vals - 1] + vals[n_vals]
        else:
            k2 = k // 2
            k2 -= k2 % 8
            s_lo[top], s_n[top], s_done[top] = l, k, True  # then add the two halves
            s_lo[top + 1], s_n[top + 1], s_done[top + 1] = l + k2, k - k2, False
            s_lo[top + 2], s_n[top + 2], s_done[top + 2] = l, k2, False  # the left one first
            top += 3
    return vals[0]


@njit(cache=True, nogil=True)
def np_sum(a: np.ndarray) -> float:
    return 0.0 + _pairwise(a, 0, len(a))


@njit(cache=True, nogil=True)
def matches(terms: np.ndarray, slots: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(token positions holding a question term, that term's slot), in text order."""
    ns = len(slots)
    where = np.empty(len(terms), dtype=np.int64)
    slot = np.empty(len(terms), dtype=np.int64)
    m = 0
    for i in range(len(terms)):
        t = terms[i]
        if 0 <= t < ns and slots[t] >= 0:
            where[m] = i
            slot[m] = slots[t]
            m += 1
    return where[:m], slot[:m]


@njit(cache=True, nogil=True)
def held_slots(terms: np.ndarray, slots: np.ndarray, n_slots: int) -> np.ndarray:
    """Per slot of the question's terms: does a token hold it."""
    out = np.zeros(n_slots, dtype=np.bool_)
    ns = len(slots)
    for i in range(len(terms)):
        t = terms[i]
        if 0 <= t < ns and slots[t] >= 0:
            out[slots[t]] = True
    return out


@njit(cache=True, nogil=True)
def measure(terms: np.ndarray, sentences: np.ndarray, slots: np.ndarray, weights: np.ndarray,
            big_a: np.ndarray, big_b: np.ndarray, window: int):
    """One candidate's matches and what rescore.signals sums of them.

    Returns (where, mslot, held, sent, gain, top, first, last, pairs, bigrams): where/mslot
    as matches(); held per slot; per sentence holding a match (ascending): its index, the
    summed weight of its distinct terms (ascending slot), the largest, and its matches
    where[first:last]; then the pair and bigram signals."""
    where, mslot = matches(terms, slots)
    m = len(where)
    n_q = len(weights)
    held = np.zeros(n_q, dtype=np.bool_)
    for k in range(m):
        held[mslot[k]] = True
    sent = np.empty(m, dtype=np.int64)
    gain = np.empty(m, dtype=np.float64)
    top = np.empty(m, dtype=np.float64)
    first = np.empty(m, dtype=np.int64)
    last = np.empty(m, dtype=np.int64)
    n_s = 0
    mark = np.zeros(n_q, dtype=np.bool_)
    k = 0
    while k < m:
        s = np.searchsorted(sentences, where[k], side="right") - 1
        e = k
        while e < m and np.searchsorted(sentences, where[e], side="right") - 1 == s:
            mark[mslot[e]] = True
            e += 1
        g = 0.0
        t = -np.inf
        for j in range(n_q):
            if mark[j]:
                g += weights[j]
                if weights[j] > t:
                    t = weights[j]
                mark[j] = False
        sent[n_s] = s
        gain[n_s] = g
        top[n_s] = t
        first[n_s] = k
        last[n_s] = e
        n_s += 1
        k = e
    pairs = 0.0
    bigrams = 0.0
    vals = np.empty(m, dtype=np.float64)
    for gap in range(1, window):
        if m <= gap:
            break
        n_v = 0
        for a in range(m - gap):
            d = where[a + gap] - where[a]
            ta, tb = terms[where[a]], terms[where[a + gap]]
            if d < window and ta != tb:
                wa, wb = weights[mslot[a]], weights[mslot[a + gap]]
                vals[n_v] = (wa if wa < wb else wb) / (d * d)
                n_v += 1
            if gap == 1 and d == 1:
                for j in range(len(big_a)):
                    if big_a[j] == ta and big_b[j] == tb:
                        bigrams += 1.0
                        break
        if n_v:
            pairs += np_sum(vals[:n_v])
    return (where, mslot, held, sent[:n_s], gain[:n_s], top[:n_s], first[:n_s], last[:n_s],
            pairs, bigrams)


@njit(cache=True, nogil=True)
def sentence_bm25(terms: np.ndarray, where: np.ndarray, mslot: np.ndarray, lo: int, hi: int,
                  weights: np.ndarray, k1: float, norm: float) -> float:
    """BM25 of the matches where[lo:hi] (one sentence) as rescore.signals sums it: per
    distinct term id ascending, weight × tf × (k1 + 1) / (tf + norm), numpy's pairwise sum."""
    n = hi - lo
    ids = np.empty(n, dtype=np.int64)
    sl = np.empty(n, dtype=np.int64)
    for j in range(n):
        ids[j] = terms[where[lo + j]]
        sl[j] = mslot[lo + j]
    order = np.argsort(ids, kind="mergesort")
    vals = np.empty(n, dtype=np.float64)
    n_v = 0
    j = 0
    while j < n:
        t = ids[order[j]]
        w = weights[sl[order[j]]]
        e = j
        while e < n and ids[order[e]] == t:
            e += 1
        tf = e - j
        vals[n_v] = w * tf * (k1 + 1) / (tf + norm)
        n_v += 1
        j = e
    return np_sum(vals[:n_v])


@njit(cache=True, nogil=True)
def remap(terms: np.ndarray, vocab_ids: np.ndarray, local_ids: np.ndarray) -> np.ndarray:
    """terms (vocabulary ids) as local ids: vocab_ids[j] -> local_ids[j], others -1."""
    out = np.full(len(terms), -1, dtype=np.int32)
    for i in range(len(terms)):
        t = terms[i]
        for j in range(len(vocab_ids)):
            if vocab_ids[j] == t:
                out[i] = local_ids[j]
                break
    return out


@njit(cache=True, nogil=True)
def measure_all(terms: np.ndarray, sentences: np.ndarray, slots: np.ndarray,
                weights: np.ndarray, ids: np.ndarray, extra: np.ndarray, big_a: np.ndarray,
                big_b: np.ndarray, window: int, k1: float, b: float, avgdl: float):
    """All that rescore.signals_and_held measures of one candidate in one call (each call
    from Python costs microseconds of boxing under the GIL; 20 candidates a question).

    extra: per slot, whether the candidate holds that term outside its text (heading,
    endnotes). Returns (rows, held, coverage, pairs, bigrams): per sentence holding a match,
    ascending, the float64 row (index, gain, top, first, last, spread, sentence BM25), where
    first:last are its matches and spread the negated token distance between the first and
    last; held per slot, in the text or (a known term) outside it; the weight summed in slot
    order, left to right as Python's sum, of the slots held in the text or outside it."""
    where, mslot, held, sent, gain, top, first, last, pairs, bigrams = measure(
        terms, sentences, slots, weights, big_a, big_b, window)
    n_s = len(sent)
    n_t = len(terms)
    rows = np.empty((n_s, 7), dtype=np.float64)
    for r in range(n_s):
        s = sent[r]
        lo = sentences[s]
        hi = sentences[s + 1] if s + 1 < len(sentences) else n_t
        norm = k1 * (1 - b + b * (hi - lo) / avgdl)
        rows[r, 0] = s
        rows[r, 1] = gain[r]
        rows[r, 2] = top[r]
        rows[r, 3] = first[r]
        rows[r, 4] = last[r]
        rows[r, 5] = -(where[last[r] - 1] - where[first[r]])
        rows[r, 6] = sentence_bm25(terms, where, mslot, first[r], last[r], weights, k1, norm)
    coverage = 0.0
    held_all = np.zeros(len(weights), dtype=np.bool_)
    for j in range(len(weights)):
        if held[j] or extra[j]:
            coverage += weights[j]
        held_all[j] = held[j] or (extra[j] and ids[j] >= 0)
    return rows, held_all, coverage, pairs, bigrams


@njit(cache=True, nogil=True)
def gather(tp: np.ndarray, terms: np.ndarray, ts: np.ndarray, te: np.ndarray, sp: np.ndarray,
           stok: np.ndarray, rows: np.ndarray, vocab_ids: np.ndarray, local_ids: np.ndarray):
    """The stored tokens of several chunks (rows of one StoredTokens) in one call, their terms
    remapped as remap() does: (token bounds per row, terms, starts, ends, sentence bounds per
    row, sentence starts), the rows' runs one after another."""
    n = len(rows)
    t_ptr = np.zeros(n + 1, dtype=np.int64)
    s_ptr = np.zeros(n + 1, dtype=np.int64)
    for r in range(n):
        i = rows[r]
        t_ptr[r + 1] = t_ptr[r] + (tp[i + 1] - tp[i])
        s_ptr[r + 1] = s_ptr[r] + (sp[i + 1] - sp[i])
    out_t = np.full(t_ptr[n], -1, dtype=np.int32)
    out_s = np.empty(t_ptr[n], dtype=np.int32)
    out_e = np.empty(t_ptr[n], dtype=np.int32)
    out_st = np.empty(s_ptr[n], dtype=np.int32)
    for r in range(n):
        i = rows[r]
        at = t_ptr[r]
        for k in range(tp[i], tp[i + 1]):
            t = terms[k]
            for j in range(len(vocab_ids)):
                if vocab_ids[j] == t:
                    out_t[at] = local_ids[j]
                    break
            out_s[at] = ts[k]
            out_e[at] = te[k]
            at += 1
        at = s_ptr[r]
        for k in range(sp[i], sp[i + 1]):
            out_st[at] = stok[k]
            at += 1
    return t_ptr, out_t, out_s, out_e, s_ptr, out_st


@njit(cache=True, nogil=True)
def measure_many(t_ptr: np.ndarray, terms: np.ndarray, starts: np.ndarray, ends: np.ndarray,
                 s_ptr: np.ndarray, sentences: np.ndarray, slots: np.ndarray,
                 weights: np.ndarray, ids: np.ndarray, extra: np.ndarray, big_a: np.ndarray,
                 big_b: np.ndarray, window: int, k1: float, b: float, avgdl: float,
                 with_top: bool):
    """measure_all of several candidates in one call (their tokens, offsets and sentence
    starts one run after another, bounds in t_ptr and s_ptr; extra: a row per candidate).
    Returns (row bounds per candidate, rows, held per candidate and slot, coverage, pairs,
    bigrams). Each row is measure_all's and then its sentence's character span (start, end);
    a candidate's rows come in the order rescore._best_sentence tries them: by gain (plus
    top when with_top) descending, ties by sentence."""
    n = len(t_ptr) - 1
    n_q = len(weights)
    parts = []
    r_ptr = np.zeros(n + 1, dtype=np.int64)
    held = np.zeros((n, n_q), dtype=np.bool_)
    coverage = np.zeros(n, dtype=np.float64)
    pairs = np.zeros(n, dtype=np.float64)
    bigrams = np.zeros(n, dtype=np.float64)
    for c in range(n):
        rows, h, cov, p, bg = measure_all(
            terms[t_ptr[c]:t_ptr[c + 1]], sentences[s_ptr[c]:s_ptr[c + 1]], slots, weights, ids,
            extra[c], big_a, big_b, window, k1, b, avgdl)
        parts.append(rows)
        r_ptr[c + 1] = r_ptr[c] + len(rows)
        held[c] = h
        coverage[c], pairs[c], bigrams[c] = cov, p, bg
    out = np.empty((r_ptr[n], 9), dtype=np.float64)
    for c in range(n):
        rows = parts[c]
        m = len(rows)
        key = np.empty(m, dtype=np.float64)
        for r in range(m):
            key[r] = -(rows[r, 1] + rows[r, 2]) if with_top else -rows[r, 1]
        order = np.argsort(key, kind="mergesort")  # stable: ties stay by sentence
        lo_t, hi_t = t_ptr[c], t_ptr[c + 1]
        sents = sentences[s_ptr[c]:s_ptr[c + 1]]
        for j in range(m):
            r = order[j]
            o = r_ptr[c] + j
            for col in range(7):
                out[o, col] = rows[r, col]
            s = int(rows[r, 0])
            lo = sents[s]
            hi = sents[s + 1] if s + 1 < len(sents) else hi_t - lo_t
            out[o, 7] = starts[lo_t + lo]
            out[o, 8] = ends[lo_t + hi - 1]
    return r_ptr, out, held, coverage, pairs, bigrams


@njit(cache=True, nogil=True)
def plain_best(r_ptr: np.ndarray, rows: np.ndarray, close: float) -> np.ndarray:
    """Of each candidate's rows (measure_many's, nothing asked for: by gain descending), the
    one rescore._best_row picks, as a position in rows: among those whose gain rounds (9
    digits) to the first one's, the most sentence terms (column 5), then the earliest
    sentence. -1 when there are none, or when a gain lies within `close` of the first one's
    but differs (whether it rounds the same is left to Python's round())."""
    n = len(r_ptr) - 1
    out = np.full(n, -1, dtype=np.int64)
    for c in range(n):
        lo, hi = r_ptr[c], r_ptr[c + 1]
        if hi <= lo:
            continue
        best = lo
        g0 = rows[lo, 1]
        sure = True
        for r in range(lo + 1, hi):
            g = rows[r, 1]
            if g != g0:
                if g0 - g > close:
                    break  # rounds below the first one's
                sure = False
                break
            if rows[r, 5] > rows[best, 5] or rows[r, 5] == rows[best, 5] and rows[r, 0] < rows[best, 0]:
                best = r
        if sure:
            out[c] = best
    return out


@njit(cache=True, nogil=True)
def plain_best_rows(r_ptr: np.ndarray, rows: np.ndarray, close: float) -> np.ndarray:
    """The rows plain_best picks, one per candidate, as one (candidates, columns) array: a
    row of NaN where it picks none (Python decides those): the gather numpy made in four
    calls after it."""
    at = plain_best(r_ptr, rows, close)
    out = np.full((len(at), rows.shape[1]), np.nan)
    for c in range(len(at)):
        if at[c] >= 0:
            out[c, :] = rows[at[c], :]
    return out
