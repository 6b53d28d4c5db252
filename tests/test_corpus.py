"""Documents -> chunks: sections, paragraph numbers, endnotes, errors that name the file."""
from __future__ import annotations

import re

import pytest

from index.reading.corpus import MAX_CHARS, doc_paths, load_document, load_documents
from index.errors import DataError

from conftest import P_COOLING, P_RELATIONS, P_RUSSIA, P_TREATY


@pytest.fixture
def load(write_data):
    """load(name, text) -> the Document read from tmp_path/data/docs/name."""

    def read(name, text):
        data = write_data({name: text})
        return load_document(data / "docs" / name, data / "docs")

    return read


def texts(doc):
    return [c.text for c in doc.chunks]


# -- sections and titles -----------------------------------------------------------------------


def test_txt_headings_become_the_section_of_following_paragraphs(load):
    doc = load("a.txt", f"The title line\n\nFirst part\n\n{P_RELATIONS}\n\nSecond part\n\n"
                        f"{P_TREATY}\n\n{P_COOLING}\n")
    assert doc.title == "The title line"
    assert [(c.section, c.text) for c in doc.chunks] == [
        ("First part", P_RELATIONS), ("Second part", P_TREATY), ("Second part", P_COOLING),
    ]


def test_underlined_txt_headings_are_the_title_and_sections(load):
    doc = load("faq.txt", f"\nXZ Utils FAQ\n============\n\nFirst part\n----------\n\n"
                          f"{P_RELATIONS}\n\nSecond part\n-----------\n\n{P_TREATY}\n")
    assert doc.title == "XZ Utils FAQ"
    assert [(c.section, c.text) for c in doc.chunks] == [
        ("First part", P_RELATIONS), ("Second part", P_TREATY),
    ]


def test_an_faq_question_over_several_lines_is_the_section_of_its_answer(load):
    # the question is what its answer is under, not a paragraph of the answer before it
    doc = load("faq.txt", "XZ Utils FAQ\n============\n\n"
                          "Q:  I cannot find BCJ and BCJ2 filters. Don't they exist in liblzma?\n\n"
                          "A:  BCJ filter is called \"x86\" in liblzma. BCJ2 is not included.\n\n"
                          "Q:  I need to use a script that runs \"xz -9\". On a system with 256 MiB\n"
                          "    of RAM, xz says that it cannot allocate memory. Can I make the\n"
                          "    script work without modifying it?\n\n"
                          "A:  Set a default memory usage limit for compression.\n")
    assert [(c.section, c.text) for c in doc.chunks] == [
        ("Q:  I cannot find BCJ and BCJ2 filters. Don't they exist in liblzma?",
         "A:  BCJ filter is called \"x86\" in liblzma. BCJ2 is not included."),
        ("Q:  I need to use a script that runs \"xz -9\". On a system with 256 MiB of RAM, xz "
         "says that it cannot allocate memory. Can I make the script work without modifying it?",
         "A:  Set a default memory usage limit for compression."),
    ]
    # a paragraph that only opens like a question, with no answer after it, stays text
    doc = load("notes.txt", "Notes\n\nQ: what we asked the vendor, and what they said, is "
                            "in the minutes of the meeting.\n\nThe minutes are kept.\n")
    assert [c.section for c in doc.chunks] == [""]


def test_markdown_hash_headings_become_sections(load):
    doc = load("a.md", f"# The title\n\nIntro.\n\n## Part A\n{P_RELATIONS}\n\n"
                       f"## Part B ##\n\n{P_TREATY}\n")
    assert doc.title == "The title"
    assert [(c.section, c.text) for c in doc.chunks] == [
        ("", "Intro."), ("Part A", P_RELATIONS), ("Part B", P_TREATY),
    ]


def test_title_falls_back_to_the_file_name(load):
    doc = load("mongolia-north_korea.txt", P_RELATIONS + "\n")
    assert doc.title == "Mongolia north korea"
    assert doc.chunks[0].citation == "Mongolia north korea, ¶1"


def test_front_matter_title_and_source_are_used(load):
    doc = load("t.md", f"---\ntitle: \"The 2000 treaty\"\nsource: A journal\ndate: 2001\n---\n"
                       f"# Background\n\n{P_RUSSIA}\n")
    assert (doc.title, doc.source, doc.date) == ("The 2000 treaty", "A journal", "2001")
    assert doc.body_line == 6
    assert [(c.title, c.section, c.paragraph) for c in doc.chunks] == [
        ("The 2000 treaty", "Background", 1),
    ]
    assert doc.chunks[0].citation == "The 2000 treaty — Background, ¶1"


