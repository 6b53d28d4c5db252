"""The scale contract: however the index is built, opened or updated, docbot ranks exactly as
rank-bm25 does (same top-10, scores within 1e-6, ties by chunk id); an update that re-analyzes
only the changed documents equals a full rebuild; opening an index reads no chunk text; the
fast analysis paths give what Analyzer.tokens() gives. Timings live in tests/bench/scale.py."""
from __future__ import annotations

import json
import sys

import numpy as np
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from rank_bm25 import BM25L, BM25Okapi, BM25Plus

import index.search.build as build
from index.search import store
from index.search.analyze import Analyzer, TermIds
from index.search.bm25 import BM25Params
from index.reading.corpus import Chunk
from index.search.engine import CHANGED, DEFAULT_PARAMS, Index, build_index, index_text, open_index

ALIASES = "North Korea:\n  - DPRK\n  - Democratic People's Republic of Korea\nSoviet Union:\n  - USSR\n"
STOP = ["the", "of", "and", "to", "in", "a", "was", "for", "on", "with", "by", "at", "which"]
SYLLABLES = [c + v for c in "bdfgklmnprstvz" for v in "aeiou"]
VOCAB = sorted({a + b + c for a in SYLLABLES[:12] for b in SYLLABLES[20:40] for c in ("", "s", "ed")})
NAMES = ["North Korea", "DPRK", "the Soviet Union", "USSR", "Democratic People's Republic of Korea"]


