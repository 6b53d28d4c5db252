"""PDF pages: tables of contents and indexes are not passages, accents drawn over letters are
composed, and a passage can be seen on its page (checked against poppler's pdftoppm and
pdftotext). PDFs are made at test time by groff, or come from Debian documentation packages."""
from __future__ import annotations

import io
import os
import re
import shutil
import subprocess
import unicodedata
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from index.answering.answer import Answerer
from index.reading.corpus import load_document
from index.page_image import render_passage
from bot.repl import PROMPT, run

TASN1 = Path("/usr/share/doc/libtasn1-doc/libtasn1.pdf")  # .ci/run installs libtasn1-doc
IDN2 = Path("/usr/share/doc/libidn2-doc/libidn2.pdf")  # and libidn2-doc
REQUIRED = bool(os.environ.get("DOCBOT_REQUIRE_TOOLS") or os.environ.get("CI"))
LEADERS = re.compile(r"(?:\. ?){6,}")

SECTIONS = ["Origins of the pilot service", "The first licences", "Boats and stations",
            "Signals and flags", "Wrecks and inquiries", "The steam age", "Pilots in wartime",
            "The modern service"]

FACTS = ["The logbook of the outer station counts the ships guided past the skerries in",
         "A storm closed the northern channel for eleven days in the autumn of",
         "The harbour board raised the fee for ships of deep draught in",
         "Two new boats with lug sails were built at the yard in the spring of",
         "The keeper of the light at Skarvik reported a wreck on the reef in",
         "Pilots were first paid in coin rather than in a share of the cargo in",
         "A telegraph line reached the pilot station on the island in",
         "The inquiry into the loss of a schooner blamed the fog, not the pilot, in"]


def need(*tools: str, files: tuple[Path, ...] = ()) -> None:
    """Fail (in CI, DOCBOT_REQUIRE_TOOLS=1) or skip (locally) when a tool or file is missing."""
    missing = [t for t in tools if shutil.which(t) is None] + [str(f) for f in files if not f.exists()]
    if missing:
        message = f"needs {', '.join(missing)} (.ci/run installs them)"
        if REQUIRED:
            pytest.fail(message)
        pytest.skip(message)


def groff_pdf(path: Path) -> Path:
    """A 4-page report made by groff -ms: sections in the table of contents (.XS/.TC, with dot
    leaders and page numbers, on its own page), and an author and institute whose accents are
    drawn over their letters (.AM: 'u\\*:' is 'ü')."""
    need("groff")
    src = [".AM", ".TL", "Harbour Pilots of the Western Fjords", ".AU", "Jens Mu\\*:ller", ".AI",
           "Wirtschaftsuniversita\\*:t Wien"]
    for i, title in enumerate(SECTIONS):
        level = 2 if i % 3 == 1 else 1
        src += [f".NH {level}", title, ".XS", ("\\h'2n'" if level == 2 else "") + title, ".XE"]
        for j in range(3):
            year = 1820 + 7 * i + j
            src += [".PP", f"In season {year} the pilots wrote about {title.lower()}. " + " ".join(
                f"{FACTS[(3 * i + j + k) % len(FACTS)]} {year + k}." for k in range(4))]
    src.append(".TC")
    ms = path.with_suffix(".ms")
    ms.write_text("\n".join(src) + "\n")
    with path.open("wb") as out:
        subprocess.run(["groff", "-ms", "-Tpdf", str(ms)], stdout=out, check=True)
    ms.unlink()
    return path


def pdftotext(path: Path, page: int, *crop: float, r: float = 72) -> str:
    args = ["pdftotext", "-f", str(page), "-l", str(page)]
    if crop:
        args += ["-r", str(r), "-x", str(int(crop[0])), "-y", str(int(crop[1])),
                 "-W", str(int(crop[2] - crop[0])), "-H", str(int(crop[3] - crop[1]))]
    return subprocess.run(args + [str(path), "-"], capture_output=True, text=True, check=True).stdout


def letters(text: str) -> str:
    return re.sub(r"[\W_]+", "", unicodedata.normalize("NFC", text).casefold())


# -- tables of contents and indexes ---------------------------------------------------------------


