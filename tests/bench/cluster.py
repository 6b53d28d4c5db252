"""The cluster backend against the local engine: agreement, quality, speed, and a node killed.

    .venv/bin/python tests/bench/cluster.py                 # SQuAD dev (2 and 4 shards) + 1M passages
    .venv/bin/python tests/bench/cluster.py --skip-big      # SQuAD dev only (about 2 minutes)

Everything runs through the command line a user runs (`docbot ask --jsonl`), against real
xapian-tcpsrv nodes on 127.0.0.1 started here:

- SQuAD v1.1 dev (../shared/bench/squad), each article a document: top-10 chunk ids of every
  question through the cluster vs the local engine (same list, in order), R@1 (passage 1 holds
  the question's own paragraph), Ans@3 (a gold answer in passages 1-3), abstentions.
- 1M passages of real English (3-6 SQuAD dev sentences each, 200 files, generated under --work):
  p50/p99 of a whole answer (one question written, its JSON line read back) over 2 nodes and
  locally, and the same run with one node killed a third of the way through: replies, notices,
  tracebacks, and the answer to a question while the node is down.

Figures only: nothing is asserted (one run, a shared 2-core machine).
"""
from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from cluster_nodes import Node  # noqa: E402
from index import cluster  # noqa: E402
from index.sentences import sentence_spans  # noqa: E402

SQUAD = ROOT.parent / "shared" / "bench" / "squad" / "dev-v1.1.json"
PASSAGES_PER_FILE = 5000
REUSE = False  # --reuse: keep the indexes and shards an earlier run built


def docbot(*args: str) -> list[str]:
    return [sys.executable, "-m", "bot", *args]


# -- collections -----------------------------------------------------------------------------------


def squad_folder(work: Path) -> tuple[Path, list[dict]]:
    """SQuAD dev as a data folder (one document per article), and its questions."""
    data = json.loads(SQUAD.read_text(encoding="utf-8"))["data"]
    folder = work / "squad"
    questions = []
    for a, art in enumerate(data):
        for para in art["paragraphs"]:
            for qa in para["qas"]:
                questions.append({"q": qa["question"], "doc": f"{a:02d}",
                                  "para": para["context"],
                                  "answers": sorted({x["text"].lower() for x in qa["answers"]})})
    if not (folder / "COMPLETE").exists():
        shutil.rmtree(folder, ignore_errors=True)
        (folder / "docs").mkdir(parents=True)
        for a, art in enumerate(data):
            body = "\n\n".join(p["context"].strip() for p in art["paragraphs"])
            title = art["title"].replace("_", " ")
            (folder / "docs" / f"{a:02d}.md").write_text(f"---\ntitle: {title}\n---\n{body}\n",
                                                        encoding="utf-8")
        (folder / "COMPLETE").write_text("1")
    return folder, questions


def big_folder(work: Path, passages: int) -> Path:
    """passages paragraphs of 3-6 SQuAD dev sentences each, in 200-ish files."""
    folder = work / f"big-{passages}"
    if (folder / "COMPLETE").exists():
        return folder
    shutil.rmtree(folder, ignore_errors=True)
    (folder / "docs").mkdir(parents=True)
    sentences = []
    for art in json.loads(SQUAD.read_text(encoding="utf-8"))["data"]:
        for p in art["paragraphs"]:
            t = p["context"]
            sentences += [t[s:e].strip() for s, e in sentence_spans(t) if e - s > 20]
    rng = random.Random(20240611)
    t0 = time.perf_counter()
    for f in range(0, passages, PASSAGES_PER_FILE):
        n = min(PASSAGES_PER_FILE, passages - f)
        paras = [" ".join(rng.choices(sentences, k=rng.randint(3, 6))) for _ in range(n)]
        (folder / "docs" / f"part-{f // PASSAGES_PER_FILE:04d}.txt").write_text(
            "\n\n".join(paras) + "\n", encoding="utf-8")
    (folder / "COMPLETE").write_text("1")
    print(f"  generated {passages:,} passages from {len(sentences):,} sentences in "
          f"{time.perf_counter() - t0:.0f} s", flush=True)
    return folder


# -- running questions through the CLI -----------------------------------------------------------


def batch(args: list[str], questions: list[str]) -> tuple[list[dict], str, float]:
    """All questions through one `docbot ask --jsonl`: answers, stderr, seconds."""
    t = time.perf_counter()
    r = subprocess.run(docbot("ask", "--jsonl", "-k", "10", *args), cwd=ROOT, text=True,
                       input="\n".join(questions) + "\n", capture_output=True)
    took = time.perf_counter() - t
    return [json.loads(line) for line in r.stdout.splitlines()], r.stderr, took


