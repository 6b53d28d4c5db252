"""The cluster backend: docbot's passages searched on Xapian shards served by xapian-tcpsrv.

Why Xapian (README.md, "Beyond one machine"): its client library opens several remote shards
as one database and weighs every passage with corpus-wide statistics, and its BM25+ weight
with docbot's parameters (k1 0.9, b 0.75, no length floor, delta 0) gives docbot's scores
exactly once the BM25Plus baseline (idf * delta of every query term, the same for every
passage) is added back here.

The shards hold docbot's own analyzed terms (with their counts), so the analyzer, aliases,
coverage and abstention stay docbot's; each passage's record (text, citation, notes, and its
tokens and sentences as the local index stores them, so answering analyzes nothing) is a
value of the shard document, and each shard's metadata carries the analyzer's aliases, the
validated fact table and the document list, so a client needs nothing but the cluster file.

A shard is a Xapian database directory; a node serves one or more of them with
`xapian-tcpsrv --port P --interface ADDR SHARD_DIR`. update() brings existing shards up to
date one document at a time (every passage holds its document's term), in place, so the
servers keep serving; a client reopens them (ClusterIndex.reopen). The cluster file lists, per shard, the
servers that hold a copy (replicas). A replica that fails is replaced by the next one; a
shard with no live replica is left out of the search and the answer says which part of the
collection was not searched; shards that failed are tried again every RETRY_SECONDS.
"""
from __future__ import annotations

import collections
import hashlib
import itertools
import importlib.util
import json
import math
import os
import shutil
import subprocess
import sys
import sysconfig
import threading
import time
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator, Mapping, Protocol, Sequence, runtime_checkable

import numpy as np

from .answering import rescore
from .search.analyze import Analyzer
from .answering.answer import Answer, Answerer, clean_question
from .search.bm25 import TIE_RTOL, BM25Params
from .reading.corpus import Chunk, doc_id_for, doc_paths, load_document
from .search.engine import DEFAULT_PARAMS, SearchHit, load_analyzer
from .errors import DataError, DocbotError, IndexFormatError
from .facts import Fact, FactTable, compile_facts
from .search.tokens import ChunkTokens, offset_dtype, text_tokens
from . import yamlfile

FORMAT = 2  # of the shard metadata and records below; a shard of another format is refused
META_KEY = "docbot"
RETRY_SECONDS = 1.0  # a shard with no live replica is tried again after this long
TIMEOUT_MS = 5000  # per remote operation (a node that hangs, rather than dies)
CONNECT_TIMEOUT_MS = 1000
# Xapian 1.4 prunes, over several databases at once (never over one), a few passages that
# belong in the top k: 9 of 10,570 SQuAD dev questions' top 10 differed. Checking this many
# matches before it prunes removed every difference there (checking all of them did too, at
# 3x the cost on 1M passages: README.md).
CHECK_AT_LEAST = 1000
# with more of the documents new or changed than this share, an update builds every shard anew
# (in parallel) rather than one document at a time
UPDATE_SHARE = 0.5
TIE_EXTRA = 8  # passages ranked beyond k, so a group of ties at the k-th place is ordered whole
ID_SLOT = 0  # value: the chunk id (ties are broken by it, as locally)
RECORD_SLOT = 1  # value: the passage's record (_record_bytes)
RECORDS_KEPT = 4096  # records of recent hits kept for ClusterIndex.tokens (a question uses ~20)
MAX_TERM_BYTES = 240  # Xapian's limit is 245 bytes; longer terms are cut and tagged by a hash
INSTALL = "apt-get install python3-xapian xapian-tools"
DEBIAN_XAPIAN = Path("/usr/lib/python3/dist-packages/xapian")
DEBIAN_PYTHON = "/usr/bin/python3"  # the interpreter python3-xapian is built for


# -- the surface the answer service and the commands use -----------------------------------------


@runtime_checkable
class Searcher(Protocol):
    """What Answerer (index/answering/answer.py) and bot/commands.py use of an index; the local Index
    (index/search/engine.py) and ClusterIndex both offer it.

    chunks: len() is the number of passages; chunks[key] is the Chunk for a key of by_id.
    by_id: `chunk_id in by_id` says whether the passage is in the collection; by_id[chunk_id]
    is its key for chunks[] (a position locally, the chunk id itself in the cluster)."""

    analyzer: Analyzer
    manifest: dict

    @property
    def chunks(self) -> Any: ...
    @property
    def by_id(self) -> Any: ...
    @property
    def documents(self) -> list[dict]: ...
    def df(self, term: str) -> int: ...
    def search_terms(self, terms: list[str], k: int) -> list[SearchHit]: ...
    def neighbours(self, chunk: Chunk, before: int = 1, after: int = 1) -> list[Chunk]: ...


# -- the bindings ---------------------------------------------------------------------------------

_xapian = None


def load_xapian():
    """The xapian module: the interpreter's own, else Debian's python3-xapian (built for the
    system Python 3.x; a venv of another build of the same 3.x loads it too), loaded alone so
    none of Debian's other packages shadow the venv's. DocbotError when neither is there."""
    global _xapian
    if _xapian is not None:
        return _xapian
    try:
        import xapian  # noqa: F401
        _xapian = xapian
        return xapian
    except ImportError:
        pass
    suffix = sysconfig.get_config_var("EXT_SUFFIX") or ""
    ext = DEBIAN_XAPIAN / f"_xapian{suffix}"
    if not ext.is_file():
        found = sorted(p.name for p in DEBIAN_XAPIAN.glob("_xapian*")) if DEBIAN_XAPIAN.is_dir() else []
        why = (f"{DEBIAN_XAPIAN} has {', '.join(found)}, not {ext.name} for this Python"
               if found else "Xapian's Python bindings are not installed")
        hint = (f"make the venv with {DEBIAN_PYTHON}" if found else f"run `{INSTALL}`")
        raise DocbotError(f"the cluster backend needs Xapian: {why}; {hint}")
    spec = importlib.util.spec_from_file_location(
        "xapian", DEBIAN_XAPIAN / "__init__.py", submodule_search_locations=[str(DEBIAN_XAPIAN)])
    module = importlib.util.module_from_spec(spec)
    sys.modules["xapian"] = module
    try:
        spec.loader.exec_module(module)
    except ImportError as e:
        del sys.modules["xapian"]
        raise DocbotError(f"the cluster backend cannot load Xapian from {DEBIAN_XAPIAN} ({e}); "
                          f"run `{INSTALL}`") from None
    _xapian = module
    return module


def server_program() -> str | None:
    """Path of xapian-tcpsrv, the server that serves a shard, or None."""
    return shutil.which("xapian-tcpsrv")


