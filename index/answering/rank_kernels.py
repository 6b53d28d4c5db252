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
