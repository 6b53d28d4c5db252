"""Near misses made from SQuAD v1.1 dev: how often docbot declines a question whose year or name
was changed to another its article says elsewhere, beside how often it answers the question as
asked.

All 48 articles are indexed, one document each (as tests/bench/answer_line.py does). For every
question that names a year, a near miss asks it of another year the same article says, outside
the question's paragraph (the nearest such year: 1995 becomes 1993, not 1066); for every
question that names someone or something (a capitalised word that is not the question's
first), of another name the article says at least twice, outside the question's paragraph,
of as many words. The article stays on the subject, the paragraph that answered no longer
does: what a user who misremembers a year or a person asks. Some near misses are answered by
another paragraph all the same (the other person did it too), so no figure here reaches 100 %;
compare two versions of docbot on the same questions.

With --source dev the same is done to the answerable questions of tests/dev/questions.yaml
asked of the bundled data/ (--split a is the one to fit on; b and c report): the paragraph is
the one holding the question's evidence, the article its document.

Figures per half (even-numbered articles: the fitting half; odd: the reporting half):
  asked as written   answered (status answer), and answered with a gold answer in the answer
                     line or the top 3 passages
  year changed       declined (status closest or none)
  name changed       declined

    python tests/bench/near_miss.py [--half fit|report|both] [--every N] [--dump FILE]
    python tests/bench/near_miss.py --source dev [--split a|b|c] [--dump FILE]
"""
from __future__ import annotations

import argparse
import json
import random
import re
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "bench"))

from squad_e2e import fold, write_articles  # noqa: E402

from index.answering.answer import Answerer  # noqa: E402

SQUAD = ROOT.parent / "shared" / "bench" / "squad" / "dev-v1.1.json"
YEAR_RE = re.compile(r"\b(1[0-9]{3}|20[0-9]{2})\b")
# a name: capitalised words in a row (with 'of', 'the' between) after a word in lower case,
# ending before one (not a part of 'Super Bowl 50'); a possessive is not the name's
NAME_RE = re.compile(r"(?<=[a-z,;:] )[A-Z][\w.-]*(?: (?:of |the |de )?[A-Z][\w.-]*)*"
                     r"(?=(?:['’]s)?(?: [a-z]|[,;:?.]|$))")
NAME_MIN_SAID = 2
# capitalised words that name no one and nothing a near miss could ask of instead
NOT_NAMES = frozenset("""January February March April May June July August September October
November December Monday Tuesday Wednesday Thursday Friday Saturday Sunday I The A An In On At
This That These Those It He She They We""".split())


def year_variant(question: str, article: str, paragraph: str, golds: list[str]) -> str | None:
    """The question asked of the nearest other year its article says outside its paragraph."""
    m = YEAR_RE.search(question)
    if m is None:
        return None
    year = int(m.group(1))
    here = set(map(int, YEAR_RE.findall(paragraph))) | {year}
    others = {int(y) for y in YEAR_RE.findall(article)} - here
    others = {y for y in others if not any(str(y) in g for g in golds)}
    if not others:
        return None
    new = min(others, key=lambda y: (abs(y - year), y))
    return question[:m.start()] + str(new) + question[m.end():]


def name_variant(question: str, names: dict[int, list[str]], paragraph: str,
                 golds: list[str], rng: random.Random) -> str | None:
    """The question asked of another name of as many words its article says often, outside
    its paragraph."""
    found = [m for m in NAME_RE.finditer(question)
             if not YEAR_RE.fullmatch(m.group(0)) and m.group(0) not in NOT_NAMES]
    if not found:
        return None
    m = found[0]
    n = len(m.group(0).split())
    pool = [x for x in names.get(n, []) if x not in paragraph and x not in question
            and not any(x.casefold() in g.casefold() for g in golds)]
    if not pool:
        return None
    return question[:m.start()] + rng.choice(pool) + question[m.end():]


def article_names(text: str) -> dict[int, list[str]]:
    """Names said at least NAME_MIN_SAID times in an article, by their count of words."""
    counts: dict[str, int] = {}
    for m in NAME_RE.finditer(text):
        counts[m.group(0)] = counts.get(m.group(0), 0) + 1
    out: dict[int, list[str]] = {}
    for name, c in sorted(counts.items()):
        if c >= NAME_MIN_SAID and not YEAR_RE.fullmatch(name) and name not in NOT_NAMES:
            out.setdefault(len(name.split()), []).append(name)
    return out


