"""Compiled sentence splitting for the large runs of passages an index build stores sentences
of: sentences.sentence_spans's rules (a blank line, or end punctuation before what may start a
sentence), run over a run of texts' code points at once with each
character's classes from a table. It gives exactly what sentence_spans gives, text by text
(tests/test_sentences.py compares them); small calls keep to the regular expressions, so they
never wait for numba's import.
"""
from __future__ import annotations

import numpy as np
from numba import njit

SPACE, WORD, ROMAN, LOOK, UP, LOW, CLOSE = 1, 2, 4, 8, 16, 32, 64
_MAX_SPACE = 0x3000  # the last code point str.isspace() holds true for


def _flag(c: int) -> int:
    ch = chr(c)
    f = 0
    if ch.isspace():  # the regular expressions' \s (and str.strip's)
        f |= SPACE
    if ch.isalnum() or ch == "_":  # \w
        f |= WORD
    if ch in "ivxlcdm" or ch.isdecimal():  # an endnote marker's [ivxlcdm\d]
        f |= ROMAN
    if ch in "\"'‘“([" or "A" <= ch <= "Z" or "0" <= ch <= "9" or 0x400 <= c <= 0x4FF:
        f |= LOOK  # what may start the next sentence
    if "A" <= ch <= "Z" or "А" <= ch <= "Я" or ch in "ЁӨҮ":
        f |= UP  # an initial's letter
    if "a" <= ch <= "z" or "а" <= ch <= "я" or ch in "ёөү":
        f |= LOW
    if ch in "'’\")]”":
        f |= CLOSE
    return f


_bmp: np.ndarray | None = None


def flag_tables(codes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(codes, with each code point beyond the Basic Multilingual Plane renumbered 0x10000 +
    its rank among those in codes; the classes of each of those numbers) for spans: one
    table look-up per character, where a search for the rare others made the whole loop
    twice as slow. The rules compare code points only with ASCII ones, which no renumbered
    one equals."""
    global _bmp
    if _bmp is None:
        _bmp = np.array([_flag(c) for c in range(0x10000)], dtype=np.uint8)
    beyond = codes > 0xFFFF
    if not beyond.any():
        return codes, _bmp
    astral = np.unique(codes[beyond])
    table = np.concatenate([_bmp, np.array([_flag(c) for c in astral.tolist()], dtype=np.uint8)])
    codes = codes.copy()
    codes[beyond] = 0x10000 + np.searchsorted(astral, codes[beyond])
    return codes, table


def abbreviation_codes(words) -> np.ndarray:
    """Lowercase ASCII words of at most 8 characters as little-endian integers."""
    return np.array(sorted(int.from_bytes(w.encode("ascii"), "little") for w in words),
                    dtype=np.int64)


@njit(cache=True, nogil=True, inline="always")
def _abbreviation(codes, w, p, abbrev) -> bool:
    """Whether codes[w:p] lowercased is one of the abbreviations."""
    if p - w > 8 or p == w:
        return False
    key = 0
    for j in range(w, p):
        c = codes[j]
        if 65 <= c <= 90:
            c += 32
        elif c == 0x212A:  # KELVIN SIGN: 'k' lowercased
            c = 107
        elif c >= 128:
            return False
        key |= np.int64(c) << (8 * (j - w))
    for a in abbrev:
        if a == key:
            return True
    return False


@njit(cache=True, nogil=True, inline="always")
def _fl(c, table):
    return table[c]


@njit(cache=True, nogil=True, inline="always")
def _emit_trimmed(codes, table, s, e, lo, out_s, out_e, o):
    """codes[s:e] with its spaces trimmed written as sentence o (offsets from lo) when any
    text is left; the next sentence's number."""
    while s < e and _fl(codes[s], table) & SPACE:
        s += 1
    if s == e:
        return o
    while _fl(codes[e - 1], table) & SPACE:
        e -= 1
    out_s[o] = s - lo
    out_e[o] = e - lo
    return o + 1


@njit(cache=True, nogil=True)
def spans(codes, table, bounds, abbrev):
    """sentences_of (at least one span each, the whole text if need be) of the texts
    codes[bounds[i]:bounds[i + 1]]: (count per text int64, starts int32, ends int32), offsets
    in each text."""
    n = len(bounds) - 1
    out_s = np.empty(len(codes) + n, dtype=np.int32)
    out_e = np.empty(len(codes) + n, dtype=np.int32)
    count = np.zeros(n, dtype=np.int64)
    o = 0
    for i in range(n):
        lo, hi = bounds[i], bounds[i + 1]
        first = o
        start = lo
        p = lo
        while p < hi:
            c = codes[p]
            if c == 10:  # a blank line ('\n', spaces or tabs, '\n') ends the sentence
                t = p + 1
                while t < hi and (codes[t] == 32 or codes[t] == 9 or codes[t] == 13
                                  or codes[t] == 12 or codes[t] == 11):
                    t += 1
                if t < hi and codes[t] == 10:
                    o = _emit_trimmed(codes, table, start, p, lo, out_s, out_e, o)
                    start = t + 1
                    p = t + 1
                    continue
                p += 1
                continue
            if c != 46 and c != 33 and c != 63:  # . ! ?
                p += 1
                continue
            q = p + 1  # closing quotes and brackets, then endnote markers
            while q < hi and _fl(codes[q], table) & CLOSE:
                q += 1
            while q < hi and codes[q] == 91:
                r = q + 1
                while r < hi and _fl(codes[r], table) & ROMAN:
                    r += 1
                if r > q + 1 and r < hi and codes[r] == 93:
                    q = r + 1
                else:
                    break
            e = -1  # then spaces and what may start a sentence, or ']' glued to a capital
            if q < hi and _fl(codes[q], table) & SPACE:
                t = q
                while t < hi and _fl(codes[t], table) & SPACE:
                    t += 1
                if t < hi and _fl(codes[t], table) & LOOK:
                    e = t
            elif q < hi and codes[q - 1] == 93 and 65 <= codes[q] <= 90:
                e = q
            if e < 0:
                p += 1
                continue
            if c == 46:  # the run of word characters and periods before it
                w = p
                while w > start and (_fl(codes[w - 1], table) & WORD
                                     or codes[w - 1] == 46):
                    w -= 1
                k = p - w  # an initial: a capital (and a small letter) after a period or none
                last = _fl(codes[p - 1], table) if k >= 1 else 0
                if last & UP and (k == 1 or codes[p - 2] == 46):
                    p = e
                    continue
                if (k >= 2 and last & LOW and _fl(codes[p - 2], table) & UP
                        and (k == 2 or codes[p - 3] == 46)):
                    p = e
                    continue
                if _abbreviation(codes, w, p, abbrev):
                    p = e
                    continue
            s = start
            while s < q and _fl(codes[s], table) & SPACE:
                s += 1
            out_s[o] = s - lo
            out_e[o] = q - lo
            o += 1
            start = e
            p = e
        o = _emit_trimmed(codes, table, start, hi, lo, out_s, out_e, o)
        if o == first:
            out_s[o] = 0
            out_e[o] = hi - lo
            o += 1
        count[i] = o - first
    return count, out_s[:o].copy(), out_e[:o].copy()
