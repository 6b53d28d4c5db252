"""The direct answer: the date, figure or name a question asks for, cut from the best sentence;
a fact's date or figure; else the best sentence. Every text is verbatim from its source."""
from __future__ import annotations

import re

from index.answering.answer import Passage
from index.reading.corpus import Chunk
from index.answering.asked import Asked, asks_for
from index.answering.direct import LINE, clip, direct_answer
from index.search.engine import SearchHit
from index.facts import Fact, FactMatch
from index.answering.highlight import Highlight


def passage(text: str, question_words: list[str], sentence: str | None = None) -> Passage:
    """A passage whose best sentence is `sentence` (default: all of text), with the question's
    words marked where they occur in it."""
    sentence = sentence or text
    start = text.index(sentence)
    terms = [(m.start(), m.end()) for w in question_words
             for m in re.finditer(rf"\b{re.escape(w)}\b", text)]
    chunk = Chunk("d:1", "d", "Doc", "Sec", 1, 1, 0, 0, 0, len(text), text)
    return Passage(1, 1.0, SearchHit(chunk, 1.0),
                   Highlight(start, start + len(sentence), sentence, sorted(terms), question_words))


def line(question: str, text: str, words: list[str]) -> str:
    """The answer line to a question from one passage of text."""
    return direct_answer(question, [passage(text, words)]).text


def fact(date: str = "1948-10-15", value=None, unit=None, quote: str = "agreed on 15 October 1948",
         title: str = "Diplomatic relations established") -> FactMatch:
    f = Fact("f-1", date, ("A", "B"), "diplomatic_relations", title, "s", "d", quote, value, unit,
             passage="d:1")
    return FactMatch(f, ())


def test_question_words_decide_what_is_asked_for():
    assert asks_for("When did it happen?") == "date"
    assert asks_for("In what year was it signed?") == "date"
    assert asks_for("How many tons were sent?") == "number"
    assert asks_for("Who signed it?") == "name"
    assert asks_for("Why did they meet?") == "other"
    assert asks_for("What happened when they met?") == "other"  # the first question word rules


def test_when_question_gets_the_date_not_the_year_it_already_names():
    text = "In 1948 the two states agreed on 15 October 1948 to establish relations."
    a = direct_answer("When in 1948 did the states establish relations?",
                      [passage(text, ["1948", "states", "establish", "relations"])])
    assert (a.kind, a.text) == ("span", "15 October 1948")
    assert a.text in a.sentence and a.chunk_id == "d:1"


def test_nearest_date_to_the_question_terms_wins():
    text = ("The embassy opened in 1950, and the treaty of friendship was signed on "
            "9 February 2000 in Pyongyang.")
    a = direct_answer("When was the treaty of friendship signed?",
                      [passage(text, ["treaty", "friendship", "signed"])])
    assert a.text == "9 February 2000"


def test_how_many_gets_the_number_with_its_noun():
    text = "Mongolia sent 226,236 head of cattle and 10 tons of food during the war."
    a = direct_answer("How many tons of food did Mongolia send?",
                      [passage(text, ["Mongolia", "tons", "food", "sent"])])
    assert (a.kind, a.text) == ("span", "10 tons")
    b = direct_answer("How many head of cattle did Mongolia send?",
                      [passage(text, ["Mongolia", "head", "cattle", "sent"])])
    assert b.text == "226,236 head"


def test_a_figure_keeps_its_unit_not_a_piece_of_the_noun_phrase_it_counts():
    assert line("How many fumbles did Von Miller force?", "Von Miller had two forced fumbles.",
                ["Von", "Miller", "fumbles"]) == "two"
    assert line("How many broadcast partners does the network have?",
                "The network has three main broadcast partners.",
                ["network", "broadcast", "partners"]) == "three"
    assert line("How long was the pact to run?", "The pact was to run for 5 years.",
                ["pact", "run"]) == "5 years"
    assert line("How big is the dictionary?", "The dictionary takes 64 MiB.",
                ["dictionary"]) == "64 MiB"


def test_a_year_is_no_answer_to_how_many_when_a_count_is_there():
    text = "In 1986 the delegation of 35 members arrived."
    a = direct_answer("How many members had the delegation?",
                      [passage(text, ["delegation", "members"])])
    assert a.text == "35"  # the question says what it counts


def test_who_gets_a_name_that_the_question_does_not_already_hold():
    text = "The treaty between Russia and North Korea was signed by Igor Ivanov in Pyongyang."
    a = direct_answer("Who signed the treaty between Russia and North Korea?",
                      [passage(text, ["treaty", "Russia", "North Korea", "signed"])])
    assert (a.kind, a.text) == ("span", "Igor Ivanov")


def test_names_keep_initials_and_drop_a_leading_function_word():
    text = "The first ambassador in Pyongyang was J. Sambuu, who arrived in 1950."
    a = direct_answer("Who was the first ambassador in Pyongyang?",
                      [passage(text, ["first", "ambassador", "Pyongyang"])])
    assert a.text == "J. Sambuu"


def test_no_candidate_gives_the_sentence():
    text = "The talks were friendly and long."
    a = direct_answer("Who led the talks?", [passage(text, ["talks"])])
    assert (a.kind, a.text) == ("sentence", text)


def test_why_gets_the_best_sentence_and_a_long_one_is_clipped_to_its_clauses():
    sentence = ("Because the border trade had collapsed after 1990, and since the old agreements "
                "had lapsed, the ministers, meeting in the capital for three days, agreed to "
                "reopen the railway crossing to freight traffic.")
    a = direct_answer("Why did the ministers reopen the railway crossing?",
                      [passage(sentence, ["ministers", "reopen", "railway", "crossing"])])
    assert a.kind == "sentence" and a.text == sentence
    assert len(a.line) <= LINE and "railway crossing" in a.line and a.line.startswith("…")
    assert a.line.strip("…") in sentence


def test_a_fact_answers_when_it_gives_what_is_asked_and_agrees_with_the_sentence():
    text = "Both states agreed on 15 October 1948 to establish diplomatic relations."
    p = passage(text, ["states", "establish", "diplomatic", "relations"])
    a = direct_answer("When did A and B establish diplomatic relations?", [p], [fact()])
    assert (a.kind, a.fact, a.chunk_id) == ("fact", "f-1", "d:1")
    assert a.text == "15 October 1948 — Diplomatic relations established"
    # a why-question is not answered by a date
    assert direct_answer("Why did A and B establish relations?", [p], [fact()]).kind == "sentence"


def test_the_best_sentence_wins_over_a_fact_it_does_not_hold():
    text = "Ambassador Sh. Gungaadorj was recalled in 1995."
    p = passage(text, ["Ambassador", "Gungaadorj", "recalled"])
    a = direct_answer("When was Ambassador Gungaadorj recalled?", [p],
                      [fact("1991", quote="Sh. Gungaadorj (1991", title="Sh. Gungaadorj ambassador")])
    assert (a.kind, a.text) == ("span", "1995")