def test_windows_line_endings_give_the_same_chunks(load):
    text = f"Heading\n\n{P_RELATIONS}\n\n{P_TREATY}\n"
    unix = load("a.txt", text)
    windows = load("a.txt", text.replace("\n", "\r\n").encode())
    assert [c.to_dict() for c in windows.chunks] == [c.to_dict() for c in unix.chunks]


# -- errors ------------------------------------------------------------------------------------


def test_malformed_front_matter_names_file_and_line(load):
    with pytest.raises(DataError, match=r"docs/t\.md:2: malformed front matter"):
        load("t.md", "---\ntitle: a: b\n---\nText.\n")


def test_unclosed_front_matter_names_file_and_line(load):
    with pytest.raises(DataError, match=r"docs/t\.md:1: front matter .* no closing '---'"):
        load("t.md", "---\ntitle: A\nText.\n")


def test_unknown_front_matter_key_is_rejected_with_the_allowed_keys(load):
    with pytest.raises(DataError, match=r"docs/t\.md:\d+: unknown front matter key 'writer'; "
                                        r"allowed: title, author, source, date, url"):
        load("t.md", "---\ntitle: A\nwriter: Me\n---\nText.\n")


def test_unknown_front_matter_key_names_its_own_line(load):
    with pytest.raises(DataError, match=r"docs/t\.md:4: unknown front matter key 'writer'"):
        load("t.md", "---\ntitle: A\nsource: B\nwriter: Me\n---\nText.\n")


def test_non_utf8_file_is_rejected_naming_the_file(load):
    with pytest.raises(DataError, match=r"docs/latin\.txt: not UTF-8 text "
                                        r"\(byte 0xe9 at offset 3\); convert it to UTF-8"):
        load("latin.txt", "Café society.\n".encode("latin-1"))


def test_file_with_nul_bytes_is_rejected(load):
    with pytest.raises(DataError, match=r"docs/bin\.txt: binary file"):
        load("bin.txt", b"Some text\x00\x01\x02")


def test_utf8_bom_is_ignored(load):
    assert load("bom.txt", "\ufeff" + P_RELATIONS + "\n").chunks[0].text == P_RELATIONS


def test_missing_data_dir_says_how_to_fix(tmp_path):
    with pytest.raises(DataError, match="data directory not found; pass --data DIR"):
        doc_paths(tmp_path / "nowhere")


def test_missing_docs_folder_says_how_to_fix(tmp_path):
    with pytest.raises(DataError, match=rf"no docs/ folder; put your documents \(.txt, .md, .pdf, .docx, .html\) in "
                                        rf"{tmp_path}/docs"):
        doc_paths(tmp_path)


def test_empty_docs_folder_says_how_to_fix(tmp_path):
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "notes.odt").write_bytes(b"PK")
    (tmp_path / "docs" / ".hidden.txt").write_text("x")
    with pytest.raises(DataError, match=r"no documents \(\.txt, \.md, \.pdf, \.docx, \.html\); add at least one"):
        doc_paths(tmp_path)


def test_documents_are_found_in_subfolders_sorted(write_data):
    data = write_data({"b.txt": P_TREATY, "a.md": P_RELATIONS, "sub/c.TXT": P_COOLING,
                       "skip.odt": "x"})
    assert [d.id for d in load_documents(data)] == ["a", "b", "sub/c"]


# -- merging and splitting ---------------------------------------------------------------------


def test_short_paragraphs_are_merged_with_the_next_in_the_section(load):
    doc = load("a.txt", f"{P_RELATIONS}\n\nShort one.\n\nAnother short one.\n\n{P_TREATY}\n")
    assert texts(doc) == [P_RELATIONS, f"Short one.\n\nAnother short one.\n\n{P_TREATY}"]
    assert [(c.paragraph, c.paragraph_end) for c in doc.chunks] == [(1, 1), (2, 4)]
    assert doc.chunks[1].citation == "A, ¶2–4"


def test_short_paragraphs_are_not_merged_across_sections(load):
    doc = load("a.txt", f"Title\n\nOne\n\nShort one.\n\nTwo\n\n{P_TREATY}\n")
    assert [(c.section, c.text) for c in doc.chunks] == [("One", "Short one."), ("Two", P_TREATY)]


