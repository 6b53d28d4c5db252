"""The best sentence of a passage for a question, and where the question's terms occur in it."""
from __future__ import annotations

import re
from typing import Callable, NamedTuple

from .analyze import Analyzer
from .sentences import sentence_spans


class Highlight(NamedTuple):
    start: int  # the best sentence's offsets in the passage text
    end: int
    sentence: str
    terms: list[tuple[int, int]]  # offsets (in the passage text) of words matching the question
    words: list[str]  # those words as written, unique, in order

    def to_dict(self) -> dict:
        return {"sentence": self.sentence, "start": self.start, "end": self.end,
                "terms": [list(t) for t in self.terms], "words": self.words}


def highlight(text: str, query_terms: list[str], analyzer: Analyzer,
              weight: Callable[[str], float], wants: re.Pattern | None = None) -> Highlight:
    """Pick the sentence that covers the most (idf-weighted) distinct query terms; ties go to
    the sentence where the matches sit closest together, then to the earlier one. When the
    question asks for something of a known shape (wants: e.g. a date for "when"), a sentence
    holding it gains as much as its best term."""
    wanted = set(query_terms)
    tokens = analyzer.tokens(text)
    matches = [t for t in tokens if t.term in wanted]
    spans = sentence_spans(text) or [(0, len(text))]
    best, best_key = spans[0], None
    for s, e in spans:
        inside = [t for t in matches if s <= t.start < e]
        covered = {t.term for t in inside}
        gain = sum(weight(term) for term in covered)
        if wants is not None and covered and wants.search(text, s, e):
            gain += max(weight(term) for term in covered)
        spread = (inside[-1].end - inside[0].start) if inside else e - s
        key = (round(gain, 9), -spread, -s)
        if best_key is None or key > best_key:
            best, best_key = (s, e), key
    words: list[str] = []
    for t in matches:
        w = text[t.start : t.end]
        if w not in words:
            words.append(w)
    return Highlight(best[0], best[1], text[best[0] : best[1]],
                     [(t.start, t.end) for t in matches], words)
