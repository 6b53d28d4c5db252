"""Incremental update: what changed since the index was built, and merging re-analyzed
documents into the stored postings, with the chunk texts of every other document hard-linked
from the previous generation.
"""
from __future__ import annotations

import bisect
import json
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from . import store
from .analyze import Analyzer
from .bm25 import BM25Params, Postings, tf_dtype
from .build import (_ARRAY_NAMES, Progress, _Analysis, _fingerprint, _sha256, _write_arrays,
                    _write_tokens)
from .reading.corpus import doc_paths
from .facts import FACTS_FILE, compile_facts, facts_sha
from .errors import DataError, IndexFormatError
from .searcher import ChunkIds

UPDATE_SHARE = 0.5  # re-analyze changed documents alone while they are at most this share
MAX_SEGMENTS = 128  # chunk record files; an update that would need more rebuilds compactly
CHANGED = "documents changed since the index was built; rebuilding"


# -- what changed since the index was built ------------------------------------------------------


@dataclass
class _Survey:
    docs_dir: Path
    paths: list[Path]  # the documents now, in index order
    docs: list[dict | None]  # per path: its stored entry when its content is unchanged
    changed: bool


def _survey(manifest: dict, data_dir: Path, config: dict) -> _Survey | None:
    """Compare the documents with those the index was built from (None: the settings changed
    or the folder is unusable: rebuild). Files whose size and mtime are unchanged are not
    re-read; a touched file whose content is the same counts as unchanged."""
    if manifest.get("config") != config:
        return None
    try:
        paths = doc_paths(data_dir)
    except DataError:
        return None
    docs_dir = data_dir / "docs"
    known = {d.get("path"): d for d in manifest.get("docs", [])}
    entries: list[dict | None] = []
    shas = []
    cut = len(str(docs_dir)) + 1
    for p in paths:
        rel = str(p)[cut:]  # p.relative_to(docs_dir), without pathlib's cost per file
        entry = known.get(rel)
        st = p.stat()
        if entry is not None and st.st_size == entry.get("size") and st.st_mtime_ns == entry.get("mtime_ns"):
            sha = entry.get("sha256")
        else:
            sha = _sha256(p)
        shas.append((rel[: -len(p.suffix)] if p.suffix else rel, sha))  # doc_id_for(p, docs_dir)
        same = entry is not None and entry.get("sha256") == sha
        entries.append(dict(entry, size=st.st_size, mtime_ns=st.st_mtime_ns) if same else None)
    fresh = _fingerprint(config, shas, facts_sha(data_dir)) == manifest.get("fingerprint")
    return _Survey(docs_dir, paths, entries, not fresh)


# -- incremental update --------------------------------------------------------------------------


