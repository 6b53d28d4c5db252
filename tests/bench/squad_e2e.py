"""SQuAD v1.1 dev end to end through `docbot ask --jsonl` (README's chunking, abstention on).

Each article is written as one document of a data folder (front matter title, paragraphs
separated by blank lines), indexed by `docbot index`, and every question is asked through the
CLI. Three runs, each chosen by --runs:

  full     all 48 articles indexed, all questions: R@1 (passage 1 lies in the question's own
           paragraph), Ans@3 (a gold answer occurs in a top-3 passage), share abstained.
  halves   the even-numbered 24 articles indexed; all questions asked. Questions about indexed
           articles must be answered, the others not. Articles 0, 1 mod 4 are the fitting half
           (what tests/bench/fit_evidence.py fits on), 2, 3 mod 4 the reporting half.
  bundled  every 5th SQuAD question asked of the bundled data/: the only right reply is
           "not in the documents" (status none: no passages, no facts); a "closest passages"
           reply (status closest) is counted apart.

    python tests/bench/squad_e2e.py [--runs full halves bundled] [--every N] [--shared DIR]
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def fold(text: str) -> str:
    return " ".join(text.casefold().split())


def write_articles(articles: list[dict], folder: Path) -> None:
    docs = folder / "docs"
    docs.mkdir(parents=True)
    for a in articles:
        title = a["title"].replace("_", " ")
        body = "\n\n".join(" ".join(p["context"].split()) for p in a["paragraphs"])
        (docs / f"{a['title']}.txt").write_text(f"---\ntitle: {json.dumps(title)}\n---\n{body}\n",
                                               encoding="utf-8")


def ask_all(data: Path, questions: list[str], k: int = 3) -> tuple[list[dict], float]:
    """Answers for the questions, through one `docbot ask --jsonl` process; seconds taken."""
    env = dict(os.environ, DOCBOT_INDEX=str(data.parent / f"index-{data.name}"))
    cmd, where = [sys.executable, "-m", "bot"], ["--data", str(data)]
    subprocess.run(cmd + ["index"] + where, check=True, env=env, cwd=ROOT, capture_output=True)
    t = time.perf_counter()
    out = subprocess.run(cmd + ["ask", "--jsonl", "-k", str(k)] + where, input="\n".join(questions) + "\n",
                         check=True, env=env, cwd=ROOT, capture_output=True, text=True)
    took = time.perf_counter() - t
    answers = [json.loads(line) for line in out.stdout.splitlines() if line.strip()]
    assert len(answers) == len(questions), (len(answers), len(questions), out.stderr[-500:])
    return answers, took


def gave_something(a: dict) -> bool:
    return bool(a["answered"] and (a["passages"] or a["facts"]))


def run_full(squad: list[dict], tmp: Path, every: int) -> None:
    data = tmp / "full"
    write_articles(squad, data)
    qs = [(qa["question"], fold(p["context"]), [fold(x["text"]) for x in qa["answers"]])
          for a in squad for p in a["paragraphs"] for qa in p["qas"]][::every]
    answers, took = ask_all(data, [q for q, _, _ in qs])
    r1 = ans3 = abstained = 0
    for (q, para, gold), a in zip(qs, answers):
        if not gave_something(a):
            abstained += 1
            continue
        texts = [fold(p["text"]) for p in a["passages"][:3]]
        r1 += bool(texts) and (texts[0] in para or para in texts[0])
        ans3 += any(g in t for g in gold for t in texts)
    n = len(qs)
    print(f"full: {n} questions, 48 articles: R@1 {r1 / n:.3f}  Ans@3 {ans3 / n:.3f}  "
          f"abstained {abstained / n:.1%}  ({took / n * 1000:.1f} ms/question)")


def run_halves(squad: list[dict], tmp: Path, every: int) -> None:
    data = tmp / "halves"
    write_articles([a for i, a in enumerate(squad) if i % 2 == 0], data)
    qs = [(i % 4, qa["question"]) for i, a in enumerate(squad) for p in a["paragraphs"]
          for qa in p["qas"]][::every]
    answers, _ = ask_all(data, [q for _, q in qs])
    for name, (indexed, other) in (("fitting half", (0, 1)), ("reporting half", (2, 3))):
        pos = [gave_something(a) for (g, _), a in zip(qs, answers) if g == indexed]
        neg = [gave_something(a) for (g, _), a in zip(qs, answers) if g == other]
        print(f"halves, {name}: answered {sum(pos) / len(pos):.1%} of {len(pos)} answerable, "
              f"{sum(neg) / len(neg):.1%} of {len(neg)} about articles not indexed")


def run_bundled(squad: list[dict], every: int) -> None:
    qs = [qa["question"] for a in squad for p in a["paragraphs"] for qa in p["qas"]][::every]
    with tempfile.TemporaryDirectory() as tmp:
        env = dict(os.environ, DOCBOT_INDEX=str(Path(tmp) / "index"))
        out = subprocess.run([sys.executable, "-m", "bot", "ask", "--jsonl", "--data",
                              str(ROOT / "data")], input="\n".join(qs) + "\n", check=True, env=env,
                             cwd=ROOT, capture_output=True, text=True)
    answers = [json.loads(line) for line in out.stdout.splitlines() if line.strip()]
    gave = sum(gave_something(a) for a in answers)
    facts = sum(bool(a["facts"]) for a in answers)
    none = sum(a.get("status", "none" if not a["answered"] else "answer") == "none" for a in answers)
    print(f"bundled: {len(answers)} SQuAD questions asked of data/: abstained "
          f"{1 - gave / len(answers):.1%} (answered {gave}, {facts} of them with facts); "
          f"status none {none / len(answers):.1%}, closest {(len(answers) - gave - none) / len(answers):.1%}")


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--shared", type=Path, default=ROOT.parent / "shared")
    ap.add_argument("--runs", nargs="+", default=["full", "halves", "bundled"],
                    choices=("full", "halves", "bundled"))
    ap.add_argument("--every", type=int, default=1, help="every n-th question (full, halves)")
    args = ap.parse_args(argv)
    squad = json.loads((args.shared / "bench/squad/dev-v1.1.json").read_text())["data"]
    with tempfile.TemporaryDirectory() as tmp:
        if "full" in args.runs:
            run_full(squad, Path(tmp), args.every)
        if "halves" in args.runs:
            run_halves(squad, Path(tmp), args.every)
    if "bundled" in args.runs:
        run_bundled(squad, 5)


if __name__ == "__main__":
    main()
