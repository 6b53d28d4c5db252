"""Scripted Q&A regression cases: load them, run them, explain failures, record and compare
replies, and report them (text, JSON, JUnit XML).

A case file is a YAML list; each item is a question with what its reply must show:
    - q: When did Mongolia and North Korea establish diplomatic relations?
      expect: ["15 October 1948"]     # each string occurs (any case) in one of the top-k passages;
                                      # an item that is a list passes when any of its strings does
      answer: ["15 October 1948"]     # strings the answer line holds (same rules); `none`: no line
      kind: span                      # the answer line's kind: fact | span | sentence
      status: answer                  # the reply: answer | closest | none
      cite: {doc: mongolia-north-korea-relations, section: Establishing, paragraph: 12}
                                      # passage 1's document (id, file or title), section (words
                                      # it holds), page, paragraph; a string: words its citation holds
      rank: 2                         # the expected passage (all `expect` strings, `cite`) is
                                      # within the top 2 (then `cite` need not be passage 1's)
      not_expect: ["Gungaadorj"]      # no shown passage, fact or the answer line holds these
      facts: [mn-kp-diplomatic-relations-1948]   # these fact ids come first, in order
      facts_absent: [mn-kr-diplomatic-relations-1990]  # these facts are not shown
      k: 3                            # passages shown, default 3
    - q: Who won the 1998 FIFA World Cup?
      abstain: true                   # the answer must be "not in the documents"
An item may also be a bare question (a string): a question list, which `--record` turns into
a case file. `reply:` holds what a recorded run showed (written by --record, read by --against).
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET

import time

import yaml

from index import yamlfile
from index.errors import DataError

from index.answering.answer import Answer, Answerer

CASE_KEYS = {"q", "expect", "abstain", "facts", "k", "first", "answer", "kind", "status", "cite",
             "not_expect", "rank", "facts_absent", "reply"}
CHECKS = ("expect", "abstain", "facts", "answer", "kind", "status", "cite", "not_expect", "rank",
          "facts_absent")  # the fields a case can be checked on
KINDS = ("fact", "span", "sentence", "note")
STATUSES = ("answer", "closest", "none")
CITE_KEYS = ("doc", "section", "page", "paragraph")
NO_LINE = "none"  # `answer: none`: the reply has no answer line


@dataclass
class Case:
    q: str
    expect: list[list[str]] = field(default_factory=list)  # all items; any string of an item
    abstain: bool = False
    facts: list[str] = field(default_factory=list)
    k: int = 3
    where: str = ""  # file:line
    answer: list[list[str]] | None = None  # None: not checked; []: no answer line
    kind: str | None = None
    status: str | None = None
    cite: dict[str, Any] | str | None = None
    not_expect: list[str] = field(default_factory=list)
    rank: int | None = None
    facts_absent: list[str] = field(default_factory=list)
    reply: dict[str, Any] | None = None  # recorded by --record
    given: dict[str, Any] = field(default_factory=dict)  # the fields as written, for --record

    @property
    def file(self) -> str:
        return self.where.rsplit(":", 1)[0]

    def checks(self) -> list[str]:
        """The fields this case is checked on."""
        out = [f for f in CHECKS if f in self.given]
        if "expect" in out and not self.expect:
            out.remove("expect")
        return out


@dataclass
class Result:
    case: Case
    ok: bool
    problems: list[str]
    answer: Answer
    failed: list[str] = field(default_factory=list)  # the field of each problem
    seconds: float = 0.0

    def explain(self) -> str:
        lines = [f"{self.case.where}: {self.case.q!r}", *[f"  - {p}" for p in self.problems]]
        line = answer_line(self.answer)
        lines.append(f"  answer line ({reply_status(self.answer)}, "
                     f"{answer_kind(self.answer) or 'no kind'}): {line or '(none)'}")
        if self.answer.facts:
            lines.append("  facts: " + ", ".join(f.fact.id for f in self.answer.facts[:5]))
        if not self.answer.passages:
            lines.append(f"  answer: {self.answer.message}")
        for p in self.answer.passages:
            text = " ".join(p.hit.chunk.text.split())
            lines.append(f"  [{p.rank}] {p.score:.3f} {p.hit.chunk.citation}: {text[:160]}…")
        return "\n".join(lines)


# -- what a reply shows ------------------------------------------------------------------------


def reply_status(answer: Answer) -> str:
    """answer | closest | none: the reply's grade when the answer service gives one (its
    `status`), else answered or not."""
    status = getattr(answer, "status", None)
    if status:
        return str(getattr(status, "value", status))  # a string, or an Enum of strings
    return "answer" if answer.answered else "none"


def answer_line(answer: Answer) -> str | None:
    """The bold line a user reads first, or None when the reply has none."""
    d = answer.direct
    if d is None or not answer.answered:
        return None
    return d.line or d.text


def answer_kind(answer: Answer) -> str | None:
    return answer.direct.kind if answer.direct is not None and answer.answered else None


def shown(answer: Answer) -> dict[str, Any]:
    """What a reply shows, as plain data (recorded by --record, compared by --against)."""
    return {
        "status": reply_status(answer),
        "answer": answer_line(answer),
        "kind": answer_kind(answer),
        "passages": [{"id": p.hit.chunk.id, "citation": p.hit.chunk.citation}
                     for p in answer.passages],
        "facts": [f.fact.id for f in answer.facts],
    }


# -- loading -----------------------------------------------------------------------------------


def _strings(value: Any, where: str, key: str, alternatives: bool = True) -> list[list[str]]:
    """A string or a list of strings (or, with alternatives, of lists of strings) as a list of
    alternatives; DataError otherwise."""
    items = [value] if isinstance(value, (str, int, float)) else value
    shape = "a string or a list of strings" + (" (or of lists: any one)" if alternatives else "")
    if not isinstance(items, list) or not items:
        raise DataError(f"{where}: '{key}' must be {shape}")
    out = []
    for x in items:
        if isinstance(x, list) and alternatives and x and all(isinstance(y, (str, int, float)) for y in x):
            out.append([str(y) for y in x])
        elif isinstance(x, (str, int, float)) and not isinstance(x, bool):
            out.append([str(x)])
        else:
            raise DataError(f"{where}: '{key}' must be {shape}; got {x!r}")
    return out


def _whole(value: Any, where: str, key: str, low: int = 1, high: int = 100) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise DataError(f"{where}: '{key}' must be a whole number from {low} to {high}; got {value!r}")
    return value


def _choice(value: Any, where: str, key: str, allowed: tuple[str, ...]) -> str:
    if not isinstance(value, str) or value not in allowed:
        raise DataError(f"{where}: '{key}' must be one of {', '.join(allowed)}; got {value!r}")
    return value


def _cite(value: Any, where: str) -> dict[str, Any] | str:
    if isinstance(value, str) and value.strip():
        return value
    if not isinstance(value, dict) or not value:
        raise DataError(f"{where}: 'cite' must be words of the citation, or a mapping of "
                        f"{', '.join(CITE_KEYS)}")
    value = {k: v for k, v in value.items() if k != yamlfile.LINE}
    unknown = set(value) - set(CITE_KEYS)
    if unknown:
        raise DataError(f"{where}: unknown cite key(s) {sorted(unknown)}; allowed {list(CITE_KEYS)}")
    out: dict[str, Any] = {}
    for key in ("doc", "section"):
        if key in value:
            if not isinstance(value[key], str) or not value[key].strip():
                raise DataError(f"{where}: cite '{key}' must be a non-empty string")
            out[key] = value[key]
    for key in ("page", "paragraph"):
        if key in value:
            out[key] = _whole(value[key], where, f"cite {key}", 1, 10**7)
    return out


def _case(item: Any, where: str, need_checks: bool) -> Case:
    if isinstance(item, str) and item.strip():
        item = {"q": item}
    if not isinstance(item, dict) or not isinstance(item.get("q"), str) or not item["q"].strip():
        raise DataError(f"{where}: a case needs 'q: question'")
    unknown = set(item) - CASE_KEYS
    if unknown:
        raise DataError(f"{where}: unknown key(s) {sorted(unknown)}; allowed {sorted(CASE_KEYS)}")
    case = Case(item["q"], where=where, given={k: v for k, v in item.items() if k != "reply"})
    if "expect" in item:
        case.expect = [] if item["expect"] == [] else _strings(item["expect"], where, "expect")
    if "abstain" in item:
        if not isinstance(item["abstain"], bool):
            raise DataError(f"{where}: 'abstain' must be true or false")
        case.abstain = item["abstain"]
    if "facts" in item:
        case.facts = [x[0] for x in _strings(item["facts"], where, "facts", alternatives=False)]
    if "k" in item:
        case.k = _whole(item["k"], where, "k")
    if "answer" in item:
        a = item["answer"]
        if a is None:
            raise DataError(f"{where}: 'answer' is empty; write 'answer: none' for no answer line")
        case.answer = [] if a == NO_LINE else _strings(a, where, "answer")
    if "kind" in item:
        case.kind = _choice(item["kind"], where, "kind", KINDS)
    if "status" in item:
        case.status = _choice(item["status"], where, "status", STATUSES)
    if "cite" in item:
        case.cite = _cite(item["cite"], where)
    if "not_expect" in item:
        case.not_expect = [x[0] for x in _strings(item["not_expect"], where, "not_expect", False)]
    if "rank" in item:
        case.rank = _whole(item["rank"], where, "rank")
        if not case.expect and case.cite is None:
            raise DataError(f"{where}: 'rank' needs 'expect' or 'cite' to say which passage")
        case.k = max(case.k, case.rank)
    if "facts_absent" in item:
        case.facts_absent = [x[0] for x in _strings(item["facts_absent"], where, "facts_absent", False)]
    if "reply" in item:
        if not isinstance(item["reply"], dict):
            raise DataError(f"{where}: 'reply' is what --record wrote; a mapping")
        case.reply = {k: v for k, v in item["reply"].items() if k != yamlfile.LINE}
    if need_checks and not case.checks():
        raise DataError(f"{where}: give 'expect', 'answer', 'cite', 'status', 'facts' or "
                        f"'abstain: true' (or run with --record to pin what the reply shows)")
    return case


def load_cases(path: Path, need_checks: bool = True) -> list[Case]:
    """The cases of a YAML case file, or the questions of a .txt file (one a line). Without
    need_checks a case may give no expectation (a question list to record)."""
    if path.suffix == ".txt":
        try:
            lines = path.read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError) as e:
            raise DataError(f"{path}: cannot read ({getattr(e, 'strerror', None) or e})") from None
        return [_case(line.strip(), f"{path}:{i}", need_checks)
                for i, line in enumerate(lines, 1) if line.strip() and not line.startswith("#")]
    raw = yamlfile.load(path, with_lines=True)
    if raw is not None and not isinstance(raw, list):
        raise DataError(f"{path}: expected a list of cases")
    cases = []
    lines = getattr(raw, "lines", [])
    for i, item in enumerate(raw or []):
        line = item.pop(yamlfile.LINE, 0) if isinstance(item, dict) else (
            lines[i] if i < len(lines) else 0)
        cases.append(_case(item, f"{path}:{line}", need_checks))
    return cases


# -- checking ----------------------------------------------------------------------------------


def _holds(options: list[str], text: str) -> bool:
    return any(s.casefold() in text for s in options)


def _shown_as(options: list[str]) -> str:
    return repr(options[0]) if len(options) == 1 else " or ".join(map(repr, options))


def _cite_problem(cite: dict[str, Any] | str, chunk: Any) -> str | None:
    """Why a passage's citation is not the one asked for, or None when it is."""
    if isinstance(cite, str):
        if cite.casefold() in chunk.citation.casefold():
            return None
        return f"citation holds {cite!r}"
    wrong = []
    doc = cite.get("doc")
    if doc is not None:
        names = {chunk.doc.casefold(), (chunk.title or "").casefold()}
        if doc.casefold() not in names and str(Path(doc).with_suffix("")).casefold() not in names:
            wrong.append(f"document {doc!r}")
    section = cite.get("section")
    if section is not None and section.casefold() not in (chunk.section or "").casefold():
        wrong.append(f"section with {section!r}")
    page = cite.get("page")
    if page is not None and not (chunk.page and chunk.page <= page <= max(chunk.page, chunk.page_end)):
        wrong.append(f"page {page}")
    para = cite.get("paragraph")
    if para is not None and not chunk.paragraph <= para <= max(chunk.paragraph, chunk.paragraph_end):
        wrong.append(f"¶{para}")
    return ", ".join(wrong) or None