def _update(index_dir: Path, analyzer: Analyzer, params: BM25Params, config: dict,
            manifest: dict, survey: _Survey, progress: Progress | None) -> bool:
    """Re-analyze only the changed and added documents and merge them into the stored index.
    False when a full build is the better deal: most documents changed, or the chunk segments
    would hold more dead records than live ones. The result equals a full build's."""
    old_docs = manifest.get("docs", [])
    todo = [p for p, e in zip(survey.paths, survey.docs) if e is None]
    if (len(todo) > UPDATE_SHARE * max(1, len(old_docs))
            or len(manifest.get("segments", [])) >= MAX_SEGMENTS):
        return False
    data_dir = survey.docs_dir.parent
    facts = compile_facts(data_dir, analyzer.aliases.keys())
    stored = store.load(index_dir)
    a = stored.arrays
    if not isinstance(stored.chunks, store.ChunkRecords) or any(k not in a for k in _ARRAY_NAMES):
        raise IndexFormatError(f"{stored.path}: incomplete index files")
    if progress:
        progress("updating", 0, 1)
    old_row = {d["path"]: i for i, d in enumerate(old_docs)}
    old_start = np.concatenate([[0], np.cumsum([d["chunks"] for d in old_docs], dtype=np.int64)])
    with store.Writer(index_dir) as w:
        seg_name = f"chunks-{os.urandom(6).hex()}.jsonl"
        batch = (_Analysis(analyzer.aliases).run(0, todo, survey.docs_dir, w.path / seg_name)
                 if todo else None)
        # the new chunk order: documents in path order, each either kept or from the batch
        n_old = len(stored.chunks)
        new_pos = np.full(n_old, -1, dtype=np.int32)  # old position -> new position
        batch_pos = np.zeros(len(batch.ids) if batch else 0, dtype=np.int64)
        b_start = np.concatenate([[0], np.cumsum([d["chunks"] for d in batch.docs],
                                                 dtype=np.int64)]) if batch else None
        pieces: list[tuple[bool, int, int, int]] = []  # (kept?, start, end, new start)
        docs: list[dict] = []
        pos = bdoc = 0
        for entry in survey.docs:
            if entry is not None:
                i = old_row[entry["path"]]
                s, e = int(old_start[i]), int(old_start[i + 1])
                new_pos[s:e] = np.arange(pos, pos + e - s)
                pieces.append((True, s, e, pos))
                docs.append(entry)
            else:
                s, e = int(b_start[bdoc]), int(b_start[bdoc + 1])
                batch_pos[s:e] = np.arange(pos, pos + e - s)
                pieces.append((False, s, e, pos))
                docs.append(batch.docs[bdoc])
                bdoc += 1
            pos += e - s
        n = pos

        segments, loc, doc_len = _merge_chunks(w, stored, manifest, pieces, batch, seg_name, n)
        if segments is None:  # mostly dead records: a full build writes them compactly
            w.abort()
            return False
        vocab, postings, old_map, batch_map = _merge_postings(stored, new_pos, batch, batch_pos,
                                                              doc_len)
        blob, id_off, id_order = _merge_ids(a, pieces, new_pos, batch, batch_pos, n)
        _write_arrays(w, postings, loc, blob, id_off, id_order, params)
        _merge_tokens(w, a, pieces, batch, old_map, batch_map)
        if vocab is stored.vocab:
            w.link(stored.path, "vocab.json", manifest["files"]["vocab.json"])
        else:
            w.add_bytes("vocab.json", json.dumps(vocab, ensure_ascii=False).encode("utf-8"))
        w.add_bytes(FACTS_FILE, facts)
        w.publish({
            "fingerprint": _fingerprint(config, [(d["id"], d["sha256"]) for d in docs],
                                        facts_sha(data_dir)),
            "config": config, "docs": docs, "n_chunks": n, "n_terms": len(vocab),
            "segments": segments, "arrays": list(_ARRAY_NAMES),
            "build": dict(manifest.get("build", {}), updated_documents=len(todo)),
        })
    if progress:
        progress("updating", 1, 1)
    return True


def _merge_chunks(w: store.Writer, stored: store.Stored, manifest: dict, pieces, batch,
                  seg_name: str, n: int):
    """Chunk records: kept ones stay in their (hard-linked) segments, the batch's are in a new
    one. Returns (segments, chunk_loc, doc_len), or Nones when dead bytes would outweigh live."""
    a = stored.arrays
    old_loc = a["chunk_loc"]
    old_segments = list(manifest.get("segments", []))
    live = np.zeros(len(old_segments), dtype=np.int64)
    for kept, s, e, _ in pieces:
        if kept and e > s:
            rows = np.asarray(old_loc[s:e])
            live += np.bincount(rows[:, 0], weights=rows[:, 2] - rows[:, 1] + 1,
                                minlength=len(old_segments)).astype(np.int64)
    added = int((batch.loc[:, 1] - batch.loc[:, 0] + 1).sum()) if batch is not None else 0
    total = sum(manifest["files"][s]["bytes"] for s, u in zip(old_segments, live) if u)
    if total - int(live.sum()) > int(live.sum()) + added:
        return None, None, None
    used = live > 0
    seg_map = np.cumsum(used) - 1
    segments = [s for s, u in zip(old_segments, used) if u]
    for s in segments:
        w.link(stored.path, s, manifest["files"][s])
    if batch is not None:
        if len(batch.ids):
            w.add_written(seg_name)
            segments.append(seg_name)
        else:
            (w.path / seg_name).unlink()
    loc = np.empty((n, 3), dtype=np.int64)
    doc_len = np.empty(n, dtype=np.int32)
    for kept, s, e, t in pieces:
        if kept:
            loc[t : t + e - s, 0] = seg_map[old_loc[s:e, 0]]
            loc[t : t + e - s, 1:] = old_loc[s:e, 1:]
            doc_len[t : t + e - s] = a["doc_len"][s:e]
        else:
            loc[t : t + e - s, 0] = len(segments) - 1
            loc[t : t + e - s, 1:] = batch.loc[s:e]
            doc_len[t : t + e - s] = batch.doc_len[s:e]
    return segments, loc, doc_len


