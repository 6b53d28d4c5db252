"""Building an index: documents -> chunk records + term counts, term-major per run of
documents (in worker processes for a large collection) -> each run's postings of a term put
after the previous runs' ones -> a new generation.

Each distinct token is analyzed once per worker process; workers exchange files, not pickles.
Once the workers are done, the parent's steps share the two cores: the token arrays are
written and the chunk ids sorted by other threads while it merges the postings.
"""
from __future__ import annotations

import gc
import hashlib
import json
import os
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np
import orjson

from . import store
from .analyze import Analyzer, TermIds, load_analyzer
from .bm25 import (BLOCK, DEFAULT_PARAMS, BM25, BM25Params, Postings, chunk_ptr,
                   postings_from_forward, term_bounds, tf_dtype)
from ..facts import FACTS_FILE, compile_facts, facts_sha
from ..reading.corpus import CHUNKER_VERSION, Chunk, account, doc_paths, load_document
from ..errors import DataError
from .tokens import TOKEN_ARRAYS, concat_blocks, map_terms, offset_dtype, text_tokens

COMPILED_POSTINGS = 1 << 22  # this many postings are merged and bounded by build_kernels
PARALLEL_BYTES = 16 << 20  # collections larger than this are analyzed by worker processes
TASK_BYTES = 16 << 20  # documents per task, by size (progress moves once per task)
MAX_WORKERS = 2

Progress = Callable[[str, int, int], None]  # (stage, done, total)


def _config(analyzer: Analyzer, params: BM25Params) -> dict:
    return {"analyzer": analyzer.fingerprint(), "chunker": CHUNKER_VERSION,
            "bm25": params.to_dict(), "format": store.FORMAT_VERSION}


