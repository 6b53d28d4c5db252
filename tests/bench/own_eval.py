"""How often docbot is right on a user's own documents (tests/dev/own_questions.yaml).

The documents are real documentation from Debian packages (a DocBook HTML manual, two
Texinfo PDF manuals, a plain-text FAQ), copied at run time from where the packages install
them into a temporary data folder and read whole; nothing is copied into the repository.
Scoring is dev_eval.py's, with its helpers: an answerable question is right when docbot
answers and a gold string is in the answer line, a shown fact or the top-k passages; a near
miss (kind unanswerable) is right when it is not answered (status none or closest); the
answer line holds the asked value (date/number/person questions); the precision of value
answer lines shown (spans and facts, on any question). Split a is the one rules may be
fitted on; report split b. Split c was written later, from the documents alone and blind to the
rules, and is held out like b (rules are fitted on a only). --split both is a and b (as before
split c existed), all is every split.

    python tests/bench/own_eval.py [--split a|b|c|both|all] [-k 3] [--show]
"""
from __future__ import annotations

import argparse
import gzip
import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections import Counter, defaultdict
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from dev_eval import Tally, is_right, line_right, reply_kind, value_line  # noqa: E402
from index.answering.answer import Answerer  # noqa: E402

QUESTIONS = ROOT / "tests/dev/own_questions.yaml"

# name in docs/ -> (Debian package, installed file); a .gz is decompressed on the way
DOCUMENTS: dict[str, tuple[str, Path]] = {
    "bzip2-manual.html": ("bzip2-doc", Path("/usr/share/doc/bzip2/manual.html")),
    "libtasn1.pdf": ("libtasn1-doc", Path("/usr/share/doc/libtasn1-doc/libtasn1.pdf")),
    "libidn2.pdf": ("libidn2-doc", Path("/usr/share/doc/libidn2-doc/libidn2.pdf")),
    "xz-faq.txt": ("xz-utils", Path("/usr/share/doc/xz-utils/faq.txt.gz")),
}


def missing_documents() -> list[str]:
    """The packages whose document is not installed here."""
    return sorted({pkg for pkg, src in DOCUMENTS.values() if not src.is_file()})


def build_data(dest: Path) -> Path:
    """A data folder dest/docs/ holding the documents; exits with one line when one is missing."""
    missing = missing_documents()
    if missing:
        sys.exit(f"own_eval: documents not installed — run: apt-get install -y {' '.join(missing)}")
    docs = dest / "docs"
    docs.mkdir(parents=True, exist_ok=True)
    for name, (_, src) in DOCUMENTS.items():
        if src.suffix == ".gz":
            with gzip.open(src, "rb") as fin, (docs / name).open("wb") as fout:
                shutil.copyfileobj(fin, fout)
        else:
            shutil.copyfile(src, docs / name)
    return dest


def load(split: str) -> list[dict]:
    cases = yaml.safe_load(QUESTIONS.read_text(encoding="utf-8"))
    wanted = {"both": ("a", "b"), "all": ("a", "b", "c")}.get(split, (split,))
    return [c for c in cases if c["split"] in wanted]


def kept_shares(data: Path, index_root: Path) -> list[dict]:
    """`docbot docs --json` on the folder: passages and the share of its text each document kept."""
    env = dict(os.environ, DOCBOT_INDEX=str(index_root / "cli-index"))
    out = subprocess.run([sys.executable, "-m", "bot.cli", "docs", "--json", "--data", str(data)],
                         cwd=ROOT, env=env, capture_output=True, text=True, check=True).stdout
    return [json.loads(line) for line in out.splitlines() if line.strip()]


def pct(oks: list[bool]) -> str:
    return f"{sum(oks) / max(1, len(oks)):.1%} of {len(oks)}"


def report(split: str, rows: list[tuple[dict, object]], k: int) -> None:
    tally = Tally()
    near: Counter[str] = Counter()
    for case, answer in rows:
        tally.add(case, answer)
        if not case["answer"]:
            near[reply_kind(answer)] += 1
    answerable, lines, shown = tally.answerable, tally.lines, tally.shown
    misses = tally.right.get("unanswerable", [])
    tally.print_kinds(split, k)
    print(f"answerable right: {pct(answerable)}")
    print(f"near misses not answered: {sum(misses)} of {len(misses)} "
          f"(none {near['none']}, closest {near['closest']}, answered {near['answer']})")
    print(f"answer line holds the asked date/number/person: {pct(lines)}")
    print(f"value answer lines shown right (precision): {pct(shown)}")


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--split", choices=("a", "b", "c", "both", "all"), default="both")
    ap.add_argument("-k", type=int, default=3)
    ap.add_argument("--show", action="store_true", help="print every wrong answer")
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        data = build_data(Path(tmp) / "data")
        for doc in kept_shares(data, Path(tmp)):
            print(f"read {doc['path']}: {doc['chunks']} passages, kept {doc['kept']:.1%} of its text")
        answerer = Answerer.open(data, Path(tmp) / "index")
        by_split: dict[str, list] = defaultdict(list)
        for case in load(args.split):
            answer = answerer.ask(case["q"], k=args.k)
            by_split[case["split"]].append((case, answer))
            if not args.show:
                continue
            line = value_line(answer)
            if reply_kind(answer) == "answer" and line is not None and not line_right(case, answer):
                print(f"LINE [{case['split']} {case['kind']}] {case['q']}\n"
                      f"   gold {case['answer']}  line: {line}")
            if not is_right(case, answer):
                top = answer.passages[0].highlight.sentence[:150] if answer.passages else "-"
                print(f"WRONG [{case['split']} {case['kind']}] {case['q']}\n   gold {case['answer']}"
                      f"  status={reply_kind(answer)} line={line!r}\n   top: {top}")
    for split in sorted(by_split):
        print()
        report(split, by_split[split], args.k)


if __name__ == "__main__":
    main()
