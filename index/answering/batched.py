"""A question's candidates measured together: the compiled loops of rank_kernels.py over the
flat token runs StoredTokens.mapped gathered for them, with the per-candidate Python path
when there are no runs (another backend) or numba is still loading (index/search/kernels.py).
Imports no numba itself, so opening an index stays fast."""
from __future__ import annotations

from itertools import compress
from types import MappingProxyType
from typing import Callable, Mapping, Sequence

import numpy as np

from ..search import kernels
from ..search.tokens import ChunkTokens
from .constraints import TermsRead

_held_and_phrases = None  # rank_kernels.held_and_phrases once imported (it imports numba)


def typed_spans(toks: Sequence[ChunkTokens], sentences: Sequence[tuple[int, int]],
                lengths: Sequence[int],
                one: Callable[[ChunkTokens, tuple[int, int], int], tuple[int, int]]
                ) -> list[tuple[int, int]]:
    """one(toks[c], sentences[c], lengths[c]) of each candidate (answer._with_next)."""
    runs = getattr(toks, "runs", ())
    if not toks or not runs or not kernels.compiled():
        return [one(t, s, n) for t, s, n in zip(toks, sentences, lengths)]
    from .rank_kernels import typed_ends

    t_ptr, _, starts, _, s_ptr, sents = runs
    out = typed_ends(t_ptr, starts, s_ptr, sents,
                     np.asarray(sentences, dtype=np.int64).reshape(-1, 2),
                     np.asarray(lengths, dtype=np.int64))
    return list(map(tuple, out.tolist()))


def terms_read(toks: Sequence[ChunkTokens], local: Sequence[str], ids: Mapping[str, int],
               names: Sequence) -> list | None:
    """constraints.TermsRead of each candidate (its tokens as the question-local ids of
    local; ids: term -> its local id), the terms each holds and whether it says each name of
    several words (names: constraints.Name) found in one compiled call; None when the tokens
    come without runs (another backend) or numba is still loading: the caller reads lists."""
    runs = getattr(toks, "runs", ())
    if not toks or not runs or not kernels.compiled():
        return None
    global _held_and_phrases
    if _held_and_phrases is None:  # imported once, not per question
        from .rank_kernels import held_and_phrases as _held_and_phrases
    # each name once, by its terms (what has_phrase reads), when every term has an id
    phrases = list(dict.fromkeys(n.terms for n in names if len(n.terms) > 1
                                 and all(t in ids for t in n.terms)))
    if phrases:
        wanted = [list(dict.fromkeys(ids[t] for t in terms)) for terms in phrases]
        name_ptr = np.zeros(len(wanted) + 1, dtype=np.int64)
        np.cumsum([len(w) for w in wanted], out=name_ptr[1:])
        name_ids = np.asarray([i for w in wanted for i in w], dtype=np.int64)
        widths = np.asarray([len(terms) + 2 for terms in phrases], dtype=np.int64)
    else:  # the usual question: no name of several words
        name_ptr, name_ids, widths = _NO_NAMES
    t_ptr, terms = runs[0], runs[1]
    held, said = _held_and_phrases(t_ptr, terms, len(local), name_ptr, name_ids, widths)
    columns = (*local, "")  # the last column: a token of no question term
    if not phrases:
        return [TermsRead(t.terms, local, frozenset(compress(columns, h)), _NO_PHRASES)
                for t, h in zip(toks, held.tolist())]
    return [TermsRead(t.terms, local, frozenset(compress(columns, h)), dict(zip(phrases, s)))
            for t, h, s in zip(toks, held.tolist(), said.tolist())]


# no name of several words: the kernel's empty name arrays, and each candidate's (read-only)
# phrases found
_NO_NAMES = (np.zeros(1, dtype=np.int64), np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64))
_NO_PHRASES: Mapping[tuple, bool] = MappingProxyType({})
