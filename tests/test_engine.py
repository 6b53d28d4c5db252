"""open_index: load when fresh, rebuild (with one notice) when documents change or the index is
damaged; search returns chunks with citations."""
from __future__ import annotations

import os

import numpy as np
import pytest

from index.search import store
from index.search import engine
from index.search.engine import Index, build_index, load_analyzer, load_index, open_index
from index.errors import DataError

from conftest import P_COOLING, P_RELATIONS, P_RUSSIA, P_TREATY

CHANGED = "documents changed since the index was built; rebuilding"


@pytest.fixture
def built(tiny_data, tmp_path):
    """(data_dir, index_dir, name of the generation in use) after a first build."""
    index_dir = tmp_path / "index"
    build_index(tiny_data, index_dir)
    return tiny_data, index_dir, (index_dir / "CURRENT").read_text()


def opened(data_dir, index_dir):
    notices: list[str] = []
    index = open_index(data_dir, index_dir, notice=notices.append)
    return index, notices


def current(index_dir):
    return (index_dir / "CURRENT").read_text()


# -- fresh or stale ----------------------------------------------------------------------------


def test_open_loads_a_fresh_index_without_rebuilding(built, monkeypatch):
    data, index_dir, gen = built

    def no_build(*args, **kwargs):
        raise AssertionError("rebuilt a fresh index")

    monkeypatch.setattr(engine, "write_index", no_build)
    index, notices = opened(data, index_dir)
    assert notices == []
    assert current(index_dir) == gen
    assert [c.text for c in index.chunks] == [P_RELATIONS, P_TREATY, P_COOLING, P_RUSSIA]


def test_editing_a_document_rebuilds_with_one_notice(built):
    data, index_dir, gen = built
    path = data / "docs" / "russia.md"
    path.write_text(path.read_text().replace("February 2000", "February 2000 in Moscow"))
    index, notices = opened(data, index_dir)
    assert notices == [CHANGED]
    assert current(index_dir) != gen
    assert [h.chunk.doc for h in index.search("Moscow")] == ["russia"]
    assert opened(data, index_dir)[1] == []  # and the rebuilt index is fresh


def test_touching_a_document_does_not_rebuild(built):
    data, index_dir, gen = built
    path = data / "docs" / "mongolia.txt"
    st = path.stat()
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 5_000_000_000))
    _, notices = opened(data, index_dir)
    assert notices == []
    assert current(index_dir) == gen


def test_adding_a_document_rebuilds(built):
    data, index_dir, gen = built
    (data / "docs" / "new.txt").write_text("Ulaanbaatar hosted the summit in 2019.\n")
    index, notices = opened(data, index_dir)
    assert notices == [CHANGED]
    assert [h.chunk.doc for h in index.search("summit")] == ["new"]


def test_removing_a_document_rebuilds(built):
    data, index_dir, gen = built
    (data / "docs" / "russia.md").unlink()
    index, notices = opened(data, index_dir)
    assert notices == [CHANGED]
    assert {c.doc for c in index.chunks} == {"mongolia"}


def test_changing_aliases_rebuilds(built):
    data, index_dir, gen = built
    (data / "aliases.yaml").write_text("North Korea:\n  - DPRK\nRussia:\n  - Russian Federation\n")
    index, notices = opened(data, index_dir)
    assert notices == [CHANGED]
    assert current(index_dir) != gen


# -- damaged index -----------------------------------------------------------------------------


def gen_dir(index_dir):
    return index_dir / current(index_dir)


def test_truncated_array_rebuilds_with_a_notice(built):
    data, index_dir, gen = built
    npy = gen_dir(index_dir) / "tfs.npy"
    npy.write_bytes(npy.read_bytes()[:-8])
    index, notices = opened(data, index_dir)
    assert len(notices) == 1 and notices[0].startswith("index damaged, rebuilding: ")
    assert "tfs.npy: truncated or modified" in notices[0]
    assert current(index_dir) != gen
    assert index.search("Pyongyang")[0].chunk.text == P_TREATY


def test_modified_chunks_file_rebuilds_with_a_notice(built):
    data, index_dir, gen = built
    path = gen_dir(index_dir) / "chunks.jsonl"
    path.write_text(path.read_text("utf-8").replace("Seoul", "Tokyo"), "utf-8")
    index, notices = opened(data, index_dir)
    assert len(notices) == 1 and "chunks.jsonl: checksum mismatch" in notices[0]
    assert index.search("Seoul")[0].chunk.text == P_COOLING


def test_garbage_in_current_rebuilds_with_a_notice(built):
    data, index_dir, gen = built
    (index_dir / "CURRENT").write_text("not a generation")
    index, notices = opened(data, index_dir)
    assert len(notices) == 1 and "damaged pointer 'not a generation'" in notices[0]
    assert current(index_dir).startswith("gen-")
    assert len(index.chunks) == 4


def test_current_naming_a_missing_generation_rebuilds_with_a_notice(built):
    data, index_dir, gen = built
    (index_dir / "CURRENT").write_text("gen-gone")
    index, notices = opened(data, index_dir)
    assert len(notices) == 1 and "manifest.json: unreadable" in notices[0]
    assert len(index.chunks) == 4


def test_binary_garbage_in_current_rebuilds_with_a_notice(built):
    data, index_dir, gen = built
    (index_dir / "CURRENT").write_bytes(b"\xff\xfe\x00\x01")
    index, notices = opened(data, index_dir)
    assert len(notices) == 1 and len(index.chunks) == 4


