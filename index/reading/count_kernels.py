"""Compiled counts over a large document's UTF-8 bytes for the chunker and the text accounting
(index/reading/corpus.py, accounting.py): ASCII letters and words in one pass, and ASCII
letters before given character offsets. Each gives exactly what the Python path beside it
gives (tests/test_corpus.py compares them); small texts keep to Python, so an update of one
short document never waits for numba's import.
"""
from __future__ import annotations

import numpy as np
from numba import njit

ASCII_LETTER = np.array([c < 128 and chr(c).isalpha() for c in range(256)], dtype=np.uint8)
ASCII_SPACE = np.array([c < 128 and chr(c).isspace() for c in range(256)], dtype=np.uint8)


@njit(cache=True, nogil=True)
def _letters_and_words(utf8: np.ndarray, letter: np.ndarray, space: np.ndarray):
    letters = 0
    words = 0
    after_space = True
    for i in range(len(utf8)):
        b = utf8[i]
        letters += letter[b]
        if space[b]:
            after_space = True
        elif after_space:
            words += 1
            after_space = False
    return letters, words


@njit(cache=True, nogil=True)
def _letters_before(utf8: np.ndarray, letter: np.ndarray, at: np.ndarray) -> np.ndarray:
    out = np.empty(len(at), dtype=np.int64)
    j = 0
    chars = 0
    count = 0
    for i in range(len(utf8)):
        b = utf8[i]
        if (b & 0xC0) != 0x80:  # a character starts at this byte
            while j < len(at) and at[j] <= chars:
                out[j] = count
                j += 1
            chars += 1
        count += letter[b]
    while j < len(at):
        out[j] = count
        j += 1
    return out


def ascii_letters_and_words(utf8: bytes) -> tuple[int, int]:
    """(ASCII letters, words split at ASCII whitespace, a non-ASCII byte counting as a word's)
    of a UTF-8 text."""
    letters, words = _letters_and_words(np.frombuffer(utf8, dtype=np.uint8), ASCII_LETTER,
                                        ASCII_SPACE)
    return int(letters), int(words)


def ascii_letters_before(utf8: bytes, at: np.ndarray) -> np.ndarray:
    """For each character offset in at (ascending), how many ASCII letters come before it in
    the UTF-8 text."""
    return _letters_before(np.frombuffer(utf8, dtype=np.uint8), ASCII_LETTER,
                           np.ascontiguousarray(at, dtype=np.int64))
