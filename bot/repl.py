"""Terminal chat: `docbot chat`."""
from __future__ import annotations

import dataclasses
import hashlib
import os
import shutil
import signal
import sys
import tempfile
from pathlib import Path
from typing import TextIO

from index.answering.answer import Answerer
from .commands import Reply, handle
from .render import reply_text, use_color
from .session import Session

PROMPT = "docbot> "


def history_path() -> Path:
    env = os.environ.get("DOCBOT_HISTORY")
    if env:
        return Path(env)
    base = Path(os.environ.get("XDG_STATE_HOME") or Path.home() / ".local" / "state")
    return base / "docbot" / "history"


def pages_dir() -> Path:
    """Where /page writes its images: $DOCBOT_PAGES, else a folder of this user's in the
    system's temporary folder."""
    env = os.environ.get("DOCBOT_PAGES")
    if env:
        return Path(env)
    uid = os.getuid() if hasattr(os, "getuid") else 0
    return Path(tempfile.gettempdir()) / f"docbot-pages-{uid}"


def save_page(reply: Reply) -> Reply:
    """Write the PNG of a /page reply; the reply then says where it is (or why it is not)."""
    chunk = reply.chunks[0]
    folder = pages_dir()
    name = f"page-{reply.image.page}-{hashlib.sha1(chunk.id.encode()).hexdigest()[:10]}.png"
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        (folder / name).write_bytes(reply.image.png)
    except OSError as e:
        return Reply("error", text=f"Cannot write the page image to {folder} ({e.strerror}); "
                                   "set DOCBOT_PAGES to a writable folder.")
    return dataclasses.replace(reply, text=str(folder / name))


def banner(answerer: Answerer) -> str:
    idx = answerer.index
    return (f"docbot — {len(idx.documents)} documents, {len(idx.chunks)} passages, "
            f"{len(answerer.facts.facts)} facts. Ask a question, /help for commands, /quit to leave.")


LEAVE_WORDS = frozenset({"quit", "exit", "q"})  # typed alone, as /quit


def run(answerer: Answerer, stdin: TextIO = sys.stdin, stdout: TextIO = sys.stdout) -> int:
    """Chat until /quit (or a lone quit, exit or q) or end of input. Interactive with line
    editing and history on a terminal; one answer per input line otherwise (for scripts)."""
    session = Session(answerer)
    interactive = stdin.isatty() and stdout.isatty()
    color = use_color(stdout)
    print(banner(answerer), file=stdout)
    hist = _setup_history() if interactive else None
    if interactive:
        # Ctrl-C cancels the line even when a parent started us with SIGINT ignored (which
        # Python would otherwise keep)
        signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        while True:
            try:
                line = input(PROMPT) if interactive else stdin.readline()
            except KeyboardInterrupt:  # Ctrl-C drops the line being typed, not the program
                print("^C", file=stdout)
                continue
            except EOFError:
                print(file=stdout)
                break
            if not interactive:
                if line == "":
                    break
                line = line.rstrip("\n")
            if not line.strip():
                continue
            if not interactive:
                print(f"\n{PROMPT}{line[:200]}{'…' if len(line) > 200 else ''}", file=stdout)
            if line.strip().casefold() in LEAVE_WORDS:
                break  # what other shells leave on; no question is a lone 'exit'
            try:
                reply = handle(session, line)
            except KeyboardInterrupt:
                print("(cancelled)", file=stdout)
                continue
            if reply.kind == "quit":
                break
            if reply.kind == "page":
                reply = save_page(reply)
            width = min(shutil.get_terminal_size((100, 24)).columns, 110) - 2
            print(reply_text(reply, color=color, width=max(40, width)), file=stdout, flush=True)
    finally:
        if hist is not None:
            _save_history(hist)
    return 0


def _setup_history() -> Path | None:
    try:
        import readline
    except ImportError:  # no readline on this platform: still a working chat
        return None
    path = history_path()
    try:
        readline.read_history_file(path)
    except OSError:
        pass
    readline.set_history_length(1000)
    return path


def _save_history(path: Path) -> None:
    import readline

    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        readline.write_history_file(path)
    except OSError:
        pass  # history is a convenience; never fail the chat over it
