"""Peers for tests/bench/scale.py: the same passages and questions through tantivy and bm25s
(numba backend), when installed (`pip install -e '.[bench]'`), so each figure is a ratio
measured in the same run on the same machine.

tantivy indexes each passage's text itself (its en_stem analyzer: Snowball English, as
docbot's) and is timed for that build; it is asked docbot's analyzed terms of each question as
a disjunction of term queries, top 10. bm25s is given docbot's postings and BM25 weights as its
score matrix (no build of its own to time: it would hold every passage's token list in Python)
and retrieves the top 10 for the same term ids with its numba backend; how many questions get
the same ten scores from both is printed too.
"""
from __future__ import annotations

import shutil
import time
from pathlib import Path
from typing import Callable

import numpy as np

WARM = 20  # questions asked first and not timed, as for docbot's engine


def _percentiles(ms: list[float]) -> tuple[float, float, float]:
    a = np.asarray(ms)
    return float(np.percentile(a, 50)), float(np.percentile(a, 95)), float(np.percentile(a, 99))


def _timed(ask: Callable[[int], object], n: int) -> list[float]:
    for i in range(min(WARM, n)):
        ask(i)
    ms = []
    for i in range(n):
        t0 = time.perf_counter()
        ask(i)
        ms.append((time.perf_counter() - t0) * 1000)
    return ms


def tantivy_times(idx, analyzed: list[list[str]], workdir: Path, k: int = 10) -> dict | None:
    """tantivy's build on the passages' texts and its top-k latency for the questions' terms;
    None when tantivy is not installed. Its index lives under workdir and is removed."""
    try:
        import tantivy
    except ImportError:
        return None
    from index.search.searcher import index_text

    folder = workdir / "tantivy-index"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    try:
        sb = tantivy.SchemaBuilder()
        sb.add_text_field("body", stored=False, tokenizer_name="en_stem", index_option="freq")
        schema = sb.build()
        index = tantivy.Index(schema, path=str(folder))
        writer = index.writer(heap_size=256_000_000, num_threads=2)
        build_s = 0.0
        n = len(idx.chunks)
        step = 50_000
        for lo in range(0, n, step):  # texts read in batches, outside the timing
            texts = [index_text(idx.chunks[i]) for i in range(lo, min(n, lo + step))]
            t0 = time.perf_counter()
            for text in texts:
                writer.add_document(tantivy.Document(body=text))
            build_s += time.perf_counter() - t0
        t0 = time.perf_counter()
        writer.commit()
        writer.wait_merging_threads()
        index.reload()
        build_s += time.perf_counter() - t0
        searcher = index.searcher()

        def ask(i: int) -> object:
            terms = analyzed[i]
            q = tantivy.Query.boolean_query(
                [(tantivy.Occur.Should, tantivy.Query.term_query(schema, "body", t))
                 for t in terms])
            return searcher.search(q, k).hits

        ms = _timed(ask, len(analyzed))
        return {"build_s": build_s, "ms": _percentiles(ms)}
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def bm25s_times(idx, analyzed: list[list[str]], k: int = 10) -> dict | None:
    """bm25s (numba backend) over docbot's postings and weights: top-k latency per question;
    None when bm25s or numba is not installed."""
    try:
        import bm25s
        import numba  # noqa: F401  (bm25s's fast backend)
    except ImportError:
        return None
    from index.search.bm25 import _weights_of_range

    bm25 = idx.bm25
    ind = bm25.postings.indptr
    n_terms = len(ind) - 1
    data = np.empty(int(ind[-1]), dtype=np.float32)
    step = 1 << 23
    t = 0
    while t < n_terms:  # weights a slice of postings at a time (cut at term boundaries)
        end = min(max(int(np.searchsorted(ind, ind[t] + step, side="right")) - 1, t + 1), n_terms)
        lo, hi = int(ind[t]), int(ind[end])
        if hi > lo:
            data[lo:hi] = _weights_of_range(bm25, t, end, lo, hi)
        t = end
    model = bm25s.BM25(backend="numba")
    model.scores = {"data": data, "indices": np.asarray(bm25.postings.docs, dtype=np.int32),
                    "indptr": np.asarray(ind, dtype=np.int64), "num_docs": len(idx.chunks)}
    model.vocab_dict = dict(idx.vocab)
    model.unique_token_ids_set = set(range(n_terms))
    model.nonoccurrence_array = None  # lucene-style BM25 adds nothing to non-matching chunks
    queries = [[idx.vocab[t] for t in terms if t in idx.vocab] for terms in analyzed]
    keep = [i for i, q in enumerate(queries) if q]
    queries = [queries[i] for i in keep]

    def ask(i: int) -> object:
        return model.retrieve([queries[i]], k=k, show_progress=False, n_threads=0)

    ms = _timed(ask, len(queries))
    # the same weights, so the same top-k scores (to float32's precision, less the constant
    # BM25+ adds to every chunk): a check on docbot's pruning at scale, beside the exact
    # oracle tests on small corpora
    same = 0
    for j, i in enumerate(keep):
        theirs = np.asarray(ask(j).scores[0], dtype=np.float64)
        theirs = np.sort(theirs[theirs > 0])[::-1]
        ours = np.asarray([h.score for h in idx.search_terms(analyzed[i], k)])
        ours -= sum(bm25.baseline(t) for t in queries[j])
        same += len(ours) == len(theirs) and np.allclose(ours, theirs, rtol=1e-5, atol=1e-5)
    return {"ms": _percentiles(ms), "n": len(queries), "same_top": same}
