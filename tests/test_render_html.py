"""Telegram HTML rendering: escaping, the 4,096-character limit, splits that keep tags whole.

Every message is checked with the loopback server's parser (tests/fake_telegram.py), which
accepts only what Telegram's HTML parse mode accepts."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fake_telegram import EntityError, check_text, parse_html, utf16_len

from index.answering.answer import Answer, Answerer, Passage
from bot.commands import Reply, handle
from index.facts import Fact
from bot.render import facts_table
from bot.render_html import (LIMIT, answer_head, answer_messages, answer_page, cut_html, esc,
                             fact_details_messages, fact_line, pack, passage_html, reply_messages,
                             shown_chars, tg_len)
from bot.session import Session
from index.reading.corpus import Chunk, Note
from index.search.engine import SearchHit
from index.answering.highlight import Highlight

ROOT = Path(__file__).resolve().parent.parent
NASTY = "<b>bold</b> & <script>alert('x')</script> &amp; a > b < c \"q\""


def valid(messages: list[str], limit: int = LIMIT) -> list[str]:
    """The messages' plain texts; fails unless each is Telegram HTML within the limit."""
    out = []
    for m in messages:
        assert tg_len(m) <= limit, f"{tg_len(m)} > {limit}"
        plain, _ = parse_html(m)  # raises EntityError like Telegram's 400
        assert plain.strip()
        out.append(plain)
    return out


def squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


def chunk(text: str, citation_title: str = "Doc", notes=(), id_: str = "d:1") -> Chunk:
    return Chunk(id_, "d", citation_title, "Section <1> & co", 1, 1, 0, 0, 0, len(text), text,
                 tuple(notes))


def passage(text: str, rank: int = 1, start: int = 0, end: int | None = None, **kw) -> Passage:
    end = len(text) if end is None else end
    c = chunk(text, **kw)
    return Passage(rank, 1.0, SearchHit(c, 1.0), Highlight(start, end, text[start:end], [], []))


@pytest.fixture(scope="module")
def answerer(tmp_path_factory) -> Answerer:
    return Answerer.open(ROOT / "data", tmp_path_factory.mktemp("index"))


# -- escaping ---------------------------------------------------------------------------------------


def test_document_and_user_text_is_escaped_everywhere():
    p = passage(f"Before. {NASTY}. After.", start=8, end=8 + len(NASTY) + 1,
                citation_title=NASTY, notes=[Note("iv", NASTY, see=NASTY)])
    fact = Fact("f-1", "1986-05", (NASTY, "B"), "treaty", NASTY, NASTY, "d", NASTY, 3.5, "<m>")
    answer = Answer(NASTY, True, message=NASTY, passages=(p,), assumed=NASTY,
                    facts=(type("M", (), {"fact": fact})(),))
    (text,) = valid(answer_messages(answer))
    assert text.count(NASTY) >= 6  # question-derived note, fact, citation, sentence, note, see
    assert "3.5 <m>" in text and "May 1986" in text
    (details,) = valid(fact_details_messages([fact], {}))
    assert details.count(NASTY) >= 3
    for kind in ("info", "error"):
        assert valid(reply_messages(Reply(kind, text=NASTY))) == [NASTY]


def test_only_telegrams_tags_are_used(answerer):
    session = Session(answerer, k=10)
    replies = [handle(session, q) for q in (
        "When did Mongolia and North Korea establish diplomatic relations?", "/more", "/source 2",
        "/facts", "/timeline Mongolia DPRK", "/docs", "/help", "/k 99", "/nonsense")]
    for reply in replies:
        messages = reply_messages(reply)
        valid(messages)
        tags = set(re.findall(r"</?([a-z-]+)", "".join(messages)))
        assert tags <= {"b", "i", "blockquote"}, tags
    assert "/quit" not in "".join(reply_messages(replies[6]))


# -- splitting ----------------------------------------------------------------------------------------


def test_an_answer_is_one_message_that_shrinks_its_excerpts_to_fit(answerer):
    answer = answerer.ask("Mongolia North Korea treaty visit ambassador trade aid", k=10)
    assert len(answer.passages) == 10
    (roomy,) = answer_messages(answer)
    (tight,) = answer_messages(answer, limit=2000)  # one message still: shorter, fewer
    valid([roomy])
    valid([tight], 2000)
    assert [int(r) for r in re.findall(r"<b>\[(\d+)\]</b>", roomy)] == list(range(1, 11))
    ranks = [int(r) for r in re.findall(r"<b>\[(\d+)\]</b>", tight)]
    assert ranks == list(range(1, len(ranks) + 1)) and len(ranks) >= 3


