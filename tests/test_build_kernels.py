"""The compiled term bounds a large build stores are the numpy path's, float for float."""
from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from index.search.bm25 import BLOCK, BM25, BM25Params, postings_from_forward, term_bounds
from index.search.build_kernels import okapi_bounds


@pytest.mark.parametrize("params", [BM25Params(), BM25Params(variant="plus", k1=0.9),
                                    BM25Params(k1=2.0, b=0.3)])
@pytest.mark.parametrize("seed", range(4))
def test_compiled_bounds_are_term_bounds(params, seed):
    rng = np.random.default_rng(seed)
    n, n_terms = int(rng.integers(1, 3000)), int(rng.integers(1, 400))
    counts = rng.integers(0, 30, size=n)
    # common terms (long postings, several blocks) and rare ones; some terms held by no chunk
    rows = [np.unique(np.minimum(rng.zipf(1.3, size=c), n_terms) - 1) for c in counts]
    terms = np.concatenate(rows).astype(np.int32)
    ptr = np.zeros(n + 1, dtype=np.int64)
    ptr[1:] = np.cumsum([len(r) for r in rows])
    tfs = rng.integers(1, 9, size=len(terms)).astype(np.uint8)
    doc_len = rng.integers(1, 300, size=n).astype(np.int32)
    postings = postings_from_forward(ptr, terms, tfs, doc_len, n_terms + 3)  # 3 unheld
    bm25 = BM25(postings, params, term_max=np.zeros(0), block_max=np.zeros(0))
    want_max, want_blocks = term_bounds(bm25)
    got_max, got_blocks = okapi_bounds(postings.indptr, postings.docs, postings.tfs, bm25.idf,
                                       bm25._k1norm, float(params.k1), BLOCK)
    assert (np.diff(postings.indptr) > BLOCK).any() and (np.diff(postings.indptr) == 0).any()
    assert got_max.dtype == want_max.dtype and got_blocks.dtype == want_blocks.dtype
    assert np.array_equal(got_max, want_max)
    assert np.array_equal(got_blocks, want_blocks)


@pytest.mark.parametrize("seed", range(4))
def test_compiled_token_runs_are_numpys(seed, monkeypatch):
    """A worker's term-major counts of its tokens: the compiled counting sort gives the
    arrays of the np.unique over every token and the sparse transpose."""
    from index.search import build

    rng = np.random.default_rng(seed)
    n, n_terms = int(rng.integers(1, 400)), 5000
    per = rng.integers(0, 150, size=n)  # empty chunks, short ones and long ones
    per[rng.integers(0, n)] = 0
    rows = np.repeat(np.arange(n, dtype=np.int64), per)
    raw = np.minimum(rng.zipf(1.4, size=len(rows)), n_terms).astype(np.int64) - 1
    monkeypatch.setattr(build, "COMPILED_COUNTS", 0)
    got = build.token_runs(rows, raw, n, n_terms + 7)  # terms no token holds
    monkeypatch.setattr(build, "COMPILED_COUNTS", 1 << 62)
    want = build.token_runs(rows, raw, n, n_terms + 7)
    assert (per == 0).any() and (got[-1] > 1).any()
    for g, w in zip(got, want):
        assert g.dtype == w.dtype and np.array_equal(g, w)


def test_token_runs_of_unordered_rows_are_numpys(monkeypatch):
    from index.search import build

    rows = np.array([0, 2, 1, 1, 0], dtype=np.int64)
    raw = np.array([5, 3, 4, 4, 5], dtype=np.int64)
    monkeypatch.setattr(build, "COMPILED_COUNTS", 0)
    doc_len, tterms, tptr, t_rows, tfs = build.token_runs(rows, raw, 3, 6)
    assert doc_len.tolist() == [2, 2, 1] and tterms.tolist() == [3, 4, 5]
    assert tptr.tolist() == [0, 1, 2, 3] and t_rows.tolist() == [2, 1, 0]
    assert tfs.tolist() == [1, 2, 2]


