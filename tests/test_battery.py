"""Hardening: bad input gets an answer or a one-line message on every channel, never a traceback.

The battery below (BATTERY, 300-odd lines; RAW_LINES, invalid UTF-8 for stdin) goes through
  - the CLI: one `docbot ask --jsonl` process fed every line as bytes (lone surrogates as the
    invalid bytes a careless encoder writes, newlines splitting lines as --jsonl reads them),
  - the terminal chat: one `docbot chat` process in script mode fed the same bytes,
  - Telegram: the real bot against the loopback Bot API server (tests/fake_telegram.py), each
    line as a private message of its own chat after a question that gives it context.
Each must answer every line (or say in one line why not), exit 0 and log no error. Nothing
asserts a time."""
from __future__ import annotations

import json
import logging
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

from fake_telegram import BOT_USERNAME, FakeTelegram, parse_html, utf16_len
from test_telegram_e2e import Bot

from index.answering.answer import Answerer
from bot.commands import handle
from bot.repl import PROMPT
from bot.session import Session
from bot.telegram_bot import APOLOGY

ROOT = Path(__file__).resolve().parent.parent
CONTEXT_QUESTION = "When did Mongolia and North Korea establish diplomatic relations?"

LONG = 100_000

EMPTY_AND_WHITESPACE = [
    "", " ", "   ", "\t", " \t \t ", "\u00a0", "\u3000", "\u2003\u2009", "\u200b", "\ufeff",
    "\r", " \r ", "\x0b", "\x0c", "\u2028", "\u2029", "\u0085", "\n", "\n\n\n", " \n \t ",
    "\u180e", "\u2060\u200b\u200c\u200d",
]

