"""BM25 scores equal rank-bm25's (the oracle); search returns its top-k with stable ties."""
from __future__ import annotations

import numpy as np
import pytest
from rank_bm25 import BM25L, BM25Okapi, BM25Plus

from index.search.bm25 import BM25, BM25Params, build_postings

N_DOCS = 300
VOCAB = [f"w{i}" for i in range(400)]
QUERIES = [
    ["w0"],  # in most documents: Okapi's negative-IDF floor
    ["w3", "w57"],
    ["w120", "w5", "w250", "w0"],
    ["w7", "w7"],  # a repeated term counts twice
    ["w399", "never_seen"],  # rare term and a term not in the corpus
    ["w1", "w2", "w3", "w4", "w10", "w30", "w90", "w200"],
]
PARAMS = [(1.2, 0.75), (1.5, 0.75), (0.9, 0.4), (2.0, 1.0), (1.2, 0.0)]
REFERENCE = {"okapi": BM25Okapi, "plus": BM25Plus, "l": BM25L}


@pytest.fixture(scope="module")
def corpus():
    """A few hundred documents drawn from a Zipf-like vocabulary, some of them empty."""
    rng = np.random.default_rng(1948)
    weights = 1.0 / np.arange(1, len(VOCAB) + 1) ** 1.1
    weights /= weights.sum()
    docs = []
    for i in range(N_DOCS):
        n = 0 if i % 97 == 0 else int(rng.integers(1, 80))
        docs.append([VOCAB[j] for j in rng.choice(len(VOCAB), size=n, p=weights)])
    return docs


def engine(docs, **params):
    vocab: dict[str, int] = {}
    bm25 = BM25(build_postings(docs, vocab), BM25Params(**params))
    return bm25, vocab


def reference(docs, variant, k1, b, delta):
    if variant == "okapi":
        return BM25Okapi(docs, k1=k1, b=b, epsilon=0.25)
    return REFERENCE[variant](docs, k1=k1, b=b, delta=delta)


def ids(vocab, query):
    return [vocab[t] for t in query if t in vocab]


@pytest.mark.parametrize("k1,b", PARAMS)
@pytest.mark.parametrize("variant,delta", [("okapi", 1.0), ("plus", 1.0), ("plus", 0.5),
                                           ("l", 0.5), ("l", 1.0)])
def test_scores_equal_rank_bm25(corpus, variant, delta, k1, b):
    bm25, vocab = engine(corpus, variant=variant, k1=k1, b=b, delta=delta)
    ref = reference(corpus, variant, k1, b, delta)
    for query in QUERIES:
        with np.errstate(invalid="ignore"):
            expected = ref.get_scores(query)
        ours = bm25.scores_for(ids(vocab, query))
        # With b = 1 rank-bm25 divides 0 by 0 for an empty document (NaN); ours stays finite.
        defined = np.isfinite(expected)
        assert defined.sum() >= N_DOCS - 4 and np.isfinite(ours).all()
        np.testing.assert_allclose(
            ours[defined], expected[defined], rtol=1e-9, atol=1e-12,
            err_msg=f"{variant} k1={k1} b={b} query={query}",
        )


@pytest.mark.parametrize("variant", ["okapi", "plus", "l"])
def test_search_returns_rank_bm25_top_k_among_matching_documents(corpus, variant):
    bm25, vocab = engine(corpus, variant=variant)
    ref = reference(corpus, variant, 1.2, 0.75, 1.0)
    tiebreak = np.random.default_rng(7).permutation(N_DOCS)
    for query in QUERIES:
        scores = ref.get_scores(query)
        matching = [d for d, doc in enumerate(corpus) if set(doc) & set(query)]
        expected = sorted(matching, key=lambda d: (-scores[d], tiebreak[d]))[:10]
        hits = bm25.search(ids(vocab, query), 10, tiebreak=tiebreak)
        assert [h.doc for h in hits] == expected, query
        np.testing.assert_allclose([h.score for h in hits], scores[expected], rtol=1e-9)


def test_search_returns_only_documents_with_a_query_term():
    docs = [["korea", "treaty"], ["mongolia"], ["korea"], [], ["trade"]]
    bm25, vocab = engine(docs)
    assert [h.doc for h in bm25.search(ids(vocab, ["korea", "china"]), k=10)] == [2, 0]
    assert bm25.search(ids(vocab, ["china"]), k=10) == []
    assert bm25.search(ids(vocab, ["korea"]), k=0) == []


def test_bm25plus_search_includes_the_baseline_but_skips_non_matching_documents():
    docs = [["korea", "treaty"], ["mongolia"], ["korea"], ["trade", "trade"]]
    bm25, vocab = engine(docs, variant="plus")
    ref = BM25Plus(docs, k1=1.2, b=0.75, delta=1.0)
    scores = ref.get_scores(["korea"])
    assert scores[1] > 0  # rank-bm25 gives every document delta * idf ...
    hits = bm25.search(ids(vocab, ["korea"]), k=10)
    assert [h.doc for h in hits] == [2, 0]  # ... but search returns matching ones only
    np.testing.assert_allclose([h.score for h in hits], scores[[2, 0]], rtol=1e-12)


def test_repeated_query_term_counts_twice():
    docs = [["korea", "treaty"], ["mongolia", "korea", "korea"], ["trade"]]
    bm25, vocab = engine(docs)
    once = bm25.scores_for(ids(vocab, ["treaty"]))
    twice = bm25.scores_for(ids(vocab, ["treaty", "treaty"]))
    np.testing.assert_allclose(twice, 2 * once)
    np.testing.assert_allclose(twice, BM25Okapi(docs, k1=1.2).get_scores(["treaty", "treaty"]))
    [hit] = bm25.search(ids(vocab, ["treaty", "treaty"]), k=5)
    assert hit.doc == 0 and hit.score == pytest.approx(twice[0], rel=1e-12)