def _merge_postings(stored: store.Stored, new_pos: np.ndarray, batch, batch_pos: np.ndarray,
                    doc_len: np.ndarray):
    """Postings of the kept chunks (renumbered; they stay in term order) with the batch's
    inserted where they belong; terms no chunk holds any more leave the vocabulary. Returns
    (vocabulary, postings, old term id -> new, batch term id -> new)."""
    a = stored.arrays
    old_vocab: list[str] = stored.vocab
    indptr = np.asarray(a["indptr"])
    df = np.diff(indptr)
    mapped = new_pos[a["docs"]]
    gone = np.flatnonzero(mapped < 0)  # postings of the chunks that leave
    if len(gone) == 0:
        kept_docs, kept_tfs, kept_counts = mapped, np.asarray(a["tfs"]), df
    else:
        keep = np.ones(len(mapped), dtype=bool)
        keep[gone] = False
        kept_docs, kept_tfs = mapped[keep], np.asarray(a["tfs"])[keep]
        gone_terms = np.searchsorted(indptr, gone, side="right") - 1
        kept_counts = df - np.bincount(gone_terms, minlength=len(old_vocab))
        del keep
    del mapped, gone
    kept_ptr = np.zeros(len(old_vocab) + 1, dtype=np.int64)
    np.cumsum(kept_counts, out=kept_ptr[1:])

    # the combined vocabulary (sorted): old terms and the batch's fresh ones
    bterms = batch.new_terms if batch is not None else []
    old_id = {t: i for i, t in enumerate(old_vocab)} if bterms else {}
    b_old = np.array([old_id.get(t, -1) for t in bterms], dtype=np.int64)
    fresh = sorted(t for t, o in zip(bterms, b_old.tolist()) if o < 0)
    fresh_at = np.array([bisect.bisect_left(old_vocab, t) for t in fresh], dtype=np.int64)
    old_comb = np.arange(len(old_vocab)) + np.searchsorted(fresh_at, np.arange(len(old_vocab)),
                                                           side="right")
    fresh_comb = fresh_at + np.arange(len(fresh))
    n_comb = len(old_vocab) + len(fresh)
    # per combined id: where its postings go among the kept ones
    comb_base = np.empty(n_comb, dtype=np.int64)
    comb_base[old_comb] = np.arange(len(old_vocab))
    comb_base[fresh_comb] = fresh_at
    comb_old = np.zeros(n_comb, dtype=bool)
    comb_old[old_comb] = True
    fresh_of = {t: j for j, t in enumerate(fresh)}
    b_comb = np.array([old_comb[o] if o >= 0 else fresh_comb[fresh_of[t]]
                       for t, o in zip(bterms, b_old.tolist())], dtype=np.int64)
    counts = np.zeros(n_comb, dtype=np.int64)
    counts[old_comb] = kept_counts

    if batch is not None and len(batch.terms):
        rows = np.repeat(np.arange(len(batch.ids), dtype=np.int64), np.diff(batch.ptr))
        bt, bp = b_comb[batch.terms], batch_pos[rows]
        order = np.lexsort((bp, bt))
        bt, bp, btf = bt[order], bp[order], batch.tfs[order]
        counts += np.bincount(bt, minlength=n_comb)
        ins = np.empty(len(bt), dtype=np.int64)
        cut = np.flatnonzero(np.diff(bt)) + 1
        for s, e in zip([0, *cut.tolist()], [*cut.tolist(), len(bt)]):
            c = int(bt[s])
            o = int(comb_base[c])
            if comb_old[c]:
                lo, hi = kept_ptr[o], kept_ptr[o + 1]
                ins[s:e] = lo + np.searchsorted(kept_docs[lo:hi], bp[s:e])
            else:
                ins[s:e] = kept_ptr[o]
        dtype = tf_dtype(max(int(kept_tfs.max()) if len(kept_tfs) else 0, int(btf.max())))
        docs = np.insert(kept_docs.astype(np.int32, copy=False), ins, bp.astype(np.int32))
        tfs = np.insert(kept_tfs.astype(dtype, copy=False), ins, btf.astype(dtype))
    else:
        dtype = tf_dtype(int(kept_tfs.max()) if len(kept_tfs) else 0)
        docs, tfs = kept_docs.astype(np.int32, copy=False), kept_tfs.astype(dtype, copy=False)
    alive = counts > 0
    if not fresh and alive.all():
        vocab = old_vocab
    else:
        merged = iter(fresh)
        nxt = next(merged, None)
        vocab, oi = [], 0
        comb_old_list = comb_old.tolist()
        for c, live in enumerate(alive.tolist()):
            if comb_old_list[c]:
                t = old_vocab[oi]
                oi += 1
            else:
                t, nxt = nxt, next(merged, None)
            if live:
                vocab.append(t)
    indptr_new = np.zeros(int(alive.sum()) + 1, dtype=np.int64)
    np.cumsum(counts[alive], out=indptr_new[1:])
    final = np.where(alive, np.cumsum(alive) - 1, -1)
    return (vocab, Postings(indptr_new, docs, tfs, doc_len), final[old_comb],
            final[b_comb] if len(b_comb) else np.zeros(0, dtype=np.int64))


