"""How much of an answer's CPU holds the GIL: one thread answers scale.py's real questions on
an index a `scale.py --keep` run left, every compiled call that lets go of the GIL (numba,
nogil=True) is timed, and the rest of the answer's CPU is counted as held (prints figures,
asserts nothing).

    python tests/bench/scale.py --sizes 1000000 --corpus real --workdir /tmp/s --keep --no-peers
    python tests/bench/gil_held.py /tmp/s --size 1000000 [--checkout /tmp/docbot-main]

Why: two threads answer at most 1 / held share as fast as one (Amdahl, with the GIL as the
one serial part), so the held share bounds what a second thread adds before any contention.
Each compiled call is wrapped (module attributes of index.*, where callers find them; about a
microsecond a call, counted as held); numpy's own GIL-free work counts as held. Then, per
stage of Answerer.ask (answer_stages.py's, nested as there), the held time inside it.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(Path(__file__).resolve().parent))


def main() -> None:
    checkout = ROOT
    if "--checkout" in sys.argv:  # its index package first: scale.py puts this one's first
        checkout = Path(sys.argv[sys.argv.index("--checkout") + 1])
    sys.path.insert(0, str(checkout.resolve()))
    import index
    import scale

    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("workdir", type=Path, help="a scale.py --keep workdir")
    ap.add_argument("--size", type=int, default=1_000_000)
    ap.add_argument("--queries", type=int, default=300)
    ap.add_argument("--rounds", type=int, default=3, help="timed passes over the questions")
    ap.add_argument("--squad", type=Path, default=scale.SQUAD)
    ap.add_argument("--checkout", type=Path, default=ROOT,
                    help="the docbot checkout to measure (default: this one)")
    args = ap.parse_args()
    from index.answering import answer as A
    from index.search.engine import load_analyzer
    from index.search.load import load_index

    data, index_dir = scale.kept_paths(args.workdir, args.size)
    _, questions = scale.squad(args.squad)
    rng = np.random.default_rng([scale.SEED, args.size])  # threads_ab.py's questions
    questions = [questions[int(i)] for i in rng.choice(len(questions), size=args.queries,
                                                       replace=False)]
    idx = load_index(index_dir, load_analyzer(data))
    answerer = A.Answerer(idx)
    for q in questions:  # every kernel compiled or loaded, the records' pages read
        answerer.ask(q, k=10)
    clock = time.thread_time_ns
    free = [0]  # ns inside GIL-free compiled calls
    calls: dict[str, list[int]] = {}  # kernel -> [calls, ns]

    from numba.core.registry import CPUDispatcher

    def timed_kernel(f, name: str, nogil: bool):
        tally = calls.setdefault(name + ("" if nogil else " (holds the GIL)"), [0, 0])

        def call(*a, **k):
            t0 = clock()
            try:
                return f(*a, **k)
            finally:
                dt = clock() - t0
                tally[0] += 1
                tally[1] += dt
                if nogil:
                    free[0] += dt
        return call

    wrapped: dict[int, object] = {}
    for mod_name, mod in list(sys.modules.items()):
        if not mod_name.startswith("index") or mod is None:
            continue
        for attr, f in list(vars(mod).items()):
            if isinstance(f, CPUDispatcher):
                if id(f) not in wrapped:
                    nogil = bool(f.targetoptions.get("nogil"))
                    wrapped[id(f)] = timed_kernel(f, f"{f.py_func.__module__}.{attr}", nogil)
                setattr(mod, attr, wrapped[id(f)])

    held: dict[str, int] = {}

    def stage(owner, name: str, label: str) -> None:
        f = getattr(owner, name)

        def timed(*a, **k):
            t0, f0 = clock(), free[0]
            try:
                return f(*a, **k)
            finally:
                held[label] += clock() - t0 - (free[0] - f0)

        setattr(owner, name, timed)
        held[label] = 0

    n = len(questions) * args.rounds
    t0, f0 = clock(), free[0]
    for _ in range(args.rounds):
        for q in questions:
            answerer.ask(q, k=10)
    total, compiled = clock() - t0, free[0] - f0
    ms = 1e-6 / n
    share = (total - compiled) / total
    print(f"{len(idx.chunks):,} passages, {len(questions)} questions x {args.rounds}, k 10 "
          f"({Path(index.__file__).resolve().parents[1]}):")
    print(f"CPU per answer {total * ms:.3f} ms: GIL-free compiled calls {compiled * ms:.3f} ms, "
          f"holding the GIL {(total - compiled) * ms:.3f} ms = {share:.1%} "
          f"(two threads at most {1 / share:.2f}x one)")
    print(f"compiled calls per answer {sum(c for c, _ in calls.values()) / n:.1f}:")
    for name, (c, ns) in sorted(calls.items(), key=lambda kv: -kv[1][1]):
        if c:
            print(f"  {name:55s} {c / n:5.2f} calls {ns * ms * 1000:7.1f} us")

    for owner, name, label in [
            (A.Answerer, "query", "question: analysis, what is asked, constraints"),
            (A.Answerer, "rank", "rank: all below"),
            (idx, "search_terms", "  search_terms: the engine"),
            (A, "hit_chunks", "  chunk records (hit_chunks)"),
            (A.Answerer, "_outside_terms", "  heading/notes/title terms (_outside_terms)"),
            (A.Answerer, "tokens_of", "  stored tokens as the question's ids"),
            (A.rescore, "signals_and_held_many", "  second stage (signals_and_held_many)"),
            (A.batched, "typed_spans", "  best sentence and the next (typed_spans)"),
            (A.Answerer, "_check", "  constraints and the asked-for type (_check)"),
            (A.Answerer, "_neighbours", "  neighbours of failing passages"),
            (A.Answerer, "decide", "decide: the evidence rule"),
            (A.Answerer, "match_facts", "facts"),
            (A.Answerer, "_passages", "highlighting the shown passages"),
            (A, "direct_answer", "the answer line")]:
        if hasattr(owner, name):
            stage(owner, name, label)
    t0, f0 = clock(), free[0]
    for q in questions:
        answerer.ask(q, k=10)
    total = clock() - t0
    ms = 1e-6 / len(questions)
    print(f"held time per stage (one more pass, stage timers on: held "
          f"{(total - free[0] + f0) * ms:.3f} ms per answer):")
    for label, ns in held.items():
        print(f"  {label:52s} {ns * ms * 1000:7.1f} us")


if __name__ == "__main__":
    main()
