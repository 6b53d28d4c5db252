"""docbot command line: index | ask | chat | telegram | facts | timeline."""
from __future__ import annotations

import argparse
import gc
import json
import re
import sys
import threading
from pathlib import Path

from index.errors import DocbotError

DEFAULT_DATA = Path("data")


def _notice(msg: str) -> None:
    print(f"docbot: {msg}", file=sys.stderr)


def _positive(text: str) -> int:
    try:
        n = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if not 1 <= n <= 100:
        raise argparse.ArgumentTypeError("must be between 1 and 100")
    return n


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--data", type=Path, default=DEFAULT_DATA,
                   help="data folder with docs/ (and optional aliases.yaml, facts.yaml); default ./data")
    p.add_argument("--index", type=Path, default=None, metavar="DIR",
                   help="where the built index lives (default: $DOCBOT_INDEX or ~/.cache/docbot/…)")


def _cluster_option(p: argparse.ArgumentParser) -> None:
    p.add_argument("--cluster", type=Path, metavar="FILE",
                   help="search the shards listed in FILE (docbot cluster build) instead of the local index")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="docbot", description="Answer questions from a folder of documents, with citations.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser("index", help="(re)build the index for a data folder")
    _common(p)
    p.add_argument("--compact", action="store_true",
                   help="rebuild from scratch as one segment (default: index the changed "
                        "documents as a new segment and merge small segments)")
    p.add_argument("--json", action="store_true",
                   help="print one JSON object: the counts and, per document, the share of its text kept")

    p = sub.add_parser("docs", help="the indexed documents, each with the share of its text kept")
    _common(p)
    p.add_argument("--json", action="store_true", help="print JSON lines, one per document")

    p = sub.add_parser("ask", help="answer one question (or each line of stdin that ends with "
                                   "'?'), or one per line of stdin with --jsonl")
    _common(p)
    p.add_argument("question", nargs="*", help="the question (quote it)")
    p.add_argument("-k", type=_positive, default=3, help="passages to return (default 3)")
    p.add_argument("--doc", action="append", default=[], metavar="NAME",
                   help="answer only from this document (id, file name or title words; repeatable)")
    p.add_argument("--from", dest="date_from", metavar="DATE",
                   help="only documents dated on or after YYYY[-MM[-DD]]")
    p.add_argument("--to", dest="date_to", metavar="DATE",
                   help="only documents dated on or before YYYY[-MM[-DD]]")
    _cluster_option(p)
    g = p.add_mutually_exclusive_group()
    g.add_argument("--json", action="store_true", help="print one JSON object")
    g.add_argument("--jsonl", action="store_true",
                   help="read questions from stdin, one per line; write one JSON object per line")

    p = sub.add_parser("chat", help="terminal chat on the data folder (the main job)")
    _common(p)
    _cluster_option(p)

    p = sub.add_parser("facts", help="list facts (filters combine) or validate the fact table")
    _common(p)
    p.add_argument("--party", action="append", default=[], help="a party or alias (repeatable)")
    p.add_argument("--relation", help="e.g. treaty, visit, ambassador, trade")
    p.add_argument("--from", dest="date_from", metavar="DATE", help="YYYY[-MM[-DD]]")
    p.add_argument("--to", dest="date_to", metavar="DATE", help="YYYY[-MM[-DD]]")
    p.add_argument("--check", action="store_true", help="only validate facts.yaml")
    p.add_argument("--json", action="store_true", help="print JSON lines")

    p = sub.add_parser("timeline", help="the chronology of facts between parties")
    _common(p)
    p.add_argument("parties", nargs="+", help="one or two parties (any alias)")
    p.add_argument("--json", action="store_true", help="print JSON lines")

    p = sub.add_parser("telegram", help="run the Telegram bot (token from $TELEGRAM_BOT_TOKEN)",
                       description="Run the bot on Telegram: long polling, or a webhook with "
                       "--webhook-url. Environment: TELEGRAM_BOT_TOKEN, DOCBOT_ALLOWED_CHATS "
                       "(comma-separated chat ids; default everyone), DOCBOT_RATE_LIMIT "
                       "(questions/seconds per user, default 20/60; 'off'), DOCBOT_WEBHOOK_SECRET.")
    _common(p)
    p.add_argument("--token-file", type=Path, metavar="FILE",
                   help="read the bot token from FILE instead of $TELEGRAM_BOT_TOKEN")
    p.add_argument("--api-base-url", metavar="URL",
                   help="a self-hosted Bot API server (or a test server), e.g. http://localhost:8081")
    p.add_argument("--webhook-url", metavar="URL",
                   help="receive updates by webhook at this public https URL instead of polling")
    p.add_argument("--listen", metavar="ADDR", help="webhook: local address to listen on (127.0.0.1)")
    p.add_argument("--port", type=int, help="webhook: local port to listen on (8443)")
    p.add_argument("--secret-token", metavar="TOKEN",
                   help="webhook: secret Telegram sends with each update (default "
                   "$DOCBOT_WEBHOOK_SECRET, else a random one)")
    p.add_argument("--allowed-chats", metavar="IDS", help="overrides $DOCBOT_ALLOWED_CHATS")
    p.add_argument("--rate-limit", metavar="N/SECONDS", help="overrides $DOCBOT_RATE_LIMIT")
    p.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    _cluster_option(p)

    p = sub.add_parser("eval", help="run Q&A regression case files and report the pass rate")
    _common(p)
    p.add_argument("cases", nargs="*", type=Path,
                   help="case files, or question lists (.txt, one a line) with --record "
                   "(default: tests/qa/*.yaml; with --against and none given: that file)")
    p.add_argument("-v", "--verbose", action="store_true", help="explain every failure")
    p.add_argument("--record", type=Path, metavar="FILE",
                   help="write every case with what its reply shows (a case file; questions "
                   "without expectations get ones that pin the reply)")
    p.add_argument("--against", type=Path, metavar="FILE",
                   help="list the cases whose reply changed since FILE was recorded (exit 1 if any)")
    p.add_argument("--junit", type=Path, metavar="FILE", help="also write a JUnit XML report")
    p.add_argument("--json", action="store_true", help="print one JSON object instead of text")
    _cluster_option(p)

    p = sub.add_parser("cluster", help="build shards for a Xapian cluster, or check one")
    csub = p.add_subparsers(dest="cluster_command", metavar="ACTION", required=True)
    c = csub.add_parser("build", help="write one shard index per node from a data folder, or "
                        "update the shards with the documents added, changed or deleted since")
    c.add_argument("--data", type=Path, default=DEFAULT_DATA, help="data folder (default ./data)")
    c.add_argument("--shards", type=_positive, required=True, help="number of shards")
    c.add_argument("--out", type=Path, required=True, metavar="DIR",
                   help="folder for shard-0 … shard-N-1 (serve each with xapian-tcpsrv); "
                   "shards already there take only the changed documents")
    c.add_argument("--rebuild", action="store_true",
                   help="write every shard anew instead of updating the changed documents")
    c = csub.add_parser("status", help="which replicas of a cluster file answer")
    c.add_argument("--cluster", type=Path, required=True, metavar="FILE")
    return parser


