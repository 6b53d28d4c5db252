"""The index as immutable segments plus per-segment deletions, as in Lucene and tantivy.

A fresh build is one segment (its files keep their plain names). Adding or changing a
document analyzes only that document into a small new segment (files `<name>.<what>`); the
chunks of a changed or removed document stay in their segment, marked dead by leaving the
document list. A new generation hard-links every untouched file, so an update costs what the
changed documents hold, not what the collection holds.

Scores equal a full rebuild's: N, the average length and each term's document frequency are
summed over the segments less their dead chunks (each segment keeps the term counts of its
dead chunks), and every segment is scored with those. Each segment's stored bounds (the
largest weight per term and per block of postings) were computed with that segment's own
statistics; a weight is idf x g(tf, length / avgdl) and g grows at most as fast as avgdl, so
the stored bound times (idf now / idf then) x max(1, avgdl now / avgdl then) bounds it under
the combined statistics, which is all MaxScore needs to skip safely.

Chunk numbers are a rebuild's: documents in path order, each document's chunks in a row.
Runs (document -> segment, first local chunk) turn a number into (segment, local) and back.

Manifest of a segmented generation (besides a build's keys):
    segs: [{name, n, dead, dead_len, dead_file, files, records}]  ("" names the build's segment)
    vocab_files: the global vocabulary, the build's terms then each segment's new ones
    docs: each with seg (its segment's name) and local (its first chunk there)
"""
from __future__ import annotations

import json
import os
from collections import Counter
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import SimpleNamespace
from typing import TYPE_CHECKING, Callable

import numpy as np

from . import store
from .analyze import Analyzer, TermIds
from .bm25 import BM25, BM25Params, Hit, Postings, block_ptr, collection_idf, \
    TIE_RTOL, postings_from_forward, rank_order
from .errors import IndexFormatError
from .facts import FACTS_FILE
from .searcher import ChunkIds, Index, Progress, SearchHit, StoredChunks
from .tokens import TOKEN_ARRAYS, ChunkTokens, StoredTokens, offset_dtype, text_tokens

if TYPE_CHECKING:
    from .update import _Survey

SEG_ARRAYS = ("indptr", "docs", "tfs", "doc_len", "chunk_loc", "ids", "id_off", "id_order",
              "term_max", "block_max", *TOKEN_ARRAYS)
MERGE_FACTOR = 8  # this many segments of one size tier are merged into one
MAX_SEGMENTS = 64  # beyond this an update rebuilds (the merge policy keeps it far)
MAX_DEAD_SHARE = 0.5  # with more dead chunks than this share, an update rebuilds
SCAN_PER_CHUNK = 150_000  # postings scanned in the time one chunk is analyzed (~0.3 ms)
_SLACK = 1e-9  # relative, on rescaled bounds: float products in another order


def file_name(seg: str, what: str) -> str:
    return f"{seg}.{what}" if seg else what


# -- the segment table of a generation -----------------------------------------------------------


def segment_table(manifest: dict) -> tuple[list[dict], list[dict], list[str]]:
    """(segments, documents with seg/local, vocabulary files) of a generation; a fresh build's
    manifest reads as one segment with every document live."""
    if "segs" in manifest:
        return manifest["segs"], manifest["docs"], manifest["vocab_files"]
    docs, at = [], 0
    for d in manifest.get("docs", []):
        docs.append(dict(d, seg="", local=at))
        at += int(d.get("chunks", 0))
    files = [f for f in manifest.get("files", {}) if f not in ("vocab.json", FACTS_FILE)]
    seg = {"name": "", "n": int(manifest.get("n_chunks", at)), "dead": 0, "dead_len": 0,
           "dead_file": None, "files": files, "records": list(manifest.get("segments", []))}
    return [seg], docs, ["vocab.json"]