def test_the_table_of_contents_of_a_groff_report_is_not_a_passage(tmp_path):
    need("pdftotext")
    pdf = groff_pdf(tmp_path / "pilots.pdf")
    doc = load_document(pdf, tmp_path)
    toc_page = len(doc.page_starts)
    oracle = pdftotext(pdf, toc_page)
    assert "Table of Contents" in oracle and len(LEADERS.findall(oracle)) >= 6  # a real TOC
    assert [c for c in doc.chunks if c.page_end == toc_page] == []
    assert not any(LEADERS.search(c.text) for c in doc.chunks)
    # the sections it lists are still sections, each with its three paragraphs
    for title in SECTIONS:
        assert sum(c.section.endswith(title) for c in doc.chunks) >= 1, title
        assert sum(title.lower() in c.text for c in doc.chunks) == 3, title


def test_toc_and_index_pages_of_a_debian_manual_are_not_passages():
    """libtasn1's manual (texinfo): a table of contents and two indexes, found here by
    pdftotext as pages with many dot-leader lines."""
    need("pdftotext", files=(TASN1,))
    doc = load_document(TASN1, TASN1.parent)
    listing = [n for n in range(1, len(doc.page_starts) + 1)
               if len(LEADERS.findall(pdftotext(TASN1, n))) >= 6]
    assert len(listing) >= 3 and listing[0] <= 4 and listing[-1] == len(doc.page_starts)
    for c in doc.chunks:
        assert not set(range(c.page, c.page_end + 1)) & set(listing), (c.page, c.text[:80])
        assert not LEADERS.search(c.text), c.text[:80]
    # every other page with text keeps its passages
    pages = {p for c in doc.chunks for p in range(c.page, c.page_end + 1)}
    for n in range(1, len(doc.page_starts) + 1):
        if n not in listing and len(letters(pdftotext(TASN1, n))) > 200:
            assert n in pages, n


# -- accents -----------------------------------------------------------------------------------------


def test_accents_drawn_over_their_letters_are_composed(tmp_path):
    need("pdftotext")
    pdf = groff_pdf(tmp_path / "pilots.pdf")
    text = " ".join(c.text for c in load_document(pdf, tmp_path).chunks)
    assert "Jens Müller" in text and "Wirtschaftsuniversität Wien" in text
    assert "Wirtschaftsuniversität" in unicodedata.normalize("NFC", pdftotext(pdf, 1))  # as poppler
    assert unicodedata.is_normalized("NFC", text) and "¨" not in text


def test_tex_accents_before_their_letters_are_composed_as_pdftotext_reads_them():
    """libidn2's manual (TeX) draws 'räksmörgås' as 'r¨aksm¨org˚as': accent, then letter."""
    need("pdftotext", files=(IDN2,))
    doc = load_document(IDN2, IDN2.parent)
    text = " ".join(c.text for c in doc.chunks)
    assert "räksmörgås" in text and "räksmörgås" in unicodedata.normalize("NFC", "".join(
        pdftotext(IDN2, n) for n in range(1, len(doc.page_starts) + 1)))
    assert not re.search(r"[¨´˚ˇ˜](?=[^\W\d_])", text)


# -- the page image --------------------------------------------------------------------------------


def _gray(img: Image.Image, size: tuple[int, int] = (48, 48)) -> np.ndarray:
    a = np.asarray(img.convert("L").resize(size, Image.BILINEAR), dtype=float).ravel()
    a -= a.mean()
    return a / (np.linalg.norm(a) or 1.0)


def _pdftoppm_pages(pdf: Path, dpi: float, folder: Path) -> list[Image.Image]:
    subprocess.run(["pdftoppm", "-r", str(dpi), "-png", str(pdf), str(folder / "pg")], check=True)
    return [Image.open(p).convert("RGB") for p in sorted(folder.glob("pg-*.png"),
                                                       key=lambda p: int(p.stem.split("-")[-1]))]


