"""Scripted Q&A regression cases: load them, run them, explain failures.

A case file is a YAML list of mappings:
    - q: When did Mongolia and North Korea establish diplomatic relations?
      expect: ["15 October 1948"]     # each string occurs (any case) in one of the top-k passages;
                                      # an item that is a list passes when any of its strings does
      facts: [mn-kp-diplomatic-relations-1948]   # optional: these fact ids come first, in order
      k: 3                            # optional, default 3
    - q: Who won the 1998 FIFA World Cup?
      abstain: true                   # the answer must be "not in the documents"
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from index import yamlfile
from index.errors import DataError

from index.answer import Answer, Answerer

CASE_KEYS = {"q", "expect", "abstain", "facts", "k", "first"}


@dataclass
class Case:
    q: str
    expect: list[list[str]] = field(default_factory=list)  # all items; any string of an item
    abstain: bool = False
    facts: list[str] = field(default_factory=list)
    k: int = 3
    where: str = ""  # file:line


@dataclass
class Result:
    case: Case
    ok: bool
    problems: list[str]
    answer: Answer

    def explain(self) -> str:
        lines = [f"{self.case.where}: {self.case.q!r}", *[f"  - {p}" for p in self.problems]]
        if self.answer.facts:
            lines.append("  facts: " + ", ".join(f.fact.id for f in self.answer.facts[:5]))
        if not self.answer.passages:
            lines.append(f"  answer: {self.answer.message}")
        for p in self.answer.passages:
            text = " ".join(p.hit.chunk.text.split())
            lines.append(f"  [{p.rank}] {p.score:.3f} {p.hit.chunk.citation}: {text[:160]}…")
        return "\n".join(lines)


def load_cases(path: Path) -> list[Case]:
    raw = yamlfile.load(path, with_lines=True)
    if raw is not None and not isinstance(raw, list):
        raise DataError(f"{path}: expected a list of cases")
    cases = []
    for item in raw or []:
        line = item.pop(yamlfile.LINE, 0) if isinstance(item, dict) else 0
        where = f"{path}:{line}"
        if not isinstance(item, dict) or not isinstance(item.get("q"), str):
            raise DataError(f"{where}: a case needs 'q: question'")
        unknown = set(item) - CASE_KEYS
        if unknown:
            raise DataError(f"{where}: unknown key(s) {sorted(unknown)}; allowed {sorted(CASE_KEYS)}")
        expect = item.get("expect", [])
        expect = [expect] if isinstance(expect, str) else expect
        if not item.get("abstain") and not expect and not item.get("facts"):
            raise DataError(f"{where}: give 'expect', 'facts' or 'abstain: true'")
        expect = [[str(y) for y in x] if isinstance(x, list) else [str(x)] for x in expect]
        cases.append(Case(item["q"], expect, bool(item.get("abstain")),
                          [str(x) for x in item.get("facts", [])], int(item.get("k", 3)), where))
    return cases


def run_case(answerer: Answerer, case: Case) -> Result:
    answer = answerer.ask(case.q, k=case.k)
    problems: list[str] = []
    if case.abstain:
        if answer.answered:
            problems.append(f"expected no answer, got {len(answer.passages)} passages")
    else:
        if not answer.answered:
            problems.append(f"expected an answer, got: {answer.message}")
        texts = [p.hit.chunk.text.casefold() for p in answer.passages]
        for options in case.expect:
            if not any(s.casefold() in t for s in options for t in texts):
                shown = options[0] if len(options) == 1 else " or ".join(map(repr, options))
                problems.append(f"expected {shown!r} in the top {case.k} passages")
        got = [f.fact.id for f in answer.facts]
        if case.facts and got[: len(case.facts)] != case.facts:
            problems.append(f"expected facts {case.facts} first, got {got[:len(case.facts) + 2]}")
    return Result(case, not problems, problems, answer)


def run_files(answerer: Answerer, paths: list[Path]) -> list[Result]:
    return [run_case(answerer, c) for p in paths for c in load_cases(p)]