def test_a_figure_fact_answers_how_many_of_its_unit_only():
    text = "Aid came in many forms."
    p = passage(text, ["Aid"])
    f = fact("1950", value=226236.0, unit="head of meat", quote="226,236 head", title="Wartime aid")
    a = direct_answer("How much meat was sent?", [p], [f])
    assert (a.kind, a.text) == ("fact", "226,236 head of meat — Wartime aid")
    assert direct_answer("How many orphans were sent?", [p], [f]).kind == "sentence"


def test_nothing_to_answer_from():
    assert direct_answer("When?", [], []) is None


def test_clip_keeps_a_short_sentence_whole():
    assert clip("A short one.", [(2, 7)]) == "A short one."


def test_a_role_after_which_asks_for_a_person():
    assert asks_for("Which North Korean foreign minister visited Mongolia?") == "name"
    assert asks_for("Which former colonel became ambassador?") == "name"
    assert asks_for("Which treaty did they sign?") == "other"


def test_a_person_asked_for_is_a_name_not_a_place_or_an_acronym():
    text = ("In Ulaanbaatar the MPRP delegation met Foreign Minister Paek Nam Sun, and "
            "D. Sharav of the WPK attended.")
    a = direct_answer("Which foreign minister did the MPRP delegation meet in Ulaanbaatar?",
                      [passage(text, ["MPRP", "delegation", "Ulaanbaatar", "Minister"])])
    assert (a.kind, a.text) == ("span", "Paek Nam Sun")
    b = direct_answer("Who attended for the WPK?", [passage(text, ["WPK", "attended"])])
    assert (b.kind, b.text) == ("span", "D. Sharav")


def test_how_long_gets_the_hyphenated_duration():
    text = "His son took over the government only after a three-year mourning period."
    a = direct_answer("How long did the mourning last?", [passage(text, ["mourning"])])
    assert (a.kind, a.text) == ("span", "three-year")


def test_which_role_gets_the_name_that_follows_the_role():
    # the other name stands nearer the question's words
    text = ("Foreign Minister Ho Dam, with Vice-President Kang Ryang-uk, visited Mongolia "
            "in 1972-1973.")
    a = direct_answer("Which North Korean foreign minister visited Mongolia in 1972-1973?",
                      [passage(text, ["visited", "Mongolia", "1972-1973"])])
    assert (a.kind, a.text) == ("span", "Ho Dam")


def test_a_title_inside_a_run_of_capitals_starts_the_name():
    text = "In Pyongyang Foreign Minister Ivanov met the delegation."
    spans = [text[s:e] for s, e, _ in Asked("Who met the delegation?", "name").candidates(text)]
    assert spans == ["Pyongyang", "Ivanov"]


def test_a_role_word_inside_a_name_asks_for_no_person():
    assert asks_for("At which General Assembly session was it decided?") == "other"


# -- precision first: a span only of the asked type ----------------------------------------------


def test_who_gets_no_country_and_not_the_question_s_own_person():
    from index.answering.constraints import Constraints, place_names
    cons = Constraints(places=place_names({"North Korea": ["DPRK"]}))
    text = "Since Ambassador J. Lombo had also served in South Korea, he knew the region."
    a = direct_answer("Who succeeded J. Lombo as ambassador?", [passage(text, ["Lombo", "ambassador"])],
                      cons=cons)
    assert a.kind == "sentence"  # neither 'South Korea' nor 'J. Lombo' is who succeeded him
    text = "Ambassador Sh. Gungaadorj was recalled in 1995."
    a = direct_answer("Who replaced Gungaadorj as ambassador in 1995?",
                      [passage(text, ["Gungaadorj", "ambassador", "1995"])], cons=cons)
    assert a.kind == "sentence"


def test_a_day_of_a_date_is_not_a_how_much_answer():
    text = "On 26 March 1990 the two states agreed to establish diplomatic relations."
    a = direct_answer("How much did trade amount to in 1990?", [passage(text, ["1990"])])
    assert a.kind == "sentence"


def test_a_number_keeps_its_unit_when_the_asked_noun_is_elsewhere():
    text = "Between 1950 and 1953 Mongolia supplied 226,236 head of meat."
    a = direct_answer("How much livestock did Mongolia send?", [passage(text, ["Mongolia"])])
    assert (a.kind, a.text) == ("span", "226,236 head")


def test_a_sentence_about_another_year_gives_no_answer_line():
    from index.answering.constraints import Constraints
    text = "The embassy was closed in 1999."
    a = direct_answer("When was the embassy closed in 2005?", [passage(text, ["embassy", "closed"])],
                      cons=Constraints(years=((2005, 2005),)))
    assert a is None


def test_how_long_asks_for_a_duration():
    q = "How long was the treaty in preparation?"
    a = direct_answer(q, [passage("The two countries signed the treaty after 5 years of drafting.",
                                  ["treaty"])])
    assert a.kind == "span" and a.text == "5 years"
    a = direct_answer(q, [passage("The treaty marked an occasion for the two countries.", ["treaty"])])
    assert a.kind == "sentence"  # 'two countries' is no duration
    a = direct_answer(q, [passage("It will regulate relations for the next quarter century.",
                                  ["treaty"])])
    assert a.kind == "span" and a.text == "quarter century"


def test_a_subject_in_office_does_not_make_a_what_question_a_who_question():
    assert asks_for("What did South Korean diplomats in Moscow see as a good sign?") == "other"
    assert asks_for("Which South Korean diplomat visited Moscow?") == "name"


def test_a_year_of_the_asked_period_is_no_count():
    a = direct_answer("How much livestock did Mongolia supply over the years 1950-53?",
                      [passage("Between 1950 and 1953 alone, Mongolia supplied 226,236 head of "
                               "meat.", ["Mongolia"])])
    assert a.kind == "span" and a.text == "226,236 head"  # not '1953 alone'


def places(question: str, text: str) -> list[str]:
    from index.answering.direct import typed_candidates
    from index.answering.asked import asked
    return [text[s:e] for s, e, _ in typed_candidates(question, asked(question), text)]


def test_where_asks_for_a_place_not_a_person_nor_a_quoted_title():
    assert asks_for("Where was the agreement signed?") == "place"
    assert asks_for("In which city did the ministers meet?") == "place"
    q = "Where did the ministers hold talks?"
    assert places(q, "Foreign Minister Paek Nam Sun held talks in Pyongyang.") == ["Pyongyang"]
    assert places(q, "The signing of the ‘Agreement on the Promotion, Support and Protection of "
                     "Investments’ followed.") == []
    # the answer line is the sentence that gives the place
    a = direct_answer(q, [passage("Foreign Minister Paek Nam Sun held talks in Pyongyang.",
                                  ["talks"])])
    assert a.kind == "sentence"


