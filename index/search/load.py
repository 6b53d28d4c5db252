"""Opening the index in use, whichever its shape: one segment as a build wrote it, or several
after updates. Reading only: this never imports build.py, update.py or merge.py, so opening an
index can never build one (tests/test_layers.py)."""
from __future__ import annotations

from pathlib import Path

from . import store
from .analyze import Analyzer
from .searcher import Index
from .segments import open_segments


def load_index(index_dir: Path, analyzer: Analyzer) -> Index:
    """Open the index in use: arrays memory-mapped, chunk records read on demand."""
    if "segs" in (store.read_manifest(index_dir) or {}):  # updated: several segments
        return open_segments(index_dir, analyzer)
    return Index.load_built(index_dir, analyzer)