@pytest.mark.parametrize("compiled", [True, False])
@pytest.mark.parametrize("seed", range(3))
def test_merged_batches_are_the_transpose_of_all_counts(seed, compiled, monkeypatch):
    """Batches analyzed by two workers (each with its own term ids), merged term by term,
    give the postings the sparse transpose of the whole collection's counts gives; terms no
    chunk holds leave the vocabulary."""
    from index.search import build

    rng = np.random.default_rng(seed)
    n_vocab = 300
    maps = {w: rng.permutation(n_vocab).astype(np.int32) for w in (11, 22)}  # worker -> vocab ids
    unheld = rng.choice(n_vocab, 20, replace=False)
    batches, all_rows, all_terms, all_tfs, base = [], [], [], [], 0
    for task in range(6):
        worker = (11, 22)[task % 2]
        n = int(rng.integers(0, 60))
        per = [np.unique(rng.integers(0, n_vocab, size=int(rng.integers(0, 25)))) for _ in range(n)]
        per = [p[~np.isin(maps[worker][p], unheld)] for p in per]
        ptr = np.zeros(n + 1, dtype=np.int64)
        ptr[1:] = np.cumsum([len(p) for p in per])
        terms = np.concatenate(per).astype(np.int32) if n else np.zeros(0, np.int32)
        tfs = rng.integers(1, 300 if task == 3 else 5, size=len(terms)).astype(
            np.uint16 if task == 3 else np.uint8)
        doc_len = rng.integers(1, 99, size=n).astype(np.int32)
        tterms, tptr, rows, t_tfs = build.term_runs(ptr, terms, tfs, doc_len, n_vocab)
        batches.append(SimpleNamespace(worker=worker, tterms=tterms, tptr=tptr, doc_len=doc_len,
                                       tfs_dtype=t_tfs.dtype.name,
                                       take={"rows": rows, "tfs": t_tfs}.get))
        all_rows.append(np.repeat(np.arange(n), np.diff(ptr)) + base)
        all_terms.append(maps[worker][terms])
        all_tfs.append(tfs.astype(np.uint16))
        base += n
    vocab = [f"t{i}" for i in range(n_vocab)]
    doc_len = np.concatenate([b.doc_len for b in batches])
    df, kept, token_maps, remap = build._held_terms(batches, vocab, maps)
    monkeypatch.setattr(build, "COMPILED_POSTINGS", 0 if compiled else 1 << 62)
    got = build._merged_postings(batches, maps, remap, df, doc_len)
    # the whole collection's counts, chunk-major in vocabulary ids without the unheld terms
    rows, terms, tfs = (np.concatenate(x) for x in (all_rows, all_terms, all_tfs))
    order = np.lexsort((terms, rows))
    ptr = np.zeros(base + 1, dtype=np.int64)
    ptr[1:] = np.cumsum(np.bincount(rows, minlength=base))
    want = postings_from_forward(ptr, remap[terms[order]], tfs[order], doc_len, len(kept))
    assert len(kept) == n_vocab - 20 and sorted(kept) == sorted(np.delete(vocab, unheld).tolist())
    for name in ("indptr", "docs", "tfs", "doc_len"):
        g, w = getattr(got, name), getattr(want, name)
        assert g.dtype == w.dtype and np.array_equal(g, w), name
    assert all((token_maps[w][np.isin(maps[w], unheld)] == -1).all() for w in maps)


def test_postings_of_runs_in_any_order_are_the_transpose():
    from index.search import build

    rng = np.random.default_rng(5)
    n, n_terms = 40, 30
    per = [np.unique(rng.integers(0, n_terms, size=int(rng.integers(0, 12)))) for _ in range(n)]
    ptr = np.zeros(n + 1, dtype=np.int64)
    ptr[1:] = np.cumsum([len(p) for p in per])
    terms = np.concatenate(per).astype(np.int32)
    tfs = rng.integers(1, 4, size=len(terms)).astype(np.uint8)
    doc_len = rng.integers(1, 50, size=n).astype(np.int32)
    tterms, tptr, rows, t_tfs = build.term_runs(ptr, terms, tfs, doc_len, n_terms)
    shuffle = rng.permutation(n_terms).astype(np.int32)  # new ids: runs no longer ascending
    got = build.postings_of_runs(shuffle[tterms], tptr, rows, t_tfs, doc_len, n_terms)
    want = postings_from_forward(ptr, shuffle[terms], tfs, doc_len, n_terms)
    for name in ("indptr", "docs", "tfs", "doc_len"):
        g, w = getattr(got, name), getattr(want, name)
        assert g.dtype == w.dtype and np.array_equal(g, w), name
