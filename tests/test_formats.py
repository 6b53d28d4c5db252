"""PDF, DOCX and HTML documents, on files made by real tools (tests/fixtures/src/ says how) and
a PDF from a Debian documentation package; pages are checked against poppler's pdftotext."""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from index.reading.corpus import load_document

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = Path(__file__).resolve().parent / "fixtures"
DEBIAN_PDF = Path("/usr/share/doc/libtasn1-doc/libtasn1.pdf")  # .ci/run installs libtasn1-doc

needs_pdftotext = pytest.mark.skipif(shutil.which("pdftotext") is None and not os.environ.get("CI"),
                                     reason="pdftotext (poppler-utils) not installed; .ci/run installs it")


def load(path: Path):
    return load_document(path, path.parent)


def norm(text: str) -> str:
    """Letters and digits only: the two extractors differ in spaces, hyphens and ligatures."""
    text = text.replace("ﬁ", "fi").replace("ﬂ", "fl").replace("ﬀ", "ff")
    return re.sub(r"[\W_]+", "", text.casefold())


def pdftotext_pages(path: Path, pages: int) -> list[str]:
    out = []
    for n in range(1, pages + 1):
        r = subprocess.run(["pdftotext", "-f", str(n), "-l", str(n), str(path), "-"],
                           capture_output=True, text=True, check=True)
        out.append(norm(r.stdout))
    return out


def words(text: str, n: int, last: bool = False) -> str:
    ws = re.sub(r"\[\d+\]", "", text).split()
    return " ".join(ws[-n:] if last else ws[:n])


# -- PDF ---------------------------------------------------------------------------------------


def sentences_with_pages(doc):
    """(sentence, first page, last page) for the prose sentences of a document's passages."""
    from index.sentences import sentence_spans

    for c in doc.chunks:
        for s, e in sentence_spans(c.text):
            text = c.text[s:e]
            tokens = re.sub(r"\[\d+\]", "", text).split()
            prose = sum(bool(_WORD_RE.match(t)) for t in tokens)
            if len(tokens) >= 8 and prose >= 0.9 * len(tokens) and "\n" not in text:
                for n in c.notes:  # the note marker is ours; pdftotext prints a superscript
                    text = text.replace(f"[{n.mark}]", n.mark)
                yield text, doc.page_at(c.start + s), doc.page_at(c.start + e - 1)


_WORD_RE = re.compile(r"^[(“‘\"]?[A-Za-z][a-z’'-]*[.,;:!?)”’\"]*$")  # not code, not tables


@needs_pdftotext
@pytest.mark.parametrize("path", [FIXTURES / "lighthouses.pdf", FIXTURES / "lighthouses-2col.pdf",
                                  DEBIAN_PDF], ids=["groff", "groff-2-columns", "debian"])
def test_sentences_are_on_the_page_pdftotext_finds_them_on(path):
    if not path.exists() and not os.environ.get("CI"):
        pytest.skip(f"{path} missing; .ci/run installs libtasn1-doc")
    doc = load(path)
    oracle = pdftotext_pages(path, len(doc.page_starts))
    checked, wrong = 0, []
    for text, first, last in sentences_with_pages(doc):
        checked += 1
        plain = text
        if first == last:  # whole, or (pdftotext reads columns and notes in another order)
            ok = norm(plain) in oracle[first - 1] or (  # its start and its end
                norm(words(plain, 3)) in oracle[first - 1]
                and norm(words(plain, 2, True)) in oracle[first - 1])
        else:  # across a page break: its start on the first page, its end on the last
            ok = norm(words(plain, 3)) in oracle[first - 1] and norm(words(plain, 3, True)) in oracle[last - 1]
        if not ok:
            wrong.append((first, last, text))
    assert checked > (150 if path == DEBIAN_PDF else 20)
    assert not wrong, wrong


def test_known_sentences_carry_their_pages_and_a_paragraph_across_a_break_has_both():
    doc = load(FIXTURES / "lighthouses.pdf")
    by_text = {c.text.split(".")[0]: c for c in doc.chunks}
    supplies = next(c for c in doc.chunks if "Supplies came by sea" in c.text)
    assert (supplies.page, supplies.page_end) == (2, 2)
    end = next(c for c in doc.chunks if c.text.startswith("The end of the keepers"))
    assert (end.page, end.page_end) == (2, 3)
    assert end.citation.endswith("pp. 2–3, ¶12")
    first = next(c for c in doc.chunks if "first permanent light" in c.text)
    assert first.citation == ("Keepers of the Northern Coast — 1. Origins of the lighthouse "
                              "service, p. 1, ¶2")
    assert by_text  # every passage has a first sentence


