"""Segments: after any sequence of added, changed and removed documents, the updated index (new
segments, dead chunks) answers exactly as a full rebuild of the same documents does: the same
passages in the same order with the same scores, the same replies; dead passages never come
back; untouched files are shared with the previous generation, not rewritten."""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from index.search import merge
from index.search import update
from index.search import store
from index.answering.answer import Answerer, load_facts
from index.search.bm25 import BLOCK, BM25Params
from index.search.engine import DEFAULT_PARAMS, Index, build_index, open_index
from test_scale_contract import ALIASES, assert_same_index, paragraph, questions

VARIANTS = [None, BM25Params(variant="okapi"), BM25Params(variant="l", k1=1.5, b=0.6)]


def text_of(seed: int, n: int = 6) -> str:
    rng = np.random.default_rng(seed)
    out = [f"Report {seed}"]
    for i in range(n):
        if i % 3 == 0:
            out.append(f"Part {i // 3 + 1}")
        out.append(paragraph(rng))
    if seed % 4 == 0:  # the same paragraph in several documents: ties
        out += ["Shared notes", "Kalodo pemas fiturs were seen at the harbour of Bazumo."]
    return "\n\n".join(out) + "\n"


class Folder:
    """A data folder whose documents the test edits; each write gets a new mtime, as edits
    seconds apart do."""

    def __init__(self, root: Path, n: int) -> None:
        self.docs = root / "data" / "docs"
        self.docs.mkdir(parents=True)
        (root / "data" / "aliases.yaml").write_text(ALIASES, encoding="utf-8")
        self.clock = 1_700_000_000_000_000_000
        for i in range(n):
            self.write(f"doc-{i:02d}.txt", text_of(i))

    def write(self, name: str, text: str) -> None:
        path = self.docs / name
        path.write_text(text, encoding="utf-8")
        self.clock += 10 ** 9
        os.utime(path, ns=(self.clock, self.clock))

    def names(self) -> list[str]:
        return sorted(p.name for p in self.docs.iterdir())


def assert_same_replies(a: Index, b: Index, data: Path) -> None:
    ask_a, ask_b = Answerer(a, load_facts(data, a)), Answerer(b, load_facts(data, b))
    for q in questions(b, 6)[::2]:
        assert ask_a.ask(q).to_dict() == ask_b.ask(q).to_dict(), q


ops = st.lists(st.tuples(st.sampled_from(["add", "change", "delete", "merge"]),
                         st.integers(0, 10 ** 6)), min_size=1, max_size=5)


@settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck))
@given(ops=ops, variant=st.sampled_from(VARIANTS), scan=st.booleans())
def test_any_updates_equal_a_rebuild(tmp_path_factory, ops, variant, scan):
    with pytest.MonkeyPatch.context() as mp:
        # the dead chunks' terms: from their postings, or from analyzing their records again
        mp.setattr(update, "SCAN_PER_CHUNK", 10 ** 9 if scan else 0)
        mp.setattr(update, "MAX_DEAD_SHARE", 1.0)  # updates all along, however many die
        updates_equal_a_rebuild(tmp_path_factory, ops, variant)


