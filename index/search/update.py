"""Incremental update: what changed since the index was built, and those documents written
as a new segment of the index with the chunks they replace marked dead (segments.py reads
segments; merge.py merges them).
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from . import store
from .analyze import Analyzer, TermIds
from .bm25 import BM25, BM25Params
from .build import Progress, _Analysis, _fingerprint, _sha256, _sorted_ids, postings_of_runs
from ..reading.corpus import doc_paths
from ..errors import DataError, IndexFormatError
from ..facts import FACTS_FILE, compile_facts, facts_sha
from .segments import Segment, file_name, open_segments, segment_table
from .tokens import offset_dtype, text_tokens

UPDATE_SHARE = 0.5  # re-analyze changed documents alone while they are at most this share
CHANGED = "documents changed since the index was built; rebuilding"
MAX_SEGMENTS = 64  # beyond this an update rebuilds (the merge policy keeps it far)
MAX_DEAD_SHARE = 0.5  # with more dead chunks than this share, an update rebuilds
SCAN_PER_CHUNK = 150_000  # postings scanned in the time one chunk is analyzed (~0.3 ms)


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


# -- writing: a new segment per update, deaths --------------------------------------------------


def _segment_arrays(batch, vocab_ids: dict[str, int], new_terms: list[str], params: BM25Params
                    ) -> dict[str, np.ndarray]:
    """A batch of analyzed chunks (build._Batch, the terms of a fresh analysis) as a segment's
    arrays; terms the collection lacks join the global vocabulary (vocab_ids, new_terms)."""
    bterms = batch.new_terms
    held = np.zeros(len(bterms), dtype=bool)
    held[batch.tterms] = True
    for t in sorted(t for t, h in zip(bterms, held.tolist()) if h and t not in vocab_ids):
        vocab_ids[t] = len(vocab_ids)
        new_terms.append(t)
    gid = np.asarray([vocab_ids.get(t, -1) for t in bterms], dtype=np.int64)
    gterms = np.unique(gid[held])
    local = np.searchsorted(gterms, gid).astype(np.int32)
    n = len(batch.ids)
    postings = postings_of_runs(local[batch.tterms], batch.tptr, batch.rows, batch.tfs,
                                batch.doc_len, len(gterms))
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
           manifest: dict, survey: _Survey, progress: Progress | None = None) -> bool:
    """Changed and added documents into one new segment, removed and changed ones' chunks
    dead in theirs; every other file hard-linked. False when a full build is the better deal
    (most documents changed, too many segments or dead chunks)."""
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
