"""tests/dev/questions.yaml is well formed: every gold answer and evidence snippet is in its
bundled document word for word (whitespace aside), each kind is halved between splits a and b,
and split c (written later, blind to the rules, held out like b) is a set of its own."""
from __future__ import annotations

from collections import Counter
from pathlib import Path

import yaml

from dev_cases import check_fields

ROOT = Path(__file__).resolve().parents[1]
QUESTIONS = ROOT / "tests" / "dev" / "questions.yaml"
DOCS = ROOT / "data" / "docs"
FIELDS = {"q", "kind", "split", "asks", "answer", "evidence", "doc", "near"}
KINDS = {"paraphrase", "people", "date_number", "endnote", "why_how", "late_digest",
         "unanswerable"}
ASKS = {"date", "number", "person", "place", "name", "reason", "other"}
SPLITS = ("a", "b", "c")
CASES = yaml.safe_load(QUESTIONS.read_text(encoding="utf-8"))


def fold(text: str) -> str:
    return " ".join(text.split())


def test_every_case_has_the_fields_of_its_kind():
    check_fields(CASES, FIELDS, KINDS, ASKS, SPLITS,
                 lambda doc: (DOCS / f"{doc}.txt").is_file())


def test_each_kind_is_split_in_halves_between_a_and_b():
    count = Counter((c["kind"], c["split"]) for c in CASES)
    for kind in KINDS:
        assert abs(count[kind, "a"] - count[kind, "b"]) <= 1, (kind, count)


def test_no_question_is_asked_in_two_splits():
    # a held-out question that a fitted split also asks is not held out
    seen: dict[str, str] = {}
    for case in CASES:
        q = fold(case["q"]).casefold()
        assert seen.setdefault(q, case["split"]) == case["split"], case["q"]


def test_split_c_has_every_kind_and_asks_nothing_a_or_b_asks():
    c = [case for case in CASES if case["split"] == "c"]
    assert {case["kind"] for case in c} == KINDS
    assert sum(case["kind"] == "unanswerable" for case in c) * 2 >= len(c) - 1
    earlier = {fold(case["q"]).casefold() for case in CASES if case["split"] != "c"}
    asked = [fold(case["q"]).casefold() for case in c]
    assert not set(asked) & earlier and len(set(asked)) == len(asked)


def test_gold_answers_and_evidence_are_in_their_document():
    texts = {p.stem: fold(p.read_text(encoding="utf-8")) for p in DOCS.glob("*.txt")}
    wrong = []
    for case in CASES:
        if not case["answer"]:
            continue
        for snippet in [*case["answer"], case["evidence"]]:
            if fold(snippet) not in texts[case["doc"]]:
                wrong.append(f"{case['doc']}: {snippet!r} ({case['q']})")
    assert not wrong, "\n".join(wrong)
