"""Whether a candidate (a passage or a fact) answers a question: one rule for both.

The decision is a logistic model over what the second stage measured of the candidate
(index/answering/rescore.py) and of the question against the whole collection. It was fitted by
tests/bench/fit_evidence.py on labelled questions: the fitting half of SQuAD asked of half its
articles (questions about indexed articles are answerable, the others not), SQuAD questions
asked of the bundled data (never answerable), and split a of tests/dev/questions.yaml; the
figures in README are measured on the other halves. Before the model, three gates: a question
whose names the collection never mentions is not answered, nor by a candidate that holds one
word of a question the collection mostly lacks (shares_little), nor by one that holds its
names and none of what it asks of them (names_only). After it, an answer of low probability
must also be close to the question in meaning (meaning_passes; the embeddings of meaning.py).
"""
from __future__ import annotations

import math
from typing import NamedTuple, Protocol, Sequence

from .rescore import QueryTerms, Signals

FEATURES = ("coverage", "doc_cov", "all_cov", "sent_cov", "missing", "spread", "pairs",
            "bigrams", "margin", "wants_miss")
# What a candidate measures of itself; the rest is the collection's evidence for the question.
OWN = ("coverage", "sent_cov", "pairs", "bigrams", "wants_miss", "held_terms", "held_names")
# Fitted by tests/bench/fit_evidence.py.
COEF = {"coverage": 3.3589, "doc_cov": 1.8212, "all_cov": 0.0316, "sent_cov": 0.4483,
        "missing": 0.6826, "spread": 0.1507, "pairs": 1.4791, "bigrams": -0.1661,
        "margin": 1.4194, "wants_miss": -4.2226}
INTERCEPT = -4.6675
THRESHOLD = 0.14  # most questions decided right, mean over the fitting sources (fit_evidence.py)
# A question most of whose names (by weight) the collection never mentions is about something
# else, however many common words it shares ("Where did the Broncos practice for the Super
# Bowl?"): paraphrases change words, not names. Measured on the fitting data (fit_evidence.py).
NAMES_ABSENT_MAX = 0.5
# A candidate that holds one word of a question the collection mostly lacks, not a name, holds
# it by chance ("Who did a pressurized oxygen cabin fire kill?" asked of papers on North Korea:
# 'pressure' alone; "How do ctenophores control buoyancy?" and a passage on burning wood): it
# does not answer (the closest passages are still shown when on_subject says the question is
# on the subject). A name held is the question's subject, as for the names gate ("Who was
# Kaidu's grandfather?"). On the fitting sources (tests/bench/fit_evidence.py's) this declines
# 12 of the 692 other articles' questions that SQuAD's fitting half answered, none of its 2,774
# answerable ones answered, 18 of the 72 SQuAD questions asked of data/ that were answered or
# given the closest passages, and no question of dev split a (none of whose answered questions
# holds fewer than two words in its best passage).
ONE_WORD_MISSING = 0.35  # the share of the question's weight the collection lacks
# A candidate that holds none of the words that say what the question asks of what it names
# (two or more the collection knows, rescore.said_terms, carrying this share of the
# question's weight or more) is about what it names, not what is asked of it ("Which causes
# did Von Miller pledge funds to?" and a passage on his tackles): it does not answer (the
# closest passages are still shown). On SQuAD's fitting half (tests/bench/near_miss.py
# --every 2): questions whose year was changed to another of the article's declined 45.3 ->
# 53.8 %, whose name was changed 35.8 -> 49.3 %; as written, answered 94.9 -> 93.6 % (gold
# shown 87.6 -> 86.6 %); squad_e2e.py --runs halves: answerable answered 95.2 -> 93.7 %,
# other articles' questions 28.3 -> 26.0 %; dev split a: 1 of 112 answerable lost ('What
# occasion served as the backdrop for Altangerel's January 1998 trip?'), 1 near miss more
# declined. Over every question of the fitting half: 0.3 declined 51.0 % of changed names
# for 2.3 points of answered lost, 0.5 43.7 % for 0.8; one such word enough: 49.4 % for 1.7
# ('join' of 'When did Mongolia join Comecon?' is said 'accepted into').
OTHERS_SHARE_MIN = 0.4
OTHERS_KNOWN_MIN = 2
# A passage the rule answers with a low probability must also be close to the question in
# meaning (meaning.py: the cosine of their e5 embeddings) of at least
# MEANING_AT - MEANING_SLOPE * logit(probability): at .5, a cosine of .63; at .14, .85. Fitted
# by tests/bench/fit_meaning.py (every 4th question) on SQuAD's fitting half (questions about
# the articles not indexed answered 26.2 -> 17.7 %, answerable 95.2 -> 94.8 %) and dev split a
# (one of 96 answered right lost, one near miss more declined: embedders hardly tell them
# apart). No passage 1 scored under MEANING_FLOOR in 2,785 fitting questions, so above a
# probability where the bound is under it (about .36) the embedding is not computed.
MEANING_AT = 0.63
MEANING_SLOPE = 0.12
MEANING_FLOOR = 0.70
SPREAD_OF = 5  # how many of the best candidates the spread over documents looks at
# A question the rule does not answer is still on the documents' subject (its closest passages
# are shown, not "nothing found") when the best passage holds two of its names and the rule
# gives it this much: on SQuAD's fitting half asked of the bundled data, 3 of 1,064 other
# subjects' questions pass, and split a's paraphrases naming the two states do
# (tests/bench/fit_evidence.py's sources).
SUBJECT_MIN = 0.05
SUBJECT_NAMES = 2
# A question that names nothing ("basic dynamic characteristics of structures continuous over
# many spans", asked of papers on structures) is on the subject when the best passage holds two
# of its words and the closest passages together hold this share of it (by weight): 3 of the
# 4 Cranfield queries the rule declined, 9 of the 10,570 SQuAD questions asked of the bundled
# data (fitted on Cranfield's odd-numbered queries).
SUBJECT_WORDS_COV = 0.8
# Else it is on the subject when passage 1, 400 characters around its best sentence, is this
# close to it in meaning (meaning.py's cosine; for an answer the meaning check declined, the
# whole passage's cosine it computed): a paraphrase that shares too few words to be answered
# ("How big was the business contingent travelling with Amarjargal?") gets the closest
# passages, which often hold the answer, not "nothing found". Off-subject questions stay far:
# fitted by tests/bench/fit_subject.py on the SQuAD questions of its fitting half asked of
# the bundled data (the least cosine that turns at most one of them from "nothing" into
# closest passages) and on dev split a.
SUBJECT_MEANING = 0.83


