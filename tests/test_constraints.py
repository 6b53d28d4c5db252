"""The question's constraints, checked candidate by candidate (index/answering/constraints.py): a
passage with most of the question's words and another country, year or person does not
answer it; the reply is then the closest passages, not an answer line."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.render import passage_text
from index.answering.answer import Answerer
from hypothesis import given, settings
from hypothesis import strategies as st

from index.answering.constraints import (_WORD_BEFORE_RE, Name, _forms, _word_before,
                                         last_word_alone, read, spells_out, states_named,
                                         writes_initials, years_in)

ROOT = Path(__file__).resolve().parents[1]

DOC = """---
title: Envoys and treaties
---
Envoys

Ambassador Sh. Gungaadorj of Mongolia was recalled from North Korea in 1995. He was succeeded in the same year by D. Byambaa.

Treaties

On 26 March 1990 Mongolia and South Korea agreed to establish diplomatic relations. Trade between Mongolia and South Korea amounted to 40 million US dollars in 1992.

The ‘Agreement to Avoid Double Capital Tax’ was signed between Mongolia and the DPRK.

During the late 1960s relations cooled. Kim Il Sung met the delegation and UN observers in Pyongyang, and Jong Chol visited later.

Aid

Between 1950 and 1953 Mongolia supplied 226,236 head of cattle to North Korea by rail.

Missions

In 1996 Japan sent its first trade mission to Ulaanbaatar. The mission stayed for two weeks.
"""

ALIASES = """North Korea: [DPRK, North Korean]
South Korea: [ROK, South Korean]
Mongolia: [MPR, Mongolian]
"""


def one_document(tmp_path_factory, name: str, text: str, aliases: str | None = None) -> Answerer:
    """An answerer over a data folder holding one document, name.txt."""
    root = tmp_path_factory.mktemp(name)
    (root / "docs").mkdir()
    (root / "docs" / f"{name}.txt").write_text(text, encoding="utf-8")
    if aliases is not None:
        (root / "aliases.yaml").write_text(aliases, encoding="utf-8")
    return Answerer.open(root, root / "index")


@pytest.fixture(scope="module")
def answerer(tmp_path_factory) -> Answerer:
    return one_document(tmp_path_factory, "envoys", DOC, ALIASES)


def test_a_country_the_passage_does_not_mention_gets_the_closest_passages(answerer):
    a = answerer.ask("Who was Japan's ambassador to North Korea in 1995?")
    assert a.kind == "closest" and not a.answered
    assert a.direct is None and a.facts == ()
    assert "Japan" in a.message and "Gungaadorj" in a.passages[0].hit.chunk.text
    d = a.to_dict()
    assert d["status"] == "closest" and d["answered"] is False and d["answer"] is None


def test_the_same_question_with_the_passage_s_country_is_answered(answerer):
    a = answerer.ask("Who was Mongolia's ambassador to North Korea in 1995?")
    assert a.kind == "answer" and a.answered
    assert a.direct is not None and a.direct.text.startswith("Sh. Gungaadorj")


def test_another_year_than_the_passage_gives_is_not_answered(answerer):
    a = answerer.ask("Who was Mongolia's ambassador to North Korea in 2005?")
    assert not a.answered and a.direct is None
    assert "2005" in (a.message or "") or a.kind == "none"


def test_an_alias_and_a_capital_meet_the_name_they_stand_for(answerer):
    # the text's Mongolia is the question's Ulaanbaatar (its capital), its DPRK the question's
    # North Korea (the aliases)
    a = answerer.ask("When was the tax agreement between Ulaanbaatar and North Korea signed?")
    assert a.kind == "answer"
    assert "Double Capital Tax" in a.passages[0].hit.chunk.text


def test_a_name_matched_only_as_scattered_words_is_not_met(answerer):
    # "Kim", "Jong", "UN" all stand in the passage, never as the name Kim Jong Un
    a = answerer.ask("When did Kim Jong Un meet the delegation?")
    assert a.kind != "answer" and a.direct is None


def test_a_decade_or_a_range_in_the_question_is_met_by_any_year_in_it(answerer):
    assert answerer.ask("How did relations develop in the 1960s?").kind == "answer"
    a = answerer.ask("How many head of cattle did Mongolia send over the years 1950-53?")
    assert a.kind == "answer" and a.direct is not None and a.direct.text == "226,236 head"


def test_who_is_answered_by_a_person_never_by_a_title_in_quotes(answerer):
    a = answerer.ask("Who signed the Double Capital Tax agreement between Mongolia and North Korea?")
    assert a.direct is None or a.direct.kind != "span"


def test_a_day_of_a_date_is_no_amount(answerer):
    a = answerer.ask("How much did trade between Mongolia and South Korea amount to in 1990?")
    assert a.direct is None or "26" != a.direct.text.split()[0]


def test_a_plural_demonym_may_stand_as_its_country():
    known = {"korea", "japan"}.__contains__
    analyze = lambda text: [text.casefold()]  # noqa: E731
    assert "korea" in _forms("Koreans", "koreans", known, analyze, {})
    assert "japan" in _forms("Japanese", "japanese", known, analyze, {})


def test_years_in_reads_periods():
    assert {1989, 1990, 1991} <= years_in("for the years 1989 to 1991")
    assert {1950, 1953} <= years_in("1950-53") and 1952 in years_in("1950-53")
    assert 1965 in years_in("in the 1960s") and 1970 not in years_in("in the 1960s")
    assert years_in("226,236 head") == set()


# -- the bundled data: the replies users saw go wrong ----------------------------------------------


@pytest.fixture(scope="module")
def bundled(tmp_path_factory) -> Answerer:
    return Answerer.open(ROOT / "data", tmp_path_factory.mktemp("bundled") / "index")


def test_bundled_no_japanese_ambassador_is_named(bundled):
    a = bundled.ask("Who was Japan's ambassador to North Korea in 1995?")
    assert a.kind == "closest" and a.direct is None and a.passages


def test_bundled_trade_in_1990_is_the_fact_table_figure(bundled):
    a = bundled.ask("How much did trade between Mongolia and North Korea amount to in 1990?")
    assert a.kind == "answer" and a.direct is not None
    assert a.direct.kind == "fact" and "13.3" in a.direct.text
    assert all(m.fact.year == 1990 for m in a.facts) and len(a.facts) <= 3


def test_bundled_students_in_2005_are_not_counted_from_another_passage(bundled):
    a = bundled.ask("How many Mongolian students studied in Pyongyang in 2005?")
    assert a.direct is None or a.direct.kind not in ("span", "fact")


def test_bundled_a_fact_of_another_noun_is_not_listed_first(bundled):
    a = bundled.ask("How many embassies did North Korea close in 1999?")
    assert a.kind == "answer" and a.facts
    # the 1999 agreement on 10,000 workers meets the year, but counts no embassies
    assert a.facts[0].fact.value is None or "embass" in (a.facts[0].fact.unit or "")


def test_bundled_a_capital_in_the_question_is_met_by_a_fact_about_its_state(bundled):
    a = bundled.ask("When did North Korea close its embassy in Ulaanbaatar?")
    assert a.kind == "answer" and a.facts
    assert a.facts[0].fact.id == "kp-mn-embassy-closure-1999"
    assert a.direct is not None and "1999" in a.direct.text


def test_bundled_a_fact_s_date_answers_only_what_it_states(bundled):
    # the fact table dates Putin's letter to Kim Jong Il, not his becoming president
    a = bundled.ask("When did Putin become president?")
    assert a.direct is None or a.direct.kind != "fact"
    a = bundled.ask("When did the USSR and Mongolia sign a treaty?")
    assert a.direct is not None and a.direct.kind == "fact" and "1966" in a.direct.text


def test_closest_passages_are_rendered_after_saying_the_documents_don_t_say(answerer):
    from bot.render import answer_text
    from bot.render_html import answer_page
    a = answerer.ask("Who was Japan's ambassador to North Korea in 1995?")
    text = answer_text(a)
    assert text.startswith("The documents don't say: no passage on it mentions “Japan”")
    assert "[1]" in text and "Gungaadorj" in text and "Facts:" not in text
    html = answer_page(a)
    assert html.startswith("The documents don") and "<blockquote" in html and "Gungaadorj" in html
    assert "<b>Sh. Gungaadorj" not in html  # no answer line in bold


VISITS = """---
title: Visits
---
Visits

In September 1988 D. Sodnom travelled to Pyongyang for the celebrations. He held talks with Premier Yi Kun Mo there. The talks ended on 12 September.

A ballet was staged in Pyongyang for the guests in September 1988. The stage was decorated with flags. The programme lasted three hours. Ambassador P. Urjinlkhundev attended the dinner afterwards.

