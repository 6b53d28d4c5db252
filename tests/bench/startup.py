"""Start-up: how long a question asked at once, in a fresh process, takes to answer (prints
figures, asserts nothing).

    git worktree add /tmp/docbot-before <commit>
    python tests/bench/startup.py /tmp/docbot-before . --reps 7
    python tests/bench/startup.py . --data /tmp/corpus --reps 5    # another data folder

Each repetition runs every checkout once, interleaved, each in a fresh process: import docbot,
Answerer.open (the index is built once per checkout beforehand), then at once ask one question
of the Q&A suite (a different one each repetition) and time it. Printed per checkout: the
first question's latency p50 / max, Answerer.open's p50, and whether the answers equal those of
a process whose compiled kernels were loaded before it asked (they must). A first run per
checkout, not counted, builds its index and fills numba's cache.
"""
from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve()
ROOT = HERE.parents[2]


def child(root: Path, data: Path, index: Path, questions: list[str], settle: bool) -> None:
    t0 = time.perf_counter()
    sys.path.insert(0, str(root))
    from index.answering.answer import Answerer

    answerer = Answerer.open(data, index)
    t1 = time.perf_counter()
    if settle:  # the compiled kernels loaded first: the answers to compare with
        for t in threading.enumerate():
            if t is not threading.current_thread() and t.daemon:
                t.join(600)
        answerer.ask(questions[0], k=3)
    t2 = time.perf_counter()
    first = answerer.ask(questions[0], k=3)
    t3 = time.perf_counter()
    answers = [first] + [answerer.ask(q, k=3) for q in questions[1:]]
    print(json.dumps({"open_ms": (t1 - t0) * 1000, "first_ms": (t3 - t2) * 1000,
                      "answers": [a.to_dict() for a in answers]}, sort_keys=True, default=str))


def run_child(root: Path, data: Path, index: Path, questions: list[str], settle: bool) -> dict:
    out = subprocess.run([sys.executable, str(HERE), "child", str(root), str(data), str(index),
                          json.dumps(questions), "1" if settle else "0"],
                         capture_output=True, text=True, cwd=root)
    if out.returncode != 0:
        raise SystemExit(f"{root}: the child failed: {out.stderr.strip()[-500:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "child":
        a = sys.argv[2:]
        child(Path(a[0]), Path(a[1]), Path(a[2]), json.loads(a[3]), a[4] == "1")
        return
    sys.path.insert(0, str(ROOT))
    from bot.evaluate import load_cases

    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("roots", type=Path, nargs="+", help="checkouts of docbot")
    ap.add_argument("--data", type=Path, default=ROOT / "data")
    ap.add_argument("--reps", type=int, default=7)
    ap.add_argument("--workdir", type=Path, default=Path("/tmp/docbot-startup"))
    ap.add_argument("--keep", action="store_true")
    args = ap.parse_args()
    asked = [c.q for p in sorted((ROOT / "tests" / "qa").glob("*.yaml"))
             for c in load_cases(p)]
    rng = np.random.default_rng(20261206)
    picks = [asked[int(i)] for i in rng.choice(len(asked), size=args.reps, replace=False)]
    roots = [r.resolve() for r in args.roots]
    first: dict[Path, list[float]] = {r: [] for r in roots}
    opened: dict[Path, list[float]] = {r: [] for r in roots}
    same: dict[Path, int] = {r: 0 for r in roots}
    try:
        want = {}
        for j, root in enumerate(roots):  # builds the index, fills numba's cache
            index = args.workdir / f"index-{j}"
            want[root] = run_child(root, args.data, index, picks, settle=True)["answers"]
        for r in range(args.reps):
            qs = picks[r:] + picks[:r]  # a different first question each repetition
            for j, root in enumerate(roots):
                got = run_child(root, args.data, args.workdir / f"index-{j}", qs, settle=False)
                first[root].append(got["first_ms"])
                opened[root].append(got["open_ms"])
                same[root] += got["answers"] == want[root][r:] + want[root][:r]
                print(f"rep {r + 1} {root}: open {got['open_ms']:.0f} ms, first question "
                      f"{got['first_ms']:.0f} ms", flush=True)
        for root in roots:
            rev = subprocess.run(["git", "-C", str(root), "log", "--format=%h", "-1"],
                                 capture_output=True, text=True).stdout.strip()
            f = first[root]
            print(f"{rev} ({root}): first question p50 {np.percentile(f, 50):.0f} ms, max "
                  f"{max(f):.0f} ms; open p50 {np.percentile(opened[root], 50):.0f} ms; "
                  f"answers as after loading: {same[root]}/{args.reps} runs")
    finally:
        if not args.keep:
            shutil.rmtree(args.workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
