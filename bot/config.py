"""Settings of the Telegram bot, from the environment and command-line flags.

Environment: TELEGRAM_BOT_TOKEN, DOCBOT_ALLOWED_CHATS ("123,-100456"), DOCBOT_RATE_LIMIT
("20/60" = 20 requests per 60 s and user; "off" for none), DOCBOT_WEBHOOK_SECRET,
DOCBOT_FLOOD_RATE (messages per second for the whole bot; default 30, Telegram's limit).
Flags given to Settings.load win over the environment."""
from __future__ import annotations

import os
import re
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping
from urllib.parse import urlparse

from index.errors import DocbotError

TOKEN_ENV = "TELEGRAM_BOT_TOKEN"
NO_TOKEN = (f"no Telegram bot token: set {TOKEN_ENV} or pass --token-file FILE "
            "(create a bot and get its token from @BotFather, https://t.me/BotFather)")
DEFAULT_RATE_LIMIT = (20, 60.0)
_RATE_RE = re.compile(r"^\s*(\d+)\s*/\s*(\d+(?:\.\d+)?)\s*s?\s*$")
_SECRET_RE = re.compile(r"^[A-Za-z0-9_-]{1,256}$")  # what Telegram accepts as secret_token


class ConfigError(DocbotError):
    """A setting is missing or malformed; the message says which and how to fix it."""


@dataclass(frozen=True)
class Settings:
    token: str = field(repr=False)  # never printed: repr and logs leave it out
    token_file: Path | None = None
    api_base_url: str | None = None  # root of a self-hosted Bot API server, e.g. http://host:8081
    webhook_url: str | None = None  # public https URL; polling when None
    listen: str = "127.0.0.1"
    port: int = 8443
    secret_token: str | None = field(default=None, repr=False)
    allowed_chats: frozenset[int] | None = None  # None: everyone
    rate_limit: tuple[int, float] | None = DEFAULT_RATE_LIMIT  # (requests, seconds) per user
    flood_rate: float = 30.0  # messages per second for the whole bot (Telegram's limit)
    flood_retries: int = 3  # retries after Telegram's 429 retry_after
    network_retries: int = 3  # retries of a request that failed on the network (or 5xx)
    poll_timeout: float = 10.0  # long-polling timeout of getUpdates
    answers_per_chat: int = 50  # answers whose buttons still work, per chat
    max_chats: int = 10_000  # conversations kept in memory (least recently used go first)
    reload_seconds: float = 60.0  # how often to look for changed data (0: never)

    @classmethod
    def load(cls, env: Mapping[str, str] | None = None, *, token_file: Path | None = None,
             api_base_url: str | None = None, webhook_url: str | None = None,
             listen: str | None = None, port: int | None = None,
             secret_token: str | None = None, allowed_chats: str | None = None,
             rate_limit: str | None = None) -> "Settings":
        """Settings from env (default os.environ) and flags; raises ConfigError."""
        env = os.environ if env is None else env
        token = read_token(token_file) if token_file else env.get(TOKEN_ENV, "").strip()
        if not token:
            raise ConfigError(NO_TOKEN)
        base = api_base_url or env.get("DOCBOT_API_BASE_URL") or None
        if base is not None:
            _check_url(base, "--api-base-url")
        if webhook_url is not None:
            _check_url(webhook_url, "--webhook-url")
        secret = secret_token or env.get("DOCBOT_WEBHOOK_SECRET") or None
        if secret is not None and not _SECRET_RE.match(secret):
            raise ConfigError("the webhook secret token may hold only A-Z, a-z, 0-9, _ and -, "
                              "1 to 256 characters")
        if webhook_url and secret is None:
            secret = secrets.token_urlsafe(32)  # set with setWebhook at start-up, so any will do
        if port is not None and not 0 < port < 65536:
            raise ConfigError(f"--port must be from 1 to 65535, got {port}")
        chats = allowed_chats if allowed_chats is not None else env.get("DOCBOT_ALLOWED_CHATS", "")
        rate = rate_limit if rate_limit is not None else env.get("DOCBOT_RATE_LIMIT")
        flood_rate = _env_number(env, "DOCBOT_FLOOD_RATE", 30.0,
                                 "messages per second like 30 (0: no throttle)")
        reload_seconds = _env_number(env, "DOCBOT_RELOAD_SECONDS", 60.0,
                                     "seconds like 60 (0: never)")
        return cls(
            reload_seconds=reload_seconds,
            token=token, token_file=token_file, api_base_url=base, webhook_url=webhook_url,
            listen=listen or "127.0.0.1", port=port or 8443, secret_token=secret,
            allowed_chats=parse_chats(chats),
            rate_limit=parse_rate(rate) if rate is not None else DEFAULT_RATE_LIMIT,
            flood_rate=flood_rate,
        )

    @property
    def bot_api_url(self) -> str | None:
        """The base URL for PTB ('…/bot'; PTB appends the token), or None for Telegram's."""
        if not self.api_base_url:
            return None
        base = self.api_base_url.rstrip("/")
        if "{token}" in base or base.endswith("/bot"):
            return base
        return base + "/bot"

    @property
    def file_api_url(self) -> str | None:
        url = self.bot_api_url
        if url is None:
            return None
        return url[: -len("/bot")] + "/file/bot" if url.endswith("/bot") else url

    @property
    def webhook_path(self) -> str:
        """The path of the webhook URL, where the local server listens."""
        return urlparse(self.webhook_url or "").path.lstrip("/")


def _env_number(env: Mapping[str, str], name: str, default: float, expected: str) -> float:
    """A non-negative number from the environment; ConfigError saying what was expected."""
    text = env.get(name, "").strip()
    try:
        return max(0.0, float(text)) if text else default
    except ValueError:
        raise ConfigError(f"{name}: expected {expected}, got {text!r}") from None


def read_token(path: Path) -> str:
    try:
        token = Path(path).read_text(encoding="utf-8").strip()
    except OSError as e:
        raise ConfigError(f"cannot read the token file {path}: {e.strerror}") from None
    if not token:
        raise ConfigError(f"the token file {path} is empty; put the token from @BotFather in it")
    return token


def parse_chats(text: str | None) -> frozenset[int] | None:
    """'123, -100456' -> {123, -100456}; empty -> None (everyone may use the bot)."""
    if not text or not text.strip():
        return None
    out = set()
    for part in text.replace(";", ",").split(","):
        part = part.strip()
        if not part:
            continue
        try:
            out.add(int(part))
        except ValueError:
            raise ConfigError(f"DOCBOT_ALLOWED_CHATS: {part!r} is not a chat id; write "
                              "comma-separated numbers like 123456,-1001234567890") from None
    return frozenset(out) or None


def parse_rate(text: str) -> tuple[int, float] | None:
    """'20/60' -> (20, 60.0): 20 requests per 60 seconds; 'off' or '0' -> None."""
    if text.strip().lower() in ("", "0", "off", "none", "no"):
        return None
    m = _RATE_RE.match(text)
    if not m or int(m.group(1)) < 1 or float(m.group(2)) <= 0:
        raise ConfigError(f"DOCBOT_RATE_LIMIT: expected REQUESTS/SECONDS like 20/60 (or off), "
                          f"got {text!r}")
    return int(m.group(1)), float(m.group(2))


def _check_url(url: str, flag: str) -> None:
    u = urlparse(url)
    if u.scheme not in ("http", "https") or not u.netloc:
        raise ConfigError(f"{flag}: expected an http(s) URL like https://host:port/path, got {url!r}")
