"""The search engine: build or open an index for a data directory and search it.

Cost model (why it scales): a question reads only its terms' postings (memory-mapped) and the
ten chunk records it returns; opening an index maps arrays and reads the vocabulary, never
the chunk texts; building analyzes each distinct token once per worker process (two
processes for a large collection) and inverts chunk-major counts with one sparse transpose;
a changed document is re-analyzed alone and merged into the stored postings, with the chunk
texts of every other document hard-linked from the previous generation.
"""
from __future__ import annotations

import bisect
import gc
import hashlib
import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, NamedTuple

import numpy as np

from . import store
from .analyze import Analyzer, TermIds, load_aliases
from .bm25 import BM25, BM25Params, Postings, build_postings, chunk_ptr, postings_from_forward, tf_dtype
from .corpus import CHUNKER_VERSION, Chunk, doc_id_for, doc_paths, load_document, problem_notices
from .errors import DataError, IndexFormatError, IndexVersionError

# Chosen by tests/bench/quality.py (SQuAD dev + Cranfield) and the Q&A suite: see README.md.
# BM25Plus also keeps IDF positive and monotonic: BM25Okapi's floor lets a term in most chunks
# ("North Korea" here) outweigh a rarer one.
DEFAULT_PARAMS = BM25Params(variant="plus", k1=0.9, b=0.75, delta=1.0)

PARALLEL_BYTES = 16 << 20  # collections larger than this are analyzed by worker processes
TASK_BYTES = 16 << 20  # documents per task, by size (progress moves once per task)
MAX_WORKERS = 2
UPDATE_SHARE = 0.5  # re-analyze changed documents alone while they are at most this share
MAX_SEGMENTS = 128  # chunk record files; an update that would need more rebuilds compactly

Progress = Callable[[str, int, int], None]  # (stage, done, total)
CHANGED = "documents changed since the index was built; rebuilding"


class SearchHit(NamedTuple):
    chunk: Chunk
    score: float


def default_index_dir(data_dir: Path) -> Path:
    """Indexes live in the user's cache, one per data folder, so data/ stays the owner's."""
    env = os.environ.get("DOCBOT_INDEX")
    if env:
        return Path(env)
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "docbot"
    resolved = data_dir.resolve()
    tag = hashlib.sha256(str(resolved).encode()).hexdigest()[:10]
    return base / f"{resolved.name or 'data'}-{tag}"


def load_analyzer(data_dir: Path) -> Analyzer:
    aliases_path = data_dir / "aliases.yaml"
    aliases = load_aliases(aliases_path) if aliases_path.is_file() else {}
    return Analyzer(aliases=aliases)


def index_text(chunk: Chunk) -> str:
    """What is indexed for a chunk: its section heading too, so 'the Prime Minister's visit to
    Pyongyang' finds the paragraphs under that heading."""
    return f"{chunk.section}\n{chunk.text}" if chunk.section else chunk.text


def _config(analyzer: Analyzer, params: BM25Params) -> dict:
    return {"analyzer": analyzer.fingerprint(), "chunker": CHUNKER_VERSION,
            "bm25": params.to_dict(), "format": store.FORMAT_VERSION}


def _fingerprint(config: dict, doc_shas: list[tuple[str, str]]) -> str:
    h = hashlib.sha256(json.dumps(config, sort_keys=True).encode())
    for doc_id, sha in doc_shas:
        h.update(f"\x00{doc_id}\x00{sha}".encode())
    return h.hexdigest()


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# -- chunks and ids read from the index files, on demand -----------------------------------------


class StoredChunks(Sequence):
    """Index.chunks of a loaded index: Chunk records parsed when asked for (a few recent
    ones are kept), so opening a million-chunk index reads none of them."""

    _KEEP = 4096

    def __init__(self, records: store.ChunkRecords) -> None:
        self._records = records
        self._cache: dict[int, Chunk] = {}

    def __len__(self) -> int:
        return len(self._records)

    def __getitem__(self, i):
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(len(self)))]
        if i < 0:
            i += len(self)
        c = self._cache.get(i)
        if c is None:
            if not 0 <= i < len(self):
                raise IndexError(i)
            try:
                c = Chunk.from_dict(self._records[i])
            except (KeyError, TypeError) as e:
                raise IndexFormatError(f"chunk record {i}: damaged ({e})") from None
            if len(self._cache) >= self._KEEP:
                self._cache.clear()
            self._cache[i] = c
        return c


