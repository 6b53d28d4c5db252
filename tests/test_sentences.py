"""Sentence boundaries: initials and endnote markers do not cut a sentence."""
from __future__ import annotations

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


def test_cyrillic_initials_do_not_split():
    assert sentences("Ю. Цэдэнбал said so. Ж. Санжмятав agreed.") == [
        "Ю. Цэдэнбал said so.", "Ж. Санжмятав agreed.",
    ]