Deputy Foreign Minister Pak Don Chun visited Ulaanbaatar in November 1998.
"""


@pytest.fixture(scope="module")
def visits(tmp_path_factory) -> Answerer:
    return one_document(tmp_path_factory, "visits", VISITS)


def test_the_person_asked_for_may_follow_the_best_sentence(visits):
    a = visits.ask("Who did D. Sodnom travel to Pyongyang to meet in September 1988?")
    assert a.kind == "answer" and "Yi Kun Mo" in a.passages[0].hit.chunk.text


def test_a_person_named_sentences_away_does_not_answer_a_who_question(visits):
    a = visits.ask("Who staged the ballet in Pyongyang in September 1988?")
    assert a.kind != "answer" and a.direct is None


def test_an_office_is_met_only_at_the_rank_asked(visits):
    a = visits.ask("Who was the deputy foreign minister who visited Ulaanbaatar in November 1998?")
    assert a.kind == "answer" and a.direct is not None and a.direct.text == "Pak Don Chun"
    a = visits.ask("Who was the foreign minister who visited Ulaanbaatar in November 1998?")
    assert a.kind != "answer" and a.direct is None  # a deputy is not the minister


DEPARTMENTS = """---
title: Departments
---
Ministry

Georgii Toloraya, deputy head of the ministry's Asian department, spoke to the press in 2000.

Relief

A relief commission was formed in 1950. The commission was headed by D. Namdag, who reported to the cabinet.

Embassy

Ambassador J. Lombo had served at the Mongolian Mission to South Korea from 1996 to 2001. His posting in Pyongyang began in 2001.

Trade talks

In 1998 talks were held between Foreign Minister Sh. Altangerel and the Chairman of the Committee for Economic Relations. The talks touched on trade along the Tumen River.

The Water Commission was chaired by B. Dash from 1990. He reported to Prime Minister Marshal Kh. Choibalsan.
"""


@pytest.fixture(scope="module")
def departments(tmp_path_factory) -> Answerer:
    return one_document(tmp_path_factory, "departments", DEPARTMENTS)


def test_who_headed_is_not_answered_by_a_deputy_head(departments):
    a = departments.ask("Who headed the ministry's Asian department in 2000?")
    assert a.kind != "answer" and a.direct is None  # its deputy head is all the text names
    a = departments.ask("Who was the deputy head of the ministry's Asian department?")
    assert a.kind == "answer" and a.direct is not None and a.direct.text == "Georgii Toloraya"
    # a passage that leaves the office unsaid may still answer
    a = departments.ask("Who led the relief commission formed in 1950?")
    assert a.kind == "answer" and "D. Namdag" in a.passages[0].hit.chunk.text
    a = departments.ask("Who headed the relief commission?")
    assert a.kind == "answer" and a.direct is not None and a.direct.text == "D. Namdag"


def test_an_office_is_held_by_a_person_not_an_organisation(departments):
    a = departments.ask("Who succeeded J. Lombo as ambassador in Pyongyang?")
    assert a.kind != "answer" and a.direct is None  # only 'the Mongolian Mission' is named
    a = departments.ask("Who was the ambassador in Pyongyang from 2001?")
    assert a.kind == "answer" and a.direct is not None and a.direct.text == "J. Lombo"


def test_a_person_titled_with_another_office_does_not_answer_who_held_the_asked_one(departments):
    # the text names the chairman by his office only; the foreign minister is someone else,
    # and a river is no one
    a = departments.ask("Who chaired the Committee for Economic Relations in 1998?")
    assert a.kind != "answer" and a.direct is None
    assert "the person asked for" in a.message
    a = departments.ask("Which foreign minister held talks in 1998?")
    assert a.kind == "answer" and a.direct is not None and a.direct.text == "Sh. Altangerel"
    # the verb names the office; a name with no title before it may hold it
    a = departments.ask("Who chaired the Water Commission?")
    assert a.kind == "answer" and a.direct is not None and a.direct.text == "B. Dash"
    # a military rank beside the office takes nothing from it
    a = departments.ask("Which prime minister did the Water Commission report to?")
    assert a.kind == "answer" and a.direct is not None and a.direct.text == "Kh. Choibalsan"


def test_a_follow_up_keeps_what_the_last_question_was_about(bundled):
    from bot.session import Session
    session = Session(bundled)
    session.ask("When did Mongolia and North Korea establish diplomatic relations?")
    a = session.ask("who signed it?")
    assert "diplomatic relations" in (a.assumed or "")  # not only the two parties
    # what it asks of them is quoted, and no sentence on the relations says who signed
    assert "“signed”" in (a.assumed or "")
    assert a.kind == "closest" and a.direct is None
    session.ask("When was the treaty between Russia and North Korea signed?")
    a = session.ask("who signed it?")
    assert "(the treaty between Russia and North Korea)" in (a.assumed or "")
    a = session.ask("when was it ratified?")  # a follow-up of a follow-up keeps the topic
    assert "(the treaty between Russia and North Korea)" in (a.assumed or "")
    assert a.kind == "closest" and "“ratified”" in (a.message or "")


def test_a_quoted_phrase_is_said_where_the_answer_stands(manual):
    a = manual.ask('Which packz option uses a "64 MiB dictionary"?')
    assert a.kind == "answer" and "packz -9" in a.direct.sentence
    # every word is in the manual, but not as that phrase
    a = manual.ask('Which packz option uses a "900k dictionary"?')
    assert a.kind != "answer" and "“900k dictionary”" in (a.message or "")
    # a quotation is met where the answer stands, not elsewhere in the passage
    a = manual.ask('When was the version that "starts a stream" released?')
    assert a.kind == "answer"
    a = manual.ask('When was packz 2.1.4 "compressed"?')
    assert a.kind != "answer"


MANUAL = """---
title: packz manual
---
Versions

packz 2.1.4 was released on 13 July 2019. It uses the pack_stream_init function to start a stream.

Memory

For files compressed with the default 900k block size, packz will require about 3700 kbytes to decompress. packz -9 uses a 64 MiB dictionary.

Authors

This manual was written by N. Ortega and Julian Seward. The Abstract Syntax Notation One (ASN.1) parser came later.

Freeing

The packz library provides pack_free (void * ptr), which calls free(3) on the given pointer.
"""


@pytest.fixture(scope="module")
def manual(tmp_path_factory) -> Answerer:
    return one_document(tmp_path_factory, "packz", MANUAL)


def test_a_version_the_documents_do_not_give_is_not_answered(manual):
    assert manual.ask("When was packz 2.1.4 released?").direct.text == "13 July 2019"
    a = manual.ask("When was packz 2.1.3 released?")
    assert a.kind != "answer" and a.direct is None


def test_which_version_is_answered_by_a_version_not_any_figure(manual):
    a = manual.ask("Which version of packz was released on 13 July 2019?")
    assert a.direct is not None and a.direct.text == "2.1.4"
    a = manual.ask("Since which version does packz provide pack_free?")
    assert a.kind != "answer" and a.direct is None  # 'free(3)' names a manual section


COUNTS = """---
title: Relations
---
Relations

By 1980 the MPR had diplomatic relations with 90 countries around the world.

Cooling

For the MPR, there were ups and downs in relations between the two in the period up to 1990.
"""


@pytest.fixture(scope="module")
def counts(tmp_path_factory) -> Answerer:
    return one_document(tmp_path_factory, "relations", COUNTS)


def test_a_count_of_something_else_is_no_answer_line(counts):
    a = counts.ask("How many states did the MPR have diplomatic relations with by 1980?")
    # it counts countries, not states: the sentence is the line, the reader judges the word
    assert a.status == "answer" and a.direct is not None and a.direct.kind == "sentence"
    assert "90 countries" in a.direct.text
    a = counts.ask("How many states did the MPR have relations with in 1990?")
    # 'the two' counts no states: the sentence is the answer line, not 'two'
    assert a.direct is None or a.direct.kind != "span"


SCHOLARS = """---
title: Scholars
---
Paris

John Calvin, a Protestant reformer, studied law in Paris in the 1520s. Many scholars from across European universities followed his writings.
"""


@pytest.fixture(scope="module")
def scholars(tmp_path_factory) -> Answerer:
    return one_document(tmp_path_factory, "scholars", SCHOLARS)


def test_a_people_s_adjective_before_a_kind_of_thing_is_part_of_the_name(tmp_path_factory):
    war = one_document(tmp_path_factory, "war", """---
title: War
---
Years