def test_two_columns_read_like_one_paragraphs_notes_and_headings_alike():
    one, two = load(FIXTURES / "lighthouses.pdf"), load(FIXTURES / "lighthouses-2col.pdf")
    assert [(c.section, c.text, c.notes) for c in two.chunks] == [
        (c.section, c.text, c.notes) for c in one.chunks]
    assert len(two.page_starts) == 2
    pages = {c.text.split()[0]: (c.page, c.page_end) for c in two.chunks}
    assert pages["Supplies"] == (1, 1) and pages["Despite"] == (2, 2)


def test_pdf_headers_footers_and_page_numbers_are_not_text():
    doc = load(FIXTURES / "lighthouses.pdf")
    for c in doc.chunks:
        assert "Coastal Lights Survey" not in c.text and "Working paper" not in c.text
        assert not re.search(r"−\s*\d\s*−", c.text)
    if DEBIAN_PDF.exists():
        tasn = load(DEBIAN_PDF)
        assert not [c.citation for c in tasn.chunks if re.search(r"Chapter \d+: [A-Z]", c.text)]


def test_pdf_line_end_hyphens_are_rejoined_and_words_are_spaced():
    text = " ".join(c.text for c in load(FIXTURES / "lighthouses.pdf").chunks)
    for word in ("basket", "fourteen", "second", "every", "remote", "winter", "reflectors"):
        assert re.search(rf"\b{word}\b", text), word
    for glued in ("bas-ket", "bas ket", "rockyheadland", "elevenboats", "NorthernCoast"):
        assert glued not in text
    assert "compressed" not in text  # (an HTML fixture's word: the documents are apart)
    assert "first-order lens" in text  # a hyphen inside a line stays
    assert "require that every isolated station" in text  # a space drawn over is no gap


def test_pdf_footnotes_are_resolved_into_the_passage_notes_and_are_not_passages():
    doc = load(FIXTURES / "lighthouses.pdf")
    lamps = next(c for c in doc.chunks if "polished copper reflectors" in c.text)
    assert "reflectors.[1] The new apparatus" in lamps.text
    assert [n.to_dict() for n in lamps.notes] == [{
        "mark": "1", "text": "Harbour commission minutes, volume 3, page 114; the reflectors "
                             "were made in Copenhagen."}]
    assert not [c for c in doc.chunks if "Harbour commission minutes" in c.text]
    winter = next(c for c in doc.chunks if "Utholmen was cut off" in c.text)
    assert [n.mark for n in winter.notes] == ["2"] and winter.page == 2


def test_pdf_sections_come_from_the_layout_without_an_outline_and_from_the_outline_with_one():
    doc = load(FIXTURES / "lighthouses.pdf")
    assert doc.title == "Keepers of the Northern Coast"
    assert list(dict.fromkeys(c.section for c in doc.chunks if c.section)) == [
        "1. Origins of the lighthouse service", "2. Daily life at the stations",
        "3. Technical change", "4. Automation and the end of the keepers"]
    if DEBIAN_PDF.exists():
        tasn = load(DEBIAN_PDF)
        sections = {c.section for c in tasn.chunks}
        assert {"1 Introduction", "2.1 ASN.1 syntax", "3.1 Invoking asn1Parser"} <= sections
        assert "asn1 parser2tree" not in sections  # set large, but not a bookmark
        intro = next(c for c in tasn.chunks if c.section == "1 Introduction")
        assert intro.page == 4


def test_passage_offsets_point_into_the_extracted_text():
    for path in (FIXTURES / "lighthouses.pdf", FIXTURES / "harbour.docx", FIXTURES / "fog-signal.html"):
        doc = load(path)
        for c in doc.chunks:
            assert norm(doc.body[c.start : c.end]) == norm(c.text)
            if c.page:
                assert doc.page_at(c.start) == c.page


