"""Load test of the Telegram bot through the loopback Bot API server (tests/fake_telegram.py).

The bot runs as `docbot telegram --api-base-url …` in its own process (its RSS is measured);
N users (private chats) ask questions from tests/qa/*.yaml, each waiting for its reply before
asking the next, until Q questions are asked. Prints how many were answered, the reply latency
(question queued -> first reply message recorded) p50/p95, the Bot API errors (calls the
server answered 4xx, flood-control 429s aside) and errors logged by the bot, and the process
RSS at start and end. Figures only; nothing here asserts a time.

    python tests/bench/telegram_load.py                      # 1,000 questions from 50 users
    python tests/bench/telegram_load.py --questions 100 --users 10
    python tests/bench/telegram_load.py --no-flood-limit     # without Telegram's 30 msg/s cap
"""
from __future__ import annotations

import argparse
import os
import queue
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
for p in (ROOT, ROOT / "tests"):
    if str(p) not in sys.path:
        sys.path.insert(0, str(p))

import yaml  # noqa: E402

from fake_telegram import Call, FakeTelegram  # noqa: E402


@dataclass
class LoadResult:
    questions: int
    users: int
    answered: int = 0
    latencies: list[float] = field(default_factory=list)
    api_errors: int = 0
    bot_errors: int = 0
    rss_start: int = 0
    rss_end: int = 0
    seconds: float = 0.0
    calls: int = 0
    exit_code: int | None = None
    log: str = field(default="", repr=False)

    def percentile(self, q: float) -> float:
        if not self.latencies:
            return float("nan")
        data = sorted(self.latencies)
        return data[min(len(data) - 1, int(round(q * (len(data) - 1))))]

    def report(self) -> str:
        mb = 1024 * 1024
        return "\n".join([
            f"questions: {self.questions} from {self.users} users; answered {self.answered}",
            f"reply latency: p50 {self.percentile(0.5) * 1000:.0f} ms, "
            f"p95 {self.percentile(0.95) * 1000:.0f} ms, max {max(self.latencies, default=0) * 1000:.0f} ms",
            f"Bot API errors: {self.api_errors}; errors logged by the bot: {self.bot_errors}; "
            f"exit code {self.exit_code}",
            f"bot RSS: start {self.rss_start / mb:.1f} MB, end {self.rss_end / mb:.1f} MB",
            f"wall time {self.seconds:.1f} s, {self.calls} Bot API calls, "
            f"{self.questions / self.seconds if self.seconds else 0:.1f} questions/s",
        ])


def load_questions() -> list[str]:
    out = []
    for path in sorted((ROOT / "tests" / "qa").glob("*.yaml")):
        for case in yaml.safe_load(path.read_text(encoding="utf-8")) or []:
            if isinstance(case, dict) and case.get("q"):
                out.append(str(case["q"]))
    return out or ["When did Mongolia and North Korea establish diplomatic relations?"]


def _rss_of(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except OSError:  # not Linux: no figure
        return 0


def run_load(questions: int = 1000, users: int = 50, data: Path = ROOT / "data",
             index_dir: Path | None = None, timeout: float = 600,
             flood_limit: bool = True) -> LoadResult:
    """Run `docbot telegram` against the loopback server and ask `questions` questions from
    `users` users, each waiting for its reply before the next question."""
    result = LoadResult(questions, users)
    pool = load_questions()
    inboxes: dict[int, queue.Queue] = {1_000 + u: queue.Queue() for u in range(users)}

    def listen(call: Call) -> None:
        if call.method in ("sendMessage", "sendChatAction") and call.ok and call.chat_id in inboxes:
            inboxes[call.chat_id].put(call)

    with FakeTelegram() as tg, tempfile.TemporaryDirectory() as tmp:
        tg.listeners.append(listen)
        env = dict(os.environ, TELEGRAM_BOT_TOKEN=tg.token, DOCBOT_RATE_LIMIT="off",
                   DOCBOT_FLOOD_RATE="30" if flood_limit else "0", PYTHONUNBUFFERED="1")
        env.pop("DOCBOT_ALLOWED_CHATS", None)
        log_path = Path(tmp) / "bot.log"
        with open(log_path, "w") as log:
            bot = subprocess.Popen(
                [sys.executable, "-m", "bot", "telegram", "--data", str(data),
                 "--index", str(index_dir or Path(tmp) / "index"), "--api-base-url", tg.url],
                cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            tg.wait_for(lambda calls: any(c.method == "deleteWebhook" for c in calls), 120)
            result.rss_start = _rss_of(bot.pid)
            lock = threading.Lock()
            counter = iter(range(questions))
            deadline = time.monotonic() + timeout
            started = time.monotonic()

            def user(chat_id: int) -> None:
                inbox = inboxes[chat_id]
                while True:
                    with lock:
                        n = next(counter, None)
                    if n is None or time.monotonic() > deadline:
                        return
                    asked = time.monotonic()
                    tg.push_message(chat_id, pool[n % len(pool)])
                    # A chat's questions are answered one at a time, each starting with a
                    # "typing…" action: the first message after the next action is the reply
                    # (messages before it end the previous answer).
                    started_work = False
                    while True:
                        try:
                            call = inbox.get(timeout=max(0.1, deadline - time.monotonic()))
                        except queue.Empty:
                            return
                        if call.method == "sendChatAction":
                            started_work = True
                        elif started_work:
                            break
                    with lock:
                        result.answered += 1
                        result.latencies.append(call.at - asked)

            threads = [threading.Thread(target=user, args=(c,), daemon=True) for c in inboxes]
            for t in threads:
                t.start()
            for t in threads:
                t.join(max(1.0, deadline - time.monotonic() + 5))
            result.seconds = time.monotonic() - started
            result.rss_end = _rss_of(bot.pid)
        finally:
            bot.send_signal(signal.SIGTERM)
            try:
                bot.wait(60)
            except subprocess.TimeoutExpired:
                bot.kill()
                bot.wait()
        result.api_errors = len(tg.errors())
        result.calls = len(tg.calls)
        result.log = log_path.read_text(encoding="utf-8", errors="replace")
        result.bot_errors = sum(1 for line in result.log.splitlines() if " ERROR " in line)
        result.exit_code = bot.returncode
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--questions", type=int, default=1000)
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--data", type=Path, default=ROOT / "data")
    parser.add_argument("--timeout", type=float, default=900, help="give up after this many seconds")
    parser.add_argument("--no-flood-limit", action="store_true",
                        help="lift the bot's 30 messages/s cap (Telegram's), to measure the bot alone")
    args = parser.parse_args(argv)
    result = run_load(args.questions, args.users, args.data, timeout=args.timeout,
                      flood_limit=not args.no_flood_limit)
    print(f"flood limit: {'off' if args.no_flood_limit else '30 messages/s (Telegram)'}")
    print(result.report())
    if result.bot_errors:
        print("bot log (errors):", *[l for l in result.log.splitlines() if " ERROR " in l][:20],
              sep="\n")
    return 0 if result.answered == result.questions and result.api_errors == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
