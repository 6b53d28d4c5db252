"""Documentation pages made by real generators (docbook-xsl via xsltproc, Sphinx, MkDocs, pandoc,
Doxygen) from one small manual written here in each generator's own source language.

build(out) runs the generators that are installed and returns, per generator, the pages that
hold the manual's two chapters; PROSE and SECTIONS say what a reader must keep from each page."""
from __future__ import annotations

import os
import shutil
import struct
import subprocess
import zlib
from dataclasses import dataclass
from pathlib import Path

TITLE = "Tidewater Log Manual"
CH1, CH1_SUB = "Installing the Logger", "Calibrating the Float"
CH2, CH2_SUB = "Reading the Records", "Sending Records Ashore"

P1 = ("The tidewater logger records the height of the sea every six minutes and stores each "
      "reading with the time it was taken.")
P2 = ("Before the first start, the keeper sets the harbour datum, which is the level from which "
      "every height is measured.")
NOTE = ("Readings taken during a storm surge are marked as doubtful and kept apart from the "
        "ordinary series of heights.")
P3 = "The float is calibrated against the staff gauge at low water on three consecutive days."
STEPS = ("Clean the stilling well of silt and weed.",
         "Check that the float wire runs freely over the pulley.",
         "Write the gauge reading and the logger reading side by side.")
ASIDE = ("Older loggers from the coastal survey keep their calibration in a paper book that the "
         "keeper signs each month.")
CAPTION = "The stilling well seen from above, with the float and its counterweight."
P4 = ("Each record file holds one calendar month and begins with the station number and the "
      "harbour datum.")
P5 = ("Heights are written in millimetres above the datum, and a missing reading is written as a "
      "row of dashes.")
P6 = ("At the end of the month the keeper copies the record file to the survey office, where it "
      "is checked against the tide tables.")
WARNING = ("Never edit a record file by hand, because the checksum at its end will no longer "
           "match and the office will refuse it.")

CHAPTER_1 = (P1, P2, NOTE, P3, *STEPS, ASIDE)
CHAPTER_2 = (P4, P5, P6, WARNING)
# the section each sentence is under, per chapter (the chapter's own heading for its opening)
SECTIONS = {P1: CH1, P2: CH1, NOTE: CH1, P3: CH1_SUB, ASIDE: CH1_SUB, P4: CH2, P5: CH2,
            P6: CH2_SUB, WARNING: CH2_SUB, **{s: CH1_SUB for s in STEPS}}
GENERATORS = ("docbook", "sphinx", "mkdocs", "pandoc", "doxygen")
TOOLS = {"docbook": "xsltproc", "sphinx": "sphinx-build", "mkdocs": "mkdocs", "pandoc": "pandoc",
         "doxygen": "doxygen"}


@dataclass
class Page:
    generator: str
    path: Path
    prose: tuple[str, ...]  # the sentences written in its source
    headings: tuple[str, ...]
    caption: bool = False  # the page shows the figure and its caption


def available() -> list[str]:
    return [g for g in GENERATORS if shutil.which(TOOLS[g])]


def build(out: Path, generators: tuple[str, ...] | list[str] = GENERATORS) -> dict[str, list[Page]]:
    """Run each generator into out/<generator>/ and return the pages holding the chapters."""
    pages = {}
    for g in generators:
        folder = out / g
        folder.mkdir(parents=True, exist_ok=True)
        pages[g] = globals()[f"_{g}"](folder)
    return pages


def _run(*cmd: str, cwd: Path) -> None:
    r = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True,
                       env=dict(os.environ, SOURCE_DATE_EPOCH="1700000000"))
    if r.returncode:
        raise RuntimeError(f"{cmd[0]} failed: {r.stderr[-800:]}")


def _png(path: Path) -> None:
    """A 2x2 grey PNG: the figure's picture (its caption is the text a reader must keep)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    raw = b"\x00\x80\x80\x00\x80\x80"
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 2, 2, 8, 0, 0, 0, 0))
                     + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


# -- DocBook 4.5 -> docbook-xsl chunked HTML ----------------------------------------------------


def _docbook(folder: Path) -> list[Page]:
    src = folder / "src"
    src.mkdir(exist_ok=True)
    _png(src / "well.png")
    steps = "".join(f"<listitem><para>{s}</para></listitem>" for s in STEPS)
    (src / "manual.xml").write_text(f"""<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE book PUBLIC "-//OASIS//DTD DocBook XML V4.5//EN"
  "http://www.oasis-open.org/docbook/xml/4.5/docbookx.dtd">