The Korean War began in 1950 and ended in 1953. European and Protestant scholars wrote of it, and the Korean Ambassador in Mongolia sent reports.
""")
    names = lambda q: [n.text for n in war.query(q).cons.names]  # noqa: E731
    assert names("When did the Korean War end?") == ["Korean War"]  # a war, not any Korean
    assert names("Which European Protestant scholar wrote of it?") == ["European", "Protestant"]
    assert names("Who was the Korean Ambassador in Mongolia?")[0] == "Korean"


def test_a_people_s_adjective_ends_a_name(scholars):
    # 'European Protestant' is two names a text may say apart, not one phrase
    a = scholars.ask("Which European Protestant reformer studied law in Paris?")
    assert a.kind == "answer" and "John Calvin" in a.direct.sentence


FESTIVALS = """---
title: Newcastle
---
The city

Newcastle upon Tyne is a city on the River Tyne in the north east of England.

Summer

The Northern Pride Festival is held in Leazes Park and in the city's Gay Community in mid-July. The People's Theatre stages plays in the autumn, and many people come to see them.
"""


def test_a_name_s_possessive_ends_a_name_but_a_common_noun_s_does_not(tmp_path_factory):
    festivals = one_document(tmp_path_factory, "festivals", FESTIVALS)
    # "Newcastle's Gay Community": a text about Newcastle says "the city's Gay Community"
    a = festivals.ask("Which festival is held in Newcastle's Gay Community in mid-July?")
    assert a.kind == "answer" and "Northern Pride" in a.passages[0].hit.chunk.text
    # 'people' is a common noun the documents write in lower case: "People's Theatre" is one
    # name, which a passage must say whole
    names = [n.text for n in festivals.query("What does the People's Theatre stage?").cons.names]
    assert names == ["People's Theatre"]


def test_a_function_or_option_is_a_name_the_passage_must_give(manual):
    assert manual.ask("What does pack_stream_init do?").kind == "answer"
    a = manual.ask("What does pack_stream_close do?")
    assert a.kind != "answer"
    a = manual.ask("How big is the dictionary of packz -7?")
    assert a.kind != "answer" and a.direct is None


def test_a_figure_keeps_its_unit_and_is_not_the_question_s_own(manual):
    a = manual.ask("How big is the dictionary of packz -9?")
    assert a.direct is not None and a.direct.text == "64 MiB"
    a = manual.ask("How much memory does packz need to decompress a file with the default 900k "
                   "block size?")
    assert a.direct is not None and a.direct.text == "3700 kbytes"


def test_initials_alone_and_an_acronym_s_words_are_no_author(manual):
    a = manual.ask("Who was the packz manual written by?")
    assert a.direct is not None and a.direct.text == "N. Ortega and Julian Seward"


SUMMITS = """---
title: Summits
---
Seoul

The Mongolian President P. Ochirbat paid his first official visit to South Korea in October 1991.

Tokyo

In 1993 the Chinese Foreign Minister Qian Qichen met Japanese officials in Tokyo.

Moscow

In 1994 Japan's Foreign Minister Koji Kakizawa travelled to Moscow for talks.

Beijing

Trade talks opened in Beijing in 1995; Ambassador K. Ikeda of Japan led them.

Ulaanbaatar

In 1966 CPSU General Secretary L. I. Brezhnev visited Ulaanbaatar with a Soviet delegation.
"""

SUMMIT_ALIASES = ALIASES + """Soviet Union: [USSR, Soviet]
Communist Party of the Soviet Union: [CPSU]
"""


@pytest.mark.parametrize("aliases", [SUMMIT_ALIASES, None], ids=["aliases", "no aliases file"])
def test_an_office_of_another_state_does_not_answer_whose_office_is_asked(
        tmp_path_factory, aliases):
    summits = one_document(tmp_path_factory, "summits", SUMMITS, aliases)
    # the Mongolian president visited South Korea: he is not its president
    a = summits.ask("Who was the president of South Korea in October 1991?")
    assert a.kind != "answer" and a.direct is None
    assert a.kind == "none" or "“president of South Korea”" in a.message
    a = summits.ask("Who was South Korea's president in 1991?")
    assert a.kind != "answer" and a.direct is None
    # the same passage answers for the state whose office it names
    a = summits.ask("Who was the Mongolian president who visited South Korea in 1991?")
    assert a.kind == "answer" and a.direct is not None and a.direct.text == "P. Ochirbat"
    if aliases:  # else the documents never say 'Mongolia', only 'Mongolian'
        a = summits.ask("Who was the president of Mongolia in 1991?")
        assert a.kind == "answer" and a.direct is not None and a.direct.text == "P. Ochirbat"
    # one word may stand between the state and its office; 'to', 'in' may not
    a = summits.ask("Which Japanese foreign minister met officials in 1993?")
    assert a.kind != "answer" and a.direct is None  # China's met Japanese officials
    a = summits.ask("Which Japanese foreign minister travelled to Moscow in 1994?")
    assert a.kind == "answer" and a.direct is not None and a.direct.text == "Koji Kakizawa"
    a = summits.ask("Who was the foreign minister who met Japanese officials in Tokyo?")
    assert a.kind == "answer" and a.direct is not None and a.direct.text == "Qian Qichen"
    # a state that ends the clause before the office is not whose office it is
    a = summits.ask("Who was Japan's ambassador at the trade talks in 1995?")
    assert a.kind == "answer" and a.direct is not None and a.direct.text.startswith("K. Ikeda")
    # a party is no state: the CPSU's General Secretary is the Soviet one
    a = summits.ask("Which Soviet general secretary visited Ulaanbaatar in 1966?")
    assert a.kind == "answer" and a.direct is not None and a.direct.text == "L. I. Brezhnev"


XZ_FAQ = """---
title: XZ Utils FAQ
---
Q: What is xz?

A: xz is a command line tool for the .xz format. It compresses with LZMA2.

Q: Can xz use several threads?

A: Yes, xz compresses in several threads when the input is large enough.
"""

LICENCE = """---
title: Free Documentation Licence
---
Modifications

List on the Title Page, as authors, one or more persons or entities responsible for authorship of the modifications, together with the principal authors of the Document.
"""


def test_a_word_that_names_a_document_s_subject_is_met_only_by_passages_about_it(tmp_path):
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "xz-faq.txt").write_text(XZ_FAQ, encoding="utf-8")
    (tmp_path / "docs" / "licence.txt").write_text(LICENCE, encoding="utf-8")
    docs = Answerer.open(tmp_path, tmp_path / "index")
    # 'xz' is the FAQ's subject: the licence's authors are not xz's
    a = docs.ask("Who is the author of xz?")
    assert a.kind != "answer" and a.direct is None
    # the FAQ's own passages meet it, whether or not they repeat the word
    a = docs.ask("Does xz compress in several threads?")
    assert a.kind == "answer" and a.passages[0].hit.chunk.doc == "xz-faq"
    # a word of both documents' subjects is no one document's
    a = docs.ask("Who is responsible for the authorship of the modifications?")
    assert a.kind == "answer" and a.passages[0].hit.chunk.doc == "licence"


def test_a_short_question_with_a_verb_in_small_letters_is_not_title_case(answerer):
    # 'Kim Jong Un' is a name the passages must say as a phrase, however many capitals the
    # question has; the text names Kim Il Sung and Jong Chol, never Kim Jong Un
    a = answerer.ask("When did Kim Jong Un visit Pyongyang?")
    assert a.kind != "answer" and a.direct is None
    a = answerer.ask("When Did Kim Il Sung Meet The Delegation?")  # title case: no names read
    assert a.kind == "answer"


HISTORY = """---
title: Relations 1948-2000
---
Visits

On 12 January 1966, a delegation led by L. I. Brezhnev paid Mongolia an official friendly visit.

Trade

A trade delegation led by D. Tsend stayed in Pyongyang for two weeks.
"""


def test_a_passage_that_names_its_years_is_not_dated_by_its_document_s_period(tmp_path_factory):
    history = one_document(tmp_path_factory, "history", HISTORY)
    a = history.ask("Who led the delegation that visited Mongolia in 2000?")
    assert a.kind != "answer" and a.direct is None  # the visit was in 1966
    a = history.ask("Who led the delegation that visited Mongolia in 1966?")
    assert a.kind == "answer" and a.direct is not None and a.direct.text == "L. I. Brezhnev"
    # a passage without a year of its own is of its document's period
    a = history.ask("Who led the trade delegation that stayed in Pyongyang in 1990?")
    assert a.kind == "answer" and a.direct is not None and a.direct.text == "D. Tsend"


LAWS = """---
title: Laws
---
Constitution

The Mongolian Basic Law was adopted in 1992 after long debates.

Visits

