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


@njit(cache=True, nogil=True, inline="always")
def _in_word(arr, i, cls) -> bool:
    """cls: per byte, 1 a word byte, 2 '.' or ',', 4 a digit or a non-ASCII byte, 8 '-', 16 a
    letter or a non-ASCII byte, 32 an ASCII word byte or '-'."""
    c = cls[arr[i]]
    if c & 1:
        return True
    if c & 8:  # an option's dash ('-k'): no word byte nor dash before, a letter after
        return (i + 1 < len(arr) and (cls[arr[i + 1]] & 16) != 0
                and (i == 0 or (cls[arr[i - 1]] & 32) == 0))
    # '.' and ',' between digits (or non-ASCII bytes) belong to the run
    return (c & 2) != 0 and 0 < i < len(arr) - 1 and (cls[arr[i - 1]] & cls[arr[i + 1]] & 4) != 0


@njit(cache=True, nogil=True)
def scan(arr, cls, lower, text_at):
    """The tokens of the texts' bytes (texts starting at text_at, the last entry past the
    end; each text but the last ends in a newline), as TermIds.tokens's numpy lines find
    them: (byte starts, ends, text of each, fast (at most 16 bytes, all ASCII), the fast
    ones' two 8-byte keys (lowercase, little-endian; 0 for the others), character starts and
    ends in their text)."""
    n = len(arr)
    # at least the tokens: a token starts at a byte that may be in one (a word byte, '.',
    # ',' or '-') after one that is no word byte; a branch-free pass, where counting the
    # tokens themselves cost a third of the scan
    cap = 0
    prev = 0
    for i in range(n):
        c = cls[arr[i]]
        cap += (c & 11 != 0) & (prev & 1 == 0)
        prev = c
    starts = np.empty(cap, dtype=np.int64)
    ends = np.empty(cap, dtype=np.int64)
    tok_text = np.empty(cap, dtype=np.int64)
    fast = np.empty(cap, dtype=np.bool_)
    k1 = np.empty(cap, dtype=np.uint64)
    k2 = np.empty(cap, dtype=np.uint64)
    c_start = np.empty(cap, dtype=np.int64)
    c_end = np.empty(cap, dtype=np.int64)
    t = 0
    cont = 0  # continuation bytes before i
    high = 0  # bytes >= 0x80 before i
    for k in range(len(text_at) - 1):
        lo = text_at[k]
        hi = min(text_at[k + 1], n)
        base = lo - cont  # i - cont - base: i's character offset in text k
        i = lo
        while i < hi:  # a token ends at the text's newline at the latest
            if not _in_word(arr, i, cls):
                b = arr[i]
                if b >= 0x80:
                    high += 1
                    if b & 0xC0 == 0x80:
                        cont += 1
                i += 1
                continue
            s = i
            s_high = high
            starts[t] = i
            tok_text[t] = k
            c_start[t] = i - cont - base
            a = np.uint64(0)  # the key's bytes, gathered as the token is read
            z = np.uint64(0)
            while True:
                b = arr[i]
                if b >= 0x80:
                    high += 1
                    if b & 0xC0 == 0x80:
                        cont += 1
                j = i - s
                if j < 8:
                    a |= np.uint64(lower[b]) << np.uint64(8 * j)
                elif j < 16:
                    z |= np.uint64(lower[b]) << np.uint64(8 * (j - 8))
                i += 1
                if i >= n or not _in_word(arr, i, cls):
                    break
            ends[t] = i
            c_end[t] = i - cont - base
            f = i - s <= 16 and high == s_high
            fast[t] = f
            if not f:  # (a uint64 beside an int literal would be unified to a float)
                a = z = np.uint64(0)
            k1[t] = a
            k2[t] = z
            t += 1
    return starts[:t], ends[:t], tok_text[:t], fast[:t], k1[:t], k2[:t], c_start[:t], c_end[:t]
