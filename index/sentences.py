"""Sentence boundaries that survive initials (J. Sambuu, Yu. Tsedenbal, M.S. Gorbachev)."""
from __future__ import annotations

import re
import sys
from typing import Sequence

import numpy as np

_ABBREVIATIONS = frozenset(
    "mr mrs ms dr st gen lt col no nos vs etc e.g i.e cf p pp vol ed jr sr prof inc co corp ltd "
    "lieut liet mt fig approx dept est ca op al art".split()
)
# End punctuation, then closing quotes/brackets and endnote markers like [xiv], then a space
# (or nothing when a marker closes the sentence: "treaty’.[ii]Nevertheless").
_BOUNDARY_RE = re.compile(
    r"[.!?]['’\")\]”]*(?:\[[ivxlcdm\d]+\])*(?:\s+|(?<=\])(?=[A-Z]))(?=[\"'‘“(\[A-Z0-9\u0400-\u04ff])"
)
_INITIAL_RE = re.compile(r"(?:\b[A-ZА-ЯЁӨҮ][a-zа-яёөү]?|\b(?:[A-ZА-ЯЁӨҮ]\.)+[A-ZА-ЯЁӨҮ])$")


_WORD_RE = re.compile(r"[\w.]*")  # \w: str.isalnum() or "_"


# a blank line ends a sentence whatever stands before it: an entry's head ('--num-callers=
# <number> [default: 12]') or a table's cell is no part of the paragraph after it
_BLANK_LINE_RE = re.compile(r"\n[ \t\r\f\v]*\n")


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of each sentence, whitespace trimmed, covering all non-space text."""
    spans: list[tuple[int, int]] = []
    rev = None  # text reversed, made at the first period: the word before it is matched there
    block = 0
    for blank in [*_BLANK_LINE_RE.finditer(text), None]:
        end_of_block = blank.start() if blank is not None else len(text)
        start = block
        for m in _BOUNDARY_RE.finditer(text, block, end_of_block):
            at = m.start()
            if text[at] == ".":
                if rev is None:
                    rev = text[::-1]
                n = len(text)  # the run of word characters and periods that ends at the period
                word = text[n - _WORD_RE.match(rev, n - at, n - start).end() : at]
                if _INITIAL_RE.search(word) or word.lower() in _ABBREVIATIONS:
                    continue
            end = at + len(m.group().rstrip())
            if text[start:end].strip():
                spans.append(_trim(text, start, end))
            start = m.end()
        if text[start:end_of_block].strip():
            spans.append(_trim(text, start, end_of_block))
        if blank is not None:
            block = blank.end()
    return spans


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


COMPILED_CHARS = 1 << 20  # runs of text at least this long are split by the compiled kernel


def sentence_arrays(texts: Sequence[str], compiled: bool | None = None
                    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The sentences of each text as arrays, at least one per text (the whole text if need
    be): (sentences per text int64, starts, ends int32)."""
    lens = np.fromiter(map(len, texts), dtype=np.int64, count=len(texts))
    if compiled is None:  # (numba's import is paid once a build's first large block is split)
        compiled = (int(lens.sum()) >= COMPILED_CHARS
                    or f"{__package__}.sentence_kernels" in sys.modules)
    if compiled:
        from . import sentence_kernels as k

        codes = np.frombuffer("".join(texts).encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
        bounds = np.zeros(len(texts) + 1, dtype=np.int64)
        np.cumsum(lens, out=bounds[1:])
        return k.spans(*k.flag_tables(codes), bounds, _abbreviations())
    spans = [sentence_spans(t) or [(0, len(t))] for t in texts]
    count = np.fromiter(map(len, spans), dtype=np.int64, count=len(texts))
    flat = np.array([x for sp in spans for se in sp for x in se], dtype=np.int32).reshape(-1, 2)
    return count, flat[:, 0].copy(), flat[:, 1].copy()


_abbrev: np.ndarray | None = None


def _abbreviations() -> np.ndarray:
    global _abbrev
    if _abbrev is None:
        from . import sentence_kernels

        _abbrev = sentence_kernels.abbreviation_codes(_ABBREVIATIONS)
    return _abbrev
