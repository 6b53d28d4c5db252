"""The search engine: build or open an index for a data directory and search it.

The work lives by job: index/build.py (analysis and full builds), index/update.py (what
changed), index/segments.py (updates as new segments, their merges, an index of several
segments), index/searcher.py (the opened index and its search). This module
keeps the names callers import.
"""
from __future__ import annotations

from .build import MAX_WORKERS, PARALLEL_BYTES, TASK_BYTES, build_index
from .searcher import (ARRAYS_OF_POSTINGS, DEFAULT_PARAMS, ChunkIds, Index, Progress, SearchHit,
                       StoredChunks, default_index_dir, index_text, load_analyzer)
from .segments import MAX_SEGMENTS
from .update import CHANGED, UPDATE_SHARE

__all__ = ["ARRAYS_OF_POSTINGS", "CHANGED", "DEFAULT_PARAMS", "MAX_SEGMENTS", "MAX_WORKERS",
           "PARALLEL_BYTES", "TASK_BYTES", "UPDATE_SHARE", "ChunkIds", "Index", "Progress",
           "SearchHit", "StoredChunks", "build_index", "default_index_dir", "index_text",
           "load_analyzer"]
