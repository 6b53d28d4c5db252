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


def _answerer(tmp_path) -> Answerer:
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "neighbours.txt").write_text(NEIGHBOURS, encoding="utf-8")
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
