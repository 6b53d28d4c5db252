"""The answer service on a tiny exact corpus: abstention, highlight, cleaning, paging."""
from __future__ import annotations


import pytest

from index.answering.answer import EMPTY, NO_WORDS, NOTHING_FOUND, Answerer, clean_question

DOC = """---
title: Tiny history
---
Founding

The republic was founded on 9 September 1948. Its neighbours watched closely. On 15 October 1948 the two states agreed to establish diplomatic relations.

Trade

Trade grew slowly. In 1987 the exchange of goods reached 19.5 million. Wool and meat were exported.

Orphans

The country accepted 197 orphans for care and education. The children stayed for eight years.
"""


@pytest.fixture(scope="module")
def answerer(tmp_path_factory) -> Answerer:
    root = tmp_path_factory.mktemp("tiny")
    (root / "docs").mkdir()
    (root / "docs" / "tiny.txt").write_text(DOC, encoding="utf-8")
    return Answerer.open(root, root / "index")


def test_when_question_highlights_the_sentence_with_the_date(answerer):
    a = answerer.ask("When were diplomatic relations established?")
    h = a.passages[0].highlight
    assert h.sentence.startswith("On 15 October 1948")
    assert h.words == ["establish", "diplomatic", "relations"]


def test_how_many_question_highlights_the_number(answerer):
    a = answerer.ask("How many orphans were accepted for care?")
    assert a.passages[0].highlight.sentence.startswith("The country accepted 197 orphans")


def test_section_heading_is_searchable_and_cited(answerer):
    a = answerer.ask("orphans")
    assert a.passages[0].hit.chunk.section == "Orphans"
    assert a.passages[0].hit.chunk.citation == "Tiny history — Orphans, ¶3"


@pytest.mark.parametrize("question,message", [
    ("", EMPTY), ("  \n\t ", EMPTY), ("what is it?", NO_WORDS), ("?!", NO_WORDS),
    ("Who won the football world cup in Brazil?", NOTHING_FOUND),
])
def test_unanswerable_questions_say_so(answerer, question, message):
    a = answerer.ask(question)
    assert (a.answered, a.message, a.passages, a.facts) == (False, message, (), ())


def test_paging_continues_the_ranking(answerer):
    first = answerer.ask("trade wool orphans founded", k=1)
    second = answerer.ask("trade wool orphans founded", k=1, offset=1)
    assert first.more and [p.rank for p in second.passages] == [2]
    assert first.passages[0].hit.chunk.id != second.passages[0].hit.chunk.id


def test_clean_question_strips_controls_and_cuts_long_input():
    assert clean_question("a\x00b\u202ec\x1b[31md\te") == ("abcd e", None)
    q, notice = clean_question("word " * 1000)
    assert len(q) <= 2000 and notice == f"Only the first {len(q):,} characters of the question were used."


def test_a_question_naming_what_the_documents_never_mention_is_not_answered(answerer):
    # the same common words; only the name differs
    assert answerer.ask("How many orphans did the country accept for care?").answered
    a = answerer.ask("How many orphans did Switzerland accept for care?")
    assert (a.answered, a.facts, a.direct) == (False, (), None)
    if answerer.meaning is None:  # without the embedder nothing shows it on the subject
        assert (a.status, a.passages) == ("none", ())
    else:  # close in meaning: the closest passages, with what the documents never mention
        assert a.status == "closest" and "“Switzerland”" in a.message
        assert "197 orphans" in a.passages[0].hit.chunk.text


def test_a_name_known_to_the_collection_keeps_the_question_answerable(answerer):
    assert answerer.ask("How many orphans did the Republic accept for care?").answered


def test_a_split_paragraph_takes_one_place_among_the_passages(tmp_path):
    # one long paragraph about wings, cut in parts by the chunker, and two short ones
    sentence = "The wing in the propeller slipstream showed a higher lift at low speed. "
    filler = "Pressure was measured along the span at several stations of the model. "
    long = (filler * 4 + sentence + filler * 4) * 2
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "wings.txt").write_text(
        "---\ntitle: Wings\n---\n" + long + "\n\nA second wing lost lift at high"
        " speed. " + filler * 4 + "\n\nA third wing kept its lift. " + filler * 4
        + "\n", encoding="utf-8")
    a = Answerer.open(tmp_path, tmp_path / "index")
    parts = [c for c in a.index.chunks if c.part]
    assert len(parts) >= 2  # the long paragraph was split
    reply = a.ask("wing slipstream lift", k=3)
    shown = [p.hit.chunk for p in reply.passages]
    assert len(shown) == 3
    assert len({(c.doc, c.paragraph) for c in shown}) == 3


CHOIR = """---
title: Town records
---
The plan

The plan was approved by the Linden Choir in 1990. The budget was approved by Anna Berg in 1991.

Music

The choir sang twice a year. A choir of forty voices joined the choir of the next town.
"""


def _who_answers(a: Answerer) -> tuple[str, str]:
    plan, budget = a.ask("Who approved the plan?"), a.ask("Who approved the budget?")
    return plan.direct, budget.direct


