"""Merging segments in the background of a long-running bot: the real bot (build_application)
against the loopback Bot API keeps answering while a child process merges, then serves the
merged index, whose answers are a fresh build's."""
from __future__ import annotations

import logging
import shutil
import threading
import time
from pathlib import Path

import pytest

from fake_telegram import FakeTelegram
from test_cluster import qa_questions
from test_telegram_e2e import WAIT, Bot, no_errors, say

from bot.merger import BackgroundMerge, merge_due, segment_count
from index.search import merge as merging
from index.answering.answer import Answerer
from index.search.engine import open_index

ROOT = Path(__file__).resolve().parent.parent


def small_doc(data: Path, i: int) -> str:
    """A one-passage document; its question."""
    (data / "docs" / f"harbour-{i}.txt").write_text(
        f"Harbour {i}\n\nThe harbour of Kalobe{'zu' * (i + 1)} opened in {1901 + i} after six "
        f"years of works paid for by the guild of pilots and the town council together.\n",
        encoding="utf-8")
    return f"When did the harbour of Kalobe{'zu' * (i + 1)} open?"


class Logged(logging.Handler):
    """(monotonic time, message) of each log record of the bot."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.records: list[tuple[float, str]] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append((time.monotonic(), record.getMessage()))

    def at(self, needle: str) -> float | None:
        return next((t for t, m in self.records if needle in m), None)


def segmented(tmp_path: Path) -> tuple[Path, Path]:
    """A copy of data/ and its index after a full tier of small updates: a merge is due."""
    data = tmp_path / "data"
    shutil.copytree(ROOT / "data", data)
    index_dir = tmp_path / "index"
    open_index(data, index_dir)
    for i in range(merging.MERGE_FACTOR):
        small_doc(data, i)
        open_index(data, index_dir)
    return data, index_dir


def test_the_bot_answers_during_a_background_merge_then_serves_the_merged_index(tmp_path):
    data = tmp_path / "data"
    shutil.copytree(ROOT / "data", data)
    index_dir = tmp_path / "index"
    Answerer.open(data, index_dir)
    questions = [small_doc(data, 0)]
    for i in range(1, merging.MERGE_FACTOR - 1):  # updates as `docbot ask` makes them
        open_index(data, index_dir)
        questions.append(small_doc(data, i))
    real = Answerer.open(data, index_dir)
    assert not merge_due(real.index)  # one segment short of a full tier
    before = segment_count(real.index)

    log = Logged()
    logger = logging.getLogger("docbot.telegram")
    logger.addHandler(log)
    old_level = logger.level
    logger.setLevel(logging.INFO)
    try:
        with FakeTelegram() as tg, Bot(tg, real, reload_seconds=0.2) as bot:
            served = lambda: bot.app.bot_data["docbot"].answerer  # noqa: E731
            asked = questions[0]
            first = say(tg, 180, asked)[0].text
            assert "1901" in first
            questions.append(small_doc(data, merging.MERGE_FACTOR - 1))  # the reload's update
            replies = []  # (asked, answered, text)
            deadline = time.monotonic() + 3 * WAIT
            while log.at("merged:") is None and time.monotonic() < deadline:
                sent = time.monotonic()
                got = say(tg, 180, asked)[0]
                replies.append((sent, got.at, got.text))
            start, end = log.at("merging segments in the background"), log.at("merged:")
            assert start is not None and end is not None, log.records
            during = [text for asked_at, at, text in replies if start < asked_at and at < end]
            assert during, "no question was answered while the merge ran"
            # the merge changes no answer: those during it are those after it
            after = say(tg, 180, asked)[0].text
            assert "1901" in after and all(text == after for text in during)
            no_errors(tg, 180)
            merged = served()
            assert segment_count(merged.index) < before
            assert merged is not real and not merge_due(merged.index)
            # the merged index answers as a fresh build of the same documents
            fresh = Answerer.open(data, tmp_path / "fresh")
            assert segment_count(fresh.index) == 1
            for q in questions + qa_questions():
                assert merged.ask(q, k=10).to_dict() == fresh.ask(q, k=10).to_dict(), q
            last = questions[-1]
            assert "1908" in say(tg, 180, last)[0].text
    finally:
        logger.removeHandler(log)
        logger.setLevel(old_level)


def test_a_merge_overtaken_by_an_update_keeps_the_update(tmp_path, monkeypatch):
    """A document indexed while a merge runs is not lost when the merge finishes: the merge
    gives way and the next one merges the newer generation."""
    data, index_dir = segmented(tmp_path)
    opened = open_index(data, index_dir)
    assert merge_due(opened)
    late = small_doc(data, 99)
    analyzed = merging._analyzed_records

    def meanwhile(lines, analyzer):  # another process updates the index mid-merge
        open_index(data, index_dir)
        return analyzed(lines, analyzer)

    monkeypatch.setattr(merging, "_analyzed_records", meanwhile)
    analyzer = opened.analyzer
    assert merging.merge(index_dir, analyzer) is False
    monkeypatch.setattr(merging, "_analyzed_records", analyzed)
    index = open_index(data, index_dir)
    assert index.search(late, 1)[0].chunk.doc == "harbour-99"
    assert merging.merge(index_dir, analyzer) is True
    assert open_index(data, index_dir).search(late, 1)[0].chunk.doc == "harbour-99"


def test_a_failed_background_merge_says_why_in_one_line(tmp_path):
    data = tmp_path / "data"
    shutil.copytree(ROOT / "data", data)
    (tmp_path / "index").mkdir()
    (tmp_path / "index" / "CURRENT").write_text("not a generation")
    from index.errors import DocbotError

    with pytest.raises(DocbotError, match=r"^merging segments failed: .*CURRENT: damaged pointer"):
        BackgroundMerge(data, tmp_path / "index").wait()


def test_a_merge_in_a_child_process_leaves_answering_threads_running(tmp_path):
    """The service layer as the bot uses it: questions in a thread while a child merges."""
    data, index_dir = segmented(tmp_path)
    current = Answerer.open(data, index_dir)
    q = "When did the harbour of Kalobezuzuzu open?"
    want = current.ask(q).to_dict()
    background = BackgroundMerge(data, index_dir)
    answers = []

    def ask() -> None:
        while background.running():
            answers.append(current.ask(q).to_dict())

    t = threading.Thread(target=ask)
    t.start()
    done = background.wait()
    t.join()
    assert done["merges"] >= 1 and done["segments"][1] < done["segments"][0]
    assert answers and all(a == want for a in answers)
    assert Answerer.open(data, index_dir).ask(q).to_dict() == want
