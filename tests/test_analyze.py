"""Analyzer: the same terms for the same words however they are written."""
from __future__ import annotations

import unicodedata

import pytest

from bot.session import split_entities
from index.search.analyze import Analyzer, canonical_term, load_aliases
from index.errors import DataError

ALIASES = {"North Korea": ["DPRK", "Democratic People's Republic of Korea"]}


@pytest.fixture(scope="module")
def plain():
    return Analyzer()


@pytest.fixture(scope="module")
def aliased():
    return Analyzer(aliases=ALIASES)


def spans(analyzer, text):
    return [(t.term, text[t.start : t.end]) for t in analyzer.tokens(text)]


# -- folding -----------------------------------------------------------------------------------


def test_accents_are_folded(plain):
    assert plain.terms("Čen") == plain.terms("Cen") == ["cen"]
    assert plain.terms("Ölziit Ulaanbaatar") == plain.terms("Olziit ulaanbaatar")


def test_case_is_folded_with_casefold_not_lower(plain):
    assert plain.terms("KOREA") == plain.terms("korea") == ["korea"]
    # casefold turns ß into ss; lower() would not.
    assert plain.terms("Straße") == plain.terms("STRASSE")


def test_hyphenated_name_equals_spaced_name(plain):
    assert plain.terms("Kim Il-Sung") == plain.terms("Kim Il Sung") == ["kim", "il", "sung"]


@pytest.mark.parametrize("written", ["Korea's", "Korea’s", "KOREA'S"])
def test_possessive_s_is_dropped(plain, written):
    assert plain.terms(written) == plain.terms("Korea") == ["korea"]


# -- numbers, stopwords, stemming --------------------------------------------------------------


def test_year_is_kept(plain):
    assert plain.terms("in 1948.") == ["1948"]


def test_thousands_separator_is_dropped(plain):
    assert plain.terms("226,236") == plain.terms("226236") == ["226236"]
    assert plain.terms("1,000,000 tugriks")[0] == "1000000"


def test_decimal_comma_equals_decimal_point(plain):
    assert plain.terms("10,7") == plain.terms("10.7") == ["10.7"]


def test_stopwords_are_dropped(plain):
    assert plain.terms("What was the treaty of the two of them about?") == ["treati", "two"]
    assert plain.terms("the of and to in") == []


def test_stopwords_whose_stem_differs_are_dropped(plain):
    # Judged before stemming: because->becaus, only->onli, why->whi would otherwise leak.
    assert plain.terms("why only once very because during any above before please does") == []


def test_plural_and_singular_stem_alike(plain):
    assert plain.terms("relations") == plain.terms("relation") == ["relat"]
    assert plain.terms("treaties") == plain.terms("treaty")


# -- aliases -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    ["DPRK", "North Korea", "north-korea", "Democratic People’s Republic of Korea",
     "Democratic People's Republic of Korea", "the DPRK's"],
)
def test_every_alias_gives_the_single_canonical_term(aliased, name):
    assert aliased.terms(name) == ["north_korea"]


def test_longest_alias_wins():
    a = Analyzer(aliases={
        "North Korea": ["Democratic People's Republic of Korea"],
        "South Korea": ["Republic of Korea", "ROK"],
    })
    assert a.terms("Democratic People's Republic of Korea") == ["north_korea"]
    assert a.terms("Republic of Korea") == ["south_korea"]
    assert a.terms("the Democratic People's Republic of Korea and the Republic of Korea") == [
        "north_korea", "south_korea",
    ]


def test_alias_token_spans_the_whole_phrase(aliased):
    text = "In 1948 the Democratic People’s Republic of Korea was founded"
    assert spans(aliased, text) == [
        ("1948", "1948"),
        ("north_korea", "Democratic People’s Republic of Korea"),
        ("found", "founded"),
    ]


def test_entities_are_listed_by_canonical_name_once_in_order(aliased):
    assert split_entities(aliased, "The DPRK, then North Korea again")[0] == ["North Korea"]
    assert canonical_term("North Korea") == "north_korea"


# -- offsets -----------------------------------------------------------------------------------


def test_token_offsets_point_at_the_original_ascii_text(plain):
    text = "Kim Il-Sung visited Ulaanbaatar in 1956."
    assert spans(plain, text) == [
        ("kim", "Kim"), ("il", "Il"), ("sung", "Sung"), ("visit", "visited"),
        ("ulaanbaatar", "Ulaanbaatar"), ("1956", "1956"),
    ]


def test_token_offsets_point_at_the_original_accented_text(plain):
    # ß folds to two characters and ﬁ (a ligature) to two: offsets must still match the original.
    text = "Čen Straße: ﬁnance of Ölziit, Санжмятав 226,236"
    assert [w for _, w in spans(plain, text)] == [
        "Čen", "Straße", "ﬁnance", "Ölziit", "Санжмятав", "226,236",
    ]


def test_token_offsets_cover_decomposed_accents(plain):
    text = unicodedata.normalize("NFD", "Café Tsedenbal")
    assert [w for _, w in spans(plain, text)] == [text[:5], "Tsedenbal"]


# -- aliases file ------------------------------------------------------------------------------


