"""The Telegram front end: `docbot telegram`.

build_application(answerer, settings) -> a python-telegram-bot Application with one handler per
intent. Each chat has its own Session (the REPL's conversation state) guarded by an asyncio.Lock;
answering runs in a worker thread, so one long answer does not hold up other chats. Buttons
carry short keys ("m:<key>", "s:<key>:<n>", "f:<key>", "t:<key>") into a bounded per-chat store
of recent answers; a key the store no longer has gets "this answer expired".
"""
from __future__ import annotations

import asyncio
import importlib.util
import logging
import secrets
import threading
import time
import weakref
from collections import Counter, OrderedDict, deque
from dataclasses import dataclass, field
from typing import Any, Callable, TypeVar

from telegram import (BotCommand, InlineKeyboardButton, InlineKeyboardMarkup, LinkPreviewOptions,
                      Message, MessageEntity, ReplyParameters, Update)
from telegram.constants import ChatAction, ChatType, ParseMode
from telegram.error import (BadRequest, ChatMigrated, Conflict, Forbidden, InvalidToken,
                            NetworkError, RetryAfter, TelegramError)
from telegram.ext import (AIORateLimiter, Application, ApplicationBuilder, ApplicationHandlerStop,
                          CallbackQueryHandler, CommandHandler, ContextTypes, MessageHandler,
                          TypeHandler, filters)

from index.corpus import Chunk
from index.errors import DocbotError

from index.answer import Answer, Answerer
from .commands import COMMANDS, Reply, handle, surroundings
from .config import ConfigError, Settings
from .session import Session, split_entities
from .render_html import HIDDEN_COMMANDS, esc, fact_details_messages, pack, reply_messages

log = logging.getLogger("docbot.telegram")
T = TypeVar("T")

EXPIRED = "This answer expired — please ask again."
REFUSED = "Sorry, this bot is private."
APOLOGY = "Sorry, something went wrong while answering that. Please try again."
SLOW_DOWN = "You are asking faster than I can answer — please wait {wait} s, then ask again."
NO_MORE = "No more passages for that question."
ALLOWED_UPDATES = ["message", "callback_query"]
SHARED_COMMANDS = tuple(n for n in COMMANDS if n not in ("help",) + HIDDEN_COMMANDS)
MENU = [("start", "what I know"), ("help", "the commands"), ("ask", "ask a question (in groups)")] + [
    (c.name, c.help) for c in COMMANDS.values() if c.name not in ("help",) + HIDDEN_COMMANDS]
OWN_COMMANDS = {name for name, _ in MENU} | set(COMMANDS)


def utf8_safe(text: str) -> str:
    """text with lone UTF-16 surrogates (a JSON update may carry "\\ud800", and the user's
    text is echoed) replaced by U+FFFD: UTF-8 cannot encode them, so no request could."""
    try:
        text.encode("utf-8")
        return text
    except UnicodeEncodeError:
        return text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")


def entity_texts(message: Message, types: list[str]) -> dict[MessageEntity, str]:
    """message.parse_entities(types), also for a text with lone surrogates (which a JSON update
    can carry, and which PTB's UTF-16 encoding refuses): U+FFFD stands in for each of them,
    one UTF-16 unit for one, so the entities' offsets still hold."""
    try:
        return message.parse_entities(types)
    except UnicodeEncodeError:
        text = utf8_safe(message.text or "").encode("utf-16-le")
        return {e: text[2 * e.offset : 2 * (e.offset + e.length)].decode("utf-16-le")
                for e in message.entities if e.type in types}


def stale_query(error: TelegramError) -> bool:
    """Whether Telegram refused to answer a button press because it came too late."""
    text = str(error).lower()
    return "query is too old" in text or "query id is invalid" in text


# -- state -------------------------------------------------------------------------------------


@dataclass
class AnswerRecord:
    """What the buttons under one answer need, kept on the server: the passages shown and the
    facts, not the answer itself (its highlights and scores are most of its size, and a chat
    keeps up to answers_per_chat of these)."""

    page: weakref.ref  # the first page, while the chat's session still holds it
    question: str  # as the user asked it
    searched: str | None  # the question as searched (with what it inherited)
    shown: int = 0  # passages shown so far
    chunks: dict[int, Chunk] = field(default_factory=dict)  # rank -> passage
    fact_ids: list[str] = field(default_factory=list)
    parties: list[str] = field(default_factory=list)

    @property
    def answer(self) -> Answer | None:
        """The first page, or None once the chat has moved on to another question."""
        return self.page()


