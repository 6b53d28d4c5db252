"""End to end: the real Application (build_application) against a loopback Bot API server.

Every test waits for the bot's replies by polling the fake server's record of calls (up to
20 s: the machines are shared and noisy) and never asserts how long anything took. The fake
server answers 400 like Telegram to any message that breaks Telegram's rules, so "no 4xx
calls" checks the HTML, the lengths and the buttons of everything the bot sent."""
from __future__ import annotations

import contextlib
import io
import json
import logging
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from fake_telegram import AppThread, Call, FakeTelegram, parse_html

from index.answering.answer import Answerer
from bot.cli import main as cli_main
from bot.config import Settings
from bot.telegram_bot import APOLOGY, EXPIRED, REFUSED, build_application, run

ROOT = Path(__file__).resolve().parent.parent
WAIT = 20.0
FACT_QUESTION = "When did Mongolia and North Korea establish diplomatic relations?"
QUESTION = "Who signed the treaty between Russia and North Korea in 2000?"


class BoomAnswerer(Answerer):
    """The real answerer, except that a question with 'kaboom' in it raises."""

    def ask(self, question: str, k: int = 3, offset: int = 0, **kw):
        if "kaboom" in question:
            raise RuntimeError("kaboom: a deliberate failure for the test")
        return super().ask(question, k, offset, **kw)


@pytest.fixture(scope="module")
def answerer(tmp_path_factory) -> Answerer:
    real = Answerer.open(ROOT / "data", tmp_path_factory.mktemp("index"))
    return BoomAnswerer(real.index, real.facts)


class Bot:
    """The real bot (build_application + run, as `docbot telegram` runs it) in a thread."""

    def __init__(self, tg: FakeTelegram, answerer: Answerer, read_timeout: float = 15.0,
                 **settings) -> None:
        settings.setdefault("rate_limit", None)
        self.settings = Settings(token=tg.token, api_base_url=tg.url, **settings)
        self.app = build_application(answerer, self.settings, read_timeout=read_timeout)
        self.thread = AppThread(self.app, lambda: run(self.app, self.settings, stop_signals=None))
        self.tg = tg

    def __enter__(self) -> "Bot":
        since = len(self.tg.calls)
        self.thread.start()
        # online: menu set, webhook deleted, first poll under way
        self.tg.wait_for(lambda calls: any(c.method == "deleteWebhook" for c in calls[since:]), WAIT)
        return self

    def __exit__(self, *exc) -> None:
        self.thread.stop()


@pytest.fixture(scope="module")
def tg():
    with FakeTelegram() as server:
        yield server


@pytest.fixture(scope="module")
def bot(tg, answerer):
    with Bot(tg, answerer) as running:
        yield running


def replies(tg: FakeTelegram, chat_id: int, since: int, count: int = 1,
            until: str | None = None) -> list[Call]:
    """Wait for at least `count` messages to the chat after call number `since` (and, with
    `until`, one whose text contains it); return them all."""
    def done(calls):
        sent = tg.sent(chat_id, since)
        if len(sent) < count or (until and not any(until in c.text for c in sent)):
            return None
        return sent
    return tg.wait_for(done, WAIT)


def say(tg: FakeTelegram, chat_id: int, text: str, count: int = 1, until: str | None = None,
        **kw) -> list[Call]:
    since = len(tg.calls)
    tg.push_message(chat_id, text, **kw)
    return replies(tg, chat_id, since, count, until)


def press(tg: FakeTelegram, chat_id: int, message: Call, text: str, count: int = 1,
          until: str | None = None, user_id: int | None = None) -> list[Call]:
    """Press the button labelled `text` under a sent message; wait for the messages it brings."""
    data = next(b["callback_data"] for b in message.buttons if b["text"] == text)
    since = len(tg.calls)
    tg.push_callback(chat_id, message.response["result"]["message_id"], data, user_id=user_id)
    return replies(tg, chat_id, since, count, until)


def reply_target(call: Call) -> int | None:
    """The message a sent message replies to."""
    params = call.params.get("reply_parameters")
    if isinstance(params, str):
        params = json.loads(params)
    return params.get("message_id") if params else None


def with_buttons(calls: list[Call]) -> Call:
    return next(c for c in reversed(calls) if c.buttons)


