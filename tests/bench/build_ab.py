"""Whole index builds of two checkouts, interleaved, on scale.py's real corpus (prints figures,
asserts nothing): wall seconds, CPU seconds of the parent and of its workers, peak RSS; and
whether the two builds' files are byte for byte the same (the manifest's build entry aside).

    git archive main | (mkdir -p /tmp/main-tree && tar -x -C /tmp/main-tree)
    python tests/bench/build_ab.py --other /tmp/main-tree --sizes 100000 --rounds 2
    python tests/bench/build_ab.py --other /tmp/main-tree --sizes 1000000 --rounds 2

Each build is write_index in a fresh process (as scale.py times it), this checkout's and the
other's in turn, so a busy machine weighs on both alike; compare CPU seconds when it is busy.
Everything under --workdir is removed at the end unless --keep.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import scale  # noqa: E402

_CHILD = """
import json, os, sys, time
sys.path.insert(0, sys.argv[1])
from pathlib import Path
import index
assert index.__file__.startswith(sys.argv[1]), index.__file__
from index.search import build
t0, c0 = time.perf_counter(), time.process_time()
build.write_index(Path(sys.argv[2]), Path(sys.argv[3]))
wall, cpu = time.perf_counter() - t0, time.process_time() - c0
gen = Path(sys.argv[3]) / (Path(sys.argv[3]) / "CURRENT").read_text().strip()
manifest = json.loads((gen / "manifest.json").read_text(encoding="utf-8"))
kids = os.times()
print(json.dumps({"wall_s": wall, "parent_cpu_s": cpu,
                  "workers_cpu_s": kids.children_user + kids.children_system,
                  "peak_rss_mb": build.peak_rss_mb(),
                  "worker_peak_rss_mb": manifest["build"]["worker_peak_rss_mb"],
                  "chunks": manifest["n_chunks"]}))
"""


def build(code: Path, data: Path, index_dir: Path) -> dict:
    shutil.rmtree(index_dir, ignore_errors=True)
    out = subprocess.run([sys.executable, "-c", _CHILD, str(code), str(data), str(index_dir)],
                         capture_output=True, text=True, cwd=str(code))
    if out.returncode:
        raise SystemExit(f"build with {code} failed:\n{out.stderr[-2000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def differences(a: Path, b: Path) -> list[str]:
    """Files of the two indexes' generations that differ (the manifest compared without its
    build entry and the checksum that covers it)."""
    ga, gb = (i / (i / "CURRENT").read_text().strip() for i in (a, b))
    fa = {p.name for p in ga.iterdir()}
    fb = {p.name for p in gb.iterdir()}
    out = sorted(fa ^ fb)
    for name in sorted(fa & fb):
        da, db = (ga / name).read_bytes(), (gb / name).read_bytes()
        if da == db:
            continue
        if name == "manifest.json":
            ma, mb = json.loads(da), json.loads(db)
            for m in (ma, mb):
                m.pop("build", None)
                m.pop("checksum", None)
            if ma == mb:
                continue
        out.append(name)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--other", type=Path, required=True, help="the other checkout (e.g. main's)")
    ap.add_argument("--sizes", type=int, nargs="+", default=[100_000])
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--workdir", type=Path, default=Path("/tmp/docbot-build-ab"))
    ap.add_argument("--squad", type=Path, default=scale.SQUAD)
    ap.add_argument("--keep", action="store_true")
    args = ap.parse_args()
    trees = {"this": ROOT, "other": args.other.resolve()}
    try:
        sentences, _ = scale.squad(args.squad)
        for n in args.sizes:
            data = args.workdir / f"real-data-{n}"
            if not data.exists():
                scale.write_real_corpus(data, n, sentences)
            for r in range(args.rounds):
                for name in ("other", "this"):
                    load = os.getloadavg()[0]
                    f = build(trees[name], data, args.workdir / f"index-{name}")
                    workers = ", ".join(f"{x:.0f}" for x in f["worker_peak_rss_mb"]) or "-"
                    print(f"{n:,} passages ({f['chunks']:,} chunks), round {r + 1}, {name:5s}: "
                          f"{f['wall_s']:6.1f} s, CPU parent {f['parent_cpu_s']:5.1f} s + workers "
                          f"{f['workers_cpu_s']:6.1f} s, peak RSS {f['peak_rss_mb']:,.0f} MB "
                          f"(workers {workers}), load {load:.1f} before", flush=True)
            diff = differences(args.workdir / "index-other", args.workdir / "index-this")
            print(f"{n:,} passages: the two indexes' files "
                  + ("are byte for byte the same (the manifest's build entry aside)" if not diff
                     else f"differ: {', '.join(diff)}"), flush=True)
    finally:
        if not args.keep:
            shutil.rmtree(args.workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
