"""The compiled search (MaxScore term at a time, index/search/maxscore.py) returns exactly what
scoring every posting returns, on real text where common words dominate, for random questions,
filters, tie orders and depths; its shortcuts (float32 sums, k1norm read by chunk length) change
no figure; hits read their chunk record only when asked and still behave as tuples."""
from __future__ import annotations

import numpy as np
import pytest

from index.reading.corpus import Chunk
from index.search.analyze import Analyzer
from index.search.bm25 import BM25, BM25Params, WINDOW, build_postings
from index.search.searcher import Index, SearchHit
from test_bm25 import engine, ids, real_text  # noqa: F401  (real_text: a fixture)


@pytest.mark.parametrize("variant", ["plus", "okapi"])
def test_compiled_search_equals_scoring_every_posting_on_random_questions(real_text, variant):
    docs, _ = real_text
    bm25, vocab = engine(docs, variant=variant, k1=0.9 if variant == "plus" else 1.2, b=0.75)
    df = np.diff(bm25.postings.indptr)
    by_df = sorted(vocab, key=lambda t: -df[vocab[t]])
    common, rest = by_df[:60], by_df[60:]
    rng = np.random.default_rng(23)
    tiebreak = rng.permutation(len(docs))
    allowed = rng.random(len(docs)) < 0.5
    checked = 0
    for _ in range(150):
        q = list(rng.choice(common, size=int(rng.integers(1, 7))))
        q += list(rng.choice(rest, size=int(rng.integers(0, 4))))
        if rng.random() < 0.3:
            q.append(q[0])  # a repeated word counts twice
        q_ids = ids(vocab, q)
        for k in (1, 10, 200):
            got = bm25.search(q_ids, k, tiebreak=tiebreak)
            assert got == bm25.search_all(q_ids, k, tiebreak=tiebreak), (q, k)
            assert bm25.search(q_ids, k, allowed=allowed) == bm25.search_all(q_ids, k, allowed=allowed)
            checked += len(got)
    assert checked > 150 * 100  # the questions found passages: the comparisons were not empty


@pytest.mark.parametrize("variant", ["plus", "okapi"])
def test_window_pass_gives_the_pruned_search_s_top_k_ties_and_all(real_text, variant):
    """The window pass (MaxScore a window of chunks at a time, once the merged list grows
    long) from the first term, from a middle one, and never, in windows of the default size
    and in small ones (many windows): the same chunks, scores and order as scoring every
    posting, ties by chunk id or by a tiebreak included (real_text repeats its passages, so
    many chunks score alike), filters too."""
    docs, _ = real_text
    bm25, vocab = engine(docs, variant=variant, k1=0.9 if variant == "plus" else 1.2, b=0.75)
    assert WINDOW < bm25.n_docs < 2 * WINDOW  # two windows, the last one cut short
    df = np.diff(bm25.postings.indptr)
    by_df = sorted(vocab, key=lambda t: -df[vocab[t]])
    rng = np.random.default_rng(37)
    tiebreak = rng.permutation(len(docs))
    allowed = rng.random(len(docs)) < 0.7
    tied = checked = windowed = 0
    for _ in range(80):
        q = list(rng.choice(by_df[:40], size=int(rng.integers(2, 9))))
        q += list(rng.choice(by_df[40:400], size=int(rng.integers(0, 3))))
        if rng.random() < 0.3:
            q.append(q[-1])  # a repeated word counts twice
        q_ids = ids(vocab, q)
        for k in (1, 10, 60):
            want = bm25.search_all(q_ids, k)
            want_tb = bm25.search_all(q_ids, k, tiebreak=tiebreak)
            want_al = bm25.search_all(q_ids, k, allowed=allowed)
            for window_at, window in ((0, WINDOW), (300, WINDOW), (1500, WINDOW),
                                      (10**9, WINDOW), (0, 64), (300, 256)):
                bm25.window_at, bm25.window = window_at, window
                how = (q, k, window_at, window)
                assert bm25.search(q_ids, k) == want, how
                assert bm25.search(q_ids, k, tiebreak=tiebreak) == want_tb, how
                assert bm25.search(q_ids, k, allowed=allowed) == want_al, how
            windowed += sum(df[t] for t in set(q_ids)) > 1500
            checked += len(want)
            scores = [h.score for h in want]
            tied += len(scores) - len(set(scores))
    assert checked > 80 * 50 and tied > 500 and windowed > 100  # ties and window passes met


