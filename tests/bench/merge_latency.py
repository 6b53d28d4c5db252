"""Answer latency while an index's segments merge in the background, as a long-running bot
merges them (prints figures, asserts nothing).

    python tests/bench/merge_latency.py --sizes 100000

The corpus is tests/bench/scale.py's real one (SQuAD dev sentences, 5,000 passages per
document). The index is built in a child process, then 8 documents of 41 passages are added
one by one (8 small segments: a full tier of the merge policy). The answer service (what the
bot's worker thread calls: Answerer.ask, top 3, the second stage and all) answers SQuAD
questions one after the other in this process:
  idle            no merge
  policy, child   the policy's merge (the 8 small segments) in a child process (the bot's way)
  all, child      every segment merged into one (the largest merge the policy can make), child
  all, thread     the same merge in a thread of this process (what a thread would cost)
Each merge round answers until the merge is done; the index is put back as it was between
rounds (hard links), and the rounds are interleaved --rounds times. Everything under
--workdir is removed at the end unless --keep.
"""
from __future__ import annotations

import argparse
import itertools
import os
import shutil
import sys
import threading
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "bench"))

import scale  # noqa: E402


def answer_while(answerer, questions, busy) -> list[float]:
    """Latencies (ms) of questions answered one after the other while busy() holds."""
    ms = []
    for q in questions:
        if not busy():
            break
        t0 = time.perf_counter()
        answerer.ask(q, 3)
        ms.append((time.perf_counter() - t0) * 1000)
    return ms


def restore(snapshot: Path, index_dir: Path) -> None:
    shutil.rmtree(index_dir)
    shutil.copytree(snapshot, index_dir, copy_function=os.link)


def bench_size(n: int, workdir: Path, sentences: list[str], questions: list[str],
               rounds: int) -> None:
    from bot.merger import BackgroundMerge, merge_due, run, segment_count
    from index.answering.answer import Answerer
    from index.search.engine import open_index

    data, index_dir = workdir / f"real-{n}", workdir / f"index-{n}"
    scale.write_real_corpus(data, n, sentences)
    print(f"{n:,} passages", flush=True)
    built = scale.run_child("build", str(data), str(index_dir))
    print(f"  build {built['build_s']:.1f} s", flush=True)
    rng = np.random.default_rng(1)
    for i in range(8):
        body = "\n\n".join(" ".join(sentences[s : s + 4])
                           for s in rng.integers(0, len(sentences) - 5, 40))
        (data / "docs" / f"zz-added-{i}.txt").write_text(f"Added {i}\n\n{body}\n", encoding="utf-8")
        idx = open_index(data, index_dir)
    print(f"  8 documents added one by one: {segment_count(idx)} segments, a tier full: "
          f"{merge_due(idx)}", flush=True)
    snapshot = workdir / f"index-{n}-snapshot"
    shutil.rmtree(snapshot, ignore_errors=True)
    shutil.copytree(index_dir, snapshot, copy_function=os.link)
    answerer = Answerer.open(data, index_dir)
    answerer.warm_up().join()
    qs = itertools.cycle(questions)
    answer_while(answerer, itertools.islice(qs, 50), lambda: True)  # warm pages and caches

    def child(everything: bool):
        def go():
            m = BackgroundMerge(data, index_dir, everything)
            return m.running, m.wait
        return go

    def thread(everything: bool):
        def go():
            t = threading.Thread(target=run, args=(data, index_dir, everything))
            t.start()
            return t.is_alive, t.join
        return go

    kinds = {"policy, child": child(False), "all, child": child(True), "all, thread": thread(True)}
    lat: dict[str, list[float]] = {k: [] for k in ["idle", *kinds]}
    took: dict[str, list[float]] = {k: [] for k in kinds}
    for r in range(rounds):
        for kind, start in kinds.items():
            t0 = time.perf_counter()
            busy, finish = start()
            lat[kind] += answer_while(answerer, qs, busy)
            finish()
            took[kind].append(time.perf_counter() - t0)
            restore(snapshot, index_dir)
            # as long without a merge, interleaved
            until = time.perf_counter() + max(took[kind][-1], 1.0)
            lat["idle"] += answer_while(answerer, qs, lambda: time.perf_counter() < until)
        print(f"  round {r + 1} of {rounds} done", flush=True)
    for kind, ms in lat.items():
        merge = (f"merge {min(took[kind]):.1f}–{max(took[kind]):.1f} s, " if kind in took else "")
        print(f"  {kind:<14} {merge}{len(ms):,} answers, p50 {np.percentile(ms, 50):.1f} ms, "
              f"p99 {np.percentile(ms, 99):.1f} ms", flush=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="100000")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--workdir", type=Path, default=Path("/tmp/docbot-merge-latency"))
    ap.add_argument("--squad", type=Path, default=scale.SQUAD)
    ap.add_argument("--keep", action="store_true")
    args = ap.parse_args()
    scale.each_size(args.sizes, args.workdir, args.squad, args.keep,
                    lambda n, workdir, sentences, questions: bench_size(
                        n, workdir, sentences, questions[:300], args.rounds))


if __name__ == "__main__":
    main()
