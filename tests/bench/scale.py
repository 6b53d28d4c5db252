"""Scale benchmark: docbot against rank-bm25 on real English (SQuAD) and on generated text, at
10k, 100k and 1M passages (prints figures, asserts nothing).

    python tests/bench/scale.py                          # both corpora, 10k, 100k and 1M
    python tests/bench/scale.py --corpus real --sizes 1000000
    python tests/bench/scale.py --sizes 10000 --workdir /tmp/docbot-scale --queries 300

Real: passages of 3-6 consecutive sentences drawn (seeded) from the SQuAD v1.1 dev contexts
(../shared/bench/squad/dev-v1.1.json, or --squad FILE), one document per 5,000 passages, and 300
SQuAD dev questions. Generated: documents of 100 paragraphs (a heading every 20) of 60-160 words
drawn from a Zipf-Mandelbrot law over English stopwords and 300,000 generated words, and
questions made of a passage's words. Everything generated lives under --workdir (in /tmp).

Figures per corpus and size: build s (build_index from scratch in a child process, with its
workers), peak RSS of the build (the parent, and the largest worker), on-disk size, load s
(open_index of a fresh index in a new process); the whole answer through one
`docbot ask --jsonl -k 10` process (the time from writing a question to reading its JSON
line), p50/p95/p99 once its start-up is over (20 answers and 3 s; the answers of the start-up,
while the compiled loops load in the background, are printed apart); the engine alone (search_terms, top 10, in process), p50/p99; answers per
second from 1, 2 and 4 threads sharing one Answerer; rank-bm25's BM25Okapi.get_scores on the
same passages and questions (a sample when it is slow) and the ratio of medians; and the time to
re-index after one document is changed and after one is added. Beside them, in the same run,
when installed (`pip install -e '.[bench]'`): tantivy's build and top-10 latency and bm25s's
(numba) top-10 latency on the same passages and questions (tests/bench/peers.py), and docbot's
engine p50 as a ratio of theirs. Everything under --workdir is removed at the end unless --keep.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Callable

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from index.search.analyze import STOPWORDS  # noqa: E402
from index.search.build import peak_rss_mb  # noqa: E402

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


# -- real English: SQuAD dev sentences ---------------------------------------------------------

SQUAD = ROOT.parent / "shared" / "bench" / "squad" / "dev-v1.1.json"
PASSAGES_PER_REAL_DOC = 5000


def each_size(sizes: str, workdir: Path, squad_path: Path, keep: bool,
              run: Callable[[int, Path, list[str], list[str]], None]) -> None:
    """run(n, workdir, sentences, questions) for each n of sizes ('100000,1000000') over the
    SQuAD sentences and questions; workdir is removed afterwards unless keep."""
    sentences, questions = squad(squad_path)
    workdir.mkdir(parents=True, exist_ok=True)
    try:
        for n in (int(x) for x in sizes.split(",")):
            run(n, workdir, sentences, questions)
    finally:
        if not keep:
            shutil.rmtree(workdir, ignore_errors=True)


def squad(path: Path) -> tuple[list[str], list[str]]:
    """(every sentence of every dev context, in order; every question)."""
    from index.sentences import sentence_spans

    data = json.loads(path.read_text(encoding="utf-8"))["data"]
    sentences, questions = [], []
    for article in data:
        for para in article["paragraphs"]:
            text = " ".join(para["context"].split())
            sentences += [text[s:e] for s, e in sentence_spans(text)]
            questions += [qa["question"] for qa in para["qas"]]
    return sentences, questions


def write_real_corpus(folder: Path, n_passages: int, sentences: list[str]) -> None:
    marker = folder / "COMPLETE"
    tag = f"{n_passages} real v1"
    if marker.exists() and marker.read_text() == tag:
        return
    shutil.rmtree(folder, ignore_errors=True)
    docs = folder / "docs"
    docs.mkdir(parents=True)
    rng = np.random.default_rng([SEED, n_passages, 1])
    t0 = time.perf_counter()
    n_docs = max(1, -(-n_passages // PASSAGES_PER_REAL_DOC))
    for d in range(n_docs):
        n = min(PASSAGES_PER_REAL_DOC, n_passages - d * PASSAGES_PER_REAL_DOC)
        starts = rng.integers(0, len(sentences) - 6, n).tolist()
        lens = rng.integers(3, 7, n).tolist()
        body = "\n\n".join(" ".join(sentences[s : s + k]) for s, k in zip(starts, lens))
        (docs / f"squad-{d:04d}.txt").write_text(f"SQuAD passages {d:04d}\n\n{body}\n",
                                                  encoding="utf-8")
    marker.write_text(tag)
    print(f"  wrote {n_passages:,} passages in {n_docs} documents in "
          f"{time.perf_counter() - t0:.0f} s", flush=True)


# -- child processes: build, load ---------------------------------------------------------------


def child_build(data: Path, index: Path) -> None:
    from index.search.engine import build_index

    shutil.rmtree(index, ignore_errors=True)
    last = [0.0, ""]

    def progress(stage: str, done: int, total: int) -> None:
        now = time.perf_counter()
        if now - last[0] > 5 or done == total or stage != last[1]:
            last[0], last[1] = now, stage
            print(f"    {now - t0:5.1f} s  {stage} {done:,}/{total:,}", file=sys.stderr, flush=True)

    t0 = time.perf_counter()
    idx = build_index(data, index, progress=progress)
    secs = time.perf_counter() - t0
    worker_rss = max((w for w in idx.manifest.get("build", {}).get("worker_peak_rss_mb", [])), default=0)
    print(json.dumps({"build_s": secs, "rss_mb": peak_rss_mb(), "worker_rss_mb": worker_rss,
                      "chunks": len(idx.chunks), "terms": len(idx.vocab)}))


def child_load(data: Path, index: Path) -> None:
    t0 = time.perf_counter()
    from index.search.engine import open_index  # (imports are not the index's load time)

    t1 = time.perf_counter()
    notices: list[str] = []
    idx = open_index(data, index, notice=notices.append)
    t2 = time.perf_counter()
    idx.search("what happened")
    t3 = time.perf_counter()
    print(json.dumps({"import_s": t1 - t0, "load_s": t2 - t1, "first_query_s": t3 - t2,
                      "notices": notices, "rss_mb": peak_rss_mb()}))


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


WARM_ANSWERS, WARM_SECONDS = 20, 3.0


def ask_jsonl(proc: subprocess.Popen, question: str) -> tuple[float, str]:
    """One question through a running `docbot ask --jsonl` process: (ms until its JSON line,
    the line)."""
    t0 = time.perf_counter()
    proc.stdin.write(" ".join(question.split()) + "\n")
    proc.stdin.flush()
    line = proc.stdout.readline()
    if not line:
        raise SystemExit("docbot ask --jsonl stopped answering")
    return (time.perf_counter() - t0) * 1000, line


def whole_answers(data: Path, index_dir: Path, questions: list[str]
                  ) -> tuple[list[float], list[float]]:
    """ms per answer through one `docbot ask --jsonl -k 10` process, a question at a time:
    (every question once, once the process has answered WARM_ANSWERS questions and
    WARM_SECONDS have passed since its first answer; the answers before that). Its compiled
    loops load in the background for the first second or so, and answers meanwhile take the
    slower reference path: the start-up's answers are reported apart, not dropped."""
    env = dict(os.environ, DOCBOT_INDEX=str(index_dir))
    proc = subprocess.Popen([sys.executable, "-m", "bot.cli", "ask", "--data", str(data),
                             "--index", str(index_dir), "--jsonl", "-k", "10"], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True, cwd=ROOT, env=env)

    def ask(q: str) -> float:
        return ask_jsonl(proc, q)[0]

    warm: list[float] = []
    try:
        first = None
        while len(warm) < WARM_ANSWERS or time.perf_counter() - first < WARM_SECONDS:
            warm.append(ask(questions[len(warm) % len(questions)]))
            first = first if first is not None else time.perf_counter()
        ms = [ask(q) for q in questions]
    finally:
        proc.stdin.close()
        proc.wait()
    return ms, warm