def test_what_is_the_name_of_asks_for_a_person():
    assert asks_for("What is the name of the official who welcomed the pact?") == "name"
    a = direct_answer("What was the name of the official who welcomed the pact?",
                      [passage("A senior official said that the ministry welcomed the pact.",
                               ["official", "welcomed", "pact"])])
    assert a.kind == "sentence"  # no one is named


def test_a_fact_counts_only_the_asked_noun():
    from index.answering.answer import _gives
    from index.answering.asked import asked
    f = fact(value=10, unit="tons").fact
    assert _gives(f, asked("How many tons of food did Russia send?"))
    assert not _gives(f, asked("How many refugees did Russia send?"))
    assert _gives(f, asked("How much did Russia send?"))


def test_worth_and_share_ask_for_a_figure_and_an_officer_is_a_person():
    assert asks_for("What was Mongolia's trade with South Korea worth in 1992?") == "number"
    assert asks_for("What was North Korea's share of Mongolia's foreign trade in 1984?") == "number"
    assert asks_for("What was the treaty about?") == "other"
    assert asks_for("Which Russian military officer took part in the talks?") == "name"
    assert asks_for("Which maintainer wrote the patch?") == "name"
    a = direct_answer("What was the trade worth in 1992?",
                      [passage("In 1992 two delegations discussed the trade.", ["trade"])])
    assert a.kind == "sentence"  # 'two delegations' is no amount


def test_a_place_is_a_name_after_in_or_at_or_a_known_place_not_any_capitalised_word():
    q = "Where did the final take place?"
    assert places(q, "Coincidentally, the final was played at Levi's Stadium in Santa Clara.") == [
        "Levi's Stadium", "Santa Clara"]
    assert places(q, "Coincidentally, the final was played on Sunday.") == []

def test_who_is_not_answered_by_a_people():
    from index.answering.constraints import Constraints, place_names
    cons = Constraints(places=place_names({"North Korea": ["North Korean"]}))
    a = direct_answer("Who registered the most visits?",
                      [passage("Many features seemed strange to the North Koreans who registered.",
                               ["registered"])], cons=cons)
    assert a.kind == "sentence"


def test_initials_alone_and_an_acronym_s_words_name_no_one():
    a = direct_answer("Who wrote the parser?",
                      [passage("The Abstract Syntax Notation One (ASN.1) parser was written by "
                               "J. Seward.", ["parser", "written"])])
    assert a.kind == "span" and a.text == "J. Seward"
    a = direct_answer("Who is the author of the manual?",
                      [passage("The manual was compiled by N.", ["manual"])])
    assert a.kind == "sentence"
    a = direct_answer("Who wrote the parser?",
                      [passage("The Abstract Syntax Notation One (ASN.1) parser was written in 2001.",
                               ["parser", "written"])])
    assert a.kind == "sentence"


def test_which_version_asks_for_a_figure_and_a_name_does_not_run_over_a_line_break():
    a = direct_answer("Since which version does the library provide asn1_strerror?",
                      [passage("asn1_strerror returns a string. Since: 1.6", ["asn1_strerror"])])
    assert a.kind == "span" and a.text == "1.6"
    a = direct_answer("Who is the author of the manual?",
                      [passage("The manual was compiled by N.\n\nThis is free software.",
                               ["manual"])])
    assert a.kind == "sentence"


def test_code_names_are_not_decades_ordinals_or_sizes():
    from index.answering.asked import code_spans
    q = "Did asn1_der_coding or 7z2xz.bash change in the mid-1990s, the 20th or at 900k?"
    assert [q[a:b] for a, b in code_spans(q)] == ["asn1_der_coding", "7z2xz.bash"]


def test_a_period_or_range_is_answered_whole():
    streets = "Grainger built the streets between 1835 and 1842."
    assert line("When did Grainger build the streets?", streets,
                ["Grainger", "built", "streets"]) == "between 1835 and 1842"
    # the question says 'between' itself: the answer is the two ends
    assert line("Between what years did Grainger build the streets?", streets,
                ["Grainger", "built", "streets"]) == "1835 and 1842"
    assert line("When did the massacre last?", "The massacre lasted from 24 August – 3 October 1572.",
                ["massacre", "lasted"]) == "24 August – 3 October 1572"
    assert line("How many of the people did the plague kill?",
                "The plague killed 30–60% of the people.", ["plague", "killed"]) == "30–60%"
    assert line("When did audiences peak?", "Audiences peaked in the late 1970s.",
                ["Audiences", "peaked"]) == "the late 1970s"
    assert line("How much will sea levels rise?", "Sea levels will rise by 50–140 cm.",
                ["Sea", "levels", "rise"]) == "50–140 cm"
    score = direct_answer("How much was the final score?",
                          [passage("The final score was 34–19.", ["final", "score"])])
    assert score.text != "34–19"  # a score is no range


def test_what_year_gets_the_year_and_what_percentage_a_share():
    text = "The show returned on 26 March 2005, when about one million viewers, 2% of homes, watched."
    a = direct_answer("What year did the show return?", [passage(text, ["show", "returned"])])
    assert a.text == "2005"
    b = direct_answer("When did the show return?", [passage(text, ["show", "returned"])])
    assert b.text == "26 March 2005"
    c = direct_answer("What percentage of homes watched the show?",
                      [passage(text, ["homes", "watched", "show"])])
    assert c.text == "2%"


def test_the_name_of_a_thing_is_not_answered_with_a_person():
    text = "The rock found by astronauts David Scott and James Irwin is dubbed the Genesis Rock."
    a = direct_answer("What was the name of the rock the astronauts found?",
                      [passage(text, ["rock", "astronauts", "found"])])
    assert a.kind == "sentence" and a.text == text
    b = direct_answer("What was the name of the astronaut who found the rock with David Scott?",
                      [passage(text, ["astronauts", "found", "rock", "David", "Scott"])])
    assert (b.kind, b.text) == ("span", "James Irwin")



def test_an_office_or_a_body_alone_is_no_person():
    text = "For this reason, the Mongolian Foreign Ministry sent D. Lu as ambassador."
    a = direct_answer("Who was sent as ambassador?", [passage(text, ["sent", "ambassador"])])
    assert (a.kind, a.text) == ("span", "D. Lu")  # 'Foreign' before it is no title of a person


def test_who_gets_the_person_a_clause_after_the_name_says_it_of():
    text = ("Ambassador Dorj's efforts were flanked by a state visit by the Chairman of the "
            "Presidium, J. Sambuu, who had been the first ambassador to North Korea years earlier.")
    a = direct_answer("Who was the first ambassador to North Korea?",
                      [passage(text, ["Ambassador", "first", "ambassador", "North", "Korea"])])
    assert a.kind == "span" and a.text == "J. Sambuu"
    # without such a clause, the name nearest the question's words
    text = "Ambassador Dorj met J. Sambuu in Pyongyang."
    a = direct_answer("Who was the ambassador?", [passage(text, ["Ambassador"])])
    assert a.text == "Dorj"


