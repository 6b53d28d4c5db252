"""The command line as a user meets it: JSON contract, bad input, broken data."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "data"
PASSAGE_KEYS = {"rank", "score", "doc", "title", "section", "paragraph", "chunk_id", "text",
                "highlight", "citation", "notes", "facts"}


def docbot(*args: str, stdin: str | None = None, index: Path | None = None,
           data: Path = DATA) -> subprocess.CompletedProcess:
    env = dict(os.environ, NO_COLOR="1")
    cmd = [sys.executable, "-m", "bot", *args]
    if args and args[0] not in ("--help",):
        cmd += ["--data", str(data)] + (["--index", str(index)] if index else [])
    return subprocess.run(cmd, input=stdin, capture_output=True, text=True, cwd=ROOT, env=env,
                          timeout=120)


def assert_clean_error(r: subprocess.CompletedProcess, *needles: str) -> None:
    assert r.returncode == 1, r
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("docbot: "), r.stderr
    assert "Traceback" not in r.stderr
    for n in needles:
        assert n in lines[0], lines[0]


@pytest.fixture(scope="module")
def index(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("cli") / "index"
    r = docbot("index", index=path)
    assert r.returncode == 0, r.stderr
    return path


def ask_json(question: str, index: Path, *extra: str) -> dict:
    r = docbot("ask", question, "--json", *extra, index=index)
    assert r.returncode == 0, r.stderr
    assert "Traceback" not in r.stderr
    return json.loads(r.stdout)


def test_json_contract_for_an_answered_question(index):
    d = ask_json("When did Mongolia and North Korea establish diplomatic relations?", index)
    assert set(d) >= {"question", "answered", "message", "facts", "passages"}
    assert d["answered"] is True and len(d["passages"]) == 3
    first = d["passages"][0]
    assert PASSAGE_KEYS <= set(first)
    assert "15 October 1948" in first["text"]
    assert first["section"].startswith("Establishing diplomatic relations with the Democratic")
    assert [p["rank"] for p in d["passages"]] == [1, 2, 3]
    h = first["highlight"]
    assert first["text"][h["start"]:h["end"]] == h["sentence"]
    assert d["facts"][0]["date"] == "1948-10-15"
    assert d["answer"] == {"text": "15 October 1948 — Diplomatic relations established",
                           "kind": "fact", "chunk_id": first["chunk_id"],
                           "fact": d["facts"][0]["id"], "sentence": d["facts"][0]["source"]["quote"]}


def test_k_sets_the_number_of_passages(index):
    assert len(ask_json("Sambuu ambassador", index, "-k", "5")["passages"]) == 5


def test_passages_carry_the_endnotes_they_cite(index):
    d = ask_json("fifth article treaty 2002 reunification without external interference", index)
    notes = {n["mark"]: n["text"] for p in d["passages"] for n in p["notes"]}
    assert notes["xxiv"].startswith("Vertrag über freundschaftliche Beziehungen")


def test_off_topic_question_is_not_answered(index):
    d = ask_json("Who won the Super Bowl in 2016?", index)
    assert d == {"question": "Who won the Super Bowl in 2016?", "status": "none", "answered": False,
                 "message": "I found nothing about that in the documents.", "facts": [],
                 "passages": [], "assumed": None, "answer": None}


def test_jsonl_answers_every_line(index):
    lines = ["Who was J. Sambuu?", "", "what is the speed of light", "DPRK Russia treaty"]
    r = docbot("ask", "--jsonl", stdin="\n".join(lines) + "\n", index=index)
    assert r.returncode == 0, r.stderr
    out = [json.loads(x) for x in r.stdout.splitlines()]
    assert [o["question"] for o in out] == lines
    assert [o["answered"] for o in out] == [True, False, False, True]


@pytest.mark.parametrize("question", [
    "", "   \t  ", "a" * 100_000, "When did \x07Mongolia\x1b[31m recognise the DPRK?",
    "🇰🇵🤝🇲🇳 ???", "متى تأسست العلاقات الدبلوماسية", "\u202eDPRK Mongolia treaty\u202c",
    "<b>treaty</b> & <script>alert(1)</script>", "'; DROP TABLE facts; --", "$(rm -rf /)",
    "the of and to", "?!...", "1948 1990 2000",
])
def test_bad_input_gets_an_answer_or_a_one_line_message(index, question):
    r = docbot("ask", question, "--json", index=index)
    assert r.returncode == 0 and "Traceback" not in r.stderr, r.stderr
    d = json.loads(r.stdout)
    assert d["answered"] or (d["message"] and "\n" not in d["message"])


def test_input_that_argv_cannot_carry_goes_through_jsonl(index):
    raw = "When\x00 did Mongolia recognise the DPRK?\n".encode() + b"\xff\xfe bad bytes\n" + \
        "\u202e\U0001F600 \x1b[2J\n".encode()
    r = subprocess.run([sys.executable, "-m", "bot", "ask", "--jsonl", "--data", str(DATA),
                        "--index", str(index)], input=raw, capture_output=True, cwd=ROOT)
    assert r.returncode == 0 and b"Traceback" not in r.stderr, r.stderr
    out = [json.loads(x) for x in r.stdout.decode().splitlines()]
    assert [o["answered"] for o in out] == [True, False, False]


def test_text_output_shows_citation_and_highlight(index):
    r = docbot("ask", "How many head of meat did Mongolia supply?", index=index)
    assert r.returncode == 0
    assert "[1] Mongolia and North Korea" in r.stdout and "»" in r.stdout
    assert "**meat**" in r.stdout and "226,236 head of meat" in r.stdout


def test_missing_data_dir(tmp_path):
    assert_clean_error(docbot("ask", "x", data=tmp_path / "nope", index=tmp_path / "i"),
                       "nope", "not found")


def test_data_dir_without_docs(tmp_path):
    assert_clean_error(docbot("ask", "x", data=tmp_path, index=tmp_path / "i"), "no docs/")


def test_empty_docs_folder(tmp_path):
    (tmp_path / "docs").mkdir()
    assert_clean_error(docbot("index", data=tmp_path, index=tmp_path / "i"), "no documents (.txt, .md, .pdf")


@pytest.mark.parametrize("name,content,needle", [
    ("bin.txt", b"abc\x00\x01\x02", "binary"),
    ("latin1.txt", "Caf\xe9 au lait. Ulaanbaatar.".encode("latin-1"), "not UTF-8"),
    ("fm.md", b"---\ntitle: [unclosed\n---\nText.\n", "malformed front matter"),
    ("fm2.md", b"---\ntitle: ok\nwriter: me\n---\nText.\n", "unknown front matter key"),
])
def test_broken_document_names_the_file(tmp_path, name, content, needle):
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "good.txt").write_text("A good paragraph about Mongolia and its neighbours.\n")
    (docs / name).write_bytes(content)
    r = docbot("ask", "Mongolia", data=tmp_path, index=tmp_path / "i")
    assert_clean_error(r, name, needle)


def test_stale_and_corrupt_index_are_rebuilt_with_a_notice(tmp_path):
    docs = tmp_path / "docs"
    docs.mkdir()
    doc = docs / "a.txt"
    doc.write_text("Ulaanbaatar and Pyongyang signed a telecom agreement in 1955.\n")
    idx = tmp_path / "idx"
    r = docbot("ask", "telecom agreement", index=idx, data=tmp_path)
    assert r.returncode == 0 and "1955" in r.stdout
    r = docbot("ask", "telecom agreement", index=idx, data=tmp_path)
    assert r.stderr == ""  # fresh: loaded, not rebuilt
    doc.write_text("Ulaanbaatar and Pyongyang signed a postal agreement in 1956.\n")
    r = docbot("ask", "postal agreement", index=idx, data=tmp_path)
    assert "rebuilding" in r.stderr and len(r.stderr.splitlines()) == 1 and "1956" in r.stdout
    gen = (idx / "CURRENT").read_text().strip()
    chunks = idx / gen / "chunks.jsonl"
    chunks.write_text(chunks.read_text()[:-5])
    r = docbot("ask", "postal agreement", index=idx, data=tmp_path)
    assert r.returncode == 0 and "1956" in r.stdout
    assert "damaged" in r.stderr and len(r.stderr.splitlines()) == 1


def test_facts_check_and_timeline(index):
    r = docbot("facts", "--check", index=index)
    assert r.returncode == 0 and "facts, all quotes found" in r.stdout
    r = docbot("timeline", "RF", "DPRK", index=index)
    assert r.returncode == 0 and "9 February 2000" in r.stdout
    assert_clean_error(docbot("timeline", "Atlantis", index=index), "unknown party 'Atlantis'")


def test_help_and_usage_errors():
    r = docbot("--help")
    assert r.returncode == 0 and "chat" in r.stdout
    r = subprocess.run([sys.executable, "-m", "bot", "ask", "q", "-k", "0"], capture_output=True,
                       text=True, cwd=ROOT)
    assert r.returncode == 2 and "between 1 and 100" in r.stderr and "Traceback" not in r.stderr


def test_index_takes_a_new_document_as_a_segment_and_compacts_when_asked(write_data, tmp_path):
    data = write_data({"harbour.txt": "Harbour\n\nThe harbour of Bazumo counted the caravans.\n",
                       "ledger.txt": "Ledger\n\nThe ledgers of the masters show every year.\n"})
    index = tmp_path / "index"
    assert docbot("index", index=index, data=data).returncode == 0
    (data / "docs" / "kalodo.txt").write_text("Kalodo\n\nKalodo traders came to Bazumo in 1921.\n")
    r = docbot("index", "--json", index=index, data=data)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["passages"] == 3
    manifest = json.loads(next(index.glob("gen-*/manifest.json")).read_text())
    assert len(manifest["segs"]) == 2  # the build's segment and the new document's

    def first_doc() -> str:
        r = docbot("ask", "When did the Kalodo traders come to Bazumo?", "--json", "-k", "1",
                   index=index, data=data)
        assert r.returncode == 0 and not r.stderr, r.stderr  # no notice: nothing to rebuild
        return json.loads(r.stdout)["passages"][0]["doc"]

    assert first_doc() == "kalodo"
    r = docbot("index", "--compact", index=index, data=data)
    assert r.returncode == 0, r.stderr
    assert "segs" not in json.loads(next(index.glob("gen-*/manifest.json")).read_text())
    assert first_doc() == "kalodo"


def test_a_file_of_questions_on_stdin_gets_each_answered(index):
    r = docbot("ask", "-k", "1", index=index,
               stdin="When did Mongolia and South Korea establish diplomatic relations?\n"
                     "Who is Kim Jong Un?\n")
    assert r.returncode == 0, r.stderr
    assert r.stdout.count("» ") == 2 and "26 March 1990" in r.stdout
    assert "“Kim Jong Un”" in r.stdout  # the second is judged on its own, not merged
    # one question wrapped over lines is still one question
    r = docbot("ask", "-k", "1", index=index,
               stdin="When did Mongolia and South Korea\nestablish diplomatic relations?\n")
    assert r.returncode == 0 and "» " not in r.stdout and "26 March 1990" in r.stdout
    assert_clean_error(docbot("ask", "--json", index=index, stdin="A?\nB?\n"), "--jsonl")