def test_answer_page_leads_with_the_answer_line_and_folds_the_passages(answerer):
    answer = answerer.ask("When did Mongolia and North Korea establish diplomatic relations?")
    html = answer_page(answer, total=12)
    line, citation = html.split("\n")[:2]
    assert line == "<b>15 October 1948 — Diplomatic relations established</b>"
    assert citation.startswith("<i>Mongolia and North Korea, ") and "¶" in citation
    assert html.count("<blockquote expandable>") == 1 + len(answer.passages)  # facts, passages
    assert html.rstrip().endswith("<i>passages 1–3 of 12</i>")
    assert shown_chars(html) <= 900 < tg_len(html)
    # a later page keeps the first page's answer line
    page = answerer.ask("When did Mongolia and North Korea establish diplomatic relations?",
                        offset=3)
    later = answer_page(page, head=answer_head(answer), total=12)
    assert later.startswith(answer_head(answer)) and "passages 4–6 of 12" in later


def test_figures_look_alike_in_every_front_end():
    f = Fact("x", "1950", ("A", "B"), "aid", "Aid", "s", "d", "q", 226236.0, "head of meat")
    assert "226,236 head of meat" in fact_line(f)
    assert "226,236 head of meat" in facts_table([f])
    assert "226,236 head of meat" in f.text


def test_pack_keeps_blocks_whole_and_in_order():
    blocks = [f"<b>{i}</b> " + esc("x & y " * 160) for i in range(9)]  # ~1,600 characters each
    messages = pack(blocks)
    assert len(messages) == 5
    texts = valid(messages)
    assert squash("".join(texts)) == squash("".join(parse_html(b)[0] for b in blocks))
    for block in blocks:  # each block whole in one message, in order
        assert sum(block in m for m in messages) == 1
    where = [next(i for i, m in enumerate(messages) if block in m) for block in blocks]
    assert where == sorted(where)


def test_an_over_long_passage_is_cut_at_sentences_with_tags_reopened():
    sentence = "The treaty of friendship was signed in Pyongyang on that day by both leaders. "
    text = sentence * 120  # ~9,400 characters: more than two messages on its own
    bold_from = len(sentence) * 40
    p = passage(text, start=bold_from, end=bold_from + len(sentence) * 30)
    block = passage_html(p, 100_000)  # the whole passage
    assert tg_len(block) > 2 * LIMIT
    messages = pack([block])
    texts = valid(messages)
    assert len(messages) == 3
    for t in texts[:-1]:
        assert t.rstrip().endswith(".")  # cut after a sentence
    assert squash("".join(texts)) == squash(parse_html(block)[0])
    bold = [m for m in messages if m.startswith("<blockquote expandable><b>The treaty")]
    assert bold  # the bold run of sentences spans a cut: bold again after it
    # in an answer the passage is an excerpt around its best sentence, with the sentence whole
    (short,) = valid(answer_messages(Answer("q", True, passages=(p,))))
    assert (sentence * 30).strip() in short  # the best sentences whole
    assert short.rstrip().endswith("…\n\npassages 1")


def test_cut_never_splits_a_tag_or_an_entity():
    html = ("<b>" + "&amp;&lt;&gt;" * 40 + "</b>" + "<i>word</i>" * 40) * 3
    for limit in (20, 33, 57, 100, 250):
        pieces = cut_html(html, limit)
        texts = valid(pieces, limit)
        assert "".join(texts) == parse_html(html)[0]


def test_length_counts_utf16_units():
    text = "😀 " * 3000  # 6,000 characters, 9,000 UTF-16 units
    messages = pack([esc(text)])
    texts = valid(messages)
    assert all(utf16_len(m) <= LIMIT for m in messages) and len(messages) == 3
    assert squash("".join(texts)) == squash(text)


def test_invalid_html_would_be_refused():
    for bad in ("<script>x</script>", "a & b", "<b>x", "<b>x</i>", "1 > 0", "<a onclick=x>y</a>"):
        with pytest.raises(EntityError):
            parse_html(bad)
    for bad in (" ", "<b> </b>", "x" * 4097):
        with pytest.raises(EntityError):
            check_text(bad, "HTML")


_text = st.text(alphabet=st.sampled_from(list("ab cd.!?\n<>&\"'") + ["😀", "Ж", "é", "\t"]),
                min_size=0, max_size=300)


@st.composite
def _html(draw):
    parts = []
    for _ in range(draw(st.integers(1, 8))):
        piece = esc(draw(_text))
        tag = draw(st.sampled_from(["", "b", "i", "blockquote"]))
        parts.append(f"<{tag}>{piece}</{tag}>" if tag and piece else piece)
    return "".join(parts)


@settings(max_examples=300, deadline=None)
@given(html=_html(), limit=st.integers(30, 400))
def test_cut_html_property(html, limit):
    plain, _ = parse_html(html) if html.strip() else ("", [])
    pieces = cut_html(html, limit) if tg_len(html) > limit else ([html] if plain.strip() else [])
    texts = valid(pieces, limit)
    assert squash("".join(texts)) == squash(plain)