def _fingerprint(config: dict, doc_shas: list[tuple[str, str]], facts: str | None = None) -> str:
    """What the index was built from: settings, each document's content, the fact table's."""
    h = hashlib.sha256(json.dumps(config, sort_keys=True).encode())
    for doc_id, sha in doc_shas:
        h.update(f"\x00{doc_id}\x00{sha}".encode())
    if facts is not None:
        h.update(f"\x01facts.yaml\x00{facts}".encode())
    return h.hexdigest()


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _sorted_ids(ids: list[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(blob, offsets, positions in id order) for chunk ids; code point order = UTF-8 byte
    order, which numpy sorts as fixed-width bytes."""
    blob, lens = _id_bytes(ids)
    return _sorted_id_arrays([blob], [lens])


def _id_bytes(ids: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """Chunk ids as (their UTF-8 bytes one after the other, each one's length)."""
    encoded = [s.encode("utf-8") for s in ids]
    lens = np.fromiter(map(len, encoded), dtype=np.int64, count=len(encoded))
    return np.frombuffer(b"".join(encoded), dtype=np.uint8), lens


def _sorted_id_arrays(blobs: list[np.ndarray], lens: list[np.ndarray],
                      rows: int = 1 << 17) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """_sorted_ids of runs of ids given as _id_bytes, without a Python string per id: the
    ids are laid out as NUL-padded fixed-width byte strings (what np.array(list of bytes)
    makes), rows at a time, and sorted as those."""
    lens = np.concatenate(lens) if lens else np.zeros(0, dtype=np.int64)
    blob = np.concatenate(blobs) if blobs else np.zeros(0, dtype=np.uint8)
    offsets = np.zeros(len(lens) + 1, dtype=np.int64)
    np.cumsum(lens, out=offsets[1:])
    width = max(1, int(lens.max(initial=0)))
    fixed = np.zeros((len(lens), width), dtype=np.uint8)
    for lo in range(0, len(lens), rows):
        hi = min(lo + rows, len(lens))
        inside = np.arange(width) < lens[lo:hi, None]
        fixed[lo:hi][inside] = blob[(offsets[lo:hi, None] + np.arange(width))[inside]]
    order = np.argsort(fixed.view(f"S{width}").ravel(), kind="stable").astype(np.int32)
    return blob, offsets, order


# -- analysis: documents -> chunk records + chunk-major term counts ------------------------------


@dataclass
class _Batch:
    """What analyzing a run of documents gives (one task; returned by a worker process)."""

    task: int
    worker: int
    seq: int  # this worker's seq-th task: its new_terms extend the worker's vocabulary in order
    new_terms: list[str]
    docs: list[dict]
    ids: list[str] | None  # None from a worker: its ids are id_blob and id_len (see take)
    segment: str
    loc: np.ndarray  # (n, 2) byte ranges of the records in the segment
    doc_len: np.ndarray
    # term-major counts: the worker's term tterms[i] is in rows[tptr[i]:tptr[i + 1]] (rows
    # of this batch, ascending), with the counts tfs
    tterms: np.ndarray
    tptr: np.ndarray
    rows: np.ndarray | None  # None while still in the worker's files (see take)
    tfs: np.ndarray | None
    tok_count: np.ndarray | None = None  # the chunk tokens (TokenBlock fields; see take)
    tok_terms: np.ndarray | None = None
    tok_start: np.ndarray | None = None
    tok_end: np.ndarray | None = None
    sent_count: np.ndarray | None = None
    sent_tok: np.ndarray | None = None
    sent_start: np.ndarray | None = None
    sent_end: np.ndarray | None = None
    max_offset: int = 0
    peak_rss_mb: float = 0.0
    nnz: int = 0
    tfs_dtype: str = "uint8"
    stem: str | None = None  # where a worker left terms and tfs
    id_blob: np.ndarray | None = None  # the ids as _id_bytes, from a worker (see take)
    id_len: np.ndarray | None = None
    discard: Callable[[str], None] | None = None  # removes a file read (default os.unlink)

    def take(self, name: str) -> np.ndarray:
        """An array (terms, tfs, tokens), read from the worker's file if need be, and let go of."""
        array = getattr(self, name)
        if array is None:
            path = f"{self.stem}-{name}.npy"
            array = np.load(path, allow_pickle=False)
            (self.discard or os.unlink)(path)
        setattr(self, name, None)
        return array


class _Analysis:
    """One process's analyzer and its token -> term id table (TermIds), kept across tasks:
    each distinct token is analyzed (folded, split, stemmed, alias-checked) once per process."""

    BLOCK = 2000  # chunks tokenized together

    def __init__(self, aliases: dict) -> None:
        self.analyzer = Analyzer(aliases=aliases)
        self.term_ids = TermIds(self.analyzer)
        self.vocab = self.term_ids.vocab
        self.seq = 0
        self._reported = 0

    def run(self, task: int, paths: list[Path], docs_dir: Path, seg_path: Path) -> _Batch:
        docs: list[dict] = []
        ids: list[str] = []
        ends: list[np.ndarray] = []  # byte offset of each record's newline in the segment
        sections: list[str] = []
        bodies: list[str] = []
        term_parts, row_parts, blocks = [], [], []
        n = pos = 0
        with seg_path.open("wb") as seg:
            for path in paths:
                doc = load_document(path, docs_dir, keep_utf8=True)
                account(doc)
                docs.append(_doc_meta(doc, docs_dir))
                records = "".join(_record_lines(doc.chunks)).encode("utf-8")
                # where each record ends: JSON escapes a newline inside a string
                ends.append(np.flatnonzero(np.frombuffer(records, dtype=np.uint8) == 10) + pos)
                pos += len(records)
                ids += [c.id for c in doc.chunks]
                sections += [c.section for c in doc.chunks]
                bodies += [c.text for c in doc.chunks]
                seg.write(records)
                if len(bodies) >= self.BLOCK:
                    terms, rows, block = text_tokens(self.term_ids, sections, bodies)
                    term_parts.append(terms)
                    row_parts.append(rows + n)
                    blocks.append(block)
                    n += len(bodies)
                    sections, bodies = [], []
            if bodies:
                terms, rows, block = text_tokens(self.term_ids, sections, bodies)
                term_parts.append(terms)
                row_parts.append(rows + n)
                blocks.append(block)
                n += len(bodies)
            seg.flush()
            os.fsync(seg.fileno())  # here, in parallel, rather than when the index is published
        end = np.concatenate(ends).astype(np.int64) if ends else np.zeros(0, np.int64)
        start = np.concatenate(([0], end[:-1] + 1)) if len(end) else end
        loc = np.stack([start, end], axis=1)  # the newline is not part of the record
        raw = np.concatenate(term_parts).astype(np.int64) if term_parts else np.zeros(0, np.int64)
        rows = np.concatenate(row_parts) if row_parts else np.zeros(0, np.int64)
        # term-major here, in parallel: the parent only puts each term's run of postings in
        # its place (_merged_postings)
        doc_len, tterms, tptr, rows, tfs = token_runs(rows, raw, n, len(self.vocab))
        del raw
        new_terms = list(self.vocab)[self._reported:]
        self._reported = len(self.vocab)
        self.seq += 1
        tok = concat_blocks(blocks)
        max_offset = int(max(tok.sent_end.max(initial=0), tok.tok_end.max(initial=0)))
        if offset_dtype(max_offset) == np.uint16:  # what the index stores: half the bytes
            # to hand over (a token index in a chunk is below its length in characters)
            tok = tok._replace(**{f: getattr(tok, f).astype(np.uint16) for f in
                                  ("tok_start", "tok_end", "sent_tok", "sent_start", "sent_end")})
        return _Batch(task, os.getpid(), self.seq, new_terms, docs, ids, seg_path.name, loc,
                      doc_len, tterms, tptr, rows, tfs, tok.tok_count, tok.tok_terms,
                      tok.tok_start, tok.tok_end, tok.sent_count, tok.sent_tok, tok.sent_start,
                      tok.sent_end, max_offset, peak_rss_mb(), len(rows), tfs.dtype.name)


def term_runs(ptr: np.ndarray, terms: np.ndarray, tfs: np.ndarray, doc_len: np.ndarray,
              n_terms: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Chunk-major counts (chunk i holds terms[ptr[i]:ptr[i+1]]) term-major: (the terms held,
    ascending, int32; where each one's run starts, n + 1; the runs' chunks, ascending within
    each run, int32; their counts)."""
    local = postings_from_forward(ptr, terms, tfs, doc_len, n_terms)
    lens = np.diff(local.indptr)
    held = np.flatnonzero(lens).astype(np.int32)
    tptr = np.zeros(len(held) + 1, dtype=np.int64)
    np.cumsum(lens[held], out=tptr[1:])
    return held, tptr, local.docs, local.tfs


def postings_of_runs(terms: np.ndarray, tptr: np.ndarray, rows: np.ndarray, tfs: np.ndarray,
                     doc_len: np.ndarray, n_terms: int) -> Postings:
    """Postings of n_terms terms from runs of them (term_runs's, the runs' terms given as
    distinct ids below n_terms, in any order)."""
    lens = np.diff(tptr)
    order = np.argsort(terms, kind="stable")
    counts = np.zeros(n_terms, dtype=np.int64)
    counts[terms] = lens
    indptr = np.zeros(n_terms + 1, dtype=np.int64)
    np.cumsum(counts, out=indptr[1:])
    sizes = lens[order]
    at = np.zeros(len(order) + 1, dtype=np.int64)
    np.cumsum(sizes, out=at[1:])
    idx = np.repeat(tptr[:-1][order] - at[:-1], sizes) + np.arange(int(at[-1]))
    dtype = tf_dtype(int(tfs.max()) if len(tfs) else 0)
    return Postings(indptr, rows[idx].astype(np.int32, copy=False),
                    tfs[idx].astype(dtype, copy=False), np.asarray(doc_len, dtype=np.int32))


COMPILED_COUNTS = 1 << 20  # tokens of a task counted by build_kernels.token_runs


def token_runs(rows: np.ndarray, raw: np.ndarray, n: int, n_terms: int
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(tokens per chunk int32, then term_runs's arrays) of the (row, term id) of a run's
    tokens, rows ascending, term ids below n_terms. A large run is counted in one compiled
    pass (numba's import would outweigh a small one's sort)."""
    tfs = None
    if len(rows) >= COMPILED_COUNTS:
        from .build_kernels import token_runs as compiled

        ok, doc_len, tterms, tptr, t_rows, tfs = compiled(rows, raw, n, n_terms)
    if tfs is None or not ok:
        doc_len = np.bincount(rows, minlength=n).astype(np.int32)
        keys, tfs = np.unique((rows << 32) | raw, return_counts=True)
        tfs = tfs.astype(tf_dtype(int(tfs.max()) if len(tfs) else 0))
        return (doc_len, *term_runs(chunk_ptr(keys >> 32, n), (keys & 0xFFFFFFFF).astype(np.int32),
                                    tfs, doc_len, n_terms))
    return doc_len, tterms, tptr, t_rows, tfs.astype(tf_dtype(int(tfs.max()) if len(tfs) else 0))


_str = json.encoder.encode_basestring  # a JSON string literal (in C), non-ASCII kept


def _text_str(text: str) -> str:
    """_str(text) for a passage's text: orjson writes the same string literal (the same
    escapes, non-ASCII kept) in a ninth of the time; _str what it refuses (a lone surrogate)."""
    try:
        return orjson.dumps(text).decode()
    except orjson.JSONEncodeError:
        return _str(text)


def _record_line(c: Chunk) -> str:
    """json.dumps(c.to_dict(), ensure_ascii=False) + newline, a few times faster."""
    notes = json.dumps([n.to_dict() for n in c.notes], ensure_ascii=False) if c.notes else "[]"
    return (f'{{"id":{_str(c.id)},"doc":{_str(c.doc)},"title":{_str(c.title)},'
            f'"section":{_str(c.section)},"paragraph":{int(c.paragraph)},'
            f'"paragraph_end":{int(c.paragraph_end)},"part":{int(c.part)},"seq":{int(c.seq)},'
            f'"start":{int(c.start)},"end":{int(c.end)},"text":{_text_str(c.text)},"notes":{notes},'
            f'"page":{int(c.page)},"page_end":{int(c.page_end)}'
            + (f',"boxes":{json.dumps([list(b) for b in c.boxes], separators=(",", ":"))}}}\n'
               if c.boxes else "}\n"))


def _record_lines(chunks: list[Chunk]) -> list[str]:
    """_record_line of each chunk of a document, what the lines share (document, title,
    section) quoted once."""
    out = []
    shared: dict[str, str] = {}  # section -> the record's part from "doc" to "paragraph"
    doc = title = None
    for c in chunks:
        if c.doc is not doc or c.title is not title:
            doc, title = c.doc, c.title
            shared.clear()
        mid = shared.get(c.section)
        if mid is None:
            mid = shared[c.section] = (f',"doc":{_str(c.doc)},"title":{_str(c.title)},'
                                       f'"section":{_str(c.section)},"paragraph":')
        if c.notes or c.boxes:
            out.append(_record_line(c))
            continue
        out.append(f'{{"id":{_str(c.id)}{mid}{c.paragraph},"paragraph_end":{c.paragraph_end},'
                   f'"part":{c.part},"seq":{c.seq},"start":{c.start},"end":{c.end},'
                   f'"text":{_text_str(c.text)},"notes":[],"page":{c.page},'
                   f'"page_end":{c.page_end}}}\n')
    return out


def _doc_meta(doc, docs_dir: Path) -> dict:
    st = doc.path.stat()
    return dict(doc.meta(), path=str(doc.path.relative_to(docs_dir)), size=st.st_size,
                mtime_ns=st.st_mtime_ns, skipped_blocks=doc.skipped_blocks, notes=len(doc.notes))


def peak_rss_mb() -> float:
    """Peak RSS of this process: VmHWM where there is one (ru_maxrss survives exec on Linux,
    so a worker would report the peak of whatever started its parent)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    try:
        import resource
    except ImportError:  # not on this platform
        return 0.0
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


_BATCH_ARRAYS = ("loc", "doc_len", "tterms", "tptr", "tok_count", "sent_count")  # read at once
_LATER_ARRAYS = ("rows", "tfs", "tok_terms", "tok_start", "tok_end", "sent_tok", "sent_start",
                 "sent_end", "id_blob", "id_len")  # read when assembled


def _save_batch(folder: Path, b: _Batch) -> None:
    """A worker's batch as files next to the chunk segments (JSON + .npy: no pickle)."""
    stem = folder / f"task-{b.task:04d}"
    # the ids as bytes: the parent never holds a Python string per chunk of the collection
    b.id_blob, b.id_len = _id_bytes(b.ids)
    for name in (*_BATCH_ARRAYS, *_LATER_ARRAYS):
        np.save(f"{stem}-{name}.npy", getattr(b, name), allow_pickle=False)
    meta = {"task": b.task, "worker": b.worker, "seq": b.seq, "new_terms": b.new_terms,
            "docs": b.docs, "segment": b.segment, "peak_rss_mb": b.peak_rss_mb,
            "nnz": b.nnz, "tfs_dtype": b.tfs_dtype, "max_offset": b.max_offset}
    Path(f"{stem}.json").write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")


def _read_batch(folder: Path, task: int) -> _Batch:
    stem = folder / f"task-{task:04d}"
    meta = json.loads(Path(f"{stem}.json").read_text(encoding="utf-8"))
    arrays = {}
    for name in _BATCH_ARRAYS:
        arrays[name] = np.load(f"{stem}-{name}.npy", allow_pickle=False)
        os.unlink(f"{stem}-{name}.npy")
    os.unlink(f"{stem}.json")
    return _Batch(**meta, **arrays, ids=None, rows=None, tfs=None,
                  stem=str(stem))  # the rest: take()


_WORKER: "_Analysis | None" = None  # a worker process's analysis, kept across its tasks


def _keep_freed_memory() -> None:
    """glibc's malloc gives each array of more than 128 kB fresh pages from the kernel and
    returns them when it is freed: a worker makes dozens of such arrays per block of text,
    and faulting their pages in cost ~10 % of its time. Freed memory is reused instead."""
    try:
        import ctypes

        libc = ctypes.CDLL("libc.so.6")
        libc.mallopt(-3, 1 << 30)  # M_MMAP_THRESHOLD: up to 1 GB from the heap
        libc.mallopt(-1, 1 << 30)  # M_TRIM_THRESHOLD: keep up to 1 GB freed for reuse
    except (OSError, AttributeError):  # not glibc: its allocator's defaults
        pass


def _worker_init(aliases_file: str) -> None:
    """Start of a worker process: its analyzer, from the aliases left in a file."""
    global _WORKER
    gc.disable()  # analysis makes millions of small objects and no reference cycles
    _keep_freed_memory()
    _WORKER = _Analysis(json.loads(Path(aliases_file).read_text(encoding="utf-8")))


def _worker_task(folder: str, task: int, paths: list[str], docs_dir: str) -> str:
    """One task in a worker process: its batch is left as files in folder; returns '' or
    what was wrong with a document."""
    try:
        b = _WORKER.run(task, [Path(p) for p in paths], Path(docs_dir),
                        Path(folder) / f"chunks-{task:04d}.jsonl")
        _save_batch(Path(folder), b)
    except DataError as e:
        return str(e)
    return ""



def _tasks(paths: list[Path], n: int) -> list[list[Path]]:
    """Consecutive runs of documents of about TASK_BYTES each (at least 4n runs)."""
    sizes = [p.stat().st_size for p in paths]
    per = max(1, min(TASK_BYTES, sum(sizes) // max(1, 4 * n)))
    out: list[list[Path]] = [[]]
    acc = 0
    for p, s in zip(paths, sizes):
        if acc >= per:
            out.append([])
            acc = 0
        out[-1].append(p)
        acc += s
    return out


def _analyze(paths: list[Path], docs_dir: Path, aliases: dict, folder: Path, workers: int,
             progress: Progress | None, stack: ExitStack) -> list[_Batch]:
    """Analyze documents into chunk segments written in folder; batches in document order.
    With workers > 1, a process pool takes runs of documents as its processes become free;
    tasks and results are file paths (the batches are files), nothing else is pickled. The
    pool's processes are waited for when stack closes: a worker's exit (freeing its heap)
    then overlaps the parent's work on the batches."""
    if workers <= 1:
        enabled = gc.isenabled()
        gc.disable()
        try:
            return [_Analysis(aliases).run(0, paths, docs_dir, folder / "chunks.jsonl")]
        finally:
            if enabled:
                gc.enable()
    import multiprocessing
    from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
    from concurrent.futures.process import BrokenProcessPool

    runs = _tasks(paths, workers)
    aliases_file = folder / "aliases.json"
    aliases_file.write_text(json.dumps(aliases, ensure_ascii=False), encoding="utf-8")
    batches: list[_Batch] = []
    done_docs = 0
    # spawn: fresh interpreters, as safe in a process with threads (the bot) as anywhere
    pool = ProcessPoolExecutor(min(workers, len(runs)), multiprocessing.get_context("spawn"),
                               initializer=_worker_init, initargs=(str(aliases_file),))
    ok = False
    try:
        futures = {pool.submit(_worker_task, str(folder), i, [str(p) for p in run],
                               str(docs_dir)): i for i, run in enumerate(runs)}
        pending = set(futures)
        while pending:
            done, pending = wait(pending, return_when=FIRST_COMPLETED)
            for f in done:
                try:
                    error = f.result()
                except BrokenProcessPool as e:
                    raise DataError(f"an indexing worker failed: {e}") from None
                if error:
                    raise DataError(error)
                task = futures[f]
                batches.append(_read_batch(folder, task))
                done_docs += len(runs[task])
                if progress:
                    progress("analyzing documents", done_docs, len(paths))
        ok = True
    finally:
        if ok:  # waited for in a thread, joined when stack closes
            import threading

            closing = threading.Thread(target=pool.shutdown, name="docbot-pool-exit")
            closing.start()
            stack.callback(closing.join)
        else:
            pool.shutdown(wait=True, cancel_futures=True)
        aliases_file.unlink(missing_ok=True)
    return sorted(batches, key=lambda b: b.task)



def _merge_vocab(batches: list[_Batch]) -> tuple[list[str], dict[int, np.ndarray]]:
    """The sorted vocabulary of all batches and, per worker, its term ids -> vocabulary ids."""
    per_worker: dict[int, list[str]] = {}
    for b in sorted(batches, key=lambda b: (b.worker, b.seq)):
        per_worker.setdefault(b.worker, []).extend(b.new_terms)
    vocab = sorted(set().union(*per_worker.values()))
    gid = {t: i for i, t in enumerate(vocab)}
    maps = {w: np.fromiter((gid[t] for t in terms), dtype=np.int32, count=len(terms))
            for w, terms in per_worker.items()}
    return vocab, maps


def _held_terms(batches: list[_Batch], vocab: list[str], maps: dict[int, np.ndarray]
                ) -> tuple[np.ndarray, list[str], dict[int, np.ndarray], np.ndarray | None]:
    """(postings per vocabulary term, the vocabulary of the terms some chunk holds, the
    workers' term ids -> its ids (-1: none) for the stored tokens, the old vocabulary ids ->
    its ids, None if all are held). A token analyzed on its own may name a term that only
    ever occurs inside an alias name ("korea" of "North Korea")."""
    df = np.zeros(len(vocab), dtype=np.int64)
    for b in batches:
        df[maps[b.worker][b.tterms]] += np.diff(b.tptr)  # a batch's terms are distinct
    if df.all():
        return df, vocab, maps, None
    held = df > 0
    remap = (np.cumsum(held) - 1).astype(np.int32)
    vocab = [t for t, h in zip(vocab, held.tolist()) if h]
    # a chunk's text alone may hold a term its index text does not (-1)
    remap[~held] = -1
    return df, vocab, {wk: map_terms(remap, m) for wk, m in maps.items()}, remap


def _merged_postings(batches: list[_Batch], maps: dict[int, np.ndarray],
                     remap: np.ndarray | None, df: np.ndarray, doc_len: np.ndarray) -> Postings:
    """The batches' term-major counts as the collection's postings (what the sparse
    transpose of all chunk-major counts gives): each batch's run of postings of a term is
    put after the previous batches' ones, a batch at a time; in one compiled pass per batch
    for many postings."""
    kept = df[df > 0] if remap is not None else df
    indptr = np.zeros(len(kept) + 1, dtype=np.int64)
    np.cumsum(kept, out=indptr[1:])
    nnz = int(indptr[-1])
    tf_type = max((np.dtype(b.tfs_dtype) for b in batches), key=lambda d: d.itemsize,
                  default=np.dtype(np.uint8))
    rows = np.empty(nnz, dtype=np.int32)
    tfs = np.empty(nnz, dtype=tf_type)
    cursor = indptr[:-1].copy()
    compiled = nnz >= COMPILED_POSTINGS
    if compiled:
        from .build_kernels import scatter_postings
    base = 0
    for b in batches:
        g = np.take(maps[b.worker], b.tterms)
        if remap is not None:
            g = remap[g]
        b_rows, b_tfs = b.take("rows"), b.take("tfs")
        if compiled:
            scatter_postings(cursor, rows, tfs, g, b.tptr, b_rows, b_tfs.astype(tf_type, copy=False), base)
        else:
            lens = np.diff(b.tptr)
            dest = np.repeat(cursor[g] - b.tptr[:-1], lens) + np.arange(len(b_rows))
            rows[dest] = b_rows + base
            tfs[dest] = b_tfs
            cursor[g] += lens
        base += len(b.doc_len)
        b.tterms = b.tptr = None
    dtype = tf_dtype(int(tfs.max()) if nnz else 0)
    return Postings(indptr, rows, tfs.astype(dtype, copy=False),
                    np.asarray(doc_len, dtype=np.int32))


def _batch_ids(batches: list[_Batch]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """_sorted_id_arrays of the chunk ids of every batch."""
    parts = [_id_bytes(b.ids) if b.ids is not None else (b.take("id_blob"), b.take("id_len"))
             for b in batches]
    return _sorted_id_arrays([p[0] for p in parts], [p[1] for p in parts])


_ARRAY_NAMES = ("indptr", "docs", "tfs", "doc_len", "chunk_loc", "ids", "id_off", "id_order",
                "term_max", "block_max", *TOKEN_ARRAYS)


def _write_arrays(w: store.Writer, postings: Postings, loc: np.ndarray, blob: np.ndarray,
                  id_off: np.ndarray, id_order: np.ndarray, params: BM25Params) -> None:
    for name, array in (("indptr", postings.indptr), ("docs", postings.docs),
                        ("tfs", postings.tfs), ("doc_len", postings.doc_len),
                        ("chunk_loc", loc), ("ids", blob), ("id_off", id_off),
                        ("id_order", id_order)):
        w.add_array(name, array)
    # each term's largest score contribution, overall and per block of postings, for
    # skipping at search time
    term_max, block_max = _term_bounds(postings, params)
    w.add_array("term_max", term_max)
    w.add_array("block_max", block_max)


def _load_bounds_kernel() -> None:
    from .build_kernels import okapi_bounds

    okapi_bounds(np.zeros(1, np.int64), np.zeros(0, np.int32), np.zeros(0, np.uint8),
                 np.zeros(0), np.zeros(0), 1.0, BLOCK)
    from .build_kernels import scatter_postings

    none = np.zeros(0, np.int32)
    scatter_postings(np.zeros(0, np.int64), none, np.zeros(0, np.uint8), none,
                     np.zeros(1, np.int64), none, np.zeros(0, np.uint8), 0)


def _term_bounds(postings: Postings, params: BM25Params) -> tuple[np.ndarray, np.ndarray]:
    """bm25.term_bounds of the postings; for many postings in one compiled pass (the numpy
    path makes several float64 arrays the size of the postings)."""
    none = np.zeros(0)
    bm25 = BM25(postings, params, term_max=none, block_max=none)  # idf and k1 * norm only
    if params.variant in ("okapi", "plus") and len(postings.docs) >= COMPILED_POSTINGS:
        from .build_kernels import okapi_bounds

        return okapi_bounds(postings.indptr, postings.docs, postings.tfs, bm25.idf,
                            bm25._k1norm, float(params.k1), BLOCK)
    return term_bounds(bm25)


def _write_tokens(w: store.Writer, parts: list[tuple[Callable[[str], np.ndarray], np.ndarray | None]],
                  max_offset: int, record: bool = True) -> None:
    """The chunk tokens of consecutive runs of chunks, an array at a time and a run at a time
    (the token arrays are the index's largest: they are never all in memory). A part is
    (get, map): get(name) gives the run's array (_Batch field names), map turns its term ids
    into vocabulary ids (None: they are already)."""
    pos = offset_dtype(max_offset)
    for name, count in (("tok_ptr", "tok_count"), ("sent_ptr", "sent_count")):
        counts = [get(count) for get, _ in parts]
        ptr = np.zeros(1 + sum(map(len, counts)), dtype=np.int64)
        if len(ptr) > 1:
            np.cumsum(np.concatenate(counts), out=ptr[1:])
        w.add_array(name, ptr, record)
        total = int(ptr[-1])
        if name == "tok_ptr":
            w.add_array_parts("tok_terms", np.int32, total, (
                get("tok_terms") if m is None else map_terms(m, get("tok_terms"))
                for get, m in parts), record)
            for a in ("tok_start", "tok_end"):
                w.add_array_parts(a, pos, total, (get(a) for get, _ in parts), record)
        else:
            w.add_array_parts("sent_tok", np.uint16 if pos == np.uint16 else np.int32, total,
                              (get("sent_tok") for get, _ in parts), record)
            for a in ("sent_start", "sent_end"):
                w.add_array_parts(a, pos, total, (get(a) for get, _ in parts), record)


def write_index(data_dir: Path, index_dir: Path, params: BM25Params = DEFAULT_PARAMS,
                progress: Progress | None = None, workers: int | None = None) -> Analyzer:
    """Read every document, index it and save the index (atomically); returns its analyzer.
    progress(stage, done, total) is called as the work advances; workers > 1 analyzes in that
    many processes (default: 1 for a small collection, else up to MAX_WORKERS)."""
    analyzer = load_analyzer(data_dir)
    docs_dir = data_dir / "docs"
    paths = doc_paths(data_dir)
    if workers is None:
        total = sum(p.stat().st_size for p in paths)
        workers = 1 if total < PARALLEL_BYTES else min(MAX_WORKERS, os.cpu_count() or 1)
    config = _config(analyzer, params)
    facts = compile_facts(data_dir, analyzer.aliases.keys())  # a bad fact fails before the work
    with store.Writer(index_dir) as w, ExitStack() as stack:
        warm = None
        if workers > 1:  # numba's import and the cached kernel loaded while the workers work
            import threading

            warm = threading.Thread(target=_load_bounds_kernel, daemon=True)
            warm.start()
        batches = _analyze(paths, docs_dir, analyzer.aliases, w.path, workers, progress, stack)
        if warm is not None:
            warm.join()
        # the workers' files, once read, are removed in the background (~2 s at 1M)
        remover = ThreadPoolExecutor(1, thread_name_prefix="docbot-unlink")
        stack.callback(remover.shutdown, wait=True)
        removals: list = []
        for b in batches:
            b.discard = lambda path: removals.append(remover.submit(os.unlink, path))
        # the ids sorted and the token arrays written by other threads while this one
        # inverts: the workers are done, so their cores are free (numpy, scipy and file
        # writes let go of the GIL)
        side = ThreadPoolExecutor(2, thread_name_prefix="docbot-build")
        stack.callback(side.shutdown, wait=True, cancel_futures=True)
        id_job = side.submit(_batch_ids, batches)
        vocab, maps = _merge_vocab(batches)
        if progress:
            progress("inverting", 0, 1)
        n = sum(len(b.doc_len) for b in batches)
        doc_len = np.concatenate([b.doc_len for b in batches])
        df, vocab, token_maps, remap = _held_terms(batches, vocab, maps)
        token_job = side.submit(_write_tokens, w, [(b.take, token_maps[b.worker]) for b in batches],
                                max((b.max_offset for b in batches), default=0), False)
        postings = _merged_postings(batches, maps, remap, df, doc_len)
        segments = [b.segment for b in batches]
        loc = np.concatenate([
            np.column_stack([np.full(len(b.loc), i, dtype=np.int64), b.loc])
            for i, b in enumerate(batches)]) if n else np.zeros((0, 3), dtype=np.int64)
        docs = [d for b in batches for d in b.docs]
        blob, id_off, id_order = id_job.result()
        if progress:
            progress("writing", 0, 1)
        for name in segments:
            w.add_written(name)
        _write_arrays(w, postings, loc, blob, id_off, id_order, params)
        token_job.result()
        for name in TOKEN_ARRAYS:  # in the manifest after the others, as they always were
            w.record(f"{name}.npy")
        for f in removals:  # the workers' files must be gone before the folder is published
            f.result()
        w.add_bytes("vocab.json", json.dumps(vocab, ensure_ascii=False).encode("utf-8"))
        w.add_bytes(FACTS_FILE, facts)
        manifest = {
            "fingerprint": _fingerprint(config, [(d["id"], d["sha256"]) for d in docs],
                                        facts_sha(data_dir)),
            "config": config, "docs": docs, "n_chunks": n, "n_terms": len(vocab),
            "segments": segments, "arrays": list(_ARRAY_NAMES),
            "build": {"workers": workers,
                      "worker_peak_rss_mb": sorted({b.worker: b.peak_rss_mb
                                                    for b in batches}.values())},
        }
        w.publish(manifest)
        if progress:
            progress("writing", 1, 1)
    return analyzer