class ChunkIds(Mapping):
    """Index.by_id of a loaded index: chunk id -> position, by binary search over the ids in
    sorted order (ids blob + offsets + order, all memory-mapped)."""

    def __init__(self, blob: np.ndarray, offsets: np.ndarray, order: np.ndarray) -> None:
        self._blob, self._off, self._order = blob, offsets, order

    def id_at(self, i: int) -> str:
        return self._blob[self._off[i] : self._off[i + 1]].tobytes().decode("utf-8")

    def __len__(self) -> int:
        return len(self._order)

    def __iter__(self):
        return (self.id_at(i) for i in range(len(self)))

    def __getitem__(self, cid: str) -> int:
        if isinstance(cid, str):
            order = self._order
            k = bisect.bisect_left(range(len(order)), cid, key=lambda j: self.id_at(int(order[j])))
            if k < len(order) and self.id_at(int(order[k])) == cid:
                return int(order[k])
        raise KeyError(cid)


def _sorted_ids(ids: list[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(blob, offsets, positions in id order) for chunk ids; code point order = UTF-8 byte
    order, which numpy sorts as fixed-width bytes."""
    encoded = [s.encode("utf-8") for s in ids]
    lens = np.fromiter(map(len, encoded), dtype=np.int64, count=len(encoded))
    offsets = np.zeros(len(encoded) + 1, dtype=np.int64)
    np.cumsum(lens, out=offsets[1:])
    blob = np.frombuffer(b"".join(encoded), dtype=np.uint8)
    order = np.argsort(np.array(encoded, dtype=bytes), kind="stable").astype(np.int32)
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
    ids: list[str]
    segment: str
    loc: np.ndarray  # (n, 2) byte ranges of the records in the segment
    doc_len: np.ndarray
    ptr: np.ndarray  # chunk-major counts: chunk i holds terms[ptr[i]:ptr[i+1]] (worker ids)
    terms: np.ndarray | None  # None while still in the worker's files (see take)
    tfs: np.ndarray | None
    peak_rss_mb: float = 0.0
    nnz: int = 0
    tfs_dtype: str = "uint8"
    stem: str | None = None  # where a worker left terms and tfs

    def take(self, name: str) -> np.ndarray:
        """terms or tfs, read from the worker's file if need be, and let go of."""
        array = getattr(self, name)
        if array is None:
            path = f"{self.stem}-{name}.npy"
            array = np.load(path, allow_pickle=False)
            os.unlink(path)
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
        bounds: list[int] = []
        texts: list[str] = []
        term_parts, row_parts = [], []
        n = pos = 0
        with seg_path.open("wb") as seg:
            for path in paths:
                doc = load_document(path, docs_dir)
                docs.append(_doc_meta(doc, docs_dir))
                lines = []
                for c in doc.chunks:
                    line = _record_line(c).encode("utf-8")
                    lines.append(line)
                    bounds.append(pos)
                    pos += len(line)
                    ids.append(c.id)
                    texts.append(index_text(c))
                seg.write(b"".join(lines))
                if len(texts) >= self.BLOCK:
                    terms, rows = self.term_ids(texts)
                    term_parts.append(terms)
                    row_parts.append(rows + n)
                    n += len(texts)
                    texts = []
            if texts:
                terms, rows = self.term_ids(texts)
                term_parts.append(terms)
                row_parts.append(rows + n)
                n += len(texts)
            seg.flush()
            os.fsync(seg.fileno())  # here, in parallel, rather than when the index is published
        bounds.append(pos)
        b = np.asarray(bounds, dtype=np.int64)
        loc = np.stack([b[:-1], b[1:] - 1], axis=1)  # the newline is not part of the record
        raw = np.concatenate(term_parts).astype(np.int64) if term_parts else np.zeros(0, np.int64)
        rows = np.concatenate(row_parts) if row_parts else np.zeros(0, np.int64)
        doc_len = np.bincount(rows, minlength=n).astype(np.int32)
        keys, tfs = np.unique((rows << 32) | raw, return_counts=True)
        ptr = chunk_ptr(keys >> 32, n)
        terms = (keys & 0xFFFFFFFF).astype(np.int32)
        tfs = tfs.astype(tf_dtype(int(tfs.max()) if len(tfs) else 0))
        new_terms = list(self.vocab)[self._reported:]
        self._reported = len(self.vocab)
        self.seq += 1
        return _Batch(task, os.getpid(), self.seq, new_terms, docs, ids, seg_path.name, loc,
                      doc_len, ptr, terms, tfs, _peak_rss_mb(), len(terms), tfs.dtype.name)


_str = json.encoder.encode_basestring  # a JSON string literal (in C), non-ASCII kept


def _record_line(c: Chunk) -> str:
    """json.dumps(c.to_dict(), ensure_ascii=False) + newline, a few times faster."""
    notes = json.dumps([n.to_dict() for n in c.notes], ensure_ascii=False) if c.notes else "[]"
    return (f'{{"id":{_str(c.id)},"doc":{_str(c.doc)},"title":{_str(c.title)},'
            f'"section":{_str(c.section)},"paragraph":{int(c.paragraph)},'
            f'"paragraph_end":{int(c.paragraph_end)},"part":{int(c.part)},"seq":{int(c.seq)},'
            f'"start":{int(c.start)},"end":{int(c.end)},"text":{_str(c.text)},"notes":{notes},'
            f'"page":{int(c.page)},"page_end":{int(c.page_end)}}}\n')


def _doc_meta(doc, docs_dir: Path) -> dict:
    st = doc.path.stat()
    return dict(doc.meta(), path=str(doc.path.relative_to(docs_dir)), size=st.st_size,
                mtime_ns=st.st_mtime_ns, skipped_blocks=doc.skipped_blocks, notes=len(doc.notes))


def _peak_rss_mb() -> float:
    try:
        import resource
    except ImportError:  # not on this platform
        return 0.0
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


_BATCH_ARRAYS = ("loc", "doc_len", "ptr")  # read at once; terms and tfs when assembled


def _save_batch(folder: Path, b: _Batch) -> None:
    """A worker's batch as files next to the chunk segments (JSON + .npy: no pickle)."""
    stem = folder / f"task-{b.task:04d}"
    for name in (*_BATCH_ARRAYS, "terms", "tfs"):
        np.save(f"{stem}-{name}.npy", getattr(b, name), allow_pickle=False)
    meta = {"task": b.task, "worker": b.worker, "seq": b.seq, "new_terms": b.new_terms,
            "docs": b.docs, "ids": b.ids, "segment": b.segment, "peak_rss_mb": b.peak_rss_mb,
            "nnz": b.nnz, "tfs_dtype": b.tfs_dtype}
    Path(f"{stem}.json").write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")


def _read_batch(folder: Path, task: int) -> _Batch:
    stem = folder / f"task-{task:04d}"
    meta = json.loads(Path(f"{stem}.json").read_text(encoding="utf-8"))
    arrays = {}
    for name in _BATCH_ARRAYS:
        arrays[name] = np.load(f"{stem}-{name}.npy", allow_pickle=False)
        os.unlink(f"{stem}-{name}.npy")
    os.unlink(f"{stem}.json")
    return _Batch(**meta, **arrays, terms=None, tfs=None, stem=str(stem))


def _worker_main(folder: str, aliases_file: str, worker: int) -> None:
    """A worker process: analyze the tasks read from stdin (one JSON line each), answering
    'done N' or 'error MESSAGE' on stdout."""
    import sys

    gc.disable()  # analysis makes millions of small objects and no reference cycles
    aliases = json.loads(Path(aliases_file).read_text(encoding="utf-8"))
    analysis = _Analysis(aliases)
    for line in sys.stdin:
        job = json.loads(line)
        try:
            b = analysis.run(job["task"], [Path(p) for p in job["paths"]], Path(job["docs_dir"]),
                             Path(folder) / job["segment"])
            b.worker = worker
            _save_batch(Path(folder), b)
        except DataError as e:
            print("error " + json.dumps(str(e)), flush=True)
            return
        print(f"done {job['task']}", flush=True)


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
             progress: Progress | None) -> list[_Batch]:
    """Analyze documents into chunk segments written in folder; batches in document order.
    With workers > 1, worker processes (python -m index.engine) take runs of documents as
    they become free; they exchange files, not pickles."""
    if workers <= 1:
        enabled = gc.isenabled()
        gc.disable()
        try:
            return [_Analysis(aliases).run(0, paths, docs_dir, folder / "chunks.jsonl")]
        finally:
            if enabled:
                gc.enable()
    import selectors
    import subprocess
    import sys

    runs = _tasks(paths, workers)
    todo = list(enumerate(runs))[::-1]
    (folder / "aliases.json").write_text(json.dumps(aliases, ensure_ascii=False), encoding="utf-8")
    env = dict(os.environ)
    root = str(Path(__file__).resolve().parents[1])
    env["PYTHONPATH"] = root + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    procs = []
    sel = selectors.DefaultSelector()
    batches: list[_Batch] = []
    done_docs = 0

    def give(proc) -> None:
        if todo:
            i, run = todo.pop()
            job = {"task": i, "paths": [str(p) for p in run], "docs_dir": str(docs_dir),
                   "segment": f"chunks-{i:04d}.jsonl"}
            proc.stdin.write(json.dumps(job, ensure_ascii=False) + "\n")
            proc.stdin.flush()
            proc.job = i
        else:
            proc.stdin.close()
            proc.job = None

    try:
        for k in range(min(workers, len(runs))):
            err = (folder / f"worker-{k}.err").open("w")
            proc = subprocess.Popen(
                [sys.executable, "-m", "index.engine", "--worker", str(folder),
                 str(folder / "aliases.json"), str(k)],
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=err, text=True, env=env)
            err.close()
            procs.append(proc)
            sel.register(proc.stdout, selectors.EVENT_READ, proc)
            give(proc)
        running = len(procs)
        while running:
            for key, _ in sel.select():
                proc = key.data
                line = proc.stdout.readline()
                if line.startswith("done "):
                    task = int(line.split()[1])
                    batches.append(_read_batch(folder, task))
                    done_docs += len(runs[task])
                    if progress:
                        progress("analyzing documents", done_docs, len(paths))
                    give(proc)
                    continue
                if line.startswith("error "):
                    raise DataError(json.loads(line[6:]))
                sel.unregister(proc.stdout)
                running -= 1
                if proc.wait() != 0 or proc.job is not None:
                    k = procs.index(proc)
                    tail = (folder / f"worker-{k}.err").read_text(errors="replace").strip()
                    raise DataError(f"an indexing worker failed: {tail.splitlines()[-1] if tail else proc.returncode}")
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
            proc.wait()
            proc.stdout.close()
            if proc.stdin and not proc.stdin.closed:
                try:
                    proc.stdin.close()
                except OSError:
                    pass
        sel.close()
        for name in ["aliases.json", *(f"worker-{k}.err" for k in range(len(procs)))]:
            try:
                (folder / name).unlink()
            except FileNotFoundError:
                pass
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


# -- the index -----------------------------------------------------------------------------------


@dataclass
class Index:
    chunks: Sequence[Chunk]
    vocab: Mapping[str, int]
    bm25: BM25
    analyzer: Analyzer
    manifest: dict
    by_id: Mapping[str, int] | None = None
    _id_rank: np.ndarray | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        if self._id_rank is None:  # chunks held in memory
            ids = [c.id for c in self.chunks]
            order = sorted(range(len(ids)), key=ids.__getitem__)
            self._id_rank = np.empty(len(ids), dtype=np.int64)
            self._id_rank[order] = np.arange(len(ids))
            self.by_id = {cid: i for i, cid in enumerate(ids)}

    # -- building and opening ------------------------------------------------------------------
    @classmethod
    def from_chunks(cls, chunks: list[Chunk], analyzer: Analyzer,
                    params: BM25Params = DEFAULT_PARAMS, manifest: dict | None = None) -> "Index":
        """An index held in memory (not saved), e.g. for benchmarks on ready-made chunks."""
        vocab: dict[str, int] = {}
        postings = build_postings((analyzer.terms(index_text(c)) for c in chunks), vocab)
        return cls(list(chunks), vocab, BM25(postings, params), analyzer, manifest or {})

    @classmethod
    def build(cls, data_dir: Path, index_dir: Path, params: BM25Params = DEFAULT_PARAMS,
              progress: Progress | None = None, workers: int | None = None) -> "Index":
        """Read every document, index it and save the index (atomically). progress(stage, done,
        total) is called as the work advances; workers > 1 analyzes in that many processes
        (default: 1 for a small collection, else up to MAX_WORKERS)."""
        analyzer = load_analyzer(data_dir)
        docs_dir = data_dir / "docs"
        paths = doc_paths(data_dir)
        if workers is None:
            total = sum(p.stat().st_size for p in paths)
            workers = 1 if total < PARALLEL_BYTES else min(MAX_WORKERS, os.cpu_count() or 1)
        config = _config(analyzer, params)
        with store.Writer(index_dir) as w:
            batches = _analyze(paths, docs_dir, analyzer.aliases, w.path, workers, progress)
            vocab, maps = _merge_vocab(batches)
            if progress:
                progress("inverting", 0, 1)
            n = sum(len(b.ids) for b in batches)
            ptr = np.zeros(n + 1, dtype=np.int64)
            if n:
                ptr[1:] = np.cumsum(np.concatenate([np.diff(b.ptr) for b in batches]))
            # one batch at a time into arrays of the final size, term ids made the vocabulary's
            nnz = sum(b.nnz for b in batches)
            terms = np.empty(nnz, dtype=np.int32)
            tfs = np.empty(nnz, dtype=max((np.dtype(b.tfs_dtype) for b in batches),
                                          key=lambda d: d.itemsize))
            at = 0
            for b in batches:
                np.take(maps[b.worker], b.take("terms"), out=terms[at : at + b.nnz])
                tfs[at : at + b.nnz] = b.take("tfs")
                at += b.nnz
                b.ptr = None
            doc_len = np.concatenate([b.doc_len for b in batches])
            # a token analyzed on its own may name a term that only ever occurs inside an
            # alias name ("korea" of "North Korea"): terms no chunk holds leave the vocabulary
            df = np.zeros(len(vocab), dtype=np.int64)
            for i in range(0, nnz, 1 << 24):  # bincount copies to int64: a slice at a time
                df += np.bincount(terms[i : i + (1 << 24)], minlength=len(vocab))
            if not df.all():
                held = df > 0
                remap = (np.cumsum(held) - 1).astype(np.int32)
                for i in range(0, nnz, 1 << 24):
                    terms[i : i + (1 << 24)] = remap[terms[i : i + (1 << 24)]]
                vocab = [t for t, h in zip(vocab, held.tolist()) if h]
            postings = postings_from_forward(ptr, terms, tfs, doc_len, len(vocab))
            del terms, tfs, ptr
            segments = [b.segment for b in batches]
            loc = np.concatenate([
                np.column_stack([np.full(len(b.loc), i, dtype=np.int64), b.loc])
                for i, b in enumerate(batches)]) if n else np.zeros((0, 3), dtype=np.int64)
            ids = [cid for b in batches for cid in b.ids]
            docs = [d for b in batches for d in b.docs]
            blob, id_off, id_order = _sorted_ids(ids)
            del ids
            if progress:
                progress("writing", 0, 1)
            for name in segments:
                w.add_written(name)
            _write_arrays(w, postings, loc, blob, id_off, id_order)
            w.add_bytes("vocab.json", json.dumps(vocab, ensure_ascii=False).encode("utf-8"))
            manifest = {
                "fingerprint": _fingerprint(config, [(d["id"], d["sha256"]) for d in docs]),
                "config": config, "docs": docs, "n_chunks": n, "n_terms": len(vocab),
                "segments": segments, "arrays": list(_ARRAY_NAMES),
                "build": {"workers": workers,
                          "worker_peak_rss_mb": sorted({b.worker: b.peak_rss_mb
                                                        for b in batches}.values())},
            }
            w.publish(manifest)
            if progress:
                progress("writing", 1, 1)
        return cls.load(index_dir, analyzer)

    @classmethod
    def load(cls, index_dir: Path, analyzer: Analyzer) -> "Index":
        """Open the index in use: arrays memory-mapped, chunk records read on demand."""
        stored = store.load(index_dir)
        m = stored.manifest
        a = stored.arrays
        try:
            params = BM25Params(**m["config"]["bm25"])
            records = stored.chunks
            if not isinstance(records, store.ChunkRecords) or any(
                    k not in a for k in ("ids", "id_off", "id_order")):
                raise KeyError("chunk locator")
        except (KeyError, TypeError) as e:
            raise IndexFormatError(f"{stored.path}: damaged manifest ({e})") from None
        plain = {name: np.asarray(a[name]).view(np.ndarray) for name in ARRAYS_OF_POSTINGS}
        postings = Postings(plain["indptr"], plain["docs"], plain["tfs"], plain["doc_len"])
        _prefault(postings)
        n = len(records)
        order = a["id_order"]
        if order.shape != (n,) or a["id_off"].shape != (n + 1,):
            raise IndexFormatError(f"{stored.path}: inconsistent index files")
        rank = np.empty(n, dtype=np.int32)
        rank[order] = np.arange(n, dtype=np.int32)
        vocab = {t: i for i, t in enumerate(stored.vocab)}
        return cls(StoredChunks(records), vocab, BM25(postings, params), analyzer, m,
                   ChunkIds(a["ids"], a["id_off"], order), rank)

    @classmethod
    def open(cls, data_dir: Path, index_dir: Path | None = None,
             params: BM25Params = DEFAULT_PARAMS,
             notice: Callable[[str], None] = lambda msg: None,
             progress: Progress | None = None) -> "Index":
        """The index for data_dir: loaded if fresh; after documents changed, updated by
        re-analyzing only those (or rebuilt), with a one-line notice."""
        index_dir = index_dir or default_index_dir(data_dir)
        analyzer = load_analyzer(data_dir)
        config = _config(analyzer, params)
        try:
            manifest = store.read_manifest(index_dir)
        except IndexVersionError as e:
            notice(f"index from another docbot version, rebuilding: {e}")
            manifest = None
        except IndexFormatError as e:
            notice(f"index damaged, rebuilding: {e}")
            manifest = None
        if manifest is not None:
            survey = _survey(manifest, data_dir, config)
            if survey is None or survey.changed:
                notice(CHANGED)
                if survey is not None:
                    try:
                        index = _update(index_dir, analyzer, params, config, manifest, survey,
                                        progress)
                    except IndexFormatError as e:
                        notice(f"index damaged, rebuilding: {e}")
                        index = None
                    if index is not None:
                        return _told(index, notice)
            else:
                try:
                    return cls.load(index_dir, analyzer)
                except IndexFormatError as e:
                    notice(f"index damaged, rebuilding: {e}")
        return _told(cls.build(data_dir, index_dir, params, progress=progress), notice)

    # -- searching -----------------------------------------------------------------------------
    def query_term_ids(self, terms: list[str]) -> list[int]:
        return [self.vocab[t] for t in terms if t in self.vocab]

    def search_terms(self, terms: list[str], k: int,
                     allowed: np.ndarray | None = None) -> list[SearchHit]:
        hits = self.bm25.search(self.query_term_ids(terms), k, tiebreak=self._id_rank,
                                allowed=allowed)
        return [SearchHit(self.chunks[h.doc], h.score) for h in hits]

    def search(self, query: str, k: int = 10) -> list[SearchHit]:
        """The k best chunks for a question, best first (ties broken by chunk id)."""
        return self.search_terms(self.analyzer.terms(query), k)

    def df(self, term: str) -> int:
        t = self.vocab.get(term)
        if t is None:
            return 0
        ptr = self.bm25.postings.indptr
        return int(ptr[t + 1] - ptr[t])

    def neighbours(self, chunk: Chunk, before: int = 1, after: int = 1) -> list[Chunk]:
        """The chunk with its neighbours in the same document, in reading order."""
        i = self.by_id[chunk.id]
        lo, hi = i, i
        while lo > 0 and i - lo < before and self.chunks[lo - 1].doc == chunk.doc:
            lo -= 1
        while hi + 1 < len(self.chunks) and hi - i < after and self.chunks[hi + 1].doc == chunk.doc:
            hi += 1
        return self.chunks[lo : hi + 1]

    @property
    def documents(self) -> list[dict]:
        return list(self.manifest.get("docs", []))


def _told(index: "Index", notice: Callable[[str], None]) -> "Index":
    """After a build: one line for each document that was skipped or read in part."""
    for line in problem_notices(index.documents):
        notice(line)
    return index


_ARRAY_NAMES = ("indptr", "docs", "tfs", "doc_len", "chunk_loc", "ids", "id_off", "id_order")
ARRAYS_OF_POSTINGS = ("indptr", "docs", "tfs", "doc_len")
PREFAULT_BYTES = 32 << 20


def _prefault(postings: Postings) -> None:
    """Map the pages of large postings in the background after an index is opened, so that
    the first questions do not pay a page fault per 4 KiB of postings they read (the files are
    usually in the page cache already; this only maps them)."""
    big = [a for a in (postings.docs, postings.tfs) if a.nbytes > PREFAULT_BYTES]
    if not big:
        return
    import threading

    def touch() -> None:
        for a in big:
            int(a.view(np.uint8)[::4096].sum())  # numpy lets go of the GIL while it reads

    threading.Thread(target=touch, name="docbot-prefault", daemon=True).start()


def _write_arrays(w: store.Writer, postings: Postings, loc: np.ndarray, blob: np.ndarray,
                  id_off: np.ndarray, id_order: np.ndarray) -> None:
    for name, array in (("indptr", postings.indptr), ("docs", postings.docs),
                        ("tfs", postings.tfs), ("doc_len", postings.doc_len),
                        ("chunk_loc", loc), ("ids", blob), ("id_off", id_off),
                        ("id_order", id_order)):
        w.add_array(name, array)


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
    fresh = _fingerprint(config, shas) == manifest.get("fingerprint")
    return _Survey(docs_dir, paths, entries, not fresh)


# -- incremental update --------------------------------------------------------------------------


def _update(index_dir: Path, analyzer: Analyzer, params: BM25Params, config: dict,
            manifest: dict, survey: _Survey, progress: Progress | None) -> "Index | None":
    """Re-analyze only the changed and added documents and merge them into the stored index.
    None when a full build is the better deal: most documents changed, or the chunk segments
    would hold more dead records than live ones. The result equals a full build's."""
    old_docs = manifest.get("docs", [])
    todo = [p for p, e in zip(survey.paths, survey.docs) if e is None]
    if (len(todo) > UPDATE_SHARE * max(1, len(old_docs))
            or len(manifest.get("segments", [])) >= MAX_SEGMENTS):
        return None
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
            return None
        vocab, postings = _merge_postings(stored, new_pos, batch, batch_pos, doc_len)
        blob, id_off, id_order = _merge_ids(a, pieces, new_pos, batch, batch_pos, n)
        _write_arrays(w, postings, loc, blob, id_off, id_order)
        if vocab is stored.vocab:
            w.link(stored.path, "vocab.json", manifest["files"]["vocab.json"])
        else:
            w.add_bytes("vocab.json", json.dumps(vocab, ensure_ascii=False).encode("utf-8"))
        w.publish({
            "fingerprint": _fingerprint(config, [(d["id"], d["sha256"]) for d in docs]),
            "config": config, "docs": docs, "n_chunks": n, "n_terms": len(vocab),
            "segments": segments, "arrays": list(_ARRAY_NAMES),
            "build": dict(manifest.get("build", {}), updated_documents=len(todo)),
        })
    if progress:
        progress("updating", 1, 1)
    return Index.load(index_dir, analyzer)


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
                    doc_len: np.ndarray) -> tuple[list[str], Postings]:
    """Postings of the kept chunks (renumbered; they stay in term order) with the batch's
    inserted where they belong; terms no chunk holds any more leave the vocabulary."""
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
    return vocab, Postings(indptr_new, docs, tfs, doc_len)


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


if __name__ == "__main__":
    import sys

    if len(sys.argv) == 5 and sys.argv[1] == "--worker":
        _worker_main(sys.argv[2], sys.argv[3], int(sys.argv[4]))