class Segment:
    """One segment's files, memory-mapped: postings (local term ids), chunk records, ids,
    tokens (global term ids) and bounds."""

    def __init__(self, gen: Path, entry: dict) -> None:
        self.entry = entry
        self.name = name = entry["name"]
        a = {}
        try:
            for what in (*SEG_ARRAYS, *(() if not name else ("gterms",))):
                path = gen / f"{file_name(name, what)}.npy"
                a[what] = np.load(path, mmap_mode="r", allow_pickle=False)
            dead = (np.load(gen / entry["dead_file"], allow_pickle=False)
                    if entry.get("dead_file") else np.zeros((2, 0), dtype=np.int64))
        except (OSError, ValueError) as e:
            raise IndexFormatError(f"{gen}: damaged segment {name!r} ({e})") from None
        plain = {k: np.asarray(v).view(np.ndarray) for k, v in a.items()}
        self.postings = Postings(plain["indptr"], plain["docs"], plain["tfs"], plain["doc_len"])
        self.n = n = len(self.postings.doc_len)
        records = entry["records"]
        self.records = store.ChunkRecords(gen, records, a["chunk_loc"])
        self.gterms = plain.get("gterms")  # local term -> global id (None: the same)
        self.term_max, self.block_max = plain["term_max"], plain["block_max"]
        self.ids = ChunkIds(plain["ids"], plain["id_off"], plain["id_order"])
        self.tokens = StoredTokens(a)
        self.dead_df = dead  # (2, m): global term ids and how many dead chunks hold each
        if (n != entry["n"] or len(records) == 0 and n or a["tok_ptr"].shape != (n + 1,)
                or self.term_max.shape != (len(self.postings.indptr) - 1,)
                or self.block_max.shape != (int(block_ptr(self.postings.indptr)[-1]),)):
            raise IndexFormatError(f"{gen}: inconsistent files of segment {name!r}")
        self.bm25: BM25 | None = None
        self.live: np.ndarray | None = None  # bool per local chunk; None: all live
        self.run_local = self.run_global = self.run_count = np.zeros(0, dtype=np.int64)

    def global_terms(self) -> np.ndarray:
        return (np.arange(len(self.postings.indptr) - 1) if self.gterms is None
                else self.gterms)

    def local_term(self, t: int) -> int:
        """This segment's id of global term t, -1 when it holds no such term."""
        if self.gterms is None:
            return t if t < len(self.postings.indptr) - 1 else -1
        j = int(np.searchsorted(self.gterms, t))
        return j if j < len(self.gterms) and self.gterms[j] == t else -1

    def to_global(self, local: np.ndarray) -> np.ndarray:
        """Chunk numbers of live local chunks."""
        j = np.searchsorted(self.run_local, local, side="right") - 1
        return self.run_global[j] + (local - self.run_local[j])

    def allowed_local(self, allowed: np.ndarray | None) -> np.ndarray | None:
        """A filter over chunk numbers as one over this segment's chunks, dead ones out."""
        if allowed is None:
            return self.live
        out = np.zeros(self.n, dtype=bool)
        for lo, g, c in zip(self.run_local.tolist(), self.run_global.tolist(),
                            self.run_count.tolist()):
            out[lo : lo + c] = allowed[g : g + c]
        return out


