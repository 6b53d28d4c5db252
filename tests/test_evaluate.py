"""`docbot eval` as a maintainer drives it: every case field passing and failing, the record
of replies and the diff after a document is added, JUnit XML and JSON reports, exit status."""
from __future__ import annotations

import enum
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from junitparser import Failure, JUnitXml

from bot.evaluate import load_cases, reply_status
from index.errors import DataError

ROOT = Path(__file__).resolve().parents[1]

HARBOUR = """The Harbour of Tallinn

History

The old harbour was built in 1825 by the merchant guild, who paid for the stone quays and the \
first lighthouse on the breakwater at the entrance to the bay.

Ferries

Ferries to Helsinki leave every two hours from the new terminal, and the crossing takes about \
two hours in summer and a little longer in winter storms.

Agreements

Estonia and Finland signed the ferry agreement on 12 May 1965 in Helsinki, opening the first \
regular passenger line across the gulf since the war had ended.
"""
ALIASES = "Estonia:\n  - Eesti\nFinland:\n  - Suomi\n"
FACTS = """- id: ee-fi-ferry-agreement-1965
  date: "1965-05-12"
  parties: [Estonia, Finland]
  relation: agreement
  title: Ferry agreement signed
  summary: Estonia and Finland signed the ferry agreement on 12 May 1965.
  source:
    doc: harbour
    quote: "Estonia and Finland signed the ferry agreement on 12 May 1965"
"""
DESIGNER = """The Breakwater Light

The lighthouse on the breakwater of Tallinn was designed by the engineer Karl Otto in 1830, \
five years after the harbour itself, and it still guides ships into the bay today.
"""

BUILT = "When was the old harbour built?"
AGREED = "When did Estonia and Finland sign the ferry agreement?"
ICE = "How long was the station on Utholmen cut off by ice?"  # lighthouses.pdf, page 2
CUP = "Who won the 1998 FIFA World Cup?"
DESIGNED = "Who designed the lighthouse on the breakwater?"


def make_data(folder: Path) -> Path:
    data = folder / "data"
    (data / "docs").mkdir(parents=True)
    (data / "docs" / "harbour.txt").write_text(HARBOUR, encoding="utf-8")
    shutil.copy(ROOT / "tests" / "fixtures" / "lighthouses.pdf", data / "docs")
    (data / "aliases.yaml").write_text(ALIASES, encoding="utf-8")
    (data / "facts.yaml").write_text(FACTS, encoding="utf-8")
    return data


def docbot_eval(data: Path, *args: str, cwd: Path) -> subprocess.CompletedProcess:
    cmd = [sys.executable, "-m", "bot", "eval", "--data", str(data),
           "--index", str(data.parent / "index"), *map(str, args)]
    env = dict(os.environ, NO_COLOR="1", PYTHONPATH=str(ROOT))
    r = subprocess.run(cmd, capture_output=True, text=True, cwd=cwd, env=env, timeout=300)
    assert "Traceback" not in r.stderr, r.stderr
    return r


@pytest.fixture(scope="module")
def data(tmp_path_factory) -> Path:
    return make_data(tmp_path_factory.mktemp("eval"))