def test_how_much_of_something_wants_a_quantity_in_a_unit():
    # 'one thread' counts threads; it is no amount of memory
    text = "For the same file, xz -9 can only use one thread."
    assert line("How much memory does xz -9 use?", text, ["xz", "-9", "use"]) == text
    assert line("How much memory does xz -9 use?", "xz -9 uses 674 MiB of memory.",
                ["xz", "-9", "uses", "memory"]) == "674 MiB"
    assert line("How much memory does bzip2 -s need?", "The requirement drops to around 2300k.",
                ["requirement"]) == "2300k"
    # 'One can adjust' is no figure
    text = "One can adjust the block size with --block-size."
    assert line("How large is the block size?", text, ["block", "size"]) == text


def test_which_office_is_not_answered_by_a_name_titled_with_another():
    text = "Foreign Minister Sh. Altangerel met the delegation."
    assert line("Which ambassador met the delegation?", text, ["met", "delegation"]) == text
    text = "Foreign Minister Sh. Altangerel met the delegation with Ambassador D. Byambaa."
    assert line("Which ambassador met the delegation?", text, ["met", "delegation"]) == "D. Byambaa"
    # a deputy minister is not the minister; a prime minister is the premier
    text = "Deputy Foreign Minister G. Karasin signed the protocol."
    assert line("Which minister signed the protocol?", text, ["signed", "protocol"]) == text
    assert line("Which deputy minister signed the protocol?", text,
                ["signed", "protocol"]) == "G. Karasin"
    text = "Prime Minister R. Amarjargal signed the protocol."
    assert line("Which premier signed the protocol?", text, ["signed", "protocol"]) == "R. Amarjargal"


def test_who_is_not_answered_by_the_source_that_reports_it():
    text = ("Agence France Presse reported that the DPRK said on Wednesday that it has signed "
            "a treaty with Russia.")
    words = ["signed", "treaty", "Russia"]
    assert line("Who signed the treaty with Russia?", text, words) == text
    # unless the question asks who reported it
    assert line("Who reported that the treaty was signed?", text,
                ["reported", "signed", "treaty"]) == "Agence France Presse"
    text = "Nezavisimaia Gazeta's Dmitry Skosyrev reported that Igor Ivanov signed the treaty."
    assert line("Who signed the treaty?", text, ["signed", "treaty"]) == "Igor Ivanov"
    # a name said of what is asked is its answer, whatever it says next
    text = "San Francisco mayor Ed Lee said of the visit that it was a success."
    assert line("Who is the mayor of San Francisco?", text, ["San", "Francisco", "mayor"]) == "Ed Lee"


def test_the_office_asked_is_not_answered_by_another_of_its_kind_nor_a_title_s_first_word():
    from index.answering.constraints import Constraints, Name
    text = "Prime Minister R. Amarjargal visited the defence ministry."
    defence = Constraints(roles=(Name("Mongolia's defence minister", ("minist",),
                                      office="minister"),))
    a = direct_answer("Who was Mongolia's defence minister?",
                      [passage(text, ["defence", "minister"])], cons=defence)
    assert a.kind == "sentence"  # the prime minister is not the defence minister
    prime = Constraints(roles=(Name("Mongolia's prime minister", ("minist",), office="minister"),))
    a = direct_answer("Who was Mongolia's prime minister?",
                      [passage(text, ["prime", "minister"])], cons=prime)
    assert a.text == "R. Amarjargal"
    # the state after the office says whose it is, not which of its kind
    of_japan = Constraints(roles=(Name("minister of Japan", ("minist",), office="minister"),))
    text = "Foreign Minister Yohei Kono met the delegation."
    a = direct_answer("Who was the minister of Japan who met the delegation?",
                      [passage(text, ["minister", "met", "delegation"])], cons=of_japan)
    assert a.text == "Yohei Kono"
    # 'Foreign' begins a title; 'Affairs' after it is no one
    text = "He worked at the Ministry of Foreign Affairs for ten years."
    assert line("Who worked at the ministry?", text, ["worked", "ministry"]) == text


def test_an_item_s_number_is_no_figure():
    text = "2) The government would cooperate with countries of a different social structure."
    assert line("How much did the government spend?", text, ["government"]) == text
    # a source's pages, a day range's first day
    text = "Source: Statistical Yearbook 1999, Ulaanbaatar 2000, p. 211, 142, 177."
    assert line("How much did trade amount to?", text, ["trade"]) == text
    text = "The prime minister paid an official visit from 4-5 November 1999."
    assert line("How many visits did the prime minister pay?", text, ["visit"]) == text
    # an item run into a sentence: '… and 3. to keep an eye on …'
    text = "Its tasks were 2. to promote trade and 3. to keep an eye on the talks."
    assert line("How much did trade amount to?", text, ["trade"]) == text


def test_an_office_set_between_commas_before_a_name_is_its_title():
    from index.answering.constraints import Constraints, Name
    ambassador = Constraints(roles=(Name("Soviet ambassador", ("ambassador",),
                                         office="ambassador"),))
    text = "In 1953, the Secretary of the CC of the MPRP, Ch. Surenjav, brought the aid."
    a = direct_answer("Who was the Soviet ambassador in 1953?",
                      [passage(text, ["1953"])], cons=ambassador)
    assert a.kind == "sentence"  # the party secretary is no ambassador
    # unless what follows the name says it held the office asked
    text = ("The visit by the Chairman of the Presidium, J. Sambuu, who had been the first "
            "ambassador, was a success.")
    a = direct_answer("Who was the first ambassador?", [passage(text, ["first", "ambassador"])],
                      cons=ambassador)
    assert a.text == "J. Sambuu"


def test_a_clause_after_a_name_says_whose_office_it_held():
    from index.answering.constraints import Constraints, Name
    states = {"mpr": frozenset({"mongolia"}), "dprk": frozenset({"north korea"})}

    def asked_of(owner: str) -> Constraints:
        return Constraints(roles=(Name(f"{owner} ambassador", ("ambassador",), office="ambassador",
                                       owner=states[owner.casefold()]),),
                           state_of=lambda w: frozenset().union(
                               *(states.get(t.casefold(), ()) for t in w.split())))
    text = ("The visit by J. Sambuu, who had been the first MPR ambassador to the DPRK, and "
            "Kim Pyong Sik was a success.")
    words = ["first", "ambassador"]
    a = direct_answer("Who was the first DPRK ambassador?", [passage(text, words)],
                      cons=asked_of("DPRK"))
    assert a.text != "J. Sambuu"  # the MPR's ambassador is not the DPRK's
    a = direct_answer("Who was the first MPR ambassador?", [passage(text, words)],
                      cons=asked_of("MPR"))
    assert a.text == "J. Sambuu"