In 1888 President Grover Cleveland visited Jacksonville, a city of the US.
"""


def test_a_law_or_treaty_does_not_answer_who_did_something(tmp_path_factory):
    laws = one_document(tmp_path_factory, "laws", LAWS)
    a = laws.ask("Who drafted the constitution adopted in 1992?")
    assert a.kind != "answer" and a.direct is None  # the text names the law, no drafter


def test_a_name_before_an_office_is_a_name_of_its_own(tmp_path_factory):
    laws = one_document(tmp_path_factory, "laws", LAWS)
    # 'US President' is the US's president: the text says 'President Grover Cleveland'
    a = laws.ask("Which US President visited Jacksonville in 1888?")
    assert a.kind == "answer" and a.direct is not None and a.direct.text == "Grover Cleveland"


DELEGATION = """---
title: Visits
---
Talks

The Korean delegation arrived in Ulaanbaatar in March 1991 for talks on trade. Unfortunately, the talks on trade ended without an agreement.

Trade

Trade between the two states grew in the following years, and a new agreement on trade was signed in 1995 by Foreign Minister Tserenpiliin Gombosuren.
"""


def test_a_people_s_name_or_a_sentence_s_opening_adverb_is_no_one(tmp_path_factory, monkeypatch):
    monkeypatch.setenv("DOCBOT_MEANING", "off")  # the lexical rules alone
    visits = one_document(tmp_path_factory, "delegation", DELEGATION)
    # 'Korean' names a people, 'Unfortunately' opens a sentence: nobody is named who led
    # the delegation or ended the talks, so the closest passages are all there is
    for question in ("Who led the delegation that arrived in Ulaanbaatar in March 1991?",
                     "Who ended the talks on trade without an agreement?"):
        a = visits.ask(question)
        assert a.status == "closest" and a.direct is None, question
        assert any("Korean delegation" in p.hit.chunk.text for p in a.passages)
    # a person the passage names is still the answer
    a = visits.ask("Who signed the new agreement on trade in 1995?")
    assert a.status == "answer" and a.direct.text == "Tserenpiliin Gombosuren"


GAME = """---
title: The final
---
Teams

The Denver Broncos met the Carolina Panthers in the final. Peyton Manning led the Broncos.

Passing

Manning threw for 141 yards in the game.

Leaders

Kim Il Sung received the delegation in Pyongyang.

Season

In 2015 the Broncos won twelve games and lost four.
"""


def test_a_name_s_last_word_stands_for_it_once_its_document_has_said_it_whole(tmp_path_factory):
    game = one_document(tmp_path_factory, "game", GAME)
    a = game.ask("How many yards did Peyton Manning throw for in the game?")
    assert a.kind == "answer" and a.direct is not None and "141" in a.direct.text
    # not a last word of two letters ('Il'), nor a name the documents never say whole
    a = game.ask("When did Kim Jong Il receive the delegation?")
    assert a.kind != "answer" and a.direct is None
    a = game.ask("How many yards did Eli Manning throw for?")
    assert a.kind != "answer" and a.direct is None


def test_a_name_s_last_word_in_another_name_does_not_stand_for_it(tmp_path_factory):
    # the document says Eli Manning whole; 'Peyton Manning' is someone else
    brothers = one_document(tmp_path_factory, "brothers", """---
title: Brothers
---
Giants

Eli Manning led the Giants in the final.

Colts

Peyton Manning threw for 141 yards in the game.
""")
    a = brothers.ask("How many yards did Eli Manning throw for in the game?")
    assert a.kind != "answer" and (a.direct is None or "141" not in a.direct.text)
    a = brothers.ask("How many yards did Peyton Manning throw for in the game?")
    assert a.kind == "answer" and a.direct is not None and "141" in a.direct.text


def test_an_acronym_is_met_where_a_passage_spells_it_out_not_anywhere_in_its_document(
        tmp_path_factory):
    bloc = one_document(tmp_path_factory, "bloc", """---
title: Trade
---
Membership

Mongolia joined the Council for Mutual Economic Assistance in 1962, and the CMEA's plans bound its trade.

Railways

The railway to the border was finished in 1956 with Soviet help.
""")
    a = bloc.ask("When did Mongolia join the CMEA?")
    assert a.kind == "answer" and a.direct is not None and "1962" in a.direct.text
    # the CMEA's railway? The passage on the railway neither says nor spells out the CMEA
    a = bloc.ask("When was the CMEA railway to the border finished?")
    assert a.kind != "answer" and (a.direct is None or "1956" not in a.direct.text)


def test_an_acronym_a_document_never_writes_is_met_where_its_passage_spells_it_out(
        tmp_path_factory):
    root = tmp_path_factory.mktemp("chamber")
    (root / "docs").mkdir()
    (root / "docs" / "procedure.txt").write_text("""---
title: Procedure
---
Debates

The Presiding Officer may change the date of a debate by up to a month. The United Nations has no part in it.
""", encoding="utf-8")
    (root / "docs" / "glossary.txt").write_text("""---
title: Glossary
---
Terms

PO and UN are written as acronyms in the minutes.
""", encoding="utf-8")
    chamber = Answerer.open(root, root / "index")
    # the procedure never writes 'PO' or 'UN', but spells them out where it answers
    a = chamber.ask("Who may the PO change the date of a debate by a month for?")
    assert a.kind == "answer" and "Presiding Officer" in a.passages[0].hit.chunk.text
    a = chamber.ask("Does the UN have a part in changing the date of a debate?")
    assert a.kind == "answer" and "United Nations" in a.passages[0].hit.chunk.text


def test_a_name_is_met_where_a_passage_writes_its_initials(tmp_path_factory):
    flags = one_document(tmp_path_factory, "flags", """---
title: Flags
---
Landings

The U.S. flags planted on the Moon have been bleached white by sunlight.

Agencies

The United States space agency planned six landings. The United Kingdom took no part.
""")
    a = flags.ask("What happened to the United States flags planted on the Moon?")
    assert a.kind == "answer" and "bleached" in a.passages[0].hit.chunk.text
    assert writes_initials("the US team", "United States")
    assert not writes_initials("the UK team", "United States")
    assert not writes_initials("take us home", "United States")


def test_spells_out_reads_the_capitals_of_a_run_of_words():
    assert spells_out("the Council for Mutual Economic Assistance met", "CMEA")
    assert spells_out("the Central Intelligence Agency", "CIA")
    assert not spells_out("the railway was finished", "CMEA")
    assert not spells_out("Central Asia", "CIA")


def test_last_word_alone_reads_the_word_before_it():
    eli = Name("Eli Manning", ("eli", "manning"))
    assert last_word_alone("Then Manning threw.", eli)
    assert last_word_alone("Manning threw.", eli)
    assert last_word_alone("The Eli Manning era.", eli)
    assert not last_word_alone("Peyton Manning threw.", eli)
    assert not last_word_alone("They played the Pro Bowl.", Name("Super Bowl", ("super", "bowl")))
    assert last_word_alone("The Broncos won.", Name("Denver Broncos", ("denver", "broncos")))
    # the word before across a line's end, and a name's possessive
    assert not last_word_alone("Peyton \nManning threw.", eli)
    assert not last_word_alone("Peyton\tManning threw.", Name("Eli Manning's", ("eli", "manning")))
    assert last_word_alone("Peyton,\nManning threw.", eli)
    assert not last_word_alone("Mannings threw.", eli)


@settings(max_examples=2000, deadline=None)
@given(st.text(alphabet="ab Z_.-'’\t\n1é,;²", max_size=14), st.data())
def test_the_word_before_a_mention_is_the_patterns(text, data):
    end = data.draw(st.integers(0, len(text)))
    m = _WORD_BEFORE_RE.search(text, 0, end)
    assert _word_before(text, end) == (m.group(1) if m else None)


@pytest.mark.parametrize("text, aliases, questions", [
    (GAME, None, ["How many yards did Peyton Manning throw for in the game in 2015?",
                  "Did the Broncos beat the Panthers?", "Which Japanese team won?",
                  "Who was the deputy foreign minister of Japan?", "Did Manning play for Denver?"]),
    (DOC, ALIASES, ["Who was Japan's ambassador to North Korea in 1995?", "When did Mongolian "
                    "envoys visit the DPRK?", "Who was North Korea's foreign minister?"]),
    # a word of an alias ('Korea' of North Korea): the compounds that hold it are its forms
    ("# Talks\n\nKorea and Japan talked in 1990. North Korea then signed the treaty with "
     "Mongolia. The Koreans and the North agreed.\n", ALIASES,
     ["When did Korea sign?", "Who did the Koreans meet?", "When did the North sign?"])])
def test_names_read_with_a_memo_are_the_names_read_without(tmp_path_factory, text, aliases,
                                                           questions):
    answerer = one_document(tmp_path_factory, "memo", text, aliases)
    memo: dict = {}
    for question in questions:
        q = answerer.query(question)
        tokens = answerer.index.analyzer.tokens(q.text)
        args = (q.text, tokens, lambda t: answerer._df(t) > 0, answerer._word_terms,
                answerer._compounds, answerer._capitals)
        plain = read(*args)
        assert read(*args, forms_memo=memo) == plain
        assert read(*args, forms_memo=memo) == plain  # from the memo
    assert memo


def test_a_passage_without_a_year_is_of_the_years_its_document_names(tmp_path_factory):
    game = one_document(tmp_path_factory, "game", GAME)
    a = game.ask("How many yards did Peyton Manning throw for in the game in 2015?")
    assert a.kind == "answer" and a.direct is not None and "141" in a.direct.text
    a = game.ask("How many yards did Peyton Manning throw for in the game in 2016?")
    assert a.kind != "answer" and a.direct is None  # the document never names 2016


def test_a_passage_without_a_year_is_not_of_a_year_said_far_from_it(tmp_path_factory):
    # an article of many times: the year said five passages before dates nothing here
    history = one_document(tmp_path_factory, "history", """---
