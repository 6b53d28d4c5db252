"""What a question asks for, and whether a sentence gives it (index/answering/asked.py)."""
from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from index.answering.asked import asked, asks_for, personal


@pytest.mark.parametrize("question, sentence, gives", [
    # a number the question itself names is no answer to "how many"
    ("How many articles are there in the 2002 treaty?", "The new treaty was signed in 2002.", False),
    ("How many articles are there in the 2002 treaty?", "The 2002 treaty has 25 articles.", True),
    # nor is a person the question names the answer to "who"
    ("Who succeeded J. Lombo as ambassador?", "Ambassador J. Lombo served from 1996.", False),
    ("Who succeeded J. Lombo as ambassador?", "D. Sharav succeeded J. Lombo in 2001.", True),
    # a date may repeat the year asked about: it dates the event
    ("When was the 1986 treaty signed?", "The treaty was concluded in 1986.", True),
    ("When was the 1986 treaty signed?", "The treaty was much discussed.", False),
    # a duration written with a hyphen answers "how long"
    ("How long did the mourning last?", "He took over after a three-year mourning period.", True),
    ("How far did they walk?", "They crossed the 33-yard line.", False),
])
def test_a_sentence_gives_what_is_asked_only_with_a_value_the_question_lacks(question, sentence,
                                                                               gives):
    assert asked(question).found(sentence) is gives


@pytest.mark.parametrize("question", [
    "Why did they meet?", "What was agreed?",
    # the documents that hold it are asked for, not a place; an extent, not a figure
    "Where can I find pressure data on surfaces of swept cylinders?",
    "How much is known about boundary layer flows along non-circular cylinders?",
    "How far can one trust the linear viscosity-temperature solution?",
    # a role word that qualifies a noun asks for no person; a clause's "when" for no date
    "What general solutions for the stresses in shells are available?",
    "Did he visit Seoul when he was president?"])
def test_questions_that_ask_for_no_value_want_nothing(question):
    assert asked(question) is None


@pytest.mark.parametrize("question, kind", [
    ("Do you know when the embassy opened?", "date"), ("Is it known where he was born?", "place"),
    ("Which general led the army?", "name"), ("How far is Ulaanbaatar from Seoul?", "number"),
    ("Where can one find the Huguenot farms?", "place")])
def test_questions_that_ask_for_a_value_in_other_words_still_want_it(question, kind):
    assert asked(question).kind == kind


def test_found_looks_only_inside_the_range():
    text = "The first talks failed. In 1990 they met again."
    when = asked("When did they meet again?")
    assert when.found(text)
    assert not when.found(text, 0, text.index("In 1990"))


@pytest.mark.parametrize("sentence, names", [
    # a full stop after a word ends the name; one after an initial or an abbreviation does not
    ("He spoke to Kim Il Sung. Ivanov left.", ["Kim Il Sung", "Ivanov"]),
    ("He met Kim Il Sung. Later Sh. Gungaadorj and Gen. S. Ravdan came.",
     ["Kim Il Sung", "Sh. Gungaadorj", "Gen. S. Ravdan"]),
    # a name with digits names a standard or a version, never someone
    ("The PRECIS framework (RFC8264) replaced IDNA2003 stringprep.", ["PRECIS"]),
    ("if (rc != IDNA_SUCCESS) return Gnulib;", ["Gnulib"]),
])
def test_the_names_a_who_question_may_be_answered_with(sentence, names):
    who = asked("Who wrote it?")
    assert [sentence[s:e] for s, e, _ in who.candidates(sentence)] == names


@pytest.mark.parametrize("name, person", [
    ("Roh Tae Woo", True), ("J. Sambuu", True),
    # a law, a treaty or a body is no one, however many capitals it has
    ("Mongolian Basic Law", False), ("Mongolian People's Revolutionary Party", False),
    ("Universal Declaration", False),
])
def test_a_person_s_name_is_not_a_law_or_a_body(name, person):
    sentence = f"It was {name} who spoke of it in 1992."
    s = sentence.index(name)
    assert personal(sentence, s, s + len(name)) is person


def test_an_initial_of_one_letter_begins_a_name():
    # 'I.' of 'I. Ivanov' is an initial, not the pronoun; 'A.' is no article
    ask = asked("Who released the statement?")
    text = "Russian Foreign Minister I. Ivanov released the statement."
    assert [text[s:e] for s, e, _ in ask.each_candidate(text)] == ["Russian", "I. Ivanov"]
    text = "The statement was read by A. Kim on Tuesday."
    assert "A. Kim" in [text[s:e] for s, e, _ in ask.each_candidate(text)]
    text = "I think the statement was read on Tuesday."
    assert not any(text[s:e].startswith("I") for s, e, _ in ask.each_candidate(text))


