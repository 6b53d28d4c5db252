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

This module reads segments only: update.py writes an update's segment and merge.py merges
segments.
"""
from __future__ import annotations

import bisect
import json
import threading
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path

import numpy as np

from . import kernels, store
from .analyze import Analyzer
from .bm25 import BM25, BM25Params, Hit, Postings, block_ptr, collection_idf, TIE_RTOL, rank_order
from ..errors import IndexFormatError
from ..facts import FACTS_FILE
from .searcher import ChunkIds, Index, SearchHit, StoredChunks, _prefault
from .tokens import TokenRuns, TOKEN_ARRAYS, ChunkTokens, StoredTokens

SEG_ARRAYS = ("indptr", "docs", "tfs", "doc_len", "chunk_loc", "ids", "id_off", "id_order",
              "term_max", "block_max", *TOKEN_ARRAYS)
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

    def many(self, rows: Sequence[int]) -> list:
        """self[i] of each row, each segment's read in one call."""
        parts = self._index.split(rows)
        if len(parts) == 1:
            (s, (_, local)), = parts.items()
            return self._index.segments[s].records.many(local)
        out: list = [None] * len(rows)
        for s, (at, local) in parts.items():
            for r, rec in zip(at, self._index.segments[s].records.many(local)):
                out[r] = rec
        return out


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


_NO_HITS = (np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float64))


def _kth(scores: list[np.ndarray], k: int) -> float:
    every = np.concatenate(scores)
    return float(np.partition(every, len(every) - k)[len(every) - k]) if len(every) >= k else -np.inf


class _Where:
    """(segment, local chunk number) of each candidate the segments gave, in order, kept as
    one array per segment: only tied candidates are ever looked up."""

    def __init__(self) -> None:
        self._starts: list[int] = []
        self._runs: list[tuple[Segment, np.ndarray]] = []
        self._n = 0

    def add(self, seg: Segment, local: np.ndarray) -> None:
        self._starts.append(self._n)
        self._runs.append((seg, local))
        self._n += len(local)

    def one_segment(self, at: np.ndarray) -> Segment | None:
        """The segment that gave all the candidates at these positions, if one did."""
        if len(self._runs) == 1:
            return self._runs[0][0]
        j = np.searchsorted(self._starts, at, side="right") - 1
        return self._runs[int(j[0])][0] if (j == j[0]).all() else None

    def locals(self, at: np.ndarray) -> np.ndarray:
        """The local chunk numbers of the candidates at these positions."""
        return np.concatenate([local for _, local in self._runs])[at]

    def __getitem__(self, i: int) -> tuple[Segment, int]:
        j = bisect.bisect_right(self._starts, i) - 1
        seg, local = self._runs[j]
        return seg, int(local[i - self._starts[j]])


def _id_ranks(scores: np.ndarray, where: "_Where | list[tuple[Segment, int]]") -> np.ndarray:
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
    one = where.one_segment(tied) if len(tied) and isinstance(where, _Where) else None
    if one is not None:
        # all from one segment: its rank of each chunk by id orders them as their ids do
        order = np.argsort(one.rank[where.locals(tied)], kind="stable")
        ties[tied[order]] = np.arange(1, len(tied) + 1)
    elif len(tied):
        ids = [where[i][0].ids.id_at(where[i][1]) for i in tied.tolist()]
        ties[tied[sorted(range(len(ids)), key=ids.__getitem__)]] = np.arange(1, len(ids) + 1)
    return ties


_split_rows = None  # segment_kernels.split_rows once imported (it imports numba)
_rank_merged = None  # maxscore.rank_merged, likewise


