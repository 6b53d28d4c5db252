"""Fit the evidence rule (index/answering/evidence.py) on labelled questions and print its coefficients.

Fitting data (never the reported halves):
  - SQuAD dev, the even articles indexed (README's chunking): questions of articles 0 mod 4
    are answerable, of articles 1 mod 4 not (squad_e2e.py reports articles 2, 3 mod 4);
  - SQuAD questions of articles 0, 1 mod 4 asked of the bundled data/ (never answerable);
  - split a of tests/dev/questions.yaml (its unanswerable ones are labelled 0).
Each source weighs the same, and within a source both labels weigh the same. The model is a
logistic regression (Newton's method, a little L2); the threshold printed is the one with the
best mean over the sources of the share of questions decided right (answered when
answerable, abstained when not); each threshold's Youden mean is printed beside it.

    python tests/bench/fit_evidence.py [--every 2]
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

import numpy as np
import yaml

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "bench"))

from squad_e2e import write_articles  # noqa: E402
from index.answering import evidence  # noqa: E402
from index.answering.answer import Answer, Answerer  # noqa: E402


def feature_rows(answerer: Answerer, questions: list[str]) -> np.ndarray:
    rows = []
    for text in questions:
        q = answerer.query(text)
        if isinstance(q, Answer):
            rows.append(None)
            continue
        ranked = answerer.rank(q)
        # the rule judges the best passage that meets the question's constraints; when none
        # does, the constraints decide the row (it is not answered), not the model
        meeting = [r for r in ranked if r.check.passes]
        ranked = meeting + [r for r in ranked if not r.check.passes]
        ev = answerer.judge(q, ranked)
        # last column: the gates before the model or the constraints decide the row, not the model
        rows.append([ev.features[f] for f in evidence.FEATURES]
                    + [float(evidence.gated(ev.features) or not meeting)]
                    if ev else None)
    width = len(evidence.FEATURES) + 1
    return np.asarray([r if r is not None else [0.0] * width for r in rows], dtype=np.float64)


def logistic(x: np.ndarray, y: np.ndarray, w: np.ndarray, l2: float = 1e-3) -> np.ndarray:
    """Weighted logistic regression by Newton's method; x gets a leading column of ones."""
    x1 = np.hstack([np.ones((len(x), 1)), x])
    beta = np.zeros(x1.shape[1])
    for _ in range(50):
        p = 1 / (1 + np.exp(-np.clip(x1 @ beta, -50, 50)))
        grad = x1.T @ (w * (p - y)) + l2 * np.r_[0, beta[1:]]
        hess = (x1 * (w * p * (1 - p))[:, None]).T @ x1 + l2 * np.diag(np.r_[0, np.ones(len(beta) - 1)])
        step = np.linalg.solve(hess, grad)
        beta -= step
        if np.abs(step).max() < 1e-8:
            break
    return beta


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--shared", type=Path, default=ROOT.parent / "shared")
    ap.add_argument("--every", type=int, default=2, help="every n-th SQuAD question")
    args = ap.parse_args(argv)
    squad = json.loads((args.shared / "bench/squad/dev-v1.1.json").read_text())["data"]
    sources = []  # (name, x, y)
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "halves"
        write_articles([a for i, a in enumerate(squad) if i % 2 == 0], data)
        answerer = Answerer.open(data, Path(tmp) / "index-halves")
        qs = [(i % 4, qa["question"]) for i, a in enumerate(squad) for p in a["paragraphs"]
              for qa in p["qas"] if i % 4 in (0, 1)][:: args.every]
        sources.append(("SQuAD halves", feature_rows(answerer, [q for _, q in qs]),
                        np.asarray([g == 0 for g, _ in qs], dtype=np.float64)))
        bundled = Answerer.open(ROOT / "data", Path(tmp) / "index-data")
        off = [qa["question"] for i, a in enumerate(squad) for p in a["paragraphs"]
               for qa in p["qas"] if i % 4 in (0, 1)][::5]
        sources.append(("SQuAD asked of data/", feature_rows(bundled, off), np.zeros(len(off))))
        dev = [c for c in yaml.safe_load((ROOT / "tests/dev/questions.yaml").read_text())
               if c["split"] == "a"]
        sources.append(("dev split a", feature_rows(bundled, [c["q"] for c in dev]),
                        np.asarray([bool(c["answer"]) for c in dev], dtype=np.float64)))
    # rows the gates before the model or the constraints decide are left out of the fit and
    # count as abstentions below
    gated = {name: x[:, -1] > 0 for name, x, _ in sources}
    for name, x, y in sources:
        pos = f"{gated[name][y == 1].mean():.1%}" if (y == 1).any() else "-"
        print(f"{name}: gates and constraints abstain on {pos} of the answerable, "
              f"{gated[name][y == 0].mean():.1%} of the others")
    sources = [(name, x[:, :-1], y) for name, x, y in sources]
    xs, ys, ws = [], [], []
    for name, x, y in sources:
        keep = ~gated[name]
        x, y = x[keep], y[keep]
        w = np.empty(len(y))
        for label in (0.0, 1.0):
            sel = y == label
            if sel.any():
                w[sel] = 1.0 / (2 * sel.sum()) if (~sel).any() else 1.0 / sel.sum()
        xs.append(x), ys.append(y), ws.append(w / len(sources))
    x, y, w = np.vstack(xs), np.concatenate(ys), np.concatenate(ws) * len(np.concatenate(ys))
    mu, sd = x.mean(0), x.std(0) + 1e-9
    beta = logistic((x - mu) / sd, y, w)
    coef = beta[1:] / sd
    intercept = beta[0] - (coef * mu).sum()

    def prob(xx, name):
        return np.where(gated[name], 0.0, 1 / (1 + np.exp(-(intercept + xx @ coef))))

    print("COEF = {" + ", ".join(f'"{n}": {c:.4f}' for n, c in zip(evidence.FEATURES, coef)) + "}")
    print(f"INTERCEPT = {intercept:.4f}")
    def youden(t: float) -> float:
        """Mean over the sources of (answerable answered - unanswerable answered)."""
        vals = []
        for name, xx, yy in sources:
            p = prob(xx, name)
            tp = (p[yy == 1] >= t).mean() if (yy == 1).any() else 1.0
            vals.append(tp - (p[yy == 0] >= t).mean())
        return float(np.mean(vals))

    def right(t: float) -> float:
        """Mean over the sources of the share of its questions decided right."""
        vals = []
        for name, xx, yy in sources:
            p = prob(xx, name)
            vals.append(float(((p >= t) == (yy == 1)).mean()))
        return float(np.mean(vals))

    chosen = max(np.arange(0.05, 0.96, 0.01), key=right)
    print(f"{'threshold':>9}" + "".join(f"{name + ' +/-':>28}" for name, _, _ in sources)
          + f"{'right':>10}{'youden':>8}")
    for t in sorted({round(chosen, 2), evidence.THRESHOLD, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7}):
        cells = []
        for name, xx, yy in sources:
            p = prob(xx, name)
            tp = (p[yy == 1] >= t).mean() if (yy == 1).any() else float("nan")
            fp = (p[yy == 0] >= t).mean() if (yy == 0).any() else float("nan")
            cells.append(f"{tp:>13.3f} {fp:>13.3f} ")
        cells.append(f"{right(t):>9.3f} {youden(t):>7.3f}")
        mark = ("  <- most right" if abs(t - chosen) < 1e-9 else "") + (
            "  <- in use" if abs(t - evidence.THRESHOLD) < 1e-9 else "")
        print(f"{t:>9.2f}" + "".join(cells) + mark)
    print(f"THRESHOLD = {chosen:.2f}")
    # the model in use, on the same rows: what a refit has to beat
    used = np.asarray([evidence.COEF.get(n, 0.0) for n in evidence.FEATURES])
    cells, rights = [], []
    for name, xx, yy in sources:
        p = np.where(gated[name], 0.0, 1 / (1 + np.exp(-(evidence.INTERCEPT + xx @ used))))
        answered = p >= evidence.THRESHOLD
        tp = answered[yy == 1].mean() if (yy == 1).any() else float("nan")
        fp = answered[yy == 0].mean() if (yy == 0).any() else float("nan")
        cells.append(f"{tp:>13.3f} {fp:>13.3f} ")
        rights.append(float((answered == (yy == 1)).mean()))
    print(f"{'in use':>9}" + "".join(cells) + f"{np.mean(rights):>9.3f}")


if __name__ == "__main__":
    main()