def _rescaled(seg: Segment, params: BM25Params, idf_now: np.ndarray, avgdl: float
              ) -> tuple[np.ndarray, np.ndarray]:
    """The segment's stored bounds made valid under the combined statistics (module doc)."""
    ind = seg.postings.indptr
    n = seg.n
    idf_then = collection_idf(params, n, np.diff(ind))
    dl_sum = int(np.asarray(seg.postings.doc_len, dtype=np.int64).sum())
    avgdl_then = dl_sum / n if n else 0.0
    grow = max(1.0, avgdl / avgdl_then) if avgdl_then else 0.0
    # where the stored bound says nothing (an IDF then of 0 or less), g's own ceiling: a
    # weight is at most idf x (k1 + 1)
    ceiling = np.maximum(idf_now, 0.0) * (params.k1 + 1)
    known = (idf_then > 0) & (grow > 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(known, idf_now / idf_then * grow, 0.0)
    term_max = np.where(known, seg.term_max * ratio, ceiling) * (1 + _SLACK)
    per_block = np.diff(block_ptr(ind))
    blocks = np.where(np.repeat(known, per_block), seg.block_max * np.repeat(ratio, per_block),
                      np.repeat(ceiling, per_block)) * (1 + _SLACK)
    up = blocks.astype(np.float32)
    low = up < blocks
    up[low] = np.nextafter(up[low], np.float32(np.inf))
    return term_max, up


# -- the opened index ----------------------------------------------------------------------------


class LiveVocab(Mapping):
    """term -> global id, for the terms some live chunk holds (as a rebuild's vocabulary)."""

    def __init__(self, ids: dict[str, int], df: np.ndarray) -> None:
        self._ids, self._df = ids, df
        self._len = int((df > 0).sum())

    def __getitem__(self, term: str) -> int:
        t = self._ids[term]
        if self._df[t] <= 0:
            raise KeyError(term)
        return t

    def __contains__(self, term) -> bool:
        t = self._ids.get(term)
        return t is not None and self._df[t] > 0

    def get(self, term, default=None):
        t = self._ids.get(term)
        return t if t is not None and self._df[t] > 0 else default

    def __len__(self) -> int:
        return self._len

    def __iter__(self):
        return (t for t, i in self._ids.items() if self._df[i] > 0)


class _Records(Sequence):
    """Chunk records by chunk number, read from their segments."""

    def __init__(self, index: "SegmentedIndex") -> None:
        self._index = index

    def __len__(self) -> int:
        return self._index.n_live

    def __getitem__(self, i: int):
        seg, local = self._index.locate(i)
        return seg.records[local]


class _Ids(Mapping):
    """chunk id -> chunk number: the newest segment holding the id live."""

    def __init__(self, index: "SegmentedIndex") -> None:
        self._index = index

    def __len__(self) -> int:
        return self._index.n_live

    def __iter__(self):
        for i in range(len(self)):
            seg, local = self._index.locate(i)
            yield seg.ids.id_at(local)

    def __getitem__(self, cid: str) -> int:
        for seg in reversed(self._index.segments):
            try:
                local = seg.ids[cid]
            except KeyError:
                continue
            if seg.live is None or seg.live[local]:
                return int(seg.to_global(np.asarray([local]))[0])
        raise KeyError(cid)


def _kth(scores: list[np.ndarray], k: int) -> float:
    every = np.concatenate(scores)
    return float(np.partition(every, len(every) - k)[len(every) - k]) if len(every) >= k else -np.inf


def _id_ranks(scores: np.ndarray, where: list[tuple[Segment, int]]) -> np.ndarray:
    """Ranks by chunk id of the candidates whose scores tie with another's (rank_order's
    groups); 0 for the rest. Only ties need their ids read."""
    by_score = np.argsort(-scores, kind="stable")
    s = scores[by_score]
    near = np.zeros(len(s), dtype=bool)
    if len(s) > 1:
        close = s[:-1] - s[1:] <= TIE_RTOL * np.abs(s[:-1])
        near[:-1] |= close
        near[1:] |= close
    ties = np.zeros(len(s), dtype=np.int64)
    tied = by_score[near]
    if len(tied):
        ids = [where[i][0].ids.id_at(where[i][1]) for i in tied.tolist()]
        ties[tied[sorted(range(len(ids)), key=ids.__getitem__)]] = np.arange(1, len(ids) + 1)
    return ties


class SegmentedBM25:
    """What Index.bm25 offers (search, term_weights, baseline), over the segments with the
    combined statistics."""

    def __init__(self, index: "SegmentedIndex", params: BM25Params, idf: np.ndarray,
                 avgdl: float) -> None:
        self._index, self.p, self.idf, self.avgdl = index, params, idf, avgdl
        self.n_docs = index.n_live

    def baseline(self, t: int) -> float:
        return float(self.idf[t] * self.p.delta) if self.p.variant == "plus" else 0.0

    def term_weights(self, t: int) -> tuple[np.ndarray, np.ndarray]:
        """(chunk numbers ascending, contribution above baseline) of one occurrence of t."""
        docs, ws = [], []
        for seg in self._index.segments:
            lt = seg.local_term(t)
            if lt < 0:
                continue
            d, w = seg.bm25.term_weights(lt)
            if seg.live is not None:
                keep = seg.live[d]
                d, w = d[keep], w[keep]
            docs.append(seg.to_global(d.astype(np.int64)))
            ws.append(w)
        if not docs:
            return np.zeros(0, dtype=np.int64), np.zeros(0)
        d, w = np.concatenate(docs), np.concatenate(ws)
        order = np.argsort(d, kind="stable")
        return d[order], w[order]

    def search(self, term_ids: Sequence[int], k: int, tiebreak: np.ndarray | None = None,
               allowed: np.ndarray | None = None) -> list[Hit]:
        """Each segment's top k (MaxScore, the combined statistics), scored again the way a
        single index sums them, merged; ties by chunk id."""
        df = self._index.df_live
        term_ids = [t for t in term_ids if 0 <= t < len(self.idf) and df[t] > 0]
        counts = Counter(term_ids)
        if not counts or k <= 0:
            return []
        base = 0.0
        for t, c in counts.items():
            base += c * self.baseline(t)
        found_g, found_s, found_id = [], [], []  # chunk numbers, scores, (segment, local)
        kth = -np.inf  # the k-th best score found so far
        for seg in sorted(self._index.segments, key=lambda x: -x.n):  # the largest first
            local = {t: seg.local_term(t) for t in counts}
            query = [local[t] for t in term_ids if local[t] >= 0]
            if not query:
                continue
            most = base + sum(c * float(seg.bm25.term_max[local[t]]) for t, c in counts.items()
                              if local[t] >= 0)
            if most * (1 + 1e-6) < kth - 2 * TIE_RTOL * abs(kth):
                continue  # none of its chunks can reach the top k (nor tie with it)
            hits = seg.bm25.search(query, k, tiebreak=seg.rank, allowed=seg.allowed_local(allowed))
            if not hits:
                continue
            mine = 0.0  # the baseline the segment added: its own terms' (BM25.search's sum)
            for t, c in counts.items():
                if local[t] >= 0:
                    mine += c * self.baseline(t)
            if mine == base:  # the same additions in the same order: the same scores
                cand = np.asarray([h.doc for h in hits], dtype=np.int64)
                found_g.append(seg.to_global(cand))
                found_s.append(np.asarray([h.score for h in hits]))
                found_id += [(seg, int(x)) for x in cand]
                kth = _kth(found_s, k)
                continue
            cand = np.sort(np.asarray([h.doc for h in hits], dtype=np.int64))
            scores = np.zeros(len(cand))
            ind, pd, pt = seg.postings.indptr, seg.postings.docs, seg.postings.tfs
            for t, c in counts.items():  # query order, as one index sums them
                lt = local[t]
                if lt < 0:
                    continue
                lo, hi = int(ind[lt]), int(ind[lt + 1])
                j = np.minimum(np.searchsorted(pd[lo:hi], cand), hi - lo - 1) + lo
                held = pd[j] == cand
                w = seg.bm25.weights(lt, cand[held], pt[j[held]])
                scores[held] += w if c == 1 else c * w
            if base:
                scores += base
            found_g.append(seg.to_global(cand))
            found_s.append(scores)
            found_id += [(seg, int(x)) for x in cand]
            kth = _kth(found_s, k)
        if not found_g:
            return []
        g, s = np.concatenate(found_g), np.concatenate(found_s)
        return [Hit(int(g[i]), float(s[i])) for i in rank_order(s, _id_ranks(s, found_id))[:k]]


class SegmentedIndex(Index):
    """An Index over segments: the same chunk numbers, ids, tokens and scores as a rebuild."""

    def __post_init__(self) -> None:  # everything is set by open_segments
        pass

    def locate(self, i: int) -> tuple[Segment, int]:
        if not 0 <= i < self.n_live:
            raise IndexError(i)
        j = int(np.searchsorted(self._doc_start, i, side="right")) - 1
        return self.segments[int(self._doc_seg[j])], int(self._doc_local[j] + i - self._doc_start[j])

    def search_terms(self, terms: list[str], k: int,
                     allowed: np.ndarray | None = None) -> list[SearchHit]:
        hits = self.bm25.search(self.query_term_ids(terms), k, allowed=allowed)
        return [SearchHit(self.chunks[h.doc], h.score, h.doc) for h in hits]

    def _live_terms(self, terms: np.ndarray) -> np.ndarray:
        if not self._dead_terms:
            return terms
        ok = terms >= 0
        ok[ok] = self.df_live[terms[ok]] > 0
        return np.where(ok, terms, -1).astype(np.int32)

    def tokens(self, i: int) -> ChunkTokens:
        seg, local = self.locate(i)
        tok = seg.tokens.tokens(local)
        return tok._replace(terms=self._live_terms(np.asarray(tok.terms)))

    def sentence_spans(self, i: int) -> np.ndarray:
        seg, local = self.locate(i)
        return seg.tokens.sentence_spans(local)

    def df(self, term: str) -> int:
        t = self.vocab.get(term)
        return 0 if t is None else int(self.df_live[t])

    def docs_with(self, term: str) -> frozenset:
        t = self.vocab.get(term)
        if t is None:
            return frozenset()
        where, _ = self.bm25.term_weights(t)
        at = np.unique(np.searchsorted(self._doc_start, where, side="right") - 1)
        docs = self.manifest["docs"]
        return frozenset(docs[i]["id"] for i in at.tolist())


def open_segments(index_dir: Path, analyzer: Analyzer) -> SegmentedIndex:
    """Open a generation of segments: arrays memory-mapped, statistics combined."""
    manifest = store.read_manifest(index_dir)
    if manifest is None:
        raise IndexFormatError(f"{index_dir}: no index yet")
    gen = store.current_generation(index_dir)
    store.verify_files(gen, manifest)
    try:
        params = BM25Params(**manifest["config"]["bm25"])
        entries, docs, vocab_files = segment_table(manifest)
        vocab_list: list[str] = []
        for f in vocab_files:
            vocab_list += json.loads((gen / f).read_text("utf-8"))
        fact_table = (gen / FACTS_FILE).read_bytes()
    except (KeyError, TypeError, OSError, ValueError) as e:
        raise IndexFormatError(f"{gen}: damaged manifest ({e})") from None
    segments = [Segment(gen, e) for e in entries]
    by_name = {s.name: j for j, s in enumerate(segments)}
    n_live = sum(int(d.get("chunks", 0)) for d in docs)
    if n_live != manifest.get("n_chunks") or len(vocab_list) != manifest.get("n_terms"):
        raise IndexFormatError(f"{gen}: inconsistent index files")
    # statistics of the live chunks: every segment's less its dead chunks'
    df = np.zeros(len(vocab_list), dtype=np.int64)
    total_len = 0
    for seg in segments:
        gt = seg.global_terms()
        if len(gt) and int(gt[-1]) >= len(df):
            raise IndexFormatError(f"{gen}: segment {seg.name!r} names unknown terms")
        df[gt] += np.diff(seg.postings.indptr)
        np.subtract.at(df, seg.dead_df[0], seg.dead_df[1])
        total_len += int(np.asarray(seg.postings.doc_len, dtype=np.int64).sum()) - int(seg.entry["dead_len"])
    avgdl = float(total_len) / n_live if n_live else 0.0
    idf = collection_idf(params, n_live, df)
    # documents -> runs of chunk numbers
    doc_seg = np.asarray([by_name.get(d["seg"], -1) for d in docs], dtype=np.int64)
    doc_local = np.asarray([int(d["local"]) for d in docs], dtype=np.int64)
    doc_count = np.asarray([int(d.get("chunks", 0)) for d in docs], dtype=np.int64)
    doc_start = np.zeros(len(docs), dtype=np.int64)
    if len(docs):
        np.cumsum(doc_count[:-1], out=doc_start[1:])
    for j, seg in enumerate(segments):
        mine = np.flatnonzero((doc_seg == j) & (doc_count > 0))
        mine = mine[np.argsort(doc_local[mine], kind="stable")]
        seg.run_local, seg.run_global, seg.run_count = doc_local[mine], doc_start[mine], doc_count[mine]
        if int(seg.run_count.sum()) < seg.n:
            marks = np.zeros(seg.n + 1, dtype=np.int32)
            np.add.at(marks, seg.run_local, 1)
            np.add.at(marks, seg.run_local + seg.run_count, -1)
            seg.live = np.cumsum(marks[:-1]) > 0
        order = np.asarray(seg.ids._order)
        seg.rank = np.empty(seg.n, dtype=np.int32)
        seg.rank[order] = np.arange(seg.n, dtype=np.int32)
        idf_local = idf[seg.global_terms()]
        term_max, block_max = _rescaled(seg, params, idf_local, avgdl)
        seg.bm25 = BM25(seg.postings, params, term_max, block_max, idf=idf_local, avgdl=avgdl)
    index = SegmentedIndex(StoredChunks(None), LiveVocab({t: i for i, t in enumerate(vocab_list)}, df),
                           None, analyzer, manifest)
    index.segments, index.n_live, index.df_live = segments, n_live, df
    index._dead_terms = bool((df <= 0).any())
    index._doc_start, index._doc_seg, index._doc_local = doc_start, doc_seg, doc_local
    index.chunks = StoredChunks(_Records(index))
    index.by_id = _Ids(index)
    index.bm25 = SegmentedBM25(index, params, idf, avgdl)
    index.fact_table = fact_table
    index.path = gen
    return index


# -- writing: a new segment per update, deaths, merges -------------------------------------------


def _segment_arrays(batch, vocab_ids: dict[str, int], new_terms: list[str], params: BM25Params
                    ) -> dict[str, np.ndarray]:
    """A batch of analyzed chunks (build._Batch, the terms of a fresh analysis) as a segment's
    arrays; terms the collection lacks join the global vocabulary (vocab_ids, new_terms)."""
    from .build import _sorted_ids

    bterms = batch.new_terms
    held = np.zeros(len(bterms), dtype=bool)
    held[np.unique(batch.terms)] = True
    for t in sorted(t for t, h in zip(bterms, held.tolist()) if h and t not in vocab_ids):
        vocab_ids[t] = len(vocab_ids)
        new_terms.append(t)
    gid = np.asarray([vocab_ids.get(t, -1) for t in bterms], dtype=np.int64)
    gterms = np.unique(gid[held])
    local = np.searchsorted(gterms, gid).astype(np.int32)
    n = len(batch.ids)
    postings = postings_from_forward(batch.ptr, local[batch.terms], batch.tfs, batch.doc_len,
                                     len(gterms))
    own = BM25(postings, params)  # bounds under the segment's own statistics (module doc)
    blob, id_off, id_order = _sorted_ids(batch.ids)

    def ptr(counts):
        out = np.zeros(len(counts) + 1, dtype=np.int64)
        np.cumsum(counts, out=out[1:])
        return out

    tok_terms = np.asarray(batch.tok_terms, dtype=np.int64)
    pos = offset_dtype(batch.max_offset)
    return {
        "indptr": postings.indptr, "docs": postings.docs, "tfs": postings.tfs,
        "doc_len": postings.doc_len, "gterms": gterms,
        "chunk_loc": np.column_stack([np.zeros(n, dtype=np.int64), batch.loc]),
        "ids": blob, "id_off": id_off, "id_order": id_order,
        "term_max": own.term_max, "block_max": own.block_max,
        "tok_ptr": ptr(batch.tok_count),
        "tok_terms": np.where(tok_terms >= 0, gid[np.maximum(tok_terms, 0)], -1).astype(np.int32),
        "tok_start": batch.tok_start.astype(pos), "tok_end": batch.tok_end.astype(pos),
        "sent_ptr": ptr(batch.sent_count), "sent_tok": batch.sent_tok.astype(np.int32),
        "sent_start": batch.sent_start.astype(pos), "sent_end": batch.sent_end.astype(pos),
    }


def _write_segment(w: store.Writer, name: str, arrays: dict[str, np.ndarray]) -> dict:
    files = [f"{name}.chunks.jsonl"]
    w.add_written(files[0])
    for what, array in arrays.items():
        w.add_array(file_name(name, what), array)
        files.append(f"{file_name(name, what)}.npy")
    return {"name": name, "n": len(arrays["doc_len"]), "dead": 0, "dead_len": 0,
            "dead_file": None, "files": files, "records": [files[0]]}


def _dead_counts(seg: Segment, local: int, count: int, term_ids: TermIds,
                 vocab_ids: dict[str, int]) -> tuple[np.ndarray, int]:
    """(global term ids, one per chunk holding it) of chunks local:local+count of a segment,
    and their length. A few chunks are analyzed again from their records (the analysis is
    the build's); many are found in the postings, whose scan costs what the segment holds."""
    if count * SCAN_PER_CHUNK > len(seg.postings.docs):
        return _dead_counts_scanned(seg, local, count)
    recs = [seg.records[i] for i in range(local, local + count)]
    terms, rows, _ = text_tokens(term_ids, [r.get("section", "") for r in recs],
                                 [r["text"] for r in recs])
    lens = np.bincount(rows, minlength=count)
    stored = np.asarray(seg.postings.doc_len[local : local + count])
    if not np.array_equal(lens, stored):
        raise IndexFormatError(f"segment {seg.name!r}: chunk records disagree with their postings")
    names = list(term_ids.vocab)
    distinct = np.unique((rows.astype(np.int64) << 32) | terms.astype(np.int64)) & 0xFFFFFFFF
    try:
        ids = np.asarray([vocab_ids[names[int(t)]] for t in distinct], dtype=np.int64)
    except KeyError as e:
        raise IndexFormatError(f"segment {seg.name!r}: term {e} of a stored chunk is unknown") from None
    return ids, int(stored.sum())


def _dead_counts_scanned(seg: Segment, local: int, count: int) -> tuple[np.ndarray, int]:
    ind, docs = seg.postings.indptr, seg.postings.docs
    ids = []
    step = 1 << 24  # a slice of postings at a time: memory stays bounded
    for lo in range(0, len(docs), step):
        d = docs[lo : lo + step]
        at = np.flatnonzero((d >= local) & (d < local + count)) + lo
        ids.append(np.searchsorted(ind, at, side="right") - 1)
    terms = np.concatenate(ids) if ids else np.zeros(0, dtype=np.int64)
    length = int(np.asarray(seg.postings.doc_len[local : local + count], dtype=np.int64).sum())
    return seg.global_terms()[terms].astype(np.int64), length


def update(index_dir: Path, analyzer: Analyzer, params: BM25Params, config: dict,
           manifest: dict, survey: "_Survey", progress: Progress | None = None) -> bool:
    """Changed and added documents into one new segment, removed and changed ones' chunks
    dead in theirs; every other file hard-linked. False when a full build is the better deal
    (most documents changed, too many segments or dead chunks)."""
    from .build import _Analysis, _fingerprint
    from .facts import compile_facts, facts_sha
    from .update import UPDATE_SHARE

    todo = [p for p, e in zip(survey.paths, survey.docs) if e is None]
    if len(todo) > UPDATE_SHARE * max(1, len(manifest.get("docs", []))):
        return False
    data_dir = survey.docs_dir.parent
    facts = compile_facts(data_dir, analyzer.aliases.keys())
    if progress:
        progress("updating", 0, 1)
    current = open_segments(index_dir, analyzer)
    m = current.manifest
    entries, table_docs, vocab_files = segment_table(m)
    by_path = {d["path"]: d for d in table_docs}
    kept = {e["path"] for e in survey.docs if e is not None}
    vocab_ids: dict[str, int] = current.vocab._ids
    segs = {s.name: s for s in current.segments}
    term_ids = TermIds(Analyzer(aliases=analyzer.aliases))
    deaths: dict[str, list] = {}
    for d in table_docs:
        if d["path"] in kept or not int(d.get("chunks", 0)):
            continue
        ids, length = _dead_counts(segs[d["seg"]], int(d["local"]), int(d["chunks"]), term_ids,
                                   vocab_ids)
        deaths.setdefault(d["seg"], []).append((ids, length, int(d["chunks"])))
    with store.Writer(index_dir) as w:
        files = m["files"]
        out: list[dict] = []
        for e in entries:
            died = deaths.get(e["name"])
            dead = e["dead"] + sum(c for _, _, c in died or ())
            if dead >= e["n"]:
                continue  # nothing of it lives: its files stay behind
            for f in e["files"]:
                w.link(current.path, f, files[f])
            if not died:
                if e["dead_file"]:
                    w.link(current.path, e["dead_file"], files[e["dead_file"]])
                out.append(e)
                continue
            old = segs[e["name"]].dead_df
            t = np.concatenate([old[0], *(i for i, _, _ in died)])
            c = np.concatenate([old[1], *(np.ones(len(i), dtype=np.int64) for i, _, _ in died)])
            terms, at = np.unique(t, return_inverse=True)
            dead_file = f"{file_name(e['name'], 'dead')}.npy"
            w.add_array(dead_file[: -len(".npy")], np.stack([terms, np.bincount(at, weights=c)
                                                             .astype(np.int64)]))
            out.append(dict(e, dead=dead, dead_len=e["dead_len"] + sum(x for _, x, _ in died),
                            dead_file=dead_file))
        name = f"s{os.urandom(5).hex()}"
        batch = (_Analysis(analyzer.aliases).run(0, todo, survey.docs_dir,
                                                 w.path / f"{name}.chunks.jsonl")
                 if todo else None)
        new_terms: list[str] = []
        if batch is not None and len(batch.ids):
            out.append(_write_segment(w, name, _segment_arrays(batch, vocab_ids, new_terms, params)))
        elif batch is not None:
            (w.path / f"{name}.chunks.jsonl").unlink()
        for f in vocab_files:
            w.link(current.path, f, files[f])
        if new_terms:
            vocab_files = [*vocab_files, f"{name}.vocab.json"]
            w.add_bytes(vocab_files[-1], json.dumps(new_terms, ensure_ascii=False).encode("utf-8"))
        docs, j, at = [], 0, 0
        for e in survey.docs:
            if e is not None:
                docs.append(dict(by_path[e["path"]], size=e["size"], mtime_ns=e["mtime_ns"]))
            else:
                d = batch.docs[j]
                j += 1
                docs.append(dict(d, seg=name, local=at))
                at += int(d.get("chunks", 0))
        n_live = sum(int(d.get("chunks", 0)) for d in docs)
        dead = sum(e["dead"] for e in out)
        if dead > MAX_DEAD_SHARE * (dead + n_live) or len(out) > MAX_SEGMENTS:
            w.abort()
            return False
        w.add_bytes(FACTS_FILE, facts)
        w.publish({
            "fingerprint": _fingerprint(config, [(d["id"], d["sha256"]) for d in docs],
                                        facts_sha(data_dir)),
            "config": config, "docs": docs, "n_chunks": n_live, "n_terms": len(vocab_ids),
            "segs": out, "vocab_files": vocab_files,
            "build": dict(m.get("build", {}), updated_documents=len(todo)),
        })
    if progress:
        progress("updating", 1, 1)
    return True


def _analyzed_records(lines: list[bytes], analyzer: Analyzer) -> SimpleNamespace:
    """Chunk records (JSON lines) analyzed again as a build analyzes documents: what
    _segment_arrays takes (the fields of build._Batch it reads)."""
    from .bm25 import chunk_ptr, tf_dtype
    from .tokens import concat_blocks

    term_ids = TermIds(Analyzer(aliases=analyzer.aliases))
    recs = [json.loads(x) for x in lines]
    n = len(recs)
    terms, rows, block = text_tokens(term_ids, [r.get("section", "") for r in recs],
                                     [r["text"] for r in recs])
    keys, tfs = np.unique((rows.astype(np.int64) << 32) | terms.astype(np.int64), return_counts=True)
    bounds = np.zeros(n + 1, dtype=np.int64)
    np.cumsum([len(x) + 1 for x in lines], out=bounds[1:])
    tok = concat_blocks([block])
    return SimpleNamespace(
        new_terms=list(term_ids.vocab), ids=[r["id"] for r in recs],
        terms=(keys & 0xFFFFFFFF).astype(np.int32), ptr=chunk_ptr(keys >> 32, n),
        tfs=tfs.astype(tf_dtype(int(tfs.max()) if len(tfs) else 0)),
        doc_len=np.bincount(rows, minlength=n).astype(np.int32),
        loc=np.stack([bounds[:-1], bounds[1:] - 1], axis=1),  # without the newline
        max_offset=int(max(tok.sent_end.max(initial=0), tok.tok_end.max(initial=0))),
        **{f: getattr(tok, f) for f in tok._fields})


def tiers(entries: list[dict]) -> list[list[str]]:
    """The merge policy: segments by size tier (live chunks, powers of MERGE_FACTOR); each
    tier that holds MERGE_FACTOR segments or more is merged into one."""
    by_tier: dict[int, list[str]] = {}
    for e in entries:
        live = max(1, e["n"] - e["dead"])
        by_tier.setdefault(int(np.log(live) / np.log(MERGE_FACTOR)), []).append(e["name"])
    return [names for _, names in sorted(by_tier.items()) if len(names) >= MERGE_FACTOR]


def merge(index_dir: Path, analyzer: Analyzer, names: list[str] | None = None,
          everything: bool = False) -> bool:
    """Merge segments (the policy's choice, the named ones, or every one) into one new segment
    of their live chunks, dead ones dropped; a new generation. False when there is nothing to
    merge."""
    current = open_segments(index_dir, analyzer)
    m = current.manifest
    entries, table_docs, vocab_files = segment_table(m)
    if everything:
        names = [e["name"] for e in entries]
    elif names is None:
        groups = tiers(entries)
        if not groups:
            return False
        names = groups[0]
    chosen = set(names)
    if len(chosen) < 2 and not any(e["dead"] for e in entries if e["name"] in chosen):
        return False
    segs = {s.name: s for s in current.segments}
    params = BM25Params(**m["config"]["bm25"])
    vocab_ids: dict[str, int] = current.vocab._ids
    with store.Writer(index_dir) as w:
        files = m["files"]
        name = f"s{os.urandom(5).hex()}"
        lines: list[bytes] = []
        docs = []
        for d in table_docs:
            if d["seg"] in chosen and int(d.get("chunks", 0)):
                seg = segs[d["seg"]]
                lo = int(d["local"])
                d = dict(d, seg=name, local=len(lines))
                lines += [seg.records.raw(i) for i in range(lo, lo + int(d["chunks"]))]
            docs.append(d)
        (w.path / f"{name}.chunks.jsonl").write_bytes(b"".join(x + b"\n" for x in lines))
        out = []
        for e in entries:
            if e["name"] in chosen:
                continue
            for f in [*e["files"], *([e["dead_file"]] if e["dead_file"] else [])]:
                w.link(current.path, f, files[f])
            out.append(e)
        new_terms: list[str] = []
        if lines:
            batch = _analyzed_records(lines, analyzer)
            out.append(_write_segment(w, name, _segment_arrays(batch, vocab_ids, new_terms, params)))
        if new_terms:  # cannot happen: merged chunks hold known terms
            raise IndexFormatError(f"{current.path}: merged chunks hold unknown terms")
        for f in vocab_files:
            w.link(current.path, f, files[f])
        w.link(current.path, FACTS_FILE, files[FACTS_FILE])
        w.publish(dict(m, docs=docs, segs=out, vocab_files=vocab_files,
                       build=dict(m.get("build", {}), merged=len(chosen))))
    return True


def refresh(data_dir: Path, index_dir: Path, compact: bool = False,
            progress: Progress | None = None,
            notice: Callable[[str], None] = lambda msg: None) -> Index:
    """What `docbot index` does: the changed documents into a new segment (a build when
    there is no usable index), then the merge policy until no tier is full; compact: one
    fresh segment of everything, built from the documents."""
    if compact:
        return Index.build(data_dir, index_dir, progress=progress)
    index = Index.open(data_dir, index_dir, notice=notice, progress=progress)
    merged = False
    while merge(index_dir, index.analyzer):
        merged = True
    return Index.load(index_dir, index.analyzer) if merged else index
