"""How often docbot is right on the development questions (tests/dev/questions.yaml).

An answerable question is right when docbot answers and a gold answer string occurs
(case-insensitively, spaces folded) in its answer line, a shown fact, or one of the top-k
passages (text or the endnotes it cites). An unanswerable one is right when docbot does not
answer: status none, or closest (the closest passages under "the documents don't say").
Split a is the one answer rules may be fitted on; report split b. Split c was written later,
from the documents alone and blind to the rules, and is held out like b (rules are fitted on a
only).
The answer line is counted apart: for questions asking for a date, a number or a person, the
share whose answer line (a span or a fact's date/value, not a whole sentence) holds a gold
answer; and the precision of value answer lines: of the spans and facts shown as the answer
line on any question (unanswerable ones included), the share holding a gold answer.

    python tests/bench/dev_eval.py [--split a|b|c|all] [-k 3] [--show]
"""
from __future__ import annotations

import argparse
import re
import sys
import tempfile
from collections import defaultdict
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from index.answering.answer import Answer, Answerer  # noqa: E402


_MONTH = (r"(january|february|march|april|may|june|july|august|september|october|november"
          r"|december)")


def fold(text: str) -> str:
    """Casefolded, spaces folded, a decimal comma as a point, and a date in one order:
    'October 3, 2002' and '3 October 2002' are the same answer."""
    text = " ".join(text.casefold().split())
    text = re.sub(r"(?<![\d,])(\d+),(\d{1,2})(?![\d,])", r"\1.\2", text)  # '19,5' is 19.5
    return re.sub(rf"\b{_MONTH} (\d{{1,2}})(?:st|nd|rd|th)?\b,?", r"\2 \1", text)


def shown_text(answer: Answer) -> str:
    """Everything a user is shown for an answer, folded."""
    parts = []
    direct = answer.direct
    if direct is not None:
        parts += [direct.text, direct.sentence or ""]
    for m in answer.facts:
        parts += [m.fact.text, m.fact.quote]
    for p in answer.passages:
        parts.append(p.hit.chunk.text)
        parts += [n.text for n in p.hit.chunk.notes]
    return fold("\n".join(parts))


def reply_kind(answer: Answer) -> str:
    """answer | closest | none (an Answer without a status: answered or not)."""
    return getattr(answer, "status", "") or ("answer" if answer.answered else "none")


def is_right(case: dict, answer: Answer) -> bool:
    if not case["answer"]:
        return reply_kind(answer) != "answer"
    if reply_kind(answer) != "answer":
        return False
    text = shown_text(answer)
    return any(fold(a) in text for a in case["answer"])


def value_line(answer: Answer) -> str | None:
    """The answer line when it is a value (a span or a fact's date/value), not a sentence."""
    d = answer.direct
    return d.text if d is not None and d.kind in ("span", "fact") else None


def line_right(case: dict, answer: Answer) -> bool:
    """Does the value answer line hold a gold answer."""
    line = value_line(answer)
    return line is not None and any(fold(a) in fold(line) for a in case["answer"])


class Tally:
    """What the benches count over (case, answer) pairs: per kind whether each is right; per
    date/number/person question whether its answer line holds a gold answer; per value
    answer line shown whether it holds one."""

    def __init__(self) -> None:
        self.right: dict[str, list[bool]] = defaultdict(list)
        self.lines: list[bool] = []
        self.shown: list[bool] = []
        self.notes: list[bool] = []  # endnote questions: does the answer line hold the source

    def add(self, case: dict, answer: Answer) -> bool:
        """Count one case; whether it is right."""
        ok = is_right(case, answer)
        self.right[case["kind"]].append(ok)
        if case["answer"] and case.get("asks") in ("date", "number", "person"):
            self.lines.append(line_right(case, answer))
        if reply_kind(answer) == "answer" and value_line(answer) is not None:
            self.shown.append(line_right(case, answer))
        if case["kind"] == "endnote":
            d = answer.direct if reply_kind(answer) == "answer" else None
            self.notes.append(d is not None and any(fold(a) in fold(d.text) for a in case["answer"]))
        return ok

    @property
    def answerable(self) -> list[bool]:
        return [ok for kind, oks in self.right.items() if kind != "unanswerable" for ok in oks]

    def print_kinds(self, split: str, k: int) -> None:
        print(f"split {split}, top {k}")
        print(f"{'kind':<14}{'right':>8}{'n':>6}")
        for kind in sorted(self.right):
            oks = self.right[kind]
            print(f"{kind:<14}{sum(oks) / len(oks):>8.1%}{len(oks):>6}")


def load(split: str) -> list[dict]:
    cases = yaml.safe_load((ROOT / "tests/dev/questions.yaml").read_text(encoding="utf-8"))
    return [c for c in cases if split == "all" or c["split"] == split]


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--split", choices=("a", "b", "c", "all"), default="b")
    ap.add_argument("-k", type=int, default=3)
    ap.add_argument("--show", action="store_true", help="print every wrong answer")
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        answerer = Answerer.open(ROOT / "data", Path(tmp) / "index")
        tally = Tally()
        for case in load(args.split):
            answer = answerer.ask(case["q"], k=args.k)
            ok = tally.add(case, answer)
            if args.show and reply_kind(answer) == "answer" and value_line(answer) is not None \
                    and not line_right(case, answer):
                print(f"LINE [{case['kind']}] {case['q']}\n   gold {case['answer']}  "
                      f"line: {value_line(answer)}")
            if args.show and not ok:
                top = answer.passages[0].highlight.sentence[:150] if answer.passages else "-"
                facts = [m.fact.id for m in answer.facts]
                print(f"WRONG [{case['kind']}] {case['q']}\n   gold {case['answer']}  "
                      f"answered={answer.answered} facts={facts}\n   top: {top}")
    tally.print_kinds(args.split, args.k)
    answerable, lines, shown = tally.answerable, tally.lines, tally.shown
    every = answerable + tally.right.get("unanswerable", [])
    print(f"{'answerable':<14}{sum(answerable) / max(1, len(answerable)):>8.1%}{len(answerable):>6}")
    print(f"{'all':<14}{sum(every) / max(1, len(every)):>8.1%}{len(every):>6}")
    print(f"answer line holds the asked date/number/person: {sum(lines) / max(1, len(lines)):.1%}"
          f" of {len(lines)}")
    print(f"value answer lines shown right (precision): {sum(shown) / max(1, len(shown)):.1%}"
          f" of {len(shown)}")
    notes = tally.notes
    print(f"endnote questions whose answer line holds the source: {sum(notes)} of {len(notes)}")


if __name__ == "__main__":
    main()
