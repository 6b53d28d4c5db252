"""The index on disk: written atomically, no pickle, damage detected when loaded."""
from __future__ import annotations

import hashlib
import json

import numpy as np
import pytest

from index.search import store
from index.search.bm25 import build_postings
from index.errors import DataError, IndexFormatError

CHUNKS = [{"id": "a:1", "text": "Mongolia and Korea"}, {"id": "a:2", "text": "The treaty"}]


def payload(fingerprint="f" * 64):
    vocab: dict[str, int] = {}
    p = build_postings([["mongolia", "korea"], ["treati", "korea", "korea"]], vocab)
    arrays = {"indptr": p.indptr, "docs": p.docs, "tfs": p.tfs, "doc_len": p.doc_len}
    manifest = {"fingerprint": fingerprint, "n_chunks": 2, "n_terms": len(vocab)}
    return manifest, CHUNKS, list(vocab), arrays


def generations(index_dir):
    return sorted(p.name for p in index_dir.iterdir() if p.name.startswith(("gen-", ".tmp-")))


def test_save_then_load_round_trips(tmp_path):
    manifest, chunks, vocab, arrays = payload()
    gen = store.save(tmp_path, manifest, chunks, vocab, arrays)
    loaded = store.load(tmp_path)
    assert loaded.path == gen
    assert (tmp_path / "CURRENT").read_text() == gen.name
    assert (loaded.chunks, loaded.vocab) == (CHUNKS, ["mongolia", "korea", "treati"])
    assert loaded.manifest["format"] == "docbot-index"
    assert loaded.manifest["version"] == store.FORMAT_VERSION
    for name, array in arrays.items():
        assert loaded.arrays[name].dtype == array.dtype
        assert loaded.arrays[name].tolist() == array.tolist()


def test_a_new_save_replaces_the_old_generation(tmp_path):
    first = store.save(tmp_path, *payload("a" * 64))
    second = store.save(tmp_path, *payload("b" * 64))
    assert generations(tmp_path) == [second.name] != [first.name]
    assert store.load(tmp_path).manifest["fingerprint"] == "b" * 64


def test_load_without_an_index_says_so(tmp_path):
    with pytest.raises(IndexFormatError, match="no index yet"):
        store.load(tmp_path)
    assert store.read_manifest(tmp_path / "missing") is None


def test_truncated_array_is_detected(tmp_path):
    gen = store.save(tmp_path, *payload())
    data = (gen / "docs.npy").read_bytes()
    (gen / "docs.npy").write_bytes(data[:-4])
    with pytest.raises(IndexFormatError, match=r"docs\.npy: truncated or modified"):
        store.load(tmp_path)


def test_modified_chunks_file_of_the_same_size_is_detected(tmp_path):
    gen = store.save(tmp_path, *payload())
    text = (gen / "chunks.jsonl").read_text("utf-8")
    (gen / "chunks.jsonl").write_text(text.replace("Korea", "Japan"), "utf-8")
    with pytest.raises(IndexFormatError, match=r"chunks\.jsonl: checksum mismatch"):
        store.load(tmp_path)


def test_garbage_in_current_is_a_damaged_pointer(tmp_path):
    store.save(tmp_path, *payload())
    (tmp_path / "CURRENT").write_text("../../etc")
    with pytest.raises(IndexFormatError, match="damaged pointer"):
        store.load(tmp_path)


def test_binary_garbage_in_current_is_a_damaged_pointer(tmp_path):
    store.save(tmp_path, *payload())
    (tmp_path / "CURRENT").write_bytes(b"\xff\xfe\x00gen")
    with pytest.raises(IndexFormatError):
        store.load(tmp_path)


def test_index_of_another_format_version_is_rejected(tmp_path):
    gen = store.save(tmp_path, *payload())
    manifest = json.loads((gen / "manifest.json").read_text())
    (gen / "manifest.json").write_text(json.dumps(dict(manifest, version=99)))
    with pytest.raises(IndexFormatError,
                       match=f"index format version 99 .this docbot reads {store.FORMAT_VERSION}."):
        store.load(tmp_path)