@contextlib.contextmanager
def cli_bot(tg: FakeTelegram, tmp_path: Path, *flags: str):
    """`docbot telegram` as a process against the fake server; stopped with SIGTERM on leaving.
    Yields (process, [stdout, stderr]) — the output is filled in once it has stopped."""
    env = dict(os.environ, TELEGRAM_BOT_TOKEN=tg.token, PYTHONUNBUFFERED="1")
    env.pop("DOCBOT_ALLOWED_CHATS", None)
    proc = subprocess.Popen(
        [sys.executable, "-m", "bot", "telegram", "--data", str(ROOT / "data"), "--index",
         str(tmp_path / "index"), "--api-base-url", tg.url, *flags],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    result: list[str] = []
    try:
        yield proc, result
        proc.send_signal(signal.SIGTERM)
        result += proc.communicate(timeout=WAIT)
    finally:
        if proc.poll() is None:
            proc.kill()
            result += proc.communicate()


def no_errors(tg: FakeTelegram, chat_id: int | None = None) -> None:
    bad = [c for c in tg.errors() if chat_id is None or c.chat_id == chat_id]
    assert not bad, [(c.method, c.response) for c in bad]


# -- commands --------------------------------------------------------------------------------------


def visible(call: Call) -> str:
    """What a phone shows of a message before anything is expanded (expandable quotes folded
    to their first line)."""
    result = call.response["result"]
    text, folded = result["text"], [e for e in result.get("entities", [])
                                    if e["type"] == "expandable_blockquote"]
    for e in sorted(folded, key=lambda e: -e["offset"]):
        inside = text[e["offset"] : e["offset"] + e["length"]]
        text = text[: e["offset"]] + inside.split("\n", 1)[0] + text[e["offset"] + e["length"] :]
    return text


def test_start_greets_offers_example_buttons_and_sets_menus_per_scope(bot, tg):
    private = [c["command"] for c in tg.menus["all_private_chats"]]
    group = [c["command"] for c in tg.menus["all_group_chats"]]
    assert {"start", "help", "more", "source", "facts", "timeline", "docs", "k"} <= set(private)
    assert "ask" not in private and "quit" not in private
    assert group[0] == "ask" and "k" not in group and "quit" not in group
    start = say(tg, 101, "/start")
    text = start[0].text
    assert text.startswith("Hello")
    assert "Mongolia and North Korea: relations from 1948 to the 2000s" in text
    assert "105 dated facts" in text
    examples = with_buttons(start).buttons
    assert len(examples) == 3 and all(b["text"].endswith("?") for b in examples)
    asked = press(tg, 101, with_buttons(start), examples[0]["text"], until="[1]")
    assert asked[0].text.split("\n", 1)[0]  # an answer line first
    assert "[1]" in asked[0].text
    help_text = say(tg, 101, "/help")[0].text
    assert "/timeline PARTY [PARTY]" in help_text and "/source N" in help_text
    assert "/quit" not in help_text
    assert "Unknown command /frobnicate" in say(tg, 101, "/frobnicate")[0].text
    no_errors(tg, 101)


def test_an_answer_starts_with_its_answer_line_and_fits_a_phone_screen(bot, tg):
    since = len(tg.calls)
    sent = say(tg, 102, FACT_QUESTION)
    assert len(sent) == 1  # one message
    result = sent[0].response["result"]
    first, citation = result["text"].split("\n")[:2]
    assert first == "15 October 1948 — Diplomatic relations established"
    bold = [e for e in result["entities"] if e["type"] == "bold"]
    assert bold[0]["offset"] == 0 and bold[0]["length"] == len(first)  # the answer line, bold
    assert citation.startswith("Mongolia and North Korea, ") and "¶" in citation
    quotes = [e for e in result["entities"] if e["type"] == "expandable_blockquote"]
    assert len(quotes) >= 3  # the facts and the passages, folded
    assert len(visible(sent[0])) <= 900
    labels = [b["text"] for b in sent[0].buttons]
    assert labels[:1] == ["More ›"] and "Facts" in labels and "Timeline" in labels
    assert "Full text 1" in labels
    assert all(len(b["callback_data"].encode()) <= 64 for b in sent[0].buttons)
    assert "passages 1–3 of " in result["text"]
    actions = tg.calls_of("sendChatAction", chat_id=102)
    assert any(c.params["action"] == "typing" and c.ok for c in actions)
    assert tg.calls.index(actions[0]) >= since
    who = say(tg, 102, "Who was the first Mongolian ambassador in Pyongyang?")[0]
    assert who.text.split("\n", 1)[0] in who.text.split("[1]", 1)[1]  # a span of passage 1
    no_errors(tg, 102)


def edits(tg: FakeTelegram, chat_id: int, since: int) -> list[Call]:
    return [c for c in tg.calls[since:] if c.method == "editMessageText" and c.ok
            and c.chat_id == chat_id]


def turn(tg: FakeTelegram, chat_id: int, message: Call, label: str) -> Call:
    """Press More / Prev under a message; wait for the message to be edited in place."""
    data = next(b["callback_data"] for b in message.buttons if b["text"] == label)
    since = len(tg.calls)
    message_id = message.response["result"]["message_id"]
    tg.push_callback(chat_id, message_id, data)
    edit = tg.wait_for(lambda calls: edits(tg, chat_id, since), WAIT)[0]
    assert int(edit.params["message_id"]) == message_id
    assert not tg.sent(chat_id, since)  # no new message
    return edit


def test_more_and_prev_edit_the_answer_in_place(bot, tg):
    answer = say(tg, 104, QUESTION)[0]
    line = answer.text.split("\n", 1)[0]
    more = turn(tg, 104, answer, "More ›")
    assert more.text.startswith(line)  # the answer line stays on every page
    assert "[4]" in more.text and "[1]" not in more.text and "passages 4–6 of " in more.text
    labels = [b["text"] for b in more.buttons]
    assert labels[0] == "‹ Prev" and "Full text 4" in labels
    back = turn(tg, 104, more, "‹ Prev")
    assert "[1]" in back.text and "passages 1–3 of " in back.text
    assert "‹ Prev" not in [b["text"] for b in back.buttons]
    # the typed commands share the conversation: /source 4 is the passage "More" showed
    citation4 = more.text.split("[4] ", 1)[1].split("\n", 1)[0]
    source = say(tg, 104, "/source 4")
    assert citation4.split(",")[0].rstrip("…") in source[0].text
    no_errors(tg, 104)


def test_full_text_starts_with_its_passage_and_replies_to_the_answer(bot, tg):
    answer = say(tg, 114, QUESTION)[0]
    full = press(tg, 114, answer, "Full text 2")
    text = "\n".join(c.text for c in full)
    assert "(context before)" not in text
    first = full[0].response["result"]
    bold = [e for e in first.get("entities", []) if e["type"] == "bold"]
    assert bold and bold[0]["offset"] == 0  # passage 2's citation comes first
    assert "(context after)" in text
    assert reply_target(full[0]) == answer.response["result"]["message_id"]
    no_errors(tg, 114)


def test_facts_and_timeline_reply_to_the_answer(bot, tg):
    answer = say(tg, 103, FACT_QUESTION)[0]
    facts = press(tg, 103, answer, "Facts")
    assert "15 October 1948" in facts[0].text
    assert any(e["type"] == "blockquote" for e in facts[0].response["result"]["entities"])
    assert reply_target(facts[0]) == answer.response["result"]["message_id"]
    # the facts may take more than one message: the timeline is the one that says so
    timeline = [c for c in press(tg, 103, answer, "Timeline", until="Timeline:")
                if "Timeline:" in c.text]
    assert "Timeline: Mongolia – North Korea" in timeline[0].text
    assert "226,236 head of meat" in timeline[0].text  # figures as everywhere else
    no_errors(tg, 103)


def test_follow_up_uses_this_chats_context_only(bot, tg):
    say(tg, 105, "When was the treaty between Russia and North Korea signed?")
    follow = say(tg, 105, "who signed it?")
    assert "Read as: Who “signed” it (the treaty between Russia and North Korea)?" in follow[0].text
    other = say(tg, 106, "who signed it?")
    assert "Read as" not in other[0].text
    no_errors(tg)


def test_small_talk_gets_one_line_and_is_no_follow_up(bot, tg):
    say(tg, 115, "When did Mongolia establish diplomatic relations with South Korea?")
    for text in ("hi", "thanks!", "ok"):
        sent = say(tg, 115, text)
        assert len(sent) == 1 and "\n" not in sent[0].text and "[1]" not in sent[0].text
        assert not sent[0].buttons
    follow = say(tg, 115, "and with North Korea?")  # the context survived the small talk
    assert "Read as: When did Mongolia establish diplomatic relations with North Korea?" in follow[0].text
    assert follow[0].text.startswith("15 October 1948")
    no_errors(tg, 115)


def test_user_text_that_looks_like_html_is_escaped(bot, tg):
    nasty = "<b>Mongolia</b> & <script>alert(1)</script> treaty &amp; </i>?"
    sent = say(tg, 107, nasty)
    assert sent and all(c.ok for c in sent)
    echoed = say(tg, 107, "/<script>alert(1)</script>&amp;<b>x</b> & y")  # the error echoes it
    assert "Unknown command /<script>alert(1)</script>&amp;<b>x</b>" in echoed[0].text
    assert "Unknown party: script" in say(tg, 107, "/timeline <script> & <b>")[0].text
    no_errors(tg, 107)


def test_a_10000_character_message(bot, tg):
    words = ("Mongolia North Korea treaty friendship <b> & ambassador visit 1986 ") * 200
    text = words[:10_000]
    assert len(text) == 10_000
    sent = say(tg, 108, text, until="Only the first")
    for call in sent:
        plain, _ = parse_html(call.params["text"])
        assert len(plain) <= 4096
    no_errors(tg, 108)


def test_group_answers_only_when_addressed(bot, tg):
    group = -1000000000109
    quiet = tg.push_message(group, "Mongolia treaty 1986, what do you all think?", user_id=9)
    quiet_cmd = tg.push_message(group, "/start@some_other_bot", user_id=9)
    asked = say(tg, group, "/ask " + QUESTION, user_id=9)
    assert asked[0].params.get("reply_parameters")  # replies to the question in a group
    mentioned = say(tg, group, "@docbot_test_bot " + FACT_QUESTION, user_id=9)
    assert "15 October 1948" in mentioned[0].text
    reply = say(tg, group, "and with Russia?", user_id=9,
                reply_to=mentioned[-1].response["result"]["message_id"])
    assert "[1]" in reply[0].text
    addressed = say(tg, group, "/docs@docbot_test_bot", user_id=9)
    assert "Russian visit" in addressed[0].text
    # every message the bot sent answers one of the four addressed to it
    targets = [reply_target(c) for c in tg.sent(group)]
    assert quiet["message_id"] not in targets and quiet_cmd["message_id"] not in targets
    assert len([t for t in targets if t is not None]) == 4
    no_errors(tg, group)


def test_follow_ups_in_a_group_are_per_user(bot, tg):
    group = -1000000000116
    say(tg, group, "/ask When was the treaty between Russia and North Korea signed?", user_id=21)
    say(tg, group, "/ask When did Mongolia establish diplomatic relations with South Korea?",
        user_id=22)
    mine = say(tg, group, "/ask who signed it?", user_id=21)
    assert "Read as: Who “signed” it (the treaty between Russia and North Korea)?" in mine[0].text
    theirs = say(tg, group, "/ask and with North Korea?", user_id=22)
    assert "Read as: When did Mongolia establish diplomatic relations with North Korea?" in theirs[0].text
    fresh = say(tg, group, "/ask who signed it?", user_id=23)  # no question of their own yet
    assert "Read as" not in fresh[0].text
    no_errors(tg, group)


def test_replies_in_a_forum_topic_stay_in_it(bot, tg):
    forum = -1000000000117
    answer = say(tg, forum, "/ask " + FACT_QUESTION, user_id=31, thread_id=7)[0]
    assert answer.thread_id == 7
    more = turn(tg, forum, answer, "More ›")
    assert more.ok
    facts = press(tg, forum, answer, "Facts")
    full = press(tg, forum, answer, "Full text 1")
    timeline = press(tg, forum, answer, "Timeline", until="Timeline:")
    help_ = say(tg, forum, "/help", user_id=31, thread_id=7)
    for call in facts + full + timeline + help_:
        assert call.thread_id == 7, call.params
    no_errors(tg, forum)


def test_group_greeting_says_how_to_ask_under_privacy_mode(bot, tg, answerer):
    group = -1000000000118
    greeting = say(tg, group, "/start", user_id=41)[0].text
    assert "replying to one of my messages" in greeting and "privacy mode" in greeting
    assert "mentioning me" not in greeting
    with FakeTelegram(reads_all=True) as open_tg, Bot(open_tg, answerer):
        text = say(open_tg, group, "/start", user_id=41)[0].text
        assert "mentioning me (@docbot_test_bot QUESTION)" in text and "privacy mode" not in text
        no_errors(open_tg)
    no_errors(tg, group)


def test_an_edited_question_edits_its_answer(bot, tg):
    question = tg.push_message(119, "When did Mongolia establish diplomatic relations with North Korea?")
    replies(tg, 119, 0, until="15 October 1948")
    answer = next(c for c in tg.sent(119) if reply_target(c) is None and "15 October" in c.text)
    since = len(tg.calls)
    tg.push_edit(119, question["message_id"],
                 "When did Mongolia establish diplomatic relations with South Korea?")
    edit = tg.wait_for(lambda calls: edits(tg, 119, since), WAIT)[0]
    assert int(edit.params["message_id"]) == answer.response["result"]["message_id"]
    assert edit.text.startswith("26 March 1990")
    assert not tg.sent(119, since)  # no new message
    more = turn(tg, 119, edit, "More ›")  # the edited answer's buttons work
    assert "[4]" in more.text
    no_errors(tg, 119)


def test_deep_link_asks_its_question(bot, tg):
    sent = say(tg, 112, "/start q_When_Mongolia_South_Korea_establish_diplomatic_relations",
               until="[1]")
    assert sent[0].text.startswith("26 March 1990")
    assert "Hello" not in sent[0].text
    no_errors(tg, 112)


def test_inline_query_returns_answers_as_articles_with_citations(bot, tg):
    since = len(tg.calls)
    qid = tg.push_inline(51, FACT_QUESTION)
    tg.wait_for(lambda calls: qid in tg.inline_answers, WAIT)
    results = tg.inline_answers[qid]
    assert results[0]["title"] == "15 October 1948 — Diplomatic relations established"
    assert results[0]["description"].startswith("Mongolia and North Korea, ")
    content = results[0]["input_message_content"]["message_text"]
    plain, _ = parse_html(content)
    assert "15 October 1948" in plain and "[1]" in plain
    assert all(r["description"] for r in results) and len(results) == 3
    link = results[0]["reply_markup"]["inline_keyboard"][0][0]["url"]
    assert link.startswith("https://t.me/docbot_test_bot?start=q_")
    empty = tg.push_inline(51, "")
    tg.wait_for(lambda calls: empty in tg.inline_answers, WAIT)
    assert tg.inline_answers[empty] == []
    assert not [c for c in tg.calls[since:] if c.method == "sendMessage"]
    no_errors(tg)


def test_stale_buttons_expire_politely(tg, answerer, bot):
    answer = with_buttons(say(tg, 110, QUESTION))
    more = next(b["callback_data"] for b in answer.buttons if b["text"] == "More ›")
    message_id = answer.response["result"]["message_id"]

    def pressed(chat_id, data):
        qid = tg.push_callback(chat_id, message_id, data)
        return tg.wait_for(lambda calls: [c for c in calls if c.method == "answerCallbackQuery"
                                          and c.params.get("callback_query_id") == qid], WAIT)[0]

    for chat_id, data in ((110, "g:NoSuchKey:3"), (110, "garbage"), (111, more)):  # 111: not its chat
        call = pressed(chat_id, data)
        assert call.ok and call.params["text"] == EXPIRED
    no_errors(tg)


def test_buttons_expire_after_a_restart(answerer):
    with FakeTelegram() as tg:
        with Bot(tg, answerer):
            answer = with_buttons(say(tg, 120, QUESTION))
        with Bot(tg, answerer):
            since = len(tg.calls)
            data = next(b["callback_data"] for b in answer.buttons if b["text"] == "More ›")
            qid = tg.push_callback(120, answer.response["result"]["message_id"], data)
            call = tg.wait_for(lambda calls: [c for c in calls[since:] if c.method ==
                                              "answerCallbackQuery"], WAIT)[0]
            assert call.params["callback_query_id"] == qid and call.params["text"] == EXPIRED
            assert "[1]" in say(tg, 120, QUESTION)[0].text  # and it answers again
        no_errors(tg)


def test_disallowed_chat_is_refused_and_floods_are_slowed(answerer):
    with FakeTelegram() as tg, Bot(tg, answerer, allowed_chats=frozenset({130, 131}),
                                   rate_limit=(3, 600.0)):
        refused = say(tg, 139, QUESTION)
        assert [c.text for c in refused] == [REFUSED]
        since = len(tg.calls)
        tg.push_callback(139, refused[0].response["result"]["message_id"], "m:whatever")
        call = tg.wait_for(lambda calls: [c for c in calls[since:]
                                          if c.method == "answerCallbackQuery"], WAIT)[0]
        assert call.params["text"] == REFUSED
        # a flood: 3 answers, one polite "please wait", then silence
        since = len(tg.calls)
        for i in range(6):
            tg.push_message(130, f"{QUESTION} ({i})")
        sent = replies(tg, 130, since, count=4)
        assert "[1]" in say(tg, 131, QUESTION)[0].text  # another user in an allowed chat
        sent = tg.sent(130, since)
        waits = [c for c in sent if "please wait" in c.text]
        assert len(waits) == 1 and len(sent) == 4
        assert not [c for c in tg.calls[since:] if c.chat_id == 139]
        no_errors(tg)


# -- failures ---------------------------------------------------------------------------------------


def test_flood_control_429_is_retried(bot, tg):
    tg.fail_next("sendMessage", status=429, retry_after=1)
    since = len(tg.calls)
    sent = say(tg, 140, QUESTION)
    assert "[1]" in sent[0].text
    statuses = [c.status for c in tg.calls[since:] if c.method == "sendMessage"]
    assert 429 in statuses and statuses[-1] == 200
    no_errors(tg, 140)


def test_network_failures_are_retried_and_the_bot_keeps_serving(bot, tg):
    tg.fail_next("sendMessage", drop=True)  # connection closed without an answer
    assert "[1]" in say(tg, 141, QUESTION)[0].text
    tg.fail_next("sendMessage", status=502)
    assert "[1]" in say(tg, 141, FACT_QUESTION)[0].text
    tg.fail_next("getUpdates", status=502)  # the next poll fails; polling goes on
    tg.fail_next("getUpdates", drop=True)
    assert "[1]" in say(tg, 142, QUESTION)[0].text
    assert "[1]" in say(tg, 142, FACT_QUESTION)[0].text
    no_errors(tg)


def test_a_failing_handler_apologises_and_the_bot_goes_on(bot, tg, caplog):
    caplog.set_level(logging.ERROR)
    assert say(tg, 143, "kaboom treaty")[0].text == APOLOGY
    assert "[1]" in say(tg, 143, QUESTION)[0].text
    logged = [r for r in caplog.records if r.exc_info and "kaboom" in str(r.exc_info[1])]
    assert logged, "the error is logged with its traceback"


def test_a_blocked_chat_is_skipped_logged_once_and_others_are_served(bot, tg, caplog):
    caplog.set_level(logging.DEBUG, logger="docbot.telegram")
    tg.block(144)
    since = len(tg.calls)
    for question in (QUESTION, FACT_QUESTION, "/docs"):
        tg.push_message(144, question)
    assert "[1]" in say(tg, 145, QUESTION)[0].text  # another chat is served meanwhile
    tg.wait_for(lambda calls: len([c for c in calls[since:] if c.method == "sendMessage"
                                   and c.chat_id == 144]) >= 3, WAIT)
    assert "Facts" in say(tg, 145, FACT_QUESTION)[0].text  # and still is
    tried = [c for c in tg.calls[since:] if c.method == "sendMessage" and c.chat_id == 144]
    # one try per answer (the first message; the rest are not tried), no retry, no apology
    assert len(tried) == 3 and all(c.status == 403 for c in tried)
    assert not [c for c in tried if c.params["text"] == APOLOGY]
    about = [r for r in caplog.records if "144" in r.getMessage()]
    warnings = [r for r in about if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and "blocked" in warnings[0].getMessage()
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]
    tg.blocked.discard(144)  # unblocked: answered again
    assert "[1]" in say(tg, 144, QUESTION)[0].text
    no_errors(tg)


STALE = "Bad Request: query is too old and response timeout expired or query ID is invalid"


def test_a_button_press_answered_too_late_still_does_its_job(bot, tg, caplog):
    caplog.set_level(logging.DEBUG, logger="docbot.telegram")
    answer = with_buttons(say(tg, 146, QUESTION))
    tg.fail_next("answerCallbackQuery", 400, description=STALE)
    more = turn(tg, 146, answer, "More ›")
    assert "[4]" in more.text
    tg.fail_next("answerCallbackQuery", 400, description=STALE)
    since = len(tg.calls)
    tg.push_callback(146, answer.response["result"]["message_id"], "g:gone:3")  # an expired one
    tg.wait_for(lambda calls: [c for c in calls[since:] if c.method == "answerCallbackQuery"], WAIT)
    assert "[1]" in say(tg, 146, FACT_QUESTION)[0].text  # and the bot goes on
    stale = [c for c in tg.calls_of("answerCallbackQuery", ok=False)]
    assert len(stale) >= 2 and all(c.status == 400 for c in stale)
    assert not [c for c in tg.sent(146) if c.text == APOLOGY]
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING
                and "146" in r.getMessage() and "too late" in r.getMessage()]
    assert len(warnings) == 1
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]
    no_errors(tg)


