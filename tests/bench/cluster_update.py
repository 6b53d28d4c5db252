"""Cluster update benchmark: one document added, changed and deleted on the shards of a cluster,
against building the shards anew (prints figures, asserts nothing).

    python tests/bench/cluster_update.py --sizes 100000
    nice -n 10 timeout 3h python tests/bench/cluster_update.py --sizes 1000000

The corpus is tests/bench/scale.py's real one (SQuAD dev sentences, 5,000 passages per
document). The shards are built once (`cluster.build`, 2 shards) and served by xapian-tcpsrv
on 127.0.0.1; a client (the answer service a bot holds) stays open throughout. Then, one after
the other, `cluster.update` (what `docbot cluster build` runs on existing shards):
  add     a new document of 41 passages holding a word no other passage holds
  change  one of the build's documents: one passage more, holding another new word
  delete  one of the build's documents
Each prints the update's time and the time until the open client's next question sees it
(reopen + the question), and checks the reply. Then the same documents built anew (what the
update saves), and the top 10 of 300 SQuAD questions on the updated shards against those
(--no-fresh skips both).
Everything under --workdir is removed at the end unless --keep.
"""
from __future__ import annotations

import argparse
import shutil
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "tests" / "bench"))

import scale  # noqa: E402
from cluster_nodes import Node  # noqa: E402


def serve(shards: list[Path], name: str) -> tuple[list[Node], Path]:
    from index import cluster

    nodes = [Node(cluster.server_program(), s).start() for s in shards]
    path = shards[0].parent.parent / f"{name}.yaml"
    path.write_text("".join(f"- [{n.address}]\n" for n in nodes), encoding="utf-8")
    return nodes, path


def seen(client, question: str) -> tuple[object, float, float]:
    """(the client's top hits, seconds to reopen, seconds of the question)."""
    t0 = time.perf_counter()
    client.index.reopen()
    t1 = time.perf_counter()
    hits = client.index.search(question, 10)
    return hits, t1 - t0, time.perf_counter() - t1


def step(what: str, client, data: Path, out: Path, question: str, check) -> None:
    from index import cluster

    done = cluster.update(data, 2, out)
    hits, reopen_s, ask_s = seen(client, question)
    print(f"  {what}: update {done.seconds:.2f} s ({done.passages_added:,} passages written, "
          f"{done.passages_deleted:,} deleted, shards {[i + 1 for i in done.written]}); the open "
          f"client sees it after reopen {reopen_s * 1000:.1f} ms + question {ask_s * 1000:.1f} ms: "
          f"{check(hits)}", flush=True)


def bench_size(n: int, workdir: Path, sentences: list[str], questions: list[str],
               fresh_build: bool = True) -> None:
    from index import cluster

    data, out = workdir / f"real-{n}", workdir / f"shards-{n}" / "out"
    scale.write_real_corpus(data, n, sentences)
    print(f"{n:,} passages, 2 shards", flush=True)
    t0 = time.perf_counter()
    shards = cluster.build(data, 2, out)
    print(f"  build: {time.perf_counter() - t0:.1f} s", flush=True)
    nodes, path = serve(shards, f"cluster-{n}")
    fresh_nodes: list[Node] = []
    try:
        client = cluster.ClusterAnswerer.open_cluster(path)
        client.index.search(questions[0], 10)
        docs = sorted((data / "docs").glob("*.txt"))
        rng = np.random.default_rng(1)

        extra = data / "docs" / "zz-added.txt"
        body = "\n\n".join(" ".join(sentences[s : s + 4])
                           for s in rng.integers(0, len(sentences) - 5, 40))
        extra.write_text("Added\n\nThe kalobezumo harbour opened its gates at dawn.\n\n" + body
                         + "\n", encoding="utf-8")
        step("add one document", client, data, out, "When did the kalobezumo harbour open?",
             lambda hits: bool(hits) and hits[0].chunk.doc == "zz-added")

        victim = docs[len(docs) // 2]
        victim.write_text(victim.read_text(encoding="utf-8") + "\nThe zumodakalo ledger closed "
                          "in the spring.\n", encoding="utf-8")
        step(f"change one document ({victim.name})", client, data, out,
             "When did the zumodakalo ledger close?",
             lambda hits: bool(hits) and hits[0].chunk.doc == victim.stem)

        gone = docs[len(docs) // 3]
        first = gone.read_text(encoding="utf-8").split("\n\n")[1]
        gone.unlink()
        step(f"delete one document ({gone.name})", client, data, out, first,
             lambda hits: all(h.chunk.doc != gone.stem for h in hits))

        if not fresh_build:
            return
        fresh_out = workdir / f"shards-{n}" / "fresh"
        t0 = time.perf_counter()
        fresh = cluster.build(data, 2, fresh_out)
        print(f"  the same documents built anew: {time.perf_counter() - t0:.1f} s", flush=True)
        fresh_nodes, fresh_path = serve(fresh, f"fresh-{n}")
        rebuilt = cluster.ClusterAnswerer.open_cluster(fresh_path)
        qs = questions[:300]
        same = sum([(h.chunk.id, h.score) for h in client.index.search(q, 10)]
                   == [(h.chunk.id, h.score) for h in rebuilt.index.search(q, 10)] for q in qs)
        print(f"  top 10 (ids and scores) equal on the updated and the new shards: "
              f"{same}/{len(qs)} questions", flush=True)
    finally:
        for node in nodes + fresh_nodes:
            node.stop()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="100000")
    ap.add_argument("--workdir", type=Path, default=Path("/tmp/docbot-cluster-update"))
    ap.add_argument("--squad", type=Path, default=scale.SQUAD)
    ap.add_argument("--keep", action="store_true")
    ap.add_argument("--no-fresh", action="store_true",
                    help="skip building the updated documents anew (the first build's time is "
                    "what that costs) and the comparison of answers")
    args = ap.parse_args()
    sentences, questions = scale.squad(args.squad)
    args.workdir.mkdir(parents=True, exist_ok=True)
    try:
        for n in (int(x) for x in args.sizes.split(",")):
            bench_size(n, args.workdir, sentences, questions, not args.no_fresh)
    finally:
        if not args.keep:
            shutil.rmtree(args.workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
