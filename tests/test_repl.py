"""The terminal chat as whole transcripts, plus one run in a real pseudo-terminal."""
from __future__ import annotations

import io
import os
import sys
import time
from pathlib import Path

import pytest

from index.answering.answer import Answerer
from bot.repl import PROMPT, run

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def answerer(tmp_path_factory) -> Answerer:
    return Answerer.open(ROOT / "data", tmp_path_factory.mktemp("repl-index"))


def chat(answerer: Answerer, *lines: str) -> list[str]:
    """Run the chat on scripted input; return the reply to each input line, in order."""
    out = io.StringIO()
    assert run(answerer, io.StringIO("".join(x + "\n" for x in lines)), out) == 0
    text = out.getvalue()
    banner, *turns = text.split(f"\n{PROMPT}")
    assert banner.startswith("docbot — 2 documents, ") and "/help" in banner
    return [t.split("\n", 1)[1] if "\n" in t else "" for t in turns]


def test_transcript(answerer):
    replies = chat(
        answerer,
        "When did Mongolia establish diplomatic relations with South Korea?",
        "/more",
        "/source 4",
        "What treaty did Russia and the DPRK sign in 2000?",
        "who signed it?",
        "/frobnicate",
        "",
        "   ",
        "x" * 100_000,
        "/facts RF treaty",
        "/timeline MPR ROK",
        "/docs",
        "/k 1",
        "Who was ambassador in Pyongyang from 1963 to 1967?",
        "/quit",
        "this line is never read",
    )
    first, more, source, treaty, follow, unknown, long, facts, timeline, docs, k, one, bye = replies
    assert first.startswith("26 March 1990 — Mongolia and South Korea establish diplomatic relations\n")
    assert "\nFacts:\n" in first  # the answer line first, then the facts and passages
    assert "[1] " in first and "[3] " in first and "[4] " not in first
    assert first.rstrip().endswith("/more for more passages")
    assert more.startswith("passages 4–6\n")
    assert "[4] " in more and "[1] " not in more and "Facts:" not in more
    assert "(context)" in source and source.count("¶") >= 2
    assert "9 February 2000" in treaty
    assert follow.startswith("(Read as: Who “signed” it (the treaty, Russia and the DPRK sign in 2000)?)")
    assert "Treaty" in follow or "treaty" in follow
    assert unknown.strip() == "Unknown command /frobnicate. Type /help for the list."
    assert "Only the first 2,000 characters" in long or long.strip() == (
        "I found nothing about that in the documents.")
    assert facts.startswith("Facts (Russia treaty): ") and "9 February 2000" in facts
    assert timeline.startswith("Timeline: Mongolia – South Korea") and "26 March 1990" in timeline
    assert "Russian visit to North Korea" in docs and "passages" in docs
    assert k.strip() == "Showing 1 passages per answer."
    assert "D. Sharav" in one and "[2] " not in one
    assert bye == ""  # /quit says nothing more, and nothing after it was read


def test_a_lone_exit_or_quit_leaves_as_quit_does(answerer):
    for word in ("exit", "quit", "Q", " exit "):
        replies = chat(answerer, "When was the 2000 treaty signed?", word, "never read")
        assert len(replies) == 2 and "9 February 2000" in replies[0], word
        assert replies[1] == ""  # nothing said, and nothing after it read
    # a question that holds the word is asked as ever
    asked, = chat(answerer, "What does the exit of Mongolia from Comecon mean?")
    assert asked.strip()


def test_more_and_source_without_a_question(answerer):
    more, source, bad = chat(answerer, "/more", "/source 1", "/source x")
    assert more.strip() == "Ask a question first; /more shows further passages for it."
    assert source.strip() == "No passage 1: ask a question first."
    assert bad.startswith("Usage: /source N")


def test_end_of_input_ends_the_chat(answerer):
    out = io.StringIO()
    assert run(answerer, io.StringIO("Who was J. Sambuu?"), out) == 0  # no final newline
    assert "Sambuu" in out.getvalue()


def test_plain_output_has_no_escape_codes(answerer):
    (reply,) = chat(answerer, "Khalkhyn Gol")
    assert "\x1b[" not in reply


def test_interactive_terminal(tmp_path):
    """A real pty: prompt, colour, an answer, Ctrl-C keeps the chat, Ctrl-D ends it."""
    pexpect = pytest.importorskip("pexpect")
    env = dict(os.environ, DOCBOT_HISTORY=str(tmp_path / "hist"), TERM="xterm",
               DOCBOT_INDEX=str(tmp_path / "idx"))
    env.pop("NO_COLOR", None)
    child = pexpect.spawn(sys.executable, ["-m", "bot", "chat"], cwd=str(ROOT), env=env,
                          encoding="utf-8", timeout=60, dimensions=(40, 120))
    child.expect("docbot — 2 documents")
    child.expect_exact(PROMPT)
    child.sendline("Who led the aid shipments in 1953?")
    child.expect("Surenjav")
    child.expect_exact(PROMPT)
    assert "\x1b[" in child.before  # colour on a terminal
    child.send("half a line")
    child.expect_exact("half a line")
    # Let readline go idle: CPython notices a signal that lands while readline is busy with a
    # key only at the next key (its select loop), and no person types that fast.
    time.sleep(0.5)
    child.sendintr()
    child.expect_exact("^C")
    child.expect_exact(PROMPT)
    child.sendline("/k 2")
    child.expect("Showing 2 passages")
    child.expect_exact(PROMPT)
    child.sendeof()
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    assert "Who led the aid shipments in 1953?" in (tmp_path / "hist").read_text()


def test_and_before_a_whole_question_asks_it_on_its_own(answerer):
    replies = chat(
        answerer,
        "When did Mongolia and North Korea establish diplomatic relations?",
        "and who was the Russian foreign minister in 2000?",
        "and who signed it?",
        "and with Russia?",
    )
    _, own, follow, russia = replies
    # not read as 'When did Mongolia and Russian establish diplomatic relations?'
    assert "Read as" not in own and own.startswith("I. Ivanov\n")
    # a follow-up of it reads its topic without the 'and'
    assert follow.startswith("(Read as: Who “signed” it (the Russian foreign minister in 2000)?)")
    # 'and with Russia?' still continues the last question
    assert russia.startswith("(Read as:")


def test_he_after_a_who_question_is_the_person_answered(answerer):
    first, follow = chat(answerer, "Who was the first Mongolian ambassador to North Korea?",
                         "when was he recalled?")
    assert first.startswith("J. Sambuu\n")
    # not 'the first Mongolian ambassador to North Korea', which any ambassador's recall meets
    assert follow.startswith("(Read as: When was he (J. Sambuu) “recalled”?)")
    assert "1951" in follow.split("\n")[1]
