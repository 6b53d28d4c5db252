"""The compiled reading of a question's candidates' terms (batched.terms_read: the terms each
holds, whether it says each name of several words) gives what constraints.local_terms and
has_phrase give on the same tokens, constraints.check judges a candidate alike from either,
and a candidate whose own text meets every constraint (met_in_text, where the check is not
made) is one check finds meeting them all, on random passages, names and numbers."""
from __future__ import annotations

import threading

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from index.answering import batched, constraints
from index.answering.constraints import Constraints, Name
from index.search import kernels
from index.search.tokens import ChunkTokens, TokenRuns

LOCAL = ("kim", "jong", "un", "korea", "north", "treati", "1961", "visit")


def _runs(passages: list[list[int]]) -> TokenRuns:
    """The passages' tokens (question-local ids, -1 for other terms) as StoredTokens.mapped
    gives them: one run after another, each a slice of the flat arrays."""
    t_ptr = np.zeros(len(passages) + 1, dtype=np.int64)
    np.cumsum([len(p) for p in passages], out=t_ptr[1:])
    terms = np.asarray([t for p in passages for t in p], dtype=np.int32)
    offsets = np.arange(len(terms), dtype=np.int32)
    sents = np.zeros(len(passages), dtype=np.int32)
    s_ptr = np.arange(len(passages) + 1, dtype=np.int64)
    out = TokenRuns(ChunkTokens(terms[a:b], offsets[a:b], offsets[a:b], sents[i:i + 1])
                    for i, (a, b) in enumerate(zip(t_ptr[:-1].tolist(), t_ptr[1:].tolist())))
    out.runs = (t_ptr, terms, offsets, offsets, s_ptr, sents)
    return out


@pytest.fixture(autouse=True)
def compiled() -> None:
    """The kernels loaded: an Answerer opened by an earlier test may still load them in the
    background (until then terms_read leaves the reading to the lists)."""
    for t in threading.enumerate():
        if t.name in ("docbot-warm-up", "docbot-kernels"):
            t.join(600)
    assert kernels.compiled()


_ids = st.integers(-1, len(LOCAL) - 1)
_passages = st.lists(st.lists(_ids, max_size=40), min_size=1, max_size=6)
# names of one to four terms, a term possibly twice (a quoted phrase may repeat one)
_names = st.lists(st.lists(st.sampled_from(LOCAL), min_size=1, max_size=4), max_size=4)


@settings(max_examples=300, deadline=None)
@given(_passages, _names, st.lists(st.sampled_from(LOCAL), max_size=2),
       st.lists(st.sampled_from(LOCAL), max_size=3))
def test_compiled_reading_equals_the_lists(passages, name_terms, numbers, title):
    toks = _runs(passages)
    names = tuple(Name(" ".join(t), tuple(t)) for t in name_terms)
    ids = {t: i for i, t in enumerate(LOCAL)}
    read = batched.terms_read(toks, LOCAL, ids, names)
    assert read is not None and len(read) == len(passages)
    cons = Constraints(names=names, numbers=tuple(numbers))
    for r, t in zip(read, toks):
        terms = constraints.local_terms(t.terms, LOCAL)
        assert r.held == frozenset(terms)
        assert list(r) == terms and len(r) == len(terms)
        for n in names:
            assert constraints.has_phrase(r, n) == constraints.has_phrase(terms, n), n.terms
            assert (n.terms[-1] in r) == (n.terms[-1] in terms)
        judged = constraints.check(cons, r, (tuple(title),), [""])
        assert judged == constraints.check(cons, terms, (tuple(title),), [""])
        if constraints.met_in_text(cons, r):  # met by its own text, whatever else it holds
            assert judged == cons.all_met == constraints.Check(cons.count, cons.count)


def test_a_name_said_apart_is_no_phrase():
    # 'Kim ... Un' with more than two other words between: not the name
    toks = _runs([[0, 1, 2], [0, -1, -1, -1, 2, 1], [2, -1, 0, 1], [0, 3]])
    name = Name("Kim Jong Un", ("kim", "jong", "un"))
    read = batched.terms_read(toks, LOCAL, {t: i for i, t in enumerate(LOCAL)}, (name,))
    assert [constraints.has_phrase(r, name) for r in read] == [True, False, True, False]
