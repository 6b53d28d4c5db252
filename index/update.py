"""Incremental update: what changed since the index was built. The changed documents become
a new segment of the index (index/segments.py).
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .build import _fingerprint, _sha256
from .reading.corpus import doc_paths
from .facts import facts_sha
from .errors import DataError

UPDATE_SHARE = 0.5  # re-analyze changed documents alone while they are at most this share
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
