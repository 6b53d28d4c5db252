"""How much of a Telegram answer a phone shows before anything is expanded, on 20 typical
questions about the bundled data, through the real bot and the loopback Bot API server.

    python tests/bench/telegram_phone.py            # figures, and the first answer's payload
    python tests/bench/telegram_phone.py --payload  # also print every answer's sendMessage text

"Shown" counts what Telegram shows of a message before a tap: everything outside expandable
quotes and the first three lines (≈ 40 characters each) of each expandable quote
(bot.render_html.shown_chars). Also checked: every answer is one message whose first line is
its answer line, in bold. Figures only: nothing is asserted.
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from fake_telegram import AppThread, FakeTelegram  # noqa: E402

from bot.config import Settings  # noqa: E402
from bot.render_html import shown_chars, tg_len  # noqa: E402
from bot.telegram_bot import build_application, run  # noqa: E402
from index.answering.answer import Answerer  # noqa: E402

QUESTIONS = (
    "When did Mongolia and North Korea establish diplomatic relations?",
    "When did Mongolia establish diplomatic relations with South Korea?",
    "Who was the first Mongolian ambassador in Pyongyang?",
    "When was the treaty between Russia and North Korea signed?",
    "Who signed the treaty between Russia and North Korea in 2000?",
    "How many North Korean orphans did Mongolia take in?",
    "How much meat did Mongolia send to North Korea during the Korean War?",
    "When did Kim Il Sung visit Mongolia?",
    "Why did relations between Mongolia and North Korea cool in the 1990s?",
    "What did the 1986 treaty between Mongolia and North Korea say?",
    "When was the Mongolian embassy in Pyongyang closed?",
    "What was the trade between Mongolia and North Korea in 2005?",
    "Who led the aid shipments to Korea in 1953?",
    "When was the 1961 defence pact between the Soviet Union and North Korea replaced?",
    "What did Igor Ivanov do in Pyongyang?",
    "How did North Korea react to Mongolia's relations with South Korea?",
    "When did the Mongolian prime minister visit Pyongyang?",
    "What is the Tumen-Gol project?",
    "Who was ambassador in Pyongyang from 1963 to 1967?",
    "What happened at the Battle of Khalkhyn Gol?",
)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--payload", action="store_true", help="print every answer's HTML")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp, FakeTelegram() as tg:
        answerer = Answerer.open(ROOT / "data", Path(tmp) / "index")
        settings = Settings(token=tg.token, api_base_url=tg.url, rate_limit=None)
        app = build_application(answerer, settings)
        thread = AppThread(app, lambda: run(app, settings, stop_signals=None)).start()
        try:
            tg.wait_for(lambda calls: any(c.method == "deleteWebhook" for c in calls), 30)
            rows = []
            for n, q in enumerate(QUESTIONS):
                chat = 1000 + n
                since = len(tg.calls)
                tg.push_message(chat, q)
                sent = tg.wait_for(lambda calls: [c for c in calls[since:] if c.method ==
                                                  "sendMessage" and c.chat_id == chat and c.ok], 30)
                html = sent[0].params["text"]
                result = sent[0].response["result"]
                first_line = result["text"].split("\n", 1)[0]
                bold = [e for e in result.get("entities", []) if e["type"] == "bold"]
                leads = bool(bold) and bold[0]["offset"] == 0 and bold[0]["length"] >= len(first_line)
                rows.append((q, len(sent), shown_chars(html), tg_len(result["text"]), leads,
                             first_line, html))
        finally:
            thread.stop()
    shown = [r[2] for r in rows]
    total = [r[3] for r in rows]
    print(f"{len(rows)} questions about data/, through the bot and the loopback Bot API")
    print(f"{'shown':>5} {'whole':>5}  answer line")
    for q, count, s, t, leads, line, _ in rows:
        mark = "" if leads and count == 1 else "  <- NOT one message led by its answer line"
        print(f"{s:>5} {t:>5}  {line[:90]}{mark}")
    print(f"median characters shown before expanding: {statistics.median(shown):.0f} "
          f"(min {min(shown)}, max {max(shown)}); whole message median "
          f"{statistics.median(total):.0f}")
    print(f"answers that are one message led by their answer line: "
          f"{sum(1 for r in rows if r[4] and r[1] == 1)}/{len(rows)}")
    for q, *_, html in rows if args.payload else rows[:1]:
        print(f"\n{q}\n" + json.dumps({"text": html}, ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