title: The club
---
Founding

The club was founded in 1905 by railway workers.

Ground

The club moved to a ground by the river.

Colours

The players wore red shirts and white shorts.

Rivals

The rivalry with the city's other club grew.

Season

In 2015 the club won twelve games and lost four.

Record

Its striker scored 31 goals in the league.
""")
    a = history.ask("How many goals did the striker score in the league in 2015?")
    assert a.kind == "answer" and a.direct is not None and "31" in a.direct.text
    a = history.ask("How many goals did the striker score in the league in 1905?")
    assert a.kind != "answer" and (a.direct is None or "31" not in a.direct.text)


def test_where_is_answered_by_a_place_in_small_letters(tmp_path_factory):
    oxygen = one_document(tmp_path_factory, "oxygen", """---
title: Oxygen
---
Occurrence

Free oxygen is found mostly in the atmosphere and dissolved in the oceans of the Earth.
""")
    a = oxygen.ask("Where on Earth is free oxygen found?")
    assert a.kind == "answer" and "atmosphere" in a.passages[0].hit.chunk.text


TALKS = """# Talks in Pyongyang

Joint statement

In February 2000 DPRK Foreign Minister Paek Nam Sun and Russian Foreign Minister I. Ivanov released a joint statement on the treaty.

Economic visit

In November 1999 Mongolian Prime Minister R. Amarjargal paid an official visit to Pyongyang, where he discussed trade.
"""


@pytest.mark.parametrize("aliases", [ALIASES, None], ids=["aliases", "no aliases file"])
def test_a_name_titled_as_another_state_s_office_holder_does_not_answer(tmp_path_factory,
                                                                        aliases):
    talks = one_document(tmp_path_factory, "talks", TALKS, aliases)
    # both foreign ministers stand in one sentence: the state before each title says whose
    a = talks.ask("Who was the Russian foreign minister in 2000?")
    assert a.kind == "answer" and a.direct is not None and a.direct.text == "I. Ivanov"
    if aliases:  # else 'DPRK' names no state
        a = talks.ask("Who was North Korea's foreign minister in 2000?")
        assert a.kind == "answer" and a.direct is not None and a.direct.text == "Paek Nam Sun"
    # the Mongolian prime minister is not North Korea's
    a = talks.ask("Who was the North Korean prime minister in 1999?")
    assert a.direct is None or a.direct.text != "R. Amarjargal"
    a = talks.ask("Who was the Mongolian prime minister in 1999?")
    assert a.kind == "answer" and a.direct is not None and a.direct.text == "R. Amarjargal"


def test_an_office_of_another_kind_does_not_hold_the_one_asked(tmp_path_factory):
    talks = one_document(tmp_path_factory, "kinds", TALKS + """
Summit

In 2001 the prime ministers of both states met Kim Yong Nam in Pyongyang.
""", ALIASES)
    # the prime ministers are not the foreign minister, nor is whoever they met
    a = talks.ask("Who was the foreign minister in 2001?")
    assert a.kind != "answer" and a.direct is None
    a = talks.ask("Who was Mongolia's foreign minister in 1999?")
    assert a.kind != "answer" and a.direct is None
    a = talks.ask("Who was Mongolia's prime minister in 1999?")
    assert a.kind == "answer" and a.direct is not None and a.direct.text == "R. Amarjargal"


ENVOYS_LATER = """# Envoys

First amplitudes

From 1984 to 1989, P. Urjinlkhundev, a capable Mongolian diplomat, served as Ambassador to Pyongyang. He took part in every top-level visit. After he had headed a department of the Foreign Ministry, he was sent to South Korea as Ambassador for the years 1991 to 1996.

Recall

In 1991 Ambassador J. Badraa returned to Mongolia from Pyongyang.
"""


def test_a_passage_answers_who_held_an_office_through_the_person_its_he_stands_for(
        tmp_path_factory):
    envoys = one_document(tmp_path_factory, "envoys_later", ENVOYS_LATER, ALIASES)
    a = envoys.ask("Who was the Mongolian ambassador to South Korea in 1991?")
    assert a.kind == "answer" and a.direct is not None and a.direct.text == "P. Urjinlkhundev"
    assert a.passages[0].hit.chunk.text.startswith("From 1984")


POSTS = """# Posts

Pyongyang

In 1989 the Mongolian Ambassador to Japan, P. Urjinlkhundev, also met the envoys of China in Tokyo.
"""


@pytest.mark.parametrize("aliases", [ALIASES, None], ids=["aliases", "no aliases file"])
def test_an_office_served_in_another_state_does_not_answer_where_it_is_asked(
        tmp_path_factory, aliases):
    posts = one_document(tmp_path_factory, "posts", POSTS, aliases)
    a = posts.ask("Who was the Mongolian ambassador to China in 1989?")
    assert a.kind != "answer" and a.direct is None
    a = posts.ask("Who was the Mongolian ambassador to Japan in 1989?")
    assert a.kind == "answer" and a.direct is not None and a.direct.text == "P. Urjinlkhundev"
    a = posts.ask("Who was the Mongolian ambassador in 1989?")
    assert a.kind == "answer" and a.direct is not None and a.direct.text == "P. Urjinlkhundev"


TRADE_TALKS = """# Envoys

Mongolia

In 1990 Mongolia held talks on trade in Pyongyang.

Japan

In 1990 Japan held talks on trade in Pyongyang, talks on trade and more talks on trade.

Seoul

In 1990 Mongolia opened an office in Seoul, one of many offices it opened in the region that year.
"""


def test_every_passage_that_meets_the_question_comes_before_those_that_do_not(tmp_path_factory):
    talks = one_document(tmp_path_factory, "trade_talks", TRADE_TALKS, ALIASES)
    a = talks.ask("Where did Mongolia hold talks on trade in 1990?")
    assert a.kind == "answer"
    # Japan's talks score second, but the question is about Mongolia's
    assert [p.hit.chunk.section for p in a.passages] == ["Mongolia", "Seoul", "Japan"]


def test_a_fact_about_one_office_holder_says_whose_office_and_where_once_for_all_mentions():
    from index.answering.constraints import Constraints, Name, check, clause_breaks
    states = {"mongolia": frozenset({"mongolia"}), "mongolian": frozenset({"mongolia"}),
              "korea": frozenset({"north korea", "south korea"}),
              "pyongyang": frozenset({"north korea"})}

    def asked(owner: str, dest: str) -> Constraints:
        return Constraints(roles=(Name("ambassador", ("ambassador",), office="ambassador",
                                       owner=states[owner], dest=states[dest]),),
                           states=states)
    def analyzed(text: str) -> tuple[list[str], dict]:
        """Its terms (small words dropped, as the analyzer does) and clause breaks."""
        spans = [(m.start(), m.end()) for m in re.finditer(r"[A-Za-z]+", text)
                 if m.group() not in ("the", "as", "to", "for")]
        terms = [text[a:b].casefold() for a, b in spans]
        return terms, clause_breaks(text, [a for a, _ in spans], [b for _, b in spans])
    text = ("Ambassador D. Sharav\nThe Mongolian Foreign Ministry sent D. Sharav as "
            "ambassador to Pyongyang.")
    terms, breaks = analyzed(text)
    fact = lambda c: check(c, terms, (), [text], breaks=breaks, one_holder=True).passes  # noqa
    passage = lambda c: check(c, terms, (), [text], breaks=breaks).passes  # noqa
    assert fact(asked("mongolian", "pyongyang"))
    # the title's 'Ambassador' says no state; the summary says Mongolia's, to Pyongyang
    assert not fact(asked("korea", "mongolia"))
    # a passage may speak of several ambassadors: an unsaid one may be anyone's
    assert passage(asked("korea", "mongolia"))
    text = "P. Urjinlkhundev was sent to Pyongyang as ambassador for the years 1984 to 1989."
    terms, breaks = analyzed(text)
    assert not check(asked("korea", "mongolia"), terms, (), [text], breaks=breaks,
                     one_holder=True).passes  # it served in Pyongyang, not in Mongolia
    assert check(asked("korea", "mongolia"), terms, (), [text], breaks=breaks).passes


TRAVELS = """---
title: Travels
---
Visits