class Candidate(Protocol):
    signals: Signals
    score: float
    held: frozenset  # the question's term ids it holds

    @property
    def doc(self) -> str: ...


class Evidence(NamedTuple):
    features: dict[str, float]
    probability: float
    # a rule before the model declined it (shares_little): never an answer, though the
    # question may still be on the documents' subject (on_subject reads the probability)
    declined: bool = False

    @property
    def passes(self) -> bool:
        return not self.declined and self.probability >= THRESHOLD


def features(q: QueryTerms, ranked: Sequence[Candidate], n_docs: int) -> dict[str, float]:
    """The model's inputs for the best of ranked candidates (best first): how much of the
    question it holds (alone, with the other candidates of its document, with all), in its
    best sentence, how much of the question the collection lacks, how scattered the best
    candidates are over documents, proximity, and how far it leads the next one."""
    best = ranked[0]
    ids, weights = q.ids.tolist(), q.weights.tolist()
    total = q.total or 1.0

    def share(held: set) -> float:
        return sum(w for i, w in zip(ids, weights) if i in held) / total

    of = [c.doc for c in ranked]  # each candidate's document read once (its record's field)
    same_doc = set().union(*(c.held for c, d in zip(ranked, of) if d == of[0]))
    docs = len(set(of[:SPREAD_OF]))
    most = min(SPREAD_OF, n_docs)
    runner_up = ranked[1].score if len(ranked) > 1 else None
    margin = (best.score - runner_up) / best.score if runner_up is not None and best.score > 0 else 1.0
    n = max(1, len(ids))
    sig = best.signals
    held = [name for i, name in zip(ids, q.names.tolist()) if i >= 0 and i in best.held]
    said = q.said.tolist() if q.said is not None else [False] * len(ids)
    others = [(i, w) for i, w, s in zip(ids, weights, said) if s]
    return {
        "coverage": sig.coverage,
        "doc_cov": max(sig.coverage, share(same_doc)),
        "all_cov": max(sig.coverage, share(set().union(*(c.held for c in ranked)))),
        "sent_cov": sig.sent_cov,
        "missing": sum(w for i, w in zip(ids, weights) if i < 0) / total,
        "spread": (docs - 1) / (most - 1) if most > 1 else 0.0,
        "pairs": sig.pairs / n,
        "bigrams": sig.bigrams / n,
        "margin": max(0.0, min(1.0, margin)),
        "wants_miss": (1.0 - sig.wants) if q.wants is not None else 0.0,
        "names_absent": names_absent(q),
        "held_terms": float(len(held)),
        "held_names": float(sum(held)),
        # the words that say what the question asks of its names (rescore.said_terms): their
        # share of it, how many the collection knows, how many of those the candidate holds
        "others_share": sum(w for _, w in others) / total,
        "others_known": float(sum(1 for i, _ in others if i >= 0)),
        "others_held": float(sum(1 for i, _ in others if i >= 0 and i in best.held)),
    }