def test_a_500_and_a_timeout_on_send_are_retried_and_delivered_once(answerer, caplog):
    caplog.set_level(logging.WARNING)
    with FakeTelegram() as tg, Bot(tg, answerer, read_timeout=1.0):
        tg.fail_next("sendMessage", 500, description="Internal Server Error")
        assert "[1]" in say(tg, 147, QUESTION)[0].text
        tg.fail_next("sendMessage", delay=3.0, drop=True)  # no answer within the read timeout
        assert "Facts" in say(tg, 147, FACT_QUESTION)[0].text
        statuses = [c.status for c in tg.calls_of("sendMessage", chat_id=147)]
        assert statuses == [500, 200, 0, 200]  # each answer delivered once
        no_errors(tg)
    retried = [r.getMessage() for r in caplog.records if "retrying" in r.getMessage()]
    assert len(retried) == 2 and "Internal Server Error" in retried[0], retried
    assert "Timed out" in retried[1] or "timed out" in retried[1].lower(), retried
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


def test_flood_control_on_get_updates_waits_and_goes_on(bot, tg, caplog):
    caplog.set_level(logging.WARNING)
    tg.fail_next("getUpdates", 429, retry_after=1)
    assert "[1]" in say(tg, 148, QUESTION)[0].text
    tg.wait_for(lambda calls: [c for c in calls if c.method == "getUpdates" and c.status == 429])
    assert "Facts" in say(tg, 148, FACT_QUESTION)[0].text
    polls = tg.calls_of("getUpdates")
    refused = next(i for i, c in enumerate(polls) if c.status == 429)
    after = polls[refused + 1]
    assert after.ok and after.at - polls[refused].at >= 1.0  # it waited retry_after (a minimum)
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    no_errors(tg, 148)


