"""Fit the meaning check's bound (index/answering/evidence.py: MEANING_AT, MEANING_SLOPE) and
print what each choice decides (prints figures, asserts nothing).

An answer the lexical rule gives with probability p stands only when passage 1's cosine to
the question (meaning.py's embeddings) is at least AT - SLOPE * logit(p). Every question is
asked with the check off (DOCBOT_MEANING=off), and its lexical reply, p and cosine recorded;
then a grid of (AT, SLOPE) is read over them:
  - SQuAD dev, the even articles indexed: questions of articles 0 mod 4 answerable, of 1 mod 4
    not (the fitting half; --report reads articles 2, 3 mod 4 too, for figures only);
  - split a of tests/dev/questions.yaml on data/ (answerable: answered with gold shown).
The choice printed is the one answering the fewest other articles' questions while losing at
most --squad-loss of SQuAD's answerable ones and --dev-loss of dev a's. It also prints the
lowest cosine any passage 1 had (MEANING_FLOOR is set under it).

    python tests/bench/fit_meaning.py [--every 4] [--report]
"""
from __future__ import annotations

import argparse
import json
import math
import os
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "bench"))
os.environ["DOCBOT_MEANING"] = "off"  # the lexical replies; the cosines are read apart

from dev_eval import is_right, load  # noqa: E402
from squad_e2e import write_articles  # noqa: E402
from index.answering import evidence  # noqa: E402
from index.answering.answer import Answerer  # noqa: E402
from index.answering.meaning import Meaning  # noqa: E402


def rows(answerer: Answerer, meaning: Meaning, questions: list[str]) -> list[dict]:
    """Per question: answered (passages or facts shown), p and passage 1's cosine."""
    out = []
    for text in questions:
        a = answerer.ask(text)
        p = a.evidence.probability if a.evidence is not None else None
        cos = (meaning.similarity(text, a.passages[0].hit.chunk.text)
               if a.status == "answer" and a.passages and p is not None else None)
        out.append({"answer": a, "gave": bool(a.answered and (a.passages or a.facts)),
                    "p": p, "cos": cos})
    return out


def stands(r: dict, at: float, slope: float) -> bool:
    """Whether the reply still answers under the bound (AT, SLOPE)."""
    if not r["gave"] or r["cos"] is None:
        return r["gave"]
    p = min(max(r["p"], 1e-6), 1 - 1e-6)
    return r["cos"] >= at - slope * math.log(p / (1 - p))


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--shared", type=Path, default=ROOT.parent / "shared")
    ap.add_argument("--every", type=int, default=4, help="every n-th SQuAD question")
    ap.add_argument("--squad-loss", type=float, default=0.005)
    ap.add_argument("--dev-loss", type=int, default=1, help="dev a answerable questions")
    ap.add_argument("--report", action="store_true", help="figures of articles 2, 3 mod 4 too")
    args = ap.parse_args(argv)
    squad = json.loads((args.shared / "bench/squad/dev-v1.1.json").read_text())["data"]
    meaning = Meaning()
    groups = (0, 1, 2, 3) if args.report else (0, 1)
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "halves"
        write_articles([a for i, a in enumerate(squad) if i % 2 == 0], data)
        halves = Answerer.open(data, Path(tmp) / "index-halves")
        qs = [(i % 4, qa["question"]) for i, a in enumerate(squad) for p in a["paragraphs"]
              for qa in p["qas"] if i % 4 in groups][:: args.every]
        sq = [dict(r, g=g) for (g, _), r in zip(qs, rows(halves, meaning, [q for _, q in qs]))]
        bundled = Answerer.open(ROOT / "data", Path(tmp) / "index-data")
        cases = load("a")
        dev = [dict(r, right=is_right(c, r["answer"]), un=not c["answer"])
               for c, r in zip(cases, rows(bundled, meaning, [c["q"] for c in cases]))]
    cosines = [r["cos"] for r in sq + dev if r["cos"] is not None]
    print(f"{len(cosines)} passages 1 embedded; lowest cosine {min(cosines):.3f} "
          f"(MEANING_FLOOR {evidence.MEANING_FLOOR})")

    def figures(at: float, slope: float, half: tuple[int, int]) -> tuple[float, float]:
        pos = [stands(r, at, slope) for r in sq if r["g"] == half[0]]
        neg = [stands(r, at, slope) for r in sq if r["g"] == half[1]]
        return float(np.mean(pos)), float(np.mean(neg))

    def dev_right(at: float, slope: float) -> tuple[int, int]:
        kept = [r["right"] and stands(r, at, slope) for r in dev if not r["un"]]
        declined = [not stands(r, at, slope) or r["answer"].status != "answer"
                    for r in dev if r["un"]]
        return sum(kept), sum(declined)

    base_pos, base_neg = figures(-9.0, 0.0, (0, 1))  # a bound every cosine meets: the check off
    base_dev = dev_right(-9.0, 0.0)
    grid = []
    for at in np.arange(0.60, 0.86, 0.005):
        for slope in (0, 0.005, 0.01, 0.015, 0.02, 0.025, 0.03, 0.04, 0.05, 0.06, 0.07, 0.08,
                      0.1, 0.12):
            pos, neg = figures(at, slope, (0, 1))
            right, declined = dev_right(at, slope)
            if pos >= base_pos - args.squad_loss and right >= base_dev[0] - args.dev_loss:
                grid.append((neg, -pos, round(float(at), 3), slope, right, declined))
    print(f"check off: fitting half answerable / other answered {base_pos:.1%} / {base_neg:.1%}; "
          f"dev a answerable right {base_dev[0]}, unanswerable declined {base_dev[1]}")
    in_use = (evidence.MEANING_AT, evidence.MEANING_SLOPE)
    for name, (at, slope) in (("in use", in_use),
                              *((("chosen", min(grid)[2:4]),) if grid else ())):
        pos, neg = figures(at, slope, (0, 1))
        right, declined = dev_right(at, slope)
        line = (f"{name}: AT {at} SLOPE {slope}: fitting half {pos:.1%} / {neg:.1%}; dev a "
                f"answerable right {right}, unanswerable declined {declined}")
        if args.report:
            rpos, rneg = figures(at, slope, (2, 3))
            line += f"; reporting half {rpos:.1%} / {rneg:.1%}"
        print(line)


if __name__ == "__main__":
    main()