@dataclass
class ChatState:
    """One chat's conversation: its Session, a lock around it and its recent answers."""

    session: Any  # bot.session.Session
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    answers: OrderedDict[str, AnswerRecord] = field(default_factory=OrderedDict)
    latest: str | None = None  # key of the session's current answer


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


class AddressedToMe(filters.MessageFilter):
    """Messages meant for the bot: all in a private chat; in a group its commands, messages
    that mention it and replies to its messages."""

    def filter(self, message: Message) -> bool:
        if message.chat.type == ChatType.PRIVATE:
            return True
        bot = message.get_bot()
        me = (bot.username or "").lower()
        replied = message.reply_to_message
        if replied and replied.from_user and replied.from_user.id == bot.id:
            return True
        types = [MessageEntity.MENTION, MessageEntity.TEXT_MENTION, MessageEntity.BOT_COMMAND]
        for entity, text in entity_texts(message, types).items():
            if entity.type == MessageEntity.MENTION and text[1:].lower() == me:
                return True
            if entity.type == MessageEntity.TEXT_MENTION and entity.user and entity.user.id == bot.id:
                return True
            if entity.type == MessageEntity.BOT_COMMAND and entity.offset == 0:
                name, _, at = text[1:].partition("@")
                return at.lower() == me if at else name.lower() in OWN_COMMANDS
        return False


# -- the bot -----------------------------------------------------------------------------------