def _weight(xapian, params: BM25Params):
    """Xapian's BM25+ with docbot's k1 and b. delta is left out (0) because rank-bm25's BM25Plus
    adds it to every passage, matched or not: it is added back as a constant (_baseline)."""
    return xapian.BM25PlusWeight(params.k1, 0.0, 0.0, params.b, 0.0, 0.0)


# -- terms as stored ------------------------------------------------------------------------------


def _key(term: str) -> str:
    """A docbot term as a Xapian term (the same at build and query time)."""
    raw = term.encode("utf-8")
    if len(raw) <= MAX_TERM_BYTES:
        return term
    cut = raw[: MAX_TERM_BYTES - 17].decode("utf-8", "ignore")
    return cut + "#" + hashlib.sha256(raw).hexdigest()[:16]


def _id_term(chunk_id: str) -> str:
    """Boolean term naming one passage (docbot terms are casefolded: no capital prefixes)."""
    return "Q" + hashlib.sha256(chunk_id.encode("utf-8")).hexdigest()[:24]


def _doc_term(doc: str) -> str:
    """Boolean term held by every passage of a document: an update deletes them by it."""
    return "D" + hashlib.sha256(doc.encode("utf-8")).hexdigest()[:24]


def _seq_term(doc: str, seq: int) -> str:
    """Boolean term for the seq-th passage of a document (for /source's neighbours)."""
    return f"N{seq}:" + hashlib.sha256(doc.encode("utf-8")).hexdigest()[:24]


# -- passage records ------------------------------------------------------------------------------
# A record is a JSON header, a newline, then the token arrays, compressed (values are stored
# as they are, and a smaller shard stays in the page cache). Its terms are the passage's own
# small vocabulary (null for a token whose term the index lacks, as locally), so a client maps
# only the question's terms; the arrays are what index/search/tokens.py stores per chunk locally.


def _record_bytes(chunk: Chunk, vocab: list[str | None], terms: np.ndarray, starts: np.ndarray,
                  ends: np.ndarray, sent_tok: np.ndarray, sent_start: np.ndarray,
                  sent_end: np.ndarray) -> bytes:
    """One passage's record: terms are indexes into vocab, offsets are into chunk.text."""
    tdt = np.dtype(np.uint8 if len(vocab) <= 1 << 8 else np.uint16 if len(vocab) <= 1 << 16
                   else np.uint32)
    odt = offset_dtype(len(chunk.text) + 1)
    sdt = np.dtype(np.uint16 if len(terms) < 1 << 16 else np.int32)
    head = {"c": chunk.to_dict(), "v": vocab, "n": [len(terms), len(sent_tok)],
            "d": [tdt.str, odt.str, sdt.str]}
    parts = [json.dumps(head, ensure_ascii=False).encode("utf-8"), b"\n",
             terms.astype(tdt).tobytes(), starts.astype(odt).tobytes(), ends.astype(odt).tobytes(),
             sent_tok.astype(sdt).tobytes(), sent_start.astype(odt).tobytes(),
             sent_end.astype(odt).tobytes()]
    return zlib.compress(b"".join(parts), 6)


class _Record:
    """A passage's record as read from a shard: the Chunk at once, the tokens when asked."""

    __slots__ = ("chunk", "_raw", "_head", "_at", "_arrays")

    def __init__(self, value: bytes) -> None:
        raw = zlib.decompress(value)
        cut = raw.index(b"\n")  # JSON escapes every newline inside it
        self._head = json.loads(raw[:cut])
        self.chunk = Chunk.from_dict(self._head["c"])
        self._raw, self._at, self._arrays = raw, cut + 1, None

    def _unpack(self) -> tuple[np.ndarray, ...]:
        if self._arrays is None:
            (n_tok, n_sent), (tdt, odt, sdt) = self._head["n"], self._head["d"]
            out, at = [], self._at
            for dt, n in ((tdt, n_tok), (odt, n_tok), (odt, n_tok), (sdt, n_sent), (odt, n_sent),
                          (odt, n_sent)):
                a = np.frombuffer(self._raw, dtype=dt, count=n, offset=at)
                at += a.nbytes
                out.append(a.astype(np.int32))
            self._arrays = tuple(out)
        return self._arrays

    def tokens(self, ids: Sequence[tuple[str, int]]) -> ChunkTokens:
        """The passage's tokens, a term of ids as its id and any other term as -1."""
        local, starts, ends, sent_tok, _, _ = self._unpack()
        vocab = self._head["v"]
        to = np.full(len(vocab), -1, dtype=np.int32)
        for term, i in ids:
            if term in vocab:
                to[vocab.index(term)] = i
        return ChunkTokens(to[local] if len(to) else local, starts, ends, sent_tok)

    def sentence_spans(self) -> np.ndarray:
        """(start, end) character offsets of each sentence, shape (k, 2)."""
        _, _, _, _, s, e = self._unpack()
        return np.stack([s, e], axis=1)


def shard_of(doc_id: str, shards: int) -> int:
    """The shard a document goes to: a stable hash of its id, so a rebuild moves nothing."""
    return int.from_bytes(hashlib.sha256(doc_id.encode("utf-8")).digest()[:8], "big") % shards


# -- building -------------------------------------------------------------------------------------


def _fact_table(data_dir: Path, analyzer: Analyzer) -> list[dict]:
    """The validated fact table (quotes checked, facts linked to passages) as plain records,
    compiled as the local index build compiles it."""
    return json.loads(compile_facts(data_dir, analyzer.aliases.keys()))["facts"]


