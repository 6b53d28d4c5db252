"""The scripted Q&A regression suite (tests/qa/*.yaml) on the real data/ folder."""
from __future__ import annotations

from pathlib import Path

import pytest

from index.answer import Answerer
from bot.evaluate import load_cases, run_case

ROOT = Path(__file__).resolve().parents[1]
CASES = [c for p in sorted((ROOT / "tests" / "qa").glob("*.yaml")) for c in load_cases(p)]


@pytest.fixture(scope="module")
def answerer(tmp_path_factory) -> Answerer:
    return Answerer.open(ROOT / "data", tmp_path_factory.mktemp("qa-index"))


def test_suite_is_substantial():
    assert len(CASES) >= 40
    assert sum(c.abstain for c in CASES) >= 10


@pytest.mark.parametrize("case", CASES, ids=[c.where.split("/")[-1] for c in CASES])
def test_case(answerer: Answerer, case):
    result = run_case(answerer, case)
    assert result.ok, "\n" + result.explain()