def check(case: Case, answer: Answer) -> list[tuple[str, str]]:
    """(field, problem) for each way the reply misses the case."""
    problems: list[tuple[str, str]] = []
    add = lambda f, p: problems.append((f, p))  # noqa: E731
    passages = list(answer.passages)
    texts = [p.hit.chunk.text.casefold() for p in passages]
    line = answer_line(answer)
    if case.abstain:
        if answer.answered:
            add("abstain", f"expected no answer, got {len(passages)} passages")
    elif "abstain" in case.given or case.expect or case.facts:  # the old rule: it is answered
        if not answer.answered:
            add("expect" if case.expect or not case.facts else "facts",
                f"expected an answer, got: {answer.message}")
    if case.rank is None:
        for options in case.expect:
            if not any(_holds(options, t) for t in texts):
                add("expect", f"expected {_shown_as(options)} in the top {case.k} passages")
        if case.cite is not None:
            why = _cite_problem(case.cite, passages[0].hit.chunk) if passages else "no passage"
            if why:
                got = passages[0].hit.chunk.citation if passages else "no passage"
                add("cite", f"expected passage 1 to cite {why}; it cites {got}")
    else:
        at = next((p.rank for p, t in zip(passages, texts)
                   if p.rank <= case.rank and all(_holds(o, t) for o in case.expect)
                   and (case.cite is None or _cite_problem(case.cite, p.hit.chunk) is None)), None)
        if at is None:
            what = " and ".join(_shown_as(o) for o in case.expect)
            if case.cite is not None:
                what += (" with " if what else "") + f"citation {case.cite!r}"
            add("rank", f"expected a passage with {what} within the top {case.rank}")
    got = [f.fact.id for f in answer.facts]
    if case.facts and got[: len(case.facts)] != case.facts:
        add("facts", f"expected facts {case.facts} first, got {got[:len(case.facts) + 2]}")
    for fid in case.facts_absent:
        if fid in got:
            add("facts_absent", f"expected fact {fid} not shown; it is fact {got.index(fid) + 1}")
    if case.answer is not None:
        if not case.answer:
            if line is not None:
                add("answer", f"expected no answer line, got {line!r}")
        elif line is None:
            add("answer", "expected an answer line, got none")
        else:
            for options in case.answer:
                if not _holds(options, line.casefold()):
                    add("answer", f"expected {_shown_as(options)} in the answer line {line!r}")
    if case.kind is not None and answer_kind(answer) != case.kind:
        add("kind", f"expected a {case.kind} answer line, got {answer_kind(answer) or 'none'}")
    if case.status is not None and reply_status(answer) != case.status:
        add("status", f"expected status {case.status}, got {reply_status(answer)}")
    if case.not_expect:
        places = [(f"passage {p.rank}", t) for p, t in zip(passages, texts)]
        places += [(f"fact {m.fact.id}", " ".join((m.fact.text, m.fact.quote)).casefold())
                   for m in answer.facts]
        if line is not None:
            places.append(("the answer line", line.casefold()))
        for s in case.not_expect:
            where = [name for name, text in places if s.casefold() in text]
            if where:
                add("not_expect", f"expected no {s!r}, found in {', '.join(where)}")
    return problems


