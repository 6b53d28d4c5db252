"""Highlighting from the tokens stored at build time picks what analyzing the passage picks."""
from __future__ import annotations

import math
from pathlib import Path

from index.search.engine import build_index, load_analyzer
from index.answering.asked import asked
from index.answering.highlight import chosen_many, highlight
from index.search.kernels import remap_reference

import numpy as np

DATA = Path(__file__).resolve().parents[1] / "data"
QUESTIONS = [
    "When did Mongolia and North Korea establish diplomatic relations?",
    "How many orphans did the country accept?",
    "Who signed the treaty of friendship in Pyongyang?",
    "What did Tsedenbal say about the Soviet Union and China?",
    "trade agreement 1986 visit ambassador",
]
YEAR = asked("When was it?")  # asks for a date


def test_stored_tokens_give_the_same_highlight_as_analysis(tmp_path):
    index = build_index(DATA, tmp_path / "index")
    analyzer = load_analyzer(DATA)
    n = len(index.chunks)

    def weight(term: str) -> float:
        return math.log((n + 1) / (index.df(term) + 0.5))

    compared = 0
    for q in QUESTIONS:
        terms = analyzer.terms(q)
        # the tokens as the answerer passes them on: question-local ids, with a term the
        # question does not ask about (as a constraint's) among them
        names = [*dict.fromkeys(terms), "pyongyang"]
        known = [(index.term_id(t), i) for i, t in enumerate(names) if index.term_id(t) is not None]
        vocab = np.asarray([v for v, _ in known], dtype=np.int64)
        local_ids = np.asarray([i for _, i in known], dtype=np.int32)
        for wants in (None, YEAR):
            for i, c in enumerate(index.chunks):
                stored = highlight(c.text, terms, analyzer, weight, wants, index, i)
                assert stored == highlight(c.text, terms, analyzer, weight, wants), (q, c.id)
                toks = index.tokens(i)
                toks = toks._replace(terms=remap_reference(toks.terms, vocab, local_ids))
                assert stored == highlight(c.text, terms, analyzer, weight, wants, index, i,
                                           local=(toks, names)), (q, c.id)
                # the ids past those named (a constraint's terms) are not highlighted
                assert stored == highlight(c.text, terms, analyzer, weight, wants, index, i,
                                           local=(toks, names[:-1])), (q, c.id)
                # the sentence the second stage chose: the same sentence and matches as
                # analysis around it, read from the tokens it read
                span = (stored.start, stored.end)
                assert highlight(c.text, terms, analyzer, weight, wants, index, i, span,
                                 local=(toks, names)) == highlight(
                    c.text, terms, analyzer, weight, wants, sentence=span), (q, c.id)
                compared += bool(stored.terms)
            # a page of passages highlighted together: each as highlighted alone
            page = list(range(0, n, 3))
            toks = [index.tokens(i) for i in page]
            toks = [t._replace(terms=remap_reference(t.terms, vocab, local_ids)) for t in toks]
            alone = [highlight(index.chunks[i].text, terms, analyzer, weight, wants, index, i)
                     for i in page]
            spans = [(h.start, h.end) for h in alone]
            for named in (names, names[:-1]):  # with a term not highlighted, and without
                assert chosen_many([index.chunks[i].text for i in page], index, page, spans,
                                   toks, named, set(terms)) == [
                    highlight(index.chunks[i].text, terms, analyzer, weight, wants, sentence=s)
                    for i, s in zip(page, spans)], q
    assert compared > 100  # many passages matched a question term
