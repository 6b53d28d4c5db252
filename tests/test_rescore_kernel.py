"""The second stage's compiled loops give the very figures of its numpy/Python reference, on
the real data/ folder: the questions of the Q&A suite, and sentences of its passages asked as
questions (long ones, so pair sums run past numpy's 8-lane blocks)."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from bot.evaluate import load_cases
from index.answering import rescore
from index.answering.answer import Answerer, Query

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def answerer(tmp_path_factory) -> Answerer:
    return Answerer.open(ROOT / "data", tmp_path_factory.mktemp("kernel-index"))


def _questions(answerer: Answerer) -> list[str]:
    asked = [c.q for p in sorted((ROOT / "tests" / "qa").glob("*.yaml"))
             for c in load_cases(p)]
    chunks = answerer.index.chunks
    step = max(1, len(chunks) // 60)
    for i in range(0, len(chunks), step):
        text = chunks[i].text
        asked.append(" ".join(text.split()[:40]))  # a long question: many pairs, bigrams
        asked.append(text.split(". ")[0] + "?")
    return asked


def test_compiled_signals_equal_the_reference(answerer: Answerer):
    compared = long_sums = 0
    for question in _questions(answerer):
        q = answerer.query(question)
        if not isinstance(q, Query):
            continue
        for h in answerer.index.search_terms(list(q.terms), rescore.DEPTH):
            toks = answerer.tokens(q, h)
            outside = answerer._outside_terms(h.chunk)  # heading and endnotes, as rank() takes them
            extra = frozenset(q.ids[t] for s in outside[:-1] for t in s if t in q.ids)
            got = rescore.signals(q.qterms, toks, h.chunk.text, h.score, extra)
            want = rescore.signals_reference(q.qterms, toks, h.chunk.text, h.score, extra)
            assert got == want, (question, h.chunk.id)
            held = rescore.signals_and_held(q.qterms, toks, h.chunk.text, h.score, extra)[1]
            assert held == rescore.held_ids(q.qterms, toks, extra)
            compared += 1
            long_sums += len(rescore.held_ids(q.qterms, toks)) >= 8
    assert compared > 1000
    assert long_sums > 50  # the pairwise sums' 8-lane path was exercised


def test_one_call_for_all_candidates_equals_one_call_each(answerer: Answerer):
    """rank() reads its candidates' stored tokens and measures them in one compiled call
    each (tokens_of, signals_and_held_many): the same tokens and figures as one by one."""
    compared = 0
    for question in _questions(answerer):
        q = answerer.query(question)
        if not isinstance(q, Query):
            continue
        hits = answerer.index.search_terms(list(q.terms), rescore.DEPTH)
        batch = answerer.tokens_of(q, hits)
        extras = []
        for h, toks in zip(hits, batch):
            one = answerer.tokens(q, h)
            assert all(np.array_equal(a, b) and a.dtype == b.dtype for a, b in zip(toks, one))
            outside = answerer._outside_terms(h.chunk)
            extras.append(frozenset(q.ids[t] for s in outside[:-1] for t in s if t in q.ids))
        many = rescore.signals_and_held_many(q.qterms, batch, [h.chunk.text for h in hits],
                                             [h.score for h in hits], extras)
        for h, toks, extra, got in zip(hits, batch, extras, many):
            assert got == rescore.signals_and_held(q.qterms, toks, h.chunk.text, h.score, extra)
            compared += 1
    assert compared > 1000


def test_compiled_signals_on_fact_tokens(answerer: Answerer):
    facts = answerer._fact_index
    assert facts is not None
    compared = 0
    for question in _questions(answerer)[:80]:
        q = answerer.query(question)
        if not isinstance(q, Query):
            continue
        fq = rescore.query_terms(q.terms, answerer._fact_term_id, answerer.weight, q.wants,
                                 q.names)
        for h in facts.search_terms(list(q.terms), 10):
            toks = facts.tokens(h.pos)
            assert (rescore.signals(fq, toks, h.chunk.text, h.score)
                    == rescore.signals_reference(fq, toks, h.chunk.text, h.score))
            compared += 1
    assert compared > 50


def test_compiled_sum_adds_as_numpy_does():
    import numpy as np

    from index.answering.rescore_kernel import np_sum

    rng = np.random.default_rng(7)
    for n in [*range(0, 300), 1000, 4099, 70001]:
        a = rng.random(n) * 10.0 ** rng.uniform(-6, 6, n)
        assert np_sum(a) == float(a.sum()), n


def test_a_question_of_unknown_words_holds_nothing_on_the_reference_path():
    # asked while the compiled loops still load, such a question (its passages found through
    # endnotes or the citing words) stopped `ask --jsonl` with an IndexError
    q = rescore.query_terms(["zzyzx", "qwv"], lambda t: -1, lambda t: 1.0, None)
    assert q.slot_of(np.array([0, 3, -1])).tolist() == [-1, -1, -1]


def test_the_compiled_best_sentence_is_the_one_python_rounding_picks():
    """Nothing asked for: the best sentence is picked compiled (rescore_kernel.plain_best)
    among gains equal to 9 digits; gains that differ by less than CLOSE_GAIN (rounding alike
    or not) are left to _best_row's round(). Either way the sentence _best_row picks."""
    from types import SimpleNamespace

    from index.answering.rescore_kernel import plain_best, plain_best_rows

    rng = np.random.default_rng(5)
    steps = np.array([0.0, 0.0, 1e-10, 4e-10, 6e-10, 1.5e-9, 3e-9, 2e-3, 0.25])
    parts, bounds = [], [0]
    for _ in range(400):
        m = int(rng.integers(1, 7))
        rows = np.zeros((m, 9))
        rows[:, 0] = np.arange(m)  # sentence
        rows[:, 1] = 3.1234567885 - rng.choice(steps, m)  # gain, near a rounding edge
        rows[:, 5] = rng.integers(0, 3, m)  # terms in the sentence
        parts.append(rows[np.argsort(-rows[:, 1], kind="mergesort")])
        bounds.append(bounds[-1] + m)
    rows = np.concatenate(parts)
    r_ptr = np.asarray(bounds, dtype=np.int64)
    picked = plain_best(r_ptr, rows, rescore.CLOSE_GAIN).tolist()
    every, q = rows.tolist(), SimpleNamespace(wants=None)
    decided = 0
    for c, at in enumerate(picked):
        best, _ = rescore._best_row(q, "", every[bounds[c]:bounds[c + 1]])
        if at >= 0:
            assert every[at] == best
            decided += 1
    assert 0 < decided < len(picked)  # some left to Python, most not
    # the rows themselves as the second stage reads them, NaN where Python decides
    got = plain_best_rows(r_ptr, rows, rescore.CLOSE_GAIN).tolist()
    for at, row in zip(picked, got):
        assert row == every[at] if at >= 0 else all(x != x for x in row)