def run_case(answerer: Answerer, case: Case) -> Result:
    start = time.perf_counter()
    answer = answerer.ask(case.q, k=case.k)
    found = check(case, answer)
    return Result(case, not found, [p for _, p in found], answer, [f for f, _ in found],
                  time.perf_counter() - start)


def run_files(answerer: Answerer, paths: list[Path], need_checks: bool = True) -> list[Result]:
    cases = [c for p in paths for c in load_cases(p, need_checks)]  # all errors before any run
    return [run_case(answerer, c) for c in cases]


# -- summaries ---------------------------------------------------------------------------------


def summary(results: list[Result]) -> dict[str, Any]:
    """Passed and failed cases by file, and checks made and failed by field."""
    by_file: dict[str, dict[str, int]] = {}
    checked: Counter = Counter()
    failed: Counter = Counter()
    for r in results:
        f = by_file.setdefault(r.case.file, {"passed": 0, "failed": 0})
        f["passed" if r.ok else "failed"] += 1
        checked.update(r.case.checks())
        failed.update(set(r.failed))
    return {
        "passed": sum(r.ok for r in results), "failed": sum(not r.ok for r in results),
        "files": by_file,
        "fields": {k: {"checked": checked[k], "failed": failed[k]} for k in CHECKS if checked[k]},
    }