@pytest.mark.parametrize("source", ["groff", "debian"])
def test_a_passage_is_shown_on_its_own_page_as_pdftoppm_renders_it(tmp_path, source):
    need("pdftoppm", "pdftotext")
    if source == "groff":
        pdf = groff_pdf(tmp_path / "pilots.pdf")
    else:
        need(files=(TASN1,))
        pdf = TASN1
    doc = load_document(pdf, pdf.parent)
    scale = 2.0 if source == "groff" else 1.0  # (36 pages rendered by pdftoppm: kept small)
    renders = _pdftoppm_pages(pdf, 72 * scale, tmp_path)
    one_page = [c for c in doc.chunks if c.page == c.page_end]
    picks = one_page[:: max(1, len(one_page) // 6)][:6]
    for c in picks:
        image = render_passage(pdf, c.boxes, scale=scale)
        png = Image.open(io.BytesIO(image.png))
        assert image.png[:8] == b"\x89PNG\r\n\x1a\n" and png.format == "PNG"
        (page, left, top, right, bottom), = image.parts
        assert page == c.page and png.size == (image.width, image.height) == (right - left, bottom - top)
        page_w, page_h = renders[page - 1].size
        assert 0 <= left < right <= page_w + 2 and 0 <= top < bottom <= page_h + 2
        # the same region of every page, as pdftoppm renders it: the passage's page is the one
        # that looks like the image
        box = (left, top, min(right, page_w), min(bottom, page_h))
        mine = _gray(png.crop((0, 0, box[2] - left, box[3] - top)))
        scores = [float(mine @ _gray(r.crop(box))) for r in renders]
        best = int(np.argmax(scores)) + 1
        others = max(s for n, s in enumerate(scores, 1) if n != best) if len(scores) > 1 else 0.0
        assert best == c.page and scores[best - 1] > 0.8 and scores[best - 1] - others > 0.2, (
            c.page, best, scores)
        # the passage's words are in the part shown (poppler reads that region)
        shown = letters(pdftotext(pdf, page, *box, r=72 * scale))
        ws = {letters(w) for w in re.findall(r"[^\W\d_]{4,}", c.text)}
        assert ws and sum(w in shown for w in ws) >= 0.95 * len(ws), ws - {w for w in ws if w in shown}
        # its lines are highlighted: yellow where the page is white
        ref = np.asarray(renders[page - 1].crop(box), dtype=int)
        got = np.asarray(png.convert("RGB"), dtype=int)[: ref.shape[0], : ref.shape[1]]
        white = (ref.min(axis=2) > 245)
        tinted = white & (got[..., 2] < got[..., 0] - 40)
        assert tinted.sum() > 0.1 * white.sum(), (tinted.sum(), white.sum())
        assert not tinted[:10].any() and not tinted[-10:].any()  # the margin is not marked


def test_a_passage_across_two_pages_shows_both_parts(tmp_path):
    need(files=(TASN1,))
    doc = load_document(TASN1, TASN1.parent)
    c = next(c for c in doc.chunks if c.page_end == c.page + 1)
    image = render_passage(TASN1, c.boxes)
    assert [p[0] for p in image.parts] == [c.page, c.page_end]
    heights = [p[4] - p[2] for p in image.parts]
    assert image.height > sum(heights) and image.width == max(p[3] - p[1] for p in image.parts)


# -- /page in the terminal chat ----------------------------------------------------------------------


def pilots_and_tides(tmp_path: Path) -> Path:
    """A data folder with a PDF made by groff and a .txt: passages with pages and without."""
    data = tmp_path / "data"
    (data / "docs").mkdir(parents=True)
    groff_pdf(data / "docs" / "pilots.pdf")
    (data / "docs" / "tides.txt").write_text(
        "Tide tables\n\nThe tide tables of the western fjords were printed every winter by the "
        "harbour board's printer, Ole Brandt, and sold to skippers at the pilot stations.\n")
    return data


def test_page_command_writes_the_png_and_prints_its_path(tmp_path, monkeypatch):
    data = pilots_and_tides(tmp_path)
    monkeypatch.setenv("DOCBOT_PAGES", str(tmp_path / "pages"))
    answerer = Answerer.open(data, tmp_path / "index")
    out = io.StringIO()
    lines = ["What did the pilots write about signals and flags?", "/page 1", "/page 7",
             "Who printed the tide tables?", "/page 1"]
    run(answerer, io.StringIO("".join(x + "\n" for x in lines)), out)
    turns = [t.split("\n", 1)[1] for t in out.getvalue().split(f"\n{PROMPT}")[1:]]
    m = re.search(r"page image: (\S+\.png)", turns[1])
    assert m, turns[1]
    path = Path(m.group(1))
    assert path.parent == tmp_path / "pages" and path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "Signals and flags" in turns[1] and "p. " in turns[1]
    assert Image.open(path).size[0] > 200
    assert turns[2].startswith("No passage 7")
    assert "tides" in turns[3].lower() or "Tide tables" in turns[3]
    assert "has no page to show: it is not from a PDF" in turns[4]
