"""Where an answer's CPU time goes: process time per stage of Answerer.ask over scale.py's real
questions, on an index a `scale.py --keep` run left (opened read-only, never built or updated;
prints figures, asserts nothing).

    python tests/bench/scale.py --sizes 100000 --corpus real --workdir /tmp/s --keep --no-peers
    python tests/bench/answer_stages.py /tmp/s --size 100000 [--checkout /tmp/docbot-old]

Each stage is timed by a wrapper (about a microsecond a call), after every question has been
asked once (numba's cache, the page cache). The stages and their timer are stage_clock.py's,
shared with gil_held.py; they nest: rank holds the search, the records, the tokens, the second
stage and the checks.
"""
from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(Path(__file__).resolve().parent))


def main() -> None:
    from stage_clock import checkout_first, stage_arguments

    checkout_first(ROOT)
    import index  # noqa: F401
    import scale

    args = stage_arguments(__doc__.split("\n")[0], 100_000, scale.SQUAD, ROOT).parse_args()
    from index.answering import answer as A
    from index.search.engine import load_analyzer
    from index.search.load import load_index

    data = args.workdir / f"real-data-{args.size}"
    _, questions = scale.squad(args.squad)
    rng = np.random.default_rng([scale.SEED, args.size])  # interleaved.py's questions
    questions = [questions[int(i)] for i in rng.choice(len(questions), size=args.queries,
                                                       replace=False)]
    idx = load_index(args.workdir / f"real-index-{args.size}", load_analyzer(data))
    answerer = A.Answerer(idx)
    for q in questions:
        answerer.ask(q, k=10)
    cpu = time.process_time()
    for q in questions:
        answerer.ask(q, k=10)
    plain = (time.process_time() - cpu) * 1000 / len(questions)

    from stage_clock import stages, time_stages

    spent = time_stages(stages(A, idx), time.process_time_ns)
    cpu = time.process_time()
    for q in questions:
        answerer.ask(q, k=10)
    total = (time.process_time() - cpu) * 1000 / len(questions)
    print(f"{len(idx.chunks):,} passages, {len(questions)} questions, k 10: CPU {plain:.2f} ms "
          f"per answer ({total:.2f} with the timers)")
    for label, ns in spent.items():
        print(f"{label:52s} {ns * 1e-6 / len(questions):6.3f} ms")


if __name__ == "__main__":
    main()
