"""The best sentence of a passage for a question, and where the question's terms occur in it."""
from __future__ import annotations

from typing import TYPE_CHECKING, Callable, NamedTuple, Sequence

from itertools import accumulate

import numpy as np

from ..search import kernels
from ..search.analyze import Analyzer, Token
from .asked import Asked
from ..search.tokens import ChunkTokens
from ..sentences import sentence_spans

if TYPE_CHECKING:
    from ..search.searcher import Index


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
              weight: Callable[[str], float], wants: Asked | None = None,
              index: "Index | None" = None, pos: int = -1,
              sentence: tuple[int, int] | None = None,
              local: tuple[ChunkTokens, Sequence[str]] | None = None) -> Highlight:
    """Pick the sentence that covers the most (idf-weighted) distinct query terms; ties go to
    the sentence where the matches sit closest together, then to the earlier one. When the
    question asks for something of a known shape (wants: e.g. a date for "when"), a sentence
    holding it gains as much as its best term. With the index and the chunk's position there,
    the tokens and sentences stored at build time are used (text is that chunk's text);
    otherwise the text is analyzed. sentence: the best sentence's span when the second stage
    already chose it (index/answering/rescore.py), so it is not chosen twice. local: the
    chunk's stored tokens as the question's ids, with the term of each id (ids past those
    are not highlighted), when the second stage already read them, so they are not read and
    mapped again."""
    wanted = set(query_terms)
    if (sentence is not None and local is not None and index is not None and pos >= 0
            and kernels.compiled()):
        return _chosen(text, index, pos, sentence, *local, wanted)
    if index is not None and pos >= 0:
        matches = (_stored_matches(index, pos, wanted) if local is None
                   else _local_matches(*local, wanted))
        pairs = getattr(index, "sentence_pairs", None)  # a cluster's index has only spans
        spans = (pairs(pos) if pairs is not None
                 else [tuple(s) for s in index.sentence_spans(pos).tolist()])
    else:
        matches = [t for t in analyzer.tokens(text) if t.term in wanted]
        spans = sentence_spans(text) or [(0, len(text))]
    best, best_key = spans[0], None
    for s, e in (spans if sentence is None else ()):
        inside = [t for t in matches if s <= t.start < e]
        covered = {t.term for t in inside}
        gain = sum(weight(term) for term in covered)
        if wants is not None and covered and wants.found(text, s, e):
            gain += max(weight(term) for term in covered)
        spread = (inside[-1].end - inside[0].start) if inside else e - s
        key = (round(gain, 9), -spread, -s)
        if best_key is None or key > best_key:
            best, best_key = (s, e), key
    words = list(dict.fromkeys([text[t.start : t.end] for t in matches]))  # unique, in order
    if sentence is not None:  # the whole sentence around the second stage's span of terms
        best = next(((s, e) for s, e in spans if s <= sentence[0] < e), sentence)
    return Highlight(best[0], best[1], text[best[0] : best[1]],
                     [(t.start, t.end) for t in matches], words)


def _chosen(text: str, index: "Index", pos: int, sentence: tuple[int, int], toks: ChunkTokens,
            names: Sequence[str], wanted: set[str]) -> Highlight:
    """highlight() of a passage whose sentence and tokens the second stage already read (every
    shown passage of an answer): the same, its matches kept as offsets only, not a Token each."""
    from .rank_kernels import local_matches

    terms = [(s, e) for t, s, e in
             local_matches(toks.terms, toks.starts, toks.ends, len(names)).tolist()
             if names[t] in wanted]
    pairs = getattr(index, "sentence_pairs", None)  # a cluster's index has only spans
    spans = (pairs(pos) if pairs is not None
             else [tuple(s) for s in index.sentence_spans(pos).tolist()])
    best = next(((s, e) for s, e in spans if s <= sentence[0] < e), sentence)
    return Highlight(best[0], best[1], text[best[0] : best[1]], terms,
                     list(dict.fromkeys([text[s:e] for s, e in terms])))


