"""Scale benchmark: docbot against rank-bm25 on generated collections of 10k, 100k and 1M
passages (prints figures, asserts nothing).

    python tests/bench/scale.py                   # 10k, 100k and 1M passages (1M takes a while)
    python tests/bench/scale.py --sizes 10000     # one size
    python tests/bench/scale.py --workdir /tmp/docbot-scale --queries 300 --bm25-queries 20

The corpus is deterministic: documents of 100 paragraphs (a title, a heading every 20
paragraphs), each paragraph 60-160 words drawn from a Zipf-Mandelbrot law over English
stopwords followed by 300,000 generated words, with sentence capitals, commas and periods.
Documents are written as .txt files and indexed through the real path (Index.build: read,
chunk, analyze, invert, write), in a child process so that its peak RSS is its own.

Figures per size: build s (from scratch, tokenization included, with 2 workers), peak RSS of the
build (the parent, and the largest worker), on-disk size, load s (Index.open of a fresh index in
a new process), p50/p95/p99 ms per question (top-10, one at a time) for docbot and for
rank-bm25's BM25Plus with the same terms and parameters (on a sample of questions when it is
slow), the ratio of medians, whether their top-10s agree, and the time to re-index after one
document is changed and after one is added.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from index.analyze import STOPWORDS  # noqa: E402

N_WORDS = 300_000
PARAGRAPHS_PER_DOC = 100
SECTION_EVERY = 20
SEED = 20240611
_CONS = "bcdfghjklmnprstvz"
_VOWELS = "aeiou"
_SYLLABLES = [c + v for c in _CONS for v in _VOWELS]


def vocabulary() -> list[str]:
    """Stopwords (the most frequent words of English text) then generated words, shorter
    ones more frequent; all distinct, none a stopword."""
    common = ("the of and to a in is was that for it as with by on at his he be this from "
              "which or an had are not but were her they have their she been has all one its who "
              "will would there we no if more when can so up out some into them than other only "
              "then these also may what after about over such").split()
    stop = [w for w in common if w in STOPWORDS] + sorted(STOPWORDS.difference(common))
    words: list[str] = []
    seen = set(STOPWORDS)
    n = 0
    while len(words) < N_WORDS:
        n += 1
        digits, x = [], n
        while x:
            x, r = divmod(x, len(_SYLLABLES))
            digits.append(_SYLLABLES[r])
        w = "".join(digits)
        if len(w) >= 3 and w not in seen:
            seen.add(w)
            words.append(w)
    return stop + words


def probabilities(n: int) -> np.ndarray:
    p = 1.0 / (np.arange(1, n + 1) + 2.7)
    return p / p.sum()


class Generator:
    def __init__(self) -> None:
        self.words = vocabulary()
        v = len(self.words)
        self.cdf = np.cumsum(probabilities(v))
        lower = np.array(self.words, dtype=object)
        cap = np.array([w.capitalize() for w in self.words], dtype=object)
        # variants: plain, 'word,', 'word.' and 'Word' (after a period)
        self.forms = np.concatenate([lower, lower + ",", lower + ".", cap])
        self.v = v

    def doc_words(self, rng: np.random.Generator, n: int) -> np.ndarray:
        return np.minimum(np.searchsorted(self.cdf, rng.random(n)), self.v - 1)

    def document(self, d: int) -> str:
        rng = np.random.default_rng([SEED, d])
        lens = rng.integers(60, 161, PARAGRAPHS_PER_DOC)
        ids = self.doc_words(rng, int(lens.sum()))
        # punctuation: a period every ~14 words, a comma every ~9, a capital after a period
        form = np.zeros(len(ids), dtype=np.int64)
        r = rng.random(len(ids))
        form[r < 1 / 9] = 1
        form[r > 1 - 1 / 14] = 2
        ends = np.cumsum(lens) - 1
        form[ends] = 2
        starts = np.concatenate([[0], ends[:-1] + 1])
        after = np.flatnonzero(form == 2) + 1
        after = after[after < len(ids)]
        form[after] = 3
        form[starts] = 3
        text = self.forms[ids + form * self.v]
        title = " ".join(w.capitalize() for w in self.words_at(rng, 3))
        out = [f"Document {d:06d} {title}"]
        pos = 0
        for i, n in enumerate(lens):
            if i % SECTION_EVERY == 0:
                out.append(f"Section {i // SECTION_EVERY + 1} " + " ".join(self.words_at(rng, 2)))
            out.append(" ".join(text[pos : pos + n].tolist()))
            pos += n
        return "\n\n".join(out) + "\n"

    def words_at(self, rng: np.random.Generator, n: int) -> list[str]:
        return [self.words[i] for i in rng.integers(len(STOPWORDS), len(STOPWORDS) + 5000, n)]

    def question(self, rng: np.random.Generator, passage_words: list[str]) -> str:
        """A question made like a reader's: a few of the passage's words, some function words,
        sometimes a word from elsewhere."""
        content = [w for w in passage_words if w.strip(",.").lower() not in STOPWORDS]
        k = int(rng.integers(2, 6))
        picked = [content[i].strip(",.").lower() for i in rng.choice(len(content), size=min(k, len(content)), replace=False)]
        if rng.random() < 0.3:
            picked.append(self.words[int(self.doc_words(rng, 1)[0])])
        return "what " + " ".join(picked[:1]) + " did the " + " ".join(picked[1:]) + "?"


def write_corpus(folder: Path, n_docs: int) -> None:
    docs = folder / "docs"
    marker = folder / "COMPLETE"
    if marker.exists() and marker.read_text() == f"{n_docs} v2":
        return
    shutil.rmtree(folder, ignore_errors=True)
    docs.mkdir(parents=True)
    gen = Generator()
    t0 = time.perf_counter()
    for d in range(n_docs):
        sub = docs / f"{d // 1000:03d}"
        sub.mkdir(exist_ok=True)
        (sub / f"doc-{d:06d}.txt").write_text(gen.document(d), encoding="utf-8")
    marker.write_text(f"{n_docs} v2")
    print(f"  generated {n_docs:,} documents in {time.perf_counter() - t0:.0f} s", flush=True)


# -- child processes: build, load ---------------------------------------------------------------


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def child_build(data: Path, index: Path) -> None:
    from index.engine import Index

    shutil.rmtree(index, ignore_errors=True)
    last = [0.0, ""]

    def progress(stage: str, done: int, total: int) -> None:
        now = time.perf_counter()
        if now - last[0] > 5 or done == total or stage != last[1]:
            last[0], last[1] = now, stage
            print(f"    {now - t0:5.1f} s  {stage} {done:,}/{total:,}", file=sys.stderr, flush=True)

    t0 = time.perf_counter()
    idx = Index.build(data, index, progress=progress)
    secs = time.perf_counter() - t0
    worker_rss = max((w for w in idx.manifest.get("build", {}).get("worker_peak_rss_mb", [])), default=0)
    print(json.dumps({"build_s": secs, "rss_mb": _peak_rss_mb(), "worker_rss_mb": worker_rss,
                      "chunks": len(idx.chunks), "terms": len(idx.vocab)}))


def child_load(data: Path, index: Path) -> None:
    t0 = time.perf_counter()
    from index.engine import Index  # noqa: F401  (imports are not the index's load time)

    t1 = time.perf_counter()
    notices: list[str] = []
    idx = Index.open(data, index, notice=notices.append)
    t2 = time.perf_counter()
    idx.search("what happened")
    t3 = time.perf_counter()
    print(json.dumps({"import_s": t1 - t0, "load_s": t2 - t1, "first_query_s": t3 - t2,
                      "notices": notices, "rss_mb": _peak_rss_mb()}))


def run_child(*args: str) -> dict:
    r = subprocess.run([sys.executable, __file__, *args], capture_output=True, text=True, cwd=ROOT)
    if r.returncode != 0:
        sys.stderr.write(r.stderr)
        raise SystemExit(f"child {args[0]} failed")
    sys.stderr.write(r.stderr)
    return json.loads(r.stdout.strip().splitlines()[-1])


def du(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


# -- one size -----------------------------------------------------------------------------------


def percentiles(ms: list[float]) -> tuple[float, float, float]:
    a = np.asarray(ms)
    return float(np.percentile(a, 50)), float(np.percentile(a, 95)), float(np.percentile(a, 99))


def bench_size(n_passages: int, workdir: Path, n_queries: int, bm25_budget_s: float,
               max_bm25_queries: int) -> dict:
    from index.engine import DEFAULT_PARAMS, Index, index_text

    n_docs = max(1, n_passages // PARAGRAPHS_PER_DOC)
    data = workdir / f"data-{n_passages}"
    index_dir = workdir / f"index-{n_passages}"
    print(f"{n_passages:,} passages ({n_docs:,} documents)", flush=True)
    write_corpus(data, n_docs)

    built = run_child("build", str(data), str(index_dir))
    print(f"  build {built['build_s']:.1f} s, peak RSS {built['rss_mb']:.0f} MB "
          f"(largest worker {built['worker_rss_mb']:.0f} MB)", flush=True)
    loads = [run_child("load", str(data), str(index_dir)) for _ in range(3)]
    load_s = min(x["load_s"] for x in loads)
    assert all(not x["notices"] for x in loads), loads
    size = du(index_dir)

    idx = Index.open(data, index_dir)
    gen = Generator()
    rng = np.random.default_rng([SEED, n_passages])
    picks = rng.choice(len(idx.chunks), size=n_queries, replace=False)
    questions = [gen.question(rng, idx.chunks[int(i)].text.split()) for i in picks]

    for q in questions[:20]:  # warm up caches (page cache, analyzer) like a running bot
        idx.search(q)
    ms = []
    for q in questions:
        t0 = time.perf_counter()
        idx.search(q, 10)
        ms.append((time.perf_counter() - t0) * 1000)
    ours = percentiles(ms)
    print(f"  docbot  p50 {ours[0]:.2f} p95 {ours[1]:.2f} p99 {ours[2]:.2f} ms", flush=True)

    # rank-bm25 with the same chunks, analyzer, variant and parameters
    from rank_bm25 import BM25Plus

    t0 = time.perf_counter()
    corpus = [idx.analyzer.terms(index_text(c)) for c in idx.chunks]
    ref = BM25Plus(corpus, k1=DEFAULT_PARAMS.k1, b=DEFAULT_PARAMS.b, delta=DEFAULT_PARAMS.delta)
    ref_build = time.perf_counter() - t0
    del corpus
    ref_ms, agree, checked = [], 0, 0
    t_start = time.perf_counter()
    for q in questions:
        terms = idx.analyzer.terms(q)
        t0 = time.perf_counter()
        scores = ref.get_scores(terms)
        np.argpartition(-scores, 10)[:10]  # its own top-10 pick, inside the timing
        ref_ms.append((time.perf_counter() - t0) * 1000)
        # rank-bm25 scores every chunk (BM25Plus gives one that matches nothing delta * idf per
        # query term); its best ten among the chunks that match, ties by chunk id, against ours
        hits = idx.search_terms(terms, 10)
        floor = sum((ref.idf.get(t) or 0) * DEFAULT_PARAMS.delta for t in terms)
        matching = np.flatnonzero(scores > floor * (1 + 1e-12) + 1e-12)
        if len(matching) > 10:
            tenth = np.partition(scores[matching], len(matching) - 10)[len(matching) - 10]
            matching = matching[scores[matching] >= tenth * (1 - 1e-9)]
        ranked = sorted(matching.tolist(), key=lambda i: -scores[i])
        groups: list[list[int]] = []  # scores that differ only by float rounding tie
        for i in ranked:
            if groups and scores[groups[-1][-1]] - scores[i] <= 1e-9 * abs(scores[groups[-1][-1]]):
                groups[-1].append(i)
            else:
                groups.append([i])
        best = [i for g in groups for i in sorted(g, key=lambda i: idx.chunks[i].id)][:10]
        checked += 1
        if [idx.by_id[h.chunk.id] for h in hits] == best and np.allclose(
                [h.score for h in hits], scores[best], rtol=1e-6, atol=0):
            agree += 1
        if len(ref_ms) >= max_bm25_queries or time.perf_counter() - t_start > bm25_budget_s:
            break
    theirs = percentiles(ref_ms)
    print(f"  rank-bm25 p50 {theirs[0]:.1f} p95 {theirs[1]:.1f} p99 {theirs[2]:.1f} ms "
          f"({len(ref_ms)} questions; its build {ref_build:.0f} s); top-10 agree {agree}/{checked}",
          flush=True)
    del ref

    # incremental: change one document, then add one
    docs = sorted((data / "docs").rglob("*.txt"))
    victim = docs[len(docs) // 2]
    original = victim.read_text(encoding="utf-8")
    victim.write_text(original + "\nA new closing paragraph about kalobe and the harbour "
                      "of Zumoda, added to see what one edit costs the index.\n", encoding="utf-8")
    t0 = time.perf_counter()
    Index.open(data, index_dir)
    change_s = time.perf_counter() - t0
    extra = data / "docs" / "zzz-added.txt"
    extra.write_text(gen.document(10 ** 7), encoding="utf-8")
    t0 = time.perf_counter()
    Index.open(data, index_dir)
    add_s = time.perf_counter() - t0
    victim.write_text(original, encoding="utf-8")
    extra.unlink()
    t0 = time.perf_counter()
    Index.open(data, index_dir)
    restore_s = time.perf_counter() - t0
    print(f"  re-index: one document changed {change_s:.2f} s, one added {add_s:.2f} s, "
          f"both undone {restore_s:.2f} s", flush=True)

    return {"passages": len(idx.chunks), "terms": len(idx.vocab), "build_s": built["build_s"],
            "rss_mb": built["rss_mb"], "worker_rss_mb": built["worker_rss_mb"],
            "disk_mb": size / 2**20, "load_s": load_s, "ours": ours, "theirs": theirs,
            "ratio": theirs[0] / ours[0], "bm25_n": len(ref_ms), "agree": f"{agree}/{checked}",
            "change_s": change_s, "add_s": add_s}


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] in ("build", "load"):
        {"build": child_build, "load": child_load}[sys.argv[1]](Path(sys.argv[2]), Path(sys.argv[3]))
        return
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    ap.add_argument("--workdir", type=Path, default=Path("/tmp/docbot-scale"))
    ap.add_argument("--queries", type=int, default=300)
    ap.add_argument("--bm25-queries", type=int, default=300, help="at most this many for rank-bm25")
    ap.add_argument("--bm25-seconds", type=float, default=120, help="time budget for rank-bm25")
    args = ap.parse_args()
    args.workdir.mkdir(parents=True, exist_ok=True)
    print(f"docbot scale benchmark: {os.cpu_count()} cores; Python {sys.version.split()[0]}; "
          f"numpy {np.__version__}", flush=True)
    rows = [bench_size(n, args.workdir, args.queries, args.bm25_seconds, args.bm25_queries)
            for n in args.sizes]
    print()
    print("| passages | terms | build s | peak RSS MB (worker) | disk MB | load s | docbot p50/p95/p99 ms "
          "| rank-bm25 p50/p95/p99 ms (n) | p50 ratio | top-10 agree | re-index change/add s |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        o, t = r["ours"], r["theirs"]
        print(f"| {r['passages']:,} | {r['terms']:,} | {r['build_s']:.1f} | {r['rss_mb']:.0f} "
              f"({r['worker_rss_mb']:.0f}) | {r['disk_mb']:.0f} | {r['load_s']:.2f} "
              f"| {o[0]:.2f} / {o[1]:.2f} / {o[2]:.2f} | {t[0]:.0f} / {t[1]:.0f} / {t[2]:.0f} "
              f"({r['bm25_n']}) | {r['ratio']:.0f}× | {r['agree']} | {r['change_s']:.2f} / "
              f"{r['add_s']:.2f} |")


if __name__ == "__main__":
    main()