def paragraph(rng: np.random.Generator) -> str:
    n = int(rng.integers(25, 90))
    p = 1.0 / (np.arange(len(VOCAB)) + 3.0)
    words = [VOCAB[i] for i in rng.choice(len(VOCAB), size=n, p=p / p.sum())]
    for i in rng.choice(n, size=n // 3, replace=False):
        words[i] = STOP[int(rng.integers(len(STOP)))]
    if rng.random() < 0.15:
        words.insert(int(rng.integers(n)), NAMES[int(rng.integers(len(NAMES)))])
    if rng.random() < 0.1:
        words.insert(int(rng.integers(n)), f"{int(rng.integers(1900, 2020))}")
    words[0] = words[0].capitalize()
    return " ".join(words) + "."


def document(seed: int, n_paragraphs: int = 40) -> str:
    rng = np.random.default_rng(seed)
    out = [f"Report {seed}"]
    for i in range(n_paragraphs):
        if i % 10 == 0:
            out.append(f"Part {i // 10 + 1} {VOCAB[seed % len(VOCAB)]}")
        out.append(paragraph(rng))
    return "\n\n".join(out) + "\n"


SHARED = ("Shared notes\n\nKalodo pemas fiturs kalodo were seen at the harbour of Bazumo, where "
          "the kalodo trade met the caravans from the south and the pemas were counted, as the "
          "ledgers of the harbour masters show for every year of the long war.")


@pytest.fixture
def corpus(write_data):
    """~2,000 passages in 50 documents (some in a subfolder), with aliases, one paragraph
    repeated word for word in three documents (ties)."""
    docs = {}
    for d in range(50):
        text = document(d)
        if d in (3, 17, 41):
            text += "\n" + SHARED + "\n"  # its own section: three identical chunks
        docs[f"{'sub/' if d % 7 == 0 else ''}doc-{d:02d}.txt"] = text
    return write_data(docs, aliases=ALIASES)


def questions(index: Index, n: int = 60) -> list[str]:
    rng = np.random.default_rng(7)
    out = list(NAMES) + ["kalodo pemas", "harbour", "nothing-like-this-anywhere", "the of and"]
    for i in rng.choice(len(index.chunks), size=min(n, len(index.chunks)), replace=False):
        words = index.chunks[int(i)].text.rstrip(".").split()
        k = int(rng.integers(1, 6))
        out.append(" ".join(words[j] for j in rng.choice(len(words), size=min(k, len(words)), replace=False)))
    return out


def reference(index: Index, params: BM25Params):
    corpus = [index.analyzer.terms(index_text(c)) for c in index.chunks]
    if params.variant == "okapi":
        return BM25Okapi(corpus, k1=params.k1, b=params.b, epsilon=params.epsilon), corpus
    cls = BM25Plus if params.variant == "plus" else BM25L
    return cls(corpus, k1=params.k1, b=params.b, delta=params.delta), corpus


def tie_groups(ranked: list[int], scores) -> list[list[int]]:
    """Runs of scores that differ only by float rounding (1e-9 relative): ties."""
    groups: list[list[int]] = []
    for i in ranked:
        if groups and scores[groups[-1][-1]] - scores[i] <= 1e-9 * abs(scores[groups[-1][-1]]):
            groups[-1].append(i)
        else:
            groups.append([i])
    return groups


def expected_top(ref, corpus, ids: list[str], terms: list[str], k: int = 10):
    """rank-bm25's ranking of the chunks that hold a query term, ties by chunk id."""
    scores = ref.get_scores(terms)
    wanted = set(terms)
    matching = sorted((i for i, doc in enumerate(corpus) if wanted.intersection(doc)),
                      key=lambda i: -scores[i])
    best = [i for g in tie_groups(matching, scores) for i in sorted(g, key=ids.__getitem__)][:k]
    return [ids[i] for i in best], scores[best]


# -- the ranking is rank-bm25's --------------------------------------------------------------------


@pytest.mark.parametrize("params", [
    DEFAULT_PARAMS,
    BM25Params(variant="okapi", k1=1.2, b=0.75),
    BM25Params(variant="l", k1=1.5, b=0.75, delta=0.5),
], ids=["default-plus", "okapi", "l"])
def test_top_10_and_scores_equal_rank_bm25(corpus, tmp_path, params):
    index = build_index(corpus, tmp_path / "index", params=params)
    assert len(index.chunks) > 1500
    ref, docs = reference(index, params)
    ids = [c.id for c in index.chunks]
    checked = 0
    for q in questions(index):
        terms = index.analyzer.terms(q)
        want_ids, want_scores = expected_top(ref, docs, ids, terms)
        hits = index.search(q, 10)
        assert [h.chunk.id for h in hits] == want_ids, q
        np.testing.assert_allclose([h.score for h in hits], want_scores, rtol=1e-6, atol=0)
        checked += bool(hits)
    assert checked > 50


def test_ties_are_broken_by_chunk_id(corpus, tmp_path):
    index = build_index(corpus, tmp_path / "index")
    hits = index.search("Bazumo caravans", k=10)
    tied = [h for h in hits if h.score == hits[0].score]
    assert len(tied) == 3  # the same paragraph in three documents
    assert [h.chunk.id for h in tied] == sorted(h.chunk.id for h in tied)
    assert [h.chunk.id for h in index.search("Bazumo caravans", k=2)] == [h.chunk.id for h in tied[:2]]


def test_parallel_build_equals_single_process_build(corpus, tmp_path):
    one = build_index(corpus, tmp_path / "one", workers=1)
    two = build_index(corpus, tmp_path / "two", workers=2)
    assert two.manifest["build"]["workers"] == 2 and len(two.manifest["segments"]) > 1
    assert_same_index(one, two)


# -- updating one document equals rebuilding --------------------------------------------------------


def arrays(index: Index) -> dict:
    p = index.bm25.postings
    return {"indptr": np.asarray(p.indptr), "docs": np.asarray(p.docs),
            "tfs": np.asarray(p.tfs, dtype=np.int64), "doc_len": np.asarray(p.doc_len)}


def term_names(index: Index, ids: np.ndarray) -> list[str | None]:
    names = {i: t for t, i in index.vocab.items()}
    return [names.get(int(i)) for i in ids]


def assert_same_index(a: Index, b: Index) -> None:
    """What a user can see of two indexes is the same: passages in the same order, terms,
    document frequencies, search results with their scores, ids, tokens. Term ids are an
    internal matter: a segmented index numbers its newer terms after the build's."""
    assert len(a.chunks) == len(b.chunks)
    assert [c.to_dict() for c in a.chunks] == [c.to_dict() for c in b.chunks]
    assert set(a.vocab) == set(b.vocab)
    assert all(a.df(t) == b.df(t) for t in b.vocab)
    if not hasattr(a, "segments") and not hasattr(b, "segments"):
        assert dict(a.vocab) == dict(b.vocab)
        for name, array in arrays(a).items():
            np.testing.assert_array_equal(array, arrays(b)[name], err_msg=name)
    assert [d["id"] for d in a.documents] == [d["id"] for d in b.documents]
    assert a.manifest["fingerprint"] == b.manifest["fingerprint"]
    for q in questions(a, 40):
        assert [(h.chunk.id, h.score, h.pos) for h in a.search(q)] == [
            (h.chunk.id, h.score, h.pos) for h in b.search(q)], q
    for cid, i in list(b.by_id.items())[::37]:
        assert a.by_id[cid] == i
    for i in range(len(a.chunks)):
        x, y = a.tokens(i), b.tokens(i)
        assert term_names(a, x.terms) == term_names(b, y.terms), f"tokens of chunk {i}"
        for u, v in zip(x[1:], y[1:]):
            np.testing.assert_array_equal(u, v, err_msg=f"tokens of chunk {i}")
        np.testing.assert_array_equal(a.sentence_spans(i), b.sentence_spans(i))
    assert_tokens_are_the_analyzers(a)


def assert_tokens_are_the_analyzers(index: Index) -> None:
    """Stored tokens are what analyzing the chunk text gives, sentences what the splitter gives."""
    from index.sentences import sentence_spans

    for i, c in enumerate(index.chunks):
        tok = index.tokens(i)
        want = index.analyzer.tokens(c.text)
        ids = [index.term_id(t.term) for t in want]
        assert [-1 if t is None else t for t in ids] == tok.terms.tolist(), c.id
        assert [(t.start, t.end) for t in want] == list(zip(tok.starts.tolist(), tok.ends.tolist()))
        spans = sentence_spans(c.text) or [(0, len(c.text))]
        assert index.sentence_spans(i).tolist() == [list(s) for s in spans]
        assert tok.sentences.tolist() == [
            next((k for k, t in enumerate(want) if t.start >= s), len(want)) for s, _ in spans]
        assert all(x.dtype == np.int32 for x in tok)


def rebuilt(data, tmp_path) -> Index:
    folder = tmp_path / f"fresh-{len(list(tmp_path.iterdir()))}"
    return build_index(data, folder)


def test_update_reanalyzes_only_changed_documents_and_equals_a_rebuild(corpus, tmp_path, monkeypatch):
    index_dir = tmp_path / "index"
    build_index(corpus, index_dir)
    docs = corpus / "docs"
    edited = docs / "doc-05.txt"
    edited.write_text(edited.read_text().replace("Report 5", "Report 5\n\nA zyxwq paragraph "
                      "about the Soviet Union, a new word and the harbour of Bazumo.", 1))
    (docs / "doc-99.txt").write_text(document(99) + "\n" + SHARED + "\n")
    (docs / "sub" / "doc-14.txt").unlink()

    loaded = []
    real = build.load_document
    monkeypatch.setattr(build, "load_document",
                        lambda p, d, **kw: loaded.append(p.name) or real(p, d, **kw))
    notices: list[str] = []
    updated = open_index(corpus, index_dir, notice=notices.append)
    assert notices == [CHANGED]
    assert sorted(loaded) == ["doc-05.txt", "doc-99.txt"]
    assert updated.manifest["build"]["updated_documents"] == 2
    assert "zyxwq" in updated.vocab
    monkeypatch.undo()
    assert_same_index(updated, rebuilt(corpus, tmp_path))
    assert open_index(corpus, index_dir, notice=notices.append) and notices == [CHANGED]

    # a second update on top (segments chain), then one that only removes a document
    edited.write_text(edited.read_text().replace("zyxwq", "qwxyz"))
    second = open_index(corpus, index_dir)
    assert "zyxwq" not in second.vocab and "qwxyz" in second.vocab  # dead terms leave
    assert_same_index(second, rebuilt(corpus, tmp_path))
    (docs / "doc-20.txt").unlink()
    third = open_index(corpus, index_dir)
    assert third.manifest["build"]["updated_documents"] == 0
    assert_same_index(third, rebuilt(corpus, tmp_path))


def test_update_falls_back_to_a_rebuild_when_most_documents_changed(corpus, tmp_path):
    index_dir = tmp_path / "index"
    build_index(corpus, index_dir)
    for path in list((corpus / "docs").rglob("*.txt"))[:40]:
        path.write_text(path.read_text() + "\nOne more line about zyxwq.\n")
    index = open_index(corpus, index_dir)
    assert "updated_documents" not in index.manifest["build"]
    assert_same_index(index, rebuilt(corpus, tmp_path))


# -- opening reads no chunk text --------------------------------------------------------------------


def test_opening_an_index_reads_no_chunk_record(corpus, tmp_path, monkeypatch):
    index_dir = tmp_path / "index"
    build_index(corpus, index_dir)
    parsed = []
    real_loads, real_from_dict = json.loads, Chunk.from_dict
    monkeypatch.setattr(json, "loads", lambda s, *a, **k: parsed.append(s) or real_loads(s, *a, **k))
    monkeypatch.setattr(Chunk, "from_dict", classmethod(
        lambda cls, d: parsed.append(d) or real_from_dict.__func__(cls, d)))
    index = open_index(corpus, index_dir)
    records = index.chunks._records
    assert isinstance(records, store.ChunkRecords) and all(m is None for m in records._maps)
    big = [s for s in parsed if isinstance(s, (str, bytes)) and len(s) > 50 and b"\"text\"" in
           (s.encode() if isinstance(s, str) else s)]
    assert big == [] and not any(isinstance(d, dict) and "text" in d for d in parsed)
    assert len(index.chunks) > 1500  # known without reading a record
    parsed.clear()
    hits = index.search("harbour Bazumo", k=3)
    assert len(hits) == 3 and sum(isinstance(d, dict) and "text" in d for d in parsed) <= 3
    first = hits[0].chunk
    assert index.by_id[first.id] == [c.id for c in index.chunks].index(first.id)
    with pytest.raises(KeyError):
        index.by_id["no:such-chunk"]


def test_damaged_chunk_locator_is_detected_and_rebuilt(corpus, tmp_path):
    index_dir = tmp_path / "index"
    build_index(corpus, index_dir)
    gen = index_dir / (index_dir / "CURRENT").read_text()
    loc = gen / "chunk_loc.npy"
    loc.write_bytes(loc.read_bytes()[:-24])
    notices: list[str] = []
    index = open_index(corpus, index_dir, notice=notices.append)
    assert len(notices) == 1 and "chunk_loc.npy: truncated" in notices[0]
    assert index.search("harbour")


def test_build_reports_progress(corpus, tmp_path):
    calls = []
    build_index(corpus, tmp_path / "index", progress=lambda *a: calls.append(a))
    assert calls and calls[-1][1] == calls[-1][2]
    assert all(isinstance(stage, str) and 0 <= done <= total for stage, done, total in calls)


# -- the fast analysis paths are the analyzer ------------------------------------------------------

ANALYZER = Analyzer(aliases={"North Korea": ["DPRK", "Democratic People's Republic of Korea"],
                             "Kim Il Sung": ["Kim Il-sung"]})
PIECES = st.one_of(
    st.characters(codec=None),
    st.sampled_from(list("’‘“”'-–—.,:;?!()[]_\u00a0\u2002\u200b\u0301\x1c\n\t ")),
    st.sampled_from(["DPRK", "Korea's", "1948", "226,236", "10.7", "1.2.3", "3,", ",4", "a1b2",
                     "Kim Il-Sung", "North  Korea", "o'clock", "rock'n'roll", "Čen", "ÉCOLE",
                     "ﬁne", "１９４８", "internationalization", "the", "of", "US", "x",
                     "-k", " -d", "(-x)", "-kb", "--keep", "x-ray", "－k", "-é", "'-k"]),
)
TEXTS = st.lists(PIECES, max_size=60).map("".join)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(TEXTS, min_size=1, max_size=4))
@example(["\x85-k", "x\u2028-k y", "-k\x85"])  # whitespace past ASCII before or after an option
def test_fast_analysis_equals_tokens(texts):
    expected = [[t.term for t in ANALYZER.tokens(text)] for text in texts]
    assert [ANALYZER.terms(text) for text in texts] == expected
    ids = TermIds(ANALYZER)
    got, rows = ids(texts)
    names = {i: t for t, i in ids.vocab.items()}
    assert [[names[int(t)] for t in got[rows == r]] for r in range(len(texts))] == expected


