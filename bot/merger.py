"""Merging an index's segments in the background of a long-running bot.

Each update the bot picks up becomes a small segment (index/search/segments.py, merged by index/search/merge.py); once a tier of the
merge policy is full, its segments are merged in a child process, not a thread: merging
analyzes the merged passages again in Python, which would hold the GIL the answers need. The
child publishes the merged generation atomically; the bot, which answered from the generation
it had all along, then opens the merged one and swaps it in.

    python -m bot.merger INDEX_DIR --data DATA_DIR [--all]

merges until no tier is full (--all: every segment into one) and prints one JSON line:
{"merges": N, "segments": [before, after], "seconds": S}.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from index.errors import DocbotError

ROOT = Path(__file__).resolve().parents[1]


def _segments():
    """The segment table, the merge policy and the merge, in one namespace."""
    from types import SimpleNamespace

    from index.search.merge import merge, tiers
    from index.search.segments import open_segments, segment_table

    return SimpleNamespace(merge=merge, tiers=tiers, open_segments=open_segments,
                           segment_table=segment_table)


def segment_count(index: Any) -> int:
    """How many segments an opened local index has (1 for a fresh build)."""
    manifest = getattr(index, "manifest", None)
    return len(_segments().segment_table(manifest)[0]) if manifest else 0


def merge_due(index: Any) -> bool:
    """Whether the merge policy would merge some of the index's segments now (a full tier)."""
    seg = _segments()
    manifest = getattr(index, "manifest", None)
    return bool(manifest) and bool(seg.tiers(seg.segment_table(manifest)[0]))


class BackgroundMerge:
    """One merge run in a child process: start it, answer questions meanwhile, then wait()."""

    def __init__(self, data_dir: Path, index_dir: Path, everything: bool = False) -> None:
        env = dict(os.environ)
        env["PYTHONPATH"] = str(ROOT) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "bot.merger", str(index_dir), "--data", str(data_dir),
             *(["--all"] if everything else [])],
            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    def running(self) -> bool:
        return self.proc.poll() is None

    def wait(self) -> dict:
        """What the merge did ({"merges", "segments", "seconds"}); DocbotError when it failed."""
        out, err = self.proc.communicate()
        if self.proc.returncode != 0:
            lines = (out.strip().splitlines() or err.strip().splitlines()
                     or [f"exit status {self.proc.returncode}"])
            raise DocbotError(f"merging segments failed: {lines[-1]}")
        return json.loads(out.strip().splitlines()[-1])

    def stop(self) -> None:
        """End the merge (the bot is stopping): its half-written generation is never published.
        Whoever waits in wait() sees it fail."""
        if self.running():
            self.proc.kill()


def run(data_dir: Path, index_dir: Path, everything: bool = False) -> dict:
    """Merge in this process (what the child does)."""
    from index.search.analyze import load_analyzer

    seg = _segments()
    t0 = time.perf_counter()
    analyzer = load_analyzer(data_dir)
    before = segment_count(seg.open_segments(index_dir, analyzer))
    merges = 0
    if everything:
        merges += bool(seg.merge(index_dir, analyzer, everything=True))
    else:
        while seg.merge(index_dir, analyzer):
            merges += 1
    after = segment_count(seg.open_segments(index_dir, analyzer))
    return {"merges": merges, "segments": [before, after], "seconds": time.perf_counter() - t0}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bot.merger", description=__doc__.splitlines()[0])
    ap.add_argument("index", type=Path)
    ap.add_argument("--data", type=Path, required=True)
    ap.add_argument("--all", action="store_true", help="merge every segment into one")
    args = ap.parse_args(argv)
    try:
        done = run(args.data, args.index, args.all)
    except DocbotError as e:
        print(str(e), flush=True)
        return 1
    print(json.dumps(done), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