def test_an_entry_s_head_goes_with_what_it_heads(load):
    # a definition list as generated pages give it: a short entry, then an option's line and
    # its description; the option's line is read with what it describes, not only with the
    # entry before it
    before = "Be careful when using --dsymutil=yes, since it deletes the old directories. " * 2
    head = "--max-stackframe=<number> [default: 2000000]"
    doc = load("opts.md", f"{before}\n\n{head}\n\n{P_TREATY}\n")
    assert [t for t in texts(doc) if head in t] == [f"{before.strip()}\n\n{head}\n\n{P_TREATY}"]
    # when what it heads does not fit beside the entry before, the head starts its passage
    body, _ = long_paragraph()
    body = body[:1100]
    doc = load("long.md", f"{before}\n\n{head}\n\n{body}\n")
    assert texts(doc) == [before.strip(), f"{head}\n\n{body}"]


def test_a_class_entry_s_head_keeps_its_fields_and_description(load):
    head, fields = "class watchdog.events.FileSystemEventHandler[source]", "Bases: object"
    desc = "Base file system event handler that you can override methods from."
    doc = load("api.md", f"{P_TREATY}\n\n{head}\n\n{fields}\n\n{desc} {P_RELATIONS}\n\n{P_TREATY}\n")
    assert texts(doc)[1] == f"{head}\n\n{fields}\n\n{desc} {P_RELATIONS}"


def test_a_short_last_paragraph_of_a_section_joins_the_one_before(load):
    # a function's entry and its last line ('Returns: … Since: 1.6') are one passage
    tail = "Returns: Pointer to static zero-terminated string describing error code. Since: 1.6"
    doc = load("api.md", f"# API\n\n## Errors\n\n{P_TREATY}\n\n{tail}\n\n## Nodes\n\n{P_RELATIONS}\n")
    assert [(c.section, c.text) for c in doc.chunks] == [("Errors", f"{P_TREATY}\n\n{tail}"),
                                                         ("Nodes", P_RELATIONS)]


def long_paragraph():
    sentences = [
        f"In {1950 + i} the two governments exchanged {'several ' * (i % 4)}delegations on "
        f"trade number {i}, and the talks were reported in the press of both capitals."
        for i in range(22)
    ]
    return " ".join(sentences), sentences


def test_long_paragraph_is_split_at_sentence_ends_into_numbered_parts(load):
    para, sentences = long_paragraph()
    assert len(para) > 3000
    doc = load("a.txt", f"{P_RELATIONS}\n\n{para}\n")
    parts = doc.chunks[1:]
    assert [c.part for c in parts] == list(range(1, len(parts) + 1))
    assert len(parts) == 3
    assert all(len(c.text) <= MAX_CHARS for c in parts)
    assert all(c.text.endswith("capitals.") for c in parts)
    assert " ".join(c.text for c in parts) == para
    assert {(c.paragraph, c.paragraph_end) for c in parts} == {(2, 2)}
    assert parts[1].citation == "A, ¶2 (part 2)"
    assert [doc.body[c.start : c.end] for c in parts] == [c.text for c in parts]


def test_one_overlong_sentence_is_cut_at_a_space(load):
    words = " ".join(f"word{i}" for i in range(400))  # ~3,200 chars, no sentence end
    doc = load("a.txt", words + ".\n")
    assert all(len(c.text) <= MAX_CHARS for c in doc.chunks)
    assert " ".join(c.text for c in doc.chunks) == words + "."


# -- endnotes ----------------------------------------------------------------------------------

NOTED = (
    f"{P_RELATIONS[:-1]}.[i]\n\n{P_TREATY[:-1]}.[ii] Later it was renewed.[iii]\n\nNotes\n\n"
    "[i] Sambuu, Memoirs, Ulaanbaatar 1961,\n    p. 12.\n\n[ii] Treaty text, UNTS 420.\n\n"
    "[iii] Ibid., p. 3.\n"
)


def test_endnote_markers_resolve_into_chunk_notes(load):
    doc = load("a.txt", NOTED)
    assert [[(n.mark, n.text) for n in c.notes] for c in doc.chunks] == [
        [("i", "Sambuu, Memoirs, Ulaanbaatar 1961, p. 12.")],
        [("ii", "Treaty text, UNTS 420."), ("iii", "Ibid., p. 3.")],
    ]