def test_failed_save_keeps_the_previous_index_in_use(tmp_path, request):
    before = store.save(tmp_path, *payload("a" * 64))
    calls = request.getfixturevalue("disk_fills_after_first_array")  # after the first save
    with pytest.raises(DataError, match="cannot write the index .No space left on device.; free"):
        store.save(tmp_path, *payload("b" * 64))
    assert len(calls) == 2
    assert (tmp_path / "CURRENT").read_text() == before.name
    assert generations(tmp_path) == [before.name]  # no half-written folder left behind
    assert store.load(tmp_path).manifest["fingerprint"] == "a" * 64


def test_interrupted_save_removes_its_temporary_folder(tmp_path, monkeypatch):
    before = store.save(tmp_path, *payload("a" * 64))

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(np, "save", interrupted)
    with pytest.raises(KeyboardInterrupt):
        store.save(tmp_path, *payload("b" * 64))
    assert generations(tmp_path) == [before.name]
    assert store.load(tmp_path).path == before


def test_arrays_are_loaded_without_pickle(tmp_path, monkeypatch):
    store.save(tmp_path, *payload())
    real_load, seen = np.load, []

    def spy(*args, **kwargs):
        seen.append(kwargs.get("allow_pickle"))
        return real_load(*args, **kwargs)

    monkeypatch.setattr(np, "load", spy)
    store.load(tmp_path)
    assert seen == [False] * len(store.ARRAYS)


def test_object_array_is_rejected_even_with_a_matching_checksum(tmp_path):
    gen = store.save(tmp_path, *payload())
    np.save(gen / "docs.npy", np.array([0, 1, "x"], dtype=object), allow_pickle=True)
    manifest = json.loads((gen / "manifest.json").read_text())
    data = (gen / "docs.npy").read_bytes()
    manifest["files"]["docs.npy"] = {"bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()}
    manifest["checksum"] = store._manifest_checksum(manifest)  # a consistent forgery
    (gen / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(IndexFormatError, match=r"Object arrays cannot be loaded when allow_pickle"):
        store.load(tmp_path, mmap=False)
    with pytest.raises(IndexFormatError, match=r"damaged .Array can't be memory-mapped"):
        store.load(tmp_path, mmap=True)


def test_a_changed_value_in_the_manifest_is_detected(tmp_path):
    gen = store.save(tmp_path, *payload())
    manifest = json.loads((gen / "manifest.json").read_text())
    manifest["fingerprint"] = "0" * len(manifest["fingerprint"])  # still valid JSON and version
    (gen / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(IndexFormatError, match="checksum mismatch"):
        store.load(tmp_path)


@pytest.mark.parametrize("raw", [
    '{"id": "a:1", "text": "Mongolia \\u00e9 \\u4e2d", "page": 12}',
    '{"id": "a:1", "text": "half a pair: \\ud800"}',  # a lone surrogate json writes
    '{"id": "a:1", "score": NaN}',  # what json.dumps writes for a float nan
    ' {"id": "a:1"} ',
])
def test_a_chunk_record_reads_as_json_reads_it(raw):
    assert repr(store.parse_record(raw.encode())) == repr(json.loads(raw))  # repr: nan == nan


def test_a_damaged_chunk_record_is_refused():
    with pytest.raises(ValueError):
        store.parse_record(b'{"id": "a:1", "text": "cut')


def test_chunk_records_read_past_the_kept_ones_are_each_their_own():
    """A loaded index keeps a few recent chunk records; reading many more, one at a time and
    a question's candidates at once, still gives each its own record and keeps only a few."""
    from index.search.searcher import StoredChunks

    records = [{"id": f"d:{i}", "doc": "d", "title": "D", "section": "", "paragraph": i,
                "paragraph_end": i, "part": 0, "seq": i, "start": 0, "end": 9,
                "text": f"passage {i}"} for i in range(3000)]

    class Records(list):
        def many(self, rows):
            return [self[i] for i in rows]

    chunks = StoredChunks(Records(records))
    chunks._KEEP = 100
    for i in list(range(3000)) + list(range(2999, -1, -7)):
        assert chunks[i].text == f"passage {i}"
    for start in range(0, 3000, 250):
        rows = list(range(start, start + 20)) + [0, 2999]
        assert [c.id for c in chunks.many(rows)] == [f"d:{i}" for i in rows]
    assert len(chunks._cache) <= 100