def test_ties_are_broken_by_the_tiebreak_array():
    docs = [["korea", "pact"], ["korea", "pact"], ["korea", "pact"], ["mongolia"]]
    bm25, vocab = engine(docs)
    query = ids(vocab, ["korea"])
    assert [h.doc for h in bm25.search(query, 3, tiebreak=np.array([2, 0, 1, 3]))] == [1, 2, 0]
    assert [h.doc for h in bm25.search(query, 2, tiebreak=np.array([2, 0, 1, 3]))] == [1, 2]
    assert [h.doc for h in bm25.search(query, 3)] == [0, 1, 2]  # no tiebreak: position


def test_allowed_mask_restricts_the_results():
    docs = [["korea"], ["korea", "korea"], ["korea", "mongolia"]]
    bm25, vocab = engine(docs)
    hits = bm25.search(ids(vocab, ["korea"]), 5, allowed=np.array([True, False, True]))
    assert sorted(h.doc for h in hits) == [0, 2]


def test_okapi_floors_idf_of_a_term_in_most_documents_at_epsilon_times_mean_idf():
    docs = [["korea", "treaty"], ["korea", "trade"], ["korea"], ["korea", "mongolia"], ["pact"]]
    bm25, vocab = engine(docs)
    n, df = 5, {"korea": 4, "treaty": 1, "trade": 1, "mongolia": 1, "pact": 1}
    raw = {t: np.log(n - f + 0.5) - np.log(f + 0.5) for t, f in df.items()}
    floor = 0.25 * np.mean(list(raw.values()))
    assert raw["korea"] < 0
    assert bm25.idf[vocab["korea"]] == pytest.approx(floor, rel=1e-12)
    assert bm25.idf[vocab["korea"]] == pytest.approx(BM25Okapi(docs).idf["korea"], rel=1e-12)
    assert bm25.idf[vocab["treaty"]] == pytest.approx(raw["treaty"], rel=1e-12)


def test_okapi_term_in_exactly_half_the_documents_scores_zero():
    docs = [["korea", "treaty"], ["korea"], ["mongolia"], ["trade"]]
    bm25, vocab = engine(docs)
    assert bm25.idf[vocab["korea"]] == 0.0
    assert list(bm25.scores_for(ids(vocab, ["korea"]))) == [0.0, 0.0, 0.0, 0.0]


def test_unknown_variant_is_rejected():
    with pytest.raises(ValueError, match="unknown BM25 variant 'bm42'"):
        engine([["a"]], variant="bm42")


# -- pruning on real text, where common words dominate the postings ------------------------------


@pytest.fixture(scope="module")
def real_text():
    """The bundled documents, split into sentence-sized passages repeated with shifts so that
    common words ("relations", "korea", "year") run to thousands of postings."""
    from pathlib import Path

    from index.search.analyze import Analyzer
    from index.reading.corpus import load_documents
    from index.sentences import sentence_spans

    data = Path(__file__).resolve().parents[1] / "data"
    analyzer = Analyzer()
    sentences = [c.text[s:e] for d in load_documents(data) for c in d.chunks
                 for s, e in sentence_spans(c.text)]
    rng = np.random.default_rng(20)
    docs = []
    for _ in range(6000):
        at = int(rng.integers(0, len(sentences) - 6))
        docs.append(analyzer.terms(" ".join(sentences[at : at + int(rng.integers(1, 6))])))
    return docs, analyzer


@pytest.mark.parametrize("variant", ["plus", "okapi", "l"])
def test_pruned_search_equals_rank_bm25_where_common_terms_dominate(real_text, variant):
    docs, analyzer = real_text
    params = {"variant": variant, "k1": 0.9 if variant == "plus" else 1.2, "b": 0.75}
    bm25, vocab = engine(docs, **params)
    ref = reference(docs, variant, params["k1"], params["b"], 1.0)
    df = np.diff(bm25.postings.indptr)
    common = [t for t in vocab if df[vocab[t]] > len(docs) // 10]
    assert len(common) >= 5  # the corpus has terms in over a tenth of the passages
    rng = np.random.default_rng(5)
    terms = list(vocab)
    questions = [analyzer.terms(q) for q in (
        "When did North Korea and Mongolia sign the treaty of friendship?",
        "What relations did the two countries have in the year of the visit?",
        "Who was the ambassador of the Soviet Union in Pyongyang?")]
    for _ in range(60):
        questions.append(list(rng.choice(common, size=int(rng.integers(2, 6))))
                         + list(rng.choice(terms, size=int(rng.integers(0, 3)))))
    allowed = rng.random(len(docs)) < 0.3
    for q in questions:
        q_ids = ids(vocab, q)
        for k in (1, 10, 20):
            got = bm25.search(q_ids, k)
            assert got == bm25.search_all(q_ids, k), q  # same chunks, same floats
            scores = ref.get_scores(q)
            matching = [d for d in range(len(docs)) if set(q) & set(docs[d])]
            best = sorted(matching, key=lambda d: (-scores[d], d))[:k]
            assert [h.doc for h in got][: len(best)] == best or np.allclose(
                [h.score for h in got], [scores[d] for d in best], rtol=1e-9), q
            np.testing.assert_allclose([h.score for h in got], scores[[h.doc for h in got]],
                                       rtol=1e-9)
            assert bm25.search(q_ids, k, allowed=allowed) == bm25.search_all(q_ids, k, allowed=allowed)
