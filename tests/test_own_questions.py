"""tests/dev/own_questions.yaml is well formed: every gold answer and evidence snippet is in
its document word for word (whitespace aside), as the installed Debian package has it."""
from __future__ import annotations

import gzip
import os
import shutil
import subprocess
import sys
from collections import Counter
from html.parser import HTMLParser
from pathlib import Path

import pytest
import yaml

from dev_cases import check_fields

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "bench"))
try:
    from own_eval import DOCUMENTS, QUESTIONS, missing_documents
finally:
    sys.path.pop(0)

REQUIRE = os.environ.get("DOCBOT_REQUIRE_TOOLS") == "1"
FIELDS = {"q", "kind", "split", "asks", "answer", "evidence", "doc"}
KINDS = {"date_number", "people", "name", "paraphrase", "why_how", "unanswerable"}
ASKS = {"date", "number", "person", "name", "reason", "other"}
SPLITS = ("a", "b", "c")  # c: written later, blind to the rules, held out like b
CASES = yaml.safe_load(QUESTIONS.read_text(encoding="utf-8"))


def fold(text: str) -> str:
    return " ".join(text.split())


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def document_text(src: Path) -> str:
    """The document's text, whitespace folded: for a PDF pdftotext's reading order and its
    layout (an option table's columns side by side) one after the other, the character data of
    an HTML page, a (gzipped) text file as it is."""
    if src.suffix == ".pdf":
        return " | ".join(fold(subprocess.run(["pdftotext", *mode, str(src), "-"],
                                              capture_output=True, text=True, check=True).stdout)
                          for mode in ([], ["-layout"]))
    raw = gzip.open(src, "rt", encoding="utf-8").read() if src.suffix == ".gz" else \
        src.read_text(encoding="utf-8")
    if src.suffix == ".html":
        parser = _Text()
        parser.feed(raw)
        return fold("".join(parser.parts))
    return fold(raw)


@pytest.fixture(scope="module")
def texts() -> dict[str, str]:
    missing = missing_documents() + ([] if shutil.which("pdftotext") else ["poppler-utils"])
    if missing:
        message = f"needs {', '.join(missing)} (.ci/run installs them)"
        if REQUIRE:
            pytest.fail(message)
        pytest.skip(message)
    return {Path(name).stem: document_text(src) for name, (_, src) in DOCUMENTS.items()}


def test_every_case_has_the_fields_of_its_kind():
    check_fields(CASES, FIELDS, KINDS, ASKS, SPLITS,
                 lambda doc: doc in {Path(n).stem for n in DOCUMENTS})
    assert len({c["q"] for c in CASES}) == len(CASES), "a question is there twice"


def test_each_kind_is_split_in_halves():
    """Within splits a and b each kind is halved; split c is counted apart."""
    count = Counter((c["kind"], c["split"]) for c in CASES)
    for kind in {c["kind"] for c in CASES}:
        assert abs(count[kind, "a"] - count[kind, "b"]) <= 1, (kind, count)
    assert sum(n for (kind, split), n in count.items()
               if kind == "unanswerable" and split in ("a", "b")) >= 20
    assert count["unanswerable", "c"] >= 12


def test_gold_answers_and_evidence_are_in_their_document(texts):
    wrong = []
    for case in CASES:
        if not case["answer"]:
            continue
        text = texts[case["doc"]]
        for snippet in [*case["answer"], case["evidence"]]:
            if fold(snippet) not in text:
                wrong.append(f"{case['doc']}: {snippet!r} ({case['q']})")
    assert not wrong, "\n".join(wrong)