def test_endnote_list_is_not_a_chunk(load):
    doc = load("a.txt", NOTED)
    assert len(doc.chunks) == 2
    assert not any("Sambuu" in c.text or "UNTS" in c.text for c in doc.chunks)
    assert sorted(doc.notes) == ["i", "ii", "iii"]


def test_ibid_note_points_at_the_earlier_note(load):
    doc = load("a.txt", NOTED)
    assert doc.notes["iii"].see == "Treaty text, UNTS 420."
    assert doc.notes["ii"].see is None
    assert doc.chunks[1].notes[1].to_dict() == {
        "mark": "iii", "text": "Ibid., p. 3.", "see": "Treaty text, UNTS 420.",
    }


def test_endnotes_on_consecutive_lines_are_separate_notes(load):
    doc = load("a.txt", f"{P_TREATY[:-1]}.[i] Renewed.[ii]\n\n[i] First note.\n[ii] Second note.\n")
    assert {m: n.text for m, n in doc.notes.items()} == {"i": "First note.", "ii": "Second note."}


def test_short_paragraph_ending_in_a_note_marker_is_text_not_a_heading(load):
    doc = load("a.txt", f"{P_RELATIONS}\n\nThe embassy opened in 1950.[i]\n\n{P_TREATY}\n\n"
                        "[i] Archive file 12.\n")
    assert any("The embassy opened in 1950.[i]" in c.text for c in doc.chunks)
    assert {c.section for c in doc.chunks} == {""}


# -- tables without layout ---------------------------------------------------------------------


def test_block_of_digits_is_not_a_chunk_and_its_caption_is_not_a_section(load):
    doc = load("a.txt", f"Title\n\nTrade\n\n{P_RELATIONS}\n\nTable 1. Trade volume\n\n"
                        "1990 1991 1992\n12 13 14\n15 16 17\n\nSource: Ministry of Trade.\n\n"
                        f"{P_TREATY}\n")
    assert doc.skipped_blocks == 1
    assert not any(re.search(r"\b1[2-7] 1[3-7]\b", c.text) for c in doc.chunks)
    assert [(c.section, c.text) for c in doc.chunks] == [
        ("Trade", P_RELATIONS),
        ("Trade", "Table 1. Trade volume\n\nSource: Ministry of Trade."),
        ("Trade", P_TREATY),
    ]


# -- identity and numbering --------------------------------------------------------------------


def test_chunk_ids_are_stable_when_the_text_is_unchanged(tmp_path):
    text = f"{P_RELATIONS}\n\n{P_TREATY}\n\n{P_COOLING}\n"
    ids = []
    for place in ("one", "two"):  # same document in another data folder, read again
        docs = tmp_path / place / "docs"
        docs.mkdir(parents=True)
        (docs / "a.txt").write_text(text, encoding="utf-8")
        ids.append([c.id for c in load_document(docs / "a.txt", docs).chunks])
    assert ids[0] == ids[1]
    assert len(set(ids[0])) == 3
    assert all(re.fullmatch(r"a:[0-9a-f]{10}", i) for i in ids[0])


def test_chunk_ids_survive_an_edit_elsewhere(load):
    before = load("a.txt", f"{P_RELATIONS}\n\n{P_TREATY}\n\n{P_COOLING}\n")
    after = load("a.txt", f"{P_RELATIONS}\n\n{P_TREATY}\n\n{P_COOLING} One more sentence.\n")
    assert [c.id for c in after.chunks][:2] == [c.id for c in before.chunks][:2]
    assert after.chunks[2].id != before.chunks[2].id


def test_repeated_paragraph_gets_a_distinct_id(load):
    doc = load("a.txt", f"{P_TREATY}\n\n{P_TREATY}\n")
    assert doc.chunks[1].id == doc.chunks[0].id + "-2"


def test_paragraph_numbers_skip_headings_notes_and_tables(load):
    doc = load("a.txt", f"Title\n\nPart one\n\n{P_RELATIONS}\n\n1 2 3\n4 5 6\n\n{P_TREATY}\n\n"
                        f"Part two\n\n{P_COOLING}\n\n[i] A note.\n")
    assert [(c.section, c.paragraph) for c in doc.chunks] == [
        ("Part one", 1), ("Part one", 2), ("Part two", 3),
    ]
    assert [c.seq for c in doc.chunks] == [0, 1, 2]


