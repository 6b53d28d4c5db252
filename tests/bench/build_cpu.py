"""CPU time a build worker spends per chunk, by stage, on scale.py's real corpus (prints figures,
asserts nothing). CPU seconds of this process, not wall time: on a shared machine they move far
less with the load than a build's seconds do.

    python tests/bench/build_cpu.py                 # 4 documents (~21,000 chunks) after 4 warm-up ones
    python tests/bench/build_cpu.py --docs 8 --rounds 3
    python tests/bench/build_cpu.py --code /tmp/main-tree   # another checkout's code, same corpus

One worker's analysis (index/search/build.py's _Analysis.run, as in a parallel build): a run of
documents warms its term table as a worker's first task does, then each round times the next
run. Stages are timed around the functions the run calls; they nest as indented.
"""
from __future__ import annotations

import argparse
import gc
import shutil
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# the checkout whose code is timed (--code), on the path before anything imports index
CODE = (Path(sys.argv[sys.argv.index("--code") + 1]).resolve()
        if "--code" in sys.argv[:-1] else ROOT)
sys.path.insert(0, str(CODE))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from index.reading import corpus  # noqa: E402  (before scale, which puts this checkout first)
from index.search import analyze, build, tokens  # noqa: E402
from index.search.analyze import load_analyzer  # noqa: E402
import scale  # noqa: E402

assert corpus.__file__.startswith(str(CODE)), corpus.__file__
STAGES = [(build, "load_document", "read + chunk"), (corpus, "chunk_document", "  chunk"),
          (build, "account", "text accounting"), (build, "_record_lines", "chunk record JSON"),
          (build, "text_tokens", "analysis"), (analyze.TermIds, "tokens", "  tokens"),
          (tokens, "_with_sentences", "  sentences + arrays"),
          (tokens, "sentence_arrays", "    sentence splitting")]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--docs", type=int, default=4, help="documents (5,000 passages each) per run")
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--squad", type=Path, default=scale.SQUAD)
    ap.add_argument("--code", type=Path, default=ROOT,
                    help="the checkout whose build code is timed (default: this one)")
    args = ap.parse_args()
    print(f"code: {CODE}")
    work = Path(tempfile.mkdtemp(prefix="docbot-build-cpu-"))
    try:
        sentences, _ = scale.squad(args.squad)
        data = work / "data"
        runs = 1 + args.rounds
        scale.write_real_corpus(data, runs * args.docs * scale.PASSAGES_PER_REAL_DOC, sentences)
        paths = corpus.doc_paths(data)
        spent: dict[str, float] = defaultdict(float)
        for module, name, label in STAGES:
            setattr(module, name, _timed(getattr(module, name), label, spent))
        gc.disable()  # as in a worker
        getattr(build, "_keep_freed_memory", lambda: None)()  # as in a worker, where it exists
        analysis = build._Analysis(load_analyzer(data).aliases)
        for r in range(runs):
            spent.clear()
            run = paths[r * args.docs : (r + 1) * args.docs]
            t0 = time.process_time()
            batch = analysis.run(r, run, data / "docs", work / f"chunks-{r}.jsonl")
            cpu = time.process_time() - t0
            n = len(batch.ids)
            what = "warm-up (term table filling)" if r == 0 else f"round {r}"
            print(f"{what}: {n:,} chunks, {cpu:.2f} CPU s, {cpu / n * 1e6:.1f} us per chunk")
            if r:
                for _, _, label in STAGES:
                    print(f"    {label:26s} {spent[label] / n * 1e6:6.1f} us per chunk")
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _timed(f, label: str, spent: dict[str, float]):
    def timed(*a, **k):
        t0 = time.process_time()
        try:
            return f(*a, **k)
        finally:
            spent[label] += time.process_time() - t0
    return timed


if __name__ == "__main__":
    main()
