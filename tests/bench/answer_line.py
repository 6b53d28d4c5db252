"""How often docbot's direct answer (the JSON `answer`) holds the gold answer, on SQuAD v1.1 dev.

    python tests/bench/answer_line.py                 # all 10,570 questions
    python tests/bench/answer_line.py --limit 2000    # a quick run
    python tests/bench/answer_line.py --half fit      # the even articles' questions (rules are
    python tests/bench/answer_line.py --half report   # fitted on them; the odd ones report)

One document per SQuAD article (its paragraphs, in order, as a Markdown file), a data folder in
a temporary directory, and every question asked through the CLI (`docbot ask --jsonl`), as a
user's script would. Figures (SQuAD's normalisation: lower case, no punctuation, no articles,
single spaces):
  text ⊇ gold      the share of questions whose answer.text contains a gold answer
  sentence ⊇ gold  the share whose answer.sentence (the best sentence) contains one
  span EM / F1     over the span answers: exact match and token F1 against the best gold answer
  span ⊇ gold      the precision of span answers: the share holding a gold answer
by what the question asks for (date, number, name, place, other). An unanswered question counts as a
miss everywhere. Figures only: nothing is asserted.
"""
from __future__ import annotations

import argparse
import collections
import json
import re
import string
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from index.answering.asked import asks_for  # noqa: E402

SQUAD = ROOT.parent / "shared" / "bench" / "squad" / "dev-v1.1.json"


def normalize(text: str) -> str:
    """SQuAD v1.1's answer normalisation."""
    text = text.lower()
    text = "".join(ch for ch in text if ch not in set(string.punctuation))
    text = re.sub(r"\b(a|an|the)\b", " ", text)
    return " ".join(text.split())


def f1(prediction: str, gold: str) -> float:
    p, g = normalize(prediction).split(), normalize(gold).split()
    common = collections.Counter(p) & collections.Counter(g)
    same = sum(common.values())
    if same == 0:
        return 0.0
    precision, recall = same / len(p), same / len(g)
    return 2 * precision * recall / (precision + recall)


def build_data(squad: dict, folder: Path) -> list[tuple[str, list[str], int]]:
    """Write one Markdown document per article; the (question, gold answers, article number)
    in order."""
    docs = folder / "docs"
    docs.mkdir(parents=True)
    questions = []
    for n, article in enumerate(squad["data"]):
        title = article["title"].replace("_", " ")
        body = "\n\n".join(" ".join(p["context"].split()) for p in article["paragraphs"])
        (docs / f"a{n:03d}.md").write_text(f"---\ntitle: \"{title}\"\n---\n\n{body}\n")
        for p in article["paragraphs"]:
            for qa in p["qas"]:
                questions.append((" ".join(qa["question"].split()),
                                  [a["text"] for a in qa["answers"]], n))
    return questions


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--squad", type=Path, default=SQUAD)
    ap.add_argument("--limit", type=int, default=0, help="only the first N questions")
    ap.add_argument("--half", choices=("fit", "report"),
                    help="only the questions of the even (fit) or odd (report) articles; every "
                    "article is indexed either way")
    ap.add_argument("--dump", type=Path, help="write every question's answer here, one JSON "
                    "object per line (question, status, message, kind, text, sentence, golds, held)")
    ap.add_argument("--misses", type=Path, help="write the span answers without a gold answer "
                    "here, one JSON object per line (question, span, sentence, golds)")
    args = ap.parse_args()
    misses, dump = [], []
    squad = json.loads(args.squad.read_text())
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "data"
        questions = build_data(squad, data)
        if args.half:
            parity = 0 if args.half == "fit" else 1
            questions = [q for q in questions if q[2] % 2 == parity]
        if args.limit:
            questions = questions[: args.limit]
        t0 = time.perf_counter()
        proc = subprocess.run(
            [sys.executable, "-m", "bot", "ask", "--jsonl", "--data", str(data), "--index",
             str(Path(tmp) / "index")], input="\n".join(q for q, _, _ in questions) + "\n",
            capture_output=True, text=True, cwd=ROOT)
        took = time.perf_counter() - t0
    if proc.returncode != 0:
        sys.exit(f"docbot ask failed: {proc.stderr[-2000:]}")
    answers = [json.loads(line) for line in proc.stdout.splitlines() if line.strip()]
    assert len(answers) == len(questions), (len(answers), len(questions))
    rows: dict[str, collections.Counter] = collections.defaultdict(collections.Counter)
    for (question, golds, _), out in zip(questions, answers):
        wants = asks_for(question)
        a = out.get("answer")
        if args.dump:
            dump.append({"question": question, "wants": wants, "golds": golds,
                         "status": out.get("status"), "message": out.get("message"),
                         "kind": a and a["kind"], "text": a and a["text"],
                         "sentence": a and a["sentence"],
                         "held": bool(a) and any(normalize(g) and normalize(g) in
                                                 normalize(a["text"]) for g in golds)})
        for group in ("all", wants):
            r = rows[group]
            r["n"] += 1
            a = out.get("answer")
            if not a:
                continue
            r["k_" + a["kind"]] += 1
            gold_n = [normalize(g) for g in golds]
            if any(g and g in normalize(a["text"]) for g in gold_n):
                r["text"] += 1
            if any(g and g in normalize(a["sentence"]) for g in gold_n):
                r["sentence"] += 1
            if a["kind"] == "span":
                r["em"] += max(normalize(a["text"]) == g for g in gold_n)
                r["f1"] += max(f1(a["text"], g) for g in golds)
                held = any(g and g in normalize(a["text"]) for g in gold_n)
                r["span_right"] += held
                if not held and group == "all":
                    misses.append({"question": question, "span": a["text"],
                                   "sentence": a["sentence"], "golds": golds})
    print(f"SQuAD v1.1 dev, {len(questions):,} questions, {len(squad['data'])} documents, "
          f"through `docbot ask --jsonl` ({took:.0f} s)")
    print(f"{'asks for':<8} {'n':>6} {'answered':>8} {'fact':>6} {'span':>6} {'sentence':>8} "
          f"{'text⊇gold':>9} {'sent⊇gold':>9} {'span EM':>7} {'span F1':>7} {'span⊇gold':>9}")
    for group in ("all", "date", "number", "name", "place", "other"):
        r = rows[group]
        if not r["n"]:
            continue
        n, spans = r["n"], r["k_span"]
        answered = r["k_fact"] + r["k_span"] + r["k_sentence"]
        print(f"{group:<8} {n:>6,} {answered / n:>8.3f} {r['k_fact']:>6,} {spans:>6,} "
              f"{r['k_sentence']:>8,} {r['text'] / n:>9.3f} {r['sentence'] / n:>9.3f} "
              f"{(r['em'] / spans if spans else 0):>7.3f} {(r['f1'] / spans if spans else 0):>7.3f} "
              f"{(r['span_right'] / spans if spans else 0):>9.3f}")
    for path, rows_out in ((args.misses, misses), (args.dump, dump)):
        if path:
            path.write_text("".join(json.dumps(m, ensure_ascii=False) + "\n" for m in rows_out))


if __name__ == "__main__":
    main()