class SegmentedBM25:
    """What Index.bm25 offers (search, term_weights, baseline), over the segments with the
    combined statistics."""

    def __init__(self, index: "SegmentedIndex", params: BM25Params, idf: np.ndarray,
                 avgdl: float) -> None:
        self._index, self.p, self.idf, self.avgdl = index, params, idf, avgdl
        self.n_docs = index.n_live
        segs = index.segments
        self._by_size = sorted(range(len(segs)), key=lambda j: -segs[j].n)  # stable, as before
        self._keys: list[np.ndarray] | None = None  # _id_keys
        self._lock = threading.Lock()

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
        g, s = self.search_arrays(term_ids, k, allowed)
        return [Hit(d, x) for d, x in zip(g.tolist(), s.tolist())]

    def search_arrays(self, term_ids: Sequence[int], k: int, allowed: np.ndarray | None = None
                      ) -> tuple[np.ndarray, np.ndarray]:
        """search() as (chunk numbers, scores), best first."""
        df = self._index.df_live
        n_terms = len(self.idf)
        term_ids = [t for t in term_ids if 0 <= t < n_terms]
        if term_ids:
            live = (df[term_ids] > 0).tolist()
            term_ids = [t for t, ok in zip(term_ids, live) if ok]
        counts = Counter(term_ids)
        if not counts or k <= 0:
            return _NO_HITS
        plus = self.p.variant == "plus"
        base = 0.0
        if plus:  # (okapi: no baseline, every sum below 0.0)
            # each asked term's baseline times its count, read once for every sum below
            added = {t: c * self.baseline(t) for t, c in counts.items()}
            for x in added.values():
                base += x
        found_g, found_s = [], []  # chunk numbers, scores
        found_id = _Where()  # (segment, local) of each, read only for ties
        keys = self._id_keys() if kernels.compiled() else None
        found_key = []  # with keys: each candidate's place among all ids
        # numba loaded, MaxScore's formula: each segment's compiled search called directly
        direct = keys is not None and self.p.variant in ("okapi", "plus")
        kth = -np.inf  # the k-th best score found so far
        stale = False  # found_s grew since kth was found (found again only when read)
        asked = np.fromiter(counts, dtype=np.int64, count=len(counts))
        mults = list(counts.values())
        mult_all = np.asarray(mults, dtype=np.float64)
        for si in self._by_size:  # the largest segment first
            seg = self._index.segments[si]
            lt = seg.lterm[asked]
            lt_list = lt.tolist()
            if max(lt_list) < 0:
                continue  # it holds no term of the question
            local = dict(zip(counts, lt_list))
            most = base + sum([c * m for c, m, j in zip(mults, seg.bm25.term_max[lt].tolist(),
                                                        lt_list) if j >= 0])
            if stale:
                kth, stale = _kth(found_s, k), False
            if most * (1 + 1e-6) < kth - 2 * TIE_RTOL * abs(kth):
                continue  # none of its chunks can reach the top k (nor tie with it)
            got = None
            if direct:  # search_arrays' counting done here already, for every segment
                use = (lt >= 0) & seg.has_postings[lt]
                if not use.any():
                    continue
                got = seg.bm25.search_held(lt[use], mult_all[use], k, seg.rank,
                                           seg.allowed_local(allowed), seg.run_local,
                                           seg.run_global, keys[si])
            if got is None:
                top, top_scores = seg.bm25.search_arrays(
                    [local[t] for t in term_ids if local[t] >= 0], k, tiebreak=seg.rank,
                    allowed=seg.allowed_local(allowed))
                g_top = key_top = None
            else:
                top, top_scores, g_top, key_top = got
            if not len(top):
                continue
            mine = 0.0  # the baseline the segment added: its own terms' (BM25.search's sum)
            if plus:
                for t, x in added.items():
                    if local[t] >= 0:
                        mine += x
            if mine == base:  # the same additions in the same order: the same scores
                found_g.append(seg.to_global(top) if g_top is None else g_top)
                found_s.append(top_scores)
                found_id.add(seg, top)
                if keys is not None:
                    found_key.append(keys[si][top] if key_top is None else key_top)
                stale = True
                continue
            cand = np.sort(top)
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
            found_id.add(seg, cand)
            if keys is not None:
                found_key.append(keys[si][cand])
            stale = True
        if not found_g:
            return _NO_HITS
        if len(found_g) == 1:
            g, s = found_g[0], found_s[0]
        else:
            g, s = np.concatenate(found_g), np.concatenate(found_s)
        if keys is not None:  # ordered in one compiled call, ties by the ids' places
            global _rank_merged
            if _rank_merged is None:
                from .maxscore import rank_merged as _rank_merged
            ties = found_key[0] if len(found_key) == 1 else np.concatenate(found_key)
            at = _rank_merged(s, ties, TIE_RTOL, int(k))
        else:
            at = rank_order(s, _id_ranks(s, found_id))[:k]
        return g[at], s[at]

    def _id_keys(self) -> list[np.ndarray]:
        """Per segment, each local chunk's place among the ids of every segment (its own
        rank plus how many ids of each other segment sort before it): chunks order by it as
        by their ids, equal ids alike, so tied candidates need no id read. Made on the first
        compiled search (38 ms at a million chunks in two segments, the background warm-up's
        question in a process that answers), then kept."""
        keys = self._keys
        if keys is None:
            with self._lock:
                keys = self._keys
                if keys is None:
                    from .maxscore import ids_below

                    segs = self._index.segments
                    keys = [seg.rank.astype(np.int64) for seg in segs]
                    for a, sa in enumerate(segs):
                        for b, sb in enumerate(segs):
                            if a != b:
                                keys[a] += ids_below(sa.ids._blob, sa.ids._off, sa.ids._order,
                                                     sb.ids._blob, sb.ids._off, sb.ids._order)
                    if sum(seg.n for seg in segs) < 1 << 31:  # half the memory: 4 MB a million
                        keys = [k.astype(np.int32) for k in keys]
                    self._keys = keys
        return keys