def test_who_is_never_a_capitalised_common_noun(tmp_path):
    # 'Linden Choir' reads as two capitalised words, but the documents write 'choir' in
    # lower case: a body, no one's name; 'Anna Berg' is a person
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "town.txt").write_text(CHOIR, encoding="utf-8")
    plan, budget = _who_answers(Answerer.open(tmp_path, tmp_path / "index"))
    assert plan.kind == "sentence" and "Linden Choir" in plan.text
    assert (budget.kind, budget.text) == ("span", "Anna Berg")


def test_the_case_of_a_word_is_read_across_segments(tmp_path):
    # the lower-case 'choir' comes in a document added after the first build (a new
    # segment); before it, the documents write 'Choir' only capitalised
    (tmp_path / "docs").mkdir()
    first, music = CHOIR.split("Music\n")
    (tmp_path / "docs" / "town.txt").write_text(first, encoding="utf-8")
    for i in range(6):  # an addition small beside the collection updates it in place
        (tmp_path / "docs" / f"harbour-{i}.txt").write_text(
            f"---\ntitle: Harbour {i}\n---\nShips of kind {i} came to the harbour in spring."
            f"\n\nThe harbour master counted {i + 3} ships.\n", encoding="utf-8")
    plan, _ = _who_answers(Answerer.open(tmp_path, tmp_path / "index"))
    assert (plan.kind, plan.text) == ("span", "Linden Choir")
    (tmp_path / "docs" / "music.txt").write_text("---\ntitle: Music\n---\n" + music,
                                                  encoding="utf-8")
    a = Answerer.open(tmp_path, tmp_path / "index")
    assert len(getattr(a.index, "segments", ())) >= 2  # read from the segments, not a rebuild
    plan, budget = _who_answers(a)
    assert plan.kind == "sentence"
    assert (budget.kind, budget.text) == ("span", "Anna Berg")


NEIGHBOURS = """---
title: Neighbours
---
Founding

When Mongolia and Korea agreed to establish diplomatic relations on 15 October 1948, both were young states. Trade followed in 1950.

Wool

Mongolia exported wool and meat to Korea every year. The trains ran through Manchuria.

Weather

The winters in the steppe were long and cold. Herders moved their animals twice a year.
"""


def test_a_question_naming_what_a_passage_names_gets_the_closest_passages(tmp_path):
    # in other words than the documents', too weak to answer: still on their subject when
    # the best passage holds two of its names, so the closest passages, never "nothing found"
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "neighbours.txt").write_text(NEIGHBOURS, encoding="utf-8")
    a = Answerer.open(tmp_path, tmp_path / "index")
    named = a.ask("On what date did Mongolia and Korea decide to open formal ties?")
    assert named.status == "closest" and not named.answered and named.direct is None
    assert "15 October 1948" in named.passages[0].hit.chunk.text
    unnamed = a.ask("On what date did the newly created states decide to open formal ties?")
    assert (unnamed.status, unnamed.passages) == ("none", ())


SHELLS = """---
title: Stresses in shells
---
General solutions are given for the stresses in pressurized shells of revolution of arbitrary
meridian. The membrane solution is corrected near the edges by the bending solution.
"""

LAYERS = """---
title: Inner and outer solutions
---
The method of matching inner and outer solutions is applied to a viscous flow whose main stream
is a shear flow. The matching holds to second order in the Reynolds number.
"""

PANELS = """---
title: Panel flutter
---
Flutter of flat panels in supersonic flow is studied with a piston theory. The critical dynamic
pressure rises with the panel's tension.
"""


@pytest.mark.parametrize("question, doc", [
    # "general" qualifies the solutions here: no general is asked for
    ("What general solutions for the stresses in pressurized shells of revolution are"
     " available?", "shells"),
    # a yes-or-no question's "when" opens a clause: no date is asked for
    ("Can the procedure of matching inner and outer solutions for a viscous flow problem be"
     " applied when the main stream is a shear flow?", "layers"),
])
def test_a_question_asking_for_no_person_or_date_is_answered_from_its_passage(tmp_path, question,
                                                                               doc):
    (tmp_path / "docs").mkdir()
    for name, text in (("shells.txt", SHELLS), ("layers.txt", LAYERS), ("panels.txt", PANELS)):
        (tmp_path / "docs" / name).write_text(text, encoding="utf-8")
    a = Answerer.open(tmp_path, tmp_path / "index")
    reply = a.ask(question)
    assert reply.status == "answer" and reply.answered
    assert reply.passages[0].hit.chunk.doc == doc


BEAMS = """---
title: Vibration of continuous beams
---
The natural frequencies of beams continuous over several supports are found by a transfer
matrix method. The lowest frequency falls as the number of supports grows.
"""

BRIDGES = """---
title: Long bridges
---
The spans of long bridges were surveyed in 1950. Such structures show many basic
characteristics of the steel of their time.
"""


