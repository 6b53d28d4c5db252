"""Answers per second from one and from two threads sharing one Answerer (scale.py's figure),
for two checkouts side by side, on an index a `scale.py --keep` run left (prints figures,
asserts nothing).

    git worktree add --detach /tmp/docbot-main main
    python tests/bench/scale.py --sizes 1000000 --corpus real --workdir /tmp/s --keep --no-peers
    python tests/bench/threads_ab.py /tmp/docbot-main . /tmp/s --size 1000000 --rounds 4

Why: how much a second thread adds is how much of an answer holds the GIL, and on a machine
shared with other work one run's figure moves with the others' load. Here each checkout keeps
one process (its index open, its kernels loaded, scale.py's questions asked once), and the
parent has them measure one at a time, in turn: a with 1 thread, b with 1, a with 2, b with
2, the order swapped every round, each for --seconds. Printed: every measure, then per
checkout the mean answers/s with 1 and 2 threads and their ratio, and b / a.
"""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent

_CHILD = """
import sys, threading
from pathlib import Path
import index  # this checkout's (the working folder's), before scale.py puts its own first
from index.answering.answer import Answerer
sys.path.insert(0, sys.argv[4])
import numpy as np
import scale
a = Answerer.open(Path(sys.argv[1]), Path(sys.argv[2]))
for t in threading.enumerate():
    if t.name == "docbot-warm-up":
        t.join()
_, questions = scale.squad(Path(sys.argv[3]))
rng = np.random.default_rng([scale.SEED, int(sys.argv[5])])  # scale.py's questions
questions = [questions[int(i)] for i in rng.choice(len(questions), size=300, replace=False)]
for q in questions:
    a.ask(q, k=10)
print("ready", Path(index.__file__).resolve().parents[1], flush=True)
for line in sys.stdin:
    threads, seconds = line.split()
    print(scale.answers_per_second(a, questions, int(threads), float(seconds)), flush=True)
"""


def main() -> None:
    sys.path.insert(0, str(HERE))
    import scale

    ap = scale.ab_arguments(__doc__.split("\n")[0], size=1_000_000)
    ap.add_argument("--rounds", type=int, default=4)
    ap.add_argument("--seconds", type=float, default=3.0, help="per measure (scale.py: 3)")
    args = ap.parse_args()
    data, index = scale.kept_paths(args.workdir, args.size)
    procs = {}
    for k, root in (("a", args.a.resolve()), ("b", args.b.resolve())):
        procs[k] = subprocess.Popen(
            [sys.executable, "-c", _CHILD, str(data), str(index), str(args.squad), str(HERE),
             str(args.size)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=root)
        if procs[k].stdout.readline().split() != ["ready", str(root)]:
            raise SystemExit(f"{root}: the measuring process did not start on this checkout")
    rates: dict[tuple[str, int], list[float]] = {(k, t): [] for k in "ab" for t in (1, 2)}
    try:
        for r in range(args.rounds):
            for threads in (1, 2):
                for k in ("ab" if r % 2 == 0 else "ba"):
                    procs[k].stdin.write(f"{threads} {args.seconds}\n")
                    procs[k].stdin.flush()
                    rate = float(procs[k].stdout.readline())
                    rates[k, threads].append(rate)
                    print(f"round {r + 1}: {k} {threads} thread(s) {rate:.0f} answers/s", flush=True)
    finally:
        for p in procs.values():
            p.stdin.close()
            p.wait()
    mean = {key: float(np.mean(v)) for key, v in rates.items()}
    for k in "ab":
        print(f"{k}: answers/s 1 thread {mean[k, 1]:.0f}, 2 threads {mean[k, 2]:.0f}: "
              f"{mean[k, 2] / mean[k, 1]:.2f}x with two")
    print(f"b / a: 1 thread {mean['b', 1] / mean['a', 1]:.3f}, 2 threads "
          f"{mean['b', 2] / mean['a', 2]:.3f}")


if __name__ == "__main__":
    main()
