"""The segmented index's per-question loops over chunk numbers, compiled (numba, free of the
GIL): what SegmentedIndex.split did in ten numpy calls from Python, three times an answer
(the candidates' records, their tokens, the page's sentences)."""
from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True, nogil=True)
def split_rows(pos: np.ndarray, doc_start: np.ndarray, doc_seg: np.ndarray,
               doc_local: np.ndarray, n_live: int):
    """Of each chunk number pos[r], its segment and its number there, through the documents'
    runs (doc_start ascending; doc_seg, doc_local per document): (segments, local numbers,
    the first r whose number is not 0 <= pos[r] < n_live, else -1)."""
    n = len(pos)
    segs = np.empty(n, dtype=np.int64)
    local = np.empty(n, dtype=np.int64)
    for r in range(n):
        p = pos[r]
        if p < 0 or p >= n_live:
            return segs, local, r
        j = np.searchsorted(doc_start, p, side="right") - 1
        segs[r] = doc_seg[j]
        local[r] = doc_local[j] + p - doc_start[j]
    return segs, local, -1
