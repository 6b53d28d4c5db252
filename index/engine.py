"""The search engine: build or open an index for a data directory and search it."""
from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, NamedTuple

import numpy as np

from . import store
from .analyze import Analyzer, load_aliases
from .bm25 import BM25, BM25Params, Postings, build_postings
from .corpus import CHUNKER_VERSION, Chunk, doc_id_for, doc_paths, load_document
from .errors import IndexFormatError

# Chosen by tests/bench/quality.py (SQuAD dev + Cranfield) and the Q&A suite: see README.md.
# BM25Plus also keeps IDF positive and monotonic: BM25Okapi's floor lets a term in most chunks
# ("North Korea" here) outweigh a rarer one.
DEFAULT_PARAMS = BM25Params(variant="plus", k1=0.9, b=0.75, delta=1.0)


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


@dataclass
class Index:
    chunks: list[Chunk]
    vocab: dict[str, int]
    bm25: BM25
    analyzer: Analyzer
    manifest: dict

    def __post_init__(self) -> None:
        order = sorted(range(len(self.chunks)), key=lambda i: self.chunks[i].id)
        self._id_rank = np.empty(len(self.chunks), dtype=np.int64)
        self._id_rank[order] = np.arange(len(self.chunks))
        self.by_id = {c.id: i for i, c in enumerate(self.chunks)}

    # -- building and opening ------------------------------------------------------------------
    @classmethod
    def from_chunks(cls, chunks: list[Chunk], analyzer: Analyzer,
                    params: BM25Params = DEFAULT_PARAMS, manifest: dict | None = None) -> "Index":
        vocab: dict[str, int] = {}
        postings = build_postings((analyzer.terms(index_text(c)) for c in chunks), vocab)
        return cls(chunks, vocab, BM25(postings, params), analyzer, manifest or {})

    @classmethod
    def build(cls, data_dir: Path, index_dir: Path, params: BM25Params = DEFAULT_PARAMS) -> "Index":
        """Read every document, index it and save the index (atomically)."""
        analyzer = load_analyzer(data_dir)
        docs_dir = data_dir / "docs"
        docs = [load_document(p, docs_dir) for p in doc_paths(data_dir)]
        chunks = [c for d in docs for c in d.chunks]
        config = _config(analyzer, params)
        doc_meta = []
        for d in docs:
            st = d.path.stat()
            doc_meta.append(dict(d.meta(), path=str(d.path.relative_to(docs_dir)),
                                 size=st.st_size, mtime_ns=st.st_mtime_ns,
                                 skipped_blocks=d.skipped_blocks, notes=len(d.notes)))
        manifest = {
            "fingerprint": _fingerprint(config, [(d.id, d.sha256) for d in docs]),
            "config": config, "docs": doc_meta, "n_chunks": len(chunks),
        }
        index = cls.from_chunks(chunks, analyzer, params, manifest)
        manifest["n_terms"] = len(index.vocab)
        p = index.bm25.postings
        store.save(index_dir, manifest, [c.to_dict() for c in chunks],
                   list(index.vocab), {"indptr": p.indptr, "docs": p.docs, "tfs": p.tfs,
                                       "doc_len": p.doc_len})
        return index

    @classmethod
    def load(cls, index_dir: Path, analyzer: Analyzer) -> "Index":
        stored = store.load(index_dir)
        m = stored.manifest
        params = BM25Params(**m["config"]["bm25"])
        a = stored.arrays
        postings = Postings(a["indptr"], a["docs"], a["tfs"], a["doc_len"])
        try:
            chunks = [Chunk.from_dict(c) for c in stored.chunks]
        except (KeyError, TypeError) as e:
            raise IndexFormatError(f"{stored.path}/chunks.jsonl: damaged record ({e})") from None
        vocab = {t: i for i, t in enumerate(stored.vocab)}
        return cls(chunks, vocab, BM25(postings, params), analyzer, m)

    @classmethod
    def open(cls, data_dir: Path, index_dir: Path | None = None,
             params: BM25Params = DEFAULT_PARAMS,
             notice: Callable[[str], None] = lambda msg: None) -> "Index":
        """The index for data_dir: loaded if fresh, else (re)built with a one-line notice."""
        index_dir = index_dir or default_index_dir(data_dir)
        analyzer = load_analyzer(data_dir)
        try:
            manifest = store.read_manifest(index_dir)
        except IndexFormatError as e:
            notice(f"index damaged, rebuilding: {e}")
            manifest = None
        else:
            if manifest is not None and not is_fresh(manifest, data_dir, _config(analyzer, params)):
                notice("documents changed since the index was built; rebuilding")
                manifest = None
        if manifest is not None:
            try:
                return cls.load(index_dir, analyzer)
            except IndexFormatError as e:
                notice(f"index damaged, rebuilding: {e}")
        return cls.build(data_dir, index_dir, params)

    # -- searching -----------------------------------------------------------------------------
    def query_term_ids(self, terms: list[str]) -> list[int]:
        return [self.vocab[t] for t in terms if t in self.vocab]

    def search_terms(self, terms: list[str], k: int) -> list[SearchHit]:
        hits = self.bm25.search(self.query_term_ids(terms), k, tiebreak=self._id_rank)
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


def is_fresh(manifest: dict, data_dir: Path, config: dict) -> bool:
    """True when the documents and settings are those the index was built from.
    Files whose size and mtime are unchanged are not re-read."""
    if manifest.get("config") != config:
        return False
    try:
        paths = doc_paths(data_dir)
    except Exception:
        return False
    docs_dir = data_dir / "docs"
    known = {d["path"]: d for d in manifest.get("docs", [])}
    if len(known) != len(paths):
        return False
    shas = []
    for p in paths:
        rel = str(p.relative_to(docs_dir))
        entry = known.get(rel)
        if entry is None:
            return False
        st = p.stat()
        if st.st_size == entry.get("size") and st.st_mtime_ns == entry.get("mtime_ns"):
            shas.append((doc_id_for(p, docs_dir), entry["sha256"]))
        else:
            shas.append((doc_id_for(p, docs_dir), hashlib.sha256(p.read_bytes()).hexdigest()))
    return _fingerprint(config, shas) == manifest.get("fingerprint")