def test_window_pass_finds_chunks_at_every_place_in_a_window():
    """Chunks at a window's first and last place, past 64 (the bit words), and in a last window
    cut short are found and scored as scoring every posting scores them."""
    n = 2 * WINDOW + 100
    docs = [["filler"] for _ in range(n)]
    places = [0, 1, 63, 64, 65, 127, WINDOW - 1, WINDOW, WINDOW + 64, 2 * WINDOW - 1,
              2 * WINDOW, n - 1]
    for j, d in enumerate(places):
        docs[d] = ["rare", "mid"] + ["pad"] * j  # lengths differ: no ties
    for d in range(0, n, 7):
        docs[d] = docs[d] + ["mid"]
    bm25, vocab = engine(docs, variant="plus", k1=0.9, b=0.75)
    q = ids(vocab, ["rare", "mid", "filler"])
    for window_at in (0, 10**9):
        bm25.window_at = window_at
        got = bm25.search(q, len(places))
        assert got == bm25.search_all(q, len(places))
        assert sorted(h.doc for h in got) == places

def test_length_table_gives_every_chunk_its_own_k1norm_and_long_chunks_are_scored_alike():
    rng = np.random.default_rng(4)
    words = [f"w{i}" for i in range(60)]
    docs = [list(rng.choice(words, size=int(rng.integers(1, 40)))) for _ in range(400)]
    docs += [list(rng.choice(words, size=n)) for n in (254, 255, 256, 900)]  # past a byte
    bm25 = BM25(build_postings(docs, vocab := {}), BM25Params(variant="plus", k1=0.9))
    code, table = bm25._length_codes()
    short = code < 255
    assert short.sum() == 401 and (table[code[short]] == bm25._k1norm[short]).all()
    assert bm25.postings.tfs.max() >= 4  # past the weight table too
    for window_at in (10**9, 0):  # the merged list, and the window pass
        bm25.window_at = window_at
        for q in (["w1", "w2"], ["w3", "w3", "w7", "w50"], ["w0"]):
            q_ids = ids(vocab, q)
            got = bm25.search(q_ids, 404)  # every chunk, the long ones too
            assert got == bm25.search_all(q_ids, 404) and {h.doc for h in got} >= {401, 402, 403}


class CountingChunks(list):
    reads = 0

    def __getitem__(self, i):
        CountingChunks.reads += 1
        return super().__getitem__(i)


def test_hits_read_their_chunk_when_asked_and_behave_as_tuples():
    texts = ["the harbour of Bazumo", "a treaty signed at the harbour", "nothing here"]
    chunks = [Chunk(id=f"c{i}", doc="d", title="D", section="", paragraph=i + 1,
                    paragraph_end=i + 1, part=0, seq=i, start=0, end=len(t), text=t)
              for i, t in enumerate(texts)]
    index = Index.from_chunks(chunks, Analyzer())
    index.chunks = CountingChunks(index.chunks)
    CountingChunks.reads = 0
    hits = index.search("harbour treaty", k=2)
    assert CountingChunks.reads == 0 and [h.pos for h in hits] == [1, 0]
    chunk, score, pos = hits[0]
    assert chunk.id == "c1" and hits[0].chunk is chunk and CountingChunks.reads == 1
    assert hits[0] == (chunk, score, 1) and hits[0] == SearchHit(chunk, score, 1)
    assert hits[0]._replace(score=0.5) == (chunk, 0.5, 1)


@pytest.mark.parametrize("window_at", [None, 0])
def test_searches_from_several_threads_at_once_equal_the_same_searches_one_at_a_time(real_text,
                                                                                     window_at):
    """Each thread merges into its own scratch (and sums a window in its own): askers sharing
    one index never see each other's sums."""
    from concurrent.futures import ThreadPoolExecutor

    docs, _ = real_text
    bm25, vocab = engine(docs, variant="plus", k1=0.9, b=0.75)
    if window_at is not None:
        bm25.window_at = window_at
    df = np.diff(bm25.postings.indptr)
    by_df = sorted(vocab, key=lambda t: -df[vocab[t]])
    rng = np.random.default_rng(29)
    queries = [ids(vocab, list(rng.choice(by_df[:60], size=int(rng.integers(1, 6))))
                   + list(rng.choice(by_df[60:], size=int(rng.integers(0, 3)))))
               for _ in range(120)]
    alone = [bm25.search(q, 10) for q in queries]
    assert sum(len(h) for h in alone) > 120 * 5
    with ThreadPoolExecutor(4) as pool:
        together = list(pool.map(lambda q: bm25.search(q, 10), queries * 4))
    assert together == alone * 4
