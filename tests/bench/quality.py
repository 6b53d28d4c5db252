"""Retrieval quality of docbot's index on two public benchmarks: SQuAD v1.1 dev and Cranfield.

Run from anywhere (the data is looked up in ../shared/bench relative to the repository root):

    /work/venv/bin/python tests/bench/quality.py                        # DEFAULT_PARAMS
    /work/venv/bin/python tests/bench/quality.py --variant plus --k1 1.5 --b 0.5
    /work/venv/bin/python tests/bench/quality.py --grid                 # variant x k1 x b sweep
    /work/venv/bin/python tests/bench/quality.py --limit 500            # quick smoke run

SQuAD v1.1 dev: one chunk per paragraph (section "", so only the paragraph is indexed), one query
per question. R@k: the question's own paragraph is in the top k. Ans@k: a gold answer string occurs
(case-insensitively) in a top-k passage. MRR@10: mean of 1/rank of the own paragraph (0 beyond 10).

Cranfield: one chunk per document, text = title + "\\n" + abstract. Documents 471 and 995 are empty
and kept as empty chunks (never retrieved, but counted in N as in the collection; 995 is judged
relevant to query 125, so that query cannot reach nDCG 1). Queries are
numbered 1..225 in file order, as cranqrel numbers them. nDCG@10 with linear gain
grade = 5 - code (codes 1..4; code -1 and unjudged documents are 0), discount log2(rank + 1), ideal
DCG from the query's judged positive grades, averaged over all 225 queries.

Figures only: nothing is asserted, timings are informative (one run, this machine).
"""
from __future__ import annotations

import argparse
import dataclasses
import json
import math
import re
import sys
import time
from pathlib import Path
from typing import Callable, NamedTuple, Sequence

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))  # run as a script: make `index` importable

from index.search.analyze import Analyzer  # noqa: E402
from index.search.bm25 import BM25, BM25Params, build_postings  # noqa: E402
from index.reading.corpus import Chunk  # noqa: E402
from index.search.engine import DEFAULT_PARAMS, Index, SearchHit, index_text  # noqa: E402

K = 10
# GUIDE.md section 3: Lucene 8 EnglishAnalyzer BM25, the figures to beat.
BARS = {"R@1": 0.776, "Ans@3": 0.917, "nDCG@10": 0.368}
GRID_K1 = (0.9, 1.2, 1.5, 2.0)
GRID_B = (0.3, 0.5, 0.75, 0.9)
GRID_DELTA = {"okapi": DEFAULT_PARAMS.delta, "plus": 1.0, "l": 0.5}


class SquadQuestion(NamedTuple):
    text: str
    chunk_id: str
    answers: tuple[str, ...]  # lower-cased


class Bench(NamedTuple):
    name: str
    chunks: list[Chunk]
    queries: list[str]
    score: Callable[[list[list[Chunk]]], dict[str, float]]  # ranked chunks per query -> metrics


def _chunk(cid: str, doc: str, title: str, seq: int, text: str) -> Chunk:
    return Chunk(cid, doc, title, "", seq + 1, seq + 1, 0, seq, 0, len(text), text)


# -- SQuAD -------------------------------------------------------------------------------------
def load_squad(path: Path) -> tuple[list[Chunk], list[SquadQuestion]]:
    """One chunk per paragraph, one question per SQuAD question (in file order)."""
    chunks: list[Chunk] = []
    questions: list[SquadQuestion] = []
    for a, article in enumerate(json.loads(path.read_text(encoding="utf-8"))["data"]):
        title = article["title"].replace("_", " ")
        for p, para in enumerate(article["paragraphs"]):
            cid = f"squad:{a}:{p}"
            chunks.append(_chunk(cid, article["title"], title, p, para["context"]))
            for qa in para["qas"]:
                answers = tuple({ans["text"].lower() for ans in qa["answers"]})
                questions.append(SquadQuestion(qa["question"], cid, answers))
    return chunks, questions


def squad_metrics(ranked: list[list[Chunk]],
                  questions: Sequence[SquadQuestion]) -> dict[str, float]:
    sums = dict.fromkeys(("R@1", "R@3", "R@10", "Ans@1", "Ans@3", "MRR@10"), 0.0)
    for hits, q in zip(ranked, questions):
        ids = [c.id for c in hits[:K]]
        rank = ids.index(q.chunk_id) + 1 if q.chunk_id in ids else 0
        for k in (1, 3, 10):
            sums[f"R@{k}"] += 0 < rank <= k
        sums["MRR@10"] += 1 / rank if rank else 0.0
        # The first passage holding an answer: Ans@k is true for every k at or beyond it.
        first = next((i for i, c in enumerate(hits[:3])
                      if any(a in c.text.lower() for a in q.answers)), 3)
        sums["Ans@1"] += first < 1
        sums["Ans@3"] += first < 3
    return {m: s / len(questions) for m, s in sums.items()}