def _bulk_tokens(texts: list[str], compiled_bytes: int) -> tuple[list, dict]:
    ids = TermIds(ANALYZER)
    ids.COMPILED_BYTES = compiled_bytes
    return [a.tolist() for a in ids.tokens(texts)], ids.vocab


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(TEXTS, min_size=1, max_size=6))
def test_compiled_bulk_analysis_equals_numpy(texts):
    assert _bulk_tokens(texts, 0) == _bulk_tokens(texts, 1 << 62)


def test_compiled_bulk_analysis_equals_numpy_on_real_documents():
    from pathlib import Path

    docs = Path(__file__).resolve().parents[1] / "data" / "docs"
    texts = [p.read_text(encoding="utf-8") for p in sorted(docs.glob("*.txt"))]
    paragraphs = [t for text in texts for t in text.split("\n\n") if t.strip()]
    got, vocab = _bulk_tokens(paragraphs, 0)
    assert len(got[0]) > 1000 and "north_korea" in vocab  # an alias: the splice path too
    assert (got, vocab) == _bulk_tokens(paragraphs, 1 << 62)


ODD_TEXTS = [
    "", "\n", "Dr. Smith met Mr. J. Sambuu (b. 1895) at 10.7 km, i.e. 226,236 m.",
    "\u00a0\u2002naïve café ﬁne １９４８ -k --keep x-ray －k -é '-k 3,4 1.2.3 , .",
    "ABCDEFGH abcdefghi ABCDEFGHIJKLMNOP abcdefghijklmnopq internationalization",
    "𝔘𝔫𝔦𝔠𝔬𝔡𝔢 😀 e\u0301 \ufeffBOM\u200bzero-width Ёлка ӨҮ", "\ud800 lone surrogate",
    "first line\n\n\nafter empty lines\n", "-", "é", "ends in é", "12345678.90123456,7",
]


