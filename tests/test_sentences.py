"""Sentence boundaries: initials and endnote markers do not cut a sentence."""
from __future__ import annotations

from pathlib import Path

import pytest

from index.sentences import sentence_spans


def sentences(text):
    return [text[s:e] for s, e in sentence_spans(text)]


@pytest.mark.parametrize("name", ["J. Sambuu", "Yu. Tsedenbal", "M.S. Gorbachev"])
def test_initials_do_not_split(name):
    text = f"The letter was signed by {name} in 1949. It was answered."
    assert sentences(text) == [f"The letter was signed by {name} in 1949.", "It was answered."]


def test_abbreviation_does_not_split():
    assert sentences("He met Dr. Kim in Pyongyang. Then he left.") == [
        "He met Dr. Kim in Pyongyang.", "Then he left.",
    ]


def test_endnote_marker_stays_with_its_sentence():
    text = "The treaty was signed.[i] It lapsed in 1995.[ii][iii] Nothing followed."
    assert sentences(text) == [
        "The treaty was signed.[i]", "It lapsed in 1995.[ii][iii]", "Nothing followed.",
    ]


def test_endnote_marker_glued_to_the_next_sentence_still_splits():
    text = "They called it a ‘treaty’.[ii]Nevertheless it held."
    assert sentences(text) == ["They called it a ‘treaty’.[ii]", "Nevertheless it held."]


def test_question_and_exclamation_marks_split():
    assert sentences("Why did it fail? Nobody knows! The end.") == [
        "Why did it fail?", "Nobody knows!", "The end.",
    ]


def test_lowercase_after_a_period_does_not_split():
    assert sentences("Trade fell by approx. ten per cent. in 1991. Then it grew.") == [
        "Trade fell by approx. ten per cent. in 1991.", "Then it grew.",
    ]


def test_spans_are_trimmed_and_cover_the_text():
    text = "  First one.   Second one.  "
    assert sentence_spans(text) == [(2, 12), (15, 26)]


def test_text_without_end_punctuation_is_one_sentence():
    assert sentences("A heading without a period") == ["A heading without a period"]
    assert sentence_spans("   ") == []


def test_a_blank_line_ends_a_sentence_whatever_stands_before_it():
    text = "--num-callers=<number> [default: 12]\n\nSpecifies the depth. It is 12.\n \t\nnext entry"
    assert sentences(text) == ["--num-callers=<number> [default: 12]", "Specifies the depth.",
                               "It is 12.", "next entry"]
    # one line break is no end: a PDF's lines wrap inside a sentence
    assert sentences("The treaty was\nsigned in 1961.") == ["The treaty was\nsigned in 1961."]


def test_cyrillic_initials_do_not_split():
    assert sentences("Ю. Цэдэнбал said so. Ж. Санжмятав agreed.") == [
        "Ю. Цэдэнбал said so.", "Ж. Санжмятав agreed.",
    ]


# -- the compiled splitter an index build uses for large runs of passages ------------------------

from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from index.search.tokens import sentences_of  # noqa: E402
from index.sentences import sentence_arrays  # noqa: E402

# what the rules look at: end punctuation, closers, endnote markers, initials (Latin and
# Cyrillic), abbreviations, Unicode spaces, digits and letters beyond the BMP, KELVIN SIGN
_PIECES = [".", "!", "?", "\ud800", "ǅ", "…", " ", "  ", "\n", "\n\n", "\t", "\r", "\u000b",
           "\u00a0", "\u3000", "\u2009",
           "'", "’", "\"", ")",
           "]", "”", "‘", "“", "(", "[", "[i]", "[xiv]", "[12]", "[٣]", "[ii", "A", "J", "Yu",
           "M.S", "Ж", "Ю", "Ёж", "Өө", "a", "ten", "Dr", "dr", "e.g", "i.e", "approx", "Etc",
           "\u212ao", "Co", "9", "1949", "_", "é", "ß", "İnc", "𝐀", "𝟗", "\U0001f600", "the", "It"]


def _compiled_and_regex(texts):
    compiled = sentence_arrays(texts, compiled=True)
    plain = sentence_arrays(texts, compiled=False)
    for got, want in zip(compiled, plain):
        assert got.dtype == want.dtype
        assert got.tolist() == want.tolist()
    count, starts, ends = compiled
    at = 0
    for t, k in zip(texts, count.tolist()):  # and what sentences_of gives, text by text
        got = list(zip(starts[at : at + k].tolist(), ends[at : at + k].tolist()))
        assert got == sentences_of(t)
        at += k


@settings(max_examples=300, deadline=None)
@given(st.lists(st.lists(st.sampled_from(_PIECES), max_size=40).map("".join), max_size=8))
def test_compiled_splitter_gives_the_regular_expressions_spans(texts):
    _compiled_and_regex(texts)


def test_compiled_splitter_on_the_cases_above_and_real_documents():
    texts = ["The letter was signed by J. Sambuu in 1949. It was answered.",
             "He met Dr. Kim in Pyongyang. Then he left.",
             "The treaty was signed.[i] It lapsed in 1995.[ii][iii] Nothing followed.",
             "They called it a ‘treaty’.[ii]Nevertheless it held.",
             "Trade fell by approx. ten per cent. in 1991. Then it grew.",
             "  First one.   Second one.  ", "A heading without a period", "   ", "",
             "Ю. Цэдэнбал said so. Ж. Санжмятав agreed.",
             "--num-callers=<number> [default: 12]\n\nSpecifies it.\n \t\nnext\n\n\n\nlast"]
    docs = sorted((Path(__file__).resolve().parent.parent / "data" / "docs").rglob("*.txt"))
    assert docs
    for p in docs:  # whole, and paragraph by paragraph as passages are
        body = p.read_text(encoding="utf-8")
        texts += [body, *body.split("\n\n")]
    _compiled_and_regex(texts)


def test_compiled_splitter_beyond_the_basic_plane():
    # code points past U+FFFF are renumbered for the kernel's table: their classes (letters and
    # digits of the mathematical alphabets, emoji, the first and last code points) stay theirs
    astral = ["\U00010000", "\U0010ffff", "\U0001d400", "\U0001d7d7", "\U0001f600", "\U00010001"]
    texts = [f"Ab {a}. {b}c. Dr. {a}{b}. J. {b} Next [ii] one! {a}? It. {a}Dr. Kim met "
             f"{b}Yu. Tsedenbal. It ended.[{a}] Then.[{b}{a}] So." for a in astral for b in astral]
    texts += ["".join(astral) + ". " + t for t in ("Then.", "x.", "\u00a0The end.  ")]
    texts += ["Plain text. Without them."]  # a run without any, after runs with them
    _compiled_and_regex(texts)
    for t in texts:
        _compiled_and_regex([t, "No. Such. Characters here."])
