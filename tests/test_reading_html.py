"""Documentation pages made at test time by real generators (docbook-xsl via xsltproc, Sphinx,
MkDocs, pandoc, Doxygen) from one manual written in tests/generated_pages.py: every sentence
written is in a passage under its section; navigation, tables of contents, permalink signs
and footers are not; and the accounting of each document's kept text is told by `docbot index`.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

import generated_pages as gp
from test_formats import docbot as cli
from index.reading.corpus import account, load_document
from index.reading.accounting import html_text

ROOT = Path(__file__).resolve().parents[1]
REQUIRE = os.environ.get("DOCBOT_REQUIRE_TOOLS") == "1"


def norm(text: str) -> str:
    return re.sub(r"[\W_]+", "", text.casefold())


@pytest.fixture(scope="module")
def pages(tmp_path_factory) -> dict[str, list[gp.Page]]:
    """The generators' pages, made once for this module."""
    have = gp.available()
    missing = [g for g in gp.GENERATORS if g not in have]
    if missing and REQUIRE:
        pytest.fail(f"generators not installed: {', '.join(gp.TOOLS[g] for g in missing)} "
                    "(.ci/run installs them)")
    return gp.build(tmp_path_factory.mktemp("generated"), have)


CASES = [(g, i) for g in gp.GENERATORS for i in (0, 1)]


def page_of(pages, generator: str, i: int) -> gp.Page:
    if generator not in pages:
        pytest.skip(f"{gp.TOOLS[generator]} not installed (.ci/run installs it)")
    return pages[generator][i]


def read(page: gp.Page):
    doc = load_document(page.path, page.path.parent)
    assert not doc.problem, doc.problem
    return doc


# Text a passage may hold besides the sentences written: the boxes' labels, DocBook's figure
# number and the Sphinx field list.
LABELS = ("Note", "Warning", "Tip", "Remarks", "Older loggers", "Figure 1.1.", "Release: 1.12",
          "Audience: keepers")


@pytest.mark.parametrize("generator,i", CASES)
def test_every_sentence_written_is_in_a_passage_and_the_page_is_read_whole(pages, generator, i):
    page = page_of(pages, generator, i)
    doc = read(page)
    text = norm(" ".join(c.text for c in doc.chunks))
    for sentence in page.prose + ((gp.CAPTION,) if page.caption else ()):
        assert norm(sentence) in text, (generator, sentence)
    account(doc)
    assert doc.reading["kept"] >= 0.95, doc.reading  # of the visible prose another parser sees
    assert doc.reading["visible_words"] >= 60  # the measure saw the page's prose at all


@pytest.mark.parametrize("generator,i", CASES)
def test_no_passage_is_navigation_a_table_of_contents_or_page_furniture(pages, generator, i):
    page = page_of(pages, generator, i)
    doc = read(page)
    known = sorted({*gp.CHAPTER_1, *gp.CHAPTER_2, gp.CAPTION, *LABELS}, key=len, reverse=True)
    for c in doc.chunks:
        rest = norm(c.text)
        for k in known:
            rest = rest.replace(norm(k), "")
        assert not rest, (generator, c.text)  # nothing but what the author wrote
        assert "¶" not in c.text and "¶" not in c.section
    # the other chapter's sentences (reached only through the navigation) are not here
    other = gp.CHAPTER_2 if i == 0 else gp.CHAPTER_1
    assert not [s for s in other if norm(s) in norm(" ".join(c.text for c in doc.chunks))]


@pytest.mark.parametrize("generator,i", CASES)
def test_headings_become_the_sections_of_their_sentences(pages, generator, i):
    page = page_of(pages, generator, i)
    doc = read(page)
    chapter, sub = page.headings
    for sentence in page.prose:
        holder = [c for c in doc.chunks if norm(sentence) in norm(c.text)]
        assert holder, sentence
        want = gp.SECTIONS[sentence]
        section = holder[0].section
        if want == sub:  # e.g. DocBook may number it: "1.1. Calibrating the Float"
            assert section.endswith(sub), (generator, sentence, section)
        else:  # under the chapter's heading, which is the page's title or its first section
            assert section == "" or section.endswith(chapter), (generator, sentence, section)
            assert chapter in doc.title or section.endswith(chapter)


def test_a_sphinx_field_list_is_a_passage_of_its_own(pages):
    doc = read(page_of(pages, "sphinx", 0))
    fields = [c for c in doc.chunks if c.text.startswith("Release")]
    assert [c.text for c in fields] == ["Release: 1.12\nAudience: keepers"]
    opening = next(c for c in doc.chunks if gp.P1 in c.text)
    assert opening.text.startswith(gp.P1)


