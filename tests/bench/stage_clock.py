"""The stages of Answerer.ask and one timer for them, shared by answer_stages.py (process
time per stage) and gil_held.py (held time per stage: thread time less the GIL-free compiled
calls). Each stage is a function or method wrapped in place; stages nest as they run (rank
holds the search, the records, the second stage and the checks)."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path
from types import ModuleType
from typing import Callable


def checkout_first(default: Path) -> None:
    """Put the checkout --checkout names (default: this one) first on sys.path, before its
    index package is imported (scale.py puts this one's first)."""
    checkout = default
    if "--checkout" in sys.argv:
        checkout = Path(sys.argv[sys.argv.index("--checkout") + 1])
    sys.path.insert(0, str(checkout.resolve()))


def stage_arguments(description: str, size: int, squad: Path, default: Path
                    ) -> argparse.ArgumentParser:
    """The arguments both stage benchmarks take: a scale.py --keep workdir, its size, how
    many of its questions, SQuAD's file, the checkout measured."""
    ap = argparse.ArgumentParser(description=description)
    ap.add_argument("workdir", type=Path, help="a scale.py --keep workdir")
    ap.add_argument("--size", type=int, default=size)
    ap.add_argument("--queries", type=int, default=300)
    ap.add_argument("--squad", type=Path, default=squad)
    ap.add_argument("--checkout", type=Path, default=default,
                    help="the docbot checkout to measure (default: this one)")
    return ap


def stages(answer: ModuleType, index: object) -> list[tuple[object, str, str]]:
    """(owner, attribute, label) of each stage of Answerer.ask that this checkout and index
    have, in the order they run, labels indented as they nest."""
    A = answer
    listed = [
        (A.Answerer, "query", "question: analysis, what is asked, constraints"),
        (A.Answerer, "rank", "rank: all below"),
        (index, "search_terms", "  search_terms: the engine"),
        (getattr(index, "bm25", None), "search", "    of which bm25.search"),
        (A, "hit_chunks", "  chunk records (hit_chunks)"),
        (A.Answerer, "_outside_terms", "  heading/notes/title terms (_outside_terms)"),
        (A.Answerer, "tokens_of", "  stored tokens as the question's ids"),
        (A.rescore, "signals_and_held_many", "  second stage (signals_and_held_many)"),
        (getattr(A, "batched", None), "typed_spans", "  best sentence and the next (typed_spans)"),
        (getattr(A, "batched", None), "terms_read", "  terms the checks read, all candidates (terms_read)"),
        (A.Answerer, "_check", "  constraints and the asked-for type (_check)"),
        (A.Answerer, "_neighbours", "  neighbours of failing passages"),
        (A.Answerer, "decide", "decide: the evidence rule"),
        (A.Answerer, "match_facts", "facts"),
        (A.Answerer, "_passages", "highlighting the shown passages"),
        (A, "direct_answer", "the answer line")]
    return [(owner, name, label) for owner, name, label in listed
            if owner is not None and hasattr(owner, name)]


def time_stages(listed: list[tuple[object, str, str]], clock: Callable[[], int]
                ) -> dict[str, int]:
    """Wrap each stage so that what clock() advances inside it is added to its label's total
    (about a microsecond a call); returns the totals, filled in as the stages run."""
    spent: dict[str, int] = {}
    for owner, name, label in listed:
        spent[label] = 0
        setattr(owner, name, _timed(getattr(owner, name), label, spent, clock))
    return spent


def _timed(f: Callable, label: str, spent: dict[str, int], clock: Callable[[], int]) -> Callable:
    def timed(*a, **k):
        t0 = clock()
        try:
            return f(*a, **k)
        finally:
            spent[label] += clock() - t0

    return timed