class DocBot:
    """Per-chat sessions, recent answers and rate limits, and the handlers that use them."""

    def __init__(self, answerer: Answerer, settings: Settings) -> None:
        self.answerer = answerer
        self.settings = settings
        self._new_session = lambda: Session(answerer)
        self.chats: OrderedDict[int, ChatState] = OrderedDict()
        self.rate = RateLimit(*settings.rate_limit) if settings.rate_limit else None
        # The engine is shared by all chats; its stemmer must not run in two threads at once.
        self._engine = threading.Lock()
        self.addressed = AddressedToMe()
        self.warned: OrderedDict[tuple[str, int | None], None] = OrderedDict()  # warn_once()

    # -- plumbing --------------------------------------------------------------------------------
    def state(self, chat_id: int) -> ChatState:
        state = self.chats.pop(chat_id, None) or ChatState(self._new_session())
        self.chats[chat_id] = state
        while len(self.chats) > self.settings.max_chats:
            old_id, old = next(iter(self.chats.items()))
            if old.lock.locked():
                break
            del self.chats[old_id]
        return state

    def _locked(self, fn: Callable[..., T], *args: Any) -> T:
        with self._engine:
            return fn(*args)

    async def work(self, bot, chat_id: int, fn: Callable[..., T], *args: Any) -> T:
        """Run fn(*args) in a worker thread while the chat shows "typing…"."""
        done = asyncio.Event()
        typing = asyncio.create_task(self._typing(bot, chat_id, done))
        try:
            return await asyncio.to_thread(self._locked, fn, *args)
        finally:
            done.set()
            await typing  # let a chat action in flight land before the answer does

    async def _typing(self, bot, chat_id: int, done: asyncio.Event) -> None:
        while not done.is_set():
            try:
                await bot.send_chat_action(chat_id, ChatAction.TYPING)
            except TelegramError as e:
                log.debug("chat action failed: %s", e)
            try:
                await asyncio.wait_for(done.wait(), 4.5)  # the action shows for about 5 s
            except asyncio.TimeoutError:
                pass

    async def send(self, update: Update, context: ContextTypes.DEFAULT_TYPE, messages: list[str],
                   markup: InlineKeyboardMarkup | None = None) -> None:
        """Send HTML messages to the update's chat; buttons go under the last one. In a group
        the first one replies to the message that asked."""
        chat = update.effective_chat
        quote = None
        if chat.type != ChatType.PRIVATE and update.message is not None:
            quote = ReplyParameters(update.message.message_id, allow_sending_without_reply=True)
        for i, text in enumerate(messages):
            last = i == len(messages) - 1
            try:
                await context.bot.send_message(
                    chat.id, utf8_safe(text), parse_mode=ParseMode.HTML,
                    link_preview_options=LinkPreviewOptions(is_disabled=True),
                    reply_parameters=quote if i == 0 else None,
                    reply_markup=markup if last else None)
            except Forbidden as e:  # blocked by the user, or removed from the group
                self.forbidden(chat.id, e)
                return
            self.warned.pop(("forbidden", chat.id), None)  # writable (again): warn next time

    async def send_text(self, update: Update, context: ContextTypes.DEFAULT_TYPE, text: str) -> None:
        await self.send(update, context, pack([esc(text)]))

    async def ack(self, update: Update, text: str | None = None, alert: bool = False) -> None:
        """Answer a button press (stops the client's spinner, or shows text). A press answered
        too late (Telegram gives about 15 s; a restart or a long queue) only loses the spinner:
        say so once and go on with what the button asked for."""
        try:
            await update.callback_query.answer(text, show_alert=alert)
        except BadRequest as e:
            if not stale_query(e):
                raise
            chat = update.effective_chat
            self.warn_once("stale", chat.id if chat else None, "a button press in chat %s "
                           "was answered too late (%s); going on without it",
                           chat.id if chat else None, e)

    def forbidden(self, chat_id: int | None, error: TelegramError) -> None:
        """Telegram refuses to let the bot write to the chat (the user blocked the bot, or it
        was removed from the group): nothing to retry or apologise for there."""
        self.warn_once("forbidden", chat_id, "not writing to chat %s: %s", chat_id, error)

    def warn_once(self, kind: str, chat_id: int | None, message: str, *args: Any) -> None:
        """Log a warning the first time `kind` happens in a chat, at debug level after that."""
        key = (kind, chat_id)
        if key in self.warned:
            log.debug(message, *args)
            return
        self.warned[key] = None
        while len(self.warned) > self.settings.max_chats:
            self.warned.popitem(last=False)
        log.warning(message, *args)

    # -- answers and their buttons -------------------------------------------------------------------
    def run_line(self, session, line: str) -> tuple[Reply, list[str]]:
        """handle(session, line) and, for a new answer, the parties of its timeline. Runs in
        a worker thread under the engine lock."""
        reply = handle(session, line)
        new = reply.kind == "answer" and reply.answer is session.answer and reply.answer.answered
        return reply, self._parties(reply.answer) if new else []

    def remember(self, state: ChatState, reply: Reply, parties: list[str]) -> str | None:
        """Keep what the buttons under an answer need; the key to put in them (or None)."""
        if reply.kind != "answer" or reply.answer is None or not reply.answer.answered:
            return None
        answer, session = reply.answer, state.session
        if answer is session.answer:  # a new question
            key = secrets.token_urlsafe(6)
            record = AnswerRecord(weakref.ref(answer), answer.question, session.question,
                                  parties=parties)
            state.answers[key] = record
            state.latest = key
            while len(state.answers) > self.settings.answers_per_chat:
                state.answers.popitem(last=False)
        else:  # a further page of the current question (/more)
            key = state.latest
            record = state.answers.get(key) if key else None
            if record is None:
                return None
        self._add_page(record, answer)
        return key

    def _add_page(self, record: AnswerRecord, page: Answer) -> None:
        for p in page.passages:
            record.chunks[p.rank] = p.hit.chunk
            for fid in p.facts:
                if fid not in record.fact_ids:
                    record.fact_ids.append(fid)
        for m in page.facts:
            if m.fact.id not in record.fact_ids:
                record.fact_ids.append(m.fact.id)
        record.shown = max(record.shown, max((p.rank for p in page.passages), default=0))

    def _parties(self, answer: Answer) -> list[str]:
        """The parties an answer is about (for its timeline): named in the question, else
        those of its first fact; [] when they have no timeline of two facts or more."""
        known = {p for f in self.answerer.facts.facts for p in f.parties}
        entities, _ = split_entities(self.answerer.index.analyzer, answer.question or "")
        named = [e for e in entities if e in known]
        if not named and answer.facts:
            named = list(answer.facts[0].fact.parties)
        named = named[:2]
        if named and len(self.answerer.facts.timeline(named)) >= 2:
            return named
        return []

    def keyboard(self, key: str | None, record: AnswerRecord | None,
                 page: Answer | None) -> InlineKeyboardMarkup | None:
        """More / Facts / Timeline, and a Full text button per passage of the page."""
        if key is None or record is None or page is None:
            return None
        top = []
        if page.more:
            top.append(InlineKeyboardButton("More", callback_data=f"m:{key}"))
        if record.fact_ids and (page.facts or any(p.facts for p in page.passages)):
            top.append(InlineKeyboardButton("Facts", callback_data=f"f:{key}"))
        if record.parties and page is not None and page is record.answer:
            top.append(InlineKeyboardButton("Timeline", callback_data=f"t:{key}"))
        full = [InlineKeyboardButton(f"Full text {p.rank}", callback_data=f"s:{key}:{p.rank}")
                for p in page.passages]
        rows = ([top] if top else []) + [full[i : i + 3] for i in range(0, len(full), 3)]
        return InlineKeyboardMarkup(rows) if rows else None

    async def answer_line(self, update: Update, context: ContextTypes.DEFAULT_TYPE, line: str) -> None:
        """Run a line through the shared command layer and send the reply with its buttons."""
        chat_id = update.effective_chat.id
        state = self.state(chat_id)
        async with state.lock:
            reply, parties = await self.work(context.bot, chat_id, self.run_line, state.session, line)
            key = self.remember(state, reply, parties)
            record = state.answers.get(key) if key else None
            markup = self.keyboard(key, record, reply.answer)
            await self.send(update, context, reply_messages(reply), markup)

    def lookup(self, update: Update, data: str) -> tuple[ChatState, AnswerRecord, str, list[str]] | None:
        """The chat's answer a button points at, or None when it is gone (or never was)."""
        chat = update.effective_chat
        parts = data.split(":")
        if chat is None or len(parts) < 2:
            return None
        state = self.chats.get(chat.id)
        record = state.answers.get(parts[1]) if state else None
        if record is None:
            return None
        state.answers.move_to_end(parts[1])
        return state, record, parts[1], parts[2:]

    # -- handlers --------------------------------------------------------------------------------
    async def gate(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Let through only updates for the bot from allowed chats and users within their rate."""
        query, message = update.callback_query, update.message
        if query is None and (message is None or message.from_user is None
                              or not self.addressed.check_update(update)):
            raise ApplicationHandlerStop  # not for us: stay quiet
        if message is not None and message.text is None and message.chat.type != ChatType.PRIVATE:
            raise ApplicationHandlerStop
        chat = update.effective_chat
        allowed = self.settings.allowed_chats
        if allowed is not None and (chat is None or chat.id not in allowed):
            log.info("refused chat %s", chat.id if chat else None)
            if query is not None:
                await self.ack(update, REFUSED, alert=True)
            else:
                await self.send_text(update, context, REFUSED)
            raise ApplicationHandlerStop
        user = update.effective_user
        if self.rate is not None and user is not None:
            wait = self.rate.check(user.id)
            if wait > 0:
                text = SLOW_DOWN.format(wait=max(1, round(wait)))
                if query is not None:
                    await self.ack(update, text, alert=True)
                elif self.rate.should_warn(user.id):
                    await self.send_text(update, context, text)
                raise ApplicationHandlerStop

    async def start(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Greet the user and say what the bot knows."""
        state = self.state(update.effective_chat.id)
        async with state.lock:
            docs = await asyncio.to_thread(self._locked, handle, state.session, "/docs")
        facts = self.answerer.facts.facts
        name = update.effective_user.first_name if update.effective_user else ""
        head = (f"Hello{', ' + esc(name) if name else ''}! I answer questions about "
                f"{len(docs.docs)} document{'s' if len(docs.docs) != 1 else ''} with the passages "
                f"that answer them, cited")
        head += f", and {len(facts)} dated facts about relations between states:" if facts else ":"
        how = "Just ask"
        if update.effective_chat.type != ChatType.PRIVATE:
            how = "In this group, ask with /ask QUESTION, by mentioning me or by replying to me"
        example = self._example()
        tail = how + (f", for example: <i>{esc(example)}</i>" if example else ".")
        tail += "\n/help lists the commands."
        await self.send(update, context, pack([head, *reply_messages(docs), tail]))

    def _example(self) -> str | None:
        """A question the fact table answers, about the two parties it says most about."""
        pairs = Counter(frozenset(f.parties) for f in self.answerer.facts.facts if len(f.parties) == 2)
        if not pairs:
            return None
        pair = pairs.most_common(1)[0][0]
        facts = [f for f in self.answerer.facts.facts if frozenset(f.parties) == pair]
        f = next((f for f in facts if f.relation == "diplomatic_relations"), facts[0])
        if f.relation == "diplomatic_relations":
            return f"When did {f.parties[0]} and {f.parties[1]} establish diplomatic relations?"
        return f"What happened between {f.parties[0]} and {f.parties[1]} in {f.year}?"

    async def help(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """List the commands."""
        await self.answer_line(update, context, "/help")

    async def ask(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Answer /ask QUESTION."""
        question = (update.message.text or "").partition(" ")[2].strip()
        if not question:
            await self.send_text(update, context, "Usage: /ask QUESTION, e.g. /ask "
                                 + (self._example() or "What is this about?"))
            return
        await self.answer_line(update, context, question.lstrip("/"))

    async def question(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Answer a question: any text in a private chat, or text addressed to the bot in a group."""
        message = update.message
        text = message.text or ""
        if message.chat.type != ChatType.PRIVATE:  # drop the @mention of the bot
            me = "@" + (context.bot.username or "").lower()
            for value in set(entity_texts(message, [MessageEntity.MENTION]).values()):
                if value.lower() == me:
                    text = text.replace(value, " ")
        await self.answer_line(update, context, text.strip())

    async def command(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Run a command shared with the terminal chat (/more /source /facts /timeline /docs /k)."""
        await self.answer_line(update, context, update.message.text or "")

    async def unknown_command(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Say that a command is unknown and point to /help."""
        text = update.message.text or "/"
        name = (text[1:].split(maxsplit=1) or [""])[0].split("@")[0]
        if name.lower() in HIDDEN_COMMANDS:
            await self.send_text(update, context, f"/{name} is for the terminal chat; here just "
                                 "stop writing. Type /help for the commands.")
            return
        await self.answer_line(update, context, update.message.text or "/")

    async def not_text(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Ask for a question in words when a private chat sends something else."""
        await self.send_text(update, context, "Please send your question as text.")

    async def more_button(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Show the next passages of the answer the button is under."""
        query = update.callback_query
        found = self.lookup(update, query.data or "")
        if found is None:
            await self.expired(update, context)
            return
        state, record, key, _ = found
        await self.ack(update)
        async with state.lock:
            current = record.answer
            if key == state.latest and current is not None and state.session.answer is current:
                reply = await self.work(context.bot, query.message.chat.id, handle, state.session, "/more")
            else:
                reply = await self.work(context.bot, query.message.chat.id, self._page, record,
                                        state.session.k)
            if reply.kind == "answer":
                self._add_page(record, reply.answer)
            markup = self.keyboard(key, record, reply.answer)
            await self.send(update, context, reply_messages(reply), markup)

    def _page(self, record: AnswerRecord, k: int) -> Reply:
        """The next page of an earlier answer (not the chat's current one)."""
        page = self.answerer.ask(record.searched or record.question, k=k,
                                 offset=record.shown).with_(question=record.question, facts=())
        if not page.passages:
            return Reply("info", text=NO_MORE)
        return Reply("answer", answer=page)

    async def full_text_button(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Show a passage in full with the passages around it."""
        query = update.callback_query
        found = self.lookup(update, query.data or "")
        rank = found[3][0] if found and found[3] else ""
        chunk = found[1].chunks.get(int(rank)) if rank.isdigit() else None
        if found is None or chunk is None:
            await self.expired(update, context)
            return
        await self.ack(update)
        state = found[0]
        async with state.lock:
            around = await asyncio.to_thread(self._locked, surroundings, self.answerer, chunk)
            reply = Reply("source", chunks=around, focus=chunk.id, title=chunk.citation)
            await self.send(update, context, reply_messages(reply))

    async def facts_button(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Show the facts behind an answer, with the quotes they rest on."""
        query = update.callback_query
        found = self.lookup(update, query.data or "")
        if found is None:
            await self.expired(update, context)
            return
        await self.ack(update)
        state, record = found[0], found[1]
        by_id = {f.id: f for f in self.answerer.facts.facts}
        facts = sorted((by_id[i] for i in record.fact_ids if i in by_id), key=lambda f: (f.date, f.id))
        index = self.answerer.index
        citations = {f.passage: index.chunks[index.by_id[f.passage]].citation
                     for f in facts if f.passage in index.by_id}
        async with state.lock:
            await self.send(update, context, fact_details_messages(facts, citations))

    async def timeline_button(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Show the timeline of the parties an answer is about."""
        query = update.callback_query
        found = self.lookup(update, query.data or "")
        if found is None or not found[1].parties:
            await self.expired(update, context)
            return
        await self.ack(update)
        state, record = found[0], found[1]
        async with state.lock:
            reply = await self.work(context.bot, query.message.chat.id, handle, state.session,
                                    "/timeline " + " ".join(record.parties))
            await self.send(update, context, reply_messages(reply))

    async def expired(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Tell the user a button's answer is gone (after a restart or long ago)."""
        await self.ack(update, EXPIRED, alert=True)

    async def error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Log the error with its traceback and apologise briefly. What Telegram says about a
        chat (the bot is blocked there, a button press came too late) is one warning line."""
        error = context.error
        if update is None and isinstance(error, NetworkError):  # polling; PTB retries
            log.warning("fetching updates failed (%s); retrying", error)
            return
        chat = update.effective_chat if isinstance(update, Update) else None
        if isinstance(error, Forbidden):
            self.forbidden(chat.id if chat else None, error)
            return
        if isinstance(error, BadRequest) and stale_query(error):
            self.warn_once("stale", chat.id if chat else None, "a button press in chat %s was "
                           "answered too late: %s", chat.id if chat else None, error)
            return
        update_id = update.update_id if isinstance(update, Update) else None
        log.error("error while handling update %s", update_id, exc_info=error)
        if not isinstance(update, Update):
            return
        try:
            if update.callback_query is not None:
                try:
                    await update.callback_query.answer(APOLOGY)
                except BadRequest:  # already answered
                    pass
            if update.effective_chat is not None:
                await context.bot.send_message(update.effective_chat.id, APOLOGY)
        except TelegramError as e:
            log.warning("could not apologise in chat: %s", e)

    async def post_init(self, app: Application) -> None:
        """Set the command menu, say who the bot is and start watching the data folder."""
        if self.settings.reload_seconds > 0:
            # a plain task: it lives as long as the application's event loop
            self._watch = asyncio.get_running_loop().create_task(
                self.watch_data(self.settings.reload_seconds))
        await app.bot.set_my_commands([BotCommand(name, text[:256]) for name, text in MENU])
        log.info("docbot is online as @%s: %d documents, %d passages, %d facts", app.bot.username,
                 len(self.answerer.index.documents), len(self.answerer.index.chunks),
                 len(self.answerer.facts.facts))


    async def post_stop(self, app: Application) -> None:
        """Stop watching the data folder."""
        watch = getattr(self, "_watch", None)
        if watch is not None:
            watch.cancel()

    async def watch_data(self, every: float) -> None:
        """Serve changed documents or facts once they index cleanly; while they do not, keep
        serving the last good index."""
        failed = None
        while True:
            await asyncio.sleep(every)
            try:
                new = await asyncio.to_thread(self.answerer.refreshed,
                                              lambda m: log.info("reload: %s", m))
            except DocbotError as e:
                if str(e) != failed:  # say it once, not every period
                    log.warning("reload failed, still serving the previous index: %s", e)
                    failed = str(e)
                continue
            except Exception:
                log.exception("reload failed, still serving the previous index")
                continue
            failed = None
            if new is not None:
                with self._engine:
                    self.answerer = new
                    self._new_session = lambda: Session(new)
                    for state in self.chats.values():
                        state.session.answerer = new
                log.info("reloaded: %d documents, %d passages, %d facts",
                         len(new.index.documents), len(new.index.chunks), len(new.facts.facts))


def build_application(answerer: Answerer, settings: Settings,
                      read_timeout: float = 15.0) -> Application:
    """The bot, ready to run (run() here, or app.run_polling()). read_timeout: seconds to wait
    for the Bot API's answer to a request before retrying it."""
    mask_in_logs(settings.token, settings.secret_token)  # whoever sets up the logging
    docbot = DocBot(answerer, settings)
    builder: ApplicationBuilder = (
        Application.builder()
        .token(settings.token)
        .concurrent_updates(True)
        .rate_limiter(RetryingRateLimiter(
            network_retries=settings.network_retries, overall_max_rate=settings.flood_rate,
            max_retries=settings.flood_retries))
        .connect_timeout(10).read_timeout(read_timeout).write_timeout(15).pool_timeout(10)
        .get_updates_read_timeout(10)  # PTB adds the long-polling timeout to it
        .post_init(docbot.post_init)
        .post_stop(docbot.post_stop)
    )
    if settings.bot_api_url:
        builder = builder.base_url(settings.bot_api_url).base_file_url(settings.file_api_url)
    app = builder.build()
    app.bot_data["docbot"] = docbot
    app.add_handler(TypeHandler(Update, docbot.gate), group=-1)
    private = filters.ChatType.PRIVATE
    app.add_handlers([
        CommandHandler("start", docbot.start),
        CommandHandler("help", docbot.help),
        CommandHandler("ask", docbot.ask),
        CommandHandler(list(SHARED_COMMANDS), docbot.command),
        MessageHandler(filters.COMMAND, docbot.unknown_command),
        MessageHandler(filters.TEXT & ~filters.COMMAND & docbot.addressed, docbot.question),
        MessageHandler(private & ~filters.TEXT, docbot.not_text),
        CallbackQueryHandler(docbot.more_button, pattern=r"^m:"),
        CallbackQueryHandler(docbot.full_text_button, pattern=r"^s:"),
        CallbackQueryHandler(docbot.facts_button, pattern=r"^f:"),
        CallbackQueryHandler(docbot.timeline_button, pattern=r"^t:"),
        CallbackQueryHandler(docbot.expired),
    ])
    app.add_error_handler(docbot.error)
    return app


# -- running -------------------------------------------------------------------------------------


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


def run(app: Application, settings: Settings, stop_signals: Any = ...) -> None:
    """Serve until SIGINT/SIGTERM (or app.stop_running()): long polling, or a webhook when
    settings.webhook_url is set. Shuts down cleanly."""
    kwargs: dict[str, Any] = {"allowed_updates": ALLOWED_UPDATES, "bootstrap_retries": 3,
                              "close_loop": False}
    if stop_signals is not ...:
        kwargs["stop_signals"] = stop_signals
    if settings.webhook_url:
        if importlib.util.find_spec("tornado") is None:
            raise ConfigError('webhook mode needs the webhooks extra: pip install '
                              '"python-telegram-bot[webhooks]" (or leave out --webhook-url to poll)')
        app.run_webhook(listen=settings.listen, port=settings.port, url_path=settings.webhook_path,
                        webhook_url=settings.webhook_url, secret_token=settings.secret_token,
                        **kwargs)
    else:
        app.run_polling(timeout=settings.poll_timeout, **kwargs)


def main(answerer: Answerer, settings: Settings, verbose: bool = False) -> int:
    """`docbot telegram`: log to stderr without the token, run, and turn start-up failures into
    one-line errors."""
    logging.basicConfig(format="%(asctime)s %(levelname)s %(name)s: %(message)s",
                        level=logging.DEBUG if verbose else logging.INFO)
    mask = protect_token(settings.token)
    if not verbose:
        logging.getLogger("telegram").setLevel(logging.INFO)
    app = build_application(answerer, settings)
    try:
        run(app, settings)
    except InvalidToken:
        raise ConfigError("Telegram rejected the bot token; check TELEGRAM_BOT_TOKEN or "
                          "--token-file (get a token from @BotFather)") from None
    except Conflict:
        raise DocbotError("another process is already polling with this bot token; stop it "
                          "first (two pollers get 409 Conflict)") from None
    except TelegramError as e:
        raise DocbotError(mask.mask(f"cannot reach the Bot API: {e}")) from None
    finally:
        _close_loop()
    return 0


def _close_loop() -> None:
    try:
        loop = asyncio.get_event_loop_policy().get_event_loop()
    except RuntimeError:
        return
    if not loop.is_closed() and not loop.is_running():
        loop.close()