def test_every_form_of_a_number_is_found_however_it_starts():
    """A figure written with any number word (in any case), a currency before it or digits
    alone is one span: what a how-many question's answer is looked for in."""
    from index.answering.asked import NUMBER_RE, _NUMBER_WORDS

    for word in _NUMBER_WORDS:
        for form in (word, word.capitalize(), word.upper(), f"{word}-{word}"):
            text = f"By then {form} ships sailed."
            assert [m.group() for m in NUMBER_RE.finditer(text)] == [form], text
    for figure in ("US$10.7 million", "USD 10.7 million", "$10", "€3,000", "£2.5", "¥100",
                   "45 %", "1,200 thousand"):
        text = f"It cost {figure} then."
        assert [m.group() for m in NUMBER_RE.finditer(text)] == [figure], text


def test_a_clause_that_opens_the_question_does_not_decide_what_it_asks():
    # 'When …,' sets the time; the question word after the comma asks
    assert asks_for("When UPT bought ABC, what was the merged company called?") == "other"
    assert asks_for("When the treaty was signed, who was president?") == "name"
    assert asks_for("If a prime p is odd, how many divisors does it have?") == "number"
    # the question's own 'when' still asks for a date, with a comma later in it
    assert asks_for("When did the war end, and who won?") == "date"
    assert asks_for("When was the treaty signed?") == "date"


@pytest.mark.parametrize("sentence, dates", [
    # generated documentation and change logs abbreviate months without a point
    ("Release 3.19.0 11 Apr 2022. Copyright © 2000-2022 the developers.",
     ["11 Apr 2022", "2000-2022"]),
    ("Fixed on Sept 3, 2021, released 3 Sep 2020, again in Oct 2019.",
     ["Sept 3, 2021", "3 Sep 2020", "Oct 2019"]),
    # without a year beside it an abbreviation is a word or a name
    ("Jan 5 said Mar 3 was fine.", []),
])
def test_a_date_may_abbreviate_its_month_without_a_point(sentence, dates):
    ask = asked("When was it released?")
    assert [sentence[s:e] for s, e, _ in ask.each_candidate(sentence)] == dates


def test_a_long_option_is_named_as_code_and_a_default_value_may_be_a_word():
    from index.answering.asked import code_spans
    q = "What is the default value of --leak-check, and of -v?"
    assert [q[s:e] for s, e in code_spans(q)] == ["--leak-check"]
    assert asks_for("What is the default value of --leak-check?") == "other"
    assert asks_for("What is the return value of idn2_lookup_u8?") == "other"
    assert asks_for("What was the value of the trade in 1990?") == "number"


@pytest.mark.parametrize("question, kind", [
    ("What happened to the Mongolian ambassador in 1995?", "other"),
    ("What became of the ambassador?", "other"),
    ("Which Mongolian ambassador was recalled?", "name"),
    ("Which retired ambassador wrote the memoir?", "name"),
])
def test_what_happened_to_an_office_holder_asks_for_the_event_not_a_name(question, kind):
    assert asks_for(question) == kind


def _code_spans_unfiltered(text: str) -> list[tuple[int, int]]:
    """code_spans as written before its quick test of what every name of code holds."""
    from index.answering.asked import _CODE_RE, _NOT_CODE

    out = []
    for m in _CODE_RE.finditer(text):
        s, e = m.start(), m.end()
        while e > s and text[e - 1] in ".-":
            e -= 1
        if e - s >= 2 and not _NOT_CODE.fullmatch(text[s:e]):
            out.append((s, e))
    return out


@settings(max_examples=500, deadline=None)
@given(st.lists(st.sampled_from(["a", "Z", "bzip", "2", "x", "_", ".", "-", "--", " ", "é", "É",
                                 "der", "Factor", "bash", "1990s", "e.g.", "?", "7z", "'"]),
                max_size=14))
def test_code_spans_finds_what_the_pattern_alone_finds(pieces):
    """The quick test before _CODE_RE passes over no text where the pattern finds a name."""
    from index.answering.asked import code_spans

    text = "".join(pieces)
    assert code_spans(text) == _code_spans_unfiltered(text)
