"""Keeping the bot token (and the webhook secret) out of every log record."""
from __future__ import annotations

import logging
import threading
from typing import Any


class MaskToken(logging.Filter):
    """Replace the bot token (which is part of every Bot API URL) with '<token>' in log records."""

    def __init__(self, token: str = "") -> None:
        super().__init__()
        self.secrets: tuple[str, ...] = ()
        self.add(token)

    def add(self, token: str | None) -> None:
        """Mask token too (and its secret part, and the form it takes in a URL-encoded text)."""
        if not token:
            return
        secret = token.split(":", 1)[-1]
        new = (token, token.replace(":", "%3A"), secret)
        # one assignment (other threads are logging); a secret too short to mask without
        # mangling every log line (a webhook secret may be 1 character) is left alone
        self.secrets = tuple(s for s in dict.fromkeys(self.secrets + new) if len(s) >= 6)

    def mask(self, text: str) -> str:
        for s in self.secrets:
            text = text.replace(s, "<token>")
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a bad format string: logging reports it on emit
            return True
        masked = self.mask(message)
        if masked != message:
            record.msg, record.args = masked, None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self.mask(record.exc_text)
        if record.stack_info:
            record.stack_info = self.mask(record.stack_info)
        return True


_MASK = MaskToken()
_mask_lock = threading.Lock()
_mask_installed = False


def mask_in_logs(*tokens: str | None) -> MaskToken:
    """Mask these tokens in every log record made from now on, whatever its logger, level or
    handler (httpx logs each request's URL, which holds the bot token): the process's log
    record factory masks records as they are made."""
    global _mask_installed
    with _mask_lock:
        for token in tokens:
            _MASK.add(token)
        if not _mask_installed:
            make = logging.getLogRecordFactory()

            def masked_record(*args: Any, **kwargs: Any) -> logging.LogRecord:
                record = make(*args, **kwargs)
                _MASK.filter(record)
                return record

            logging.setLogRecordFactory(masked_record)
            _mask_installed = True
    return _MASK


def protect_token(token: str) -> MaskToken:
    """Keep the token out of the logs (mask_in_logs) and keep httpx, which logs every request,
    at WARNING."""
    mask = mask_in_logs(token)
    for name in ("httpx", "httpcore"):
        logging.getLogger(name).setLevel(logging.WARNING)
    return mask