def chosen_many(texts: Sequence[str], index: "Index", positions: Sequence[int],
                sentences: Sequence[tuple[int, int]], toks: Sequence[ChunkTokens],
                names: Sequence[str], wanted: set[str]) -> list[Highlight]:
    """_chosen() of several passages (a page of an answer; numba loaded): their matches found
    in one compiled call over their tokens joined, not a call and a list per passage."""
    from .rank_kernels import local_matches_many

    n = len(toks)
    t_ptr = np.fromiter(accumulate([len(t.terms) for t in toks], initial=0), dtype=np.int64,
                        count=n + 1)  # (np.cumsum of a list: a few numpy layers from Python)
    if n == 1:
        terms, starts, ends = toks[0].terms, toks[0].starts, toks[0].ends
    else:
        terms, starts, ends = (np.concatenate([t.terms for t in toks]),
                               np.concatenate([t.starts for t in toks]),
                               np.concatenate([t.ends for t in toks]))
    m_ptr, ids, at = local_matches_many(t_ptr, terms, starts, ends, len(names))
    # (start, end) tuples made by zip from two flat lists, not a list per match first
    bounds, every = m_ptr.tolist(), list(zip(at[:, 0].tolist(), at[:, 1].tolist()))
    if all(t in wanted for t in names):  # the usual page: every named term is highlighted
        found = [every[bounds[c]:bounds[c + 1]] for c in range(n)]
    else:
        keep = [t in wanted for t in names]
        ids = ids.tolist()
        found = [[every[j] for j in range(bounds[c], bounds[c + 1]) if keep[ids[j]]]
                 for c in range(n)]
    around = getattr(index, "sentence_around", None)  # a cluster's index has only spans
    many = getattr(index, "sentences_around", None)
    if many is not None:  # the page's sentences found in one call
        got = iter(many(positions, [s[0] for s in sentences]))
        around = lambda pos, start: next(got)  # noqa: E731  (in the loop's order)
    out = []
    for text, pos, sentence, terms in zip(texts, positions, sentences, found):
        if around is not None:
            best = around(pos, sentence[0]) or sentence
        else:
            spans = [tuple(s) for s in index.sentence_spans(pos).tolist()]
            best = next(((s, e) for s, e in spans if s <= sentence[0] < e), sentence)
        out.append(Highlight(best[0], best[1], text[best[0] : best[1]], terms,
                             list(dict.fromkeys([text[s:e] for s, e in terms]))))
    return out


def _stored_matches(index: "Index", pos: int, wanted: set[str]) -> list[Token]:
    """The tokens of chunk pos whose terms are wanted, in text order, from the stored arrays."""
    by_id = {}
    for term in wanted:
        t = index.term_id(term)
        if t is not None:
            by_id[t] = term
    if not by_id:
        return []

    tok = index.tokens(pos)
    ids = np.fromiter(by_id, dtype=np.int64, count=len(by_id))
    at = np.flatnonzero(kernels.remap(tok.terms, ids, np.arange(len(ids), dtype=np.int32)) >= 0)
    return [Token(by_id[t], s, e) for t, s, e in
            zip(tok.terms[at].tolist(), tok.starts[at].tolist(), tok.ends[at].tolist())]


def _local_matches(toks: ChunkTokens, names: Sequence[str], wanted: set[str]) -> list[Token]:
    """The tokens whose terms are wanted, in text order, from tokens as question-local ids
    (names[i]: the term of id i; -1, or an id past names: not a term to highlight)."""
    ids = toks.terms
    if kernels.compiled():  # one compiled pass and one list, not a numpy call per step
        from .rank_kernels import local_matches

        return [Token(names[t], s, e) for t, s, e in
                local_matches(ids, toks.starts, toks.ends, len(names)).tolist()
                if names[t] in wanted]
    at = np.flatnonzero((ids >= 0) & (ids < len(names)))
    return [Token(names[t], s, e) for t, s, e in
            zip(ids[at].tolist(), toks.starts[at].tolist(), toks.ends[at].tolist())
            if names[t] in wanted]