def updates_equal_a_rebuild(tmp_path_factory, ops, variant):
    root = tmp_path_factory.mktemp("seg")
    folder = Folder(root, 8)
    data, index_dir = root / "data", root / "index"
    params = variant or DEFAULT_PARAMS
    build_index(data, index_dir, params)
    for step, (op, seed) in enumerate(ops):
        names = folder.names()
        if op == "merge":  # every segment into one, the build's too
            merge.merge(index_dir, open_index(data, index_dir, params).analyzer, everything=True)
        elif op == "add" or len(names) < 3:
            folder.write(f"new-{seed}.txt", text_of(seed, 3))
        elif op == "change":
            folder.write(names[seed % len(names)], text_of(seed, 1 + seed % 4))
        else:
            (folder.docs / names[seed % len(names)]).unlink()
        updated = open_index(data, index_dir, params)
        assert op == "merge" or hasattr(updated, "segments")  # an update, not a rebuild
        rebuilt = build_index(data, root / f"fresh-{step}", params)
        assert_same_index(updated, rebuilt)
        # the documents holding a term (what a constraint's acronym or year is looked up
        # in): the live passages' only, as a rebuild finds them
        for term in sorted(rebuilt.vocab)[::7]:
            assert updated.docs_with(term) == rebuilt.docs_with(term) == frozenset(
                c.doc for c in rebuilt.chunks if term in rebuilt.analyzer.terms(
                    f"{c.section}\n{c.text}" if c.section else c.text)), term
    assert_same_replies(updated, rebuilt, data)
    allowed = np.random.default_rng(len(ops)).random(len(rebuilt.chunks)) < 0.5  # a filter
    for q in questions(rebuilt, 10):
        terms = rebuilt.analyzer.terms(q)
        assert [(h.chunk.id, h.score) for h in updated.search_terms(terms, 5, allowed)] == [
            (h.chunk.id, h.score) for h in rebuilt.search_terms(terms, 5, allowed)], q
    # each segment's rescaled block maxima bound its weights under the combined statistics,
    # and the window pass (windows of 64 chunks from the first term, with the rescaled term
    # bounds) finds what the rebuild finds
    for seg in getattr(updated, "segments", []):
        bm = seg.bm25
        for t in range(len(bm.postings.indptr) - 1):
            _, w = bm.term_weights(t)
            for j in range(0, len(w), BLOCK):
                assert w[j : j + BLOCK].max() <= bm.block_max[bm.block_ptr[t] + j // BLOCK]
        bm.window_at, bm.window = 0, 64
    for q in questions(rebuilt, 10):
        terms = rebuilt.analyzer.terms(q)
        assert [(h.chunk.id, h.score) for h in updated.search_terms(terms, 5)] == [
            (h.chunk.id, h.score) for h in rebuilt.search_terms(terms, 5)], q


def test_dead_passages_never_come_back(tmp_path):
    folder = Folder(tmp_path, 6)
    data, index_dir = tmp_path / "data", tmp_path / "index"
    build_index(data, index_dir)
    folder.write("doc-01.txt", "Report\n\nThe zyxwq harbour of Bazumo.\n")
    first = open_index(data, index_dir)
    gone = first.search("zyxwq")[0].chunk.id
    folder.write("doc-01.txt", "Report\n\nThe qwxyz harbour of Bazumo.\n")
    (folder.docs / "doc-02.txt").unlink()
    index = open_index(data, index_dir)
    assert index.search("zyxwq") == [] and "zyxwq" not in index.vocab and index.df("zyxwq") == 0
    assert gone not in index.by_id and "doc-02" not in {c.doc for c in index.chunks}
    assert [h.chunk.doc for h in index.search("qwxyz harbour")][:1] == ["doc-01"]
    hits = index.search("harbour Bazumo kalodo", k=100)
    assert all(h.chunk.doc != "doc-02" for h in hits)
    assert len({h.chunk.id for h in hits}) == len(hits)


def test_an_update_shares_the_untouched_files(tmp_path):
    folder = Folder(tmp_path, 6)
    data, index_dir = tmp_path / "data", tmp_path / "index"
    build_index(data, index_dir)
    before = store.current_generation(index_dir)
    inodes = {p.name: p.stat().st_ino for p in before.iterdir()}
    folder.write("added.txt", text_of(99, 2))
    index = open_index(data, index_dir)
    after = store.current_generation(index_dir)
    assert after != before
    shared = [name for name in ("docs.npy", "tfs.npy", "tok_terms.npy", "vocab.json")
              if (after / name).stat().st_ino == inodes[name]]
    assert shared == ["docs.npy", "tfs.npy", "tok_terms.npy", "vocab.json"]
    assert [s.name for s in index.segments][0] == "" and len(index.segments) == 2
    assert index.manifest["build"]["updated_documents"] == 1


def test_the_merge_policy_keeps_the_segments_few(tmp_path):
    folder = Folder(tmp_path, 4)
    data, index_dir = tmp_path / "data", tmp_path / "index"
    build_index(data, index_dir)
    for i in range(merge.MERGE_FACTOR):
        folder.write(f"added-{i}.txt", text_of(100 + i, 1))
        index = open_index(data, index_dir)
    assert len(index.segments) == 1 + merge.MERGE_FACTOR
    assert merge.merge(index_dir, index.analyzer)  # the policy: one tier is full
    merged = open_index(data, index_dir)
    assert len(merged.segments) == 2 and merged.segments[0].name == ""
    assert not merge.merge(index_dir, index.analyzer)  # nothing more to do
    assert_same_index(merged, build_index(data, tmp_path / "fresh"))


def test_an_update_rebuilds_when_most_chunks_are_dead(tmp_path):
    folder = Folder(tmp_path, 4)
    data, index_dir = tmp_path / "data", tmp_path / "index"
    build_index(data, index_dir)
    folder.write("doc-00.txt", text_of(50, 1))
    assert hasattr(open_index(data, index_dir), "segments")
    for name in ("doc-01.txt", "doc-02.txt"):
        (folder.docs / name).unlink()
    index = open_index(data, index_dir)
    assert not hasattr(index, "segments")  # compacted: a build of what is left
    assert_same_index(index, build_index(data, tmp_path / "fresh"))


def test_ties_across_segments_go_by_chunk_id(tmp_path):
    folder = Folder(tmp_path, 6)  # doc-00 and doc-04 hold the shared paragraph
    data, index_dir = tmp_path / "data", tmp_path / "index"
    build_index(data, index_dir)
    folder.write("aaa-first.txt", text_of(8, 1))  # so does the new one, first by path
    folder.write("zzz-last.txt", text_of(12, 1))  # and this one, last
    index = open_index(data, index_dir)
    hits = index.search("Kalodo pemas fiturs Bazumo", k=3)
    assert len(index.segments) == 2 and len({h.score for h in hits}) == 1
    assert [h.chunk.id for h in hits] == sorted(h.chunk.id for h in
                                                index.search("Kalodo pemas fiturs Bazumo", k=10))[:3]
    assert {h.chunk.doc for h in index.search("Kalodo pemas fiturs Bazumo", k=4)} == {
        "aaa-first", "zzz-last", "doc-00", "doc-04"}
    assert_same_index(index, build_index(data, tmp_path / "fresh"))


def test_ties_across_segments_go_by_chunk_id_in_any_script(tmp_path):
    """Chunk ids of documents named beyond ASCII ('ärger', 'émile', 'ζeta', '日記') order
    tied passages across segments as Python orders the ids, as a rebuild does."""
    folder = Folder(tmp_path, 16)  # doc-00, -04, -08 and -12 hold the shared paragraph
    data, index_dir = tmp_path / "data", tmp_path / "index"
    build_index(data, index_dir)
    for j, name in enumerate(["日記", "ärger", "ζeta", "émile"]):
        folder.write(f"{name}.txt", text_of(4 * (j + 5), 1))  # each holds it too
    index = open_index(data, index_dir)
    query = "Kalodo pemas fiturs Bazumo"
    hits = index.search(query, k=8)
    assert len(index.segments) == 2 and len({h.score for h in hits}) == 1
    assert [h.chunk.doc for h in hits] == [
        "doc-00", "doc-04", "doc-08", "doc-12", "ärger", "émile", "ζeta", "日記"]
    fresh = build_index(data, tmp_path / "fresh").search(query, k=8)
    assert [h.chunk.id for h in hits] == [h.chunk.id for h in fresh]


def test_the_compiled_split_equals_numpys(tmp_path):
    # chunk numbers by segment (SegmentedIndex.split, what reads records and tokens): the
    # compiled loop and the numpy reference agree, over segments with dead chunks, and refuse
    # the same number out of range
    from index.search import kernels

    folder = Folder(tmp_path, 6)
    data, index_dir = tmp_path / "data", tmp_path / "index"
    build_index(data, index_dir)
    folder.write("doc-01.txt", text_of(101))
    folder.write("doc-07.txt", text_of(107))
    (folder.docs / "doc-03.txt").unlink()
    index = open_index(data, index_dir)
    assert len(index.segments) > 1
    rng = np.random.default_rng(3)
    n = len(index.chunks)
    rows_sets = [rng.integers(0, n, size=int(rng.integers(1, 30))).tolist() for _ in range(200)]
    rows_sets += [list(range(n)), [n - 1, 0], [0]]
    for rows in rows_sets:
        with kernels.reference_only():
            want = index.split(rows)
        assert index.split(rows) == want
    assert any(len(index.split(rows)) > 1 for rows in rows_sets)
    for bad in ([0, n, -1], [-1], [3, n + 5]):
        with pytest.raises(IndexError) as ref, kernels.reference_only():
            index.split(bad)
        with pytest.raises(IndexError) as got:
            index.split(bad)
        assert str(got.value) == str(ref.value)
