"""PDF benchmark: a 500-page PDF made by groff and ghostscript, read and indexed (prints
figures, asserts nothing).

    python tests/bench/pdf_build.py                 # 500 pages
    python tests/bench/pdf_build.py --pages 2000

The document is generated deterministically as groff -ms source (numbered sections, justified
and hyphenated paragraphs of 60-160 words from a 20,000-word vocabulary, a footnote every few
paragraphs, running headers and page numbers), turned into PDF by `groff -Tps | ps2pdf` (Debian
packages groff and ghostscript), then:

- read: load_document (PDFium characters -> lines -> blocks -> passages with pages), in this
  process, best of 3;
- index: `docbot index` in a fresh process on a data folder holding only that PDF (reading,
  chunking, analyzing, inverting and writing the index), wall time;
- re-index after touching an unrelated .txt in the folder (the PDF is not read again).
"""
from __future__ import annotations

import argparse
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))


def source(pages: int, seed: int = 7) -> str:
    rng = random.Random(seed)
    syll = ["ka", "lo", "mi", "ne", "sta", "ver", "dun", "holm", "ar", "bek", "tor", "vik", "ul",
            "sen", "rak", "fjo", "mar", "lin", "gar", "ost"]
    vocab = sorted({"".join(rng.choice(syll) for _ in range(rng.randint(1, 4))) for _ in range(30000)})
    common = "the of and to in a was for on with by as at from that which".split()
    out = [".nr PS 11", ".nr VS 13", ".ds LH Benchmark report", ".ds CH", ".ds RH Draft",
           ".ds CF \\- % \\-", ".TL", "A generated report of %d pages" % pages, ".AU", "docbot"]
    # about 4.45 paragraphs of ~110 words (with headings and notes) fill a page at 11 pt
    for i in range(int(pages * 4.45)):
        if i % 12 == 0:
            out += [".NH", f"Section {i // 12 + 1} {rng.choice(vocab).capitalize()}"]
        words = []
        for _ in range(rng.randint(60, 160)):
            words.append(rng.choice(common) if rng.random() < 0.35 else rng.choice(vocab))
        words[0] = words[0].capitalize()
        text = " ".join(words) + "."
        out += [".PP", text]
        if i % 5 == 2:
            out += ["\\**", ".FS", f"Note on paragraph {i + 1}: {' '.join(rng.sample(vocab, 12))}.", ".FE"]
    return "\n".join(out) + "\n"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pages", type=int, default=500)
    ap.add_argument("--workdir", type=Path, default=None)
    args = ap.parse_args()
    for tool in ("groff", "ps2pdf"):
        if shutil.which(tool) is None:
            sys.exit(f"{tool} is needed: apt-get install groff ghostscript")
    work = args.workdir or Path(tempfile.mkdtemp(prefix="docbot-pdf-"))
    docs = work / "data" / "docs"
    docs.mkdir(parents=True, exist_ok=True)
    pdf = docs / "report.pdf"
    t = time.perf_counter()
    ps = subprocess.run(["groff", "-ms", "-Tps"], input=source(args.pages).encode(),
                        capture_output=True, check=True).stdout
    subprocess.run(["ps2pdf", "-", str(pdf)], input=ps, check=True)
    made = time.perf_counter() - t

    from index.reading.corpus import load_document

    best = cpu = None
    for _ in range(3):
        t, c = time.perf_counter(), time.process_time()
        doc = load_document(pdf, docs)
        best = min(best or 1e9, time.perf_counter() - t)
        cpu = min(cpu or 1e9, time.process_time() - c)
    pages = len(doc.page_starts)
    (docs / "other.txt").write_text("Another document.\n\nIt is short.\n", encoding="utf-8")
    index = work / "index"
    cmd = [sys.executable, "-m", "bot", "index", "--data", str(work / "data"), "--index", str(index)]
    t = time.perf_counter()
    subprocess.run(cmd, check=True, cwd=ROOT, capture_output=True)
    built = time.perf_counter() - t
    (docs / "other.txt").write_text("Another document, changed.\n\nIt is short.\n", encoding="utf-8")
    ask = [sys.executable, "-m", "bot", "ask", "section", "--data", str(work / "data"), "--index", str(index)]
    t = time.perf_counter()
    subprocess.run(ask, check=True, cwd=ROOT, capture_output=True)
    again = time.perf_counter() - t
    print(f"PDF: {pages} pages, {pdf.stat().st_size / 1e6:.1f} MB, {len(doc.chunks):,} passages, "
          f"{len(doc.notes)} footnotes (made by groff+ps2pdf in {made:.1f} s)")
    print(f"read (load_document, best of 3): {best:.2f} s wall, {cpu:.2f} s CPU = "
          f"{pages / cpu:,.0f} pages per CPU second")
    print(f"docbot index (fresh process, whole build): {built:.2f} s")
    print(f"docbot ask after another file changed (update, PDF not re-read): {again:.2f} s")
    print(f"work folder: {work}")


if __name__ == "__main__":
    main()