def summary_text(s: dict[str, Any]) -> str:
    width = max([len(f) for f in s["files"]] + [5])
    lines = [f"{name:<{width}}  {v['passed']} passed, {v['failed']} failed"
             for name, v in s["files"].items()]
    fields = [f"{k} {v['checked'] - v['failed']}/{v['checked']}" for k, v in s["fields"].items()]
    if fields:
        lines.append("by field (cases passing): " + ", ".join(fields))
    lines.append(f"{s['passed']} passed, {s['failed']} failed")
    return "\n".join(lines)


def result_dict(r: Result) -> dict[str, Any]:
    return {"where": r.case.where, "q": r.case.q, "ok": r.ok, "checks": r.case.checks(),
            "problems": [{"field": f, "problem": p} for f, p in zip(r.failed, r.problems)],
            "reply": shown(r.answer)}


# -- record and compare ------------------------------------------------------------------------


def pinned(answer: Answer) -> dict[str, Any]:
    """Expectations that pin what a reply shows now: its status, answer line and kind, and
    passage 1's document, section and paragraph (or page)."""
    out: dict[str, Any] = {"status": reply_status(answer)}
    line = answer_line(answer)
    out["answer"] = line if line is not None else NO_LINE
    if line is not None:
        out["kind"] = answer_kind(answer)
    if answer.passages:
        c = answer.passages[0].hit.chunk
        cite: dict[str, Any] = {"doc": c.doc}
        if c.section:
            cite["section"] = c.section
        cite["page" if c.page else "paragraph"] = c.page or c.paragraph
        out["cite"] = cite
    return out