@pytest.mark.parametrize("name, line", [
    ("scanned.pdf", "no text layer — scanned? skipped"),
    ("encrypted.pdf", "encrypted (needs a password) — skipped"),
])
def test_unreadable_pdfs_say_why_in_one_line(name, line):
    doc = load(FIXTURES / name)
    assert doc.chunks == [] and doc.problem.startswith(line)


def test_truncated_pdf_and_broken_docx_are_skipped_with_a_reason(tmp_path):
    cut = tmp_path / "cut.pdf"
    cut.write_bytes((FIXTURES / "lighthouses.pdf").read_bytes()[:15000])
    broken = tmp_path / "broken.docx"
    broken.write_bytes((FIXTURES / "harbour.docx").read_bytes()[:4000])
    for path, reason in ((cut, "damaged or not a PDF"), (broken, "damaged or not a Word document")):
        doc = load(path)
        assert doc.chunks == [] and doc.problem.startswith(reason) and doc.problem.endswith("skipped")


def test_a_partly_scanned_pdf_keeps_its_text_pages_and_names_the_scanned_one():
    doc = load(FIXTURES / "partly-scanned.pdf")
    assert len(doc.page_starts) == 4 and max(c.page_end for c in doc.chunks) == 3
    assert doc.problem == "no text layer on page 4 (scanned?): those pages are not indexed"


# -- DOCX and HTML -------------------------------------------------------------------------------


def test_docx_styles_notes_tables_and_metadata():
    doc = load(FIXTURES / "harbour.docx")
    assert (doc.title, doc.author, doc.date) == ("The Harbour Board Minutes", "Per Aasen", "1998-04-02")
    assert [c.section for c in doc.chunks] == ["The harbour board"] * 2 + ["The pilot service"] * 2
    first = doc.chunks[0]
    assert first.text.startswith("The harbour board of Skarvik met for the first time in March 1852")
    assert [n.to_dict() for n in first.notes] == [
        {"mark": "1", "text": "Minute book of the harbour board, first volume, entry for 14 March 1852."}]
    assert [n.mark for n in doc.chunks[1].notes] == ["2"]
    table = doc.chunks[3].text
    assert "Outer island | four sailing boats | twelve pilots" in table
    assert not [c for c in doc.chunks if c.text.startswith(("Minute book", "The toll was abolished"))]
    assert all(c.page == 0 and "p." not in c.citation for c in doc.chunks)


def test_html_article_text_without_navigation_ads_or_scripts_and_its_metadata():
    doc = load(FIXTURES / "fog-signal.html")
    assert (doc.title, doc.author, doc.source, doc.date, doc.url) == (
        "Foghorn at Fjordnes falls silent after 91 years", "Kari Lunde", "The Coastal Herald",
        "2003-11-04", "https://herald.example/news/2003/fjordnes-foghorn")
    text = "\n".join(c.text for c in doc.chunks)
    assert text.startswith("The foghorn at Fjordnes, which has warned ships")
    assert "Nordstjernen, which ran aground in fog in 1911" in text
    for junk in ("cookies", "Advertisement", "Subscribe", "Share on", "Related stories",
                 "Most read", "newsletter", "dataLayer", "All rights reserved", "Sport"):
        assert junk not in text, junk
    assert [c.section for c in doc.chunks] == ["", "", "A sound that marked the seasons",
                                               "A sound that marked the seasons"]


# -- through the CLI ----------------------------------------------------------------------------


def docbot(*args: str, data: Path, index: Path,
           timeout: float = 120) -> subprocess.CompletedProcess:
    env = dict(os.environ, NO_COLOR="1")
    return subprocess.run([sys.executable, "-m", "bot", *args, "--data", str(data), "--index",
                           str(index)], capture_output=True, text=True, cwd=ROOT, env=env,
                          timeout=timeout)


@pytest.fixture
def mixed(tmp_path) -> Path:
    docs = tmp_path / "data" / "docs"
    docs.mkdir(parents=True)
    for name in ("lighthouses.pdf", "harbour.docx", "fog-signal.html"):
        shutil.copy(FIXTURES / name, docs / name)
    (docs / "ferries.txt").write_text(
        "Ferry routes\n\nThe ferry to Utholmen sails twice a week in winter and every day in "
        "summer, leaving the Skarvik quay at seven in the morning and returning at dusk.\n",
        encoding="utf-8")
    (docs / "weather.md").write_text(
        "---\ntitle: Weather notes\ndate: 1999-01-10\n---\n# Storms\n\nThe January storm of "
        "1999 closed the harbour for four days and tore the roof off the pilot station.\n",
        encoding="utf-8")
    return tmp_path / "data"


