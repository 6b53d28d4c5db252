"""CPU an answer spends reading and checking the question's constraints: process time per
question of Answerer.query, constraints.read (and its _names), constraints.check, direct.gives
(each text judged once per question) and Answerer._check (the checks with the rest of their
bookkeeping), over near_miss.py's questions (SQuAD v1.1 dev, its 48 articles indexed, one
document each); prints figures, asserts nothing.

    python tests/bench/constraint_cost.py [--half fit] [--every 4] [--against /tmp/docbot-main]

With --against, another checkout in the same process (gil_held.py's way: its package loaded as
index_a), question by question in turn, so that load from elsewhere falls on both alike; the
ratios (this / the other) are the figures to read. Every question is asked once before the
timed rounds; each stage is timed by a wrapper (well under a microsecond a call), the sum of
its calls per question. Stages nest: query holds read; _check holds check and gives.
"""
from __future__ import annotations

import argparse
import functools
import importlib
import json
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))
if "--against" in sys.argv:  # before numba is imported: nothing written into the other checkout
    os.environ["NUMBA_CACHE_DIR"] = tempfile.mkdtemp(prefix="docbot-cons-cost-numba-")
    sys.dont_write_bytecode = True

from ab_answers import _load  # noqa: E402
from near_miss import SQUAD, cases  # noqa: E402
from squad_e2e import write_articles  # noqa: E402

STAGES = ("ask", "query", "read", "_names", "_check", "check", "gives")


class Meter:
    """One checkout's answerer with its constraint stages timed."""

    def __init__(self, package: str, data: Path, index_dir: Path) -> None:
        answer = importlib.import_module(f"{package}.answering.answer")
        cons = importlib.import_module(f"{package}.answering.constraints")
        self.answerer = answer.Answerer.open(data, index_dir)
        self.package = package
        self.spent = dict.fromkeys(STAGES, 0)
        self.on = False
        self._wrap(cons, "read", "read")
        self._wrap(cons, "_names", "_names")
        self._wrap(cons, "check", "check")
        self._wrap(answer, "gives", "gives")  # as answer.py calls it (direct.gives)
        self._wrap(answer.Answerer, "query", "query")
        self._wrap(answer.Answerer, "_check", "_check")

    def _wrap(self, owner, attr: str, stage: str) -> None:
        f = getattr(owner, attr)
        clock = time.thread_time_ns

        @functools.wraps(f)
        def timed(*args, **kw):
            if not self.on:
                return f(*args, **kw)
            t = clock()
            try:
                return f(*args, **kw)
            finally:
                self.spent[stage] += clock() - t
        setattr(owner, attr, timed)

    def ask(self, question: str) -> None:
        t = time.thread_time_ns()
        self.answerer.ask(question)
        self.spent["ask"] += time.thread_time_ns() - t


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--squad", type=Path, default=SQUAD)
    ap.add_argument("--half", choices=("fit", "report", "both"), default="fit")
    ap.add_argument("--every", type=int, default=4, help="every n-th case")
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--against", type=Path, help="another checkout, measured alongside")
    args = ap.parse_args()
    squad = json.loads(args.squad.read_text())["data"]
    todo = [c["q"] for c in cases(squad, args.half, args.every)]
    with tempfile.TemporaryDirectory(prefix="docbot-cons-cost-") as tmp:
        data = Path(tmp) / "squad"
        write_articles(squad, data)
        meters = [Meter("index", data, Path(tmp) / "index")]
        if args.against is not None:
            _load("index_a", args.against.resolve())
            meters.append(Meter("index_a", data, Path(tmp) / "index_a"))
        for q in todo:  # caches, numba, the page cache
            for m in meters:
                m.ask(q)
        for m in meters:
            m.spent = dict.fromkeys(STAGES, 0)
            m.on = True
        for r in range(args.rounds):
            for i, q in enumerate(todo):
                for m in meters[::-1] if (i + r) % 2 else meters:  # neither always first
                    m.ask(q)
    n = len(todo) * args.rounds
    print(f"{len(todo)} questions x {args.rounds} rounds; us of process time a question")
    print(f"{'stage':8}" + "".join(f"{m.package:>10}" for m in meters)
          + ("      this / other" if len(meters) > 1 else ""))
    for stage in STAGES:
        us = [m.spent[stage] / n / 1000 for m in meters]
        ratio = f"{us[0] / us[1]:18.3f}" if len(us) > 1 and us[1] else ""
        print(f"{stage:8}" + "".join(f"{u:10.0f}" for u in us) + ratio)


if __name__ == "__main__":
    main()