class _Dumper(yaml.SafeDumper):
    """Readable YAML: long answer lines stay on one line, lists of short ids stay inline."""


def _str(dumper: yaml.SafeDumper, value: str) -> yaml.Node:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _str)


def _plain(value: Any) -> Any:
    """Data as read (lists that remember their lines) as plain lists and mappings."""
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items() if k != yamlfile.LINE}
    return value


def record_text(results: list[Result], source: str) -> str:
    """A case file holding every case's expectations (its own, or when it gives none, ones
    that pin what its reply shows) and the reply itself under `reply`."""
    items = []
    for r in results:
        item = _plain(r.case.given)
        if not r.case.checks():
            item.update(pinned(r.answer))
        item["reply"] = shown(r.answer)
        items.append(item)
    head = (f"# Recorded by `docbot eval --record` on {source}: each case with what its reply\n"
            "# showed under `reply` (compare later with `docbot eval --against THIS_FILE`).\n"
            "# Cases that gave no expectations pin the reply's status, answer line, kind and\n"
            "# passage 1's citation; edit them to what must stay true.\n")
    body = yaml.dump(items, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100,
                     default_flow_style=None)
    return head + body.replace("\n- q:", "\n\n- q:")


def _key(case: Case) -> tuple[str, int]:
    return (" ".join(case.q.split()).casefold(), case.k)