def test_a_mixed_folder_answers_with_page_accurate_citations(mixed, tmp_path):
    r = docbot("ask", "--json", "When was the Utholmen station cut off by ice?", data=mixed,
               index=tmp_path / "index")
    assert r.returncode == 0, r.stderr
    top = json.loads(r.stdout)["passages"][0]
    assert (top["doc"], top["page"], top["pages"]) == ("lighthouses", 2, [2, 2])
    assert top["citation"].endswith("p. 2, ¶6")
    assert top["notes"][0]["text"].startswith("The keeper’s own account of that winter")
    for question, doc in (("Who guided ships through the skerries?", "harbour"),
                          ("Why was the Fjordnes foghorn switched off?", "fog-signal"),
                          ("When does the ferry to Utholmen sail?", "ferries"),
                          ("Which storm closed the harbour for four days?", "weather")):
        r = docbot("ask", "--json", question, data=mixed, index=tmp_path / "index")
        p = json.loads(r.stdout)["passages"][0]
        assert p["doc"] == doc and (p["page"], p["pages"]) == (None, None), question
    text = docbot("ask", "pilot boat rota", data=mixed, index=tmp_path / "index").stdout
    assert "[1] The Harbour Board Minutes, The pilot service, ¶3" in text  # the one-line citation


def test_bad_files_are_one_line_each_and_the_rest_is_indexed(mixed, tmp_path):
    docs = mixed / "docs"
    shutil.copy(FIXTURES / "scanned.pdf", docs / "scan.pdf")
    shutil.copy(FIXTURES / "encrypted.pdf", docs / "locked.pdf")
    (docs / "cut.pdf").write_bytes((FIXTURES / "lighthouses.pdf").read_bytes()[:15000])
    (docs / "broken.docx").write_bytes(b"PK\x03\x04 not really a zip")
    r = docbot("index", data=mixed, index=tmp_path / "index")
    assert r.returncode == 0 and "Traceback" not in r.stderr
    lines = sorted(r.stderr.strip().splitlines())
    assert lines == [
        "docbot: broken.docx: damaged or not a Word document (not a zip package) — skipped",
        "docbot: cut.pdf: damaged or not a PDF (Data format error) — skipped",
        "docbot: locked.pdf: encrypted (needs a password) — skipped; index an unlocked copy",
        "docbot: scan.pdf: no text layer — scanned? skipped",
    ]
    assert r.stdout.startswith("indexed 5 of 9 documents, 4 skipped; ")  # not "indexed 9"
    r = docbot("ask", "--json", "Who guided ships through the skerries?", data=mixed,
               index=tmp_path / "index")
    assert json.loads(r.stdout)["passages"][0]["doc"] == "harbour"
    assert r.stderr == ""  # nothing changed: no rebuild, no notices
    from bot.render import docs_text  # /docs says why a file has no passages
    from index.search.engine import open_index
    listing = docs_text(open_index(mixed, tmp_path / "index").documents)
    assert "Scan — 0 passages (scan.pdf)\n   no text layer — scanned? skipped" in listing


def test_a_changed_pdf_is_reindexed_on_the_next_question(mixed, tmp_path):
    index = tmp_path / "index"
    assert docbot("index", data=mixed, index=index).returncode == 0
    shutil.copy(FIXTURES / "partly-scanned.pdf", mixed / "docs" / "lighthouses.pdf")
    r = docbot("ask", "--json", "When was the Utholmen station cut off by ice?", data=mixed,
               index=index)
    assert "documents changed" in r.stderr
    assert "lighthouses.pdf: no text layer on page 4 (scanned?)" in r.stderr
    top = json.loads(r.stdout)["passages"][0]
    assert (top["doc"], top["page"]) == ("lighthouses", 2)


# -- filters -------------------------------------------------------------------------------------


