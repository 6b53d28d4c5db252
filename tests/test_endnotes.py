"""Questions about the sources a document cites: endnotes in Cyrillic found by their Latin
spellings, and the act of citing held by a passage's endnotes."""
from __future__ import annotations

import pytest

from index.answering.answer import Answerer
from index.search.translit import latin_spellings

DOC = """---
title: Envoys and congresses
---
Congresses

In 1971 the party congress heard a long report on foreign policy. Delegates from eleven countries attended the sessions in the capital.[i]

The embassy was enlarged in 1972 and a new trade office opened beside it. Its staff doubled within two years.[ii]

Envoys

The ambassador reported every month to the foreign ministry on the mood in the neighbouring capital.[iii]

Notes

[i] Ю. Цэдэнбал, Илтгэл, Үгүүлэл, Хэлсэн Үг, V bot‘ 1970-1976, Улаанбаатар 1976, p. 193.

[ii] Udo B. Barkmann, Dokumente zur Aussenpolitik, Köln 2016, p. 40.

[iii] Ж. Санжмятав, Сайхан учрал бүрдэж, in Бодь II, Улаанбаатар 2011, p. 153-158.
"""


@pytest.fixture(scope="module")
def answerer(tmp_path_factory) -> Answerer:
    root = tmp_path_factory.mktemp("cited")
    (root / "docs").mkdir()
    (root / "docs" / "envoys.txt").write_text(DOC, encoding="utf-8")
    return Answerer.open(root, root / "index")


def test_latin_spellings_follow_both_customs():
    assert latin_spellings("Ю. Цэдэнбал") == ["Yu. Tsedenbal"]
    assert latin_spellings("Гадаад Харилцаа") == ["Gadaad Khariltsaa"]
    # ж is "j" in Mongolian writing, "zh" in Russian: both are given
    assert latin_spellings("Ж. Санжмятав") == ["J. Sanjmyatav", "Zh. Sanzhmyatav"]
    assert latin_spellings("Сергей Иванов") == ["Sergei Ivanov", "Sergey Ivanov"]
    assert latin_spellings("no Cyrillic here") == []


@pytest.mark.parametrize("question, note", [
    ("Which volume of Tsedenbal's writings is cited for the 1971 congress report?", "Цэдэнбал"),
    ("What does the passage on the ambassador's monthly reports cite from Sanjmyatav?", "Санжмятав"),
])
def test_a_source_cited_in_cyrillic_is_found_by_its_latin_spelling(answerer, question, note):
    a = answerer.ask(question)
    assert a.status == "answer"
    assert any(note in n.text for n in a.passages[0].hit.chunk.notes)


def test_a_cyrillic_name_is_not_found_without_the_latin_spelling(answerer):
    """What the spelling adds: without it the name is one the collection lacks."""
    [name] = answerer.index.analyzer.terms("Tsedenbal")
    q = answerer.query("Which volume of Tsedenbal's writings is cited?")
    assert name in q.terms and answerer._df(name) == 1
    assert answerer.index.df(name) == 0


def test_a_passage_with_endnotes_holds_the_act_of_citing(answerer):
    """'cited' and 'source' are said by the endnote marker, not in words: a passage that cites
    holds them, one that cites nothing does not."""
    q = answerer.query("What source is cited for the ambassador's monthly reports?")
    ranked = answerer.rank(q)
    best = ranked[0]
    assert best.hit.chunk.notes and "ambassador reported" in best.hit.chunk.text
    cited = {q.ids[t] for t in q.terms if t in answerer._citing}
    assert cited and cited <= best.held


def test_a_question_about_what_is_cited_is_answered_by_the_endnote(answerer):
    a = answerer.ask("Which volume of Tsedenbal's writings is cited for the 1971 congress report?")
    assert a.direct.kind == "note"
    assert a.direct.text.startswith("Ю. Цэдэнбал") and "p. 193" in a.direct.text
    assert a.direct.line.startswith("[i] ")
    assert a.to_dict()["answer"]["kind"] == "note"


def test_without_a_name_the_note_is_the_one_marked_after_the_answering_sentence(answerer):
    a = answerer.ask("What source is cited for the enlarged embassy and its new trade office?")
    assert a.direct.kind == "note" and a.direct.text.startswith("Udo B. Barkmann")


def test_a_name_only_an_endnote_holds_is_answered_by_it(answerer):
    """No word for citing, but the person asked about is named only in the note."""
    a = answerer.ask("What does Barkmann say about the embassy enlarged in 1972?")
    assert a.direct is not None and a.direct.kind == "note"
    assert a.direct.text.startswith("Udo B. Barkmann")


def test_a_question_the_text_answers_gets_no_note(answerer):
    a = answerer.ask("How many countries sent delegates to the 1971 party congress?")
    assert a.direct is not None and a.direct.kind != "note"


def test_a_word_is_known_by_a_note_s_latin_spelling_only_when_spelled_so(answerer):
    """'Бодь' is 'Bodi', which the analyzer makes what it makes of 'body': a question about a
    body does not hold a word of the collection through it; 'ulaanbaatar' does."""
    q = answerer.query("What body is cited from ulaanbaatar?")
    body, city = answerer.index.analyzer.terms("body ulaanbaatar")
    assert body in answerer.index.analyzer.terms("Bodi")
    known = {t for t, i in q.ids.items() if i in set(q.qterms.ids.tolist())}
    assert city in known and body not in known


def test_the_city_a_source_was_published_in_does_not_answer_a_question_about_it(answerer):
    """'Улаанбаатар 1976' in note [i] is where the cited volume appeared: a question about
    Ulaanbaatar is not answered by that note."""
    a = answerer.ask("Who led the delegation to Ulaanbaatar for the 1971 party congress?")
    assert a.direct is None or a.direct.kind != "note"


LONG_PARAGRAPH = """---
title: Relations with Seoul
---
Recognition

On 26 March 1990 the two governments agreed to establish diplomatic relations. The following day, the daily newspaper ‘Unen’ published the relevant press release on the first page and a commentary on the last page. Its author made clear that the country had to establish relations with Seoul for good reasons. It wanted to strengthen its own position in the region in order to support its own initiative to create a consultation mechanism. Its foreign trade required economic cooperation with a partner that was at that time one of the newly industrialized countries, and its planners said so in every report of the year. But the author of the commentary also made one thing clear: the new relations must not in any way hinder the further deepening of friendly relations with the old partner in the north, whose leaders had been told of the step weeks before. Our State will continue to develop its traditional relations established on the basis of the 1986 treaty without interruption, the commentary said, and the embassy in the northern capital repeated the same words to every visitor in the spring of that year and in the summer that followed, when the delegations came and went.[iv] It sounded like a proposal to both sides when the author finally stated in the last sentence that the country supports the peaceful reunification of the peninsula by the two states alone.

Notes

[iv] Уламжлалт харилцааг улам хөгжүүлнэ, Үнэн, 27.03.1990.
"""


def test_a_split_paragraph_cites_its_notes_in_any_of_its_parts(tmp_path_factory):
    # the marker stands in the paragraph's second part; the part that answers is the first
    root = tmp_path_factory.mktemp("split_cited")
    (root / "docs").mkdir()
    (root / "docs" / "seoul.txt").write_text(LONG_PARAGRAPH, encoding="utf-8")
    a = Answerer.open(root, root / "index")
    assert [c.part for c in a.index.chunks if c.paragraph == 1][:2] == [1, 2]
    got = a.ask("What is the title of the Unen commentary cited on the relations with Seoul?")
    assert got.direct is not None and got.direct.kind == "note"
    assert "Уламжлалт харилцааг" in got.direct.text
