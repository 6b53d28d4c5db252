"""What a second thread could add on this machine now: answers per second from one process
with one thread, from one process with two threads sharing one Answerer, and from two
processes with one thread each, answering at the same time (no GIL shared), measured in turn
(prints figures, asserts nothing).

    python tests/bench/scale.py --sizes 1000000 --corpus real --workdir /tmp/s --keep --no-peers
    python tests/bench/threads_ceiling.py /tmp/s --size 1000000 --rounds 4

Why: two threads' ratio to one is bounded by the GIL's held share (gil_held.py) and by the
cores themselves: two processes answer at most as fast as the machine lets two of anything
run (other work on it, caches, memory shared). Two processes' ratio to one is that second
bound, so two threads' ratio read against it says how much the GIL alone costs.
"""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]


def main() -> None:
    sys.path.insert(0, str(HERE))
    import scale
    from threads_ab import _CHILD  # the same measuring process, one per side

    ap = scale.argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("workdir", type=Path, help="a scale.py --keep workdir")
    ap.add_argument("--size", type=int, default=1_000_000)
    ap.add_argument("--squad", type=Path, default=scale.SQUAD)
    ap.add_argument("--checkout", type=Path, default=ROOT)
    ap.add_argument("--rounds", type=int, default=4)
    ap.add_argument("--seconds", type=float, default=3.0, help="per measure (scale.py: 3)")
    args = ap.parse_args()
    data, index = scale.kept_paths(args.workdir, args.size)
    root = args.checkout.resolve()
    procs = [subprocess.Popen(
        [sys.executable, "-c", _CHILD, str(data), str(index), str(args.squad), str(HERE),
         str(args.size)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=root)
        for _ in range(2)]
    for p in procs:
        if p.stdout.readline().split() != ["ready", str(root)]:
            raise SystemExit(f"{root}: a measuring process did not start on this checkout")

    def measure(ps: list, threads: int) -> float:
        for p in ps:  # started together, read after
            p.stdin.write(f"{threads} {args.seconds}\n")
            p.stdin.flush()
        return sum(float(p.stdout.readline()) for p in ps)

    rates: dict[str, list[float]] = {"1 thread": [], "2 threads": [], "2 processes": []}
    try:
        for r in range(args.rounds):
            kinds = list(rates) if r % 2 == 0 else list(rates)[::-1]
            for kind in kinds:
                rate = (measure(procs[:1], 1) if kind == "1 thread" else
                        measure(procs[:1], 2) if kind == "2 threads" else measure(procs, 1))
                rates[kind].append(rate)
                print(f"round {r + 1}: {kind} {rate:.0f} answers/s", flush=True)
    finally:
        for p in procs:
            p.stdin.close()
            p.wait()
    mean = {k: float(np.mean(v)) for k, v in rates.items()}
    one = mean["1 thread"]
    print(f"answers/s: 1 thread {one:.0f}, 2 threads {mean['2 threads']:.0f} "
          f"({mean['2 threads'] / one:.2f}x), 2 processes {mean['2 processes']:.0f} "
          f"({mean['2 processes'] / one:.2f}x): two threads reach "
          f"{mean['2 threads'] / mean['2 processes']:.0%} of two processes")


if __name__ == "__main__":
    main()