def _scans(texts: list[str]) -> tuple[list, list]:
    """analyze_kernels.scan and the numpy lines it replaces, on the same joined texts."""
    from index.search.analyze_kernels import scan

    ids = TermIds(ANALYZER)
    arr = np.frombuffer("\n".join(texts).encode("utf-8", "surrogatepass"), dtype=np.uint8)
    text_at = np.zeros(len(texts) + 1, dtype=np.int64)
    np.cumsum([len(t.encode("utf-8", "surrogatepass")) + 1 for t in texts], out=text_at[1:])
    got = list(scan(arr, ids._classes, ids._lower, text_at))
    got[4], got[5] = got[4][got[3]], got[5][got[3]]  # the numpy lines key the fast ones only
    return [a.tolist() for a in got], [a.tolist() for a in ids._scan(arr, text_at)]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.one_of(TEXTS, st.sampled_from(ODD_TEXTS)), min_size=1, max_size=6))
def test_compiled_scan_equals_numpy(texts):
    got, want = _scans(texts)
    assert got == want


def test_compiled_scan_equals_numpy_on_odd_and_real_text():
    from pathlib import Path

    got, want = _scans(ODD_TEXTS)
    assert got == want and len(got[0]) > 40
    assert [t for t in got[4] if t > 0xFFFFFFFFFFFFFF][:1]  # full 8-byte keys kept exact
    docs = Path(__file__).resolve().parents[1] / "data" / "docs"
    paragraphs = [t for p in sorted(docs.glob("*.txt"))
                  for t in p.read_text(encoding="utf-8").split("\n\n")]
    got, want = _scans(paragraphs + ODD_TEXTS)
    assert got == want and len(got[0]) > 1000


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(st.characters(codec=None), st.sampled_from(
    ["\ud800", "\udfff", "\x00", "\x1f", "\x7f", "\u2028", "\"", "\\", "\n\n", "😀"])),
    max_size=40).map("".join))
