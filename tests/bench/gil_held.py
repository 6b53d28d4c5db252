"""How much of an answer's CPU holds the GIL: one thread answers scale.py's real questions on
an index a `scale.py --keep` run left, every compiled call that lets go of the GIL (numba,
nogil=True) is timed, and the rest of the answer's CPU is counted as held (prints figures,
asserts nothing).

    python tests/bench/scale.py --sizes 1000000 --corpus real --workdir /tmp/s --keep --no-peers
    python tests/bench/gil_held.py /tmp/s --size 1000000 [--checkout /tmp/docbot-main]
    python tests/bench/gil_held.py /tmp/s --size 1000000 --against /tmp/docbot-main

Why: two threads answer at most 1 / held share as fast as one (Amdahl, with the GIL as the
one serial part), so the held share bounds what a second thread adds before any contention.
Each compiled call is wrapped (module attributes of index.*, where callers find them; about a
microsecond a call, counted as held); numpy's own GIL-free work counts as held. Then, per
stage of Answerer.ask (stage_clock.py's, the ones answer_stages.py times), the held time
inside it. With --against, two checkouts in one process (ab_answers.py's way: the other's
package loaded as index_a, numba's cache in a temporary folder), question by question in
turn, so that load from elsewhere falls on both alike: their held shares side by side.
Caution: side a has read high. Main against main (the same code on both sides, 4 rounds, 7
December) gave a 1.118 / 1.465 / 1.154 ms held against b's 0.980 / 1.285 / 1.017 (the last
with a's answerer made first), while the same two packages timed without the wrappers gave a
7 % less CPU than b. Until that is explained, compare a change's held time by runs of each
checkout alone (--checkout), in turn.
"""
from __future__ import annotations

import importlib
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(Path(__file__).resolve().parent))

from ab_answers import _load  # noqa: E402  (a checkout's index package under another name)


class Meter:
    """One checkout's answerer with its GIL-free compiled calls timed."""

    def __init__(self, package: str, data: Path, index_dir: Path) -> None:
        answer = importlib.import_module(f"{package}.answering.answer")
        engine = importlib.import_module(f"{package}.search.engine")
        load = importlib.import_module(f"{package}.search.load")
        self.answer = answer
        self.index = load.load_index(index_dir, engine.load_analyzer(data))
        self.answerer = answer.Answerer(self.index)
        self.package = package
        self.free = 0  # ns inside GIL-free compiled calls
        self.calls: dict[str, list[int]] = {}  # kernel -> [calls, ns]
        self.total = 0
        self.asked = 0

    def wrap(self) -> None:
        """Time every compiled call, once the questions have imported every kernel module."""
        from numba.core.registry import CPUDispatcher

        wrapped: dict[int, object] = {}
        for mod_name, mod in list(sys.modules.items()):
            if mod is None or mod_name.split(".")[0] != self.package:
                continue
            for attr, f in list(vars(mod).items()):
                if isinstance(f, CPUDispatcher):
                    if id(f) not in wrapped:
                        name = f"{f.py_func.__module__.split('.', 1)[-1]}.{attr}"
                        wrapped[id(f)] = self._timed(f, name, bool(f.targetoptions.get("nogil")))
                    setattr(mod, attr, wrapped[id(f)])

    def _timed(self, f, name: str, nogil: bool):
        tally = self.calls.setdefault(name + ("" if nogil else " (holds the GIL)"), [0, 0])
        clock = time.thread_time_ns

        def call(*a, **k):
            t0 = clock()
            try:
                return f(*a, **k)
            finally:
                dt = clock() - t0
                tally[0] += 1
                tally[1] += dt
                if nogil:
                    self.free += dt
        return call

    def ask(self, question: str, timed: bool = True) -> dict:
        t0 = time.thread_time_ns()
        got = self.answerer.ask(question, k=10)
        if timed:
            self.total += time.thread_time_ns() - t0
            self.asked += 1
        return got.to_dict()

    def reset(self) -> None:
        self.free = self.total = self.asked = 0
        for tally in self.calls.values():
            tally[:] = [0, 0]

    def report(self, label: str) -> float:
        ms = 1e-6 / self.asked
        held = self.total - self.free
        share = held / self.total
        print(f"{label}: CPU per answer {self.total * ms:.3f} ms: GIL-free compiled calls "
              f"{self.free * ms:.3f} ms, holding the GIL {held * ms:.3f} ms = {share:.1%} "
              f"(two threads at most {1 / share:.2f}x one); compiled calls per answer "
              f"{sum(c for c, _ in self.calls.values()) / self.asked:.1f}:")
        for name, (c, ns) in sorted(self.calls.items(), key=lambda kv: -kv[1][1]):
            if c:
                print(f"  {name:50s} {c / self.asked:5.2f} calls {ns * ms * 1000:7.1f} us")
        return share