# One case per (field, passes?): the field named is the only one checked that can fail.
FIELD_CASES = [
    ("expect", True, {"q": BUILT, "expect": ["1825"]}),
    ("expect", False, {"q": BUILT, "expect": ["1826"]}),
    ("answer", True, {"q": BUILT, "answer": "1825"}),
    ("answer", False, {"q": BUILT, "answer": ["1825", "merchant guild"]}),
    ("answer", True, {"q": CUP, "answer": "none"}),
    ("answer", False, {"q": BUILT, "answer": "none"}),
    ("kind", True, {"q": BUILT, "kind": "span"}),
    ("kind", True, {"q": AGREED, "kind": "fact"}),
    ("kind", False, {"q": BUILT, "kind": "sentence"}),
    ("status", True, {"q": BUILT, "status": "answer"}),
    ("status", True, {"q": CUP, "status": "none"}),
    ("status", False, {"q": CUP, "status": "answer"}),
    ("cite", True, {"q": BUILT, "cite": {"doc": "harbour", "section": "history", "paragraph": 1}}),
    ("cite", True, {"q": BUILT, "cite": {"doc": "harbour.txt"}}),
    ("cite", False, {"q": BUILT, "cite": {"doc": "harbour", "section": "Ferries"}}),
    ("cite", True, {"q": ICE, "cite": {"doc": "Keepers of the Northern Coast", "page": 2}}),
    ("cite", False, {"q": ICE, "cite": {"page": 1}}),
    ("cite", True, {"q": ICE, "cite": "Daily life at the stations"}),
    ("cite", False, {"q": ICE, "cite": "Automation"}),
    ("not_expect", True, {"q": BUILT, "not_expect": ["Utholmen"]}),
    ("not_expect", False, {"q": AGREED, "not_expect": ["Ferry agreement signed"]}),  # a fact's
    ("not_expect", False, {"q": BUILT, "not_expect": ["merchant guild"]}),  # a passage's
    ("rank", True, {"q": BUILT, "cite": {"doc": "lighthouses"}, "rank": 2}),
    ("rank", False, {"q": BUILT, "cite": {"doc": "lighthouses"}, "rank": 1}),
    ("rank", True, {"q": ICE, "expect": ["nine weeks", "dried fish"], "rank": 1}),
    ("facts", True, {"q": AGREED, "facts": ["ee-fi-ferry-agreement-1965"]}),
    ("facts", False, {"q": BUILT, "facts": ["ee-fi-ferry-agreement-1965"]}),
    ("facts_absent", True, {"q": BUILT, "facts_absent": ["ee-fi-ferry-agreement-1965"]}),
    ("facts_absent", False, {"q": AGREED, "facts_absent": ["ee-fi-ferry-agreement-1965"]}),
    ("abstain", True, {"q": CUP, "abstain": True}),
    ("abstain", False, {"q": BUILT, "abstain": True}),
]


def test_each_field_passes_and_fails_and_is_summed_by_file_and_field(data, tmp_path):
    cases = tmp_path / "fields.yaml"
    cases.write_text(json.dumps([c for _, _, c in FIELD_CASES]), encoding="utf-8")  # JSON is YAML
    r = docbot_eval(data, cases, "--json", cwd=tmp_path)
    assert r.returncode == 1, r.stderr  # some cases fail
    out = json.loads(r.stdout)
    assert len(out["cases"]) == len(FIELD_CASES)
    for (name, passes, case), got in zip(FIELD_CASES, out["cases"]):
        assert got["ok"] is passes, (case, got["problems"])
        assert {p["field"] for p in got["problems"]} == (set() if passes else {name}), case
    fields = out["summary"]["fields"]
    for name in {n for n, _, _ in FIELD_CASES}:
        rows = [p for n, p, _ in FIELD_CASES if n == name]
        assert fields[name]["failed"] == rows.count(False), name
    failed = sum(not p for _, p, _ in FIELD_CASES)
    assert out["summary"]["files"] == {str(cases): {"passed": len(FIELD_CASES) - failed,
                                                    "failed": failed}}
    # what each failure says names what was expected and what the reply showed
    problems = {p["problem"] for c in out["cases"] for p in c["problems"]}
    assert "expected '1826' in the top 3 passages" in problems
    assert "expected no answer line, got '1825'" in problems
    assert "expected a sentence answer line, got span" in problems
    assert any(p.startswith("expected no 'merchant guild', found in passage 1") for p in problems)
    assert any(p.startswith("expected passage 1 to cite page 1; it cites Keepers of the Northern "
                            "Coast — 2. Daily life at the stations, p. 2") for p in problems)
    # the reply as shown: answer line, its kind, status, passages with citations, facts
    agreed = out["cases"][7]["reply"]
    assert agreed["status"] == "answer" and agreed["kind"] == "fact"
    assert agreed["answer"].startswith("12 May 1965")
    assert agreed["facts"] == ["ee-fi-ferry-agreement-1965"]
    assert agreed["passages"][0]["citation"] == "The Harbour of Tallinn — Agreements, ¶3"

    text = docbot_eval(data, cases, cwd=tmp_path)
    assert text.returncode == 1
    lines = text.stdout.splitlines()
    assert f"{cases}  {len(FIELD_CASES) - failed} passed, {failed} failed" in lines
    assert lines[-1] == f"{len(FIELD_CASES) - failed} passed, {failed} failed"
    by_field = next(x for x in lines if x.startswith("by field"))
    # a rank case also checks its expect and cite strings (on the passage within the top N)
    for part in ("expect 2/3", "not_expect 1/3", "cite 6/9", "rank 2/3", "answer 2/4"):
        assert part in by_field, by_field
    assert sum(x.startswith(f"FAIL {cases}:") for x in lines) == failed


