"""Faults on disk: killed builds, unwritable or full index folders, tampered index files.
Each ends in an answer or a one-line error, and the last good index stays usable."""
from __future__ import annotations

import os
import resource
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
WORDS = ("treaty embassy ambassador visit trade aid delegation agreement minister party "
         "relations cooperation friendship border railway wool meat grain").split()


def docbot(data: Path, index: Path, *args: str, **kw) -> subprocess.CompletedProcess:
    env = dict(os.environ, NO_COLOR="1")
    return subprocess.run([sys.executable, "-m", "bot", *args, "--data", str(data),
                           "--index", str(index)], capture_output=True, text=True, cwd=ROOT,
                          env=env, timeout=600, **kw)


def make_data(root: Path, docs: int = 3, paragraphs: int = 5) -> Path:
    (root / "docs").mkdir(parents=True)
    for d in range(docs):
        paras = []
        for p in range(paragraphs):
            words = [WORDS[(d * 7 + p * 3 + i) % len(WORDS)] for i in range(60)]
            paras.append(f"In {1950 + (d + p) % 50} document {d} paragraph {p}: " + " ".join(words) + ".")
        (root / "docs" / f"doc{d:04d}.txt").write_text("\n\n".join(paras) + "\n")
    return root


def one_line_error(r: subprocess.CompletedProcess, *needles: str) -> None:
    """Exit 1; the error is one line (after at most one 'rebuilding' notice)."""
    assert r.returncode == 1 and "Traceback" not in r.stderr, r.stderr
    lines = r.stderr.strip().splitlines()
    assert 1 <= len(lines) <= 2 and all(x.startswith("docbot: ") for x in lines), r.stderr
    assert len(lines) == 1 or "rebuilding" in lines[0]
    for n in needles:
        assert n in lines[-1], lines[-1]


def test_killed_build_leaves_a_usable_index_folder(tmp_path):
    data = make_data(tmp_path / "data", docs=400, paragraphs=40)
    index = tmp_path / "index"
    proc = subprocess.Popen([sys.executable, "-m", "bot", "index", "--data", str(data),
                             "--index", str(index)], cwd=ROOT, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    time.sleep(1.5)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    r = docbot(data, index, "ask", "document 7 paragraph 3 treaty", "--json")
    assert r.returncode == 0 and "Traceback" not in r.stderr, r.stderr
    assert '"answered": true' in r.stdout
    r = docbot(data, index, "ask", "treaty", "--json")
    assert r.returncode == 0 and r.stderr == ""  # the rebuilt index is complete and fresh


def test_index_folder_that_cannot_be_created(tmp_path):
    data = make_data(tmp_path / "data")
    (tmp_path / "file").write_text("not a folder")
    one_line_error(docbot(data, tmp_path / "file" / "index", "ask", "treaty"),
                   "cannot write the index", "--index")


def _small_files() -> None:
    # Writes past 1 KiB fail with EFBIG, as on a full disk (Python ignores SIGXFSZ).
    resource.setrlimit(resource.RLIMIT_FSIZE, (1 << 10, 1 << 10))


def test_full_disk_keeps_the_last_good_index(tmp_path):
    data = make_data(tmp_path / "data", docs=20, paragraphs=20)
    index = tmp_path / "index"
    assert docbot(data, index, "index").returncode == 0
    doc = data / "docs" / "doc0000.txt"
    original = doc.read_bytes()
    doc.write_text(original.decode() + "\nA new paragraph about railway wool.\n")
    one_line_error(docbot(data, index, "ask", "railway", preexec_fn=_small_files),
                   "cannot write the index")
    doc.write_bytes(original)
    os.utime(doc, ns=(time.time_ns(), time.time_ns()))
    r = docbot(data, index, "ask", "railway wool", "--json")
    assert r.returncode == 0 and r.stderr == "", r.stderr  # the old index, loaded as it was
    assert not [p for p in index.iterdir() if p.name.startswith(".tmp-")]


@pytest.mark.parametrize("victim", ["manifest.json", "chunks", "vocab", "postings"])
def test_tampered_or_truncated_index_files_are_rebuilt(tmp_path, victim):
    data = make_data(tmp_path / "data")
    index = tmp_path / "index"
    assert docbot(data, index, "index").returncode == 0
    gen = index / (index / "CURRENT").read_text().strip()
    files = sorted(p for p in gen.iterdir() if p.is_file())
    target = next(p for p in files if victim in p.name or (victim == "postings" and p.suffix == ".npy"))
    raw = bytearray(target.read_bytes())
    if victim == "postings":
        del raw[len(raw) // 2:]  # truncated
    else:
        raw[len(raw) // 2] ^= 0x55  # one byte changed
    target.write_bytes(bytes(raw))
    r = docbot(data, index, "ask", "treaty embassy", "--json")
    assert r.returncode == 0 and "Traceback" not in r.stderr
    assert '"answered": true' in r.stdout
    assert len(r.stderr.strip().splitlines()) == 1 and "rebuilding" in r.stderr


def test_a_50_mb_document_is_indexed_and_answered(tmp_path):
    data = tmp_path / "data"
    (data / "docs").mkdir(parents=True)
    para = ("The delegation discussed railway wool and grain trade along the border at length, "
            "and the ministers agreed to meet again in the spring. ") * 4
    with (data / "docs" / "big.txt").open("w") as f:
        n = 0
        while f.tell() < 50 << 20:
            f.write(f"Session {n}: {para}\n\n")
            n += 1
        f.write("The zygomorphic orchid treaty was signed at the very end.\n")
    r = docbot(data, tmp_path / "index", "ask", "zygomorphic orchid treaty", "--json")
    assert r.returncode == 0 and "Traceback" not in r.stderr, r.stderr[-2000:]
    assert '"answered": true' in r.stdout and "zygomorphic" in r.stdout
