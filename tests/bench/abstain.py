"""How well does docbot tell answerable questions from off-topic ones?

Positives: the answerable cases of tests/qa/*.yaml (asked of data/). Negatives: the abstain
cases there plus SQuAD v1.1 dev questions (Wikipedia topics) asked of the same data/.
For each coverage threshold it prints the share of positives answered and negatives answered;
index.answer.MIN_COVERAGE is the threshold docbot uses.

    python tests/bench/abstain.py [--shared ../shared] [--every 5]
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from index.answer import MIN_COVERAGE, Answerer  # noqa: E402
from bot.evaluate import load_cases  # noqa: E402
from index.corpus import load_documents  # noqa: E402
from index.engine import Index, load_analyzer  # noqa: E402


def coverage(answerer: Answerer, question: str) -> float:
    terms = answerer.index.analyzer.terms(question)
    hits = answerer.index.search_terms(terms, 1) if terms else []
    return answerer.coverage(terms, hits[0]) if hits else 0.0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--shared", type=Path, default=ROOT.parent / "shared")
    ap.add_argument("--every", type=int, default=5, help="use every n-th SQuAD question")
    args = ap.parse_args()

    data = ROOT / "data"
    analyzer = load_analyzer(data)
    chunks = [c for d in load_documents(data) for c in d.chunks]
    answerer = Answerer(Index.from_chunks(chunks, analyzer))

    pos, neg = [], []
    for path in sorted((ROOT / "tests" / "qa").glob("*.yaml")):
        for case in load_cases(path):
            if case.expect or case.abstain:
                (neg if case.abstain else pos).append(coverage(answerer, case.q))
    squad = json.loads((args.shared / "bench/squad/dev-v1.1.json").read_text())
    questions = [qa["question"] for a in squad["data"] for p in a["paragraphs"] for qa in p["qas"]]
    neg += [coverage(answerer, q) for q in questions[:: args.every]]

    print(f"positives {len(pos)} (Q&A suite), negatives {len(neg)} (abstain cases + SQuAD)")
    print(f"{'threshold':>9} {'answered: on-topic':>19} {'off-topic':>10} {'balanced acc':>13}")
    for t in (0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.6):
        tp = sum(c >= t for c in pos) / len(pos)
        fp = sum(c >= t for c in neg) / len(neg)
        mark = "  <- MIN_COVERAGE" if abs(t - MIN_COVERAGE) < 1e-9 else ""
        print(f"{t:>9.2f} {tp:>19.3f} {fp:>10.3f} {(tp + 1 - fp) / 2:>13.3f}{mark}")


if __name__ == "__main__":
    main()
