"""Compiled loops of the bulk analyzer (TermIds.tokens, index/search/analyze.py) for the large
blocks of text an index build analyzes: the hash table probe and the splice of tokens of
several terms into the text-ordered tokens. Each gives exactly what the numpy path beside it
gives (tests/test_analyze.py compares them); small calls (a question, one document) keep to
numpy, so they never wait for numba's import.
"""
from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True, nogil=True)
def find(k1: np.ndarray, k2: np.ndarray, slot: np.ndarray, tk1: np.ndarray, tk2: np.ndarray,
         tval: np.ndarray, empty: int) -> np.ndarray:
    """The stored value of each key (k1, k2) in the open-addressing table (tk1, tk2, tval),
    probing from its slot; empty for a key not in it."""
    out = np.empty(len(k1), dtype=np.int64)
    mask = len(tval) - 1
    for i in range(len(k1)):
        s = slot[i]
        while True:
            v = tval[s]
            if v == empty:
                out[i] = empty
                break
            if tk1[s] == k1[i] and tk2[s] == k2[i]:
                out[i] = v
                break
            s = (s + 1) & mask
    return out


@njit(cache=True, nogil=True)
def splice(keep: np.ndarray, ids: np.ndarray, text: np.ndarray, start: np.ndarray,
           end: np.ndarray, extra: np.ndarray):
    """The kept tokens (in (text, start) order) with the extra ones (rows of id, text, start,
    end, in that order too) merged in, each after any kept token of an equal key:
    (ids int32, text int64, start int32, end int32)."""
    n = 0
    for i in range(len(keep)):
        if keep[i]:
            n += 1
    total = n + len(extra)
    o_ids = np.empty(total, dtype=np.int32)
    o_text = np.empty(total, dtype=np.int64)
    o_start = np.empty(total, dtype=np.int32)
    o_end = np.empty(total, dtype=np.int32)
    j = 0
    o = 0
    for i in range(len(keep)):
        if not keep[i]:
            continue
        while j < len(extra) and (extra[j, 1] < text[i]
                                  or (extra[j, 1] == text[i] and extra[j, 2] < start[i])):
            o_ids[o], o_text[o], o_start[o], o_end[o] = extra[j, 0], extra[j, 1], extra[j, 2], extra[j, 3]
            j += 1
            o += 1
        o_ids[o], o_text[o], o_start[o], o_end[o] = ids[i], text[i], start[i], end[i]
        o += 1
    while j < len(extra):
        o_ids[o], o_text[o], o_start[o], o_end[o] = extra[j, 0], extra[j, 1], extra[j, 2], extra[j, 3]
        j += 1
        o += 1
    return o_ids, o_text, o_start, o_end
