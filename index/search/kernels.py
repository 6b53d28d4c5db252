"""When the compiled kernels (numba: index/search/maxscore.py,
index/answering/rescore_kernel.py) may be called, and when the numpy/Python reference path
answers instead.

Why: numba's import and the loading of its cached machine code cost a fresh process about a
second (the first run after an install or a change of the kernels compiles for tens of
seconds). A process that loads them in the background (`load_in_background`, which
Answerer.open uses) answers meanwhile from the reference path, which gives the very same
figures (tests compare them), and switches once the load is done. A process that never starts
a background load calls the kernels directly and loads them on first use.

This module imports no numba, so a thread on the reference path never waits for the import.
"""
from __future__ import annotations

import contextlib
import threading
from typing import Callable, Iterator

import numpy as np

_lock = threading.Lock()
_loading = 0  # background loads under way
_local = threading.local()  # .loader: this thread is a loader; .reference: forced off


_forced = 0  # threads inside reference_only(): while none is, no thread-local need be read


def compiled() -> bool:
    """May this thread call the compiled kernels now (without waiting for numba)?"""
    if _loading == 0 and _forced == 0:  # the usual case, asked dozens of times an answer
        return True
    if getattr(_local, "reference", False):
        return False
    return _loading == 0 or getattr(_local, "loader", False)


def load_in_background(load: Callable[[], None], name: str = "docbot-kernels") -> threading.Thread:
    """Run load (work that calls the compiled kernels: a question, say) in a daemon thread;
    until it ends, other threads take the reference path. Errors in load are ignored: a
    real question meets the same error on the compiled path and reports it."""
    global _loading
    with _lock:
        _loading += 1

    def run() -> None:
        global _loading
        _local.loader = True
        try:
            # numba's import, whatever load asks
            from . import maxscore  # noqa: F401
            from ..answering import rank_kernels, rescore_kernel  # noqa: F401

            load()
        except Exception:  # noqa: BLE001  (see above)
            pass
        finally:
            with _lock:
                _loading -= 1

    thread = threading.Thread(target=run, name=name, daemon=True)
    thread.start()
    return thread


@contextlib.contextmanager
def reference_only() -> Iterator[None]:
    """This thread takes the reference path inside the block (to compare the two paths)."""
    global _forced
    before = getattr(_local, "reference", False)
    _local.reference = True
    with _lock:
        _forced += 1
    try:
        yield
    finally:
        _local.reference = before
        with _lock:
            _forced -= 1


def remap(terms: np.ndarray, vocab_ids: np.ndarray, local_ids: np.ndarray) -> np.ndarray:
    """terms (vocabulary ids) as local ids: vocab_ids[j] -> local_ids[j] (the first such j),
    others -1; compiled when the kernels may be called."""
    if compiled():
        global _kernel
        if _kernel is None:  # imported once, not per passage
            from ..answering import rescore_kernel as _kernel
        return _kernel.remap(terms, vocab_ids, local_ids)
    return remap_reference(terms, vocab_ids, local_ids)


_kernel = None  # index/answering/rescore_kernel once imported (it imports numba)


def remap_reference(terms: np.ndarray, vocab_ids: np.ndarray,
                    local_ids: np.ndarray) -> np.ndarray:
    """remap() in numpy (the reference)."""
    out = np.full(len(terms), -1, dtype=np.int32)
    for j in range(len(vocab_ids) - 1, -1, -1):  # the first j wins, as in the compiled loop
        out[terms == vocab_ids[j]] = local_ids[j]
    return out