def test_the_html_measure_sees_prose_outside_links_only(pages):
    """The independent measure: the standard library's tokenizer, not the reader's lxml."""
    page = page_of(pages, "docbook", 0)
    seen = html_text(page.path.read_bytes())
    assert gp.P1 in seen and gp.ASIDE in seen
    assert "Prev" not in seen and "Next" not in seen  # links: navigation by construction


# -- the accounting through the CLI --------------------------------------------------------------


def docbot(*args: str, data: Path, index: Path) -> subprocess.CompletedProcess:
    return cli(*args, data=data, index=index, timeout=300)  # generated pages take longer


@pytest.fixture
def folder(pages, tmp_path) -> Path:
    if "pandoc" not in pages or "docbook" not in pages:
        pytest.skip("pandoc and xsltproc are needed (.ci/run installs them)")
    docs = tmp_path / "data" / "docs"
    docs.mkdir(parents=True)
    shutil.copy(pages["docbook"][0].path, docs / "install.html")
    # A page that loses text on purpose: half its prose is inside a navigation landmark, which
    # the reader leaves out by design and the measure counts as visible text.
    src = tmp_path / "lossy.md"
    nav = " ".join(gp.CHAPTER_1)
    src.write_text(f"---\ntitle: Harbour notes\n---\n\n# Harbour notes\n\n{gp.P4}\n\n{gp.P5}\n\n"
                   f"<nav>\n<p>{nav}</p>\n</nav>\n\n{gp.P6}\n", encoding="utf-8")
    subprocess.run(["pandoc", "-s", "-o", str(docs / "lossy.html"), str(src)], check=True)
    (docs / "cut.pdf").write_bytes(b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog")  # unreadable
    (docs / "tides.txt").write_text("Tides\n\n" + gp.P6 + "\n", encoding="utf-8")
    return tmp_path / "data"


def test_index_names_what_it_could_not_read_and_counts_it_right(folder, tmp_path):
    r = docbot("index", data=folder, index=tmp_path / "index")
    assert r.returncode == 0, r.stderr
    lines = sorted(r.stderr.strip().splitlines())
    assert len(lines) == 2, lines
    assert lines[0].startswith("docbot: cut.pdf: damaged or not a PDF")
    m = re.match(r"docbot: lossy\.html: kept (\d+) % of its text — text such as “(.+)” is not in any passage$",
                 lines[1])
    assert m and 20 <= int(m.group(1)) < 80, lines[1]
    assert norm(m.group(2)).rstrip("…") in norm(" ".join(gp.CHAPTER_1))  # the lost text itself
    assert r.stdout.startswith("indexed 3 of 4 documents, 1 partly read, 1 skipped; ")

    r = docbot("index", "--json", data=folder, index=tmp_path / "index")
    report = json.loads(r.stdout)
    assert (report["documents"], report["indexed"], report["partly_read"], report["skipped"]) == (4, 3, 1, 1)
    by = {d["path"]: d for d in report["docs"]}
    assert by["install.html"]["kept"] >= 0.95 and "cause" not in by["install.html"]
    assert by["tides.txt"]["kept"] == 1.0
    assert by["lossy.html"]["kept"] < 0.8 and "not in any passage" in by["lossy.html"]["cause"]
    assert by["cut.pdf"]["chunks"] == 0 and "damaged" in by["cut.pdf"]["cause"]

    r = docbot("docs", data=folder, index=tmp_path / "index")
    listing = r.stdout
    share = round(by["lossy.html"]["kept"] * 100)
    assert f"Harbour notes — {by['lossy.html']['chunks']} passages, {share} % of its text (lossy.html)" in listing
    assert "passages, 100 % of its text (tides.txt)" in listing

    from bot.render_html import docs_messages  # Telegram's /docs shows it too
    from index.search.engine import open_index
    html = "\n".join(docs_messages(open_index(folder, tmp_path / "index").documents))
    assert f"{share} % of its text" in html


@pytest.mark.parametrize("encoding, dash", [("utf-8", "—"), ("latin-1", "-")])
def test_a_page_that_says_no_encoding_is_read_in_the_one_it_is_in(tmp_path, encoding, dash):
    # no meta charset: UTF-8 when the bytes are (a page saved or generated without it), else
    # Latin-1 as before
    page = (f"<html><head><title>Café {dash} alpha documentation</title></head><body><main>"
            f"<p>Install the café tools with make install {dash} then check the version it "
            "prints, as the guide for alpha says.</p></main></body></html>")
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "cafe.html").write_bytes(page.encode(encoding))
    doc = load_document(docs / "cafe.html", docs)
    assert doc.title == f"Café {dash} alpha documentation"
    assert f"café tools with make install {dash} then" in doc.chunks[0].text