def _progress_bar(stream):
    """A one-line text progress bar for index builds, on a terminal only (None elsewhere)."""
    if not stream.isatty():
        return None

    def show(stage: str, done: int, total: int) -> None:
        filled = 30 * done // total if total else 30
        stream.write(f"\r{stage:<20} [{'#' * filled}{'.' * (30 - filled)}] {done:,}/{total:,}")
        stream.write("\n" if done >= total else "")
        stream.flush()

    return show


_DOC_FIELDS = ("id", "path", "title", "chunks", "kept", "visible_words", "kept_words", "measure",
               "problem", "lost", "lost_pages")


def cmd_index(args: argparse.Namespace) -> int:
    from index.reading.corpus import likely_cause, problem_notices, reading_summary
    from index.reading.accounting import partly_read
    from index.search.engine import default_index_dir, refresh

    index_dir = args.index or default_index_dir(args.data)
    # no notices from opening: the problem lines are printed below, once
    idx = refresh(args.data, index_dir, args.compact,
                  progress=None if args.json else _progress_bar(sys.stderr))
    docs = idx.documents
    counts = reading_summary(docs)
    if args.json:
        rows = []
        for d in docs:
            row = {k: d[k] for k in _DOC_FIELDS if k in d}
            if d.get("problem") or partly_read(d):
                row["cause"] = d.get("problem") or likely_cause(d)
            rows.append(row)
        print(json.dumps({**counts, "passages": len(idx.chunks), "terms": len(idx.vocab),
                          "index": str(index_dir), "docs": rows}, ensure_ascii=False))
        return 0
    for line in problem_notices(docs):
        _notice(line)
    parts = [f"indexed {counts['indexed']} of {counts['documents']} documents"]
    if counts["partly_read"]:
        parts.append(f"{counts['partly_read']} partly read")
    if counts["skipped"]:
        parts.append(f"{counts['skipped']} skipped")
    print(f"{', '.join(parts)}; {len(idx.chunks)} passages, {len(idx.vocab)} terms -> {index_dir}")
    return 0