def build(data_dir: Path, shards: int, out_dir: Path,
          progress: Callable[[str, int, int], None] | None = None,
          workers: int | None = None) -> list[Path]:
    """One Xapian database per shard under out_dir (shard-0 … shard-N-1), documents assigned
    by shard_of. Each shard is written in a folder of its own and moved into place when
    complete, so a failed build leaves the previous shards as they were."""
    xapian = load_xapian()
    if not 1 <= shards <= 256:
        raise DocbotError(f"--shards must be between 1 and 256, not {shards}")
    analyzer = load_analyzer(data_dir)
    paths = doc_paths(data_dir)
    docs_dir = data_dir / "docs"
    facts = _fact_table(data_dir, analyzer)
    parts: list[list[str]] = [[] for _ in range(shards)]
    for p in paths:
        parts[shard_of(doc_id_for(p, docs_dir), shards)].append(str(p))
    h = hashlib.sha256(f"{analyzer.fingerprint()}|{shards}|{time.time_ns()}".encode())
    cluster_id = h.hexdigest()[:16]
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise DocbotError(f"{out_dir}: cannot create the output folder ({e.strerror})") from None
    common = {"format": FORMAT, "cluster": cluster_id, "shards": shards,
              "analyzer": analyzer.fingerprint(), "aliases": analyzer.aliases,
              "bm25": DEFAULT_PARAMS.to_dict(), "facts": facts, "engine": xapian.version_string(),
              "doc_terms": True}  # every passage holds its document's term (_doc_term): updatable
    jobs = []
    for i, part in enumerate(parts):
        tmp = out_dir / f".shard-{i}.tmp-{os.getpid()}"
        shutil.rmtree(tmp, ignore_errors=True)
        jobs.append({"shard": i, "paths": part, "docs_dir": str(docs_dir), "out": str(tmp),
                     "meta": dict(common, shard=i)})
    workers = workers or min(shards, os.cpu_count() or 1, 2)
    summaries = _run_jobs(jobs, workers, progress, len(paths))
    # every shard knows what each shard holds, to say what a missing one leaves out
    for job, summary in zip(jobs, summaries):
        db = xapian.WritableDatabase(job["out"], xapian.DB_OPEN)
        meta = json.loads(db.get_metadata(META_KEY).decode("utf-8"))
        meta["summary"] = summaries
        db.set_metadata(META_KEY, json.dumps(meta, ensure_ascii=False).encode("utf-8"))
        db.commit()
        db.close()
    done = []
    for job in jobs:
        final = out_dir / f"shard-{job['shard']}"
        old = out_dir / f".shard-{job['shard']}.old-{os.getpid()}"
        if final.exists():
            final.rename(old)
        Path(job["out"]).rename(final)
        shutil.rmtree(old, ignore_errors=True)
        done.append(final)
    for stale in out_dir.glob("shard-*"):  # shards of an earlier build with more of them
        if stale not in done and stale.name.split("-", 1)[1].isdigit():
            shutil.rmtree(stale, ignore_errors=True)
    return done


@dataclass
class ShardUpdate:
    """What `docbot cluster build` did to a cluster's shards."""
    shards: list[Path]
    added: list[str] = field(default_factory=list)  # document ids
    changed: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    passages_added: int = 0
    passages_deleted: int = 0
    written: list[int] = field(default_factory=list)  # shards whose passages changed
    rebuilt: str = ""  # why every shard was written anew; "" for a per-document update
    seconds: float = 0.0


def _shard_metas(xapian, out_dir: Path, shards: int) -> list[dict] | str:
    """The metadata of the shards in out_dir, or why they cannot take a per-document update."""
    metas = []
    for i in range(shards):
        path = out_dir / f"shard-{i}"
        if not path.is_dir():
            return f"{path} is missing" if i else "no shards yet"
        try:
            db = xapian.Database(str(path))
            raw = db.get_metadata(META_KEY)
            db.close()
            meta = json.loads(raw.decode("utf-8"))
        except (xapian.Error, UnicodeDecodeError, json.JSONDecodeError) as e:
            return f"{path} is not a readable docbot shard ({_short_error(e)})"
        if meta.get("format") != FORMAT or not meta.get("doc_terms"):
            return f"{path} was written by an older docbot"
        if meta.get("shards") != shards:
            return f"the shards in {out_dir} are {meta.get('shards')} shards, not {shards}"
        if meta.get("shard") != i or meta.get("cluster") != (metas[0] if metas else meta)["cluster"]:
            return f"{path} is not shard {i + 1} of the other shards' build"
        metas.append(meta)
    if (out_dir / f"shard-{shards}").is_dir():
        return f"{out_dir} holds more than {shards} shards"
    return metas


def _same_file(entry: dict | None, path: Path) -> bool:
    """Whether the file is the one a shard's document entry describes (its size and mtime,
    else its content)."""
    if entry is None:
        return False
    st = path.stat()
    if st.st_size == entry.get("size") and st.st_mtime_ns == entry.get("mtime_ns"):
        return True
    return hashlib.sha256(path.read_bytes()).hexdigest() == entry.get("sha256")


def update(data_dir: Path, shards: int, out_dir: Path, rebuild: bool = False,
           progress: Callable[[str, int, int], None] | None = None) -> ShardUpdate:
    """Bring the shards in out_dir up to date with data_dir: the passages of added, changed
    and deleted documents are added to or deleted from their shard (by the document's term),
    every other passage stays as it is; the metadata of every shard (documents, what each
    shard holds, the fact table) is rewritten. Xapian keeps its statistics (passage count,
    lengths, term frequencies) exact through deletions, so scores equal a fresh build's.
    Servers serving the shards keep serving; a client sees the change when it reopens
    (ClusterIndex.reopen). Builds every shard anew when there are none, when they cannot
    take an update (another shard count, analyzer or format) or when most documents changed."""
    t0 = time.perf_counter()
    xapian = load_xapian()
    if not 1 <= shards <= 256:
        raise DocbotError(f"--shards must be between 1 and 256, not {shards}")
    metas = "--rebuild" if rebuild else _shard_metas(xapian, out_dir, shards)
    analyzer = load_analyzer(data_dir)
    paths = doc_paths(data_dir)
    docs_dir = data_dir / "docs"

    def full(why: str) -> ShardUpdate:
        built = build(data_dir, shards, out_dir, progress=progress)
        return ShardUpdate(built, added=[doc_id_for(p, docs_dir) for p in paths], rebuilt=why,
                           passages_added=sum(_passage_counts(xapian, built)),
                           written=list(range(shards)),
                           seconds=time.perf_counter() - t0)

    if isinstance(metas, str):
        return full(metas)
    if metas[0].get("analyzer") != analyzer.fingerprint():
        return full("the analyzer or the aliases changed")
    if metas[0].get("bm25") != DEFAULT_PARAMS.to_dict():
        return full("the BM25 parameters changed")
    known = {d["id"]: (i, d) for i, m in enumerate(metas) for d in m.get("docs", [])}
    now: dict[str, Path] = {doc_id_for(p, docs_dir): p for p in paths}
    report = ShardUpdate([out_dir / f"shard-{i}" for i in range(shards)])
    todo: list[Path] = []
    for doc_id, p in now.items():
        if not _same_file(known[doc_id][1] if doc_id in known else None, p):
            (report.changed if doc_id in known else report.added).append(doc_id)
            todo.append(p)
    report.deleted = sorted(set(known) - set(now))
    if len(todo) > UPDATE_SHARE * max(1, len(known)):
        return full(f"{len(todo)} of {len(now)} documents are new or changed")
    # everything that can fail (reading, the fact table) before any shard is written
    facts = _fact_table(data_dir, analyzer)
    loaded = {doc_id_for(p, docs_dir): load_document(p, docs_dir) for p in todo}
    gone = set(report.changed + report.deleted)
    counts = {s["shard"]: s["passages"] for s in metas[0].get("summary", [])}
    dbs: dict[int, Any] = {}
    try:
        for i, meta in enumerate(metas):
            mine_gone = [d for d in gone if known[d][0] == i]
            mine_new = [d for d in loaded if shard_of(d, shards) == i]
            if not mine_gone and not mine_new:
                continue
            db = dbs[i] = _writable(xapian, out_dir / f"shard-{i}")
            db.begin_transaction(True)  # nothing is seen (nor flushed) before the commit
            before = db.get_doccount()
            for d in mine_gone:
                db.delete_document(_doc_term(d))
            report.passages_deleted += before - db.get_doccount()
            writer = _PassageWriter(xapian, db, analyzer)
            for d in mine_new:
                writer.add(loaded[d].chunks)
            writer.flush()
            report.passages_added += writer.written
            counts[i] = db.get_doccount()
            entries = {d["id"]: d for d in meta.get("docs", []) if d["id"] not in gone}
            entries.update((d, _doc_entry(loaded[d], docs_dir)) for d in mine_new)
            # the build's order: doc_paths sorts by path parts
            meta["docs"] = sorted(entries.values(), key=lambda d: Path(d["path"]).parts)
            report.written.append(i)
            if progress:
                progress("updating shards", len(report.written), len(metas))
        summaries = [_summary(i, m["docs"], counts[i]) for i, m in enumerate(metas)]
        for i, meta in enumerate(metas):
            new = dict(meta, facts=facts, summary=summaries)
            if i not in dbs:
                if new == meta:
                    continue
                dbs[i] = _writable(xapian, out_dir / f"shard-{i}")
            dbs[i].set_metadata(META_KEY, json.dumps(new, ensure_ascii=False).encode("utf-8"))
            if i in report.written:
                dbs[i].commit_transaction()
            else:
                dbs[i].commit()
    finally:
        for db in dbs.values():
            db.close()  # an uncommitted transaction is dropped
    report.seconds = time.perf_counter() - t0
    return report