def test_failed_save_leaves_the_previous_index_in_use(built, request, monkeypatch):
    data, index_dir, gen = built
    (data / "docs" / "new.txt").write_text("Ulaanbaatar hosted the summit in 2019.\n")
    request.getfixturevalue("disk_fills_after_first_array")
    with pytest.raises(DataError, match="cannot write the index"):
        open_index(data, index_dir)
    assert current(index_dir) == gen
    assert sorted(p.name for p in index_dir.iterdir() if p.is_dir()) == [gen]
    old = load_index(index_dir, load_analyzer(data))
    assert len(old.chunks) == 4 and old.search("summit") == []

    monkeypatch.undo()
    index, notices = opened(data, index_dir)
    assert notices == [CHANGED] and len(index.chunks) == 5


def test_index_arrays_are_loaded_without_pickle(built, monkeypatch):
    data, index_dir, gen = built
    real_load, seen = np.load, []

    def spy(*args, **kwargs):
        seen.append(kwargs.get("allow_pickle"))
        return real_load(*args, **kwargs)

    monkeypatch.setattr(np, "load", spy)
    opened(data, index_dir)
    assert seen == [False] * len(store.read_manifest(index_dir)["arrays"])  # every array file


# -- searching ---------------------------------------------------------------------------------


def test_search_results_carry_chunks_with_citations(tiny_data, tmp_path):
    index = open_index(tiny_data, tmp_path / "index")
    [hit] = index.search("Batmunkh", k=5)
    assert hit.chunk.text == P_TREATY
    assert hit.chunk.citation == "Mongolia and North Korea — The treaty, ¶2"
    top = index.search("treaty 2000 military assistance", k=1)[0]
    assert top.chunk.citation == "The 2000 treaty, ¶1"
    assert top.score > 0


def test_search_finds_an_alias_of_the_query(tiny_data, tmp_path):
    index = open_index(tiny_data, tmp_path / "index")
    # russia.md says only "DPRK"; the others say "North Korea".
    docs = {h.chunk.doc for h in index.search("Democratic People's Republic of Korea")}
    assert docs == {"mongolia", "russia"}


def test_section_heading_is_searchable(tiny_data, tmp_path):
    index = open_index(tiny_data, tmp_path / "index")
    assert [h.chunk.text for h in index.search("establishing")] == [P_RELATIONS]


def test_loaded_index_ranks_like_the_built_one(tiny_data, tmp_path):
    built = build_index(tiny_data, tmp_path / "index")
    loaded = open_index(tiny_data, tmp_path / "index")
    for q in ["treaty", "Mongolia relations 1990", "trade and culture"]:
        assert [(h.chunk.id, round(h.score, 12)) for h in loaded.search(q)] == [
            (h.chunk.id, round(h.score, 12)) for h in built.search(q)
        ]


def test_query_of_stopwords_only_finds_nothing(tiny_data, tmp_path):
    index = open_index(tiny_data, tmp_path / "index")
    assert index.search("what was it about?") == []


def test_neighbours_stay_within_the_document(tiny_data, tmp_path):
    index = open_index(tiny_data, tmp_path / "index")
    first, second, third, russia = index.chunks
    assert index.neighbours(second) == [first, second, third]
    assert index.neighbours(third) == [second, third]
    assert index.neighbours(russia) == [russia]


def test_index_of_an_older_format_is_rebuilt_with_a_notice_saying_so(built):
    import json

    from index.search import store

    data, index_dir, _ = built
    gen = index_dir / (index_dir / "CURRENT").read_text().strip()
    manifest = json.loads((gen / "manifest.json").read_text())
    manifest["version"] = store.FORMAT_VERSION - 1
    (gen / "manifest.json").write_text(json.dumps(manifest))
    notices: list[str] = []
    open_index(data, index_dir, notice=notices.append)
    assert len(notices) == 1 and notices[0].startswith("index from another docbot version, rebuilding")


# -- chunk tokens stored at build time ------------------------------------------------------------


def test_stored_chunk_tokens_are_the_analyzers_and_survive_loading(write_data, tmp_path):
    # a heading ending in an alias's first word: the text's tokens are the text's alone
    data = write_data({"a.txt": "A report\n\nRelations with North\n\nKorea's envoy \u2018J. Sambuu\u2019 met "
                       "the DPRK caf\u00e9 owner. Then 1,948 people left! \"Why?\" he asked."
                       + " It is long enough to stand alone as a passage of its own here." * 3
                       + "\n"}, aliases="North Korea:\n  - DPRK\n")
    from index.sentences import sentence_spans

    built = build_index(data, tmp_path / "index")
    loaded = load_index(tmp_path / "index", load_analyzer(data))
    memory = Index.from_chunks(list(loaded.chunks), load_analyzer(data))
    for index in (built, loaded, memory):
        for i, c in enumerate(index.chunks):
            tok = index.tokens(i)
            want = index.analyzer.tokens(c.text)
            # -1: a term the vocabulary lacks ("korea" only ever stands in "North Korea")
            assert [-1 if index.term_id(t.term) is None else index.term_id(t.term)
                    for t in want] == tok.terms.tolist()
            assert [c.text[t.start:t.end] for t in want] == [
                c.text[s:e] for s, e in zip(tok.starts.tolist(), tok.ends.tolist())]
            assert index.sentence_spans(i).tolist() == [list(x) for x in sentence_spans(c.text)]
            assert tok.sentences[0] == 0
    c = built.chunks[0]
    assert c.section == "Relations with North" and c.text.startswith("Korea's")
    assert built.analyzer.terms(c.section + "\n" + c.text)[1] == "north_korea"  # what is searched
    assert built.tokens(0).terms[0] == -1 and built.term_id("korea") is None
    assert [h.chunk.id for h in built.search("North Korea envoy")] == [c.id]