def test_record_text_is_what_json_writes(text):
    assert build._text_str(text) == json.encoder.encode_basestring(text)


def test_chunk_records_are_the_chunks_as_json_wrote_them(monkeypatch):
    from index.reading.corpus import Note

    texts = ODD_TEXTS + ["".join(map(chr, range(0x80))), "a \"quoted\" \\ path\n\tnext",
                         "\ud800 and \udfff alone", "\u2028\u2029\x85\ufeff"]
    chunks = [Chunk(id=f"d:{i}", doc="d", title="T \"x\"", section="S\n", paragraph=i + 1,
                    paragraph_end=i + 1, part=0, seq=i, start=i, end=i + 1, text=t,
                    notes=(Note("1", "n\u2028"),) if i == 3 else (),
                    boxes=((1, 2, 3, 4, 5),) if i == 4 else ())
              for i, t in enumerate(texts)]
    got = build._record_lines(chunks)
    assert [json.loads(line) for line in got] == [c.to_dict() for c in chunks]
    monkeypatch.setattr(build, "_text_str", build._str)  # json's encoder for the texts too
    assert got == build._record_lines(chunks)


def test_scores_equal_but_for_float_rounding_tie_by_chunk_id():
    from index.search.bm25 import rank_order

    base = 52.81602490591311
    scores = np.array([base, np.nextafter(base, 100), 60.0, base * (1 - 1e-6)])
    ties = np.array([0, 1, 2, 3])  # chunk 0 has the smaller id
    assert rank_order(scores, ties).tolist() == [2, 0, 1, 3]