def _writable(xapian, path: Path):
    try:
        return xapian.WritableDatabase(str(path), xapian.DB_OPEN)
    except xapian.DatabaseLockError:
        raise DocbotError(f"{path} is being written by another docbot cluster build; wait for "
                          f"it to finish") from None


def _passage_counts(xapian, shards: list[Path]) -> list[int]:
    out = []
    for path in shards:
        db = xapian.Database(str(path))
        out.append(db.get_doccount())
        db.close()
    return out


def _run_jobs(jobs: list[dict], workers: int, progress, total: int) -> list[dict]:
    """Build shards in worker processes (python -m index.cluster --build-shard JOB.json),
    at most `workers` at a time; they exchange JSON files, never pickles."""
    env = dict(os.environ)
    root = str(Path(__file__).resolve().parents[1])
    env["PYTHONPATH"] = root + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    env.setdefault("XAPIAN_FLUSH_THRESHOLD", "200000")  # fewer, larger flushes while building
    pending = list(jobs)
    running: list[tuple[dict, subprocess.Popen, Path]] = []
    done_docs = 0
    summaries: dict[int, dict] = {}
    try:
        while pending or running:
            while pending and len(running) < workers:
                job = pending.pop(0)
                spec = Path(job["out"] + ".job.json")
                spec.write_text(json.dumps(job, ensure_ascii=False), encoding="utf-8")
                proc = subprocess.Popen([sys.executable, "-m", "index.cluster", "--build-shard",
                                         str(spec)], env=env, stdout=subprocess.PIPE,
                                        stderr=subprocess.PIPE, text=True)
                running.append((job, proc, spec))
            job, proc, spec = running[0]
            for j, p, s in running:  # whichever finishes first
                if p.poll() is not None:
                    job, proc, spec = j, p, s
                    break
            out, err = proc.communicate()
            running.remove((job, proc, spec))
            spec.unlink(missing_ok=True)
            if proc.returncode != 0:
                last = (out.strip().splitlines() or err.strip().splitlines() or ["no output"])[-1]
                raise DocbotError(f"building shard {job['shard']} failed: {last}")
            summaries[job["shard"]] = json.loads(out.strip().splitlines()[-1])
            done_docs += len(job["paths"])
            if progress:
                progress("building shards", done_docs, total)
    except BaseException:
        for _, p, s in running:
            p.kill()
            p.wait()
            s.unlink(missing_ok=True)
        for job in jobs:
            shutil.rmtree(job["out"], ignore_errors=True)
        raise
    return [summaries[j["shard"]] for j in jobs]


class _PassageWriter:
    """Adds passages to a shard: each with docbot's terms and counts, its id, document and
    position terms, its chunk id and record as values. A passage's Xapian document depends on
    its own text alone (and the analyzer), so a document written by an update is the one a
    build would write."""

    def __init__(self, xapian, db, analyzer: Analyzer) -> None:
        from .search.analyze import TermIds

        self.xapian, self.db = xapian, db
        self.term_ids = TermIds(analyzer)
        self.vocab_list: list[str] = []
        self.pending: list[Chunk] = []
        self.written = 0

    def add(self, chunks: Sequence[Chunk]) -> None:
        self.pending.extend(chunks)
        if len(self.pending) >= 2000:
            self.flush()

    def flush(self) -> None:
        pending, xapian = self.pending, self.xapian
        if not pending:
            return
        # the postings of 'section\ntext' and the tokens of the text, as the local build has them
        terms, rows, block = text_tokens(self.term_ids, [c.section for c in pending],
                                         [c.text for c in pending])
        vocab_list = self.vocab_list
        if len(vocab_list) < len(self.term_ids.vocab):
            vocab_list.extend(list(self.term_ids.vocab)[len(vocab_list):])
        keys, counts = np.unique((rows.astype(np.int64) << 32) | terms.astype(np.int64),
                                 return_counts=True)
        row_of = (keys >> 32).tolist()
        tid = (keys & 0xFFFFFFFF).tolist()
        counts = counts.tolist()
        tp = np.concatenate([[0], np.cumsum(block.tok_count)]).tolist()
        sp = np.concatenate([[0], np.cumsum(block.sent_count)]).tolist()
        j = 0
        for r, c in enumerate(pending):
            doc = xapian.Document()
            while j < len(row_of) and row_of[j] == r:
                doc.add_term(_key(vocab_list[tid[j]]), counts[j])
                j += 1
            doc.add_boolean_term(_id_term(c.id))
            doc.add_boolean_term(_seq_term(c.doc, c.seq))
            doc.add_boolean_term(_doc_term(c.doc))
            doc.add_value(ID_SLOT, c.id.encode("utf-8"))
            lo, hi, slo, shi = tp[r], tp[r + 1], sp[r], sp[r + 1]
            uniq, local = np.unique(block.tok_terms[lo:hi], return_inverse=True)
            vocab = [vocab_list[t] if t >= 0 else None for t in uniq.tolist()]
            doc.add_value(RECORD_SLOT, _record_bytes(
                c, vocab, local.reshape(-1), block.tok_start[lo:hi], block.tok_end[lo:hi],
                block.sent_tok[slo:shi], block.sent_start[slo:shi], block.sent_end[slo:shi]))
            self.db.add_document(doc)
        self.written += len(pending)
        pending.clear()