def answers_per_second(answerer, questions: list[str], threads: int, seconds: float = 3.0) -> float:
    """Answers per second from `threads` askers sharing one Answerer, each asking in turn."""
    stop = time.perf_counter() + seconds
    done = [0] * threads

    def asker(j: int) -> None:
        i = j
        while time.perf_counter() < stop:
            answerer.ask(questions[i % len(questions)], k=10)
            done[j] += 1
            i += threads

    t0 = time.perf_counter()
    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(asker, range(threads)))
    return sum(done) / (time.perf_counter() - t0)


def kept_paths(workdir: Path, n_passages: int) -> tuple[Path, Path]:
    """(data folder, index) of the real corpus a run writes in workdir (and keeps with --keep)."""
    return workdir / f"real-data-{n_passages}", workdir / f"real-index-{n_passages}"


def ab_arguments(description: str, size: int) -> argparse.ArgumentParser:
    """The arguments every comparison of two checkouts on a kept workdir takes (a, b, workdir,
    --size, --squad); each script adds its own."""
    ap = argparse.ArgumentParser(description=description)
    ap.add_argument("a", type=Path, help="a checkout of docbot (say, main)")
    ap.add_argument("b", type=Path, help="another checkout (say, this one)")
    ap.add_argument("workdir", type=Path, help="a scale.py --keep workdir")
    ap.add_argument("--size", type=int, default=size)
    ap.add_argument("--squad", type=Path, default=SQUAD)
    return ap


