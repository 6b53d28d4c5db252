"""The search engine for a data folder: open its index, and build or update it when needed.

The work lives by job in index/search/, each layer importing only those below it:
- reading: searcher.py (an index and its search), segments.py (an index of several
  segments), load.py (opening either);
- writing: build.py (analysis and full builds), update.py (what changed, written as a new
  segment), merge.py (merging segments);
- this module: when to load, update or rebuild (open_index, build_index, refresh), and the
  names callers import.
"""
from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Callable

from . import store
from .analyze import load_analyzer
from .bm25 import DEFAULT_PARAMS, BM25Params
from .build import MAX_WORKERS, PARALLEL_BYTES, TASK_BYTES, Progress, _config, write_index
from ..errors import IndexFormatError, IndexVersionError
from .load import load_index
from .merge import merge
from ..reading.corpus import problem_notices
from .searcher import ARRAYS_OF_POSTINGS, ChunkIds, Index, SearchHit, StoredChunks, index_text
from .update import CHANGED, MAX_SEGMENTS, UPDATE_SHARE, _survey, update

__all__ = ["ARRAYS_OF_POSTINGS", "CHANGED", "DEFAULT_PARAMS", "MAX_SEGMENTS", "MAX_WORKERS",
           "PARALLEL_BYTES", "TASK_BYTES", "UPDATE_SHARE", "ChunkIds", "Index", "Progress",
           "SearchHit", "StoredChunks", "build_index", "default_index_dir", "index_text",
           "load_analyzer", "load_index", "open_index", "refresh"]


def default_index_dir(data_dir: Path) -> Path:
    """Indexes live in the user's cache, one per data folder, so data/ stays the owner's."""
    env = os.environ.get("DOCBOT_INDEX")
    if env:
        return Path(env)
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "docbot"
    resolved = data_dir.resolve()
    tag = hashlib.sha256(str(resolved).encode()).hexdigest()[:10]
    return base / f"{resolved.name or 'data'}-{tag}"


def build_index(data_dir: Path, index_dir: Path, params: BM25Params = DEFAULT_PARAMS,
                progress: Progress | None = None, workers: int | None = None) -> Index:
    """Read every document, index it, save the index (atomically) and open it. progress(stage,
    done, total) is called as the work advances; workers > 1 analyzes in that many processes
    (default: 1 for a small collection, else up to MAX_WORKERS)."""
    return load_index(index_dir, write_index(data_dir, index_dir, params, progress, workers))


def open_index(data_dir: Path, index_dir: Path | None = None,
               params: BM25Params = DEFAULT_PARAMS,
               notice: Callable[[str], None] = lambda msg: None,
               progress: Progress | None = None) -> Index:
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
                    updated = update(index_dir, analyzer, params, config, manifest, survey,
                                     progress)
                except IndexFormatError as e:
                    notice(f"index damaged, rebuilding: {e}")
                    updated = False
                if updated:
                    return _told(load_index(index_dir, analyzer), notice)
        else:
            try:
                return load_index(index_dir, analyzer)
            except IndexFormatError as e:
                notice(f"index damaged, rebuilding: {e}")
    return _told(build_index(data_dir, index_dir, params, progress=progress), notice)


def refresh(data_dir: Path, index_dir: Path, compact: bool = False,
            progress: Progress | None = None,
            notice: Callable[[str], None] = lambda msg: None) -> Index:
    """What `docbot index` does: the changed documents into a new segment (a build when
    there is no usable index), then the merge policy until no tier is full; compact: one
    fresh segment of everything, built from the documents."""
    if compact:
        return build_index(data_dir, index_dir, progress=progress)
    index = open_index(data_dir, index_dir, notice=notice, progress=progress)
    merged = False
    while merge(index_dir, index.analyzer):
        merged = True
    return load_index(index_dir, index.analyzer) if merged else index


def _told(index: Index, notice: Callable[[str], None]) -> Index:
    """After a build: one line for each document that was skipped or read in part."""
    for line in problem_notices(index.documents):
        notice(line)
    return index
