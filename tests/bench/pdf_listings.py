"""Tables of contents, back-of-book indexes and split accents in real PDFs (prints figures,
asserts nothing).

    python tests/bench/pdf_listings.py FILE.pdf [FILE.pdf ...]

For each PDF, the passages docbot cuts from it and, by a measure independent of the reader's
rules, how many of them look like a table of contents or an index (two runs of dot leaders,
or a quarter of their words are numbers that could be page numbers), how many spacing accents
stand before a letter ('r¨aksm¨org˚as'), and how many passages are not in NFC. Run it on two
checkouts to compare them (PYTHONPATH=<checkout>).
"""
from __future__ import annotations

import re
import sys
import unicodedata
from pathlib import Path

if __package__ in (None, ""):
    sys.path.append(str(Path(__file__).resolve().parents[2]))  # PYTHONPATH may name another

from index.reading.corpus import load_document  # noqa: E402

LEADERS = re.compile(r"(?:\.\s?){4,}")
NUMBER = re.compile(r"(?<![\w.,-])\d{1,4}(?![\w.,-])")
ACCENT = "\u00a8\u00b4\u02c6\u02dc\u00b8\u02c7\u02d8\u02d9\u02da\u02dd\u02db"
SPLIT_ACCENT = re.compile(rf"[{ACCENT}](?=[^\W\d_])")  # pdfium: the accent, then its letter


def listing_like(text: str, pages: int) -> bool:
    words = text.split()
    numbers = [n for n in NUMBER.findall(text) if int(n) <= pages]
    return len(LEADERS.findall(text)) >= 2 or (len(words) >= 6 and len(numbers) / len(words) >= 0.25)


def main(paths: list[str]) -> None:
    print(f"{'pdf':<32} {'pages':>5} {'passages':>8} {'toc/index-like':>14} "
          f"{'split accents':>13} {'not NFC':>7}")
    for name in paths:
        path = Path(name)
        doc = load_document(path, path.parent)
        pages = len(doc.page_starts)
        listing = sum(listing_like(c.text, pages) for c in doc.chunks)
        accents = sum(len(SPLIT_ACCENT.findall(c.text)) for c in doc.chunks)
        not_nfc = sum(c.text != unicodedata.normalize("NFC", c.text) for c in doc.chunks)
        print(f"{path.name[:32]:<32} {pages:>5} {len(doc.chunks):>8} {listing:>14} "
              f"{accents:>13} {not_nfc:>7}")


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit(__doc__.strip().splitlines()[2].strip())
    main(sys.argv[1:])