Relations with Mongolia stayed close in those years. When Kim Il Sung paid an official friendship visit to Moscow in July 1961, the two sides signed a treaty.

Delegations

The United States had sent an invitation. The delegation went on to America in May 1975, after a stop in Tokyo.
"""


@pytest.fixture(scope="module")
def travels(tmp_path_factory) -> Answerer:
    return one_document(tmp_path_factory, "travels", TRAVELS, ALIASES)


def test_a_sentence_about_another_state_gives_no_answer_line(travels):
    # the passage names Mongolia, its best sentence only the visit to Moscow
    a = travels.ask("When did Kim Il Sung visit Mongolia?")
    assert a.direct is None or "1961" not in a.direct.text
    a = travels.ask("When did Kim Il Sung visit Moscow?")
    assert a.direct is not None and a.direct.text == "July 1961"


def test_a_value_asked_of_another_place_than_the_passages_gets_the_closest_passages(
        tmp_path_factory, travels):
    # the heading names Mongolia, the passage only the visit to Moscow: the documents say when
    # he visited Moscow, not Mongolia; no answer, the passage shown as the closest, and why
    headed = one_document(tmp_path_factory, "headed", """---
title: Travels
---
Mongolia

When Kim Il Sung paid an official friendship visit to Moscow in July 1961, the two sides signed a treaty.
""", ALIASES)
    a = headed.ask("When did Kim Il Sung visit Mongolia?")
    assert a.status == "closest" and not a.answered and a.direct is None and not a.facts
    assert "another place or year" in a.message
    assert a.passages and "Moscow" in a.passages[0].hit.chunk.text
    assert headed.ask("When did Kim Il Sung visit Moscow?").status == "answer"
    # a question asking for no value keeps the passage as its answer
    assert headed.ask("What happened when Kim Il Sung visited Mongolia?").message != a.message
    # a passage whose own text names the place asked may hold the answer in another sentence
    # than its best: it still answers, without an answer line cut from the wrong sentence
    a = travels.ask("When did Kim Il Sung visit Mongolia?")
    assert a.status == "answer" and (a.direct is None or "1961" not in a.direct.text)


def test_a_question_of_another_year_than_the_passage_s_gets_the_closest_passages(
        tmp_path_factory):
    # the heading says 1965, the passage only the treaty of 1961
    talks = one_document(tmp_path_factory, "talks", """---
title: Treaties
---
The talks of 1965

In 1961 the two sides signed a treaty of friendship and mutual assistance.
""")
    a = talks.ask("What did the two sides sign in 1965?")
    assert a.status == "closest" and "another place or year" in a.message
    assert a.passages and "1961" in a.passages[0].hit.chunk.text
    assert talks.ask("What did the two sides sign in 1961?").status == "answer"


def test_the_day_a_report_was_made_does_not_date_what_it_reports(tmp_path_factory):
    digest = one_document(tmp_path_factory, "digest", """---
title: News digest
---
Talks

The news agency said on February 12 that the two foreign ministers held talks on missile defence last week.
""")
    a = digest.ask("When did the two foreign ministers hold talks on missile defence?")
    assert a.direct is None or a.direct.kind != "span"  # the sentence, no day cut from it
    a = digest.ask("When did the news agency say that the foreign ministers held talks?")
    assert a.direct is not None and a.direct.text == "February 12"


def test_a_news_item_s_dateline_dates_what_it_tells_only_when_it_says_today(tmp_path_factory):
    wire = one_document(tmp_path_factory, "wire", """---
title: Wire items
---
Visit

Pyongyang, February 11 (KCNA) -- The friendly relations were confirmed during the visit to Pyongyang from February 9 to 10 of the foreign minister.

Statement

Pyongyang, February 28 (KCNA) -- The spokesman for the ministry today answered a question about the treaty.
""")
    a = wire.ask("When did the foreign minister visit Pyongyang?")
    assert a.direct is not None and "February 11" not in a.direct.text
    assert "February 9" in a.direct.text
    a = wire.ask("When did the spokesman answer a question about the treaty?")
    assert a.direct is not None and a.direct.text == "February 28"


def test_states_named_reads_a_word_of_several_states_as_the_one_the_text_names():
    states = {"korea": frozenset({"north korea", "south korea"}),
              "dprk": frozenset({"north korea"}), "japan": frozenset({"japan"})}
    assert states_named(["korea", "dprk"], states) == {"north korea"}
    assert states_named(["korea", "japan"], states) == {"north korea", "south korea", "japan"}
    assert states_named(["talks"], states) == frozenset()


def test_another_name_of_a_state_says_it_in_the_answer_line(travels):
    # 'America' is the United States (no aliases file says so), Tokyo another state's
    a = travels.ask("When did the delegation go on to the United States after its stop?")
    assert a.direct is not None and a.direct.text == "May 1975"


def test_a_capital_says_its_state_in_the_answer_line(tmp_path_factory):
    a = one_document(tmp_path_factory, "capitals", TRAVELS.replace(
        "Moscow in July 1961", "Ulaanbaatar in July 1961"), ALIASES)
    got = a.ask("When did Kim Il Sung visit Mongolia?")
    assert got.direct is not None and got.direct.text == "July 1961"



SECTIONS = """---
title: Relations from 1948 to 2000
---
Early years

In 1956 the two states signed a trade agreement. Trade grew quickly after that.

Later years

The embassy in Pyongyang closed in 1999 for lack of funds. Its staff went home, its archives were sent by rail, and the ambassador left the building to a caretaker who kept the keys for the years that followed, while the embassy in Beijing took over the consular work of the region and the few visas still asked for.

In February, a party delegation led by U. Enkhtuvshin travelled to Pyongyang at the invitation of the party. It met the leaders of the ruling party, visited two factories and a school, laid a wreath at the monument in the centre of the city and spoke of closer ties between the two parties in the years to come.
"""


def test_a_passage_without_a_year_is_of_its_section_s_time_in_a_history(tmp_path_factory):
    # the title's period and the first section's 1956 do not date the later delegation
    sections = one_document(tmp_path_factory, "sections", SECTIONS)
    a = sections.ask("Who led the party delegation to Pyongyang in 1956?")
    assert a.direct is None or "Enkhtuvshin" not in a.direct.text
    a = sections.ask("Who led the party delegation to Pyongyang in 1999?")
    assert a.direct is not None and a.direct.text == "U. Enkhtuvshin"


MEETINGS = """---
title: Meetings
---
Talks

Ivanov arrived in Pyongyang on 9 February 2000 for two days of talks. Paek Nam Sun met the trade minister on 12 February 2000 at the palace.
"""


def test_no_value_is_cut_from_a_sentence_about_someone_the_question_does_not_name(
        tmp_path_factory):
    meetings = one_document(tmp_path_factory, "meetings", MEETINGS)
    # the best sentence names Paek, not Ivanov, and refers back to no one
    a = meetings.ask("When did Paek Nam Sun meet Ivanov?")
    assert a.direct is None or a.direct.kind != "span"
    a = meetings.ask("When did Paek Nam Sun meet the trade minister?")
    assert a.direct is not None and a.direct.text == "12 February 2000"


PRESETS = """---
title: Presets
---
Threads

At least two other threading methods are possible in xz, and both were tried in 2009.

Memory

With preset 7 the dictionary of xz is 8 MiB, and decompression needs a little more than that.
"""


def test_no_value_is_cut_from_a_sentence_about_something_else_than_what_is_asked(
        tmp_path_factory):
    presets = one_document(tmp_path_factory, "presets", PRESETS)
    # 'two' counts threading methods, not the dictionary
    a = presets.ask("How big is the dictionary of the threading methods in xz?")
    assert a.direct is None or a.direct.kind != "span"
    a = presets.ask("How big is the dictionary of xz with preset 7?")
    assert a.direct is not None and a.direct.text == "8 MiB"


TOPIC_FAQ = """---
title: XZ Utils FAQ
---
Formats

The xz format is the successor of the LZMA Utils format, and xz reads both of them.

