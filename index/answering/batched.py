"""A question's candidates measured together: the compiled loops of rank_kernels.py over the
flat token runs StoredTokens.mapped gathered for them, with the per-candidate Python path
when there are no runs (another backend) or numba is still loading (index/search/kernels.py).
Imports no numba itself, so opening an index stays fast."""
from __future__ import annotations

from typing import Callable, Sequence

import numpy as np

from ..search import kernels
from ..search.tokens import ChunkTokens


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
