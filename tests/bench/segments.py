"""Segments benchmark: what one document costs the index, and when a question sees it (prints
figures, asserts nothing).

    python tests/bench/segments.py --sizes 100000
    nice -n 10 timeout 3h python tests/bench/segments.py --sizes 1000000 --workdir /tmp/docbot-seg

The corpus is tests/bench/scale.py's real one (SQuAD dev sentences, 5,000 passages per
document; ../shared/bench/squad/dev-v1.1.json or --squad FILE). The index is built once in a
child process, then, in this process, one after the other:
  add     a new document of 40 passages holding a word no other passage holds
  change  one of the build's documents: one passage more, holding another new word
  delete  one of the build's documents
Each prints the time of open_index (what changed is found, written as a new segment, dead
chunks marked, the new generation opened) and of the first question after it, and checks the
question's reply: the new word's passage comes first, the deleted document's passages are gone.
Then the engine's search latency (p50/p99 over 300 SQuAD questions, top 10) on the build
(kept as hard links) and on the updated index, interleaved three times, and the merge of the
small segments. Everything under --workdir is removed
at the end unless --keep.
"""
from __future__ import annotations

import argparse
import os
import shutil
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "bench"))

import scale  # noqa: E402


def latency(idx, questions: list[str]) -> tuple[float, float]:
    ms = []
    for q in questions:
        t0 = time.perf_counter()
        idx.search(q, 10)
        ms.append((time.perf_counter() - t0) * 1000)
    return float(np.percentile(ms, 50)), float(np.percentile(ms, 99))


def timed_open(data: Path, index_dir: Path, question: str):
    from index.search.engine import open_index

    t0 = time.perf_counter()
    idx = open_index(data, index_dir)
    t1 = time.perf_counter()
    hits = idx.search(question, 10)
    t2 = time.perf_counter()
    return idx, hits, t1 - t0, t2 - t1


def bench_size(n: int, workdir: Path, sentences: list[str], questions: list[str]) -> None:
    from index.search import merge
    from index.search.engine import load_index, open_index

    data, index_dir = workdir / f"real-{n}", workdir / f"index-{n}"
    scale.write_real_corpus(data, n, sentences)
    print(f"{n:,} passages", flush=True)
    built = scale.run_child("build", str(data), str(index_dir))
    print(f"  build {built['build_s']:.1f} s (one segment)", flush=True)
    qs = questions[:300]
    plain_dir = workdir / f"index-{n}-one-segment"  # the build as it was, for the latencies
    shutil.rmtree(plain_dir, ignore_errors=True)
    shutil.copytree(index_dir, plain_dir, copy_function=os.link)
    open_index(data, plain_dir).search(qs[0], 10)  # numba's start-up, before the clock runs
    docs = sorted((data / "docs").glob("*.txt"))
    rng = np.random.default_rng(1)

    # add: a new document
    extra = data / "docs" / "zz-added.txt"
    body = "\n\n".join(" ".join(sentences[s : s + 4]) for s in rng.integers(0, len(sentences) - 5, 40))
    extra.write_text("Added\n\nThe kalobezumo harbour opened its gates at dawn.\n\n" + body + "\n",
                     encoding="utf-8")
    idx, hits, open_s, ask_s = timed_open(data, index_dir, "When did the kalobezumo harbour open?")
    ok = bool(hits) and hits[0].chunk.doc == "zz-added"
    print(f"  add one document (41 passages): update + open {open_s:.2f} s, first question "
          f"{ask_s * 1000:.1f} ms, sees it: {ok}; segments {len(idx.segments)}", flush=True)

    # change: one of the build's documents
    victim = docs[len(docs) // 2]
    victim.write_text(victim.read_text(encoding="utf-8") + "\nThe zumodakalo ledger closed in "
                      "the spring.\n", encoding="utf-8")
    idx, hits, open_s, ask_s = timed_open(data, index_dir, "When did the zumodakalo ledger close?")
    ok = bool(hits) and hits[0].chunk.doc == victim.stem
    n_chunks = next(d["chunks"] for d in idx.documents if d["id"] == victim.stem)
    print(f"  change one document ({n_chunks:,} passages): update + open {open_s:.2f} s, first "
          f"question {ask_s * 1000:.1f} ms, sees it: {ok}; segments {len(idx.segments)}", flush=True)

    # delete: another one
    gone = docs[len(docs) // 3]
    start = 0
    for d in idx.documents:  # chunk numbers follow the documents' order
        if d["id"] == gone.stem:
            break
        start += d["chunks"]
    first_passage = idx.chunks[start]
    gone.unlink()
    idx, hits, open_s, ask_s = timed_open(data, index_dir, first_passage.text)
    ok = all(h.chunk.doc != gone.stem for h in hits) and first_passage.id not in idx.by_id
    print(f"  delete one document: update + open {open_s:.2f} s, first question "
          f"{ask_s * 1000:.1f} ms, its passages gone: {ok}; segments {len(idx.segments)}",
          flush=True)

    plain = load_index(plain_dir, idx.analyzer)
    latency(plain, qs[:20])  # compiled loops and pages warm
    latency(idx, qs[:20])
    rounds = [(latency(plain, qs), latency(idx, qs)) for _ in range(3)]  # interleaved
    for (b, a) in rounds:
        print(f"  engine search p50/p99: one segment {b[0]:.2f}/{b[1]:.2f} ms, after the updates "
              f"({len(idx.segments)} segments, dead chunks) {a[0]:.2f}/{a[1]:.2f} ms", flush=True)
    del plain
    t0 = time.perf_counter()
    names = [s.name for s in idx.segments if s.name]
    merged = merge.merge(index_dir, idx.analyzer, names) if len(names) > 1 else False
    print(f"  merge of the {len(names)} small segments: {time.perf_counter() - t0:.2f} s "
          f"(merged: {merged})", flush=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="100000")
    ap.add_argument("--workdir", type=Path, default=Path("/tmp/docbot-segments"))
    ap.add_argument("--squad", type=Path, default=ROOT.parent / "shared/bench/squad/dev-v1.1.json")
    ap.add_argument("--keep", action="store_true")
    args = ap.parse_args()
    scale.each_size(args.sizes, args.workdir, args.squad, args.keep, bench_size)


if __name__ == "__main__":
    main()
