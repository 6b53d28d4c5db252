"""Merging segments: the merge policy (size tiers) and a merge, which writes the live chunks
of several segments as one new segment in a new generation.
"""
from __future__ import annotations

import json
import os
from pathlib import Path
from types import SimpleNamespace

import numpy as np

from . import store
from .analyze import Analyzer, TermIds
from .bm25 import BM25Params, chunk_ptr, tf_dtype
from ..errors import DataError, IndexFormatError
from ..facts import FACTS_FILE
from .segments import open_segments, segment_table
from .build import term_runs
from .tokens import concat_blocks, text_tokens
from .update import _segment_arrays, _write_segment

MERGE_FACTOR = 8  # this many segments of one size tier are merged into one


def _analyzed_records(lines: list[bytes], analyzer: Analyzer) -> SimpleNamespace:
    """Chunk records (JSON lines) analyzed again as a build analyzes documents: what
    _segment_arrays takes (the fields of build._Batch it reads)."""
    term_ids = TermIds(Analyzer(aliases=analyzer.aliases))
    recs = [json.loads(x) for x in lines]
    n = len(recs)
    terms, rows, block = text_tokens(term_ids, [r.get("section", "") for r in recs],
                                     [r["text"] for r in recs])
    keys, tfs = np.unique((rows.astype(np.int64) << 32) | terms.astype(np.int64), return_counts=True)
    bounds = np.zeros(n + 1, dtype=np.int64)
    np.cumsum([len(x) + 1 for x in lines], out=bounds[1:])
    tok = concat_blocks([block])
    doc_len = np.bincount(rows, minlength=n).astype(np.int32)
    tterms, tptr, t_rows, t_tfs = term_runs(
        chunk_ptr(keys >> 32, n), (keys & 0xFFFFFFFF).astype(np.int32),
        tfs.astype(tf_dtype(int(tfs.max()) if len(tfs) else 0)), doc_len, len(term_ids.vocab))
    return SimpleNamespace(
        new_terms=list(term_ids.vocab), ids=[r["id"] for r in recs],
        tterms=tterms, tptr=tptr, rows=t_rows, tfs=t_tfs, doc_len=doc_len,
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
    merge, or when another writer published a generation meanwhile (it stays: merge again)."""
    before = store.current_generation(index_dir)
    try:
        return _merge(index_dir, analyzer, names, everything)
    except DataError:  # the generation being merged was removed by the one published
        if store.current_generation(index_dir) != before:
            return False
        raise


def _merge(index_dir: Path, analyzer: Analyzer, names: list[str] | None, everything: bool) -> bool:
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
        if store.current_generation(index_dir) != current.path:
            w.abort()  # another writer published while this merged (a bot merges in the background)
            return False
        w.publish(dict(m, docs=docs, segs=out, vocab_files=vocab_files,
                       build=dict(m.get("build", {}), merged=len(chosen))))
    return True
