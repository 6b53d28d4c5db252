"""Per-candidate loops of ranking and highlighting that read the stored tokens, compiled
(numba, free of the GIL) over the flat runs StoredTokens.mapped gathers for a question's
candidates: one call for all of them instead of a few list conversions each under the GIL.
Each gives what its Python reference in answer.py or highlight.py gives, to the offset."""
from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True, nogil=True)
def typed_ends(t_ptr: np.ndarray, starts: np.ndarray, s_ptr: np.ndarray, sents: np.ndarray,
               spans: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """Per candidate c (its tokens starts[t_ptr[c]:t_ptr[c + 1]], its sentences' first tokens
    sents[s_ptr[c]:s_ptr[c + 1]]), answer._with_next of its best sentence spans[c] (start,
    end): (start, where the second sentence starting at or after end starts, else its text's
    length); (0, length) when the span is empty. Returns (n, 2) int64."""
    n = len(t_ptr) - 1
    out = np.empty((n, 2), dtype=np.int64)
    for c in range(n):
        s, e = spans[c, 0], spans[c, 1]
        if e <= s:
            out[c, 0], out[c, 1] = 0, lengths[c]
            continue
        lo, n_tok = t_ptr[c], t_ptr[c + 1] - t_ptr[c]
        found = 0
        end = lengths[c]
        for k in range(s_ptr[c], s_ptr[c + 1]):
            i = sents[k]
            if i < n_tok and starts[lo + i] >= e:
                found += 1
                if found == 2:
                    end = starts[lo + i]
                    break
        out[c, 0], out[c, 1] = s, end
    return out


@njit(cache=True, nogil=True)
def local_matches(ids: np.ndarray, starts: np.ndarray, ends: np.ndarray, n: int) -> np.ndarray:
    """(id, start, end) of each token whose question-local id is 0 <= id < n, in text order,
    as one (m, 3) int64 array: highlight._local_matches' rows in one list conversion."""
    m = 0
    for i in range(len(ids)):
        if 0 <= ids[i] < n:
            m += 1
    out = np.empty((m, 3), dtype=np.int64)
    m = 0
    for i in range(len(ids)):
        t = ids[i]
        if 0 <= t < n:
            out[m, 0], out[m, 1], out[m, 2] = t, starts[i], ends[i]
            m += 1
    return out


@njit(cache=True, nogil=True)
def local_matches_many(t_ptr: np.ndarray, ids: np.ndarray, starts: np.ndarray,
                       ends: np.ndarray, n: int):
    """local_matches of several passages (their tokens one run after another, bounds in
    t_ptr), in one call: (bounds per passage, the ids, their (start, end) spans as one (m, 2)
    int64 array), a page's highlights in one call and one list conversion."""
    m = 0
    for i in range(len(ids)):
        if 0 <= ids[i] < n:
            m += 1
    m_ptr = np.zeros(len(t_ptr), dtype=np.int64)
    found = np.empty(m, dtype=np.int64)
    spans = np.empty((m, 2), dtype=np.int64)
    m = 0
    for c in range(len(t_ptr) - 1):
        for i in range(t_ptr[c], t_ptr[c + 1]):
            t = ids[i]
            if 0 <= t < n:
                found[m], spans[m, 0], spans[m, 1] = t, starts[i], ends[i]
                m += 1
        m_ptr[c + 1] = m
    return m_ptr, found, spans


@njit(cache=True, nogil=True)
def sentences_around(sent_ptr: np.ndarray, sent_start: np.ndarray, sent_end: np.ndarray,
                     rows: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    """Of each chunk rows[r] (its sentences sent_start/sent_end[sent_ptr[i]:sent_ptr[i + 1]]),
    the first sentence holding offsets[r] as (start, end), (-1, -1) when none does:
    StoredTokens.sentence_around of a page's passages in one call. Returns (n, 2) int64."""
    out = np.full((len(rows), 2), -1, dtype=np.int64)
    for r in range(len(rows)):
        i, o = rows[r], offsets[r]
        for j in range(sent_ptr[i], sent_ptr[i + 1]):
            if sent_start[j] <= o < sent_end[j]:
                out[r, 0], out[r, 1] = sent_start[j], sent_end[j]
                break
    return out


@njit(cache=True, nogil=True)
def held_and_phrases(t_ptr: np.ndarray, ids: np.ndarray, n: int, name_ptr: np.ndarray,
                     name_ids: np.ndarray, widths: np.ndarray):
    """What constraints.check reads of each passage's terms (question-local ids, tokens
    ids[t_ptr[c]:t_ptr[c + 1]]), for all of a question's candidates in one call: which ids
    0 <= id < n it holds, column n for any other token, as (passages, n + 1) bool; and per
    name k (its distinct ids name_ids[name_ptr[k]:name_ptr[k + 1]], window widths[k])
    whether the passage says it as constraints.has_phrase does, as (passages, names) bool."""
    n_c = len(t_ptr) - 1
    n_names = len(name_ptr) - 1
    held = np.zeros((n_c, n + 1), dtype=np.bool_)
    said = np.zeros((n_c, n_names), dtype=np.bool_)
    at = np.empty(0, dtype=np.int64)
    for c in range(n_c):
        lo, hi = t_ptr[c], t_ptr[c + 1]
        for i in range(lo, hi):
            t = ids[i]
            held[c, t if 0 <= t < n else n] = True
        if len(at) < hi - lo:
            at = np.empty(hi - lo, dtype=np.int64)
        for k in range(n_names):
            a0, a1 = name_ptr[k], name_ptr[k + 1]
            want = a1 - a0
            m = 0  # the positions of the wanted ids, ascending
            for i in range(lo, hi):
                for j in range(a0, a1):
                    if ids[i] == name_ids[j]:
                        at[m] = i
                        m += 1
                        break
            for a in range(m):
                seen = 0
                for b in range(a, m):
                    if at[b] - at[a] >= widths[k]:
                        break
                    # ids[at[b]] is new to the window when no earlier one in it is the same
                    new = True
                    for e in range(a, b):
                        if ids[at[e]] == ids[at[b]]:
                            new = False
                            break
                    if new:
                        seen += 1
                    if seen == want:
                        said[c, k] = True
                        break
                if said[c, k]:
                    break
    return held, said