def test_an_old_case_file_keeps_working_and_a_passing_run_exits_0(data, tmp_path):
    old = tmp_path / "old.yaml"
    old.write_text(f"""# as written before answer/cite existed
- q: {BUILT}
  expect: ["1825", ["merchant guild", "guild of merchants"]]
  k: 2
- q: {AGREED}
  facts: [ee-fi-ferry-agreement-1965]
- q: {CUP}
  abstain: true
""", encoding="utf-8")
    r = docbot_eval(data, old, cwd=tmp_path)
    assert r.returncode == 0, r.stdout + r.stderr
    assert r.stdout.splitlines()[-1] == "3 passed, 0 failed"


@pytest.mark.parametrize("text, message", [
    ("- q: x\n  answer: 12\n  kind: date\n", ":1: 'kind' must be one of fact, span, sentence, note; got 'date'"),
    ("- q: x\n  status: maybe\n", ":1: 'status' must be one of answer, closest, none"),
    ("- q: ok\n  abstain: true\n- q: x\n  cite: {doc: a, chapter: 2}\n",
     ":3: unknown cite key(s) ['chapter']; allowed ['doc', 'section', 'page', 'paragraph']"),
    ("- q: x\n  cite: {page: two}\n", ":1: 'cite page' must be a whole number"),
    ("- q: x\n  answer:\n", ":1: 'answer' is empty; write 'answer: none' for no answer line"),
    ("- q: x\n  not_expect: {a: 1}\n", ":1: 'not_expect' must be a string or a list of strings"),
    ("- q: x\n  rank: 0\n  expect: [a]\n", ":1: 'rank' must be a whole number from 1 to 100"),
    ("- q: x\n  rank: 2\n", ":1: 'rank' needs 'expect' or 'cite' to say which passage"),
    ("- q: x\n  facts_absent: 3.5\n", None),  # a number is a string id
    ("- q: x\n  expected: [a]\n", ":1: unknown key(s) ['expected']"),
    ("- q: x\n", ":1: give 'expect', 'answer', 'cite', 'status', 'facts' or 'abstain: true'"),
])
def test_case_fields_are_validated_with_file_and_line(tmp_path, text, message):
    path = tmp_path / "cases.yaml"
    path.write_text(text, encoding="utf-8")
    if message is None:
        assert load_cases(path)[0].facts_absent == ["3.5"]
        return
    with pytest.raises(DataError) as e:
        load_cases(path)
    assert str(e.value).startswith(str(path) + message), str(e.value)


def test_a_question_list_needs_no_expectations_only_to_be_recorded(tmp_path):
    path = tmp_path / "questions.yaml"
    path.write_text(f"- {BUILT}\n- q: {ICE}\n", encoding="utf-8")
    assert [(c.q, c.where) for c in load_cases(path, need_checks=False)] == [
        (BUILT, f"{path}:1"), (ICE, f"{path}:2")]
    with pytest.raises(DataError, match=f"^{path}:1: give 'expect'"):
        load_cases(path)


