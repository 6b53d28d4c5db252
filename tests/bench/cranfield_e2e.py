"""Cranfield through the CLI: nDCG@10 of what `docbot ask --jsonl -k 10` shows.

Each of the 1,400 abstracts is written as one document of a data folder (front matter title,
the abstract as its text), indexed by `docbot index`, and each of the 225 queries is asked
through one `docbot ask --jsonl -k 10` process, as a user would. The passages' documents, in
the order shown (a document shown twice counts once, at its first place), are graded by
cranqrel as in tests/bench/quality.py (grade 5 - code, linear gain, log2 discount, averaged
over all 225 queries).

Two figures: "as shown" counts a reply without passages (status none) as 0, as a user sees
it; "ranked" also credits the closest passages of a "closest" reply, so the difference is what
abstaining costs. Each is also given for the odd-numbered queries (the half any choice is fitted
on) and the even-numbered ones (held out). quality.py's nDCG@10 is the first stage alone, one
chunk per abstract.

    python tests/bench/cranfield_e2e.py [--shared DIR]
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "bench"))

from quality import K, _smart_records  # noqa: E402
from squad_e2e import ask_all  # noqa: E402


def write_abstracts(cranfield: Path, folder: Path) -> int:
    """One document per abstract, named by its Cranfield number; how many were written."""
    docs = folder / "docs"
    docs.mkdir(parents=True)
    n = 0
    for rec in _smart_records((cranfield / "cran.all.1400").read_text("utf-8")):
        title = " ".join(rec.get("T", "").split()) or f"Cranfield {int(rec['I'])}"
        body = " ".join(rec.get("W", "").split())
        (docs / f"cran-{int(rec['I']):04d}.txt").write_text(
            f"---\ntitle: {json.dumps(title)}\n---\n{body}\n", encoding="utf-8")
        n += 1
    return n


def grades(cranfield: Path, n_queries: int) -> list[dict[int, int]]:
    """Per query (file order, as cranqrel numbers them): positive grade by document number."""
    out: list[dict[int, int]] = [{} for _ in range(n_queries)]
    for line in (cranfield / "cranqrel").read_text("utf-8").splitlines():
        if line.strip():
            q, doc, code = (int(x) for x in line.split())
            if 1 <= code <= 4:
                out[q - 1][doc] = 5 - code
    return out


def shown_docs(reply: dict) -> list[int]:
    """Cranfield numbers of the documents of the reply's passages, first place of each."""
    seen: list[int] = []
    for p in reply.get("passages") or ():
        number = int(Path(p["doc"]).stem.rsplit("-", 1)[-1])
        if number not in seen:
            seen.append(number)
    return seen


def ndcg(ranked: list[int], graded: dict[int, int], k: int = K) -> float:
    import math
    dcg = sum(graded.get(d, 0) / math.log2(i + 2) for i, d in enumerate(ranked[:k]))
    ideal = sorted(graded.values(), reverse=True)[:k]
    idcg = sum(g / math.log2(i + 2) for i, g in enumerate(ideal))
    return dcg / idcg if idcg else 0.0


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--shared", type=Path, default=ROOT.parent / "shared")
    args = ap.parse_args(argv)
    cranfield = args.shared / "bench" / "cranfield"
    queries = [" ".join(r.get("W", "").split())
               for r in _smart_records((cranfield / "cran.qry").read_text("utf-8"))]
    graded = grades(cranfield, len(queries))
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "cranfield"
        n_docs = write_abstracts(cranfield, data)
        t = time.perf_counter()
        replies, _ = ask_all(data, queries, k=K)
        took = time.perf_counter() - t
    statuses = Counter(r.get("status") or ("answer" if r["answered"] else "none") for r in replies)
    shown = [ndcg(shown_docs(r) if r.get("status") == "answer" or r["answered"] else [], g)
             for r, g in zip(replies, graded)]
    ranked = [ndcg(shown_docs(r), g) for r, g in zip(replies, graded)]
    n = len(queries)
    print(f"cranfield through the CLI: {n_docs} documents, {n} queries, k {K} "
          f"({took:.0f} s with indexing)")
    print(f"  replies: " + ", ".join(f"{s} {c}" for s, c in sorted(statuses.items())))
    print(f"  nDCG@{K} as shown (no passages when docbot abstains): {_halves(shown)}")
    print(f"  nDCG@{K} ranked (closest passages counted too):      {_halves(ranked)}")


def _halves(scores: list[float]) -> str:
    """The mean over all queries, then over the odd-numbered ones (cranqrel's 1, 3, …: the
    half choices are fitted on) and the even-numbered ones (held out)."""
    odd, even = scores[0::2], scores[1::2]
    return (f"{sum(scores) / len(scores):.3f} (odd-numbered {sum(odd) / len(odd):.3f}, "
            f"even-numbered {sum(even) / len(even):.3f})")


if __name__ == "__main__":
    main()