<book id="manual" lang="en">
  <bookinfo><title>{TITLE}</title><releaseinfo>Release 1.12</releaseinfo></bookinfo>
  <chapter id="install"><title>{CH1}</title>
    <para>{P1}</para>
    <para>{P2}</para>
    <note><para>{NOTE}</para></note>
    <section id="calibrate"><title>{CH1_SUB}</title>
      <para>{P3}</para>
      <orderedlist>{steps}</orderedlist>
      <sidebar><title>Older loggers</title><para>{ASIDE}</para></sidebar>
      <figure id="well"><title>{CAPTION}</title>
        <mediaobject><imageobject><imagedata fileref="well.png"/></imageobject></mediaobject>
      </figure>
    </section>
  </chapter>
  <chapter id="records"><title>{CH2}</title>
    <para>{P4}</para>
    <para>{P5}</para>
    <section id="ashore"><title>{CH2_SUB}</title>
      <para>{P6}</para>
      <warning><para>{WARNING}</para></warning>
    </section>
  </chapter>
</book>
""", encoding="utf-8")
    html = folder / "html"
    html.mkdir(exist_ok=True)
    xsl = "/usr/share/xml/docbook/stylesheet/docbook-xsl/html/chunk.xsl"
    _run("xsltproc", "--nonet", "--stringparam", "base.dir", f"{html}/",
         "--stringparam", "use.id.as.filename", "1", "--stringparam", "chunk.section.depth", "0",
         "--stringparam", "generate.toc", "book toc,title chapter toc", xsl, str(src / "manual.xml"),
         cwd=src)
    return [Page("docbook", html / "install.html", CHAPTER_1, (CH1, CH1_SUB), True),
            Page("docbook", html / "records.html", CHAPTER_2, (CH2, CH2_SUB))]


# -- Sphinx (reStructuredText, the default theme) -----------------------------------------------


def _rst_heading(text: str, mark: str) -> str:
    return f"{text}\n{mark * len(text)}\n"


def _sphinx(folder: Path) -> list[Page]:
    src = folder / "src"
    src.mkdir(exist_ok=True)
    _png(src / "well.png")
    (src / "conf.py").write_text(f"project = {TITLE!r}\nrelease = '1.12'\n", encoding="utf-8")
    (src / "index.rst").write_text(
        _rst_heading(TITLE, "=") + "\n:Release: 1.12\n:Date: 2026-11-02\n\n"
        ".. toctree::\n   :maxdepth: 2\n\n   install\n   records\n", encoding="utf-8")
    steps = "\n".join(f"#. {s}" for s in STEPS)
    (src / "install.rst").write_text(
        _rst_heading(CH1, "=") + f"\n:Release: 1.12\n:Audience: keepers\n\n{P1}\n\n{P2}\n\n"
        f".. note::\n\n   {NOTE}\n\n" + _rst_heading(CH1_SUB, "-") + f"\n{P3}\n\n{steps}\n\n"
        f".. sidebar:: Older loggers\n\n   {ASIDE}\n\n"
        f".. figure:: well.png\n\n   {CAPTION}\n", encoding="utf-8")
    (src / "records.rst").write_text(
        _rst_heading(CH2, "=") + f"\n{P4}\n\n{P5}\n\n" + _rst_heading(CH2_SUB, "-")
        + f"\n{P6}\n\n.. warning::\n\n   {WARNING}\n", encoding="utf-8")
    html = folder / "html"
    _run("sphinx-build", "-q", "-b", "html", str(src), str(html), cwd=folder)
    return [Page("sphinx", html / "install.html", CHAPTER_1, (CH1, CH1_SUB), True),
            Page("sphinx", html / "records.html", CHAPTER_2, (CH2, CH2_SUB))]


# -- MkDocs (Markdown, its default theme, admonitions) ------------------------------------------


def _mkdocs(folder: Path) -> list[Page]:
    docs = folder / "docs"
    docs.mkdir(exist_ok=True)
    _png(docs / "well.png")
    (folder / "mkdocs.yml").write_text(
        f"site_name: {TITLE}\nsite_url: https://example.org/tidewater/\n"
        "repo_url: https://example.org/tidewater/src\nedit_uri: edit/main/docs/\n"
        "markdown_extensions:\n  - admonition\n  - toc:\n      permalink: true\n"
        "nav:\n  - Home: index.md\n  - install.md\n  - records.md\n", encoding="utf-8")
    (docs / "index.md").write_text(f"# {TITLE}\n\nSee the chapters.\n", encoding="utf-8")
    steps = "\n".join(f"{i}. {s}" for i, s in enumerate(STEPS, 1))
    (docs / "install.md").write_text(
        f"# {CH1}\n\n{P1}\n\n{P2}\n\n!!! note\n    {NOTE}\n\n## {CH1_SUB}\n\n{P3}\n\n{steps}\n\n"
        f"!!! tip \"Older loggers\"\n    {ASIDE}\n\n"
        f"<figure><img src=\"well.png\" alt=\"\"><figcaption>{CAPTION}</figcaption></figure>\n",
        encoding="utf-8")
    (docs / "records.md").write_text(
        f"# {CH2}\n\n{P4}\n\n{P5}\n\n## {CH2_SUB}\n\n{P6}\n\n!!! warning\n    {WARNING}\n",
        encoding="utf-8")
    _run("mkdocs", "build", "-q", "-d", str(folder / "site"), cwd=folder)
    site = folder / "site"
    return [Page("mkdocs", site / "install" / "index.html", CHAPTER_1, (CH1, CH1_SUB), True),
            Page("mkdocs", site / "records" / "index.html", CHAPTER_2, (CH2, CH2_SUB))]


# -- pandoc (Markdown -> standalone HTML5 with a table of contents) ------------------------------


def _pandoc(folder: Path) -> list[Page]:
    steps = "\n".join(f"{i}. {s}" for i, s in enumerate(STEPS, 1))
    _png(folder / "well.png")
    pages = []
    for name, title, body, prose, heads, fig in (
            ("install", CH1, f"{P1}\n\n{P2}\n\n::: note\n{NOTE}\n:::\n\n## {CH1_SUB}\n\n{P3}\n\n"
             f"{steps}\n\n::: sidebar\n{ASIDE}\n:::\n\n![{CAPTION}](well.png)\n",
             CHAPTER_1, (CH1, CH1_SUB), True),
            ("records", CH2, f"{P4}\n\n{P5}\n\n## {CH2_SUB}\n\n{P6}\n\n::: warning\n{WARNING}\n:::\n",
             CHAPTER_2, (CH2, CH2_SUB), False)):
        md = folder / f"{name}.md"
        md.write_text(f"---\ntitle: {title}\nauthor: Harbour Survey\ndate: 2026-11-02\n---\n\n"
                      f"# {title}\n\n{body}", encoding="utf-8")
        out = folder / f"{name}.html"
        _run("pandoc", "-s", "--toc", "--metadata", "lang=en", "-o", str(out), str(md), cwd=folder)
        pages.append(Page("pandoc", out, prose, heads, fig))
    return pages


# -- Doxygen (a C header's \mainpage and \page) ---------------------------------------------------


def _doxygen(folder: Path) -> list[Page]:
    src = folder / "src"
    src.mkdir(exist_ok=True)
    _png(src / "well.png")
    steps = "\n".join(f" *  -# {s}" for s in STEPS)
    (src / "tidewater.h").write_text(f"""/**
 * \\mainpage {TITLE}
 *
 * \\section install {CH1}
 *
 * {P1}
 *
 * {P2}
 *
 * \\note {NOTE}
 *
 * \\subsection calibrate {CH1_SUB}
 *
 * {P3}
 *
{steps}
 *
 * \\remark {ASIDE}
 *
 * \\image html well.png "{CAPTION}"
 */

/**
 * \\page records {CH2}
 *
 * {P4}
 *
 * {P5}
 *
 * \\section ashore {CH2_SUB}
 *
 * {P6}
 *
 * \\warning {WARNING}
 */

/** Reads the next height from the logger, in millimetres above the datum. */
int tidewater_read(void);
""", encoding="utf-8")
    (folder / "Doxyfile").write_text(
        f"PROJECT_NAME = \"{TITLE}\"\nINPUT = src\nIMAGE_PATH = src\nOUTPUT_DIRECTORY = out\n"
        "GENERATE_LATEX = NO\nQUIET = YES\nWARNINGS = NO\nSEARCHENGINE = YES\n"
        "GENERATE_TREEVIEW = NO\nTIMESTAMP = NO\n", encoding="utf-8")
    _run("doxygen", "Doxyfile", cwd=folder)
    html = folder / "out" / "html"
    return [Page("doxygen", html / "index.html", CHAPTER_1, (CH1, CH1_SUB), True),
            Page("doxygen", html / "records.html", CHAPTER_2, (CH2, CH2_SUB))]