def test_a_bad_case_file_is_one_line_before_any_question_is_asked(data, tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(f"- q: {BUILT}\n  answer: '1825'\n\n- q: {CUP}\n  status: nothing\n",
                   encoding="utf-8")
    r = docbot_eval(data, bad, cwd=tmp_path)
    assert r.returncode == 1 and r.stdout == ""
    assert r.stderr.strip().splitlines() == [
        f"docbot: {bad}:4: 'status' must be one of answer, closest, none; got 'nothing'"]


def test_against_a_file_that_was_never_recorded_says_how_to_record_one(data, tmp_path):
    plain = tmp_path / "plain.yaml"
    plain.write_text(f"- q: {BUILT}\n  answer: '1825'\n", encoding="utf-8")
    r = docbot_eval(data, "--against", plain, cwd=tmp_path)
    assert r.returncode == 1 and r.stdout == ""
    assert r.stderr.strip().splitlines() == [
        f"docbot: {plain}: holds no recorded replies; write one with docbot eval --record "
        f"{plain} [CASE FILES]"]


def test_record_bootstraps_a_case_file_and_against_shows_an_added_document(data, tmp_path):
    questions = tmp_path / "questions.txt"
    questions.write_text(f"# questions a user asks\n{BUILT}\n{ICE}\n{DESIGNED}\n", encoding="utf-8")
    base = tmp_path / "base.yaml"
    r = docbot_eval(data, "--record", base, questions, cwd=tmp_path)
    assert r.returncode == 0, r.stdout + r.stderr
    assert f"recorded 3 replies in {base}" in r.stdout
    recorded = load_cases(base)  # a case file that pins what each reply showed
    assert [c.q for c in recorded] == [BUILT, ICE, DESIGNED]
    built, ice, designed = recorded
    assert built.answer == [["1825"]] and built.kind == "span" and built.status == "answer"
    assert built.cite == {"doc": "harbour", "section": "History", "paragraph": 1}
    assert ice.cite["page"] == 2 and ice.answer == [["nine weeks"]]
    assert designed.answer == [] and designed.status == "none"  # not in the documents yet
    assert built.reply["passages"][0]["citation"] == "The Harbour of Tallinn — History, ¶1"
    assert built.reply["passages"][0]["id"].startswith("harbour:")
    assert "# Recorded by `docbot eval --record`" in base.read_text(encoding="utf-8")

    same = docbot_eval(data, "--against", base, cwd=tmp_path)
    assert same.returncode == 0, same.stdout + same.stderr
    assert "0 of 3 replies changed since" in same.stdout and "CHANGED" not in same.stdout

    # a maintainer adds a document: the reply that now has an answer is listed side by side
    grown = make_data(tmp_path / "grown")
    (grown / "docs" / "breakwater.txt").write_text(DESIGNER, encoding="utf-8")
    r = docbot_eval(grown, "--against", base, cwd=tmp_path)
    assert r.returncode == 1  # the pinned "no answer line" now fails, and replies changed
    report = r.stdout
    assert f"CHANGED {base}:" in report and DESIGNED in report
    lines = report.splitlines()
    start = next(i for i, x in enumerate(lines) if x.startswith("CHANGED") and x.endswith(DESIGNED))
    block = lines[start : lines.index("", start)]
    assert block[1].split() == ["before", "now"]
    answer_row = next(x for x in block if x.startswith("* answer"))
    assert answer_row.split()[2:] == ["—", "Karl", "Otto"]
    cite_row = next(x for x in block if x.startswith("* [1]"))
    assert cite_row.split("—")[-1].strip() == "The Breakwater Light, ¶1"
    assert "replies changed since" in report
    changed = [x for x in report.splitlines() if x.startswith("CHANGED")]
    assert not any(ICE in x for x in changed)  # untouched answers are not listed

    as_json = json.loads(docbot_eval(grown, "--against", base, "--json", cwd=tmp_path).stdout)
    diff = {d["q"]: d for d in as_json["changed"]}
    assert diff[DESIGNED]["before"]["answer"] is None
    assert diff[DESIGNED]["now"]["answer"] == "Karl Otto"
    assert ICE not in diff


def test_junit_report_reads_as_junit_one_testcase_per_question(data, tmp_path):
    cases = tmp_path / "mixed.yaml"
    cases.write_text(f"""- q: {BUILT}
  answer: "1825"
  cite: {{doc: harbour, section: History}}
- q: {ICE}
  answer: "ten weeks"
- q: {CUP}
  status: none
""", encoding="utf-8")
    report = tmp_path / "report.xml"
    r = docbot_eval(data, cases, "--junit", report, cwd=tmp_path)
    assert r.returncode == 1
    xml = JUnitXml.fromfile(str(report))
    suites = list(xml)
    assert [s.name for s in suites] == [str(cases)]
    assert (suites[0].tests, suites[0].failures, suites[0].errors) == (3, 1, 0)
    tests = {t.name: t for t in suites[0]}
    assert set(tests) == {BUILT, ICE, CUP}
    assert tests[BUILT].is_passed and tests[CUP].is_passed
    (failure,) = tests[ICE].result
    assert isinstance(failure, Failure)
    assert failure.message == "expected 'ten weeks' in the answer line 'nine weeks'"
    assert "p. 2" in failure.text  # the explanation shows the passages and their citations


def test_the_status_comes_from_the_reply_when_it_carries_one():
    class Graded:  # a reply of the graded kind: answered, but only the closest passages
        answered, status, direct = True, "closest", None

    class Plain:
        answered, direct = False, None

    assert reply_status(Graded()) == "closest"
    Graded.status = enum.Enum("Status", {"CLOSEST": "closest"}).CLOSEST
    assert reply_status(Graded()) == "closest"
    assert reply_status(Plain()) == "none"
