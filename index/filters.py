"""Which passages a question may be answered from: some documents, a span of dates.

A Where is a value (documents as the user named them, dates as typed); for one index it
becomes the boolean mask over chunks that BM25.search takes, so ranking is unchanged among
the passages it keeps."""
from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from .errors import DocbotError
from .reading.html import iso_date

DATE_RE = re.compile(r"^\d{4}(-(0[1-9]|1[0-2])(-(0[1-9]|[12]\d|3[01]))?)?$")


@dataclass(frozen=True)
class Where:
    docs: tuple[str, ...] = ()  # document names: id, file name, or words of the title
    date_from: str | None = None  # YYYY[-MM[-DD]], inclusive
    date_to: str | None = None

    def __post_init__(self) -> None:
        for d in (self.date_from, self.date_to):
            if d is not None and not DATE_RE.match(d):
                raise DocbotError(f"bad date {d!r}; write YYYY, YYYY-MM or YYYY-MM-DD")
        if self.date_from and self.date_to and _lo(self.date_from) > _hi(self.date_to):
            raise DocbotError(f"--from {self.date_from} is after --to {self.date_to}")

    def __bool__(self) -> bool:
        return bool(self.docs or self.date_from or self.date_to)

    def doc_ids(self, documents: list[dict]) -> list[str]:
        """The ids of the documents (manifest entries) this filter keeps, in index order.
        Raises DocbotError for a name that matches no document."""
        keep = [d for d in documents if self._dated(d.get("date", ""))]
        if self.docs:
            chosen: dict[str, None] = {}
            for name in self.docs:
                found = _match(name, documents)
                if not found:
                    known = ", ".join(d["id"] for d in documents[:12])
                    raise DocbotError(f"no document matches {name!r}; documents: {known}"
                                      + (" …" if len(documents) > 12 else ""))
                chosen.update(dict.fromkeys(found))
            keep = [d for d in keep if d["id"] in chosen]
        return [d["id"] for d in keep]

    def mask(self, documents: list[dict]) -> np.ndarray:
        """Per chunk of the index (documents in order, each with its 'chunks' count): kept?"""
        ids = set(self.doc_ids(documents))
        counts = np.array([d.get("chunks", 0) for d in documents], dtype=np.int64)
        flags = np.array([d["id"] in ids for d in documents], dtype=bool)
        return np.repeat(flags, counts)

    def label(self, documents: list[dict] | None = None) -> str:
        """'in: lighthouses, harbour, 1999–2003' — what the answer was limited to."""
        parts = []
        if self.docs:
            names = self.doc_ids([d for d in documents]) if documents else []
            parts.append(", ".join(names) if names and len(names) <= 4 else
                         ", ".join(self.docs))
        if self.date_from or self.date_to:
            if self.date_from == self.date_to:
                parts.append(self.date_from)
            else:
                parts.append(f"{self.date_from or '…'}–{self.date_to or '…'}")
        return "in: " + ", ".join(parts) if parts else ""

    def to_dict(self) -> dict:
        return {"docs": list(self.docs), "from": self.date_from, "to": self.date_to}

    def _dated(self, date: str) -> bool:
        if not (self.date_from or self.date_to):
            return True
        d = iso_date(date) if date else ""
        if not d:
            return False  # a date filter keeps only documents that have a date
        return ((not self.date_from or _hi(d) >= _lo(self.date_from))
                and (not self.date_to or _lo(d) <= _hi(self.date_to)))


def _lo(d: str) -> str:
    return d + "-00-00"[len(d) - 4:] if len(d) < 10 else d


def _hi(d: str) -> str:
    return d + "-99-99"[len(d) - 4:] if len(d) < 10 else d


def _match(name: str, documents: list[dict]) -> list[str]:
    """Exact id or file name first; else every document whose id or title contains it."""
    key = name.strip().casefold()
    if not key:
        return []
    exact = [d["id"] for d in documents
             if key in (d["id"].casefold(), str(d.get("path", "")).casefold())]
    if exact:
        return exact
    return [d["id"] for d in documents
            if key in d["id"].casefold() or key in str(d.get("title", "")).casefold()]
