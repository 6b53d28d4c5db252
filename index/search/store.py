"""The index on disk: versioned, no pickle, written atomically, checked when loaded.

Layout of an index directory:
    CURRENT            name of the generation in use (replaced atomically)
    gen-<id>/          one complete index: manifest.json, vocab.json, *.npy, chunks*.jsonl

A new generation is written to a temporary folder, renamed, and only then published by
replacing CURRENT, so a crash mid-write leaves the previous index in use. Files that did not
change (every file of an untouched segment: index/search/segments.py) are hard-linked from the
previous generation.

Chunk records are JSON lines in one or more segment files; the array chunk_loc holds each
chunk's (segment, start, end) byte range, so a record is read (memory-mapped) only when
asked for and opening an index costs the same for a thousand chunks or a million.
"""
from __future__ import annotations

import hashlib
import json
import json.scanner
import mmap
import os
import shutil
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import orjson

from ..errors import DataError, IndexFormatError, IndexVersionError

FORMAT = "docbot-index"
FORMAT_VERSION = 6  # 6: PDF passages' line boxes; 5: per-block score bounds; 4: the compiled fact table; 3: chunk tokens and sentences; 2: segments
ARRAYS = ("indptr", "docs", "tfs", "doc_len")  # the postings: every index has them
_SMALL = 8 << 20  # files up to this size carry a checksum, verified at load


@dataclass
class Stored:
    manifest: dict
    chunks: Sequence[dict]  # read lazily when the index has a chunk locator
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


def _fsync_thread():
    from concurrent.futures import ThreadPoolExecutor

    return ThreadPoolExecutor(1, thread_name_prefix="docbot-fsync")  # its thread starts on use


