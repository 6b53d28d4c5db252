"""Sentence boundaries that survive initials (J. Sambuu, Yu. Tsedenbal, M.S. Gorbachev)."""
from __future__ import annotations

import re

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


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of each sentence, whitespace trimmed, covering all non-space text."""
    spans: list[tuple[int, int]] = []
    start = 0
    for m in _BOUNDARY_RE.finditer(text):
        if text[m.start()] == ".":
            word = _word_before(text, start, m.start())
            if _INITIAL_RE.search(word) or word.lower() in _ABBREVIATIONS:
                continue
        end = m.start() + len(m.group().rstrip())
        if text[start:end].strip():
            spans.append(_trim(text, start, end))
        start = m.end()
    if text[start:].strip():
        spans.append(_trim(text, start, len(text)))
    return spans


def _word_before(text: str, start: int, end: int) -> str:
    """The run of word characters and periods that ends at end (what [\\w.]*$ matches in
    text[start:end]), found backwards: scanning the sentence from its start cost more."""
    i = end
    while i > start and (text[i - 1].isalnum() or text[i - 1] in "._"):
        i -= 1
    return text[i:end]


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end