# -- security ---------------------------------------------------------------------------------------


def test_the_token_never_reaches_the_logs_even_at_debug(answerer, caplog):
    loggers = ("", "httpx", "httpcore", "telegram", "telegram.ext", "docbot", "asyncio")
    with FakeTelegram() as tg, Bot(tg, answerer, read_timeout=2.0):
        for name in loggers:
            caplog.set_level(logging.DEBUG, logger=name)
        assert "[1]" in say(tg, 180, QUESTION)[0].text
        turn(tg, 180, with_buttons(tg.sent(180)), "More ›")
        tg.fail_next("sendMessage", status=502)
        tg.fail_next("sendChatAction", drop=True)
        assert "Facts" in say(tg, 180, FACT_QUESTION)[0].text
        assert say(tg, 180, "kaboom treaty")[0].text == APOLOGY  # a traceback in the log
    text = caplog.text + "".join(r.exc_text or "" for r in caplog.records)
    assert "HTTP Request: POST" in text  # httpx did log the URLs, which hold the token …
    secret = tg.token.split(":", 1)[1]
    assert tg.token not in text and secret not in text  # … masked
    assert not [r for r in caplog.records if secret in r.getMessage()]


def test_a_valid_button_pressed_in_a_disallowed_chat_gets_only_the_refusal(answerer):
    with FakeTelegram() as tg, Bot(tg, answerer, allowed_chats=frozenset({132})):
        answer = with_buttons(say(tg, 132, QUESTION))
        message_id = answer.response["result"]["message_id"]
        for data in (b["callback_data"] for b in answer.buttons):
            since = len(tg.calls)
            qid = tg.push_callback(133, message_id, data)  # chat 133 is not allowed
            call = tg.wait_for(lambda calls: [c for c in calls[since:] if c.method ==
                                              "answerCallbackQuery"], WAIT)[0]
            assert call.params["callback_query_id"] == qid and call.params["text"] == REFUSED
        assert "[4]" in turn(tg, 132, answer, "More ›").text  # the allowed chat's still work
        time.sleep(0.5)  # anything the refused presses might have set off has happened by now
        assert not tg.calls_of("sendMessage", chat_id=133)
        assert not tg.calls_of("sendChatAction", chat_id=133)
        assert len([c for c in tg.calls_of("answerCallbackQuery")]) == len(answer.buttons) + 1
        no_errors(tg)