def _fsync_path(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _write_error(index_dir: Path, e: OSError) -> DataError:
    return DataError(
        f"{index_dir}: cannot write the index ({e.strerror or e}); "
        "free some space or pass --index DIR with a writable folder"
    )


class Writer:
    """One new generation being written into a temporary folder. Use as a context manager:
    leaving it by an exception removes the folder; publish() makes the generation current.
    OSError becomes DataError (disk full, read-only folder)."""

    def __init__(self, index_dir: Path) -> None:
        self.index_dir = index_dir
        try:
            index_dir.mkdir(parents=True, exist_ok=True)
            self.path = index_dir / f".tmp-{os.getpid()}-{time.time_ns()}"
            self.path.mkdir()
        except OSError as e:
            raise _write_error(index_dir, e) from None
        self.files: dict[str, dict] = {}
        self._syncs: list = []  # fsyncs of written arrays, running while the next is made
        self._syncer = _fsync_thread()

    def _sync_later(self, path: Path) -> None:
        """fsync a closed file in a background thread (the disk writes it while the caller
        computes and writes the next one); publish() waits for every one of them."""
        if self._syncer is None:
            self._syncer = _fsync_thread()
        self._syncs.append(self._syncer.submit(_fsync_path, path))

    def _synced(self) -> None:
        """Wait for the background fsyncs; the first one that failed raises its OSError."""
        syncs, self._syncs = self._syncs, []
        try:
            for f in syncs:
                f.result()
        finally:
            if self._syncer is not None:
                self._syncer.shutdown(wait=True, cancel_futures=True)
                self._syncer = None

    def __enter__(self) -> "Writer":
        return self

    def __exit__(self, kind, exc, tb) -> None:
        if self._syncer is not None:  # left by an exception: wait before removing the folder
            try:
                self._synced()
            except OSError:
                pass
        if exc is not None:
            shutil.rmtree(self.path, ignore_errors=True)
            if isinstance(exc, OSError):
                raise _write_error(self.index_dir, exc) from None

    def abort(self) -> None:
        try:
            self._synced()
        except OSError:
            pass
        shutil.rmtree(self.path, ignore_errors=True)

    def _record(self, name: str, sha256: str | None = None) -> None:
        size = (self.path / name).stat().st_size
        if sha256 is None and size <= _SMALL:
            sha256 = _sha256_file(self.path / name)
        self.files[name] = {"bytes": size, "sha256": sha256 if size <= _SMALL else None}

    def add_array(self, name: str, array: np.ndarray, record: bool = True) -> None:
        with (self.path / f"{name}.npy").open("wb") as f:
            np.save(f, np.ascontiguousarray(array), allow_pickle=False)
        self._sync_later(self.path / f"{name}.npy")
        if record:  # else: see record()
            self._record(f"{name}.npy")

    def record(self, name: str) -> None:
        """Enter a file written with record=False in the manifest (whose order of files is
        the order of these calls)."""
        self._record(name)

    def add_array_parts(self, name: str, dtype, length: int, parts, record: bool = True) -> None:
        """An array of length items written from consecutive parts (an iterable of arrays),
        so the whole never needs to be in memory. record=False: from another thread, entered
        in the manifest by a later record(name)."""
        dtype = np.dtype(dtype)
        with (self.path / f"{name}.npy").open("wb") as f:
            np.lib.format.write_array_header_1_0(f, {
                "descr": np.lib.format.dtype_to_descr(dtype), "fortran_order": False,
                "shape": (length,)})
            written = 0
            for part in parts:
                part = np.ascontiguousarray(part, dtype=dtype)
                f.write(part.data)
                written += len(part)
            if written != length:
                raise ValueError(f"{name}: {written} items written, {length} announced")
        self._sync_later(self.path / f"{name}.npy")
        if record:
            self._record(f"{name}.npy")

    def add_bytes(self, name: str, data: bytes) -> None:
        _fsync_write(self.path / name, data)
        self._record(name)

    def add_written(self, name: str) -> None:
        """A file someone wrote into self.path (a worker's chunk segment): sync and record it."""
        _fsync_path(self.path / name)
        self._record(name)

    def link(self, old_gen: Path, name: str, info: dict) -> None:
        """Reuse an unchanged file of the previous generation (hard link, else copy)."""
        src, dst = old_gen / name, self.path / name
        try:
            os.link(src, dst)
        except OSError:
            shutil.copyfile(src, dst)
            self.add_written(name)
            return
        self.files[name] = dict(info)

    def publish(self, manifest: dict) -> Path:
        self._synced()
        full = dict(manifest, format=FORMAT, version=FORMAT_VERSION, files=self.files)
        # The manifest checks every other file; its own checksum covers the rest of it.
        full["checksum"] = _manifest_checksum(full)
        _fsync_write(self.path / "manifest.json",  # one line: json's fast (C) encoder
                     json.dumps(full, ensure_ascii=False, separators=(",", ":")).encode())
        gen = self.index_dir / f"gen-{manifest['fingerprint'][:12]}-{time.time_ns()}"
        self.path.rename(gen)
        try:
            pointer = self.index_dir / f".CURRENT-{os.getpid()}"
            _fsync_write(pointer, gen.name.encode())
            os.replace(pointer, self.index_dir / "CURRENT")
        except BaseException:
            shutil.rmtree(gen, ignore_errors=True)
            raise
        self.path = gen
        _remove_old_generations(self.index_dir, keep=gen.name)
        return gen


def record_lines(records) -> bytes:
    return "".join(json.dumps(c, ensure_ascii=False) + "\n" for c in records).encode("utf-8")


def save(index_dir: Path, manifest: dict, chunks: list[dict], vocab: list[str],
         arrays: dict[str, np.ndarray]) -> Path:
    """Write a new generation from records held in memory and publish it; returns its folder."""
    with Writer(index_dir) as w:
        w.add_bytes("chunks.jsonl", record_lines(chunks))
        w.add_bytes("vocab.json", json.dumps(vocab, ensure_ascii=False).encode("utf-8"))
        for name, array in arrays.items():
            w.add_array(name, array)
        return w.publish(dict(manifest, arrays=list(arrays)))


def _remove_old_generations(index_dir: Path, keep: str) -> None:
    for p in index_dir.iterdir():
        if p.name != keep and (p.name.startswith("gen-") or p.name.startswith(".tmp-")):
            # A reader that has the old files open keeps them until it closes them.
            if p.name.startswith(".tmp-") and time.time() - p.stat().st_mtime < 3600:
                continue  # maybe another process is writing it right now
            shutil.rmtree(p, ignore_errors=True)


def _manifest_checksum(manifest: dict) -> str:
    body = {k: v for k, v in manifest.items() if k != "checksum"}
    return hashlib.sha256(
        json.dumps(body, ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode()
    ).hexdigest()


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
        raise IndexVersionError(
            f"{gen}: index format version {manifest.get('version')} (this docbot reads {FORMAT_VERSION})"
        )
    if manifest.get("checksum") != _manifest_checksum(manifest):
        raise IndexFormatError(f"{gen}/manifest.json: checksum mismatch (file modified)")
    return manifest


# json's C scanner called directly: json.loads' Python layers (encoding detection, decode,
# raw_decode) cost as much as the scan itself for a record of a few hundred bytes
_scan = json.scanner.make_scanner(json.JSONDecoder())


def parse_record(raw: bytes):
    """One JSON record, as json.loads(raw) reads it (its error when it is not one)."""
    try:  # a third of the C scanner's time; it refuses what json reads (NaN, lone surrogates)
        return orjson.loads(raw)  # and reads an integer past 64 bits as a float: records hold none
    except orjson.JSONDecodeError:
        pass
    try:
        text = raw.decode("utf-8")
        obj, end = _scan(text, 0)
        if end == len(text) or text[end:].isspace():
            return obj
    except (UnicodeDecodeError, StopIteration, ValueError):
        pass
    return json.loads(raw)  # leading spaces, damage: json.loads says which


class ChunkRecords(Sequence):
    """Chunk records (dicts) of a generation, parsed one at a time on access."""

    def __init__(self, gen: Path, segments: list[str], loc: np.ndarray) -> None:
        self._gen, self._segments = gen, segments
        self._loc = np.asarray(loc).view(np.ndarray)  # numpy.memmap's indexing is slower
        self._maps: list[mmap.mmap | None] = [None] * len(segments)

    def __len__(self) -> int:
        return len(self._loc)

    def raw(self, i: int) -> bytes:
        seg, start, end = self._loc[i].tolist()
        m = self._maps[seg]
        if m is None:
            with (self._gen / self._segments[seg]).open("rb") as f:
                m = self._maps[seg] = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
        return m[start:end]

    def __getitem__(self, i):
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(len(self)))]
        if i < 0:
            i += len(self)
        if not 0 <= i < len(self):
            raise IndexError(i)
        try:
            return parse_record(self.raw(i))
        except (OSError, ValueError) as e:
            raise IndexFormatError(f"{self._gen}: damaged chunk record {i} ({e})") from None

    def many(self, rows: Sequence[int]) -> list:
        """self[i] of each row (0 <= i < len): their locations read in one numpy call."""
        out = []
        maps = self._maps
        loads, bad = orjson.loads, orjson.JSONDecodeError
        for i, (seg, start, end) in zip(rows, self._loc[np.asarray(rows, dtype=np.int64)].tolist()):
            try:
                m = maps[seg]
                if m is None:
                    self.raw(i)  # maps the segment's file
                    m = maps[seg]
                raw = m[start:end]
                try:  # parse_record's first step, without a call per record
                    out.append(loads(raw))
                except bad:
                    out.append(parse_record(raw))
            except (OSError, ValueError) as e:
                raise IndexFormatError(f"{self._gen}: damaged chunk record {i} ({e})") from None
        return out

    def __eq__(self, other) -> bool:
        return isinstance(other, Sequence) and len(self) == len(other) and all(
            a == b for a, b in zip(self, other))