def bench_size(n_passages: int, workdir: Path, n_queries: int, bm25_budget_s: float,
               max_bm25_queries: int, kind: str = "zipf", real=None, with_peers: bool = True) -> dict:
    from index.search.engine import open_index

    if kind == "real":
        sentences, all_questions = real
        data, index_dir = kept_paths(workdir, n_passages)
        print(f"real (SQuAD) {n_passages:,} passages", flush=True)
        write_real_corpus(data, n_passages, sentences)
    else:
        n_docs = max(1, n_passages // PARAGRAPHS_PER_DOC)
        data = workdir / f"data-{n_passages}"
        index_dir = workdir / f"index-{n_passages}"
        print(f"generated {n_passages:,} passages ({n_docs:,} documents)", flush=True)
        write_corpus(data, n_docs)

    built = run_child("build", str(data), str(index_dir))
    print(f"  build {built['build_s']:.1f} s, peak RSS {built['rss_mb']:.0f} MB "
          f"(largest worker {built['worker_rss_mb']:.0f} MB)", flush=True)
    loads = [run_child("load", str(data), str(index_dir)) for _ in range(3)]
    load_s = min(x["load_s"] for x in loads)
    assert all(not x["notices"] for x in loads), loads
    size = du(index_dir)

    rng = np.random.default_rng([SEED, n_passages])
    if kind == "real":
        picks = rng.choice(len(all_questions), size=n_queries, replace=False)
        questions = [all_questions[int(i)] for i in picks]
    else:
        idx = open_index(data, index_dir)
        gen = Generator()
        picks = rng.choice(len(idx.chunks), size=n_queries, replace=False)
        questions = [gen.question(rng, idx.chunks[int(i)].text.split()) for i in picks]
        del idx

    wa, warm = whole_answers(data, index_dir, questions)
    whole = percentiles(wa)
    print(f"  whole answer (ask --jsonl -k 10) p50 {whole[0]:.2f} p95 {whole[1]:.2f} "
          f"p99 {whole[2]:.2f} ms; its start-up: {len(warm)} answers in the first "
          f"{WARM_SECONDS:.0f} s, first {warm[0]:.1f} ms, p50 {np.percentile(warm, 50):.2f}, "
          f"max {max(warm):.1f} ms", flush=True)
    del wa

    idx = open_index(data, index_dir)
    analyzed = [idx.analyzer.terms(q) for q in questions]
    for terms in analyzed[:20]:  # warm up caches (page cache, analyzer) like a running bot
        idx.search_terms(terms, 10)
    ms = []
    for terms in analyzed:
        t0 = time.perf_counter()
        idx.search_terms(terms, 10)
        ms.append((time.perf_counter() - t0) * 1000)
    ours = percentiles(ms)
    print(f"  engine (search_terms) p50 {ours[0]:.2f} p95 {ours[1]:.2f} p99 {ours[2]:.2f} ms",
          flush=True)

    import peers

    tv = peers.tantivy_times(idx, analyzed, workdir) if with_peers else None
    bs = peers.bm25s_times(idx, analyzed) if with_peers else None
    if tv:
        print(f"  tantivy: build {tv['build_s']:.1f} s, p50 {tv['ms'][0]:.2f} p99 {tv['ms'][2]:.2f} ms;"
              f" docbot's engine p50 is {ours[0] / tv['ms'][0]:.1f}x tantivy's", flush=True)
    if bs:
        print(f"  bm25s (numba): p50 {bs['ms'][0]:.2f} p99 {bs['ms'][2]:.2f} ms; docbot's engine p50"
              f" is {ours[0] / bs['ms'][0]:.1f}x bm25s's; the same top-10 scores for "
              f"{bs['same_top']} of {bs['n']} questions", flush=True)

    from index.answering.answer import Answerer

    answerer = Answerer(idx)
    # every question asked once first: a new Answerer's first answers load its kernels and the
    # index's pages, which the one-thread figure, taken first, would pay alone (a run printed
    # 0 answers/s with one thread)
    for question in questions:
        answerer.ask(question, k=10)
    rates = {t: answers_per_second(answerer, questions, t) for t in (1, 2, 4)}
    print("  answers/s with 1/2/4 threads: " + " / ".join(f"{r:.0f}" for r in rates.values())
          + f" ({rates[2] / rates[1]:.2f}x with 2)", flush=True)

    # rank-bm25 on the same chunks with the same analyzer (not at all with --bm25-queries 0:
    # at 10M its Python lists alone outgrow the machine)
    theirs, ref_ms = (float("nan"),) * 3, []
    if max_bm25_queries > 0:
        theirs, ref_ms = rank_bm25_times(idx, analyzed, max_bm25_queries, bm25_budget_s,
                                         ours[0])

    # incremental: change one document, then add one
    docs = sorted((data / "docs").rglob("*.txt"))
    victim = docs[len(docs) // 2]
    original = victim.read_text(encoding="utf-8")
    victim.write_text(original + "\n\nA new closing paragraph about kalobe and the harbour "
                      "of Zumoda, added to see what one edit costs the index.\n", encoding="utf-8")
    t0 = time.perf_counter()
    open_index(data, index_dir)
    change_s = time.perf_counter() - t0
    extra = data / "docs" / "zzz-added.txt"
    extra.write_text(Generator().document(10 ** 7), encoding="utf-8")
    t0 = time.perf_counter()
    open_index(data, index_dir)
    add_s = time.perf_counter() - t0
    victim.write_text(original, encoding="utf-8")
    extra.unlink()
    t0 = time.perf_counter()
    open_index(data, index_dir)
    restore_s = time.perf_counter() - t0
    print(f"  re-index: one document changed {change_s:.2f} s, one added {add_s:.2f} s, "
          f"both undone {restore_s:.2f} s", flush=True)

    return {"kind": kind, "passages": len(idx.chunks), "terms": len(idx.vocab),
            "build_s": built["build_s"], "rss_mb": built["rss_mb"],
            "worker_rss_mb": built["worker_rss_mb"], "disk_mb": size / 2**20, "load_s": load_s,
            "whole": whole, "ours": ours, "theirs": theirs, "ratio": theirs[0] / ours[0],
            "bm25_n": len(ref_ms), "rates": rates, "change_s": change_s, "add_s": add_s,
            "tantivy": tv, "bm25s": bs}



def rank_bm25_times(idx, analyzed: list, max_queries: int, budget_s: float,
                    ours_p50: float) -> tuple[tuple, list]:
    """rank-bm25's BM25Okapi.get_scores (and its top-10 pick) per question, within budget."""
    from index.search.engine import index_text
    from rank_bm25 import BM25Okapi

    t0 = time.perf_counter()
    corpus = [idx.analyzer.terms(index_text(c)) for c in idx.chunks]
    ref = BM25Okapi(corpus)
    ref_build = time.perf_counter() - t0
    del corpus
    ref_ms = []
    t_start = time.perf_counter()
    for terms in analyzed:
        t0 = time.perf_counter()
        scores = ref.get_scores(terms)
        np.argpartition(-scores, 10)[:10]  # its own top-10 pick, inside the timing
        ref_ms.append((time.perf_counter() - t0) * 1000)
        if len(ref_ms) >= max_queries or time.perf_counter() - t_start > budget_s:
            break
    theirs = percentiles(ref_ms)
    print(f"  rank-bm25 BM25Okapi.get_scores p50 {theirs[0]:.1f} p95 {theirs[1]:.1f} "
          f"p99 {theirs[2]:.1f} ms ({len(ref_ms)} questions; its build {ref_build:.0f} s); "
          f"{theirs[0] / ours_p50:.0f}x the engine's p50", flush=True)
    return theirs, ref_ms


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
    ap.add_argument("--corpus", choices=("real", "zipf", "both"), default="both")
    ap.add_argument("--squad", type=Path, default=SQUAD, help="SQuAD v1.1 dev JSON")
    ap.add_argument("--no-peers", action="store_true", help="skip tantivy and bm25s")
    ap.add_argument("--keep", action="store_true", help="keep --workdir (corpora, indexes)")
    args = ap.parse_args()
    args.workdir.mkdir(parents=True, exist_ok=True)
    print(f"docbot scale benchmark: {os.cpu_count()} cores; Python {sys.version.split()[0]}; "
          f"numpy {np.__version__}", flush=True)
    kinds = ["real", "zipf"] if args.corpus == "both" else [args.corpus]
    real = squad(args.squad) if "real" in kinds else None
    try:
        rows = [bench_size(n, args.workdir, args.queries, args.bm25_seconds, args.bm25_queries,
                           kind, real, not args.no_peers) for kind in kinds for n in args.sizes]
    finally:
        if not args.keep:
            shutil.rmtree(args.workdir, ignore_errors=True)
    print()
    print("| corpus | passages | terms | build s | peak RSS MB (worker) | disk MB | load s "
          "| whole answer p50/p95/p99 ms | engine p50/p99 ms | answers/s 1/2/4 threads "
          "| rank-bm25 p50 ms (n) | p50 ratio | re-index change/add s |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        w, o, t, a = r["whole"], r["ours"], r["theirs"], r["rates"]
        print(f"| {r['kind']} | {r['passages']:,} | {r['terms']:,} | {r['build_s']:.1f} "
              f"| {r['rss_mb']:.0f} ({r['worker_rss_mb']:.0f}) | {r['disk_mb']:.0f} "
              f"| {r['load_s']:.2f} | {w[0]:.2f} / {w[1]:.2f} / {w[2]:.2f} "
              f"| {o[0]:.2f} / {o[2]:.2f} | {a[1]:.0f} / {a[2]:.0f} / {a[4]:.0f} "
              f"| {t[0]:.0f} ({r['bm25_n']}) | {r['ratio']:.0f}× "
              f"| {r['change_s']:.2f} / {r['add_s']:.2f} |")
    peer_rows = [r for r in rows if r["tantivy"] or r["bm25s"]]
    if peer_rows:
        print()
        print("| corpus | passages | build s: docbot / tantivy | engine p50 ms: docbot / tantivy "
              "/ bm25s | engine p99 ms: docbot / tantivy / bm25s | docbot p50 ÷ tantivy / ÷ bm25s |")
        print("|---|---|---|---|---|---|")
        nan = (float("nan"),) * 3
        for r in peer_rows:
            o = r["ours"]
            tv = r["tantivy"] or {"build_s": float("nan"), "ms": nan}
            bs = r["bm25s"] or {"ms": nan}
            print(f"| {r['kind']} | {r['passages']:,} | {r['build_s']:.1f} / {tv['build_s']:.1f} "
                  f"| {o[0]:.2f} / {tv['ms'][0]:.2f} / {bs['ms'][0]:.2f} "
                  f"| {o[2]:.2f} / {tv['ms'][2]:.2f} / {bs['ms'][2]:.2f} "
                  f"| {o[0] / tv['ms'][0]:.1f}× / {o[0] / bs['ms'][0]:.1f}× |")


if __name__ == "__main__":
    main()