def main() -> None:
    if "--against" in sys.argv:  # compiled code cached under index_a would break that checkout
        with tempfile.TemporaryDirectory(prefix="docbot-held-numba-") as cache:
            os.environ["NUMBA_CACHE_DIR"] = cache  # before numba is imported
            run()
    else:
        run()


def run() -> None:
    from stage_clock import checkout_first, stage_arguments

    checkout_first(ROOT)
    import index
    import scale

    ap = stage_arguments(__doc__.split("\n")[0], 1_000_000, scale.SQUAD, ROOT)
    ap.add_argument("--rounds", type=int, default=3, help="timed passes over the questions")
    ap.add_argument("--against", type=Path,
                    help="another checkout (say, main), measured in the same process, each "
                         "question asked by one and then the other (order swapped each round)")
    args = ap.parse_args()

    data, index_dir = scale.kept_paths(args.workdir, args.size)
    _, questions = scale.squad(args.squad)
    rng = np.random.default_rng([scale.SEED, args.size])  # threads_ab.py's questions
    questions = [questions[int(i)] for i in rng.choice(len(questions), size=args.queries,
                                                       replace=False)]
    if args.against is not None:
        _load("index_a", args.against.resolve())
    meters = {"b": Meter("index", data, index_dir)}
    if args.against is not None:
        meters["a"] = Meter("index_a", data, index_dir)
    differ = 0
    for q in questions:  # every kernel compiled or loaded, the records' pages read
        got = [m.ask(q, timed=False) for m in meters.values()]
        differ += got[0] != got[-1]
    for m in meters.values():
        m.wrap()
    for r in range(args.rounds):
        order = list(meters.values()) if r % 2 == 0 else list(meters.values())[::-1]
        for q in questions:
            for m in order:
                m.ask(q)
    here = Path(index.__file__).resolve().parents[1]
    print(f"{len(meters['b'].index.chunks):,} passages, {len(questions)} questions x "
          f"{args.rounds}, k 10")
    if args.against is not None:
        print(f"{differ} of {len(questions)} answers differ between a and b")
        share_a = meters["a"].report(f"a ({args.against})")
    share_b = meters["b"].report(f"b ({here})")
    if args.against is not None:
        print(f"held share a {share_a:.1%} -> b {share_b:.1%}")
        return
    stages(meters["b"], questions)


def stages(meter: Meter, questions: list[str]) -> None:
    """The held time inside each stage of Answerer.ask (stage_clock.py's, nested as they run)."""
    from stage_clock import stages as listed, time_stages

    # a clock that stands still inside the GIL-free compiled calls
    held = time_stages(listed(meter.answer, meter.index),
                       lambda: time.thread_time_ns() - meter.free)
    meter.reset()
    for q in questions:
        meter.ask(q)
    ms = 1e-6 / meter.asked
    print(f"held time per stage (one more pass, stage timers on: held "
          f"{(meter.total - meter.free) * ms:.3f} ms per answer):")
    for label, ns in held.items():
        print(f"  {label:52s} {ns * ms * 1000:7.1f} us")


if __name__ == "__main__":
    main()
