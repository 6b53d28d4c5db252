"""Second stage: rescore the best BM25 passages by how the question's terms sit in them.

BM25 sees a bag of words. Among its top passages the one that answers usually holds the
question's terms close together, in the question's order, inside one sentence, next to what
the question asks for (a year for "when", a number for "how many"). Each candidate gets those
signals; the combined score reorders the candidates and the signals feed the evidence rule
(index/answering/evidence.py). Weights were fitted with tests/bench/rescore.py on half of the SQuAD dev
questions and Cranfield queries and reported on the other half.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, fields
from itertools import compress
from operator import itemgetter, mul
from typing import NamedTuple, Sequence

import numpy as np

from ..search import kernels
from .asked import Asked, asked_words
from ..search.tokens import ChunkTokens, StoredTokens, TokenRuns, analyzed_tokens

# How deep the second stage looks into BM25's ranking.
DEPTH = 20
# score = bm25 + Σ weight × signal (tests/bench/rescore.py --fit)
WEIGHTS = {"pairs": 0.1, "bigrams": 0.5, "sent_bm25": 0.6, "sent_cov": 2.0, "wants": 4.0}
PAIR_WINDOW = 5  # term pairs closer than this many tokens count, by 1/distance²
SENT_K1, SENT_B, SENT_AVGDL = 0.9, 0.75, 15.0  # BM25 of a sentence as if it were a passage
_weighted = itemgetter(*WEIGHTS)  # Signals.score: one score per candidate per question
_WEIGHT_VALUES = tuple(WEIGHTS.values())

def analyze_tokens(text: str, analyzer, term_id) -> ChunkTokens:
    """ChunkTokens of a text analyzed now (for indexes that do not store them), as the index
    build stores them; term_id gives -1 for a term it does not know."""
    def known(term: str) -> int | None:
        i = term_id(term)
        return None if i < 0 else i

    return StoredTokens(analyzed_tokens(analyzer, [text], known)).tokens(0)


@dataclass(frozen=True)
class Signals:
    """What the second stage measured of one candidate for one question."""

    bm25: float
    coverage: float  # share of the question's term weight the passage (and its heading) holds
    sent_cov: float  # the same for its best sentence
    sent_bm25: float
    pairs: float
    bigrams: float
    wants: float  # asked for a date/number/name: 1 when the best sentence gives one, .5 the passage
    sentence: tuple[int, int]  # character span of the best sentence in the chunk text

    def score(self) -> float:
        # the weighted fields read in one call, added up in WEIGHTS' order as before
        return self.bm25 + sum(map(mul, _WEIGHT_VALUES, _weighted(self.__dict__)))


_SIGNAL_FIELDS = tuple(f.name for f in fields(Signals))


def _signals(*values) -> Signals:
    """Signals(*values) with its fields set at once (a frozen dataclass's __init__ sets each
    through object.__setattr__: as much as the rest of a candidate's figures in Python)."""
    sig = object.__new__(Signals)
    sig.__dict__.update(zip(_SIGNAL_FIELDS, values))
    return sig


class QueryTerms(NamedTuple):
    """A question's distinct terms as the second stage needs them."""

    ids: np.ndarray  # int64 vocabulary ids of the distinct terms (-1: unknown)
    weights: np.ndarray  # float64 weight of each
    total: float  # their summed weight (unknown terms included)
    bigrams: frozenset  # (id, id) of consecutive question terms
    wants: Asked | None
    names: np.ndarray  # bool per distinct term: it came from a capitalised word (a name)
    slots: np.ndarray  # int64 per id 0..max id: the term's position in ids, -1 if none
    bigram_ids: np.ndarray  # int64 (2, n): the bigrams as two rows, for the compiled loops
    # bool per distinct term: it came from a word that says what the question asks of its
    # names (said_terms), not a name, a question word, nor the kind of value asked ('year')
    said: np.ndarray | None = None

    def slot_of(self, terms: np.ndarray) -> np.ndarray:
        """Each term id's position in ids (-1: not a question term), by table lookup: the
        candidates' token arrays are short and many, where np.isin's sort costs most."""
        n = len(self.slots)
        if n == 0:  # no term of the question is known: none of a candidate's is one of them
            return np.full(len(terms), -1, dtype=np.int64)
        inside = (terms >= 0) & (terms < n)
        return np.where(inside, self.slots[np.where(inside, terms, 0)], -1)


def query_terms(terms: Sequence[str], term_id, weight, wants: Asked | None,
                names: frozenset = frozenset(), said: frozenset = frozenset()) -> QueryTerms:
    distinct = list(dict.fromkeys(terms))
    id_list = [term_id(t) for t in distinct]
    ids = np.asarray(id_list, dtype=np.int64)
    weights = np.asarray([weight(t) for t in distinct], dtype=np.float64)
    seq = [term_id(t) for t in terms]
    bigrams = frozenset((a, b) for a, b in zip(seq, seq[1:]) if a >= 0 and b >= 0 and a != b)
    slot_list = [-1] * (max(id_list, default=-1) + 1)  # a list: no numpy scalar per term
    for i, v in enumerate(id_list):
        if v >= 0 and slot_list[v] < 0:
            slot_list[v] = i
    slots = np.asarray(slot_list, dtype=np.int64)
    pairs = np.asarray(sorted(bigrams), dtype=np.int64).reshape(-1, 2).T.copy()
    return QueryTerms(ids, weights, float(weights.sum()), bigrams, wants,
                      np.asarray([t in names for t in distinct], dtype=bool), slots, pairs,
                      np.asarray([t in said for t in distinct], dtype=bool))


def name_terms(question: str, tokens: Sequence, code: Sequence[tuple[int, int]]) -> frozenset:
    """The terms of a question's capitalised words after its first (tokens: the question's
    analyzed tokens) and of the programs, functions and files it names (code: their spans,
    asked.code_spans): the names it gives ("Broncos", "Super Bowl", "Kim Jong Un", "bzip2"),
    which a paraphrase keeps and an off-topic question brings from elsewhere."""
    return frozenset(t.term for t in tokens
                     if t.start > 0 and question[t.start : t.start + 1].isupper()
                     or any(a <= t.start < b for a, b in code))


def said_terms(question: str, tokens: Sequence) -> frozenset:
    """The terms of a question's words that say what it asks of what it names (asked_words:
    in lower case, no question or function word, nor the kind of value asked): 'pledge' and
    'funds' of "Which causes did Von Miller pledge funds to?", 'bring' of "What year was
    Mongolia brought into the CMEA?" (tokens: the question's analyzed tokens)."""
    words = set(asked_words(question))
    return frozenset(t.term for t in tokens if question[t.start : t.end] in words)


def signals(q: QueryTerms, toks: ChunkTokens, text: str, bm25: float,
            extra_ids: frozenset = frozenset()) -> Signals:
    """Measure one candidate (its tokens and text) against a question; extra_ids are the
    terms it holds outside its text (section heading, endnotes), which count for coverage.
    The loops over its tokens are compiled (index/answering/rescore_kernel.py); what is asked for is
    looked up in the text here, only for the sentences that could still win."""
    return signals_and_held(q, toks, text, bm25, extra_ids)[0]


def signals_and_held(q: QueryTerms, toks: ChunkTokens, text: str, bm25: float,
                     extra_ids: frozenset = frozenset()) -> tuple[Signals, set[int]]:
    """(signals(), held_ids()) of one candidate, its tokens read once."""
    # no known term: q.slots (one entry per id up to the largest known one) is empty
    if not len(toks.terms) or not len(q.slots) or q.total <= 0:
        cov = _share(q, extra_ids)
        return (Signals(bm25, cov, 0.0, 0.0, 0.0, 0.0, 0.0, (0, len(text))),
                held_ids(q, toks, extra_ids))
    if not kernels.compiled():  # numba still loading: the same figures in numpy
        return (signals_reference(q, toks, text, bm25, extra_ids),
                held_ids(q, toks, extra_ids))
    return _measured(q, [toks], [text], [bm25], [extra_ids])[0]


def signals_and_held_many(q: QueryTerms, toks: Sequence[ChunkTokens], texts: Sequence[str],
                          bm25: Sequence[float], extra_ids: Sequence[frozenset]
                          ) -> list[tuple[Signals, set[int]]]:
    """signals_and_held() of a question's candidates, their token loops in one compiled call
    (a call from Python costs microseconds of boxing each): the same figures."""
    if not toks or not len(q.slots) or q.total <= 0 or not kernels.compiled():
        return [signals_and_held(q, *a) for a in zip(toks, texts, bm25, extra_ids)]
    return _measured(q, toks, texts, bm25, extra_ids)


def _measured(q: QueryTerms, toks: Sequence[ChunkTokens], texts: Sequence[str],
              bm25: Sequence[float], extra_ids: Sequence[frozenset]
              ) -> list[tuple[Signals, set[int]]]:
    """signals_and_held() of candidates through the compiled loops (q has known terms)."""
    kernel = _kernel or _load_kernel()
    n = len(toks)
    n_q = len(q.weights)
    ids = q.ids.tolist()
    extra = np.zeros((n, n_q), dtype=np.bool_)
    for c, e in enumerate(extra_ids):
        if e:
            extra[c] = [i in e for i in ids]
    runs = getattr(toks, "runs", ())
    if runs:  # the stored tokens as gathered (StoredTokens.mapped): already one run each
        t_ptr, terms, starts, ends, s_ptr, sents = runs
        bounds = t_ptr.tolist()  # (np.diff is a few numpy calls from Python)
        lens = [b - a for a, b in zip(bounds, bounds[1:])]
    else:
        lens = [len(t.terms) for t in toks]
        t_ptr = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(lens, out=t_ptr[1:])
        s_ptr = np.zeros(n + 1, dtype=np.int64)
        np.cumsum([len(t.sentences) for t in toks], out=s_ptr[1:])
        terms, starts, ends, sents = (
            np.concatenate([getattr(t, f) for t in toks]).astype(np.int32, copy=False)
            for f in ("terms", "starts", "ends", "sentences"))
        if isinstance(toks, TokenRuns):  # joined once: kept for the rank's other loops
            toks.runs = (t_ptr, terms, starts, ends, s_ptr, sents)
    r_ptr, rows, held, covered, pairs, bigrams = kernel.measure_many(
        t_ptr, terms, starts, ends, s_ptr, sents, q.slots, q.weights, q.ids,
        extra, q.bigram_ids[0], q.bigram_ids[1], PAIR_WINDOW, SENT_K1, SENT_B, SENT_AVGDL,
        q.wants is not None)
    r, held = r_ptr.tolist(), held.tolist()
    covered, pairs, bigrams = covered.tolist(), pairs.tolist(), bigrams.tolist()
    picked: list = []  # nothing asked for: each candidate's best row, chosen compiled
    if q.wants is None and len(rows):
        picked = kernel.plain_best_rows(r_ptr, rows, CLOSE_GAIN).tolist()
    every = None  # all rows as lists, made only when some candidate needs them
    out = []
    for c in range(n):
        if not lens[c]:  # no tokens: the figures of a passage without any
            out.append(signals_and_held(q, toks[c], texts[c], bm25[c], extra_ids[c]))
            continue
        text = texts[c]
        if picked and picked[c][0] == picked[c][0]:  # not nan: the kernel chose it
            best, wants = picked[c], 0.0
        else:
            if every is None:
                every = rows.tolist()
            best, wants = _best_row(q, text, every[r[c]:r[c + 1]])
        if best is None:  # no sentence holds a question term: the first sentence
            t = toks[c]
            lo = int(t.sentences[0])
            hi = int(t.sentences[1]) if len(t.sentences) > 1 else len(t.terms)
            span = (int(t.starts[lo]), int(t.ends[hi - 1])) if hi > lo else (0, len(text))
            sent_cov = sent_bm25 = 0.0
        else:
            span = (int(best[7]), int(best[8]))
            sent_cov, sent_bm25 = best[1] / q.total, best[6]
        sig = _signals(bm25[c], covered[c] / q.total, sent_cov, sent_bm25, pairs[c], bigrams[c],
                       wants, span)
        out.append((sig, set(compress(ids, held[c]))))  # the ids it holds
    return out


# how close to the first row's gain another's may be and still be judged in compiled code
# (rescore_kernel.plain_best): farther apart, 9-digit rounding cannot make them equal
CLOSE_GAIN = 2e-9


def _best_row(q: QueryTerms, text: str, rows: list) -> tuple[list | None, float]:
    """_best_sentence over the compiled rows (already in the order it tries them, each with
    its sentence's span): (the best one's row, or None without any; wants)."""
    asked = q.wants
    if asked is None and rows:
        # nothing asked for: the rows come by gain, so those of the first one's rounded gain
        # are tried, the tightest then the earliest of them best, each gain rounded only
        # when it differs from the first's
        best = rows[0]
        g0, top = best[1], None
        for row in rows[1:]:
            g = row[1]
            if g != g0:
                if top is None:
                    top = round(g0, 9)
                if round(g, 9) < top:
                    break
            if row[5] > best[5] or row[5] == best[5] and row[0] < best[0]:
                best = row
        return best, 0.0
    best, best_key, wants = None, None, 0.0
    for row in rows:
        gain, top = row[1], row[2]
        reach = gain + top if asked is not None else gain
        if best_key is not None and round(reach, 9) < best_key[0]:
            break
        has = asked is not None and asked.found(text, int(row[7]), int(row[8]))
        key = (round(gain + (top if has else 0.0), 9), int(row[5]), -int(row[0]))
        if best_key is None or key > best_key:
            best, best_key, wants = row, key, float(has)
    if asked is not None and not wants and asked.found(text):
        wants = 0.5  # what is asked for is in the passage, if not in its best sentence
    return best, wants


_kernel = None  # rescore_kernel once imported: numba is imported on first use, not at import


def _load_kernel():
    global _kernel
    from . import rescore_kernel

    _kernel = rescore_kernel
    return _kernel


def signals_reference(q: QueryTerms, toks: ChunkTokens, text: str, bm25: float,
            extra_ids: frozenset = frozenset()) -> Signals:
    """signals() in numpy and Python, step by step: the reference the compiled loops are
    tested against (tests/test_rescore_kernel.py)."""
    known = q.ids >= 0
    if not len(toks.terms) or not known.any() or q.total <= 0:
        cov = _share(q, extra_ids)
        return Signals(bm25, cov, 0.0, 0.0, 0.0, 0.0, 0.0, (0, len(text)))
    slot_all = q.slot_of(toks.terms)
    where = np.flatnonzero(slot_all >= 0)
    mterms = toks.terms[where].astype(np.int64)
    slot = slot_all[where]  # position of each matched term in q.ids, for its weight
    mw = q.weights[slot]
    weights = q.weights.tolist()
    held = set(mterms.tolist()) | extra_ids
    coverage = float(sum(w for i, w in zip(q.ids.tolist(), weights) if i in held)) / q.total

    # the best sentence (_best_sentence), from per-sentence sums made here
    sent_of = np.searchsorted(toks.sentences, where, side="right") - 1
    n_sent = len(toks.sentences)
    sentences = []
    by_sentence: dict[int, list[int]] = {}  # sentence -> indexes into where, in order
    for k, s in enumerate(sent_of.tolist()):
        by_sentence.setdefault(s, []).append(k)
    slots, positions = slot.tolist(), where.tolist()
    for s, inside in by_sentence.items():
        uniq = {slots[k] for k in inside}
        sentences.append((s, sum(weights[u] for u in sorted(uniq)), max(weights[u] for u in uniq),
                          inside, -(positions[inside[-1]] - positions[inside[0]])))
    best, best_terms, wants = _best_sentence(q, toks, text, sentences, [])
    lo = int(toks.sentences[best])
    hi = int(toks.sentences[best + 1]) if best + 1 < n_sent else len(toks.terms)
    span = (int(toks.starts[lo]), int(toks.ends[hi - 1])) if hi > lo else (0, len(text))
    best_terms = mterms[best_terms] if len(best_terms) else np.zeros(0, dtype=np.int64)
    sent_held = set(best_terms.tolist())
    sent_cov = float(sum(w for i, w in zip(q.ids.tolist(), q.weights.tolist())
                         if i in sent_held)) / q.total
    sent_bm25 = 0.0
    if len(best_terms):
        ids, tfs = np.unique(best_terms, return_counts=True)
        w = q.weights[q.slot_of(ids)]
        norm = SENT_K1 * (1 - SENT_B + SENT_B * (hi - lo) / SENT_AVGDL)
        sent_bm25 = float((w * tfs * (SENT_K1 + 1) / (tfs + norm)).sum())

    pairs = bigrams = 0.0
    for gap in range(1, PAIR_WINDOW):
        if len(where) <= gap:
            break
        d = where[gap:] - where[:-gap]
        a, b = mterms[:-gap], mterms[gap:]
        near = (d < PAIR_WINDOW) & (a != b)
        if near.any():
            pairs += float((np.minimum(mw[:-gap], mw[gap:])[near] / d[near] ** 2).sum())
        if gap == 1 and q.bigrams:
            adj = np.flatnonzero(d == 1)
            bigrams += sum(1.0 for x, y in zip(a[adj].tolist(), b[adj].tolist())
                           if (x, y) in q.bigrams)
    return Signals(bm25, coverage, sent_cov, sent_bm25, pairs, bigrams, wants, span)


def _best_sentence(q: QueryTerms, toks: ChunkTokens, text: str, sentences: list,
                   none: object) -> tuple[int, object, float]:
    """(the best sentence, what its caller keeps of it, wants) among sentences given as
    (index, gain, top, kept, spread): the most distinct weight; a sentence holding what is
    asked for gains as much as its best term; ties to the tighter, then the earlier one.
    wants: 1 when the best sentence gives what is asked, .5 when only the passage does."""
    n_sent = len(toks.sentences)
    best, best_key, kept, wants = 0, None, none, 0.0
    # most promising first: whether a sentence gives what is asked is looked up only while
    # its bonus could still make it the best
    sentences = sorted(sentences, key=lambda c: (-(c[1] + c[2] if q.wants is not None
                                                   else c[1]), c[0]))
    for s, gain, top, inside, spread in sentences:
        reach = gain + top if q.wants is not None else gain
        if best_key is not None and round(reach, 9) < best_key[0]:
            break
        has = False
        if q.wants is not None:
            lo = int(toks.sentences[s])
            hi = int(toks.sentences[s + 1]) if s + 1 < n_sent else len(toks.terms)
            has = q.wants.found(text, int(toks.starts[lo]), int(toks.ends[hi - 1]))
        key = (round(gain + (top if has else 0.0), 9), spread, -s)
        if best_key is None or key > best_key:
            best, best_key, kept, wants = s, key, inside, float(has)
    if q.wants is not None and not wants and q.wants.found(text):
        wants = 0.5  # what is asked for is in the passage, if not in its best sentence
    return best, kept, wants


def _share(q: QueryTerms, held: frozenset) -> float:
    if q.total <= 0:
        return 0.0
    return float(sum(w for i, w in zip(q.ids.tolist(), q.weights.tolist()) if i in held)) / q.total


def term_weight(n_chunks: int, df: int) -> float:
    """How much a term says about a question: rare terms most, terms the corpus lacks the most."""
    return math.log((n_chunks + 1) / (df + 0.5))


def held_ids(q: QueryTerms, toks: ChunkTokens, extra_ids: frozenset = frozenset()) -> set[int]:
    """The question's term ids a candidate holds."""
    known = q.ids[q.ids >= 0]
    if kernels.compiled():
        from .rescore_kernel import held_slots

        held = q.ids[held_slots(toks.terms, q.slots, len(q.ids))]
    else:  # numba still loading
        slot = q.slot_of(toks.terms)
        held = q.ids[slot[slot >= 0]]
    return set(held.tolist()) | (set(known.tolist()) & extra_ids)


def scores_at(bm25, term_ids: Sequence[int], docs: np.ndarray) -> np.ndarray:
    """BM25 scores of the given chunks (positions) for a bag of term ids, as BM25.search
    gives them: for candidates that another field brought in."""
    out = np.zeros(len(docs), dtype=np.float64)
    counts: dict[int, int] = {}
    for t in term_ids:
        counts[t] = counts.get(t, 0) + 1
    for t, c in counts.items():
        d, w = bm25.term_weights(t)
        out += c * bm25.baseline(t)
        if not len(d):
            continue
        j = np.minimum(np.searchsorted(d, docs), len(d) - 1)
        hit = d[j] == docs
        out[hit] += c * w[j[hit]]
    return out
