"""Engine and in-process answer latency of several checkouts of docbot, interleaved on a busy
machine: each round runs every checkout once, each in a fresh process, on scale.py's real
corpus and questions (prints figures, asserts nothing).

    git worktree add /tmp/docbot-old <commit>
    python tests/bench/interleaved.py /tmp/docbot-old . --size 100000 --rounds 3 [--threads]

Every process warms up on 20 questions outside the measured ones, then asks each of these
once. --threads adds answers per second from 1 and 2 threads sharing one Answerer (each a
fresh process, the same questions shared out) and their ratio.

Each checkout builds (once) its own index under --workdir, so index formats may differ.
--workdir is removed at the end unless --keep. --data DIR --index DIR use a corpus and an
index already written (say by `scale.py --keep`) for every checkout, opened read-only: no
build, so 1M passages cost seconds, not minutes (the checkouts must read that index's
format). --engine-only skips the answers.
"""
from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve()


def child(root: Path, data: Path, index: Path, squad: Path, size: int, n_q: int,
          threads: int, mode: str = "build") -> None:
    """mode: build (open_index: builds the checkout's own index), given (an index already
    built, opened read-only), engine (given, and only the engine is timed), bm25s (given,
    and bm25s timed on its postings: tests/bench/peers.py)."""
    engine_only = mode in ("engine", "bm25s")
    sys.path.insert(0, str(root))
    from index.answering.answer import Answerer
    from index.search.engine import open_index

    sys.path.insert(0, str(HERE.parent))
    import scale

    _, questions = scale.squad(squad)
    rng = np.random.default_rng([scale.SEED, size])
    picked = [questions[int(i)] for i in rng.choice(len(questions), size=n_q + 20, replace=False)]
    questions, warm = picked[:n_q], picked[n_q:]
    if mode != "build":
        from index.search.analyze import load_analyzer
        from index.search.load import load_index

        idx = load_index(index, load_analyzer(data))  # never builds nor updates
    else:
        idx = open_index(data, index)
    if mode == "bm25s":
        import peers

        bs = peers.bm25s_times(idx, [idx.analyzer.terms(q) for q in questions])
        print("bm25s not installed" if bs is None else
              f"bm25s p50 {bs['ms'][0]:.2f} p99 {bs['ms'][2]:.2f} ms (the same top 10 for "
              f"{bs['same_top']} of {bs['n']} questions)")
        return
    answerer = None if engine_only else Answerer(idx)
    for q in warm:  # warm up on other questions: numba's cache, the page cache
        if engine_only:
            idx.search_terms(idx.analyzer.terms(q), 10)
        else:
            answerer.ask(q, k=10)
    if threads:  # every question once, shared out over the threads
        def asker(j: int) -> None:
            for q in questions[j::threads]:
                answerer.ask(q, k=10)

        t0 = time.perf_counter()
        with ThreadPoolExecutor(threads) as pool:
            list(pool.map(asker, range(threads)))
        print(f"{len(questions) / (time.perf_counter() - t0):.1f}")
        return
    compiled = _time_compiled()
    engine, engine_cpu, answers = [], [], []
    for q in questions:
        terms = idx.analyzer.terms(q)
        t0, c0 = time.perf_counter(), time.thread_time()
        idx.search_terms(terms, 10)
        engine_cpu.append((time.thread_time() - c0) * 1000)
        engine.append((time.perf_counter() - t0) * 1000)
    if engine_only:
        e50, e95, e99 = np.percentile(engine, [50, 95, 99])
        c50, c95, c99 = np.percentile(engine_cpu, [50, 95, 99])
        # the thread's CPU time: what a busy machine's other work disturbs least
        print(f"engine p50 {e50:.2f} p95 {e95:.2f} p99 {e99:.2f} ms (CPU p50 {c50:.2f} p95 "
              f"{c95:.2f} p99 {c99:.2f} ms)")
        return
    compiled[0] = 0.0
    cpu = time.process_time()
    for q in questions:
        t0 = time.perf_counter()
        answerer.ask(q, k=10)
        answers.append((time.perf_counter() - t0) * 1000)
    cpu = (time.process_time() - cpu) * 1000 / len(questions)
    p = lambda ms: (np.percentile(ms, 50), np.percentile(ms, 99))  # noqa: E731
    (e50, e99), (a50, a99) = p(engine), p(answers)
    share = 100 * compiled[0] * 1000 / sum(answers)
    print(f"engine p50 {e50:.2f} p99 {e99:.2f} ms | answer p50 {a50:.2f} p99 {a99:.2f} ms, "
          f"CPU {cpu:.2f} ms/answer (mean; what a busy machine disturbs least), "
          f"{share:.0f}% of the time in compiled kernels (their loops release the GIL)")