# -- the command line -------------------------------------------------------------------------------


def test_missing_token_says_how_to_get_one(monkeypatch, capsys):
    monkeypatch.delenv("TELEGRAM_BOT_TOKEN", raising=False)
    assert cli_main(["telegram", "--data", str(ROOT / "data")]) == 1
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and "@BotFather" in err and "TELEGRAM_BOT_TOKEN" in err


def test_cli_runs_keeps_the_token_out_of_logs_and_stops_on_sigterm(tmp_path):
    with FakeTelegram() as tg, cli_bot(tg, tmp_path, "--verbose") as (proc, result):
        tg.wait_for(lambda calls: any(c.method == "deleteWebhook" for c in calls), 40)
        assert "[1]" in say(tg, 150, QUESTION)[0].text
        tg.fail_next("sendMessage", status=502)  # logged as a warning, then retried
        assert "Facts" in say(tg, 150, FACT_QUESTION)[0].text
    out, err = result
    assert proc.returncode == 0, err[-2000:]
    assert "retrying" in err  # the 502 was logged …
    secret = tg.token.split(":", 1)[1]
    assert secret not in err and secret not in out  # … without the token
    assert "Application.stop() complete" in err or "Shutting down" in err or "stopping" in err


def test_changed_data_is_served_and_broken_data_is_not(tmp_path):
    data = tmp_path / "data"
    shutil.copytree(ROOT / "data", data)
    real = Answerer.open(data, tmp_path / "index")
    facts = data / "facts.yaml"
    good_facts = facts.read_text()
    with FakeTelegram() as tg, Bot(tg, real, reload_seconds=0.2) as bot:
        served = lambda: bot.app.bot_data["docbot"].answerer  # noqa: E731
        assert "Khalkhyn" in say(tg, 170, "Battle of the Khalkhyn Gol")[0].text
        # a fact whose quote is not in its document: the reload fails, the old index serves on
        facts.write_text(good_facts.replace('quote: "agreed on 15 October', 'quote: "agreed on 16 October'))
        time.sleep(1.5)
        assert served() is real
        assert "15 October 1948" in say(tg, 170, FACT_QUESTION, until="15 October 1948")[0].text
        # a good change: a new paragraph becomes answerable
        facts.write_text(good_facts)
        doc = data / "docs" / "russia-dprk-treaty-2000.txt"
        doc.write_text(doc.read_text() + "\n\nThe zygomorphic orchid exhibition opened in Pyongyang.\n")
        deadline = time.monotonic() + WAIT
        while time.monotonic() < deadline:
            if "zygomorphic" in say(tg, 170, "zygomorphic orchid exhibition")[0].text:
                break
            time.sleep(0.5)
        else:
            pytest.fail("the changed document was never served")
        assert served() is not real and len(served().facts.facts) == len(real.facts.facts)
        no_errors(tg, 170)