def test_load_aliases_reads_a_mapping(tmp_path):
    p = tmp_path / "aliases.yaml"
    p.write_text("North Korea:\n  - DPRK\nMongolia:\n", encoding="utf-8")
    assert load_aliases(p) == {"North Korea": ["DPRK"], "Mongolia": []}


def test_load_aliases_bad_yaml_names_file_and_line(tmp_path):
    p = tmp_path / "aliases.yaml"
    p.write_text("North Korea:\n  - DPRK\nSouth Korea: - ROK\n", encoding="utf-8")
    with pytest.raises(DataError, match=rf"^{p}:3: not valid YAML"):
        load_aliases(p)


def test_load_aliases_rejects_a_name_mapped_to_a_string(tmp_path):
    p = tmp_path / "aliases.yaml"
    p.write_text("North Korea: DPRK\n", encoding="utf-8")
    with pytest.raises(DataError, match="'North Korea' must map a name to a list"):
        load_aliases(p)


def test_load_aliases_rejects_a_stopword_alias(tmp_path):
    p = tmp_path / "aliases.yaml"
    p.write_text("World Health Organization:\n  - WHO\n", encoding="utf-8")
    with pytest.raises(DataError, match="alias 'WHO' .* stopword"):
        load_aliases(p)


def test_load_aliases_rejects_us_as_an_alias(tmp_path):
    p = tmp_path / "aliases.yaml"
    p.write_text("United States:\n  - US\n", encoding="utf-8")
    with pytest.raises(DataError, match="alias 'US'"):
        load_aliases(p)


def test_fingerprint_changes_when_aliases_change():
    base = Analyzer(aliases=ALIASES).fingerprint()
    assert Analyzer(aliases=dict(ALIASES)).fingerprint() == base
    assert Analyzer(aliases={"North Korea": ["DPRK"]}).fingerprint() != base
    assert Analyzer().fingerprint() != base


def test_distinct_key_pairs_are_np_uniques():
    """The new tokens of a block, deduplicated as np.unique(axis=0) orders them."""
    import numpy as np

    from index.search.analyze import _distinct_pairs

    rng = np.random.default_rng(0)
    k1 = rng.integers(0, 40, size=5000).astype(np.uint64) << np.uint64(56)
    k2 = rng.integers(0, 3, size=5000).astype(np.uint64)
    want = np.unique(np.stack([k1, k2], axis=1), axis=0)
    a, b = _distinct_pairs(k1, k2)
    assert np.array_equal(a, want[:, 0]) and np.array_equal(b, want[:, 1])


def test_british_and_american_spellings_are_one_term():
    a = Analyzer()
    assert a.terms("defence organisation travelled Labour") == a.terms(
        "defense organization traveled labor")
    assert a.terms("practise") == a.terms("practice") and a.terms("tyres") == a.terms("tires")
    assert a.terms("rise wise promise") != a.terms("rize wize promize")  # not every -ise


def test_irregular_past_forms_are_their_verb_and_names_stay_names():
    a = Analyzer()
    assert a.terms("wrote") == a.terms("written") == a.terms("writes") == a.terms("writing")
    assert a.terms("began begun took taken held") == a.terms("begin begin take take hold")
    # forms as often another word or a name keep their own term
    assert a.terms("Kim Il Sung") == ["kim", "il", "sung"] and a.terms("sing") != ["sung"]
    assert a.terms("found") != a.terms("find") and a.terms("won") != a.terms("win")
    assert a.terms("Drew Brees") != a.terms("draw Brees")
    # irregular plurals as their singular; 'lives' stays the verb's
    assert a.terms("children crises criteria") == a.terms("child crisis criterion")
    assert a.terms("lives") == a.terms("live")


def test_a_question_in_another_tense_finds_the_passage(tmp_path):
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "manual.txt").write_text(
        "Authors\n\nThe compressor was written by Julian Seward in 1996.\n\n"
        "Errors\n\nAn assertion failure yields an internal error message.\n", encoding="utf-8")
    from index.answering.answer import Answerer

    a = Answerer.open(tmp_path, tmp_path / "index")
    got = a.ask("Who wrote the compressor?")
    assert got.status == "answer" and got.direct is not None and got.direct.text == "Julian Seward"


def test_a_question_spelled_the_other_way_finds_the_passage(tmp_path):
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "notes.txt").write_text(
        "Trade\n\nThe ministry of trade announced a new export scheme in 1999.\n\n"
        "Notes\n\nThe ministry of defence announced a new theatre scheme in 1999.\n",
        encoding="utf-8")
    from index.answering.answer import Answerer

    got = Answerer.open(tmp_path, tmp_path / "index").ask(
        "What did the defense ministry announce?")
    assert got.passages and "ministry of defence" in got.passages[0].hit.chunk.text


def test_a_one_letter_option_is_a_term_with_its_dash(plain):
    # a letter alone says nothing; '-k' names an option, and the paths that analyze a build's
    # text agree on it (tests/test_scale_contract.py)
    assert plain.terms("bzip2 -k file.bz2") == ["bzip", "2", "-k", "file", "bz", "2"]
    assert plain.terms("(-d), -kb --keep x-ray") == ["-d", "kb", "keep", "ray"]
    assert [(t.term, t.start, t.end) for t in plain.tokens("use -s.")] == [("use", 0, 3),
                                                                           ("-s", 4, 6)]