def _doc_entry(d, docs_dir: Path) -> dict:
    """A document as a shard's metadata lists it; size and mtime let an update skip hashing
    files that were not touched."""
    st = d.path.stat()
    return dict(d.meta(), path=str(d.path.relative_to(docs_dir)), size=st.st_size,
                mtime_ns=st.st_mtime_ns)


def _build_shard(job: dict) -> dict:
    """Write one shard: every passage of its documents with docbot's terms and its record."""
    import gc

    xapian = load_xapian()
    gc.disable()  # millions of small objects, no cycles
    meta = job["meta"]
    analyzer = Analyzer(aliases=meta["aliases"])
    if analyzer.fingerprint() != meta["analyzer"]:
        raise DocbotError("the analyzer differs between the build and its worker")
    db = xapian.WritableDatabase(job["out"], xapian.DB_CREATE_OR_OVERWRITE)
    writer = _PassageWriter(xapian, db, analyzer)
    docs_dir = Path(job["docs_dir"])
    docs: list[dict] = []
    for p in job["paths"]:
        d = load_document(Path(p), docs_dir)
        docs.append(_doc_entry(d, docs_dir))
        writer.add(d.chunks)
    writer.flush()
    summary = _summary(job["shard"], docs, writer.written)
    db.set_metadata(META_KEY, json.dumps(dict(meta, docs=docs, summary=[]),
                                         ensure_ascii=False).encode("utf-8"))
    db.commit()
    db.close()
    return summary


def _summary(shard: int, docs: list[dict], passages: int) -> dict:
    """What a shard holds, as every shard's metadata tells it (ClusterIndex.missing_notice)."""
    return {"shard": shard, "documents": len(docs), "passages": passages,
            "titles": [d["title"] or d["id"] for d in docs[:3]]}


# -- the cluster file -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Replica:
    host: str
    port: int

    def __str__(self) -> str:
        return f"{self.host}:{self.port}"


@dataclass(frozen=True)
class ShardSpec:
    replicas: tuple[Replica, ...]
    line: int = 0


@dataclass(frozen=True)
class ClusterSpec:
    path: Path
    shards: tuple[ShardSpec, ...]
    timeout_ms: int = TIMEOUT_MS


def _replica(path: Path, line: int, text: Any) -> Replica:
    host, sep, port = str(text).strip().rpartition(":")
    if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise DataError(f"{path}:{line}: expected host:port for a replica, got {str(text)!r}")
    return Replica(host.strip("[]"), int(port))


def load_cluster(path: Path) -> ClusterSpec:
    """Read a cluster file: a YAML list with one entry per shard, in shard order, each the
    replicas (host:port) that serve a copy of it:

        - replicas: [127.0.0.1:7000, 127.0.0.1:7100]
        - replicas: [127.0.0.1:7001, 127.0.0.1:7101]

    An entry may also be a plain list or one host:port. The list may sit under `shards:` in a
    mapping that also sets `timeout_ms` (per remote operation, default 5000)."""
    raw = yamlfile.load(path, with_lines=True)
    timeout = TIMEOUT_MS
    if isinstance(raw, dict):
        unknown = set(raw) - {"shards", "timeout_ms", yamlfile.LINE}
        if unknown:
            raise DataError(f"{path}:{raw.get(yamlfile.LINE, 1)}: unknown key "
                            f"{sorted(unknown)[0]!r}; expected shards and timeout_ms")
        timeout = raw.get("timeout_ms", TIMEOUT_MS)
        if not isinstance(timeout, int) or isinstance(timeout, bool) or timeout < 1:
            raise DataError(f"{path}:{raw[yamlfile.LINE]}: timeout_ms must be a whole number of ms")
        raw = raw.get("shards")
    if not isinstance(raw, list) or not raw:
        raise DataError(f"{path}:1: expected a list of shards, each with `replicas: [host:port, …]`")
    lines = getattr(raw, "lines", [1] * len(raw))
    shards = []
    for item, line in zip(raw, lines):
        if isinstance(item, dict):
            unknown = set(item) - {"replicas", yamlfile.LINE}
            if unknown:
                raise DataError(f"{path}:{line}: unknown key {sorted(unknown)[0]!r}; "
                                f"a shard has `replicas: [host:port, …]`")
            item = item.get("replicas")
        items = item if isinstance(item, list) else [item] if isinstance(item, str) else None
        if not items:
            raise DataError(f"{path}:{line}: a shard needs at least one replica (host:port)")
        shards.append(ShardSpec(tuple(_replica(path, line, r) for r in items), line))
    return ClusterSpec(path, tuple(shards), timeout)


# -- searching ------------------------------------------------------------------------------------


@dataclass
class _Shard:
    number: int
    spec: ShardSpec
    db: Any = None  # the open remote database, or None
    replica: Replica | None = None
    meta: dict | None = None
    errors: dict = field(default_factory=dict)  # replica -> last error
    failed_at: float = 0.0


class _Records(Sequence):
    """ClusterIndex.chunks: its length is the number of passages searched; [chunk_id] fetches
    one passage's record from its shard."""

    def __init__(self, cluster: "ClusterIndex") -> None:
        self._cluster = cluster

    def __len__(self) -> int:
        return self._cluster.passage_count()

    def __getitem__(self, key):
        if isinstance(key, str):
            chunk = self._cluster.fetch(key)
            if chunk is None:
                raise KeyError(key)
            return chunk
        raise TypeError("cluster passages are looked up by chunk id (ClusterIndex.by_id)")


class _Ids(Mapping):
    """ClusterIndex.by_id: chunk id -> itself, for the passages a live shard holds."""

    def __init__(self, cluster: "ClusterIndex") -> None:
        self._cluster = cluster

    def __getitem__(self, key):
        if isinstance(key, str) and self._cluster.fetch(key) is not None:
            return key
        raise KeyError(key)

    def __iter__(self) -> Iterator[str]:
        raise TypeError("the passages of a cluster are not listed one by one")

    def __len__(self) -> int:
        return self._cluster.passage_count()


