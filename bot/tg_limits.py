"""Limits: questions per user (RateLimit), and the Bot API's own (429 retry_after, retried
network failures: RetryingRateLimiter)."""
from __future__ import annotations

import asyncio
import logging
import time
from collections import OrderedDict, deque
from typing import Any

from telegram.error import (BadRequest, ChatMigrated, Conflict, Forbidden, InvalidToken,
                            NetworkError, RetryAfter)
from telegram.ext import AIORateLimiter

log = logging.getLogger("docbot.telegram")


class RateLimit:
    """At most `count` requests per `period` seconds per user (sliding window)."""

    def __init__(self, count: int, period: float, max_users: int = 10_000) -> None:
        self.count, self.period, self.max_users = count, period, max_users
        self.users: OrderedDict[int, deque] = OrderedDict()
        self.warned: dict[int, float] = {}

    def check(self, user_id: int, now: float | None = None) -> float:
        """0 when the user may go on (and counts the request), else seconds to wait."""
        now = time.monotonic() if now is None else now
        times = self.users.pop(user_id, None) or deque()
        self.users[user_id] = times
        while times and times[0] <= now - self.period:
            times.popleft()
        if len(self.users) > self.max_users:
            self.users.popitem(last=False)
        if len(times) >= self.count:
            return times[0] + self.period - now
        times.append(now)
        self.warned.pop(user_id, None)
        return 0.0

    def should_warn(self, user_id: int, now: float | None = None) -> bool:
        """Whether to tell a flooding user to wait (once per window, not on every message)."""
        now = time.monotonic() if now is None else now
        if now - self.warned.get(user_id, -1e9) < self.period:
            return False
        self.warned[user_id] = now
        if len(self.warned) > self.max_users:
            self.warned.pop(next(iter(self.warned)))
        return True


class RetryingRateLimiter(AIORateLimiter):
    """PTB's AIORateLimiter (Telegram's flood limits and 429 retry_after) that also retries
    requests that failed on the network or with a 5xx, with a short backoff. Chat actions are
    not messages: they skip the message throttle but still wait out a 429."""

    def __init__(self, network_retries: int = 3, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.network_retries = network_retries

    async def process_request(self, callback, args, kwargs, endpoint, data, rate_limit_args):
        for attempt in range(self.network_retries + 1):
            try:
                if endpoint == "sendChatAction":
                    await self._retry_after_event.wait()
                    return await callback(*args, **kwargs)
                return await super().process_request(callback, args, kwargs, endpoint, data,
                                                     rate_limit_args)
            except (BadRequest, Forbidden, InvalidToken, Conflict, ChatMigrated, RetryAfter):
                raise
            except NetworkError as e:
                if attempt == self.network_retries:
                    raise
                delay = 0.5 * 2 ** attempt
                log.warning("Bot API %s failed (%s); retrying in %.1f s", endpoint, e, delay)
                await asyncio.sleep(delay)
        raise AssertionError("unreachable")