Memory

Decompression with the default settings needs 65 MiB of memory, and compression needs more.
"""

TOPIC_MANUAL = """---
title: bzip2 manual
---
Method

bzip2 compresses files with the Burrows-Wheeler block-sorting text compression algorithm.
"""


def test_a_name_the_title_says_need_not_stand_in_the_answering_sentence(tmp_path_factory):
    # 'xz' names what the FAQ is about: its sentences need not say it again
    root = tmp_path_factory.mktemp("topics")
    (root / "docs").mkdir()
    (root / "docs" / "faq.txt").write_text(TOPIC_FAQ, encoding="utf-8")
    (root / "docs" / "manual.txt").write_text(TOPIC_MANUAL, encoding="utf-8")
    a = Answerer.open(root, root / "index").ask("How much memory does xz need to decompress?")
    assert a.direct is not None and a.direct.text == "65 MiB"


ENVOYS_ABROAD = """---
title: "Mongolia's envoys in Pyongyang"
---
First highlights

Relations began to stagnate in 1958. Like Mao Zedong in China, Kim Il Sung purged the North Korean leadership. The Mongolian government, wavering back and forth between Moscow and Beijing during this period, tried to stabilize its relations and sent General B. Dorj to Pyongyang.

On 29 January 1960 an agreement on scientific cooperation was signed. Ambassador B. Dorj met the chairman of the North Korean assembly that spring, and the two parliaments began to communicate with each other in this way, as there could hardly be any real cooperation.

Aid in the war

General S. Ravdan took over the office of ambassador in 1952 and was a guarantor of Moscow's line. During the years of terror he had served in the army as a political officer and had led the political administration of the army.

In 1953 two party secretaries brought aid shipments to Korea and visited the troops at the front. As in the Second World War, the resistant horses were used in large numbers as transport animals in the rough terrain of the peninsula.
"""


@pytest.fixture(scope="module")
def envoys_abroad(tmp_path_factory) -> Answerer:
    return one_document(tmp_path_factory, "envoys_abroad", ENVOYS_ABROAD, ALIASES)


def test_an_ambassador_whose_state_is_unsaid_is_not_one_of_a_state_only_the_passage_before_names(
        envoys_abroad):
    # 'Ambassador B. Dorj' in a history of Mongolia's envoys: China is named only in the
    # passage before, as a comparison
    a = envoys_abroad.ask("Who was China's ambassador to North Korea in 1960?")
    assert a.kind != "answer" and a.direct is None
    a = envoys_abroad.ask("Who was Mongolia's ambassador to North Korea in 1960?")
    assert a.kind == "answer" and a.direct is not None and a.direct.text == "B. Dorj"


def test_the_passage_before_does_not_give_the_office_a_year_of_this_one_asks_of(envoys_abroad):
    # Ravdan took the office in 1952 (the passage before); the 1953 passage names no envoy
    for question in ("Who was Mongolia's ambassador in 1953?", "Who was the ambassador in 1953?"):
        a = envoys_abroad.ask(question)
        assert a.kind != "answer" and a.direct is None, question
    a = envoys_abroad.ask("Who was the Mongolian ambassador in 1952?")
    assert a.kind == "answer" and a.direct is not None and a.direct.text == "S. Ravdan"


def test_a_people_s_adjective_does_not_place_a_visit_in_its_state(tmp_path_factory):
    # the Mongolian minister's visit was to Moscow: no line for a visit to Mongolia
    a = one_document(tmp_path_factory, "adjectives", TRAVELS.replace(
        "When Kim Il Sung paid", "When the Mongolian foreign minister paid"), ALIASES)
    got = a.ask("When did the foreign minister visit Mongolia?")
    assert got.direct is None or "1961" not in got.direct.text
    got = a.ask("When did the Mongolian foreign minister visit Moscow?")
    assert got.direct is not None and got.direct.text == "July 1961"


CLOSURES = """---
title: Embassies of Mongolia and North Korea
---
Closures

Among the 18 embassies that North Korea closed in 1999 for lack of money was its embassy in Mongolia. The Mongolian embassy in Pyongyang stayed open throughout those years.
"""


def test_a_thing_placed_in_another_state_is_not_the_one_asked_of(tmp_path_factory):
    # North Korea's embassy in Mongolia closed in 1999, not Mongolia's in Pyongyang
    closures = one_document(tmp_path_factory, "closures", CLOSURES, ALIASES)
    a = closures.ask("When was the Mongolian embassy in Pyongyang closed?")
    assert a.direct is None or "1999" not in a.direct.text
    a = closures.ask("When did North Korea close its embassy in Mongolia?")
    assert a.direct is not None and a.direct.text == "1999"


KOREAS = """---
title: Mongolia between the two Koreas
---
Visits

Relations with South Korea had grown quickly since 1990. During the official visit of North Korean Foreign Minister Paek Nam Sun in August 2002, the new treaty was signed in Ulaanbaatar.
"""


def test_a_sentence_about_the_other_korea_gives_no_line(tmp_path_factory):
    # North and South Korea share a word: the sentence names the one not asked of
    koreas = one_document(tmp_path_factory, "koreas", KOREAS, ALIASES)
    a = koreas.ask("When did the South Korean foreign minister visit Ulaanbaatar?")
    assert a.direct is None or "2002" not in a.direct.text
    a = koreas.ask("When did the North Korean foreign minister visit Ulaanbaatar?")
    assert a.direct is not None and a.direct.text == "August 2002"


POSTS_OF_ENVOYS = """---
title: "Mongolia and North Korea: envoys and delegations"
---
Ties in the sixties

J. Sambuu had been the first MPR ambassador to North Korea. In 1960 Ambassador B. Dorj signed an agreement on scientific cooperation in Pyongyang.

Parties

The delegation that travelled to Ulaanbaatar in February 1999 was led by party leader Ts. Elbegdorj, who was received in the capital by the North Korean ambassador, who announced high-level negotiations between the two parties.
"""


@pytest.fixture(scope="module")
def posts_of_envoys(tmp_path_factory) -> Answerer:
    return one_document(tmp_path_factory, "posts_of_envoys", POSTS_OF_ENVOYS, ALIASES)


def test_an_unsaid_ambassador_is_not_of_the_state_the_passage_names_as_the_post(posts_of_envoys):
    # 'the first MPR ambassador to North Korea': North Korea is where the passage's envoys
    # serve, so its 'Ambassador B. Dorj' is no North Korean ambassador (though the title
    # names North Korea): the documents don't say who that was
    a = posts_of_envoys.ask("Who was the North Korean ambassador to Mongolia in 1960?")
    assert a.kind == "closest" and a.direct is None
    assert "North Korean ambassador" in a.message
    # the passage still answers for the state its envoys serve
    a = posts_of_envoys.ask("Who was the Mongolian ambassador to North Korea in 1960?")
    assert a.kind == "answer" and a.direct is not None and a.direct.kind == "span"


def test_a_name_received_by_an_ambassador_is_not_the_ambassador(posts_of_envoys):
    # the one named is who the ambassador received, not the ambassador: no name is the answer
    a = posts_of_envoys.ask("Who was the North Korean ambassador in Ulaanbaatar in 1999?")
    assert not (a.direct is not None and a.direct.kind == "span"
                and "Elbegdorj" in a.direct.text)


def test_an_office_of_a_people_is_theirs_not_a_post(tmp_path_factory):
    # 'a leader of the Swiss Reformation' says whose leader he was, not where he served
    a = one_document(tmp_path_factory, "reformers", """---
title: Reformers
---
Paris

Lefevre, a professor at the University of Paris, published his French translation of the New Testament in 1523. William Farel was a student of Lefevre who went on to become a leader of the Swiss Reformation.
""").ask("What leader of the Swiss reformation was a student of Lefevre?")
    assert a.kind == "answer" and a.direct is not None and a.direct.text == "William Farel"


def test_a_name_said_twice_is_listed_once_in_what_the_documents_lack(answerer):
    a = answerer.ask("Did South Korea send South Korea's first trade mission to Ulaanbaatar in 1996?")
    assert a.kind == "closest" and "“South Korea”" in a.message
    assert a.message.count("South Korea") == 1


def test_a_short_question_about_someone_the_documents_never_name_is_not_answered(
        tmp_path_factory):
    # 'Who is Kim Jong Un?' reads its name though most of its words are capitalised (title
    # case would write 'Is'): the son named in the documents is someone else
    a = one_document(tmp_path_factory, "successors", """---
title: Successors
---
Mourning