def cases(squad: list[dict], half: str, every: int) -> list[dict]:
    rng = random.Random(7)
    out = []
    for i, art in enumerate(squad):
        if half != "both" and (i % 2 == 0) != (half == "fit"):
            continue
        text = "\n".join(p["context"] for p in art["paragraphs"])
        names = article_names(text)
        for p in art["paragraphs"]:
            for qa in p["qas"]:
                golds = [x["text"] for x in qa["answers"]]
                q = qa["question"].strip()
                out.append({"q": q, "kind": "asked", "golds": golds})
                y = year_variant(q, text, p["context"], golds)
                if y is not None:
                    out.append({"q": y, "kind": "year", "of": q})
                n = name_variant(q, names, p["context"], golds, rng)
                if n is not None:
                    out.append({"q": n, "kind": "name", "of": q})
    return out[::every]


def dev_cases(split: str) -> list[dict]:
    """Near misses made from the answerable dev questions of a split, as cases() makes them."""
    import yaml

    rng = random.Random(7)
    out = []
    texts: dict[str, str] = {}
    for c in yaml.safe_load((ROOT / "tests" / "dev" / "questions.yaml").read_text()):
        if c["split"] != split or not c.get("answer") or not c.get("evidence"):
            continue
        doc = c["doc"]
        if doc not in texts:
            texts[doc] = (ROOT / "data" / "docs" / f"{doc}.txt").read_text(encoding="utf-8")
        text = texts[doc]
        paragraph = next((p for p in text.split("\n\n") if c["evidence"] in p), c["evidence"])
        golds = c["answer"] if isinstance(c["answer"], list) else [c["answer"]]
        q = c["q"].strip()
        out.append({"q": q, "kind": "asked", "golds": golds})
        y = year_variant(q, text, paragraph, golds)
        if y is not None:
            out.append({"q": y, "kind": "year", "of": q})
        n = name_variant(q, article_names(text), paragraph, golds, rng)
        if n is not None:
            out.append({"q": n, "kind": "name", "of": q})
    return out


def shown(a) -> str:
    parts = [a.direct.text] if a.direct is not None else []
    parts += [p.hit.chunk.text for p in a.passages[:3]]
    return fold(" ".join(parts))


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--squad", type=Path, default=SQUAD)
    ap.add_argument("--half", choices=("fit", "report", "both"), default="fit")
    ap.add_argument("--source", choices=("squad", "dev"), default="squad")
    ap.add_argument("--split", choices=("a", "b", "c"), default="a",
                    help="with --source dev: the dev split whose questions are changed")
    ap.add_argument("--every", type=int, default=1, help="every n-th case")
    ap.add_argument("--dump", type=Path, help="write each case and its reply here (JSON lines)")
    args = ap.parse_args(argv)
    if args.source == "dev":
        todo = dev_cases(args.split)[::args.every]
    else:
        squad = json.loads(args.squad.read_text())["data"]
        todo = cases(squad, args.half, args.every)
    with tempfile.TemporaryDirectory() as tmp:
        if args.source == "dev":
            data = ROOT / "data"
        else:
            data = Path(tmp) / "squad"
            write_articles(squad, data)
        answerer = Answerer.open(data, Path(tmp) / "index")
        tally: dict[str, list[int]] = {}
        dump = args.dump.open("w") if args.dump else None
        for c in todo:
            a = answerer.ask(c["q"])
            t = tally.setdefault(c["kind"], [0, 0, 0])
            t[0] += 1
            if c["kind"] == "asked":
                t[1] += a.status == "answer"
                t[2] += a.status == "answer" and any(fold(g) in shown(a) for g in c["golds"])
            else:
                t[1] += a.status != "answer"
            if dump:
                dump.write(json.dumps({**c, "status": a.status,
                                       "line": a.direct.text if a.direct else None}) + "\n")
        if dump:
            dump.close()
    n, answered, right = tally.get("asked", [0, 0, 0])
    label = f"dev split {args.split}" if args.source == "dev" else f"{args.half} half"
    print(f"{label}: {n} questions as written: answered {answered / max(1, n):.1%}, "
          f"with a gold answer shown {right / max(1, n):.1%}")
    for kind in ("year", "name"):
        n, declined, _ = tally.get(kind, [0, 0, 0])
        print(f"  {kind} changed: {n} near misses, declined {declined / max(1, n):.1%}")


if __name__ == "__main__":
    main()
