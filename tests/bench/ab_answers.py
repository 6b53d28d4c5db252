"""CPU time of whole answers (Answerer.ask, k 10) from two checkouts of docbot in one process,
question by question, on an index a `scale.py --keep` run left (opened read-only by both;
prints figures, asserts only that both give the same answers): the mean per answer, and
the p50 / p95 / p99 of every answer's CPU time.

    git worktree add /tmp/docbot-main main
    python tests/bench/scale.py --sizes 100000 --corpus real --workdir /tmp/s --keep --no-peers
    python tests/bench/ab_answers.py /tmp/docbot-main . /tmp/s --size 100000 --rounds 3

Why one process: on a machine shared with other work, two runs minutes apart differ by more
than most changes; here each question is asked by one checkout and then the other (the order
swapped every round), so load from elsewhere falls on both alike. The first checkout's
`index` package is loaded as `index_a` (docbot's modules import each other relatively). Both
must read the same index format. Every question is asked once before the timed rounds.
numba's cache goes to a temporary folder (compiled code cached under the name index_a would
break that checkout's own runs), so both compile their kernels in the warm-up.
"""
from __future__ import annotations

import importlib.util
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent


def _load(name: str, root: Path):
    spec = importlib.util.spec_from_file_location(
        name, root / "index" / "__init__.py", submodule_search_locations=[str(root / "index")])
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="docbot-ab-numba-") as cache:
        os.environ["NUMBA_CACHE_DIR"] = cache  # before numba is imported
        run()


def run() -> None:
    sys.path.insert(0, str(HERE))
    import scale

    ap = scale.ab_arguments(__doc__.split("\n")[0], size=100_000)
    ap.add_argument("--queries", type=int, default=300)
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    _load("index_a", args.a.resolve())
    sys.path.insert(0, str(args.b.resolve()))
    import index_a.answering.answer as a_answer
    import index_a.search.engine as a_engine
    import index_a.search.load as a_load
    import index.answering.answer as b_answer
    import index.search.engine as b_engine
    import index.search.load as b_load

    _, questions = scale.squad(args.squad)
    rng = np.random.default_rng([scale.SEED, args.size])  # interleaved.py's questions
    picked = [questions[int(i)] for i in rng.choice(len(questions), size=args.queries + 20,
                                                    replace=False)]
    questions, warm = picked[:args.queries], picked[args.queries:]
    data, index = scale.kept_paths(args.workdir, args.size)
    answerers = {
        "a": a_answer.Answerer(a_load.load_index(index, a_engine.load_analyzer(data))),
        "b": b_answer.Answerer(b_load.load_index(index, b_engine.load_analyzer(data)))}
    for q in warm:
        for answerer in answerers.values():
            answerer.ask(q, k=10)
    differ = sum(answerers["a"].ask(q, k=10).to_dict() != answerers["b"].ask(q, k=10).to_dict()
                 for q in questions)
    print(f"{len(questions)} questions, {args.size:,} passages: {differ} answers differ "
          f"between {args.a} (a) and {args.b} (b)")
    # each question's least CPU over the rounds so far: others' load on a shared machine
    # only ever adds to a question's time, so the least moves less than a round's mean
    least = {"a": [float("inf")] * len(questions), "b": [float("inf")] * len(questions)}
    every: dict[str, list[float]] = {"a": [], "b": []}  # each answer's CPU ms, for the tail
    for r in range(args.rounds):
        spent = {"a": 0.0, "b": 0.0}
        order = ["a", "b"] if r % 2 == 0 else ["b", "a"]
        for j, q in enumerate(questions):
            for name in order:
                t0 = time.process_time()
                answerers[name].ask(q, k=10)
                dt = time.process_time() - t0
                spent[name] += dt
                least[name][j] = min(least[name][j], dt)
                every[name].append(dt * 1000)
        a_ms, b_ms = (spent[k] * 1000 / len(questions) for k in "ab")
        a_min, b_min = (sum(least[k]) * 1000 / len(questions) for k in "ab")
        print(f"round {r + 1}: CPU ms per answer a {a_ms:.2f}, b {b_ms:.2f}, b / a {b_ms / a_ms:.3f}"
              f" | each question's least so far a {a_min:.2f}, b {b_min:.2f}, b / a "
              f"{b_min / a_min:.3f}", flush=True)
    a_p, b_p = (np.percentile(every[k], [50, 95, 99]) for k in "ab")
    print("every answer of every round, CPU ms p50 / p95 / p99: a "
          + " / ".join(f"{x:.2f}" for x in a_p) + ", b " + " / ".join(f"{x:.2f}" for x in b_p)
          + ", b / a " + " / ".join(f"{y / x:.3f}" for x, y in zip(a_p, b_p)))


if __name__ == "__main__":
    main()
