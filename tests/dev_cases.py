"""The shape every development question file shares (tests/dev/*.yaml): checked once, for both
the bundled documents' questions and the users' own documents'."""
from __future__ import annotations

from typing import Callable, Iterable


def check_fields(cases: list[dict], fields: set, kinds: set, asks: set, splits: Iterable[str],
                 doc_known: Callable[[str], bool]) -> None:
    """Every case has only known fields and a known kind, asked type and split; an
    unanswerable one has no gold, evidence or document, an answerable one all three."""
    for case in cases:
        assert set(case) <= fields, case
        assert case["q"].strip() and case["kind"] in kinds and case["asks"] in asks, case
        assert case["split"] in splits, case
        if case["kind"] == "unanswerable":
            assert case["answer"] == [] and "evidence" not in case and "doc" not in case, case
        else:
            assert case["answer"] and case["evidence"], case
            assert doc_known(case["doc"]), case