def cmd_docs(args: argparse.Namespace) -> int:
    from bot.render import docs_text
    from index.search.engine import open_index

    docs = open_index(args.data, args.index, notice=_notice).documents
    if args.json:
        for d in docs:
            print(json.dumps({k: d[k] for k in _DOC_FIELDS if k in d}, ensure_ascii=False))
    else:
        print(docs_text(docs))
    return 0


def _open_answerer(args: argparse.Namespace):
    """The answer service: on the shards of --cluster FILE, else on the local index."""
    if getattr(args, "cluster", None) is not None:
        from index.cluster import ClusterAnswerer

        return ClusterAnswerer.open_cluster(args.cluster)
    from index.answering.answer import Answerer

    return Answerer.open(args.data, args.index, notice=_notice)


def _open_for_many(args: argparse.Namespace):
    """The answer service for a process that answers question after question (ask --jsonl,
    chat). What is alive once its start-up is done (the compiled kernels loaded in the
    background) lives as long as the process: gc.freeze then takes it out of the cyclic
    collector's walks, and no collection runs between the open and then. A full collection
    walked numba's ~90k objects (20-130 ms at 1M passages) inside whichever answer it fell
    in. Not for a bot that reopens its index: an old index would stay frozen."""
    answerer = _open_answerer(args)  # (a build it needs collects as usual)
    gc.disable()
    warming = getattr(answerer, "warming", None)

    def settle() -> None:
        if warming is not None:
            warming.join()
        gc.freeze()
        gc.enable()

    threading.Thread(target=settle, name="docbot-gc-freeze", daemon=True).start()
    return answerer


def _shard_changes(done) -> str:
    """One line: what a per-document update of the shards did."""
    if not (done.added or done.changed or done.deleted):
        return f"shards in {done.shards[0].parent} are up to date ({done.seconds:.2f} s)"
    what = ", ".join(f"{len(ids):,} {word}" for ids, word in (
        (done.added, "added"), (done.changed, "changed"), (done.deleted, "deleted")) if ids)
    names = ", ".join((done.added + done.changed + done.deleted)[:3])
    more = ", …" if len(done.added) + len(done.changed) + len(done.deleted) > 3 else ""
    shards = ", ".join(str(i + 1) for i in done.written) or "none"
    return (f"updated shards in {done.shards[0].parent} in {done.seconds:.2f} s: documents "
            f"{what} ({names}{more}); {_count(done.passages_added, 'passage')} written, "
            f"{done.passages_deleted:,} deleted; passages of shard {shards} of "
            f"{len(done.shards)} changed")


def _count(n: int, noun: str) -> str:
    return f"{n:,} {noun}" + ("" if n == 1 else "s")


