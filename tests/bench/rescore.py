"""The second stage (index/answering/rescore.py) on SQuAD v1.1 dev and Cranfield: does reordering BM25's
top passages by term proximity, bigrams and the best sentence find the answer sooner?

Signals are measured once per (query, candidate); rankings for any weights are then cheap.
Queries are split in halves (even / odd positions): --fit searches a grid of weights on the
even half only and reports both; without --fit the weights in index/answering/rescore.py are reported.

    python tests/bench/rescore.py [--fit] [--depth 20] [--limit N]
"""
from __future__ import annotations

import argparse
import itertools
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "bench"))

from quality import K, ndcg, load_cranfield, load_squad  # noqa: E402
from index.search.analyze import Analyzer  # noqa: E402
from index.search.engine import Index  # noqa: E402
from index.answering import rescore  # noqa: E402
from index.answering.asked import asked  # noqa: E402

NAMES = tuple(rescore.WEIGHTS)
GRID = {"pairs": (0, 0.1, 0.2, 0.4), "bigrams": (0, 0.25, 0.5, 1.0),
        "sent_bm25": (0, 0.15, 0.3, 0.6), "sent_cov": (0, 2, 4, 6), "wants": (0, 2, 4)}


def measure(idx: Index, queries: list[str], depth: int):
    """Per query: candidate chunk ids and a (depth, 1 + len(NAMES)) matrix of bm25 + signals."""
    an = idx.analyzer
    term_id = lambda t: idx.vocab.get(t, -1)  # noqa: E731
    n = len(idx.chunks)
    weight = lambda t: rescore.term_weight(n, idx.df(t))  # noqa: E731
    toks = {}
    out = []
    t0 = time.perf_counter()
    for text in queries:
        terms = an.terms(text)
        hits = idx.search_terms(terms, depth) if terms else []
        q = rescore.query_terms(terms, term_id, weight, asked(text))
        rows = []
        for h in hits:
            c = h.chunk
            tk = toks.get(c.id)
            if tk is None:
                tk = toks[c.id] = rescore.analyze_tokens(c.text, an, term_id)
            s = rescore.signals(q, tk, c.text, h.score)
            rows.append([s.bm25, *(getattr(s, name) for name in NAMES)])
        out.append(([h.chunk.id for h in hits], np.asarray(rows, dtype=np.float64).reshape(-1, 1 + len(NAMES))))
    return out, (time.perf_counter() - t0) * 1000 / max(1, len(queries))


def rerank(measured, w: np.ndarray) -> list[list[str]]:
    ranked = []
    for ids, m in measured:
        if not ids:
            ranked.append([])
            continue
        score = m[:, 0] + m[:, 1:] @ w
        order = np.argsort(-score, kind="stable")
        ranked.append([ids[i] for i in order])
    return ranked


def squad_scores(ranked, questions, chunks_by_id, half):
    r1 = ans3 = n = 0
    for i, (ids, q) in enumerate(zip(ranked, questions)):
        if i % 2 != half:
            continue
        n += 1
        r1 += bool(ids) and ids[0] == q.chunk_id
        ans3 += any(a in chunks_by_id[c].text.lower() for c in ids[:3] for a in q.answers)
    return r1 / n, ans3 / n


def cran_scores(ranked, qrels, chunks_by_id, half):
    vals = [ndcg([chunks_by_id[c] for c in ids], g, K)
            for i, (ids, g) in enumerate(zip(ranked, qrels)) if i % 2 == half]
    return sum(vals) / len(vals)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--shared", type=Path, default=ROOT.parent / "shared")
    ap.add_argument("--depth", type=int, default=rescore.DEPTH)
    ap.add_argument("--fit", action="store_true")
    ap.add_argument("--limit", type=int, default=0, help="every n-th SQuAD question only")
    args = ap.parse_args(argv)
    s_chunks, s_q = load_squad(args.shared / "bench/squad/dev-v1.1.json")
    if args.limit:
        s_q = s_q[:: args.limit]
    c_chunks, c_queries, c_qrels = load_cranfield(args.shared / "bench/cranfield")
    s_idx, c_idx = Index.from_chunks(s_chunks, Analyzer()), Index.from_chunks(c_chunks, Analyzer())
    s_by, c_by = {c.id: c for c in s_chunks}, {c.id: c for c in c_chunks}
    s_m, s_ms = measure(s_idx, [q.text for q in s_q], args.depth)
    c_m, c_ms = measure(c_idx, c_queries, args.depth)
    print(f"signals: {s_ms:.2f} ms/question (SQuAD), {c_ms:.2f} ms/query (Cranfield), depth {args.depth}")

    def report(label, w):
        rows = []
        for half in (0, 1):
            r1, a3 = squad_scores(rerank(s_m, w), s_q, s_by, half)
            nd = cran_scores(rerank(c_m, w), c_qrels, c_by, half)
            rows.append(f"{'fit' if half == 0 else 'held-out'} half: R@1 {r1:.3f} Ans@3 {a3:.3f} nDCG@10 {nd:.3f}")
        print(f"{label:<34} " + " | ".join(rows))

    zero = np.zeros(len(NAMES))
    report("BM25 alone", zero)
    current = np.asarray([rescore.WEIGHTS[n] for n in NAMES])
    report("index/answering/rescore.py WEIGHTS", current)
    if not args.fit:
        return
    base_r1 = squad_scores(rerank(s_m, zero), s_q, s_by, 0)[0]
    base_nd = cran_scores(rerank(c_m, zero), c_qrels, c_by, 0)
    best, best_gain = None, -1.0
    for combo in itertools.product(*(GRID[n] for n in NAMES)):
        w = np.asarray(combo, dtype=np.float64)
        r1 = squad_scores(rerank(s_m, w), s_q, s_by, 0)[0]
        nd = cran_scores(rerank(c_m, w), c_qrels, c_by, 0)
        gain = (r1 - base_r1) + (nd - base_nd)  # both benches count alike
        if gain > best_gain:
            best, best_gain = w, gain
    report("fitted on the even half: " + ", ".join(f"{n} {v:g}" for n, v in zip(NAMES, best)), best)


if __name__ == "__main__":
    main()