# -- Cranfield ---------------------------------------------------------------------------------
def _smart_records(text: str) -> list[dict[str, str]]:
    """Records of a SMART file: '.I id', then field markers ('.T', '.W', ...) on their own lines."""
    records = []
    for block in re.split(r"^\.I[ \t]+", text, flags=re.M)[1:]:
        head, *rest = re.split(r"^\.([A-Z])[ \t]*$", block, flags=re.M)
        rec = {"I": head.strip()}
        rec.update({rest[i]: rest[i + 1].strip() for i in range(0, len(rest), 2)})
        records.append(rec)
    return records


def load_cranfield(folder: Path) -> tuple[list[Chunk], list[str], list[dict[str, int]]]:
    """Chunks, queries, and per query its positive grades by chunk id (5 - code; -1 dropped)."""
    chunks = []
    for seq, rec in enumerate(_smart_records((folder / "cran.all.1400").read_text("utf-8"))):
        title, body = rec.get("T", ""), rec.get("W", "")
        text = f"{title}\n{body}" if title or body else ""
        chunks.append(_chunk(f"cran:{int(rec['I'])}", f"cran:{int(rec['I'])}", title, seq, text))
    queries = [rec.get("W", "") for rec in _smart_records((folder / "cran.qry").read_text("utf-8"))]
    qrels: list[dict[str, int]] = [{} for _ in queries]
    for line in (folder / "cranqrel").read_text("utf-8").split("\n"):
        if line.strip():
            q, doc, code = (int(x) for x in line.split())
            if 1 <= code <= 4:
                qrels[q - 1][f"cran:{doc}"] = 5 - code
    return chunks, queries, qrels


def ndcg(ranked: list[Chunk], grades: dict[str, int], k: int = K) -> float:
    dcg = sum(grades.get(c.id, 0) / math.log2(i + 2) for i, c in enumerate(ranked[:k]))
    ideal = sorted(grades.values(), reverse=True)[:k]
    idcg = sum(g / math.log2(i + 2) for i, g in enumerate(ideal))
    return dcg / idcg if idcg else 0.0


