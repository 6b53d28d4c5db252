"""Reading benchmark: how much of each document's visible text reached passages (prints a
table, asserts nothing).

    python tests/bench/reading.py              # the table README.md shows
    python tests/bench/reading.py --compare    # also trafilatura and readability-lxml, if installed

Builds a folder in /tmp with the manual of tests/generated_pages.py as made by docbook-xsl
(xsltproc), Sphinx, MkDocs, pandoc and Doxygen (two chapter pages each), real pages installed
by Debian packages when present (valgrind's DocBook manual, libffi's Texinfo manual, Sphinx
pages of python3-watchdog, the Node.js API pages), a PDF from a Debian documentation package
(libidn2-doc), a DOCX made by pandoc and a .txt; runs `docbot index --json` on it in a fresh
process and prints, per document, its passages, the words of visible prose the independent
measure saw (pdftotext, the standard library's HTML tokenizer, the DOCX XML, the text itself),
the share kept and, under 80 %, the likely cause. Deletes what it made.

--compare: for the generated pages, the sentences written that docbot's reader keeps, and that
trafilatura.extract and readability-lxml's Document.summary keep, with the characters of other
text each adds; for the Debian pages, the share of visible prose each keeps (the accounting's
measure). Install those two by hand (pip install trafilatura readability-lxml); docbot does
not depend on them.
"""
from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

import generated_pages as gp  # noqa: E402

DEBIAN_PDF = Path("/usr/share/doc/libidn2-doc/libidn2.pdf")  # apt-get install libidn2-doc
REAL_PAGES = {  # name in the folder -> a page a Debian package installs (used when present)
    "valgrind-memcheck.html": "/usr/share/doc/valgrind/html/mc-manual.html",  # docbook-xsl
    "valgrind-faq.html": "/usr/share/doc/valgrind/html/faq.html",
    "libffi-closures.html": "/usr/share/doc/libffi8/html/The-Closure-API.html",  # texinfo
    "watchdog-install.html": "/usr/share/doc/python3-watchdog/html/installation.html",  # Sphinx
    "xapian-intro.html": "/usr/share/doc/python3-xapian/html/introduction.html",  # Sphinx
    "node-events.html": "/usr/share/doc/nodejs/api/events.html",  # Node's own generator
}


def norm(text: str) -> str:
    return re.sub(r"[\W_]+", "", text.casefold())


def build_folder(base: Path) -> tuple[Path, list[gp.Page], dict[str, str]]:
    docs = base / "data" / "docs"
    docs.mkdir(parents=True)
    pages = gp.build(base / "generated", gp.available())
    made: list[gp.Page] = []
    kinds: dict[str, str] = {}
    for generator, ps in pages.items():
        for p in ps:
            name = f"{generator}-{'install' if p.prose == gp.CHAPTER_1 else 'records'}.html"
            shutil.copy(p.path, docs / name)
            made.append(p)
            kinds[name] = f"{generator} (made here)"
    for name, path in REAL_PAGES.items():
        if Path(path).exists():
            shutil.copy(path, docs / name)
            kinds[name] = "Debian package page"
    if DEBIAN_PDF.exists():
        shutil.copy(DEBIAN_PDF, docs / DEBIAN_PDF.name)
        kinds[DEBIAN_PDF.name] = "PDF, libidn2-doc"
    if shutil.which("pandoc"):
        md = base / "report.md"
        md.write_text(f"---\ntitle: Harbour report\n---\n\n# {gp.CH1}\n\n{gp.P1}\n\n{gp.P2}\n\n"
                      f"# {gp.CH2}\n\n{gp.P4}\n\n{gp.P5}\n\n{gp.P6}\n", encoding="utf-8")
        subprocess.run(["pandoc", "-o", str(docs / "report.docx"), str(md)], check=True)
        kinds["report.docx"] = "DOCX, pandoc"
    (docs / "tides.txt").write_text(f"Tides\n\n{gp.P4} {gp.P5}\n\nSending\n\n{gp.P6}\n",
                                    encoding="utf-8")
    kinds["tides.txt"] = "text"
    return base / "data", made, kinds