Kim Il Sung died in 1994. His son Kim Jong Il took over the government only after a three-year mourning period, and the UN noted the delay.
""", ALIASES).ask("Who is Kim Jong Un?")
    assert a.kind != "answer" and a.direct is None


TALKS_IN_PYONGYANG = """---
title: Russian visit to North Korea
date: 2000-02
---
Talks, as South Korea saw them

Pyongyang, February 9 (KCNA) -- Talks between DPRK Foreign Minister Paek Nam Sun and his Russian counterpart Igor Ivanov took place this afternoon. Present at the talks were officials concerned from the DPRK side, and Valery Denisov, Russian ambassador to Korea, from the Russian side.

Seoul

South Korea welcomed the treaty in a statement by its foreign ministry the next day.

Government

In 1990 the Mongolian delegation was received in Ulaanbaatar by D. Byambasuren, chairman of the Council of Ministers.
"""


@pytest.fixture(scope="module")
def talks(tmp_path_factory) -> Answerer:
    return one_document(tmp_path_factory, "talks", TALKS_IN_PYONGYANG, ALIASES)


def test_korea_alone_is_the_korea_its_passage_names(talks):
    # 'Russian ambassador to Korea' in a KCNA report on the DPRK serves in North Korea
    a = talks.ask("Who was the Russian ambassador to South Korea in 2000?")
    assert a.kind == "closest" and "Russian ambassador" in a.message
    a = talks.ask("Who was the Russian ambassador to North Korea in 2000?")
    assert a.kind == "answer" and a.direct is not None and a.direct.text == "Valery Denisov"


def test_a_body_named_after_its_members_holds_no_office(talks):
    # the chairman of the Council of Ministers is no minister
    a = talks.ask("Who was the Mongolian minister who received the delegation in 1990?")
    assert a.kind == "closest" and a.direct is None


def test_bundled_a_fact_about_the_asked_event_beats_a_date_of_something_else(bundled):
    # passage 1's best sentence dates a party congress (June 7, 1971), not a visit; the fact
    # table has his visit
    a = bundled.ask("When did Tsedenbal visit Pyongyang?")
    assert a.direct is not None and a.direct.kind == "fact"
    assert "1956" in a.direct.text and "visit" in a.direct.text


def test_bundled_a_percentage_is_not_answered_by_an_amount(bundled):
    a = bundled.ask("What percentage of Mongolia's trade was with North Korea in 1990?")
    assert not (a.direct is not None and a.direct.kind == "fact" and "USD" in a.direct.text)


def test_no_value_is_cut_for_what_the_documents_never_say(tmp_path_factory):
    # no passage says 'born': July 1961 is the date of a visit, not of a birth
    a = one_document(tmp_path_factory, "visits_only", """---
title: Visits
---
Moscow

When Kim Il Sung paid an official friendship visit to Moscow in July 1961, both sides concluded a binding treaty on friendship and mutual assistance.
""", ALIASES)
    got = a.ask("When was Kim Il Sung born?")
    assert not (got.direct is not None and got.direct.kind == "span")
    got = a.ask("When did Kim Il Sung visit Moscow?")
    assert got.direct is not None and got.direct.kind == "span" and got.direct.text == "July 1961"


OPTIONS = """---
title: Compressor manual
---
Description

bunzip2 (or bzip2 -d) decompresses all specified files. Files which were not created by bzip2 will be detected and ignored, and a warning issued.

Options

-f --force Force overwrite of output files. Normally, bzip2 will not overwrite existing output files, and the -f option changes that for every file given.

Memory

The -s option reduces memory usage for compression, decompression and testing of bzip2 files.
"""


def test_a_one_letter_option_is_met_only_where_it_is_said(tmp_path_factory):
    # the analyzer keeps no one-letter word, so '-d' must be read in the passage as written
    a = one_document(tmp_path_factory, "options", OPTIONS)
    got = a.ask("What does the -s option do?")
    assert got.kind == "answer" and got.direct.text.startswith("The -s option reduces memory")
    got = a.ask("What does the -k option of bzip2 do?")
    assert got.kind == "closest" and "“-k”" in got.message


def test_bundled_the_closest_passages_start_with_the_one_whose_note_names_what_is_asked(bundled):
    # the passage whose endnote names Barkmann meets the question's names, though others
    # share more of its words: it leads the closest passages ('nothing found' before)
    got = bundled.ask("Where and when was Barkmann's collection of Mongolian foreign policy "
                      "documents published?")
    assert got.kind in ("answer", "closest") and got.passages
    assert any("Barkmann" in n.text for n in got.passages[0].hit.chunk.notes)


def test_a_one_letter_option_is_searched_for(tmp_path_factory):
    # '-d' is a term of its own: a question naming only the option finds where it is said
    a = one_document(tmp_path_factory, "options_searched", OPTIONS)
    got = a.ask("What does -d do?")
    assert got.kind == "answer" and "bzip2 -d" in got.passages[0].hit.chunk.text
    assert "**-d**" in passage_text(got.passages[0])


# the patterns as they were written before they were written literal first (_after_no)
def _initials_before(name: str) -> re.Pattern | None:
    letters = [w[0] for w in name.split() if w[:1].isupper()]
    if len(letters) < 2:
        return None
    return re.compile(r"(?<![\w.])" + r"\.?".join(letters) + r"\.?(?![\w])")


def _last_word_before(last: str) -> re.Pattern:
    return re.compile(rf"(?<![\w-]){re.escape(last)}(?![\w-])")


_PIECES = ["U", "S", "N", "F", "L", "É", "u", "s", ".", "-", " ", "_", "7", "a", "US", "U.S.",
           "N.F.L", "Manning", "manning", "Eli", "-Manning", "Manning-", "x", "\n", "’s", "Ré"]


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(_PIECES), max_size=14),
       st.sampled_from(["United States", "National Football League", "Élan Rouge", "Eli Manning",
                        "the United Nations", "Manning", "Peyton Manning’s", "New Ré'", "U S"]))
def test_initials_and_last_word_patterns_find_what_they_found_look_behind_first(pieces, name):
    """writes_initials and last_word_alone read a passage with patterns that open with the
    literal, not the look-behind: the same matches, wherever the text puts them."""
    from index.answering.constraints import _initials_re, _last_word

    text = "".join(pieces)
    before, now = _initials_before(name), _initials_re(name)
    assert (before is None) == (now is None)
    if now is not None:
        assert [m.span() for m in now.finditer(text)] == [m.span() for m in before.finditer(text)]
        assert writes_initials(text, name) == (before.search(text) is not None)
    last, _, pattern = _last_word(name)
    assert [m.span() for m in pattern.finditer(text)] == \
        [m.span() for m in _last_word_before(last).finditer(text)]


_TEXT_PIECES = ["-", "-k", "--", "x", "k", " ", "é", "_", "in", " in ", " at the ", "embassy",
                "Embassy", "Pyongyang", "North Korea", "7", "'", "’s", "-in", "\n", "(", "."]


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(_TEXT_PIECES), max_size=16))
def test_option_and_thing_in_patterns_match_as_with_the_look_behind_first(pieces):
    """OPTION_RE and _THING_IN_RE open with the character they match, the look-behind (or
    \\b) after it: the same matches and groups as the patterns written look-behind first."""
    from index.answering.constraints import _THING_IN_RE, OPTION_RE

    text = "".join(pieces)
    option = re.compile(r"(?<![\w-])-[A-Za-z](?![\w-])")
    thing_in = re.compile(r"\b([a-z][a-z-]+)\s+(?:in|at)\s+(?:the\s+)?"
                          r"([A-Z][\w’'-]*(?:\s+[A-Z][\w’'-]*)*)")
    assert OPTION_RE.findall(text) == option.findall(text)
    assert [(m.span(), m.groups()) for m in _THING_IN_RE.finditer(text)] == \
        [(m.span(), m.groups()) for m in thing_in.finditer(text)]


def test_read_finds_years_periods_figures_options_and_quotes_as_asked():
    """The look-ups skipped for a question without a 1 or 2, a digit or a quotation mark
    still find them where they are."""
    from index.search.analyze import Analyzer

    an = Analyzer()
    ask = "Who signed the “Basic Treaty” with -k in 1965, 1950-53 and the 1960s, version 3.5?"
    c = read(ask, an.tokens(ask), lambda t: True, an.terms)
    assert (1965, 1965) in c.years and (1950, 1953) in c.years and (1960, 1969) in c.years
    assert "3.5" in c.numbers and c.options == ("-k",)
    assert any(n.quoted and n.text == "Basic Treaty" for n in c.names)
    plain = "Who signed the treaty with Korea?"
    c = read(plain, an.tokens(plain), lambda t: True, an.terms)
    assert not c.years and not c.numbers and not c.options and not any(n.quoted for n in c.names)
