"""Property tests: no input makes the analyzer, chunker, answer path or renderers fail."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from index.answering.answer import Answerer
from bot.commands import handle
from bot.render import answer_json, reply_text
from bot.session import Session
from index.search.analyze import Analyzer
from index.reading.corpus import MAX_CHARS, load_document
from index.errors import DataError

ROOT = Path(__file__).resolve().parents[1]
ANALYZER = Analyzer(aliases={"North Korea": ["DPRK", "Democratic People's Republic of Korea"]})
# Every kind of character, with the ones that break things often over-represented.
PIECES = st.one_of(
    st.characters(codec=None),
    st.sampled_from(list("\x00\x1b\u202e\u200f’‘“”'-–—.,:;?!()[]<>&*_#`~\\/\n\t ")),
    st.sampled_from(["[xiv]", "[^1]", "---\n", "\n\n", "DPRK", "1948", "226,236", "Kim Il-Sung",
                     "<b>", "&amp;", "*bold*", "Čen", "한국", "Корея", "مرحبا", "Mongolia"]),
)
TEXT = st.lists(PIECES, max_size=120).map("".join)
FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FAST
@given(TEXT)
def test_analyzer_tokens_point_into_the_text(text):
    for tok in ANALYZER.tokens(text):
        assert tok.term and 0 <= tok.start < tok.end <= len(text)
    assert ANALYZER.terms(text) == ANALYZER.terms(text)  # deterministic


@FAST
@given(TEXT)
def test_chunker_never_fails_and_keeps_passages_short(tmp_path_factory, text):
    docs = tmp_path_factory.mktemp("fuzz-docs")
    path = docs / "doc.md"
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    try:
        doc = load_document(path, docs)
    except DataError as e:  # e.g. malformed front matter or NUL bytes: one line, names the file
        assert "\n" not in str(e) and "doc.md" in str(e)
        return
    for c in doc.chunks:
        assert c.text.strip()
        longest_word = max((len(w) for w in c.text.split()), default=0)
        assert len(c.text) <= max(MAX_CHARS, longest_word) + 2 * MAX_CHARS // 10


@pytest.fixture(scope="module")
def answerer(tmp_path_factory) -> Answerer:
    return Answerer.open(ROOT / "data", tmp_path_factory.mktemp("fuzz-index"))


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                  HealthCheck.function_scoped_fixture])
@given(st.one_of(TEXT, st.sampled_from(["/more", "/source 1", "/source 99", "/facts", "/k 3",
                                         "/timeline", "/timeline DPRK", "/facts 1990 x", "/"])))
def test_any_line_gets_a_rendered_reply(answerer, line):
    session = Session(answerer)
    session.ask("When did Mongolia and North Korea establish diplomatic relations?")
    reply = handle(session, line)
    out = reply_text(reply)
    assert isinstance(out, str)
    if reply.kind == "answer":
        d = json.loads(answer_json(reply.answer))
        assert d["answered"] or (d["message"] and "\n" not in d["message"])
    elif reply.kind in ("error", "info"):
        assert reply.text and "Traceback" not in reply.text