def test_a_zone_a_region_or_a_yearbook_is_nobody():
    for text in ("Trade grew in the Rajin-Sonbong Free Trade Zone after the talks.",
                 "Leaders of Northeast Asia met after the talks.",
                 "Figures of the Mongolian Statistical Yearbook were read after the talks."):
        assert line("Who met after the talks?", text, ["met", "talks"]) == text


def test_he_of_the_answering_sentence_is_the_person_named_before_when_an_office_is_asked():
    from index.answering.constraints import Constraints, Name
    ambassador = Constraints(roles=(Name("ambassador", ("ambassador",), office="ambassador"),))
    sent = "After his studies at the Moscow Academy, he was sent to Seoul as Ambassador in 1991."
    text = ("From 1984 to 1989, P. Urjinlkhundev, a capable diplomat, served in Pyongyang. "
            "He took part in every visit. " + sent)
    words = ["Seoul", "Ambassador", "1991"]
    a = direct_answer("Who was the ambassador in Seoul in 1991?",
                      [passage(text, words, sent)], cons=ambassador)
    assert a.kind == "span" and a.text == "P. Urjinlkhundev" and a.sentence == sent
    # no office asked: a pronoun's person is not read (often the question's own subject)
    a = direct_answer("Who was sent to Seoul in 1991?", [passage(text, words, sent)],
                      cons=Constraints(names=(Name("Seoul", ("seoul",)),)))
    assert a.kind == "sentence"
    # 'his' is no subject: the sentence is about something else
    sent = "The high point of his term as Ambassador was the festival in 1991."
    text = "From 1984 to 1989, P. Urjinlkhundev, a capable diplomat, served in Pyongyang. " + sent
    a = direct_answer("Who was the ambassador at the festival in 1991?",
                      [passage(text, ["Ambassador", "festival", "1991"], sent)], cons=ambassador)
    assert a.kind == "sentence"


def test_who_held_an_office_is_someone_whose_sentence_says_it():
    from index.answering.constraints import Constraints, Name
    ambassador = Constraints(roles=(Name("Soviet ambassador", ("ambassador",),
                                         office="ambassador"),))
    text = ("In 1953, the Secretary of the CC, Ch. Surenjav, and Lieutenant General J. Jamyanjav "
            "brought aid shipments to Korea.")
    q = "Who was the Soviet ambassador in Pyongyang in 1953?"
    a = direct_answer(q, [passage(text, ["1953"])], cons=ambassador)
    assert a.kind == "sentence"  # a general bringing aid is nobody's ambassador
    # the office said in the name's sentence, whatever stands between them
    text = ("In 1953 Lieutenant General J. Jamyanjav, a veteran of the war, was sent as "
            "ambassador to Pyongyang.")
    a = direct_answer(q, [passage(text, ["1953", "ambassador", "Pyongyang"])], cons=ambassador)
    assert (a.kind, a.text) == ("span", "J. Jamyanjav")
    # an office a verb may say instead ('who headed') is not required
    head = Constraints(roles=(Name("headed", ("head",), unsaid_ok=True, office="head"),))
    text = "In 1975 L. Rinchen led the delegation to Pyongyang."
    a = direct_answer("Who headed the delegation to Pyongyang in 1975?",
                      [passage(text, ["delegation", "Pyongyang", "1975"])], cons=head)
    assert (a.kind, a.text) == ("span", "L. Rinchen")


def test_an_office_the_passage_says_served_elsewhere_does_not_answer_where_it_is_asked():
    from index.answering.constraints import Constraints, Name
    states = {"mongolia": frozenset({"mongolia"}), "ulaanbaatar": frozenset({"mongolia"}),
              "pyongyang": frozenset({"north korea"}), "korea": frozenset({"north korea",
                                                                           "south korea"})}

    def to(place: str) -> Constraints:
        return Constraints(roles=(Name("ambassador", ("ambassador",), office="ambassador",
                                       dest=states[place]),),
                           state_of=lambda w: frozenset().union(
                               *(states.get(t.casefold(), ()) for t in w.split())))
    sent = "Ambassador Dorj’s efforts were flanked by a state visit in May 1961."
    text = "It sent General B. Dorj as ambassador to Pyongyang. " + sent
    words = ["Ambassador"]
    q = "Who was the ambassador to Mongolia in 1961?"
    a = direct_answer(q, [passage(text, words, sent)], cons=to("mongolia"))
    assert a.kind == "sentence"  # the passage sent Dorj to Pyongyang
    a = direct_answer("Who was the ambassador to Pyongyang in 1961?",
                      [passage(text, words, sent)], cons=to("pyongyang"))
    assert (a.kind, a.text) == ("span", "Dorj")
    # where the office served, said nowhere: it may be anywhere
    a = direct_answer(q, [passage(sent, words)], cons=to("mongolia"))
    assert (a.kind, a.text) == ("span", "Dorj")


def test_whom_a_state_sent_as_its_office_holder_is_no_other_state_s():
    from index.answering.constraints import Constraints, Name
    states = {"mongolian": frozenset({"mongolia"}), "china": frozenset({"china"}),
              "chinese": frozenset({"china"}), "pyongyang": frozenset({"north korea"})}

    def of(owner: str) -> Constraints:
        return Constraints(roles=(Name("ambassador", ("ambassador",), office="ambassador",
                                       owner=states[owner]),),
                           state_of=lambda w: frozenset().union(
                               *(states.get(t.casefold(), ()) for t in w.split())))
    before = ("The Mongolian government, wavering between Moscow and Beijing, tried to "
              "stabilise relations. It sent General B. Dorj as ambassador to Pyongyang.")
    sent = "Ambassador Dorj’s efforts were flanked by a state visit in 1961."
    q = "Who was China's ambassador in Pyongyang in 1961?"
    p = [passage(sent, ["Ambassador", "1961"])]
    # the part before says who sent him: the government the 'It' stands for
    assert direct_answer(q, p, cons=of("china"), around=before + " " + sent).kind == "sentence"
    assert direct_answer(q, p, cons=of("mongolian"), around=before + " " + sent).text == "Dorj"
    # unsaid, he may be anyone's
    assert direct_answer(q, p, cons=of("china"), around=sent).text == "Dorj"


def test_a_place_that_ends_a_title_is_not_part_of_the_name_after_it():
    from index.answering.constraints import Constraints
    cons = Constraints(places=frozenset({"moscow"}))
    text = ("DPRK Ambassador to Moscow Park Y Chung voiced the first official reaction to the "
            "appointment of Vladimir Putin as acting President.")
    a = direct_answer("Who was the North Korean ambassador to Moscow?",
                      [passage(text, ["Ambassador", "Moscow"])], cons=cons)
    assert (a.kind, a.text) == ("span", "Park Y Chung")