# -- many askers at once ---------------------------------------------------------------------------


def test_concurrent_searches_give_what_one_at_a_time_gives(corpus, tmp_path):
    from concurrent.futures import ThreadPoolExecutor

    index = build_index(corpus, tmp_path / "index")
    qs = questions(index, 80) * 5
    want = [[(h.chunk.id, h.score) for h in index.search(q)] for q in qs]
    sys.setswitchinterval(1e-6)  # switch threads as often as possible: races show
    try:
        with ThreadPoolExecutor(4) as pool:
            got = list(pool.map(lambda q: [(h.chunk.id, h.score) for h in index.search(q)], qs))
    finally:
        sys.setswitchinterval(0.005)
    assert got == want


def test_a_bad_document_in_a_parallel_build_is_named_and_the_old_index_stays(corpus, tmp_path):
    from index.errors import DataError

    index_dir = tmp_path / "index"
    build_index(corpus, index_dir, workers=2)
    before = (index_dir / "CURRENT").read_text()
    (corpus / "docs" / "doc-30.txt").write_bytes(b"Title\n\nsome text\x00more\n")
    with pytest.raises(DataError, match=r"doc-30\.txt: binary file"):
        build_index(corpus, index_dir, workers=2)
    assert (index_dir / "CURRENT").read_text() == before
    assert not [p for p in index_dir.iterdir() if p.name.startswith(".tmp-")]