def names_absent(q: QueryTerms) -> float:
    """Weight share of the question's names (capitalised words) the collection lacks
    entirely, endnotes included: 0 when it gives none."""
    total = float(q.weights[q.names].sum()) if len(q.names) else 0.0
    if total <= 0:
        return 0.0
    return float(q.weights[q.names & (q.ids < 0)].sum()) / total


def on_subject(q: QueryTerms, ev: Evidence, held: frozenset) -> bool:
    """Whether a question the rule does not answer is still on the documents' subject, so
    the closest passages are shown (held: what the best passage holds of it)."""
    if ev.passes:
        return True
    if ev.probability < SUBJECT_MIN:
        return False
    if names_held(q, held) >= SUBJECT_NAMES:
        return True
    return (not q.names.any() and ev.features["all_cov"] >= SUBJECT_WORDS_COV
            and sum(1 for i in q.ids.tolist() if i >= 0 and i in held) >= SUBJECT_NAMES)


def meaning_on_subject(cosine: float | None) -> bool:
    """Whether a question the rules above leave off the subject is on it all the same, its
    best passage this close to it in meaning (None: the embedder cannot be used)."""
    return cosine is not None and cosine >= SUBJECT_MEANING


def names_held(q: QueryTerms, held: frozenset) -> int:
    """How many of the question's names the collection knows a candidate holds."""
    return sum(1 for i, name in zip(q.ids.tolist(), q.names.tolist())
               if name and i >= 0 and i in held)


def with_own(feats: dict[str, float], own: dict[str, float]) -> dict[str, float]:
    """The features of another candidate (a fact) judged against the same collection
    evidence: its own measures replace the best passage's."""
    return dict(feats, **{name: own[name] for name in OWN})


def shares_little(feats: dict[str, float]) -> bool:
    """Whether the candidate holds one known word of the question at most, not a name, where
    the collection lacks much of the rest (ONE_WORD_MISSING)."""
    held = feats.get("held_terms")
    return (held is not None and held <= 1 and not feats.get("held_names", 0.0)
            and feats["missing"] >= ONE_WORD_MISSING)


def names_only(feats: dict[str, float]) -> bool:
    """Whether the candidate holds the question's names and none of the words that say what
    it asks of them, where those words are much of the question (OTHERS_SHARE_MIN)."""
    return (feats.get("others_known", 0.0) >= OTHERS_KNOWN_MIN
            and not feats.get("others_held", 1.0) and feats["others_share"] >= OTHERS_SHARE_MIN)


def gated(feats: dict[str, float]) -> bool:
    """Whether a rule before the model declines the candidate (fit_evidence.py leaves these out)."""
    return (feats.get("names_absent", 0.0) >= NAMES_ABSENT_MAX or shares_little(feats)
            or names_only(feats))


def judge(feats: dict[str, float], fact: bool = False) -> Evidence:
    """The rule on a candidate's features; fact: the candidate is a fact, whose few words are
    its parties and what it states, so that it holds the question's names only says nothing
    (names_only is for passages)."""
    if feats.get("names_absent", 0.0) >= NAMES_ABSENT_MAX:
        return Evidence(feats, 0.0)  # it names what the documents never mention
    z = INTERCEPT + sum(COEF.get(name, 0.0) * feats[name] for name in FEATURES)
    return Evidence(feats, 1.0 / (1.0 + math.exp(-max(-50.0, min(50.0, z)))),
                    shares_little(feats) or not fact and names_only(feats))


def meaning_bound(probability: float) -> float:
    """The least cosine (question, passage) an answer of this probability needs."""
    p = min(max(probability, 1e-6), 1 - 1e-6)
    return MEANING_AT - MEANING_SLOPE * math.log(p / (1 - p))


def needs_meaning(probability: float) -> bool:
    """Whether an answer of this probability is to be checked in meaning at all."""
    return meaning_bound(probability) > MEANING_FLOOR


def meaning_passes(probability: float, cosine: float) -> bool:
    """Whether a passage this close to the question in meaning answers at this probability."""
    return cosine >= meaning_bound(probability)