def test_a_date_in_brackets_after_the_question_s_words_is_theirs():
    text = ("When in 1995 Mongolia terminated the treaty concluded in 1986 because of the "
            "new Mongolian Basic Law (1992) and the new security concept (1994), nothing happened.")
    words = ["Mongolia", "Mongolian", "Basic", "Law"]
    assert line("What year was Mongolia's new Basic Law adopted?", text, words) == "1992"
    # brackets after other words date those
    assert line("What year was Mongolia's security concept adopted?", text,
                ["Mongolia", "security", "concept"]) == "1994"


def test_how_many_counts_its_noun_not_the_people_s_word_before_it():
    text = ("Mongolia also accepted 197 orphans (115 boys and 82 girls) and 8 Korean teachers "
            "for eight years.")
    words = ["Korean", "orphans", "Mongolia"]
    assert line("How many Korean orphans did Mongolia take in?", text, words) == "197"
    assert line("How many Korean teachers came with them?", text, ["Korean", "teachers"]) == "8"
    # a text may count the people's word alone
    text = "The town had 8,525 Native American residents and 912 Pacific Islanders."
    assert line("How many Native American people lived in the town?", text,
                ["Native", "American", "people"]) == "8,525"


def test_a_table_s_note_gives_no_one_for_a_who_question():
    from index.answering.constraints import Constraints
    from index.answering.direct import gives
    ask = Asked("Who signed the treaty?", "name")
    note = ("North Korea’s share of foreign trade (in USD million)\n\nSource: Statistical "
            "Yearbook 1999, Ulaanbaatar 2000, p. 211.")
    assert not gives("Who signed the treaty?", ask, note,
                     Constraints(places=frozenset({"ulaanbaatar", "north korea"})))
    # a word that opens a sentence may say who did it
    assert gives("Who guided ships?", Asked("Who guided ships?", "name"),
                 "Pilots guided ships through the skerries.")
    assert not gives("Who signed the treaty?", ask, "In 1999 trade grew in the Rajin-Sonbong Free Trade Zone.")
    # a body may be who did it
    assert gives("Who signed the treaty?", ask, "The treaty was signed by the Denver Broncos.")
    assert gives("Who signed the treaty?", ask, "Source: the treaty was signed by NASA.")


def test_a_year_paired_with_the_one_the_question_names_is_not_its_answer():
    # '(1985/1986)' is the time of the question's own 1986, not when the pact ended
    text = ("With the end of the Brezhnev Doctrine (1985/1986) new conditions arose. In 1995 "
            "Mongolia terminated the friendship pact of 1986.")
    first = "With the end of the Brezhnev Doctrine (1985/1986) new conditions arose."
    a = direct_answer("When did Mongolia end the 1986 friendship pact?",
                      [passage(first, ["Mongolia", "1986", "friendship", "pact"])])
    assert a.kind == "sentence"
    # the sentence after it says more of the question, with a date: it answers
    a = direct_answer("When did Mongolia end the 1986 friendship pact?",
                      [passage(text, ["Mongolia", "1986", "friendship", "pact"], first)])
    assert (a.kind, a.text) == ("span", "1995")
    a = direct_answer("When did Mongolia end the 1986 friendship pact?",
                      [passage(text, ["Mongolia", "1986", "friendship", "pact"],
                               "In 1995 Mongolia terminated the friendship pact of 1986.")])
    assert (a.kind, a.text) == ("span", "1995")
    for pair in ("1985-86", "1985–1986", "1986/1987"):
        a = direct_answer("When did the talks of 1986 stall?",
                          [passage(f"In {pair} the talks stalled.", ["1986", "talks"])])
        assert a.kind == "sentence", (pair, a.text)


def test_the_decade_of_the_year_the_question_names_is_not_its_answer():
    text = "Kim Il Sung paid several visits to Moscow in the 1960s."
    a = direct_answer("When did Kim Il Sung visit Moscow in 1966?",
                      [passage(text, ["Kim", "Il", "Sung", "visits", "Moscow"])])
    assert a.kind == "sentence"
    a = direct_answer("When did Kim Il Sung visit Moscow?",
                      [passage(text, ["Kim", "Il", "Sung", "visits", "Moscow"])])
    assert (a.kind, a.text) == ("span", "the 1960s")


def test_the_other_end_of_a_longer_range_may_answer():
    text = "The friendship treaty (1986–1996) lapsed without a successor."
    a = direct_answer("When did the 1986 friendship treaty end?",
                      [passage(text, ["1986", "friendship", "treaty"])])
    assert a.kind == "span" and "1996" in a.text


def test_a_name_opening_with_a_point_of_the_compass_is_a_place_not_a_person():
    text = "The first broadcast was carried by North Carolina and presented by Mick Mixon."
    a = direct_answer("Who presented the first broadcast?",
                      [passage(text, ["first", "broadcast"])])
    assert (a.kind, a.text) == ("span", "Mick Mixon")


def test_a_name_ending_in_a_body_s_or_a_prize_s_word_is_no_one():
    text = "The motion was tabled by the Scottish Parliament after a speech by Tricia Marwick."
    a = direct_answer("Who tabled the motion?", [passage(text, ["motion", "tabled"])])
    assert (a.kind, a.text) == ("span", "Tricia Marwick")


def test_what_month_or_what_decade_is_answered_by_one_not_by_a_year():
    text = "Since 1999 the elections have been held every four years, the last in May 2003."
    a = direct_answer("What month are the elections held in?",
                      [passage(text, ["elections", "held"])])
    assert (a.kind, a.text) == ("span", "May 2003")
    text = "The elections were first held in 1999 and again in 2003."
    a = direct_answer("In what decade were the elections first held?",
                      [passage(text, ["elections", "first", "held"])])
    assert a.kind == "sentence"


def test_a_fort_or_a_lake_is_no_one():
    text = "The attack on Fort Caroline in 1565 was led by Pedro Menendez."
    a = direct_answer("Who led the attack in 1565?", [passage(text, ["attack", "1565"])])
    assert (a.kind, a.text) == ("span", "Pedro Menendez")


def test_the_sentence_after_the_best_one_answers_when_it_says_more_of_the_question():
    # the first sentence names liblzma; the next names BCJ2 and says why, read after it
    text = ("The BCJ filter is called x86 in liblzma. BCJ2 is not included, because it "
            "requires more than one encoded output stream.")
    first = "The BCJ filter is called x86 in liblzma."
    a = direct_answer("Why is BCJ2 missing from liblzma?",
                      [passage(text, ["BCJ2", "liblzma"], first)])
    assert (a.kind, a.text) == ("sentence", text[len(first) + 1:])
    # a next sentence that holds no word of the question the best one lacks is no answer
    b = direct_answer("Why is the BCJ filter called x86 in liblzma?",
                      [passage(text, ["BCJ", "filter", "called", "x86", "liblzma"], first)])
    assert b.text == first
    # nor one without the value asked for
    text = "The treaty was signed in Moscow in 1961. Its ratification followed slowly."
    c = direct_answer("When was the treaty signed before its ratification?",
                      [passage(text, ["treaty", "signed", "ratification"],
                               "The treaty was signed in Moscow in 1961.")])
    assert c.text == "1961"