class ClusterIndex:
    """The Searcher surface over the shards of a cluster file."""

    def __init__(self, spec: ClusterSpec) -> None:
        self.xapian = load_xapian()
        self.spec = spec
        self._lock = threading.RLock()
        self._shards = [_Shard(i, s) for i, s in enumerate(spec.shards)]
        self._db = None  # all live shards as one database
        self._df: dict[str, int] = {}
        self._local = threading.local()
        # records of recent hits by handle (SearchHit.pos), for tokens() and sentence_spans()
        self._kept: dict[int, tuple[_Record, tuple]] = {}  # with the ids of its search's terms
        self._handles = itertools.count()
        # ids of the searched terms the collection holds: the term ids tokens() gives
        self._term_ids: dict[str, int] = {}
        self._docs: tuple | None = None  # (the shards' metadata, their documents)
        self.revision = 0  # counts the changes reopen() found (a question may find one)
        self.meta: dict | None = None
        for shard in self._shards:
            self._connect(shard)
        if self.meta is None:
            raise DocbotError(f"{spec.path}: no shard of the cluster answered "
                              f"({self._why(self._shards[0])}); start the servers "
                              f"(xapian-tcpsrv) or fix the addresses")
        m = self.meta
        self.analyzer = Analyzer(aliases=m["aliases"])
        if self.analyzer.fingerprint() != m["analyzer"]:
            raise IndexFormatError(f"{spec.path}: the shards were built by another docbot "
                                   f"version (analyzer differs); rebuild them with docbot cluster build")
        self.params = BM25Params(**m["bm25"])
        self.facts = _facts_of(m)
        self.chunks = _Records(self)
        self.by_id = _Ids(self)
        self._passages = sum(s["passages"] for s in m.get("summary", [])) or None

    # -- connections ------------------------------------------------------------------------
    def _open(self, replica: Replica):
        return self.xapian.remote_open(replica.host, replica.port, self.spec.timeout_ms,
                                       CONNECT_TIMEOUT_MS)

    def _connect(self, shard: _Shard) -> bool:
        """Open the first replica of the shard that answers (the one in use last first)."""
        order = list(shard.spec.replicas)
        if shard.replica in order:
            order.remove(shard.replica)
            order.insert(0, shard.replica)
        for replica in order:
            try:
                db = self._open(replica)
                raw = db.get_metadata(META_KEY)
            except self.xapian.Error as e:
                shard.errors[replica] = _short_error(e)
                continue
            meta = self._check(shard, replica, raw)
            shard.db, shard.replica, shard.meta = db, replica, meta
            shard.errors.pop(replica, None)
            self._db = None
            return True
        shard.db, shard.failed_at = None, time.monotonic()
        self._db = None
        return False

    def _check(self, shard: _Shard, replica: Replica, raw: bytes) -> dict:
        where = f"{self.spec.path}:{shard.spec.line}: {replica}"
        try:
            meta = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError):
            raise IndexFormatError(f"{where} serves a database that is not a docbot shard; "
                                   f"serve a folder written by docbot cluster build") from None
        if meta.get("format") != FORMAT:
            raise IndexFormatError(f"{where} serves a shard of another docbot version "
                                   f"(format {meta.get('format')}); rebuild with docbot cluster build")
        if meta.get("shards") != len(self._shards):
            raise DataError(f"{where} serves shard {meta.get('shard', 0) + 1} of "
                            f"{meta.get('shards')}, but the file lists {len(self._shards)} shards")
        if meta.get("shard") != shard.number:
            raise DataError(f"{where} serves shard {meta['shard'] + 1}, but is listed as shard "
                            f"{shard.number + 1}; list the shards in order")
        if self.meta is None:
            self.meta = meta
        elif meta.get("cluster") != self.meta.get("cluster"):
            raise DataError(f"{where} serves a shard of another build than the other shards; "
                            f"serve the shards of one docbot cluster build")
        return meta

    def _why(self, shard: _Shard) -> str:
        return "; ".join(f"{r}: {shard.errors.get(r, 'not tried')}" for r in shard.spec.replicas)

    def _database(self):
        """All live shards as one Xapian database (rebuilt when a shard comes or goes)."""
        if self._db is None:
            now = time.monotonic()
            for shard in self._shards:
                if shard.db is None and now - shard.failed_at >= RETRY_SECONDS:
                    self._connect(shard)
            live = [s.db for s in self._shards if s.db is not None]
            db = (self.xapian.Database() if live  # no shard at all: an empty database
                  else self.xapian.WritableDatabase("", self.xapian.DB_BACKEND_INMEMORY))
            for sub in live:
                db.add_database(sub)
            self._db = db
            self._df.clear()
        elif any(s.db is None for s in self._shards):
            now = time.monotonic()
            if any(s.db is None and now - s.failed_at >= RETRY_SECONDS for s in self._shards):
                self._db = None
                return self._database()
        return self._db

    def _recover(self) -> None:
        """After a failed remote call: find the shards whose server stopped answering and
        move each to another replica (or leave it out until it answers again)."""
        for shard in self._shards:
            if shard.db is None:
                continue
            try:
                shard.db.keep_alive()
                continue
            except self.xapian.Error as e:
                shard.errors[shard.replica] = _short_error(e)
            failed = shard.replica
            order = [r for r in shard.spec.replicas if r != failed] + [failed]
            shard.replica = order[0]
            self._connect(shard)
        self._db = None

    def _call(self, fn: Callable[[Any], Any]):
        """fn(database of the live shards), retried on the remaining replicas after a failure,
        and at the shards' newest revision when an update overtook the one it read."""
        with self._lock:
            for _ in range(len(self._shards) * max(len(s.spec.replicas) for s in self._shards) + 1):
                db = self._database()
                try:
                    return fn(db)
                except self.xapian.DatabaseModifiedError:
                    self.reopen()
                except self.xapian.Error as e:
                    if not isinstance(e, (self.xapian.NetworkError, self.xapian.DatabaseError)):
                        raise
                    self._recover()
            return fn(self._database())

    def reopen(self) -> bool:
        """Read the shards at their newest revision (after `docbot cluster build` updated
        them in place; the servers keep serving) and their metadata again. True when the
        collection changed. Raises IndexFormatError when the shards are another build than
        the one opened (a fresh ClusterIndex serves those)."""
        with self._lock:
            metas = {}
            for shard in self._shards:
                if shard.db is None:
                    continue
                try:
                    shard.db.reopen()
                    raw = shard.db.get_metadata(META_KEY)
                except self.xapian.DatabaseModifiedError:
                    continue  # overtaken again: the next call reopens it
                except self.xapian.Error as e:
                    shard.errors[shard.replica] = _short_error(e)
                    self._connect(shard)
                    continue
                try:
                    meta = json.loads(raw.decode("utf-8"))
                except (UnicodeDecodeError, json.JSONDecodeError):
                    meta = {}
                if meta.get("cluster") != self.meta.get("cluster"):
                    raise IndexFormatError(f"{self.spec.path}: the shards were built again "
                                           f"(docbot cluster build); open the cluster anew")
                metas[shard.number] = self._check(shard, shard.replica, raw)
            changed = [n for n, m in metas.items() if m != self._shards[n].meta]
            for n in changed:
                self._shards[n].meta = metas[n]
            self._db = None
            if not changed:
                return False
            self.meta = self._shards[changed[0]].meta
            self.facts = _facts_of(self.meta)
            self._df.clear()
            self._docs = None
            self.revision += 1
            return True

    def missing(self) -> list[_Shard]:
        with self._lock:
            self._database()
            return [s for s in self._shards if s.db is None]

    # -- the Searcher surface ---------------------------------------------------------------
    def search_terms(self, terms: list[str], k: int) -> list[SearchHit]:
        """The k best passages for the analyzed terms over every live shard, with docbot's
        scores; ties by chunk id. Records which shards were left out (missing_notice).
        Each hit's pos is a handle for tokens() and sentence_spans()."""
        xapian = self.xapian
        counts = collections.Counter(terms)
        self._local.missing = []
        if not counts or k <= 0:
            return []
        ahead = getattr(self._local, "ahead", None)
        if ahead is not None:
            self._local.ahead = None
            if ahead[0] == (tuple(terms), k):
                self._local.missing = ahead[2]
                return list(ahead[1])

        def run(db):
            enquire = xapian.Enquire(db)
            enquire.set_weighting_scheme(_weight(xapian, self.params))
            enquire.set_sort_by_relevance_then_value(ID_SLOT, False)
            enquire.set_query(xapian.Query(xapian.Query.OP_OR, [
                xapian.Query(xapian.Query.OP_SCALE_WEIGHT, xapian.Query(_key(t)), float(c))
                for t, c in counts.items()]))
            mset = enquire.get_mset(0, k + TIE_EXTRA, CHECK_AT_LEAST)
            n = db.get_doccount()
            df = {t: mset.get_termfreq(_key(t)) for t in counts}
            base = self._baseline(counts, df, n)
            # the sort key (the chunk id) comes with the match: no document is opened to
            # order the ties, and the records of the k kept come in one more request
            top = _docbot_order([(w + base, key.decode("utf-8")) for w, key in _items(mset)])[:k]
            records = self._records(db, [_id_term(cid) for _, cid in top], len(top))
            return df, [(score, records[cid]) for score, cid in top if cid in records]

        df, found = self._call(run)
        with self._lock:
            self._local.missing = [s for s in self._shards if s.db is None]
            self._df.update(df)
            ids = tuple((t, self._term_ids.setdefault(t, len(self._term_ids)))
                        for t, d in df.items() if d)
            return [SearchHit(rec.chunk, score, self._keep(rec, ids)) for score, rec in found]

    def search_ahead(self, terms: list[str], k: int) -> None:
        """Search now what this thread's next search_terms(terms, k) will ask for: its
        statistics give every term's df, so the answer service asks the shards nothing else."""
        self._local.ahead = None
        if not terms or k <= 0:
            return
        hits = self.search_terms(terms, k)
        self._local.ahead = ((tuple(terms), k), hits, self._local.missing)

    def _records(self, db, terms: list[str], limit: int) -> dict[str, _Record]:
        """The records of the passages holding any of the boolean terms, by chunk id: one
        match over the shards that returns each record as its sort key (values are read for
        the matching passages only)."""
        if not terms:
            return {}
        xapian = self.xapian
        enquire = xapian.Enquire(db)
        enquire.set_weighting_scheme(xapian.BoolWeight())
        enquire.set_sort_by_value(RECORD_SLOT, False)
        enquire.set_query(xapian.Query(xapian.Query.OP_OR, [xapian.Query(t) for t in terms]))
        recs = [_Record(key) for _, key in _items(enquire.get_mset(0, limit + 4))]
        return {r.chunk.id: r for r in recs}

    def _keep(self, rec: _Record, ids: tuple) -> int:
        handle = next(self._handles)
        self._kept[handle] = (rec, ids)
        if len(self._kept) > RECORDS_KEPT:
            del self._kept[next(iter(self._kept))]
        return handle

    # what the answer service reads of a hit's passage, as of Index locally
    def term_id(self, term: str) -> int | None:
        """The id tokens() gives a term, or None when the collection lacks it (a term is
        known once a search has asked for it)."""
        return self._term_ids.get(term)

    def tokens(self, pos: int) -> ChunkTokens:
        """The tokens of a hit's passage (pos: SearchHit.pos), as stored at build time; the
        terms of the search that found it have their term_id, any other term -1 (the answer
        service looks up only the question's terms)."""
        rec, ids = self._kept[pos]
        return rec.tokens(ids)

    def tokens_for(self, pos: int, ids: Mapping[str, int]) -> ChunkTokens:
        """The tokens of a hit's passage with the given terms as the given ids, any other
        term -1: what the answer service checks besides the search's terms."""
        return self._kept[pos][0].tokens(list(ids.items()))

    def docs_with(self, term: str, limit: int = 5000) -> frozenset:
        """Ids of the documents whose passages hold a term (of its first `limit` passages)."""
        return frozenset(c.doc for c in self._boolean([_key(term)], limit))

    def sentence_spans(self, pos: int) -> np.ndarray:
        """(start, end) of each sentence of a hit's passage, shape (k, 2)."""
        return self._kept[pos][0].sentence_spans()

    def _baseline(self, counts: Mapping[str, int], df: Mapping[str, int], n: int) -> float:
        """What rank-bm25's BM25Plus adds to every passage: delta * idf of each query term."""
        if self.params.variant != "plus":
            return 0.0
        return sum(c * self.params.delta * math.log((n + 1) / df[t])
                   for t, c in counts.items() if df.get(t))

    def search(self, query: str, k: int = 10) -> list[SearchHit]:
        return self.search_terms(self.analyzer.terms(query), k)

    def df(self, term: str) -> int:
        got = self._df.get(term)
        if got is None:
            got = self._call(lambda db: db.get_termfreq(_key(term)))
            if len(self._df) > 100_000:
                self._df.clear()
            self._df[term] = got
        return got

    def passage_count(self) -> int:
        return self._call(lambda db: db.get_doccount())

    def _boolean(self, terms: list[str], limit: int) -> list[Chunk]:
        return [r.chunk for r in self._call(lambda db: self._records(db, terms, limit)).values()]

    def fetch(self, chunk_id: str) -> Chunk | None:
        """One passage by chunk id, from whichever live shard holds it."""
        found = [c for c in self._boolean([_id_term(chunk_id)], 2) if c.id == chunk_id]
        return found[0] if found else None

    def neighbours(self, chunk: Chunk, before: int = 1, after: int = 1) -> list[Chunk]:
        """The passage with its neighbours in the same document (all on one shard)."""
        seqs = range(max(0, chunk.seq - before), chunk.seq + after + 1)
        got = {c.seq: c for c in self._boolean([_seq_term(chunk.doc, s) for s in seqs],
                                               len(seqs) + 4) if c.doc == chunk.doc}
        got.setdefault(chunk.seq, chunk)
        return [got[s] for s in sorted(got)]

    @property
    def documents(self) -> list[dict]:
        with self._lock:
            self._database()
            metas = tuple(s.meta for s in self._shards)
            if self._docs is None or any(a is not b for a, b in zip(self._docs[0], metas)):
                # asked twice a question; the list changes only when a shard's metadata does
                docs = [d for m in metas if m for d in m.get("docs", [])]
                self._docs = (metas, sorted(docs, key=lambda d: d.get("path", "")))
            return list(self._docs[1])

    @property
    def manifest(self) -> dict:
        return {"cluster": str(self.spec.path), "docs": self.documents,
                "config": {"analyzer": self.meta["analyzer"], "bm25": self.meta["bm25"]}}

    # -- notices ----------------------------------------------------------------------------
    def missing_notice(self) -> str | None:
        """What the last search (in this thread) could not cover, in a sentence, or None."""
        missing = getattr(self._local, "missing", [])
        if not missing:
            return None
        summary = {s["shard"]: s for s in (self.meta or {}).get("summary", [])}
        parts = []
        for shard in missing:
            s = summary.get(shard.number)
            what = (f" ({s['documents']:,} documents, {s['passages']:,} passages, e.g. "
                    + ", ".join(repr(t) for t in s["titles"]) + ")") if s else ""
            parts.append(f"shard {shard.number + 1} of {len(self._shards)}{what}")
        return (f"Part of the collection could not be searched: {'; '.join(parts)} — no "
                f"server holding it answered ({'; '.join(self._why(s) for s in missing)}).")

    def status(self) -> list[dict]:
        """Per shard and replica: whether it answers, and what it holds."""
        out = []
        for shard in self._shards:
            for replica in shard.spec.replicas:
                row = {"shard": shard.number + 1, "replica": str(replica)}
                try:
                    db = self._open(replica)
                    meta = self._check(shard, replica, db.get_metadata(META_KEY))
                    row.update(ok=True, passages=db.get_doccount(), documents=len(meta.get("docs", [])))
                    db.close()
                except self.xapian.Error as e:
                    row.update(ok=False, error=_short_error(e))
                out.append(row)
        return out

    def close(self) -> None:
        with self._lock:
            for shard in self._shards:
                if shard.db is not None:
                    shard.db.close()
                    shard.db = None
            self._db = None


