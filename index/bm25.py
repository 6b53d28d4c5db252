"""BM25 over an inverted index, with rank-bm25's exact formulas.

rank-bm25 scores every document for every query term in a Python loop. Here each query term
touches only its postings, so a question costs what it matches, not the collection's size;
the scores equal rank-bm25's for the same variant and parameters (tests check it).
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Iterable, NamedTuple, Sequence

import numpy as np

VARIANTS = ("okapi", "plus", "l")


@dataclass(frozen=True)
class BM25Params:
    variant: str = "okapi"
    k1: float = 1.2
    b: float = 0.75
    epsilon: float = 0.25  # okapi: floor for negative IDF, as a fraction of the mean IDF
    delta: float = 1.0  # plus and l

    def to_dict(self) -> dict:
        return {"variant": self.variant, "k1": self.k1, "b": self.b, "epsilon": self.epsilon,
                "delta": self.delta}


class Hit(NamedTuple):
    doc: int  # position of the chunk in the index
    score: float


class Postings(NamedTuple):
    """Term-major sparse matrix: the chunks holding term t are docs[indptr[t]:indptr[t+1]]."""

    indptr: np.ndarray  # int64, n_terms + 1
    docs: np.ndarray  # int32
    tfs: np.ndarray  # int32
    doc_len: np.ndarray  # int32, tokens per chunk


def build_postings(token_lists: Iterable[Sequence[str]], vocab: dict[str, int]) -> Postings:
    """Count terms per chunk; vocab is extended with new terms in order of appearance."""
    term_ids: list[int] = []
    doc_ids: list[int] = []
    counts: list[int] = []
    doc_len: list[int] = []
    for d, tokens in enumerate(token_lists):
        doc_len.append(len(tokens))
        for term, c in Counter(tokens).items():
            t = vocab.get(term)
            if t is None:
                t = vocab[term] = len(vocab)
            term_ids.append(t)
            doc_ids.append(d)
            counts.append(c)
    return postings_from_triples(
        np.asarray(term_ids, dtype=np.int64), np.asarray(doc_ids, dtype=np.int32),
        np.asarray(counts, dtype=np.int32), np.asarray(doc_len, dtype=np.int32), len(vocab),
    )


def postings_from_triples(term_ids: np.ndarray, doc_ids: np.ndarray, counts: np.ndarray,
                          doc_len: np.ndarray, n_terms: int) -> Postings:
    order = np.lexsort((doc_ids, term_ids))
    indptr = np.zeros(n_terms + 1, dtype=np.int64)
    np.cumsum(np.bincount(term_ids, minlength=n_terms), out=indptr[1:])
    return Postings(indptr, doc_ids[order].astype(np.int32), counts[order].astype(np.int32), doc_len)


class BM25:
    """Scores chunks for a bag of query terms (term ids, repeats count as in rank-bm25)."""

    def __init__(self, postings: Postings, params: BM25Params = BM25Params()) -> None:
        if params.variant not in VARIANTS:
            raise ValueError(f"unknown BM25 variant {params.variant!r}; choose one of {VARIANTS}")
        self.p = params
        self.postings = postings
        n = len(postings.doc_len)
        self.n_docs = n
        df = np.diff(postings.indptr).astype(np.float64)
        self.avgdl = float(postings.doc_len.sum()) / n if n else 0.0
        if params.variant == "okapi":
            idf = np.log(n - df + 0.5) - np.log(df + 0.5)
            # rank-bm25 averages over the terms it has seen (df > 0) and floors negatives only.
            seen = df > 0
            mean = idf[seen].mean() if seen.any() else 0.0
            idf = np.where(idf < 0, params.epsilon * mean, idf)
        elif params.variant == "plus":
            idf = np.log((n + 1) / np.maximum(df, 1))
        else:
            idf = np.log(n + 1) - np.log(df + 0.5)
        self.idf = idf
        dl = postings.doc_len.astype(np.float64)
        self.norm = (1 - params.b + params.b * dl / self.avgdl) if self.avgdl else np.ones(n)
        self._acc = np.zeros(n, dtype=np.float64)

    def term_weights(self, t: int) -> tuple[np.ndarray, np.ndarray]:
        """(chunks, contribution above baseline(t)) of one occurrence of term t in a query."""
        lo, hi = self.postings.indptr[t], self.postings.indptr[t + 1]
        docs = self.postings.docs[lo:hi]
        tf = self.postings.tfs[lo:hi].astype(np.float64)
        p = self.p
        norm = self.norm[docs]
        if p.variant == "okapi":
            w = self.idf[t] * (tf * (p.k1 + 1) / (tf + p.k1 * norm))
        elif p.variant == "plus":
            w = self.idf[t] * (tf * (p.k1 + 1) / (p.k1 * norm + tf))
        else:  # rank-bm25's BM25L, which multiplies by tf once more than Lv & Zhai's formula
            ctd = tf / norm
            w = self.idf[t] * tf * (p.k1 + 1) * (ctd + p.delta) / (p.k1 + ctd + p.delta)
        return docs, w

    def baseline(self, t: int) -> float:
        """What rank-bm25 adds to every chunk, matching or not (BM25Plus's delta)."""
        return float(self.idf[t] * self.p.delta) if self.p.variant == "plus" else 0.0

    def search(self, term_ids: Sequence[int], k: int, tiebreak: np.ndarray | None = None,
               allowed: np.ndarray | None = None) -> list[Hit]:
        """Top-k chunks containing at least one query term, best first; ties by tiebreak rank."""
        counts = Counter(t for t in term_ids if 0 <= t < len(self.idf))
        if not counts or k <= 0:
            return []
        acc = self._acc
        base = 0.0
        touched = []
        for t, c in counts.items():
            docs, w = self.term_weights(t)
            acc[docs] += c * w
            base += c * self.baseline(t)
            touched.append(docs)
        cand = np.unique(np.concatenate(touched))
        scores = acc[cand] + base
        acc[cand] = 0.0
        if allowed is not None:
            keep = allowed[cand]
            cand, scores = cand[keep], scores[keep]
        if len(cand) == 0:
            return []
        if len(cand) > k:
            kth = np.partition(scores, len(scores) - k)[len(scores) - k]
            keep = scores >= kth
            cand, scores = cand[keep], scores[keep]
        ties = tiebreak[cand] if tiebreak is not None else cand
        order = np.lexsort((ties, -scores))[:k]
        return [Hit(int(cand[i]), float(scores[i])) for i in order]

    def scores_for(self, term_ids: Sequence[int]) -> np.ndarray:
        """Dense scores for every chunk (what rank-bm25's get_scores returns)."""
        out = np.zeros(self.n_docs, dtype=np.float64)
        for t in term_ids:
            if 0 <= t < len(self.idf):
                docs, w = self.term_weights(t)
                out += self.baseline(t)
                out[docs] += w
        return out