# -- running -----------------------------------------------------------------------------------
def load_benches(shared: Path, limit: int | None) -> list[Bench]:
    """Both benchmarks; with limit, an evenly spaced sample of at most `limit` queries each."""
    def sample(items: list) -> list:
        return items[:: max(1, len(items) // limit)][:limit] if limit else items

    s_chunks, s_questions = load_squad(shared / "bench/squad/dev-v1.1.json")
    s_questions = sample(s_questions)
    c_chunks, c_queries, c_qrels = load_cranfield(shared / "bench/cranfield")
    c_pairs = sample(list(zip(c_queries, c_qrels)))
    return [
        Bench("SQuAD dev", s_chunks, [q.text for q in s_questions],
              lambda ranked: squad_metrics(ranked, s_questions)),
        Bench("Cranfield", c_chunks, [q for q, _ in c_pairs],
              lambda ranked: {"nDCG@10": sum(ndcg(r, g) for r, (_, g) in zip(ranked, c_pairs))
                              / len(c_pairs)}),
    ]


def rank_all(search: Callable[[object], list[SearchHit]],
             queries: Sequence) -> tuple[list[list[Chunk]], float]:
    """Top-k chunks for every query, and the mean milliseconds per query."""
    t0 = time.perf_counter()
    ranked = [[h.chunk for h in search(q)] for q in queries]
    return ranked, (time.perf_counter() - t0) * 1000 / max(1, len(queries))


def run_default(benches: list[Bench], params: BM25Params) -> list[dict]:
    """Build each index as the bot does (analysis included) and ask every query as text."""
    rows = []
    for bench in benches:
        t0 = time.perf_counter()
        idx = Index.from_chunks(bench.chunks, Analyzer(), params)
        build_s = time.perf_counter() - t0
        ranked, ms = rank_all(lambda q: idx.search(q, K), bench.queries)
        rows.append({"bench": bench.name, "chunks": len(bench.chunks),
                     "queries": len(bench.queries), **bench.score(ranked),
                     "build s": build_s, "query ms": ms})
    return rows


def describe(p: BM25Params) -> str:
    extra = f" delta={p.delta:g}" if p.variant != "okapi" else f" eps={p.epsilon:g}"
    return f"{p.variant} k1={p.k1:g} b={p.b:g}{extra}"


def grid_params() -> list[BM25Params]:
    return [dataclasses.replace(DEFAULT_PARAMS, variant=v, k1=k1, b=b, delta=GRID_DELTA[v])
            for v in ("okapi", "plus", "l") for k1 in GRID_K1 for b in GRID_B]


def run_grid(benches: list[Bench], settings: list[BM25Params]) -> list[dict]:
    """Every setting on both benchmarks. Documents and queries are analysed once; each setting
    only recomputes BM25's IDF and length norms over the shared postings."""
    analyzer = Analyzer()
    prepared = []
    for bench in benches:
        vocab: dict[str, int] = {}
        postings = build_postings((analyzer.terms(index_text(c)) for c in bench.chunks), vocab)
        prepared.append((bench, vocab, postings, [analyzer.terms(q) for q in bench.queries]))
    rows = []
    for params in settings:
        row: dict = {"setting": describe(params)}
        total_ms = 0.0
        for bench, vocab, postings, query_terms in prepared:
            idx = Index(bench.chunks, vocab, BM25(postings, params), analyzer, {})
            ranked, ms = rank_all(lambda t: idx.search_terms(t, K), query_terms)
            row.update(bench.score(ranked))
            total_ms += ms * len(query_terms)
        row["sum"] = row["R@1"] + row["Ans@3"] + row["nDCG@10"]
        row["bars"] = "yes" if all(row[m] >= bar for m, bar in BARS.items()) else ""
        row["query ms"] = total_ms / sum(len(p[3]) for p in prepared)
        rows.append(row)
    return sorted(rows, key=lambda r: -r["sum"])


def format_table(rows: list[dict]) -> str:
    """A plain-text table over the union of the rows' keys; missing cells print as '-'."""
    timings = ("build s", "query ms")
    cols = sorted(dict.fromkeys(k for r in rows for k in r), key=lambda c: c in timings)

    def cell(col: str, v: object) -> str:
        if isinstance(v, float):  # metrics as .xxx, timings as 0.123
            return f"{v:.3f}" if col in timings else f"{v:.3f}".removeprefix("0")
        return "-" if v is None else str(v)

    cells = [[cell(c, r.get(c)) for c in cols] for r in rows]
    widths = [max(len(c), *(len(row[i]) for row in cells)) for i, c in enumerate(cols)]
    lines = ["  ".join(c.rjust(w) for c, w in zip(cols, widths))]
    lines += ["  ".join(v.rjust(w) for v, w in zip(row, widths)) for row in cells]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--shared", type=Path, default=ROOT.parent / "shared",
                    help="folder holding bench/squad and bench/cranfield (default: %(default)s)")
    ap.add_argument("--variant", choices=("okapi", "plus", "l"), default=DEFAULT_PARAMS.variant)
    ap.add_argument("--k1", type=float, default=DEFAULT_PARAMS.k1)
    ap.add_argument("--b", type=float, default=DEFAULT_PARAMS.b)
    ap.add_argument("--delta", type=float, default=DEFAULT_PARAMS.delta, help="plus and l only")
    ap.add_argument("--grid", action="store_true", help="sweep variant x k1 x b on both benchmarks")
    ap.add_argument("--limit", type=int, help="at most N queries per benchmark (evenly spaced)")
    args = ap.parse_args(argv)

    if not (args.shared / "bench").is_dir():
        ap.error(f"no benchmark data in {args.shared / 'bench'}; pass --shared PATH, the folder "
                 "holding bench/squad/dev-v1.1.json and bench/cranfield/")
    t0 = time.perf_counter()
    benches = load_benches(args.shared, args.limit)
    bars = "bars (Lucene 8, GUIDE.md §3): " + ", ".join(f"{m} ≥ {v}" for m, v in BARS.items())
    if args.grid:
        rows = run_grid(benches, grid_params())
        print(format_table(rows))
        print(bars)
    else:
        params = BM25Params(args.variant, args.k1, args.b, DEFAULT_PARAMS.epsilon, args.delta)
        print(f"params: {describe(params)}")
        print(format_table(run_default(benches, params) + [{"bench": "Lucene 8", **BARS}]))
    print(f"total {time.perf_counter() - t0:.1f} s")


if __name__ == "__main__":
    main()