def _facts_of(meta: dict) -> FactTable:
    return FactTable([Fact(**dict(f, parties=tuple(f["parties"]))) for f in meta["facts"]])


def _items(mset) -> Iterator[tuple[float, bytes]]:
    """(weight, sort key) of each match; the bindings' MSetItem lacks the sort key."""
    it, end = mset._begin(), mset._end()
    while it != end:
        yield it.get_weight(), it.get_sort_key()
        next(it)


def _docbot_order(hits: list[tuple[float, str]]) -> list[tuple[float, str]]:
    """(score, chunk id) best first with docbot's ties (index/search/bm25.py rank_order): scores
    within TIE_RTOL of the one above are one group, ordered by chunk id. Xapian's order ties
    only equal floats, and sums of the same terms in another order differ in the last digits."""
    groups: list[list[tuple[float, str]]] = []
    for h in hits:
        if groups and groups[-1][-1][0] - h[0] <= TIE_RTOL * abs(groups[-1][-1][0]):
            groups[-1].append(h)
        else:
            groups.append([h])
    return [h for g in groups for h in sorted(g, key=lambda h: h[1])]


def _short_error(e: Exception) -> str:
    text = str(e) or type(e).__name__
    return text.splitlines()[0][:120]


class ClusterAnswerer(Answerer):
    """The answer service over a cluster: docbot's answers, with a notice in Answer.message
    when part of the collection could not be searched. The endnotes field is not searched:
    the shards hold no postings of it."""

    def __init__(self, index: ClusterIndex, facts: FactTable | None = None) -> None:
        self.revision = index.revision  # of the shards this one's facts are from
        super().__init__(index, facts if facts is not None else index.facts, endnotes=False)

    @classmethod
    def open_cluster(cls, path: Path) -> "ClusterAnswerer":
        return cls(ClusterIndex(load_cluster(path)))

    def refreshed(self, notice: Callable[[str], None] = lambda m: None) -> "ClusterAnswerer | None":
        """A new answer service when the shards changed since the last look, else None: on
        the same connections when they were updated in place, on new ones when built again."""
        try:
            self.index.reopen()
        except IndexFormatError as e:
            notice(str(e))
            return ClusterAnswerer.open_cluster(self.index.spec.path)
        # a question may have reopened the shards already (Xapian said its revision was gone)
        return ClusterAnswerer(self.index) if self.index.revision != self.revision else None

    def ask(self, question: str, k: int = 3, offset: int = 0, where=None) -> Answer:
        if where:
            raise DocbotError("filters (--doc, --from, --to, /filter) work on the local index "
                              "only, not on a cluster")
        self.index._local.missing = []
        q, _ = clean_question(question)
        terms = self.index.analyzer.terms(q) if q else []
        # the depth Answerer.ask ranks at; another depth would only search twice
        self.index.search_ahead(terms, max(rescore.DEPTH, offset + k + 1))
        try:
            answer = super().ask(question, k, offset)
        finally:
            self.index._local.ahead = None
        notice = self.index.missing_notice()
        if notice is None:
            return answer
        return answer.with_(message=f"{answer.message} {notice}" if answer.message else notice)


def main(argv: list[str]) -> int:
    if len(argv) == 2 and argv[0] == "--build-shard":
        job = json.loads(Path(argv[1]).read_text(encoding="utf-8"))
        try:
            summary = _build_shard(job)
        except DocbotError as e:
            print(str(e), flush=True)
            return 1
        print(json.dumps(summary, ensure_ascii=False), flush=True)
        return 0
    print("usage: python -m index.cluster --build-shard JOB.json", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