def _merge_tokens(w: store.Writer, a: dict, pieces, batch, old_map: np.ndarray,
                  batch_map: np.ndarray) -> None:
    """The chunk tokens in the new chunk order: kept chunks' from the stored arrays (term ids
    renumbered), the batch's from the batch."""
    tp, sp = np.asarray(a["tok_ptr"]), np.asarray(a["sent_ptr"])
    if batch is not None:
        btp = np.concatenate([[0], np.cumsum(batch.tok_count)])
        bsp = np.concatenate([[0], np.cumsum(batch.sent_count)])
        b_arrays = {f: getattr(batch, f) for f in _TOKEN_FIELDS}
    parts = []
    for kept, s, e, _ in pieces:
        src, t, q = (a, tp, sp) if kept else (b_arrays, btp, bsp)

        def get(name, src=src, t=t, q=q, s=s, e=e):
            if name in ("tok_count", "sent_count"):
                p = t if name == "tok_count" else q
                return np.diff(p[s : e + 1])
            stored = _TOKEN_FIELDS[name] if src is a else name
            p = t if name.startswith("tok") else q
            return np.asarray(src[stored][p[s] : p[e]])
        parts.append((get, old_map if kept else batch_map))
    wide = a["tok_end"].dtype != np.uint16 or a["sent_end"].dtype != np.uint16
    _write_tokens(w, parts, max(1 << 16 if wide else 0,
                                batch.max_offset if batch is not None else 0))


# _Batch field -> stored array name (they are the same but for the counts)
_TOKEN_FIELDS = {"tok_terms": "tok_terms", "tok_start": "tok_start", "tok_end": "tok_end",
                 "sent_tok": "sent_tok", "sent_start": "sent_start", "sent_end": "sent_end"}


def _merge_ids(a: dict, pieces, new_pos: np.ndarray, batch, batch_pos: np.ndarray, n: int):
    """The ids blob, offsets and id order: kept ids keep their order, the batch's are inserted
    by binary search."""
    parts, lens = [], np.zeros(n, dtype=np.int64)
    old_off = a["id_off"]
    for kept, s, e, t in pieces:
        if kept:
            parts.append(np.asarray(a["ids"][int(old_off[s]) : int(old_off[e])]))
            lens[t : t + e - s] = np.diff(old_off[s : e + 1])
        else:
            enc = [cid.encode("utf-8") for cid in batch.ids[s:e]]
            parts.append(np.frombuffer(b"".join(enc), dtype=np.uint8))
            lens[t : t + e - s] = [len(x) for x in enc]
    blob = np.concatenate(parts) if parts else np.zeros(0, dtype=np.uint8)
    id_off = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(lens, out=id_off[1:])
    kept_order = new_pos[np.asarray(a["id_order"])]
    kept_order = kept_order[kept_order >= 0].astype(np.int32)
    if batch is None or not len(batch.ids):
        return blob, id_off, kept_order
    ids = ChunkIds(blob, id_off, kept_order)
    add = sorted(range(len(batch.ids)), key=batch.ids.__getitem__)
    at = [bisect.bisect_left(range(len(kept_order)), batch.ids[j],
                             key=lambda k: ids.id_at(int(kept_order[k]))) for j in add]
    return blob, id_off, np.insert(kept_order, at, batch_pos[add].astype(np.int32))
