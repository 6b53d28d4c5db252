"""The index on disk: versioned, no pickle, written atomically, checked when loaded.

Layout of an index directory:
    CURRENT            name of the generation in use (replaced atomically)
    gen-<id>/          one complete index: manifest.json, chunks.jsonl, vocab.json, *.npy

A new generation is written to a temporary folder, renamed, and only then published by
replacing CURRENT, so a crash mid-write leaves the previous index in use.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .errors import DataError, IndexFormatError

FORMAT = "docbot-index"
FORMAT_VERSION = 1
ARRAYS = ("indptr", "docs", "tfs", "doc_len")
_SMALL = 64 << 20  # files up to this size are checksummed at load


@dataclass
class Stored:
    manifest: dict
    chunks: list[dict]
    vocab: list[str]
    arrays: dict[str, np.ndarray]
    path: Path


def _sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _fsync_write(path: Path, data: bytes) -> None:
    with path.open("wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())


def save(index_dir: Path, manifest: dict, chunks: list[dict], vocab: list[str],
         arrays: dict[str, np.ndarray]) -> Path:
    """Write a new generation and publish it; returns its folder."""
    try:
        index_dir.mkdir(parents=True, exist_ok=True)
        tmp = index_dir / f".tmp-{os.getpid()}-{time.time_ns()}"
        tmp.mkdir()
        try:
            files: dict[str, dict] = {}
            lines = "".join(json.dumps(c, ensure_ascii=False) + "\n" for c in chunks)
            _fsync_write(tmp / "chunks.jsonl", lines.encode("utf-8"))
            _fsync_write(tmp / "vocab.json", json.dumps(vocab, ensure_ascii=False).encode("utf-8"))
            for name in ARRAYS:
                with (tmp / f"{name}.npy").open("wb") as f:
                    np.save(f, np.ascontiguousarray(arrays[name]), allow_pickle=False)
                    f.flush()
                    os.fsync(f.fileno())
            for p in sorted(tmp.iterdir()):
                size = p.stat().st_size
                files[p.name] = {"bytes": size, "sha256": _sha256_file(p) if size <= _SMALL else None}
            full = dict(manifest, format=FORMAT, version=FORMAT_VERSION, files=files)
            _fsync_write(tmp / "manifest.json", json.dumps(full, indent=1, ensure_ascii=False).encode())
            gen = index_dir / f"gen-{manifest['fingerprint'][:12]}-{time.time_ns()}"
            tmp.rename(gen)
            pointer = index_dir / f".CURRENT-{os.getpid()}"
            _fsync_write(pointer, gen.name.encode())
            os.replace(pointer, index_dir / "CURRENT")
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
    except OSError as e:
        raise DataError(
            f"{index_dir}: cannot write the index ({e.strerror or e}); "
            "free some space or pass --index DIR with a writable folder"
        ) from None
    _remove_old_generations(index_dir, keep=gen.name)
    return gen


def _remove_old_generations(index_dir: Path, keep: str) -> None:
    for p in index_dir.iterdir():
        if p.name != keep and (p.name.startswith("gen-") or p.name.startswith(".tmp-")):
            # A reader that has the old files open keeps them until it closes them.
            if p.name.startswith(".tmp-") and time.time() - p.stat().st_mtime < 3600:
                continue  # maybe another process is writing it right now
            shutil.rmtree(p, ignore_errors=True)


def current_generation(index_dir: Path) -> Path | None:
    try:
        name = (index_dir / "CURRENT").read_text().strip()
    except (FileNotFoundError, NotADirectoryError):
        return None
    except UnicodeDecodeError:
        raise IndexFormatError(f"{index_dir}/CURRENT: damaged pointer (not text)") from None
    except OSError as e:
        raise IndexFormatError(f"{index_dir}/CURRENT: cannot read ({e.strerror})") from None
    if not name.startswith("gen-") or "/" in name:
        raise IndexFormatError(f"{index_dir}/CURRENT: damaged pointer {name[:40]!r}")
    return index_dir / name


def read_manifest(index_dir: Path) -> dict | None:
    """The manifest of the index in use, or None when there is none yet."""
    gen = current_generation(index_dir)
    if gen is None:
        return None
    try:
        manifest = json.loads((gen / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        raise IndexFormatError(f"{gen}/manifest.json: unreadable ({e})") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise IndexFormatError(f"{gen}: not a docbot index")
    if manifest.get("version") != FORMAT_VERSION:
        raise IndexFormatError(
            f"{gen}: index format version {manifest.get('version')} (this docbot reads {FORMAT_VERSION})"
        )
    return manifest


def load(index_dir: Path, mmap: bool = True) -> Stored:
    """Load and verify the index in use; IndexFormatError if it is missing or damaged."""
    manifest = read_manifest(index_dir)
    if manifest is None:
        raise IndexFormatError(f"{index_dir}: no index yet")
    gen = current_generation(index_dir)
    files = manifest.get("files", {})
    for name, info in files.items():
        p = gen / name
        try:
            size = p.stat().st_size
        except OSError:
            raise IndexFormatError(f"{p}: missing") from None
        if size != info.get("bytes"):
            raise IndexFormatError(f"{p}: truncated or modified ({size} bytes, expected {info.get('bytes')})")
        if info.get("sha256") and _sha256_file(p) != info["sha256"]:
            raise IndexFormatError(f"{p}: checksum mismatch (file modified)")
    try:
        chunks = [json.loads(line) for line in (gen / "chunks.jsonl").read_text("utf-8").splitlines()]
        vocab = json.loads((gen / "vocab.json").read_text("utf-8"))
        arrays = {
            name: np.load(gen / f"{name}.npy", mmap_mode="r" if mmap else None, allow_pickle=False)
            for name in ARRAYS
        }
    except (OSError, ValueError) as e:
        raise IndexFormatError(f"{gen}: damaged ({e})") from None
    n_chunks, n_terms = len(chunks), len(vocab)
    a = arrays
    ok = (
        manifest.get("n_chunks") == n_chunks and manifest.get("n_terms") == n_terms
        and a["indptr"].shape == (n_terms + 1,) and a["doc_len"].shape == (n_chunks,)
        and a["docs"].shape == a["tfs"].shape and a["indptr"][-1] == len(a["docs"])
    )
    if not ok:
        raise IndexFormatError(f"{gen}: inconsistent index files")
    return Stored(manifest, chunks, vocab, arrays, gen)