def test_who_gets_the_name_after_the_office_the_question_names():
    # the office asked about in lower case titles the name after it, in a run of capitals
    # or not: not the body before it
    assert line("Who is the commissioner of the NFL?",
                "In 2012, NFL Commissioner Roger Goodell stated that the league planned a show.",
                ["commissioner", "NFL"]) == "Roger Goodell"
    assert line("Who is the field director of the NFL?",
                "NFL and Atlanta Braves field director Ed Mangan stated that the field was ready.",
                ["NFL", "field", "director"]) == "Ed Mangan"


def test_a_figure_or_date_that_ends_a_range_is_given_with_its_first_end():
    assert line("How many Africans were brought to America?",
                "The trade brought its 12 to 15 million Africans to America.",
                ["Africans", "brought", "America"]) == "12 to 15 million"
    assert line("How much of the population did the plague kill?",
                "The plague is estimated to have killed 30–60% of the population.",
                ["population", "plague", "kill"]) == "30–60%"
    assert line("When was the Dalekmania period?",
                "The first of these was the Dalekmania period (circa 1964–1965), when ratings rose.",
                ["Dalekmania", "period"]) == "1964–1965"
    # a score is no range: the figure after the dash is the one cut
    assert line("How many points did Denver score in the final?",
                "Denver won the final 34–19 after scoring 24 points in the second half.",
                ["Denver", "points", "final"]) != "34–19"


def test_when_gets_the_date_near_more_of_the_question_s_words():
    text = ("Luther had published his translation of the New Testament in 1522, and his "
            "collaborators completed the translation of the Old Testament in 1534.")
    assert line("When was the Old Testament translation finished?", text,
                ["Old", "Testament", "translation"]) == "1534"
    assert line("When was the New Testament translation published?", text,
                ["New", "Testament", "translation", "published"]) == "1522"


def test_a_monarch_is_named_with_the_title_a_reader_knows_them_by():
    text = "The new building was opened by Queen Elizabeth II on 9 October 2004."
    assert line("Who opened the new building?", text, ["opened", "new", "building"]) == \
        "Queen Elizabeth II"
    # the title the question already says is not repeated; an office's title is no part
    assert line("Which queen opened the new building?", text,
                ["queen", "opened", "new", "building"]) == "Elizabeth II"
    assert line("Who opened the new building?",
                "The new building was opened by Foreign Minister Igor Ivanov in 2004.",
                ["opened", "new", "building"]) == "Igor Ivanov"


def test_how_much_gets_the_figure_in_the_unit_the_question_asks_in():
    text = "The program returned 842 pounds (382 kg) of lunar rocks and soil to Earth."
    assert line("How many kgs of rocks did the program return?", text,
                ["rocks", "program", "return"]) == "382 kg"
    assert line("How many pounds of rocks did the program return?", text,
                ["pounds", "rocks", "program", "return"]) == "842 pounds"
    assert line("The rate was how many square miles per year?",
                "The mean rate (22,392 km2 or 8,646 sq mi per year) was higher.",
                ["rate", "year"]) == "8,646 sq mi"


def test_who_gets_no_event_nor_text_nor_institution_for_a_person():
    # a battle, a crusade, a game, an edict or a catechism did nothing: the sentence answers
    for question, text, said in (
            ("Who killed Harold II?",
             "In 1066 the Battle of Hastings ended the reign of Harold II.",
             ["killed", "Harold", "II"]),
            ("Who scored the first touchdown?",
             "The offense, which had four Pro Bowl selections, scored the first touchdown.",
             ["scored", "first", "touchdown"]),
            ("To whom was the Large Catechism directed?",
             "He wrote the Large Catechism for pastors and the Small Catechism for the people.",
             ["Large", "Catechism", "directed"]),
            # a centre, an institute, an agency, a company did nothing a person is asked of
            ("Who reported to Mueller?",
             "The directors of the Launch Operations Center effectively reported to Mueller.",
             ["reported", "Mueller"]),
            ("Who funded the survey?",
             "The survey was funded by the Carnegie Institute and run by the Census Bureau.",
             ["survey", "funded"])):
        a = direct_answer(question, [passage(text, said)])
        assert (a.kind, a.text) == ("sentence", text), question


def test_how_many_gets_no_figure_from_a_sentence_that_counts_something_else():
    # the figure of a sentence that does not name what is counted counts something else
    text = "The Broncos beat the Steelers by scoring 11 points in the final three minutes."
    assert line("How many tackles did the Steelers register?", text, ["Steelers"]) == text
    text = "Newton threw for 3,837 yards and rushed for 636 in the season."
    assert line("How many interceptions did Newton throw?", text, ["Newton", "threw"]) == text
    # named, it is cut
    text = "Coleman led the team with seven interceptions and 88 tackles."
    assert line("How many tackles did Coleman make?", text, ["Coleman", "tackles"]) == "88"


def test_a_figure_hyphened_to_the_noun_or_unit_asked_gives_it():
    text = "McManus kicked a 33-yard field goal in the first quarter."
    assert line("How many yards was the field goal?", text, ["field", "goal"]) == "33"
    assert line("How many points did McManus score?", text, ["McManus"]) == text
    text = "The brewer had a 30-second commercial aired free of charge."
    assert line("How long was the brewer's commercial?", text, ["brewer", "commercial"]) == "30-second"


def test_how_long_gets_a_period_by_its_ends_when_no_duration_is_said():
    assert line("How long did Project Apollo run?",
                "Project Apollo ran from 1961 to 1972 and landed twelve men on the Moon.",
                ["Project", "Apollo", "ran"]) == "from 1961 to 1972"
    assert line("How long has the magazine been in circulation?",
                "The magazine has been published since 1979, first weekly and then monthly.",
                ["magazine"]) == "since 1979"
    # a duration or a length said beats the period
    assert line("How long did the siege last?", "The siege lasted three years, from 1640 to 1643.",
                ["siege", "lasted"]) == "three years"
    assert line("How long is the river?", "The river, mapped from 1961 to 1972, is 300 km long.",
                ["river"]) == "300 km"


