"""Whole answers through `docbot ask --jsonl -k 10` (scale.py's figure) from two checkouts
side by side, question by question, on an index a `scale.py --keep` run left (prints figures,
counts the answers that differ).

    git worktree add --detach /tmp/docbot-main main
    python tests/bench/scale.py --sizes 1000000 --corpus real --workdir /tmp/s --keep --no-peers
    python tests/bench/whole_ab.py /tmp/docbot-main . /tmp/s --size 1000000 --runs 3

Why: scale.py's whole-answer figure is one process's, minutes apart from any other run, on a
machine shared with other work. Here each checkout runs its own `ask --jsonl` process (started
together, so their start-ups overlap alike) and each question goes to one and then the other
(the order swapped every question), so load from elsewhere falls on both alike. As in scale.py,
the time is from writing a question to reading its JSON line, and the first --warm questions
are not counted; --runs starts fresh processes again. Printed per checkout: p50 / p95 / p99 /
max over every run's counted questions, and the same over the answers of each run's first
--early seconds (the process's start-up: numba loading in the background while questions take
the reference path) and over the counted answers after them. Before the runs, each checkout
answers one question in a process that waits for its compiled kernels, so that none compiles
(tens of seconds) in a timed run.
--gc: also how many cyclic collections each process ran (start-up included), how long they
took, and how many were full ones (tests/bench/gc_probe/ is put on their PYTHONPATH).
"""
from __future__ import annotations

import json
import os
import subprocess
import tempfile
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent

_PRIME = """
import sys, threading
from pathlib import Path
from index.answering.answer import Answerer
a = Answerer.open(Path(sys.argv[1]), Path(sys.argv[2]))
for t in threading.enumerate():
    if t.name == "docbot-warm-up":
        t.join()
a.ask("What is the first question?", k=10)
"""


def ask_process(root: Path, data: Path, index: Path, gc_log: Path | None) -> subprocess.Popen:
    env = dict(os.environ)
    if gc_log is not None:  # gc_probe/sitecustomize.py records the process's collections
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(HERE / "gc_probe"),
                                                          env.get("PYTHONPATH")]))
        env["DOCBOT_GC_LOG"] = str(gc_log)
    return subprocess.Popen([sys.executable, "-m", "bot.cli", "ask", "--data", str(data),
                             "--index", str(index), "--jsonl", "-k", "10"], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True, cwd=root, env=env)


def main() -> None:
    sys.path.insert(0, str(HERE))
    import scale

    ap = scale.ab_arguments(__doc__.split("\n")[0], size=1_000_000)
    ap.add_argument("--queries", type=int, default=300)
    ap.add_argument("--warm", type=int, default=20, help="questions not counted (scale.py: 20)")
    ap.add_argument("--early", type=float, default=3.0, help="seconds counted as start-up")
    ap.add_argument("--runs", type=int, default=1)
    ap.add_argument("--gc", action="store_true",
                    help="also count each process's cyclic collections (gc_probe/)")
    args = ap.parse_args()
    roots = {"a": args.a.resolve(), "b": args.b.resolve()}
    data, index = scale.kept_paths(args.workdir, args.size)
    _, questions = scale.squad(args.squad)
    rng = np.random.default_rng([scale.SEED, args.size])  # scale.py's questions
    questions = [" ".join(questions[int(i)].split())
                 for i in rng.choice(len(questions), size=args.queries, replace=False)]
    for root in roots.values():
        subprocess.run([sys.executable, "-c", _PRIME, str(data), str(index)], cwd=root, check=True)
    counted: dict[str, list[float]] = {"a": [], "b": []}
    early: dict[str, list[float]] = {"a": [], "b": []}
    later: dict[str, list[float]] = {"a": [], "b": []}  # counted, after the first --early s
    differ = 0
    logs = tempfile.TemporaryDirectory(prefix="docbot-gc-")
    gc_logs = {k: Path(logs.name) / f"{k}.jsonl" if args.gc else None for k in roots}
    for run in range(args.runs):
        procs = {k: ask_process(root, data, index, gc_logs[k]) for k, root in roots.items()}
        start = time.perf_counter()
        try:
            for i, q in enumerate(questions[:args.warm] + questions):
                order = "ab" if (i + run) % 2 == 0 else "ba"
                lines = {}
                for k in order:
                    ms, lines[k] = scale.ask_jsonl(procs[k], q)
                    if i >= args.warm:
                        counted[k].append(ms)
                    if time.perf_counter() - start < args.early:
                        early[k].append(ms)
                    elif i >= args.warm:
                        later[k].append(ms)
                differ += lines["a"] != lines["b"]
        finally:
            for p in procs.values():
                p.stdin.close()
                p.wait()
    n = args.runs * (args.warm + len(questions))
    print(f"{args.size:,} passages, {len(questions)} questions (+{args.warm} not counted) x "
          f"{args.runs} runs: {differ} of {n} answers differ between {args.a} (a) and {args.b} (b)")
    for what, ms in (("counted", counted), (f"first {args.early:g} s", early),
                     (f"counted after {args.early:g} s", later)):
        for k in "ab":
            x = np.asarray(ms[k]) if ms[k] else np.zeros(1)
            p = np.percentile(x, [50, 95, 99])
            print(f"{k} {what}: {len(ms[k])} answers, p50 {p[0]:.2f} p95 {p[1]:.2f} p99 {p[2]:.2f} "
                  f"max {x.max():.1f} ms")
    pa, pb = (np.percentile(counted[k], [50, 95, 99]) for k in "ab")
    print("counted, b / a: p50 {:.3f} p95 {:.3f} p99 {:.3f}".format(*(pb / pa)))
    for k, log in gc_logs.items():
        if log is None:
            continue
        seen = [c for line in log.read_text().splitlines() for c in json.loads(line)]
        full = [ms for gen, ms in seen if gen == 2]
        runs = args.runs
        print(f"{k} cyclic collections per process: {len(seen) / runs:.0f}, taking "
              f"{sum(ms for _, ms in seen) / runs:.0f} ms; full ones {len(full) / runs:.1f}"
              f" taking {sum(full) / runs:.0f} ms (longest {max(full, default=0):.0f} ms)")
    logs.cleanup()


if __name__ == "__main__":
    main()