def changes(before: list[Case], results: list[Result]) -> list[dict[str, Any]]:
    """The cases whose reply differs from the one recorded: where, question, the recorded and
    the new reply. A question not recorded before counts as changed (its old reply is None)."""
    old = {}
    for c in before:
        if c.reply is not None:
            old.setdefault(_key(c), c.reply)
    out = []
    for r in results:
        now = shown(r.answer)
        was = old.get(_key(r.case))
        if was is None or _comparable(was) != _comparable(now):
            out.append({"where": r.case.where, "q": r.case.q, "before": was, "now": now})
    return out


def _comparable(reply: dict[str, Any]) -> tuple:
    return (reply.get("status"), reply.get("answer"), reply.get("kind"),
            [(p.get("id"), p.get("citation")) for p in reply.get("passages") or []],
            list(reply.get("facts") or []))


def _cut(text: str, width: int) -> str:
    """text in width characters: its start and its end (where a citation's paragraph is)."""
    text = " ".join(str(text).split())
    if len(text) <= width:
        return text
    tail = (width - 1) // 2
    return text[: width - 1 - tail] + "…" + text[len(text) - tail :]


def changes_text(diff: list[dict[str, Any]], width: int = 120) -> str:
    """Each changed case: the recorded and the new reply side by side, row by row."""
    col = (width - 12) // 2
    out = []
    for d in diff:
        was, now = d["before"] or {}, d["now"]
        out.append(f"CHANGED {d['where']}: {d['q']}")
        if d["before"] is None:
            out.append("  (not in the recording)")
        out.append(f"  {'':<8}  {'before':<{col}}  now")
        rows = [("status", was.get("status"), now["status"]),
                ("answer", was.get("answer"), now["answer"]),
                ("kind", was.get("kind"), now["kind"])]
        old_p, new_p = was.get("passages") or [], now["passages"]
        for i in range(max(len(old_p), len(new_p))):
            cite = lambda ps: ps[i]["citation"] if i < len(ps) else "—"  # noqa: E731
            rows.append((f"[{i + 1}]", cite(old_p), cite(new_p)))
        rows.append(("facts", ", ".join(was.get("facts") or []) or "—",
                     ", ".join(now["facts"]) or "—"))
        for name, a, b in rows:
            a, b = "—" if a is None else a, "—" if b is None else b
            mark = " " if a == b else "*"
            out.append(f"{mark} {name:<8}  {_cut(a, col):<{col}}  {_cut(b, col)}")
        out.append("")
    return "\n".join(out)


# -- JUnit XML ---------------------------------------------------------------------------------


def junit_xml(results: list[Result]) -> str:
    """JUnit XML: one testsuite per case file, one testcase per question; a failed case has
    a <failure> whose message is its problems and whose text explains the reply."""
    root = ET.Element("testsuites", name="docbot eval", tests=str(len(results)),
                      failures=str(sum(not r.ok for r in results)), errors="0")
    files: dict[str, list[tuple[int, Result]]] = {}
    for i, r in enumerate(results):
        files.setdefault(r.case.file, []).append((i, r))
    for name, rs in files.items():
        suite = ET.SubElement(root, "testsuite", name=name, tests=str(len(rs)),
                              failures=str(sum(not r.ok for _, r in rs)), errors="0", skipped="0",
                              time=f"{sum(r.seconds for _, r in rs):.3f}")
        for i, r in rs:
            line = r.case.where.rsplit(":", 1)[-1]
            tc = ET.SubElement(suite, "testcase", classname=Path(name).stem, name=r.case.q,
                               file=name, line=line, time=f"{r.seconds:.3f}")
            if not r.ok:
                fail = ET.SubElement(tc, "failure", message="; ".join(r.problems),
                                     type=",".join(dict.fromkeys(r.failed)))
                fail.text = r.explain()
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
