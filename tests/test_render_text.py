"""The terminal's rendering of a passage (bot/render.py): the question's words in bold."""
from __future__ import annotations

from bot.render import passage_text
from index.answering.answer import Passage
from index.answering.highlight import Highlight
from index.reading.corpus import Chunk
from index.search.engine import SearchHit


def shown(text: str, terms: list[tuple[int, int]]) -> str:
    c = Chunk("d:1", "d", "Manual", "Options", 1, 1, 0, 0, 0, len(text), text, ())
    p = Passage(1, 1.0, SearchHit(c, 1.0), Highlight(0, len(text), text, terms, []))
    return passage_text(p)


def test_a_word_matched_in_pieces_is_one_bold_word():
    # the analyzer reads 'bzip2' as 'bzip' and '2', 'Jong-il' as 'jong' and 'il'
    text = "bzip2 was run by Kim Jong-il in a shell."
    got = shown(text, [(0, 4), (4, 5), (17, 20), (21, 25), (26, 28)])
    assert "**bzip2**" in got and "**Kim** **Jong-il**" in got
    assert "****" not in got


def test_words_apart_stay_apart():
    got = shown("gzip and bzip2 differ.", [(0, 4), (9, 13), (13, 14)])
    assert "**gzip** and **bzip2** differ." in got