def test_ask_limited_to_documents_and_dates_says_so(mixed, tmp_path):
    index = tmp_path / "index"
    q = "harbour"
    r = docbot("ask", "--json", q, "-k", "10", data=mixed, index=index)
    assert {p["doc"] for p in json.loads(r.stdout)["passages"]} >= {"harbour", "weather"}
    r = docbot("ask", "--json", q, "-k", "10", "--doc", "weather", "--doc", "lighthouses.pdf",
               data=mixed, index=index)
    d = json.loads(r.stdout)
    assert {p["doc"] for p in d["passages"]} == {"weather", "lighthouses"}
    assert d["message"] == "in: lighthouses, weather"
    assert d["filter"] == {"docs": ["weather", "lighthouses.pdf"], "from": None, "to": None}
    r = docbot("ask", "--json", q, "-k", "10", "--from", "1998", "--to", "1999-06", data=mixed,
               index=index)
    d = json.loads(r.stdout)  # harbour.docx is dated 1998-04-02, weather.md 1999-01-10
    assert {p["doc"] for p in d["passages"]} == {"harbour", "weather"}
    assert d["message"] == "in: 1998–1999-06"
    text = docbot("ask", q, "--from", "2003", "--to", "2010", data=mixed, index=index)
    assert text.stdout.startswith("I found nothing about that in the documents (in: 2003–2010).")
    bad = docbot("ask", q, "--doc", "nowhere", data=mixed, index=index)
    assert bad.returncode == 1 and bad.stderr.startswith("docbot: no document matches 'nowhere'")
    assert len(bad.stderr.strip().splitlines()) == 1


def test_filter_command_limits_the_chat_until_turned_off(mixed, tmp_path):
    from bot.commands import handle
    from bot.session import Session
    from index.answering.answer import Answerer

    session = Session(Answerer.open(mixed, tmp_path / "index"))
    reply = handle(session, "/filter harbour, Weather notes")
    assert reply.kind == "info" and "2 documents (in: harbour, weather)" in reply.text
    answer = handle(session, "harbour").answer
    assert {p.hit.chunk.doc for p in answer.passages} <= {"harbour", "weather"}
    assert answer.message == "in: harbour, weather"
    more = handle(session, "/more").answer
    assert {p.hit.chunk.doc for p in more.passages} <= {"harbour", "weather"}
    assert handle(session, "/filter 1999").text.startswith("Answers now come only from 1 document (in: 1999)")
    assert handle(session, "/filter nowhere").kind == "error"
    assert handle(session, "/filter 1700").kind == "error"
    assert handle(session, "/filter off").text.startswith("Filter off")
    assert handle(session, "harbour").answer.message is None


def test_source_shows_the_page_and_the_text_around_a_pdf_passage(mixed, tmp_path):
    from bot.commands import handle
    from bot.render import reply_text
    from bot.session import Session
    from index.answering.answer import Answerer

    session = Session(Answerer.open(mixed, tmp_path / "index"))
    answer = handle(session, "When was the Utholmen station cut off by ice?").answer
    assert answer.passages[0].to_dict()["offsets"] == [answer.passages[0].hit.chunk.start,
                                                       answer.passages[0].hit.chunk.end]
    reply = handle(session, "/source 1")
    assert reply.title == "Keepers of the Northern Coast — 2. Daily life at the stations, p. 2, ¶6"
    assert [c.citation.rsplit(", ", 2)[-2:] for c in reply.chunks] == [
        ["p. 1", "¶5"], ["p. 2", "¶6"], ["p. 2", "¶7"]]
    text = reply_text(reply)
    assert "p. 1, ¶5  (context)" in text and "A keeper’s day was ruled by the lamp." in text


@pytest.mark.parametrize("name", ["lighthouses.pdf", "harbour.docx", "fog-signal.html"])
def test_corrupted_files_are_read_or_refused_with_a_reason_never_an_exception(name):
    import random

    from index.reading import Unreadable, extract

    rng = random.Random(name)
    good = (FIXTURES / name).read_bytes()
    for _ in range(40):
        b = bytearray(good)
        for _ in range(rng.randint(1, 20)):
            b[rng.randrange(len(b))] = rng.randrange(256)
        if rng.random() < 0.3:
            b = b[: rng.randrange(len(b))]
        try:
            extract(Path(name), bytes(b))
        except Unreadable as e:
            assert str(e).endswith("skipped") and "\n" not in str(e)