def cmd_cluster(args: argparse.Namespace) -> int:
    from index import cluster

    if args.cluster_command == "build":
        done = cluster.update(args.data, args.shards, args.out, rebuild=args.rebuild,
                              progress=_progress_bar(sys.stderr))
        if not done.rebuilt:
            print(_shard_changes(done))
            return 0
        server = cluster.server_program() or "xapian-tcpsrv"
        print(f"built {len(done.shards)} shards in {args.out} in {done.seconds:.2f} s "
              f"({done.rebuilt}): {len(done.added):,} documents, {done.passages_added:,} "
              f"passages; serve each on its node, e.g.:")
        for i, path in enumerate(done.shards):
            print(f"  {server} --port {7000 + i} --interface 127.0.0.1 {path}")
        return 0
    rows = cluster.ClusterIndex(cluster.load_cluster(args.cluster)).status()
    for r in rows:
        state = (f"ok, {r['passages']:,} passages of {r['documents']:,} documents" if r["ok"]
                 else f"DOWN ({r['error']})")
        print(f"shard {r['shard']}  {r['replica']:<22} {state}")
    shards = {r["shard"] for r in rows}
    dead = sorted(s for s in shards if not any(r["ok"] for r in rows if r["shard"] == s))
    if dead:
        print(f"shards with no live replica: {', '.join(map(str, dead))}")
    return 1 if dead else 0


def cmd_ask(args: argparse.Namespace) -> int:
    from bot.render import answer_json, answer_text, use_color

    from index.filters import Where

    where = Where(tuple(args.doc), args.date_from, args.date_to) or None
    answerer = _open_for_many(args) if args.jsonl else _open_answerer(args)
    if where:
        where.doc_ids(answerer.index.documents)  # an unknown name: one line, before any answer
    if args.jsonl:
        if args.question:
            raise DocbotError("--jsonl reads questions from stdin; do not also pass a question")
        for line in sys.stdin:
            line = line.rstrip("\n")
            print(answer_json(answerer.ask(line, k=args.k, where=where)), flush=True)
        return 0
    question = " ".join(args.question)
    if not question.strip() and not sys.stdin.isatty() and not args.question:
        question = sys.stdin.read()
    asked = _questions(question)
    if len(asked) > 1:  # a file of questions: each is asked, each answer under its question
        if args.json:
            raise DocbotError(f"{len(asked)} questions on stdin; --json prints one answer: "
                              "use --jsonl for one JSON object per line")
        color = use_color(sys.stdout)
        print("\n\n".join(f"» {q}\n" + answer_text(answerer.ask(q, k=args.k, where=where),
                                                      color=color) for q in asked))
        return 0
    answer = answerer.ask(question, k=args.k, where=where)
    if args.json:
        print(answer_json(answer))
    else:
        print(answer_text(answer, color=use_color(sys.stdout)))
    return 0