def test_webhook_mode_takes_updates_with_the_secret_only(tmp_path):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    hook = f"http://127.0.0.1:{port}/hook"
    with FakeTelegram() as tg, cli_bot(tg, tmp_path, "--webhook-url", hook, "--listen",
                                       "127.0.0.1", "--port", str(port), "--secret-token",
                                       "s3cret-Token") as (proc, result):
        tg.wait_for(lambda calls: tg.webhook is not None, 40)
        assert tg.webhook == (hook, "s3cret-Token")
        assert "[1]" in say(tg, 160, QUESTION)[0].text  # delivered by POST, answered
        forged = urllib.request.Request(
            hook, json.dumps({"update_id": 999, "message": {
                "message_id": 1, "date": 0, "chat": {"id": 161, "type": "private"},
                "text": QUESTION}}).encode(),
            {"Content-Type": "application/json", "X-Telegram-Bot-Api-Secret-Token": "wrong"})
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(forged, timeout=10)
        assert refused.value.code == 403 and tg.sent(161, 0) == []
    out, err = result
    assert proc.returncode == 0, err[-2000:]
    assert tg.token.split(":", 1)[1] not in err + out


# -- load ------------------------------------------------------------------------------------------


def test_short_load_run_answers_everything(tmp_path):
    sys.path.insert(0, str(ROOT / "tests" / "bench"))
    try:
        import telegram_load
    finally:
        sys.path.pop(0)
    result = telegram_load.run_load(questions=100, users=10, index_dir=tmp_path / "index",
                                    timeout=120)
    assert result.answered == 100 and result.api_errors == 0, (result, result.log[-3000:])
    assert result.bot_errors == 0 and result.exit_code == 0, result.log[-3000:]