class SegmentedIndex(Index):
    """An Index over segments: the same chunk numbers, ids, tokens and scores as a rebuild."""

    def __post_init__(self) -> None:  # everything is set by open_segments
        pass

    def split(self, positions: Sequence[int]) -> dict[int, tuple[list[int], list[int]]]:
        """Chunk numbers by segment: segment index -> (their places in positions, their local
        numbers), in order; one numpy search for them all, not one bisect each."""
        pos = np.asarray(positions, dtype=np.int64)
        if not len(pos):
            return {}
        if kernels.compiled():  # one compiled call, not ten numpy ones
            global _split_rows
            if _split_rows is None:
                from .segment_kernels import split_rows as _split_rows
            segs, local, bad = _split_rows(pos, self._doc_start, self._doc_seg,
                                           self._doc_local, self.n_live)
            if bad >= 0:
                raise IndexError(int(pos[bad]))
            segs, local = segs.tolist(), local.tolist()
            first = segs[0]
            if segs.count(first) == len(segs):
                return {first: (list(range(len(local))), local)}
        else:
            if pos.min() < 0 or pos.max() >= self.n_live:
                raise IndexError(int(pos[(pos < 0) | (pos >= self.n_live)][0]))
            j = np.searchsorted(self._doc_start, pos, side="right") - 1
            segs = self._doc_seg[j]
            local = (self._doc_local[j] + pos - self._doc_start[j]).tolist()
            first = int(segs[0])
            if (segs == first).all():
                return {first: (list(range(len(local))), local)}
            segs = segs.tolist()
        out: dict[int, tuple[list[int], list[int]]] = {}
        for r, (s, lo) in enumerate(zip(segs, local)):
            at, loc = out.setdefault(s, ([], []))
            at.append(r)
            loc.append(lo)
        return out

    def locate(self, i: int) -> tuple[Segment, int]:
        if not 0 <= i < self.n_live:
            raise IndexError(i)
        starts, segs, locals_ = self._runs
        j = bisect.bisect_right(starts, i) - 1
        return self.segments[segs[j]], int(locals_[j] + i - starts[j])

    def search_terms(self, terms: list[str], k: int,
                     allowed: np.ndarray | None = None) -> list[SearchHit]:
        g, s = self.bm25.search_arrays(self.query_term_ids(terms), k, allowed=allowed)
        chunks = self.chunks
        return [SearchHit(None, x, d, chunks) for d, x in zip(g.tolist(), s.tolist())]

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

    def mapped_tokens(self, positions: Sequence[int], vocab_ids: np.ndarray,
                      local_ids: np.ndarray) -> list[ChunkTokens]:
        # a dead term is not among vocab_ids (live terms only), so it maps to -1 as in tokens()
        out: list = [None] * len(positions)
        by_seg = self.split(positions)
        if len(by_seg) == 1:  # one segment's rows, in order: its list (and flat runs) as is
            (s, (_, local)), = by_seg.items()
            return self.segments[s].tokens.mapped(local, vocab_ids, local_ids)
        for s, (at, local) in by_seg.items():
            for r, t in zip(at, self.segments[s].tokens.mapped(local, vocab_ids, local_ids)):
                out[r] = t
        return TokenRuns(out)  # no flat runs: the second stage joins them (and keeps them)

    def sentence_spans(self, i: int) -> np.ndarray:
        seg, local = self.locate(i)
        return seg.tokens.sentence_spans(local)

    def sentence_pairs(self, i: int) -> list[tuple[int, int]]:
        seg, local = self.locate(i)
        return seg.tokens.sentence_pairs(local)

    def sentence_around(self, i: int, offset: int) -> tuple[int, int] | None:
        seg, local = self.locate(i)
        return seg.tokens.sentence_around(local, offset)

    def sentences_around(self, positions: Sequence[int], offsets: Sequence[int]
                         ) -> list[tuple[int, int] | None]:
        out: list = [None] * len(positions)
        for s, (at, local) in self.split(positions).items():
            got = self.segments[s].tokens.sentences_around(local, [offsets[r] for r in at])
            for r, span in zip(at, got):
                out[r] = span
        return out

    def df(self, term: str) -> int:
        t = self.vocab.get(term)
        return 0 if t is None else int(self.df_live[t])

    def _live_postings(self, t: int) -> Iterator[tuple[Segment, np.ndarray]]:
        """Of each segment holding term t, in segment order: the segment and its live chunks
        holding t (local numbers, ascending)."""
        for seg in self.segments:
            lt = seg.local_term(t)
            if lt < 0:
                continue
            ind = seg.postings.indptr
            d = seg.postings.docs[int(ind[lt]) : int(ind[lt + 1])]
            if seg.live is not None:
                d = d[seg.live[d]]
            yield seg, d

    def chunks_with(self, term: str, limit: int) -> list[int]:
        t = self.vocab.get(term)
        if t is None or limit <= 0:
            return []
        out: list[int] = []
        # in segment order, as Index.chunks_with reads one
        for seg, d in self._live_postings(t):
            out.extend(seg.to_global(d[: limit - len(out)].astype(np.int64)).tolist())
            if len(out) >= limit:
                break
        return out

    def docs_with(self, term: str) -> frozenset:
        t = self.vocab.get(term)
        if t is None:
            return frozenset()
        # the live chunks holding it, as term_weights finds them, without their weights or
        # an order (a common term's postings at a million chunks: milliseconds of both)
        parts = [seg.to_global(d.astype(np.int64)) for seg, d in self._live_postings(t)]
        if not parts:
            return frozenset()
        where = np.concatenate(parts)
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
        # global term id -> this segment's (-1: none), one array read per question
        seg.lterm = np.full(len(vocab_list), -1, dtype=np.int64)
        seg.lterm[seg.global_terms()] = np.arange(len(seg.postings.indptr) - 1)
        seg.has_postings = np.diff(seg.postings.indptr) > 0  # per local term
        idf_local = idf[seg.global_terms()]
        term_max, block_max = _rescaled(seg, params, idf_local, avgdl)
        seg.bm25 = BM25(seg.postings, params, term_max, block_max, idf=idf_local, avgdl=avgdl)
        _prefault(seg.postings)
    index = SegmentedIndex(StoredChunks(None), LiveVocab({t: i for i, t in enumerate(vocab_list)}, df),
                           None, analyzer, manifest)
    index.segments, index.n_live, index.df_live = segments, n_live, df
    index._dead_terms = bool((df <= 0).any())
    index._doc_start, index._doc_seg, index._doc_local = doc_start, doc_seg, doc_local
    # the same as lists: locate() bisects them per chunk, cheaper than numpy per call
    index._runs = (doc_start.tolist(), doc_seg.tolist(), doc_local.tolist())
    index.chunks = StoredChunks(_Records(index))
    index.by_id = _Ids(index)
    index.bm25 = SegmentedBM25(index, params, idf, avgdl)
    index.fact_table = fact_table
    index.path = gen
    return index
