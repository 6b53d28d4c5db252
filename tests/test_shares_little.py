"""A passage that shares a word or two with a question the documents mostly lack does not answer
it (index/answering/evidence.py, shares_little)."""
from __future__ import annotations

from index.answering.answer import Answerer
from test_answer import NEIGHBOURS as SETTLED

# the neighbours of tests/test_answer.py, with a passage on a river
NEIGHBOURS = SETTLED + """
Rivers

The Tumen River marks part of the border. Fishermen on the river sold their catch in the towns.
"""


def _answerer(tmp_path, text: str = NEIGHBOURS) -> Answerer:
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "neighbours.txt").write_text(text, encoding="utf-8")
    return Answerer.open(tmp_path, tmp_path / "index")


def test_a_word_in_common_with_a_question_on_something_else_is_no_answer(tmp_path):
    a = _answerer(tmp_path)
    # 'river' is all the documents say of them: nothing on cestids, swimming or shortening
    for question in ("How do cestids swim in the river?", "Why has the river been shortened?"):
        got = a.ask(question)
        assert (got.status, got.answered, got.passages) == ("none", False, ()), question
    # what the documents do say is still answered, from the passage that says it
    for question, said in (("What did the fishermen sell?", "sold their catch"),
                           ("What did the herders move?", "Herders moved their animals")):
        got = a.ask(question)
        assert got.status == "answer" and said in got.passages[0].hit.chunk.text, question



TEAMS = """---
title: The final
---
Players

Linebacker Von Miller knocked the ball out of the quarterback's hands while sacking him in the fourth quarter. Von Miller was named the most valuable player of the game.

Charity

The host committee pledged 25 percent of its charitable funds to causes in and around San Francisco.

Travel

The Broncos practiced at Stanford University before the game. The Panthers stayed in San Jose.
"""


def test_a_passage_that_holds_the_names_and_none_of_what_is_asked_of_them_does_not_answer(tmp_path):
    a = _answerer(tmp_path, TEAMS)
    # the committee pledged funds to causes, not Von Miller: the passage on him holds his
    # name and nothing of causes, pledges or funds
    miss = a.ask("Which causes did Von Miller pledge funds to?")
    assert miss.status == "closest" and not miss.answered and miss.direct is None
    assert ("the best passage naming “Von Miller” says nothing of “causes”, “pledge” or “funds”"
            in miss.message)
    # what the documents say of him, and of the causes, is answered
    for question, said in (
            ("What did Von Miller knock out of the quarterback's hands?", "knocked the ball"),
            ("Which causes did the host committee pledge funds to?", "causes in and around")):
        got = a.ask(question)
        assert got.status == "answer" and said in got.passages[0].hit.chunk.text, question