def test_chunk_offsets_point_into_the_body(load):
    doc = load("a.md", f"---\ntitle: T\n---\n# Head\n\n{P_RELATIONS}\n\n\n{P_TREATY}\n")
    assert [doc.body[c.start : c.end] for c in doc.chunks] == [P_RELATIONS, P_TREATY]


# -- the compiled counts an index build uses for large documents ---------------------------------

from pathlib import Path  # noqa: E402

from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from index.reading import accounting, corpus  # noqa: E402
from index.reading.count_kernels import ascii_letters_before  # noqa: E402

# letters, digits and spaces on both sides of ASCII, a lone surrogate, a character beyond the BMP
_PIECES = ["a", "Z", "the", "9", " ", "  ", "\n", "\n\n", "\t", "\u00a0", "\u3000", "\u2009",
           "é", "ß", "Ж", "𝐀", "\U0001f600", "\ud800", "-", ".", "|", "[i]", "١", "\x0b",
           "\x1c"]
_TEXT = st.lists(st.sampled_from(_PIECES), max_size=60).map("".join)


@settings(max_examples=300, deadline=None)
@given(_TEXT, st.lists(st.integers(0, 60), max_size=6))
def test_compiled_counts_are_the_python_counts(text, offsets):
    utf8 = text.encode("utf-8", "surrogatepass")
    assert accounting._compiled_counts(text, utf8) == (accounting.letters(text),
                                                       accounting.word_count(text))
    at = sorted(min(o, len(text)) for o in offsets)
    want = [sum(c.isascii() and c.isalpha() for c in text[:o]) for o in at]
    assert ascii_letters_before(utf8, at).tolist() == want


def _chunked(path: Path, docs_dir: Path):
    doc = load_document(path, docs_dir, keep_utf8=True)
    corpus.account(doc)
    return doc.chunks, doc.reading, doc.skipped_blocks, doc.title


def test_large_documents_are_chunked_and_measured_as_small_ones(write_data, monkeypatch):
    """The compiled path (a body of COMPILED_CHARS and more) gives the same passages, blocks
    skipped and share of text kept, on real documents and on blocks without words."""
    tables = ("Results\n\n" + "12 | 13 | 14 |\n-- | -- | --\n" * 3
              + "\n\nSource: the census, 1989.\n\n")
    data = write_data({"mixed.txt": "Годовой отчёт\n\n" + P_RELATIONS + "\n\n" + tables
                       + "— 17 —\n\n" + P_TREATY + "\n\n\u00a0\u00a0٣ ٤ ٥\n\n" + P_COOLING})
    docs_dir = data / "docs"
    bundled = Path(__file__).resolve().parent.parent / "data" / "docs"
    paths = [docs_dir / "mixed.txt", *sorted(bundled.rglob("*.txt"))]
    small = [_chunked(p, p.parent) for p in paths]
    monkeypatch.setattr(corpus, "COMPILED_CHARS", 0)
    monkeypatch.setattr(accounting, "COMPILED_BYTES", 0)
    large = [_chunked(p, p.parent) for p in paths]
    assert large == small
    assert small[0][2] >= 2  # the tables and the page number were skipped


def test_index_records_are_the_json_of_the_passages(write_data, tmp_path):
    """Each passage's record in a built index holds the passage as the chunker made it, notes,
    sections and non-ASCII text included, whichever path wrote it."""
    import json

    from index.search.build import write_index

    notes = ("# Notes\n\nThe treaty was signed.[i] It lapsed later.[ii]\n\n"
             "[i]: Pravda, 2000.\n[ii]: Ibid.\n\n## Другой\n\n" + P_COOLING)
    data = write_data({"a.txt": "Годовой отчёт\n\n" + P_RELATIONS + "\n\n" + P_TREATY,
                       "notes.md": notes})
    write_index(data, tmp_path / "index")
    gen = tmp_path / "index" / (tmp_path / "index" / "CURRENT").read_text().strip()
    lines = (gen / "chunks.jsonl").read_bytes().decode("utf-8").splitlines()
    want = [c for d in load_documents(data) for c in d.chunks]
    assert any(c.notes for c in want) and any(not c.notes for c in want)
    assert [json.loads(line) for line in lines] == [c.to_dict() for c in want]