def test_a_question_naming_nothing_in_the_documents_words_gets_the_closest_passages(tmp_path):
    # too weak to answer, but every word of it is the documents' and the best passage holds
    # two of them: on their subject, so the closest passages, never "nothing found"
    (tmp_path / "docs").mkdir()
    for name, text in (("shells.txt", SHELLS), ("layers.txt", LAYERS), ("panels.txt", PANELS),
                       ("beams.txt", BEAMS), ("bridges.txt", BRIDGES)):
        (tmp_path / "docs" / name).write_text(text, encoding="utf-8")
    a = Answerer.open(tmp_path, tmp_path / "index")
    reply = a.ask("dynamic characteristics of continuous beams over many spans in supersonic flow")
    assert reply.status == "closest" and not reply.answered
    assert "beams" in [p.hit.chunk.doc for p in reply.passages]
    # a word the documents never use keeps it off their subject
    off = a.ask("dynamic characteristics of continuous bicycles over many spans in supersonic flow")
    assert (off.status, off.passages) == ("none", ())


MEMCHECK = """---
title: Memcheck manual
---
# Leak detection

Because there are different kinds of leaks, a leak is only counted as a true error if
--leak-check=full is specified. The default value is --errors-for-leak-kinds=definite,possible
and it decides which leak kinds count as errors when the leak check runs.

# Command-line options

--track-origins=<yes|no> [default: no]

Controls whether Memcheck tracks the origin of uninitialised values. Tracking them makes the
program run slower and use more memory, and it is off by default for that reason.

--leak-check=<no|summary|yes|full> [default: summary]

When enabled, search for memory leaks when the client program finishes. If set to summary, it
says how many leaks occurred. If set to full or yes, each individual leak will be shown.

# Cache options

--LL=<size>,<associativity>,<line size>

Specify the size, associativity and line size of the last-level cache.

--cache-sim=no|yes [yes]

Enables or disables collection of cache access and miss counts.
"""


def test_the_entry_that_defines_an_option_answers_what_it_is(tmp_path, write_data):
    data = write_data({"memcheck.md": MEMCHECK})
    a = Answerer.open(data, tmp_path / "index")
    ans = a.ask("What is the default value of --leak-check?")
    assert ans.status == "answer"
    assert ans.passages[0].hit.chunk.text.startswith("--leak-check=<no|summary|yes|full>")
    assert "[default: summary]" in ans.direct.text  # not the other option's default
    # the entry asked about, where a passage holds two: its line, not the first entry's
    ans = a.ask("What is the default value of --cache-sim?")
    assert "--cache-sim=no|yes [yes]" in ans.direct.line
    # a program's name is what the whole manual is about: no entry is put first for it
    from index.answering.answer import _ENTRY_NAME_RE
    assert _ENTRY_NAME_RE.search("--leak-check") and not _ENTRY_NAME_RE.search("bzip2")
    assert not _ENTRY_NAME_RE.search("idn2.h") and _ENTRY_NAME_RE.search("watchdog.Observer")


def test_a_citation_names_its_document_as_no_other_document_is_named(tmp_path, write_data):
    from bot.render import passage_text
    from index.reading.corpus import cited_titles
    body = "To install {0}, run the installer of {0} and check the version it prints afterwards."
    data = write_data({
        "alpha/install.md": "---\ntitle: Installation — alpha documentation\n---\n" + body.format("alpha"),
        "beta/install.md": "---\ntitle: Installation — beta documentation\n---\n" + body.format("beta"),
        "alpha/usage.md": "---\ntitle: Usage — alpha documentation\n---\nRun alpha to install nothing; it only checks.",
    })
    a = Answerer.open(data, tmp_path / "index")
    ans = a.ask("How do I install and check the version?")
    cited = {p.hit.chunk.doc: p.cited_as for p in ans.passages}
    # two projects' 'Installation' pages keep what tells them apart; a page alone keeps it short
    assert set(cited.values()) >= {"Installation — alpha documentation",
                                   "Installation — beta documentation"}
    assert all(passage_text(p).startswith(f"[{p.rank}] {p.cited_as}") for p in ans.passages)
    # the same whole title twice: the file tells them apart
    assert cited_titles([{"id": "a/x", "title": "Notes"}, {"id": "b/x", "title": "Notes"},
                         {"id": "c", "title": "Usage: the guide"}]) == {
        "a/x": "Notes (a/x)", "b/x": "Notes (b/x)", "c": "Usage"}


def test_a_passage_made_at_once_is_the_one_its_init_makes(answerer):
    # answer._passage sets a Passage's fields in one step: the same passage, field by field
    from index.answering.answer import Passage, _passage

    p = answerer.ask("How many orphans did the country accept?", k=1).passages[0]
    made = Passage(p.rank, p.score, p.hit, p.highlight, p.facts, p.cited_as)
    fast = _passage(p.rank, p.score, p.hit, p.highlight, p.facts, p.cited_as)
    assert fast == made and vars(fast) == vars(made) and fast.to_dict() == made.to_dict()