VERY_LONG = [
    "a" * LONG,
    ("Mongolia North Korea treaty " * 4000)[:LONG],
    "x " * (LONG // 2),
    "🇰🇵" * (LONG // 4),  # 100,000 UTF-16 code units
    "Ж" * LONG,
    "한" * LONG,
    ("<b>&amp;" * LONG)[:LONG],
    ("When did Mongolia and North Korea establish diplomatic relations? " * 1600)[:LONG],
    "\x00" * LONG,
    " " * LONG + "treaty",
]

CONTROL = [
    "\x00", "\x00" * 10, "When\x00 did Mongolia recognise the DPRK?", "\x07", "\x07\x07 treaty",
    "\x1b[31mred\x1b[0m", "\x1b[2J\x1b[H", "When did \x1b[1mMongolia\x1b[0m sign?", "\x7f",
    "\x08\x08\x08 Mongolia", "".join(chr(i) for i in range(32) if i != 10),
    "".join(chr(i) for i in range(0x80, 0xA0)), "\u200e\u200f", "\u202eDPRK Mongolia treaty\u202c",
    "\u2066\u2067\u2068\u2069 treaty", "\ufffe\uffff", "\U000e0001\U000e0074", "\ufeffMongolia",
    "Mon\u00adgolia", "Mon\u200dgolia", "\ue000\uf8ff", "\U0010ffff", "\U000dffff",
    "treaty\x00\x00\x00DPRK", "\r\nMongolia\r\n", "Mongolia\rNorth Korea", "\x1c\x1d\x1e\x1f",
    "\x1b]0;title\x07", "\x1bc",
]

SURROGATES = [  # lone or misordered UTF-16 halves: JSON and Python strings can hold them
    "\ud800", "\udfff", "\ud83d", "abc\udc80def", "Mongolia \ud800 treaty", "\udc00\ud800",
    "\ud83d\ud83d\ude00", "/k \ud800", "/source \udfff", "/facts \ud800", "/timeline \ud83d",
    "/\ud800", "<b>\ud800</b>",
]

EMOJI = [
    "🇰🇵", "🇰🇵🤝🇲🇳", "😀" * 50, "👨‍👩‍👧‍👦", "🏳️‍🌈", "Mongolia 🤝 North Korea treaty?", "❤️",
    "🙂🙃", "👍🏽", "1️⃣", "🇲🇳 1948", "🇰🇵🤝🇲🇳 ???", "💣 kaboom 💥", "\U0001fae8",
]

SCRIPTS = [
    "متى تأسست العلاقات الدبلوماسية",
    "מתי נחתם ההסכם בין רוסיה לצפון קוריאה?",
    "روابط مغولستان و کره شمالی",
    "Mongolia و كوريا الشمالية 1948",
    "DPRK שגרירות 1948",
    "\u202eaerok htron\u202c",
    "Монгол Улс ба БНАСАУ хэзээ дипломат харилцаа тогтоосон бэ?",
    "Когда был подписан договор между Россией и КНДР?",
    "Уламжлалт харилцааг",
    "ᠮᠣᠩᠭᠣᠯ ᠤᠯᠤᠰ",
    "조선민주주의인민공화국",
    "북한과 몽골의 외교 관계는 언제 수립되었나?",
    "김일성",
    "朝鲜和蒙古什么时候建交?",
    "北朝鮮とモンゴルの関係",
    "ประเทศมองโกเลีย",
    "मंगोलिया और उत्तर कोरिया",
    "Μογγολία και Βόρεια Κορέα",
    "M̸o̸n̸g̸o̸l̸i̸a̸",
    "Z̴̡̢̛̗̘̙̜̝̞̟̠̀́̂̃̄̅̆̇̉̊̋̌̍̎̏̐̑̒̓̔̽̾̿̀́͂̓̈́͆͊͋͌ͅ͏͓͔͕͖͙͚͐͑͒͗͛ͣͤͥͦͧͨͩͪͫͬͭͮͯ͘͜͟͢͝͞͠͡algo",
    "Čen Tsedenbal",
    "Ｍｏｎｇｏｌｉａ ｔｒｅａｔｙ",
    "𝐌𝐨𝐧𝐠𝐨𝐥𝐢𝐚 𝐭𝐫𝐞𝐚𝐭𝐲",
    "ﬁnancial aid",
    "İstanbul ı DPRK",
    "Straße ǅ",
    "Kim Il-Sung Ким Ир Сен 김일성 金日成",
    "Mongolia\u0301\u0302\u0303",
]

MARKUP = [
    "<b>", "</b>", "<b>Mongolia</b>", "<script>alert(1)</script>",
    '<a href="javascript:alert(1)">x</a>', "&amp;", "&", "&lt;", "&#0;", "&#xD800;", "&nosuch;",
    "<", ">", "<<>>", "<!-- comment -->", "<![CDATA[treaty]]>", "<tg-spoiler>x</tg-spoiler>",
    '<pre><code class="language-python">x</code></pre>', "<blockquote>", "<i>unclosed treaty",
    "*bold* _italic_ `code` ```pre```", "[link](http://example.com)", "**Mongolia**", "__init__",
    "~~strike~~", "||spoiler||", "_*[]()~`>#+-=|{}.!", "\\*escaped\\* \\_x\\_", "# Heading",
    "> quote", "- list item", "1. item", "| a | b |\n|---|---|", "![img](x.png)",
    "<img src=x onerror=alert(1)>", "%3Cb%3Etreaty%3C%2Fb%3E", "&lt;b&gt;treaty&lt;/b&gt;",
    "<b>Mongolia</b> & <script>alert(1)</script> treaty &amp; </i>?", '<span class="x">',
    "<tg-emoji emoji-id=\"1\">👍</tg-emoji>", "</blockquote></b></i>",
]

INJECTION = [
    "'; DROP TABLE facts; --", '" OR 1=1 --', "1' OR '1'='1", "UNION SELECT * FROM users",
    "$(rm -rf /)", "`reboot`", "; ls -la", "| cat /etc/passwd", "&& echo pwned",
    "../../etc/passwd", "%s%s%s%n", "{0}{1}", "{__import__('os')}", "${jndi:ldap://x/a}",
    "{{7*7}}", "\\x00", "C:\\Windows\\System32", "*", "NULL", "None", "undefined", "NaN",
    "true", "[]", "{}", '{"question": 1}', "\\", "\\\\\\", "'", '"', "%00", "%n%n%n",
    "<?php system($_GET['c']); ?>", "DPRK'); DELETE FROM facts WHERE ('1'='1",
]

STOPWORDS = [
    "the", "the of and to", "a an the", "is it that this", "who what when where why how",
    "and", "it", "who signed it?", "what?", "why", "and with Russia?", "THE OF AND",
]

PUNCTUATION = [
    "?", "!", "...", "?!...", "—", "–––", "«»", "“”‘’", "¿¡", "()", "[]{}", ".,;:", "*" * 100,
    "!" * 1000, "。", "、", "…", "-", "--", "/", "//", "@", "#", "@docbot_test_bot",
]

NUMBERS = [
    "1948", "1948 1990 2000", "0", "-1", "3.14159", "1e10", "1e309", "99999999999999999999",
    "226,236", "10,7", "١٩٤٨", "一九四八", "²", "½", "Ⅻ", "0x1F", "+7 (999) 123-45-67",
    "15.10.1948", "2000-02-09", "9" * 5000, "Infinity", "-0",
]

COMMANDS = [
    "/source -1", "/source 99999999999999999999", "/source 0", "/source", "/source abc",
    "/source 1 2", "/source ²", "/source ١", "/source １", "/source " + "9" * 5000,
    "/source 1.5", "/source\t1", "/source\n1", "/source 1",
    "/k 0", "/k abc", "/k -3", "/k 11", "/k 1.5", "/k ³", "/k 99999999999999999999", "/k",
    "/k 3", "/k\u00a03", "/k " + "1" * 5000, "/k ½",
    "/facts <b>", "/facts", "/facts 1990 x", "/facts 0000", "/facts 9999 0000",
    "/facts treaty treaty", "/facts 🇰🇵", "/facts & < >", "/facts MPR treaty 1980 1990",
    "/timeline 🇰🇵", "/timeline", "/timeline <script>", "/timeline DPRK DPRK",
    "/timeline Mongolia Russia North Korea South Korea", "/timeline \x00",
    "/ask", "/ask ", "/ask   ", "/ask /k 0", "/ask /source -1", "/ask " + "\x00",
    "/more", "/more more", "/docs extra args", "/help me", "/start now", "/start", "/help",
    "/frobnicate", "/ /", "/@", "/source@docbot_test_bot 1", "/k@other_bot 3",
    "/start@docbot_test_bot", "/SOURCE 1", "/Help", "/ source 1", "/источник 1", "/quit",
    "/QUIT now", "/source " + "x" * LONG, "/k " + "9" * LONG, "/facts " + "x " * (LONG // 2),
    "/timeline " + ("Mongolia " * LONG)[:LONG], "/" + "a" * LONG, "/ask " + "treaty " * 14_000,
    "/timeline " + "🇰🇵" * 20_000, "/" + "a" * 40, "/a_very_long_command_name_that_is_more_than_32",
]

BATTERY: list[str] = (EMPTY_AND_WHITESPACE + VERY_LONG + CONTROL + SURROGATES + EMOJI + SCRIPTS
                      + MARKUP + INJECTION + STOPWORDS + PUNCTUATION + NUMBERS + COMMANDS)

# Number arguments int() refuses although they look numeric: '²' and '³' pass str.isdigit(),
# and int() takes at most 4,300 digits. They once ended the chat with a traceback.
INT_REFUSES = ["/source ²", "/source " + "9" * 5000, "/k ³", "/k " + "1" * 5000,
               "/k " + "9" * LONG]
assert set(INT_REFUSES) <= set(COMMANDS)
HANDLED = BATTERY

RAW_LINES: list[bytes] = [  # invalid UTF-8 for stdin (the channel that carries bytes)
    b"\xff\xfe", b"\xc3", b"\xe2\x82", b"\xf0\x9f\x98", b"\xc0\xaf", b"\xed\xa0\x80",
    b"\xf8\x88\x80\x80\x80", b"Mongolia \x80\x81 treaty", b"\xfe\xff\x00M\x00o", b"\x80" * 1000,
    b"/k \xff", b"/source \xc3", "Монголия".encode("cp1251"), "Mongolei Vertrag Straße".encode("latin-1"),
    "북한".encode("euc-kr"), b"\xed\xb2\x80\xed\xa0\xbd",
]


def channel_text(line: str) -> bytes:
    """A line as UTF-8 bytes on a pipe; lone surrogates become the invalid bytes a careless
    encoder would write for them."""
    return line.encode("utf-8", "surrogatepass")


def stdin_bytes(lines: list[str]) -> bytes:
    return b"".join(channel_text(x) + b"\n" for x in lines) + b"".join(x + b"\n" for x in RAW_LINES)


def is_quit(line: str) -> bool:
    text = line.strip()
    return text.startswith("/") and text[1:].partition(" ")[0].split("@")[0].lower() == "quit"


def test_the_battery_is_big_and_varied():
    assert len(BATTERY) >= 200 and len(set(BATTERY)) == len(BATTERY)
    assert any(len(x) >= 100_000 for x in BATTERY)
    assert any(re.search("[\ud800-\udfff]", x) for x in BATTERY)


@pytest.fixture(scope="module")
def index(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("battery") / "index"
    Answerer.open(ROOT / "data", path)  # built once, loaded by every process below
    return path


def docbot(index: Path, *args: str, stdin: bytes) -> subprocess.CompletedProcess:
    env = dict(os.environ, NO_COLOR="1")
    return subprocess.run([sys.executable, "-m", "bot", *args, "--data", str(ROOT / "data"),
                           "--index", str(index)], input=stdin, capture_output=True, cwd=ROOT,
                          env=env, timeout=300)


# -- the command line ------------------------------------------------------------------------------


def test_cli_jsonl_answers_every_line(index):
    raw = stdin_bytes(BATTERY)
    lines = raw.split(b"\n")[:-1]  # what --jsonl reads: one question per \n-terminated line
    r = docbot(index, "ask", "--jsonl", stdin=raw)
    err = r.stderr.decode("utf-8", "replace")
    assert r.returncode == 0 and "Traceback" not in err, err[-3000:]
    assert err == ""  # the index was fresh: not a word on stderr
    out = r.stdout.decode("utf-8").split("\n")
    assert out[-1] == "" and len(out) - 1 == len(lines) >= len(BATTERY) + len(RAW_LINES)
    for line, text in zip(lines, out):
        d = json.loads(text)
        assert d["question"] == line.decode("utf-8", "replace"), (line[:80], d["question"][:80])
        assert d["answered"] or (d["message"] and "\n" not in d["message"]), (line[:80], d)
        assert d["status"] in ("answer", "closest", "none") and d["answered"] == (d["status"] == "answer")
        if not d["answered"]:  # nothing, or the closest passages with no facts and no answer line
            assert d["facts"] == [] and d["answer"] is None
            assert (d["passages"] == []) == (d["status"] == "none")


# -- the terminal chat -----------------------------------------------------------------------------


def test_chat_replies_to_every_line(index):
    battery = [x for x in HANDLED if not is_quit(x)]
    raw = stdin_bytes(battery)
    lines = [x.decode("utf-8", "replace") for x in raw.split(b"\n")[:-1]]
    r = docbot(index, "chat", stdin=raw)
    err = r.stderr.decode("utf-8", "replace")
    assert r.returncode == 0 and "Traceback" not in err and err == "", err[-3000:]
    out = r.stdout.decode("utf-8")
    assert out.startswith("docbot — 2 documents")
    asked = [x for x in lines if x.strip()]  # a blank line is a new prompt, as in a shell
    assert len(asked) >= 200
    pos, turns = 0, []
    for line in asked:
        echo = f"\n{PROMPT}{line[:200]}{'…' if len(line) > 200 else ''}\n"
        at = out.find(echo, pos)
        assert at >= 0, (line[:80], out[pos : pos + 500])
        if turns:
            turns[-1] = out[turns[-1] : at]
        turns.append(at + len(echo))
        pos = at + len(echo)
    turns[-1] = out[turns[-1] :]
    for line, reply in zip(asked, turns):
        assert reply.strip(), f"no reply to {line[:80]!r}"
        assert "Traceback" not in reply


def test_number_arguments_that_int_refuses(index):
    answerer = Answerer.open(ROOT / "data", index)
    for line in INT_REFUSES:
        session = Session(answerer)
        session.ask(CONTEXT_QUESTION)
        reply = handle(session, line)
        assert reply.kind == "error" and reply.text and "\n" not in reply.text
    r = docbot(index, "chat", stdin=stdin_bytes(INT_REFUSES))
    assert r.returncode == 0 and b"Traceback" not in r.stderr


# -- Telegram ---------------------------------------------------------------------------------------

BOT_TAGS = {"b", "i", "blockquote"}  # all the markup docbot writes


def test_telegram_answers_every_message(index, caplog):
    """Each line is the second message of a private chat of its own (after a question, so
    /more, /source and follow-ups have something to work on). The lines with lone surrogates
    also go to groups, where the bot parses mentions and commands out of the text."""
    caplog.set_level(logging.WARNING)
    answerer = Answerer.open(ROOT / "data", index)
    me = "@" + BOT_USERNAME
    chats = {50_000 + i: (line, line) for i, line in enumerate(HANDLED)}
    for i, line in enumerate(SURROGATES + EMOJI[:3] + MARKUP[:3]):
        chats[-1_000_000_060_000 - 2 * i] = (line, f"{me} {line}")
        chats[-1_000_000_060_001 - 2 * i] = (line, f"/ask {line}")
    with FakeTelegram() as tg, Bot(tg, answerer, reload_seconds=0, flood_rate=0):
        for chat_id in chats:
            tg.push_message(chat_id, CONTEXT_QUESTION if chat_id > 0 else f"{me} {CONTEXT_QUESTION}")
        tg.wait_for(lambda calls: answered(calls) >= chats.keys(), 120)
        since = len(tg.calls)
        for chat_id, (_, text) in chats.items():
            tg.push_message(chat_id, text)
        tg.wait_for(lambda calls: answered(calls[since:]) >= chats.keys(), 120)
        _wait_until_quiet(tg)
        calls = tg.calls[since:]
    bad = [(c.method, c.chat_id, c.response) for c in calls if c.status != 200]
    assert not bad, bad[:10]
    for chat_id, (line, _) in chats.items():
        sent = [c for c in calls if c.method == "sendMessage" and c.chat_id == chat_id]
        assert sent, f"no reply to {line[:80]!r}"
        for c in sent:
            html = c.params["text"]
            plain, _ = parse_html(html)
            assert plain.strip() and utf16_len(plain) <= 4096 and c.text == plain
            assert {t.lower() for t in re.findall(r"</?([a-zA-Z][\w-]*)", html)} <= BOT_TAGS, html[:300]
            assert c.text != APOLOGY, f"{line[:80]!r} hit an error"
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert not errors, [r.getMessage() for r in errors[:5]]


def answered(calls: list) -> set[int]:
    """The chats that got a message in these calls."""
    return {c.chat_id for c in calls if c.method == "sendMessage" and c.ok}


def _wait_until_quiet(tg: FakeTelegram, quiet: float = 1.5, limit: float = 60.0) -> None:
    """Until the bot has made no Bot API call but polling for `quiet` seconds."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        busy = [c for c in tg.calls_of() if c.method != "getUpdates"]
        if busy and time.monotonic() - busy[-1].at >= quiet:
            return
        time.sleep(0.2)
