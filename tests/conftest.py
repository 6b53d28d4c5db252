"""Shared fixtures: tiny data folders written into tmp_path (never the real data/)."""
from __future__ import annotations

from pathlib import Path

import pytest

# Three paragraphs long enough (> 200 chars) to stay separate chunks.
_TAIL = " It is long enough to stand alone as a passage of its own in the index."
P_RELATIONS = (
    "Mongolia and North Korea established diplomatic relations on 15 October 1948, and both "
    "sides attached particular importance to the event, opening embassies during the war." + _TAIL
)
P_TREATY = (
    "The treaty of friendship was signed in 1986 by Batmunkh and Kim Il Sung in Pyongyang, "
    "replacing earlier agreements and setting out cooperation in trade, culture and science."
    + _TAIL
)
P_COOLING = (
    "After 1990 relations cooled as Mongolia turned to democracy and opened relations with "
    "Seoul, although trade and visits continued at a lower level through the whole decade." + _TAIL
)
P_RUSSIA = (
    "Russia and the DPRK signed a new treaty in February 2000 that dropped the clause on "
    "military assistance which the Soviet treaty of 1961 had contained for almost forty years."
    + _TAIL
)

TINY_DOCS = {
    "mongolia.txt": (
        "Mongolia and North Korea\n\nEstablishing relations\n\n" + P_RELATIONS
        + "\n\nThe treaty\n\n" + P_TREATY + "\n\n" + P_COOLING + "\n"
    ),
    "russia.md": "---\ntitle: The 2000 treaty\nsource: Test source\n---\n" + P_RUSSIA + "\n",
}
TINY_ALIASES = "North Korea:\n  - DPRK\n  - Democratic People's Republic of Korea\n"


@pytest.fixture
def write_data(tmp_path):
    """write_data({name: text or bytes}, aliases=None) -> a data dir with those docs/."""

    def write(docs: dict, aliases: str | None = None) -> Path:
        data = tmp_path / "data"
        folder = data / "docs"
        folder.mkdir(parents=True, exist_ok=True)
        for name, text in docs.items():
            path = folder / name
            path.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(text, bytes):
                path.write_bytes(text)
            else:
                path.write_text(text, encoding="utf-8")
        if aliases is not None:
            (data / "aliases.yaml").write_text(aliases, encoding="utf-8")
        return data

    return write


@pytest.fixture
def tiny_data(write_data) -> Path:
    """Two short documents (one .txt with headings, one .md with front matter) and aliases."""
    return write_data(TINY_DOCS, aliases=TINY_ALIASES)


@pytest.fixture
def disk_fills_after_first_array(monkeypatch):
    """np.save writes one array, then fails as a full disk does; the list of its calls."""
    import errno

    import numpy as np

    real_save, calls = np.save, []

    def save_then_fail(*args, **kwargs):
        calls.append(1)
        if len(calls) > 1:
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_save(*args, **kwargs)

    monkeypatch.setattr(np, "save", save_then_fail)
    return calls
