"""Nothing a user can put in data/ or an index folder gets executed."""
from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SOURCES = sorted(p for d in ("bot", "index") for p in (ROOT / d).rglob("*.py"))


def test_no_pickle_eval_or_unsafe_yaml_in_the_code():
    banned = re.compile(r"\bimport pickle\b|\bpickle\.|\beval\(|\bexec\(|allow_pickle=True|"
                        r"yaml\.(unsafe_load|full_load)|Loader=yaml\.(Loader|FullLoader|UnsafeLoader)")
    offenders = [f"{p.relative_to(ROOT)}:{i}" for p in SOURCES
                 for i, line in enumerate(p.read_text().splitlines(), 1) if banned.search(line)]
    assert offenders == []


def test_every_yaml_load_names_a_safe_loader():
    for p in SOURCES:
        for i, line in enumerate(p.read_text().splitlines(), 1):
            if "yaml.load(" in line:
                assert "_SafeLoader" in line or "SafeLoader" in line, f"{p}:{i}"


def test_numpy_loads_refuse_pickles():
    for p in SOURCES:
        for i, line in enumerate(p.read_text().splitlines(), 1):
            if "np.load(" in line:
                assert "allow_pickle=False" in line, f"{p.relative_to(ROOT)}:{i}"