def _questions(text: str) -> list[str]:
    """The questions a text holds: each of its lines when there are several and every one
    ends with a question mark (a file of questions), else the text as one question (one
    question may be wrapped over lines)."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if len(lines) > 1 and all(line.endswith("?") for line in lines):
        return lines
    return [text]


def cmd_chat(args: argparse.Namespace) -> int:
    from bot.repl import run

    return run(_open_for_many(args))


def _fact_list(args: argparse.Namespace, parties: list[str], relation: str | None = None,
               date_from: str | None = None, date_to: str | None = None) -> int:
    from index.answering.answer import Answerer
    from index.facts import RELATIONS, resolve_party
    from bot.render import facts_table, use_color

    answerer = Answerer.open(args.data, args.index, notice=_notice)
    table = answerer.facts
    if not table.facts:
        raise DocbotError(f"{args.data / 'facts.yaml'}: no facts (the file is missing or empty)")
    names = []
    for p in parties:
        name = resolve_party(answerer.index.analyzer, p)
        if name is None:
            known = ", ".join(sorted({n for f in table.facts for n in f.parties}))
            raise DocbotError(f"unknown party {p!r}; try one of: {known}")
        names.append(name)
    if relation is not None and relation not in RELATIONS:
        raise DocbotError(f"unknown relation {relation!r}; one of: {', '.join(RELATIONS)}")
    facts = table.select(names, relation, date_from, date_to)
    if args.json:
        for f in facts:
            print(json.dumps(f.to_dict(), ensure_ascii=False))
    elif facts:
        print(facts_table(facts, color=use_color(sys.stdout)))
    else:
        print("No facts match.")
    return 0


def cmd_facts(args: argparse.Namespace) -> int:
    if args.check:
        from index.answering.answer import Answerer

        answerer = Answerer.open(args.data, args.index, notice=_notice)
        n = len(answerer.facts.facts)
        print(f"{args.data / 'facts.yaml'}: {n} facts, all quotes found in their documents")
        return 0
    for d in (args.date_from, args.date_to):
        if d is not None and not re.match(r"^\d{4}(-\d{2}(-\d{2})?)?$", d):
            raise DocbotError(f"bad date {d!r}; write YYYY, YYYY-MM or YYYY-MM-DD")
    return _fact_list(args, args.party, args.relation, args.date_from, args.date_to)


def cmd_timeline(args: argparse.Namespace) -> int:
    return _fact_list(args, args.parties)


def _write(path: Path, text: str) -> None:
    """Write a report whole (a temporary file renamed), or one line saying why not."""
    tmp = path.with_name(path.name + ".tmp")
    try:
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(path)
    except OSError as e:
        raise DocbotError(f"{path}: cannot write ({e.strerror}); check the folder exists") from None


def cmd_eval(args: argparse.Namespace) -> int:
    from bot import evaluate

    paths = args.cases or ([args.against] if args.against else sorted(Path("tests/qa").glob("*.yaml")))
    if not paths:
        raise DocbotError("no case files given and none in tests/qa/")
    # a question list needs no expectations when its replies are recorded or compared
    loose = args.record is not None or args.against is not None
    for p in paths:
        evaluate.load_cases(p, need_checks=not loose)  # every file's errors before the index opens
    before = evaluate.load_cases(args.against, need_checks=False) if args.against else None
    if before is not None and not any(c.reply is not None for c in before):
        raise DocbotError(f"{args.against}: holds no recorded replies; write one with "
                          f"docbot eval --record {args.against} [CASE FILES]")
    answerer = _open_answerer(args)
    results = evaluate.run_files(answerer, paths, need_checks=not loose)
    failed = [r for r in results if not r.ok]
    summary = evaluate.summary(results)
    diff = evaluate.changes(before, results) if before is not None else None
    if args.record:
        source = f"cluster {args.cluster}" if getattr(args, "cluster", None) else f"{args.data}/"
        _write(args.record, evaluate.record_text(results, source))
    if args.junit:
        _write(args.junit, evaluate.junit_xml(results))
    if args.json:
        out = {"summary": summary, "cases": [evaluate.result_dict(r) for r in results]}
        if diff is not None:
            out["changed"] = diff
        print(json.dumps(out, ensure_ascii=False, indent=1))
    else:
        for r in failed:
            print(r.explain() + "\n" if args.verbose else f"FAIL {r.case.where}: {r.case.q}")
        if diff:
            print(evaluate.changes_text(diff))
        if diff is not None:
            print(f"{len(diff)} of {len(results)} replies changed since {args.against}")
        if args.record:
            print(f"recorded {len(results)} replies in {args.record}")
        print(evaluate.summary_text(summary))
    return 1 if failed or diff else 0


def cmd_telegram(args: argparse.Namespace) -> int:
    import os

    from bot.config import Settings

    settings = Settings.load(
        os.environ, token_file=args.token_file, api_base_url=args.api_base_url,
        webhook_url=args.webhook_url, listen=args.listen, port=args.port,
        secret_token=args.secret_token, allowed_chats=args.allowed_chats,
        rate_limit=args.rate_limit)
    from bot.telegram_bot import main as run_bot

    return run_bot(_open_answerer(args), settings, args.verbose)


COMMANDS = {"index": cmd_index, "docs": cmd_docs, "ask": cmd_ask, "chat": cmd_chat, "facts": cmd_facts, "timeline": cmd_timeline,
            "eval": cmd_eval, "telegram": cmd_telegram, "cluster": cmd_cluster}


def main(argv: list[str] | None = None) -> int:
    for stream in (sys.stdin, sys.stdout, sys.stderr):
        if hasattr(stream, "reconfigure"):  # undecodable input or output never kills an answer
            stream.reconfigure(errors="replace")
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 0
    try:
        return COMMANDS[args.command](args)
    except DocbotError as e:
        print(f"docbot: {e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0


if __name__ == "__main__":
    sys.exit(main())