def one_by_one(args: list[str], questions: list[str], during=None, at: int = -1):
    """Each question written alone and its answer read back, timed; during() runs before
    question `at` (to stop a node). Returns (answers, ms per answer, stderr)."""
    p = subprocess.Popen(docbot("ask", "--jsonl", "-k", "10", *args), cwd=ROOT, text=True,
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    answers, ms = [], []
    for i, q in enumerate(questions):
        if i == at and during:
            during()
        t = time.perf_counter()
        p.stdin.write(q + "\n")
        p.stdin.flush()
        line = p.stdout.readline()
        ms.append((time.perf_counter() - t) * 1000)
        answers.append(json.loads(line) if line else None)
        if not line:
            break
    p.stdin.close()
    err = p.stderr.read()
    p.wait()
    return answers, ms, err


def pct(ms: list[float], q: float) -> float:
    s = sorted(ms)
    return s[min(len(s) - 1, int(q * len(s)))]


def quality(answers: list[dict], questions: list[dict]) -> dict:
    r1 = ans3 = abstained = 0
    for a, q in zip(answers, questions):
        ps = a["passages"]
        abstained += not a["answered"]
        if ps and ps[0]["doc"] == q["doc"] and (ps[0]["text"][:60] in q["para"]
                                                 or q["para"][:60] in ps[0]["text"]):
            r1 += 1
        if any(x in p["text"].lower() for p in ps[:3] for x in q["answers"]):
            ans3 += 1
    n = len(questions)
    return {"R@1": r1 / n, "Ans@3": ans3 / n, "abstained": abstained / n}


def agreement(a: list[dict], b: list[dict]) -> tuple[float, float]:
    """Share of questions whose top-10 chunk ids are the same list / the same set."""
    ids = lambda x: [p["chunk_id"] for p in x["passages"]]
    same = sum(ids(x) == ids(y) for x, y in zip(a, b))
    same_set = sum(set(ids(x)) == set(ids(y)) for x, y in zip(a, b))
    return same / len(a), same_set / len(a)


def cluster_file(path: Path, nodes: list[list[Node]]) -> Path:
    path.write_text("".join(f"- replicas: [{', '.join(n.address for n in shard)}]\n"
                            for shard in nodes), encoding="utf-8")
    return path


def build_shards(data: Path, n: int, out: Path) -> float:
    """Seconds to build n shards (nan: the shards of an earlier run with --reuse)."""
    if REUSE and all((out / f"shard-{i}").is_dir() for i in range(n)):
        return float("nan")
    t = time.perf_counter()
    r = subprocess.run(docbot("cluster", "build", "--data", str(data), "--shards", str(n),
                              "--out", str(out)), cwd=ROOT, capture_output=True, text=True)
    if r.returncode:
        sys.exit(r.stderr)
    return time.perf_counter() - t


def build_local(data: Path, index: Path) -> float:
    if REUSE and index.is_dir():
        return float("nan")
    t = time.perf_counter()
    r = subprocess.run(docbot("index", "--data", str(data), "--index", str(index)), cwd=ROOT,
                       capture_output=True, text=True)
    if r.returncode:
        sys.exit(r.stderr)
    return time.perf_counter() - t


# -- the runs ------------------------------------------------------------------------------------


def run_squad(work: Path, shard_counts: list[int], timed: int) -> None:
    data, questions = squad_folder(work)
    texts = [q["q"] for q in questions]
    local_args = ["--data", str(data), "--index", str(work / "squad-index")]
    print(f"\nSQuAD dev: {len(questions):,} questions; local index built in "
          f"{build_local(data, work / 'squad-index'):.1f} s", flush=True)
    local, err, took = batch(local_args, texts)
    lq = quality(local, questions)
    print(f"  local:     R@1 {lq['R@1']:.3f}  Ans@3 {lq['Ans@3']:.3f}  abstained "
          f"{lq['abstained']:.1%}  ({took / len(texts) * 1000:.1f} ms/question in one batch)")
    _, lms, _ = one_by_one(local_args, texts[:timed])
    print(f"  local, one by one ({timed}): p50 {pct(lms, .5):.1f} ms  p99 {pct(lms, .99):.1f} ms")
    for n in shard_counts:
        out = work / f"squad-shards-{n}"
        secs = build_shards(data, n, out)
        nodes = [[Node(cluster.server_program(), out / f"shard-{i}").start()] for i in range(n)]
        try:
            cfile = cluster_file(work / f"squad-{n}.yaml", nodes)
            got, err, took = batch(["--cluster", str(cfile)], texts)
            cq = quality(got, questions)
            same, same_set = agreement(got, local)
            print(f"  {n} shards (built in {secs:.1f} s): top-10 ids same as local for "
                  f"{same:.2%} of questions (same set {same_set:.2%}); R@1 {cq['R@1']:.3f}  "
                  f"Ans@3 {cq['Ans@3']:.3f} ({(cq['Ans@3'] - lq['Ans@3']) * 100:+.2f} points)  "
                  f"abstained {cq['abstained']:.1%}; tracebacks: {err.count('Traceback')}",
                  flush=True)
            _, cms, _ = one_by_one(["--cluster", str(cfile)], texts[:timed])
            print(f"  {n} shards, one by one ({timed}): p50 {pct(cms, .5):.1f} ms  "
                  f"p99 {pct(cms, .99):.1f} ms")
        finally:
            for shard in nodes:
                for node in shard:
                    node.stop()


def run_big(work: Path, passages: int, timed: int) -> None:
    data = big_folder(work, passages)
    _, questions = squad_folder(work)
    rng = random.Random(7)
    texts = [q["q"] for q in rng.sample(questions, timed)]
    index = work / f"big-{passages}-index"
    print(f"\n{passages:,} passages: local index built in {build_local(data, index):.0f} s",
          flush=True)
    out = work / f"big-{passages}-shards-2"
    print(f"  2 shards built in {build_shards(data, 2, out):.0f} s", flush=True)
    local_args = ["--data", str(data), "--index", str(index)]
    local, lms, _ = one_by_one(local_args, texts)
    print(f"  local, whole answer ({timed} questions): p50 {pct(lms, .5):.1f} ms  "
          f"p99 {pct(lms, .99):.1f} ms", flush=True)
    nodes = [[Node(cluster.server_program(), out / f"shard-{i}").start()] for i in range(2)]
    try:
        cfile = cluster_file(work / "big-2.yaml", nodes)
        got, cms, err = one_by_one(["--cluster", str(cfile)], texts)
        same, same_set = agreement(got, local)
        print(f"  2 nodes, whole answer: p50 {pct(cms, .5):.1f} ms  p99 {pct(cms, .99):.1f} ms; "
              f"top-10 ids same as local for {same:.1%} (same set {same_set:.1%})", flush=True)
        at = len(texts) // 3
        got, kms, err = one_by_one(["--cluster", str(cfile)], texts, nodes[1][0].stop, at)
        replies = sum(a is not None for a in got)
        notices = sum(bool(a and a["message"] and "could not be searched" in a["message"])
                      for a in got)
        print(f"  node 2 killed before question {at + 1}: {replies}/{len(texts)} replies, "
              f"{notices} with the notice, {err.count('Traceback')} tracebacks; p50 after the "
              f"kill {statistics.median(kms[at:]):.1f} ms")
        a = got[at + 1]
        print(f"  e.g. {a['question']!r}: answered={a['answered']}, "
              f"{len(a['passages'])} passages; message: {a['message']}")
    finally:
        for shard in nodes:
            for node in shard:
                node.stop()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--work", type=Path, default=Path("/tmp/docbot-bench-cluster"))
    ap.add_argument("--shards", type=int, nargs="+", default=[2, 4])
    ap.add_argument("--passages", type=int, default=1_000_000)
    ap.add_argument("--timed", type=int, default=300, help="questions timed one by one")
    ap.add_argument("--skip-big", action="store_true")
    ap.add_argument("--skip-squad", action="store_true")
    ap.add_argument("--reuse", action="store_true",
                    help="keep indexes and shards built by an earlier run (build times show nan)")
    args = ap.parse_args()
    global REUSE
    REUSE = args.reuse
    cluster.load_xapian()
    if not cluster.server_program():
        sys.exit(f"xapian-tcpsrv not found: {cluster.INSTALL}")
    args.work.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("NO_COLOR", "1")
    if not args.skip_squad:
        run_squad(args.work, args.shards, args.timed)
    if not args.skip_big:
        run_big(args.work, args.passages, args.timed)


if __name__ == "__main__":
    main()
