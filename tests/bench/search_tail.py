"""The engine's slowest questions on a kept index, for several settings of the window pass
(BM25.window_at and BM25.window, index/search/maxscore.py), interleaved question by question
in one process so that only the setting differs (prints figures, asserts nothing).

    python tests/bench/scale.py --corpus real --sizes 1000000 --workdir /tmp/s1m --keep --no-peers
    python tests/bench/search_tail.py --data /tmp/s1m/real-data-1000000 \
        --index /tmp/s1m/real-index-1000000 --window-at never 32 32/1024 0 --rounds 5

--window-at takes shares of the chunks (32: from a merged list of a thirty-second of them;
bm25.WINDOW_SHARE is the default), 0 (from the first term) or never (MaxScore's merged list only),
each optionally with a window size (32/1024: windows of 1,024 chunks). --bounds also prints,
for each slow question's terms, their stored blocks' maxima and their bounds per window as
shares of their own bounds (how much block-max pruning could gain). Times are the thread's
CPU time (a busy machine's other work disturbs it least). Per setting: p50 / p95 / p99 over
every timed search, and over each question's fastest of --rounds; then the slowest questions
with their terms' postings and each setting's time. Every setting must give the same top 10
(chunks and scores): a difference is printed. The index is opened read-only (load_index),
never built or updated.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import scale  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", type=Path, required=True)
    ap.add_argument("--index", type=Path, required=True)
    ap.add_argument("--size", type=int, default=1_000_000, help="scale.py's size (picks questions)")
    ap.add_argument("--queries", type=int, default=300)
    ap.add_argument("--window-at", nargs="+", default=["128", "never"])
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--slowest", type=int, default=12)
    ap.add_argument("--squad", type=Path, default=scale.SQUAD)
    ap.add_argument("--bounds", action="store_true",
                    help="also print how tight the slowest questions' block maxima are "
                         "(an index of one segment)")
    args = ap.parse_args()

    from index.search.analyze import load_analyzer
    from index.search.bm25 import WINDOW, WINDOW_MIN
    from index.search.load import load_index

    _, questions = scale.squad(args.squad)
    rng = np.random.default_rng([scale.SEED, args.size])
    picked = [questions[int(i)] for i in rng.choice(len(questions), size=args.queries + 20,
                                                    replace=False)]
    idx = load_index(args.index, load_analyzer(args.data))
    bm25 = idx.bm25
    n = bm25.n_docs
    def setting(s: str) -> tuple[int, int]:
        share, _, window = s.partition("/")
        at = 10**12 if share == "never" else 0 if share == "0" else max(WINDOW_MIN, n // int(share))
        return at, int(window or WINDOW)

    settings = {s: setting(s) for s in args.window_at}
    terms = [idx.analyzer.terms(q) for q in picked]
    warm, terms = terms[args.queries:], terms[:args.queries]

    def ask(setting: str, t: list[str]):
        bm25.window_at, bm25.window = settings[setting]
        return idx.search_terms(t, 10)

    for t in warm:
        for s in settings:
            ask(s, t)
    differ = 0
    for t in terms:
        got = [[(h.pos, h.score) for h in ask(s, t)] for s in settings]
        differ += any(g != got[0] for g in got[1:])
    every = {s: [] for s in settings}
    best = {s: np.full(len(terms), np.inf) for s in settings}
    order = list(settings)
    for r in range(args.rounds):
        for i, t in enumerate(terms):
            for s in (order if (i + r) % 2 == 0 else order[::-1]):
                t0 = time.thread_time()
                ask(s, t)
                ms = (time.thread_time() - t0) * 1000
                every[s].append(ms)
                best[s][i] = min(best[s][i], ms)
    print(f"{n:,} chunks, {len(terms)} questions x {args.rounds} rounds; settings giving another "
          f"top 10 than the first: {differ} questions")
    for s in settings:
        a, b = np.percentile(every[s], [50, 95, 99]), np.percentile(best[s], [50, 95, 99])
        print(f"  {s:>10} (from {settings[s][0]:,} chunks): every search p50 {a[0]:.2f} p95 "
              f"{a[1]:.2f} p99 {a[2]:.2f} ms | fastest of {args.rounds} p50 {b[0]:.2f} p95 "
              f"{b[1]:.2f} p99 {b[2]:.2f} ms")
    first = order[0]
    print(f"slowest under {first} (ms: " + " / ".join(order) + "; term:postings)")
    for i in np.argsort(-best[first])[:args.slowest]:
        # the live postings of each term (an updated index has several segments)
        dfs = " ".join(f"{w}:{idx.df(w)}" for w in terms[i])
        print("  " + " / ".join(f"{best[s][i]:.2f}" for s in order) + f"  {dfs}")
        if args.bounds and hasattr(bm25, "block_max"):
            print("    " + bound_shares(bm25, idx, terms[i], WINDOW))


def bound_shares(bm25, idx, terms: list[str], window: int) -> str:
    """Per term: its blocks' maxima and its bound in each window it holds a chunk in (the
    largest of the blocks there), as means of a share of its own bound (1: no tighter)."""
    from index.search.bm25 import BLOCK

    ind, docs, bp = bm25.postings.indptr, bm25.postings.docs, bm25.block_ptr
    out = []
    for w in dict.fromkeys(terms):
        t = idx.vocab.get(w)
        if t is None or ind[t + 1] == ind[t]:
            continue
        d = np.asarray(docs[ind[t]:ind[t + 1]])
        bmx = np.asarray(bm25.block_max[bp[t]:bp[t + 1]], dtype=np.float64)
        first = d[::BLOCK] // window
        last = d[np.minimum(np.arange(len(bmx)) * BLOCK + BLOCK - 1, len(d) - 1)] // window
        wb = np.zeros(int(last[-1]) + 1)
        for j in range(len(bmx)):
            wb[first[j]:last[j] + 1] = np.maximum(wb[first[j]:last[j] + 1], bmx[j])
        top = bm25.term_max[t]
        out.append(f"{w} {bmx.mean() / top:.2f}/{wb[wb > 0].mean() / top:.2f}")
    return "blocks/windows: " + " ".join(out)


if __name__ == "__main__":
    main()