def _time_compiled() -> list[float]:
    """Wrap the compiled kernels (found by name, in whichever checkout runs) with a timer:
    the share of an answer's time that runs without the GIL bounds what threads can gain."""
    import importlib

    spent = [0.0]
    for module, names in (("index.search.maxscore", ("candidates", "exact_scores", "search_top")),
                          ("index.answering.rescore_kernel", ("measure", "measure_all", "measure_many", "gather",
                                                    "sentence_bm25", "remap", "held_slots")),
                          ("index.answering.rank_kernels", ("typed_ends", "local_matches"))):
        try:
            m = importlib.import_module(module)
        except ImportError:
            continue
        for name in names:
            f = getattr(m, name, None)
            if f is None:
                continue

            def timed(*a, f=f):
                t0 = time.perf_counter()
                try:
                    return f(*a)
                finally:
                    spent[0] += time.perf_counter() - t0

            setattr(m, name, timed)
    return spent


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "child":
        a = sys.argv[2:]
        child(Path(a[0]), Path(a[1]), Path(a[2]), Path(a[3]), int(a[4]), int(a[5]), int(a[6]),
              a[7])
        return
    sys.path.insert(0, str(HERE.parent))
    import scale

    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("roots", type=Path, nargs="+", help="checkouts of docbot")
    ap.add_argument("--size", type=int, default=100_000)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--queries", type=int, default=300)
    ap.add_argument("--workdir", type=Path, default=Path("/tmp/docbot-interleaved"))
    ap.add_argument("--squad", type=Path, default=scale.SQUAD)
    ap.add_argument("--keep", action="store_true")
    ap.add_argument("--threads", action="store_true",
                    help="also answers/s from 1 and 2 threads, each a fresh process")
    ap.add_argument("--data", type=Path, help="a corpus already written (with --index)")
    ap.add_argument("--index", type=Path, help="its index, already built: opened, never built")
    ap.add_argument("--engine-only", action="store_true", help="time the engine, not answers")
    ap.add_argument("--bm25s", action="store_true",
                    help="with --engine-only: bm25s (numba) on the index's postings too, each "
                         "round, in a fresh process")
    args = ap.parse_args()
    if (args.data is None) != (args.index is None):
        ap.error("--data and --index go together")
    if args.engine_only and args.index is None:
        ap.error("--engine-only needs --data and --index")
    if args.bm25s and not args.engine_only:
        ap.error("--bm25s goes with --engine-only")
    try:
        data = args.data or args.workdir / f"real-data-{args.size}"
        if args.data is None:
            scale.write_real_corpus(data, args.size, scale.squad(args.squad)[0])

        def run(j: int, root: Path, threads: int) -> str:
            index = args.index or args.workdir / f"index-{j}"
            out = subprocess.run(
                [sys.executable, str(HERE), "child", str(root.resolve()), str(data),
                 str(index), str(args.squad), str(args.size), str(args.queries), str(threads),
                 "engine" if args.engine_only else "given" if args.index else "build"],
                capture_output=True, text=True, cwd=root)
            return out.stdout.strip().splitlines()[-1] if out.returncode == 0 else out.stderr.strip()[-300:]

        def run_peer(root: Path) -> str:
            out = subprocess.run(
                [sys.executable, str(HERE), "child", str(root.resolve()), str(data),
                 str(args.index), str(args.squad), str(args.size), str(args.queries), "0",
                 "bm25s"], capture_output=True, text=True, cwd=root)
            return out.stdout.strip().splitlines()[-1] if out.returncode == 0 else out.stderr.strip()[-300:]

        for r in range(args.rounds):
            for j, root in enumerate(args.roots):
                line = run(j, root, 0)
                if args.threads:
                    one, two = run(j, root, 1), run(j, root, 2)
                    try:
                        ratio = f"{float(two) / float(one):.2f}x"
                    except ValueError:
                        ratio = "?"
                    line += f" | answers/s 1 / 2 threads {one} / {two} ({ratio})"
                rev = subprocess.run(["git", "-C", str(root), "log", "--format=%h", "-1"],
                                     capture_output=True, text=True).stdout.strip()
                print(f"round {r + 1} {rev} ({root}): {line}", flush=True)
            if args.bm25s:
                print(f"round {r + 1} {run_peer(args.roots[0])}", flush=True)
    finally:
        if not args.keep and args.index is None:
            shutil.rmtree(args.workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