def test_when_gets_no_date_from_a_sentence_that_says_nothing_of_what_happened():
    # the date of the vote, not of the opening: the sentence is the line
    text = "On May 21, 2013, the owners voted to award the game to Levi's Stadium."
    assert line("When did Levi's Stadium open?", text, ["Levi's", "Stadium"]) == text
    assert line("When did the owners vote to award the game?", text,
                ["owners", "vote", "award", "game"]) == "May 21, 2013"
    # 'held', 'took place' say no more than that it happened
    text = "During the 18th Party Congress in 1981, both sides restated their positions."
    assert line("In what year was the 18th Party Congress held?", text,
                ["18th", "Party", "Congress"]) == "1981"

    # what happened, said in another form of its word: the date is the answer
    assert line("When did Levi's Stadium open?", "The $1.2 billion stadium opened in 2014.",
                ["stadium", "opened"]) == "2014"
    assert line("In what year did Harvey Martin die?",
                "No plans were announced for Harvey Martin, who died in 2001.",
                ["Harvey", "Martin", "died"]) == "2001"
    assert line("When did Luther write the Large Catechism?",
                "In 1529, he wrote the Large Catechism, a manual for pastors.",
                ["wrote", "Large", "Catechism"]) == "1529"
    assert line("When was the route stopped?", "The route was stopped in 1999.",
                ["route", "stopped"]) == "1999"


def test_one_word_in_its_forms():
    from index.answering.asked import same_word
    for a, b in [("open", "opened"), ("die", "died"), ("write", "wrote"), ("stop", "stopped"),
                 ("sign", "signing"), ("organise", "organized"),
                 ("government", "governor")]:
        assert same_word(a, b) and same_word(b, a), (a, b)
    for a, b in [("win", "winter"), ("open", "opera"), ("die", "diet"), ("sign", "signal"),
                 ("be", "bed"), ("invade", "invasion")]:
        assert not same_word(a, b), (a, b)

def test_who_is_a_name_asks_who_they_are_not_for_another_name():
    assert asks_for("Who is Paek Nam Sun?") == "other"
    assert asks_for("Who was Philip I?") == "other"
    # an office, a title or a relation asks for the person who holds it
    assert asks_for("Who is the Commissioner of the NFL?") == "name"
    assert asks_for("Who was Ambassador Dorj?") == "name"
    assert asks_for("Who was Robert's son?") == "name"
    text = ("Present on the DPRK side were Paek Nam Sun, Foreign Minister, Ri In Gyu, "
            "vice-Foreign Minister, and other officials.")
    assert line("Who is Paek Nam Sun?", text, ["Paek", "Nam", "Sun"]) == text


def test_who_gets_every_name_of_the_list_the_answer_stands_in():
    text = ("The radio network carried the game, with Kevin Harlan as play-by-play announcer, "
            "Boomer Esiason and Dan Fouts as color analysts.")
    words = ["radio", "color", "analysts"]
    assert line("Who were the radio color analysts?", text, words) == "Boomer Esiason and Dan Fouts"
    listed = "The report was written by Ann Lee, Tom Ward and Sue Park in 1999."
    assert line("Who wrote the report?", listed, ["report", "written"]) == "Ann Lee, Tom Ward and Sue Park"
    # a name set off by commas is an apposition, and ', and' alone joins two clauses
    apposed = "The letter was signed by Joe Barton, Chairman Ed Whitfield sent it."
    assert line("Who signed the letter?", apposed, ["letter", "signed"]) == "Joe Barton"
    clauses = "He was killed with poison by El Temür, and Tugh Temür then took the throne."
    assert line("Who took the throne?", clauses, ["took", "throne"]) == "Tugh Temür"


def test_who_gets_no_place_written_as_its_initials():
    from index.answering.constraints import Constraints, place_names
    cons = Constraints(places=place_names({}))  # the states and capitals alone: no 'U.S.'
    text = "ZTV broadcast the final in the U.S., and charged a fee for each commercial."
    a = direct_answer("Who was the broadcaster of the final in the United States?",
                      [passage(text, ["broadcast", "final"])], cons=cons)
    assert a.kind == "sentence"  # 'U.S' is a country, and 'ZTV' no person's name


def test_who_gets_the_name_said_to_be_what_the_question_asks():
    text = ("The radio network carried the game, with Kevin Harlan as play-by-play announcer, "
            "Boomer Esiason and Dan Fouts as color analysts.")
    assert line("Who is the play-by-play announcer for the game?", text,
                ["play-by-play", "announcer", "game"]) == "Kevin Harlan"
    # what 'as' says ends where the sentence goes on to something else
    sent = ("It sent J. Dorj as counsellor and with the task to brief Premier B. Tsend "
            "in writing on the progress of the talks.")
    assert line("Who was to be briefed in writing on the talks?", sent,
                ["brief", "writing", "talks"]) == "B. Tsend"


def test_an_entry_s_head_and_its_first_sentence_are_one_answer():
    text = ("-k --keep\n\nKeep (don't delete) input files during compression or decompression."
            "\n\n-s --small\n\nReduce memory usage, for compression and testing.")
    sentence = "Keep (don't delete) input files during compression or decompression."
    a = direct_answer("Which option keeps the input files?",
                      [passage(text, ["keep", "input", "files"], sentence)])
    assert a.text.startswith("-k --keep") and a.text.endswith("decompression.")
    # a head chosen alone comes with what it heads
    a = direct_answer("What does --small do?", [passage(text, ["small"], "-s --small")])
    assert " ".join(a.text.split()) == "-s --small Reduce memory usage, for compression and testing."
    # past its fields, to what it says
    api = "class Handler[source]\n\nBases: object\n\nBase event handler to override.\n\nclass Other"
    a = direct_answer("What does Handler do?", [passage(api, ["Handler"], "class Handler[source]")])
    assert a.text.endswith("Base event handler to override.")
    # too long for one line: the head and what it says, the fields left out
    long_api = ("class watchdog.events.FileSystemEventHandler[source]\n\nBases: object\n\n"
                "Base file system event handler that you can override methods from.")
    a = direct_answer("What does FileSystemEventHandler do?",
                      [passage(long_api, ["FileSystemEventHandler"],
                               "class watchdog.events.FileSystemEventHandler[source]")])
    assert a.line.startswith("class watchdog.events.FileSystemEventHandler[source] … Base file")
    assert "Bases" not in a.line and len(a.line) <= LINE
    # another entry's head is no field of this one, whatever colon its default holds
    opts = "--quiet\n\n--error-limit=<yes|no> [default: yes]\n\nStops reporting errors early."
    a = direct_answer("What does --quiet do?", [passage(opts, ["quiet"], "--quiet")])
    assert a.text == "--quiet"


def test_how_big_asks_for_a_size_not_a_count_of_something_else():
    text = "Among the three threading methods, only this one suits files smaller than the dictionary."
    a = direct_answer("How big is the dictionary?", [passage(text, ["dictionary"])])
    assert a.kind == "sentence"
    a = direct_answer("How big is the dictionary?",
                      [passage("The dictionary is 8 MiB for level 7.", ["dictionary"])])
    assert (a.kind, a.text) == ("span", "8 MiB")
    # of a body of people, a count
    a = direct_answer("How big was the business delegation?",
                      [passage("The delegation of 60 businessmen left on Monday.", ["delegation"])])
    assert (a.kind, a.text) == ("span", "60")
