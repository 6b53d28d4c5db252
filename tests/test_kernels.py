"""While numba loads in the background, questions are answered from the numpy/Python reference
path, with the very answers the compiled kernels give (index/search/kernels.py)."""
from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
import pytest

from bot.evaluate import load_cases
from index.search import kernels
from index.answering.answer import Answerer

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def answerer(tmp_path_factory) -> Answerer:
    a = Answerer.open(ROOT / "data", tmp_path_factory.mktemp("kernels-index"))
    for t in threading.enumerate():  # the background load Answerer.open started
        if t.name == "docbot-warm-up":
            t.join(600)
    return a


def _questions() -> list[str]:
    return [c.q for p in sorted((ROOT / "tests" / "qa").glob("*.yaml")) for c in load_cases(p)]


def test_reference_path_gives_the_compiled_answers(answerer: Answerer):
    asked = _questions()
    assert len(asked) > 50
    for question in asked:
        compiled = answerer.ask(question, k=5)
        with kernels.reference_only():
            assert not kernels.compiled()
            reference = answerer.ask(question, k=5)
        assert reference.to_dict() == compiled.to_dict(), question
    assert kernels.compiled()


def test_question_during_the_load_does_not_wait_for_it(answerer: Answerer):
    question = _questions()[0]
    want = answerer.ask(question, k=3).to_dict()
    gate = threading.Event()
    loader = kernels.load_in_background(lambda: gate.wait(120))
    try:
        assert not kernels.compiled()
        got = answerer.ask(question, k=3).to_dict()
        assert loader.is_alive()  # answered while the load was still under way
    finally:
        gate.set()
        loader.join(120)
    assert got == want
    assert kernels.compiled()


def test_failed_load_leaves_the_compiled_path_on():
    def fail() -> None:
        raise RuntimeError("no compiler")

    kernels.load_in_background(fail).join(60)
    assert kernels.compiled()


def test_remap_reference_equals_the_compiled_loop():
    from index.answering.rescore_kernel import remap

    rng = np.random.default_rng(3)
    for n in (0, 1, 7, 200):
        terms = rng.integers(-1, 40, n).astype(np.int32)
        vocab = rng.integers(0, 40, 12).astype(np.int64)  # repeats: the first one wins
        local = np.arange(12, dtype=np.int32)
        assert np.array_equal(kernels.remap_reference(terms, vocab, local),
                              remap(terms, vocab, local))