def table(data: Path, kinds: dict[str, str]) -> None:
    t0 = time.perf_counter()
    r = subprocess.run([sys.executable, "-m", "bot", "index", "--json", "--data", str(data),
                        "--index", str(data.parent / "index")], capture_output=True, text=True,
                       cwd=ROOT, check=True)
    seconds = time.perf_counter() - t0
    report = json.loads(r.stdout)
    print(f"| document | kind | passages | visible words | kept | likely cause (under 80 %) |")
    print("|---|---|---:|---:|---:|---|")
    for d in report["docs"]:
        kept = f"{d['kept']:.1%}" if d.get("kept") is not None else "–"
        print(f"| {d['path']} | {kinds.get(d['path'], '')} | {d['chunks']} | "
              f"{d.get('visible_words', 0):,} | {kept} | {d.get('cause', '')} |")
    print(f"\n{report['indexed']} of {report['documents']} documents indexed, "
          f"{report['partly_read']} partly read, {report['skipped']} skipped; "
          f"{report['passages']:,} passages; `docbot index` {seconds:.1f} s")


def compare(made: list[gp.Page], data: Path) -> None:
    from index.reading.corpus import load_document

    extractors = {"docbot": lambda p: " ".join(c.text for c in load_document(p, p.parent).chunks)}
    try:
        import trafilatura

        extractors["trafilatura"] = lambda p: trafilatura.extract(p.read_bytes()) or ""
        extractors["trafilatura (favor_recall)"] = (
            lambda p: trafilatura.extract(p.read_bytes(), favor_recall=True) or "")
    except ImportError:
        print("(trafilatura not installed)")
    try:
        import lxml.html
        from readability import Document

        def readability_text(p: Path) -> str:
            page = lxml.html.tostring(lxml.html.document_fromstring(p.read_bytes()), encoding="unicode")
            return lxml.html.fromstring(Document(page).summary()).text_content()

        extractors["readability-lxml"] = readability_text
    except ImportError:
        print("(readability-lxml not installed)")
    known = [*gp.CHAPTER_1, *gp.CHAPTER_2, gp.CAPTION, *gp.SECTIONS.values(), gp.TITLE,
             "Note", "Warning", "Older loggers", "Release", "Audience", "keepers", "1.12"]
    print("\n| extractor | " + " | ".join(gp.GENERATORS) + " | all | other text (chars) |")
    print("|---|" + "---:|" * (len(gp.GENERATORS) + 2))
    for name, fn in extractors.items():
        cells, total, kept, foreign = [], 0, 0, 0
        for g in gp.GENERATORS:
            gk = gt = 0
            for p in (p for p in made if p.generator == g):
                text = norm(fn(p.path))
                prose = p.prose + ((gp.CAPTION,) if p.caption else ())
                gk += sum(norm(s) in text for s in prose)
                gt += len(prose)
                for k in sorted(known, key=len, reverse=True):
                    text = text.replace(norm(k), "")
                foreign += len(text)
            cells.append(f"{gk}/{gt}" if gt else "–")
            total, kept = total + gt, kept + gk
        print(f"| {name} | " + " | ".join(cells) + f" | {kept / max(total, 1):.0%} | {foreign} |")
    # the real pages: share of the visible prose (the accounting's measure) each one keeps
    from index.reading.accounting import compare as kept_share, html_text

    real = [data / "docs" / n for n in REAL_PAGES if (data / "docs" / n).exists()]
    print("\n| extractor | " + " | ".join(p.name for p in real) + " |")
    print("|---|" + "---:|" * len(real))
    for name, fn in extractors.items():
        cells = []
        for p in real:
            r = kept_share([html_text(p.read_bytes())], [fn(p)])
            cells.append(f"{r.share:.1%}" if r.share is not None else "–")
        print(f"| {name} | " + " | ".join(cells) + " |")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--compare", action="store_true")
    args = ap.parse_args()
    base = Path(tempfile.mkdtemp(prefix="docbot-reading-"))
    try:
        data, made, kinds = build_folder(base)
        table(data, kinds)
        if args.compare:
            compare(made, data)
    finally:
        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