def verify_files(gen: Path, manifest: dict) -> None:
    """Every file the manifest lists is there, of its size, small ones of their checksum."""
    for name, info in manifest.get("files", {}).items():
        p = gen / name
        try:
            size = p.stat().st_size
        except OSError:
            raise IndexFormatError(f"{p}: missing") from None
        if size != info.get("bytes"):
            raise IndexFormatError(f"{p}: truncated or modified ({size} bytes, expected {info.get('bytes')})")
        if info.get("sha256") and _sha256_file(p) != info["sha256"]:
            raise IndexFormatError(f"{p}: checksum mismatch (file modified)")


def load(index_dir: Path, mmap: bool = True) -> Stored:
    """Load and verify the index in use; IndexFormatError if it is missing or damaged.
    Arrays are memory-mapped; chunk records are read when asked for."""
    manifest = read_manifest(index_dir)
    if manifest is None:
        raise IndexFormatError(f"{index_dir}: no index yet")
    gen = current_generation(index_dir)
    verify_files(gen, manifest)
    names = manifest.get("arrays", ARRAYS)
    try:
        vocab = json.loads((gen / "vocab.json").read_text("utf-8"))
        arrays = {
            name: np.load(gen / f"{name}.npy", mmap_mode="r" if mmap else None, allow_pickle=False)
            for name in names
        }
        segments = manifest.get("segments")
        if segments is not None and "chunk_loc" in arrays:
            chunks: Sequence[dict] = ChunkRecords(gen, segments, arrays["chunk_loc"])
        else:
            text = (gen / "chunks.jsonl").read_text("utf-8")
            chunks = [json.loads(line) for line in text.splitlines()]
    except (OSError, ValueError) as e:
        raise IndexFormatError(f"{gen}: damaged ({e})") from None
    n_chunks, n_terms = len(chunks), len(vocab)
    a = arrays
    ok = (
        all(name in a for name in ARRAYS)
        and manifest.get("n_chunks") == n_chunks and manifest.get("n_terms") == n_terms
        and a["indptr"].shape == (n_terms + 1,) and a["doc_len"].shape == (n_chunks,)
        and a["docs"].shape == a["tfs"].shape and a["indptr"][-1] == len(a["docs"])
    )
    if not ok:
        raise IndexFormatError(f"{gen}: inconsistent index files")
    return Stored(manifest, chunks, vocab, arrays, gen)