def test_page_button_sends_a_pdf_passage_as_its_page_photo(tmp_path):
    """A Page button under each passage from a PDF sends the page (a PNG photo of that page,
    cropped around the passage) captioned with its citation, replying to the answer; an answer
    from a .txt has no Page button, and a typed /page N says why there is no page."""
    from PIL import Image
    from test_pdf_pages import pilots_and_tides

    data = pilots_and_tides(tmp_path)
    answerer = Answerer.open(data, tmp_path / "index")
    with FakeTelegram() as tg, Bot(tg, answerer):
        answer = with_buttons(say(tg, 130, "What did the pilots write about signals and flags?"))
        labels = [b["text"] for b in answer.buttons]
        assert "Page 1" in labels and "Full text 1" in labels
        since = len(tg.calls)
        tg.push_callback(130, answer.response["result"]["message_id"],
                         next(b["callback_data"] for b in answer.buttons if b["text"] == "Page 1"))
        photo = tg.wait_for(lambda calls: [c for c in calls[since:] if c.method == "sendPhoto"],
                            WAIT)[0]
        assert photo.ok and reply_target(photo) == answer.response["result"]["message_id"]
        image = Image.open(io.BytesIO(photo.params["photo"]))
        assert image.format == "PNG" and image.size[0] > 300
        caption = photo.text
        assert "Signals and flags" in caption and "p. 2" in caption  # the passage's citation
        assert answer.text.count("p. 2") >= 1
        # typed: /page 1 sends the same page; an answer from the .txt has no Page button
        since = len(tg.calls)
        tg.push_message(130, "/page 1")
        typed = tg.wait_for(lambda calls: [c for c in calls[since:] if c.method == "sendPhoto"],
                            WAIT)[0]
        assert typed.text == caption and typed.params["photo"] == photo.params["photo"]
        txt = with_buttons(say(tg, 130, "Who printed the tide tables?"))
        assert "tides" in txt.text.lower() or "Tide tables" in txt.text
        assert not [b for b in txt.buttons if b["text"].startswith("Page")]
        said = say(tg, 130, "/page 1")[0]
        assert "has no page to show" in said.text
        no_errors(tg)
