"""The Telegram front end: `docbot telegram`.

build_application(answerer, settings) -> a python-telegram-bot Application with one handler per
intent; the handlers here are thin: the conversation is bot.session, the words bot.commands,
the messages bot.render_html, and the rest is in small modules (bot.tg_store: sessions per
user and the button store; bot.tg_limits: rate limits and Bot API retries; bot.tg_logmask: the
token kept out of logs; bot.tg_text: what a message says and deep links).

An answer is one message: its answer line, the passages as expandable quotes, buttons under
it. More / Prev edit that message in place; Full text, Page (a PDF passage seen on its page,
as a photo), Facts and Timeline reply to it. Each
chat has a lock; each user in it has their own Session, so follow-ups in a group read only
the same user's last question. Answering runs in a worker thread.
"""
from __future__ import annotations

import asyncio
import dataclasses
import importlib.util
import logging
import threading
import time
import weakref
from collections import Counter, OrderedDict
from typing import Any, Callable, TypeVar

from telegram import (BotCommand, BotCommandScopeAllGroupChats, BotCommandScopeAllPrivateChats,
                      BotCommandScopeDefault, InlineKeyboardButton, InlineKeyboardMarkup,
                      InlineQueryResultArticle, InputFile, InputTextMessageContent, LinkPreviewOptions,
                      Message, MessageEntity, ReplyParameters, Update)
from telegram.constants import ChatAction, ChatType, ParseMode
from telegram.error import BadRequest, Conflict, Forbidden, InvalidToken, NetworkError, TelegramError
from telegram.ext import (Application, ApplicationBuilder, ApplicationHandlerStop,
                          CallbackQueryHandler, CommandHandler, ContextTypes, InlineQueryHandler,
                          MessageHandler, TypeHandler, filters)

from index.answering.answer import Answer, Answerer
from index.search.engine import default_index_dir
from index.errors import DocbotError
from index.reading.corpus import Chunk
from .commands import COMMANDS, Reply, handle, page_reply
from .config import ConfigError, Settings
from .merger import BackgroundMerge, merge_due, segment_count
from .render import answer_line as plain_answer_line, cut, short_citation
from .render_html import (HIDDEN_COMMANDS, answer_head, answer_page, esc, fact_details_messages,
                          help_html, pack, page_caption, passage_html, reply_messages,
                          source_messages)
from .session import Session, split_entities
from .tg_limits import RateLimit, RetryingRateLimiter
from .tg_logmask import MaskToken, mask_in_logs, protect_token
from .tg_store import AnswerRecord, ChatState
from .tg_text import (AddressedToMe, deep_link_payload, deep_link_question, entity_texts,
                      stale_query, utf8_safe)

__all__ = ["APOLOGY", "EXPIRED", "REFUSED", "DocBot", "MaskToken", "RateLimit",
           "RetryingRateLimiter", "build_application", "mask_in_logs", "protect_token", "run",
           "main"]

log = logging.getLogger("docbot.telegram")
T = TypeVar("T")

EXPIRED = "This answer expired — please ask again."
REFUSED = "Sorry, this bot is private."
APOLOGY = "Sorry, something went wrong while answering that. Please try again."
SLOW_DOWN = "You are asking faster than I can answer — please wait {wait} s, then ask again."
NO_MORE = "No more passages for that question."
ALLOWED_UPDATES = ["message", "edited_message", "callback_query", "inline_query"]
SHARED_COMMANDS = tuple(n for n in COMMANDS if n not in ("help",) + HIDDEN_COMMANDS)
_SHARED_MENU = [(c.name, c.help) for c in COMMANDS.values()
                if c.name not in ("help",) + HIDDEN_COMMANDS]
PRIVATE_MENU = [("start", "what I know, with example questions"), ("help", "the commands")] + _SHARED_MENU
GROUP_MENU = [("ask", "ask a question"), ("help", "the commands"),
              ("start", "what I know")] + [(n, h) for n, h in _SHARED_MENU if n != "k"]
OWN_COMMANDS = {name for name, _ in PRIVATE_MENU + GROUP_MENU} | set(COMMANDS)
EXAMPLES = 3  # example questions under /start


def thread_of(message: Message | None) -> int | None:
    """The forum topic a message is in (replies must name it, or they land in General)."""
    if message is None or not message.is_topic_message:
        return None
    return message.message_thread_id


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
        self.addressed = AddressedToMe(OWN_COMMANDS)
        self.warned: OrderedDict[tuple[str, int | None], None] = OrderedDict()  # warn_once()
        self.reads_all = False  # getMe().can_read_all_group_messages, set at start
        self.examples: list[str] = []
        self._unmerged: Answerer | None = None  # its merge failed: not tried again on it

    # -- plumbing --------------------------------------------------------------------------------
    def state(self, chat_id: int) -> ChatState:
        state = self.chats.pop(chat_id, None) or ChatState(
            lambda: self._new_session(), max_answers=self.settings.answers_per_chat)
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

    async def send(self, bot, chat_id: int, messages: list[str],
                   markup: InlineKeyboardMarkup | None = None, reply_to: int | None = None,
                   thread: int | None = None) -> Message | None:
        """Send HTML messages to a chat (in a forum topic: in it); the first replies to
        reply_to, buttons go under the last. Returns the first message sent."""
        first = None
        for i, text in enumerate(messages):
            last = i == len(messages) - 1
            quote = ReplyParameters(reply_to, allow_sending_without_reply=True) \
                if reply_to is not None and i == 0 else None
            try:
                sent = await bot.send_message(
                    chat_id, utf8_safe(text), parse_mode=ParseMode.HTML,
                    link_preview_options=LinkPreviewOptions(is_disabled=True),
                    reply_parameters=quote, message_thread_id=thread,
                    reply_markup=markup if last else None)
            except Forbidden as e:  # blocked by the user, or removed from the group
                self.forbidden(chat_id, e)
                return first
            first = first or sent
            self.warned.pop(("forbidden", chat_id), None)  # writable (again): warn next time
        return first

    async def send_page(self, bot, chat_id: int, reply: Reply, reply_to: int | None = None,
                        thread: int | None = None) -> Message | None:
        """Send a /page reply: the passage's page as a photo captioned with its citation; any
        other reply (why there is no page) as text."""
        if reply.kind != "page" or reply.image is None:
            return await self.send(bot, chat_id, reply_messages(reply), None, reply_to, thread)
        quote = ReplyParameters(reply_to, allow_sending_without_reply=True) \
            if reply_to is not None else None
        try:
            return await bot.send_photo(
                chat_id, InputFile(reply.image.png, filename=f"page-{reply.image.page}.png"),
                caption=utf8_safe(page_caption(reply)), parse_mode=ParseMode.HTML,
                reply_parameters=quote, message_thread_id=thread)
        except Forbidden as e:
            self.forbidden(chat_id, e)
            return None

    async def reply(self, update: Update, context: ContextTypes.DEFAULT_TYPE, messages: list[str],
                    markup: InlineKeyboardMarkup | None = None) -> Message | None:
        """Answer the update's message: in a group the first message replies to it."""
        chat, message = update.effective_chat, update.effective_message
        quote = message.message_id if message is not None and chat.type != ChatType.PRIVATE \
            and update.callback_query is None else None
        return await self.send(context.bot, chat.id, messages, markup, quote, thread_of(message))

    async def send_text(self, update: Update, context: ContextTypes.DEFAULT_TYPE, text: str) -> None:
        await self.reply(update, context, pack([esc(text)]))

    async def edit(self, bot, chat_id: int, message_id: int, text: str,
                   markup: InlineKeyboardMarkup | None) -> None:
        """Show text (and buttons) in a message the bot sent: a page turned in place."""
        try:
            await bot.edit_message_text(utf8_safe(text), chat_id=chat_id,
                                        message_id=message_id, parse_mode=ParseMode.HTML,
                                        link_preview_options=LinkPreviewOptions(is_disabled=True),
                                        reply_markup=markup)
        except BadRequest as e:
            if "not modified" not in str(e).lower():  # pressed twice: already showing it
                raise

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
    def run_line(self, session: Session, line: str) -> tuple[Reply, list[str], int]:
        """handle(session, line) and, for a new answer, the parties of its timeline and how
        many passages answer it. Runs in a worker thread under the engine lock."""
        reply = handle(session, line)
        new = reply.kind == "answer" and reply.answer is session.answer and reply.answer.answered
        if not new:
            return reply, [], 0
        return reply, self._parties(reply.answer), session.total(reply.answer)

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
        """Prev / More / Facts / Timeline, and a Full text button per passage of the page,
        and a Page button per passage from a PDF."""
        if key is None or record is None or page is None or not page.passages:
            return None
        top = []
        first = page.passages[0].rank - 1
        if first > 0:
            top.append(InlineKeyboardButton("‹ Prev", callback_data=f"g:{key}:{max(0, first - record.k)}"))
        if first + record.k < record.total or (page.more and first + len(page.passages) < record.total):
            top.append(InlineKeyboardButton("More ›", callback_data=f"g:{key}:{first + record.k}"))
        if record.fact_ids:
            top.append(InlineKeyboardButton("Facts", callback_data=f"f:{key}"))
        if record.parties:
            top.append(InlineKeyboardButton("Timeline", callback_data=f"t:{key}"))
        full = [InlineKeyboardButton(f"Full text {p.rank}", callback_data=f"s:{key}:{p.rank}")
                for p in page.passages]
        seen = [InlineKeyboardButton(f"Page {p.rank}", callback_data=f"p:{key}:{p.rank}")
                for p in page.passages if p.hit.chunk.boxes]
        rows = ([top] if top else []) + [full[i : i + 3] for i in range(0, len(full), 3)] \
            + [seen[i : i + 3] for i in range(0, len(seen), 3)]
        return InlineKeyboardMarkup(rows)

    def _record(self, state: ChatState, user: int, session: Session, reply: Reply,
                parties: list[str], total: int, question_message: int | None,
                thread: int | None) -> tuple[str | None, AnswerRecord | None, str]:
        """(key, record, HTML) of a reply: a new answer gets a record in the button store;
        a typed /more continues the user's last answer; anything else has no buttons."""
        answer = reply.answer
        if reply.kind != "answer" or answer is None or not answer.answered:
            return None, None, "\n\n".join(reply_messages(reply))
        if answer is session.answer:  # a new question
            record = AnswerRecord(weakref.ref(answer), answer.question, session.question or "",
                                  user, answer_head(answer), total, session.k, parties=parties,
                                  thread_id=thread)
            record.add_page(answer)
            key = state.add(record, question_message)
            state.latest[user] = key
            return key, record, answer_page(answer, total=record.total)
        # a further page of the user's last question (/more)
        last = state.get(state.latest.get(user, ""))
        if last is None:
            return None, None, answer_page(answer)
        record = dataclasses.replace(last, offset=answer.passages[0].rank - 1, message_id=None,
                                     chunks=dict(last.chunks), fact_ids=list(last.fact_ids))
        record.add_page(answer)
        key = state.add(record, None)
        return key, record, answer_page(answer, head=record.head, total=record.total)

    async def answer_text(self, update: Update, context: ContextTypes.DEFAULT_TYPE,
                          line: str) -> None:
        """Run a line through the shared command layer (in this user's session) and send the
        reply with its buttons."""
        chat, message = update.effective_chat, update.effective_message
        user = update.effective_user.id if update.effective_user else chat.id
        state = self.state(chat.id)
        async with state.lock:
            session = state.session(user)
            reply, parties, total = await self.work(context.bot, chat.id, self.run_line,
                                                    session, line)
            key, record, html = self._record(state, user, session, reply, parties, total,
                                             message.message_id if message else None,
                                             thread_of(message))
            if reply.kind == "page":  # a typed /page N
                await self.send_page(context.bot, chat.id, reply, message.message_id if message
                                     and chat.type != ChatType.PRIVATE else None, thread_of(message))
                return
            page = reply.answer if record is not None else None
            messages = [html] if record is not None else reply_messages(reply)
            sent = await self.reply(update, context, messages, self.keyboard(key, record, page))
            if record is not None and sent is not None:
                record.message_id = sent.message_id

    def lookup(self, update: Update, data: str) -> tuple[ChatState, AnswerRecord, str, list[str]] | None:
        """The chat's answer a button points at, or None when it is gone (or never was)."""
        chat = update.effective_chat
        parts = data.split(":")
        if chat is None or len(parts) < 2:
            return None
        state = self.chats.get(chat.id)
        record = state.get(parts[1]) if state else None
        if record is None:
            return None
        return state, record, parts[1], parts[2:]

    def _page(self, record: AnswerRecord, offset: int) -> Answer:
        """Passages offset+1… of an answer: the session's pager, with the answer's page size."""
        return Session(self.answerer, k=record.k).page(record.searched, record.question, offset)

    # -- handlers --------------------------------------------------------------------------------
    async def gate(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Let through only updates for the bot from allowed chats and users within their rate."""
        query, message, inline = update.callback_query, update.effective_message, update.inline_query
        if inline is not None:
            allowed = self.settings.allowed_chats
            if allowed is not None and inline.from_user.id not in allowed:
                await inline.answer([], cache_time=0, is_personal=True)
                raise ApplicationHandlerStop
            if self.rate is not None and self.rate.check(inline.from_user.id) > 0:
                raise ApplicationHandlerStop
            return
        if query is None and (message is None or message.from_user is None
                              or not self.addressed.check_update(update)):
            raise ApplicationHandlerStop  # not for us: stay quiet
        if query is None and message.text is None and message.chat.type != ChatType.PRIVATE:
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

    def group_hint(self) -> str:
        """How to address the bot in a group, as Telegram lets it see messages there."""
        me = self.username
        if self.reads_all:
            return (f"In this group, ask by mentioning me (@{me} QUESTION), by replying to one "
                    f"of my messages, or with /ask QUESTION")
        return ("In this group, ask with /ask QUESTION or by replying to one of my messages "
                "(Telegram's privacy mode keeps other messages, @mentions too, from me)")

    @property
    def username(self) -> str:
        return self._username if hasattr(self, "_username") else ""

    async def start(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Greet the user, say what the bot knows and offer example questions as buttons; a
        deep link (/start q_…) asks its question instead."""
        payload = context.args[0] if context.args else ""
        question = deep_link_question(payload) if payload else None
        if question:
            await self.answer_text(update, context, question)
            return
        state = self.state(update.effective_chat.id)
        async with state.lock:
            docs = await asyncio.to_thread(self._locked, handle, state.session(0), "/docs")
        facts = self.answerer.facts.facts
        name = update.effective_user.first_name if update.effective_user else ""
        head = (f"Hello{', ' + esc(name) if name else ''}! I answer questions about "
                f"{len(docs.docs)} document{'s' if len(docs.docs) != 1 else ''} with the passages "
                f"that answer them, cited")
        head += f", and {len(facts):,} dated facts about relations between states:" if facts else ":"
        how = "Just ask"
        if update.effective_chat.type != ChatType.PRIVATE:
            how = self.group_hint()
        tail = how + (", or tap an example below." if self.examples else ".")
        tail += "\n/help lists the commands."
        buttons = [[InlineKeyboardButton(q, callback_data=f"x:{i}")]
                   for i, q in enumerate(self.examples)]
        await self.reply(update, context, pack([head, *reply_messages(docs), tail]),
                         InlineKeyboardMarkup(buttons) if buttons else None)

    def make_examples(self) -> list[str]:
        """Up to EXAMPLES questions the fact table answers: one per relation, about the pairs
        of parties it says most about."""
        facts = self.answerer.facts.facts
        pairs = Counter(frozenset(f.parties) for f in facts if len(f.parties) == 2)
        templates = {
            "diplomatic_relations": "When did {a} and {b} establish diplomatic relations?",
            "treaty": "When did {a} and {b} sign a treaty?",
            "trade": "How much was trade between {a} and {b} in {year}?",
            "aid": "How much aid did {a} send to {b}?",
            "visit": "Who visited {b} from {a} in {year}?",
            "ambassador": "Who was ambassador of {a} in {b} in {year}?",
        }
        out: list[str] = []
        for pair, _ in pairs.most_common():
            for f in facts:
                if frozenset(f.parties) != pair or f.relation not in templates:
                    continue
                if any(q.startswith(templates[f.relation].split("{")[0]) for q in out):
                    continue  # one question per kind
                a, b = f.parties
                out.append(templates[f.relation].format(a=a, b=b, year=f.year))
                if len(out) == EXAMPLES:
                    return out
        return out

    async def example_button(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Ask the example question a /start button shows."""
        data = (update.callback_query.data or "").split(":")
        n = int(data[1]) if len(data) == 2 and data[1].isdigit() else -1
        if not 0 <= n < len(self.examples):
            await self.expired(update, context)
            return
        await self.ack(update)
        await self.answer_text(update, context, self.examples[n])

    async def help(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """List the commands."""
        hint = None
        if update.effective_chat.type != ChatType.PRIVATE:
            hint = self.group_hint()
        await self.reply(update, context, pack([help_html(group_hint=hint)], "\n"))

    async def ask(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Answer /ask QUESTION."""
        question = (update.effective_message.text or "").partition(" ")[2].strip()
        if not question:
            await self.send_text(update, context, "Usage: /ask QUESTION, e.g. /ask "
                                 + (self.examples[0] if self.examples else "What is this about?"))
            return
        await self.answer_text(update, context, question.lstrip("/"))

    def _question_text(self, message: Message, context: ContextTypes.DEFAULT_TYPE) -> str:
        """The question in a message, without the @mention of the bot (or /ask)."""
        text = message.text or ""
        if message.chat.type != ChatType.PRIVATE:
            me = "@" + (context.bot.username or "").lower()
            for value in set(entity_texts(message, [MessageEntity.MENTION]).values()):
                if value.lower() == me:
                    text = text.replace(value, " ")
        text = text.strip()
        if text.split(" ", 1)[0].split("@")[0].lower() == "/ask":
            text = text.partition(" ")[2].strip()
        return text

    async def question(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Answer a question: any text in a private chat, or text addressed to the bot in a group."""
        await self.answer_text(update, context, self._question_text(update.effective_message, context))

    async def edited(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """An edited question: its answer is edited to answer the question as it reads now."""
        message = update.edited_message
        text = self._question_text(message, context)
        if not text or text.startswith("/"):
            return  # an edited command is not asked again
        chat = update.effective_chat
        user = update.effective_user.id if update.effective_user else chat.id
        state = self.state(chat.id)
        async with state.lock:  # updates run concurrently: the first answer may still be sending
            old = state.get(state.asked.get(message.message_id, ""))
            answered = old is not None and old.message_id is not None
            if answered:
                await self._edit_answer(context, state, chat.id, user, message, text, old)
        if not answered:
            await self.answer_text(update, context, text)  # never answered: answer it now

    async def _edit_answer(self, context: ContextTypes.DEFAULT_TYPE, state: ChatState,
                           chat_id: int, user: int, message, text: str, old) -> None:
        """Answer an edited question in place of its old answer (state.lock held)."""
        session = state.session(user)
        reply, parties, total = await self.work(context.bot, chat_id, self.run_line,
                                                session, text)
        key, record, html = self._record(state, user, session, reply, parties, total,
                                         message.message_id, old.thread_id)
        if record is not None:
            record.message_id = old.message_id
        await self.edit(context.bot, chat_id, old.message_id, html,
                        self.keyboard(key, record, reply.answer if record else None))

    async def command(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Run a command shared with the terminal chat (/more /source /facts /timeline /docs /k)."""
        await self.answer_text(update, context, update.effective_message.text or "")

    async def unknown_command(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Say that a command is unknown and point to /help."""
        text = update.effective_message.text or "/"
        name = (text[1:].split(maxsplit=1) or [""])[0].split("@")[0]
        if name.lower() in HIDDEN_COMMANDS:
            await self.send_text(update, context, f"/{name} is for the terminal chat; here just "
                                 "stop writing. Type /help for the commands.")
            return
        await self.answer_text(update, context, text)

    async def not_text(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Ask for a question in words when a private chat sends something else."""
        await self.send_text(update, context, "Please send your question as text.")

    async def page_button(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """More / Prev: show another page of the answer in the same message."""
        query = update.callback_query
        found = self.lookup(update, query.data or "")
        offset = found[3][0] if found and found[3] else ""
        if found is None or not offset.isdigit():
            await self.expired(update, context)
            return
        state, record, key, _ = found
        async with state.lock:
            page = await self.work(context.bot, query.message.chat.id, self._page, record,
                                   int(offset))
            if not page.passages:
                await self.ack(update, NO_MORE)
                return
            await self.ack(update)
            record.add_page(page)
            record.offset = int(offset)
            owner = state.sessions.get(record.user)
            if owner is not None and record.answer is not None and owner.answer is record.answer:
                ranks = {p.rank for p in owner.shown}  # /source N, /more follow the buttons
                owner.shown += [p for p in page.passages if p.rank not in ranks]
            await self.edit(context.bot, query.message.chat.id, query.message.message_id,
                            answer_page(page, head=record.head, total=record.total),
                            self.keyboard(key, record, page))

    async def passage_button(self, update: Update, context: ContextTypes.DEFAULT_TYPE
                             ) -> tuple[tuple[ChatState, AnswerRecord, str, list[str]], Chunk, int] | None:
        """(what lookup found, the passage, its rank) of a button under one passage of an
        answer, acknowledged; None, after saying it expired, when the answer is gone."""
        query = update.callback_query
        found = self.lookup(update, query.data or "")
        rank = found[3][0] if found and found[3] else ""
        chunk = found[1].chunks.get(int(rank)) if rank.isdigit() else None
        if found is None or chunk is None:
            await self.expired(update, context)
            return None
        await self.ack(update)
        return found, chunk, int(rank)

    async def full_text_button(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Show a passage in full, then the passage after it (marked), replying to the answer."""
        query = update.callback_query
        got = await self.passage_button(update, context)
        if got is None:
            return
        (state, *_), chunk, _ = got
        index = self.answerer.index
        async with state.lock:
            chunks = index.neighbours(chunk, 0, 1) if chunk.id in index.by_id else [chunk]
            await self.send(context.bot, query.message.chat.id, source_messages(chunks, chunk.id),
                            reply_to=query.message.message_id, thread=thread_of(query.message))

    async def page_image_button(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Show a PDF passage on its page (a photo), replying to the answer."""
        query = update.callback_query
        got = await self.passage_button(update, context)
        if got is None:
            return
        (state, record, *_), chunk, rank = got
        async with state.lock:
            reply = await self.work(context.bot, query.message.chat.id, page_reply,
                                    state.session(record.user), chunk, rank)
            await self.send_page(context.bot, query.message.chat.id, reply,
                                 reply_to=query.message.message_id, thread=thread_of(query.message))

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
            await self.send(context.bot, query.message.chat.id,
                            fact_details_messages(facts, citations),
                            reply_to=query.message.message_id, thread=thread_of(query.message))

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
            reply = await self.work(context.bot, query.message.chat.id, handle,
                                    state.session(record.user), "/timeline " + " ".join(record.parties))
            await self.send(context.bot, query.message.chat.id, reply_messages(reply),
                            reply_to=query.message.message_id, thread=thread_of(query.message))

    async def inline(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """@bot QUESTION in any chat: the answer and its passages as articles to send."""
        query = update.inline_query
        text = query.query.strip()
        if not text:
            await query.answer([], cache_time=5, is_personal=True)
            return
        answer = await asyncio.to_thread(self._locked, self.answerer.ask, text, 3)
        await query.answer(self.inline_results(answer), cache_time=30)

    def inline_results(self, answer: Answer) -> list[InlineQueryResultArticle]:
        """The answer as inline articles: the answer line with passage 1, then the others;
        each with the citation and a button that opens the question in a chat with the bot."""
        def article(n: int, title: str, description: str, html: str) -> InlineQueryResultArticle:
            payload = deep_link_payload(answer.question)
            markup = None
            if payload and self.username:
                markup = InlineKeyboardMarkup([[InlineKeyboardButton(
                    "Ask docbot", url=f"https://t.me/{self.username}?start={payload}")]])
            return InlineQueryResultArticle(
                str(n), cut(title, 120) or "…", InputTextMessageContent(
                    utf8_safe(html), parse_mode=ParseMode.HTML,
                    link_preview_options=LinkPreviewOptions(is_disabled=True)),
                reply_markup=markup, description=cut(description, 200))

        if not answer.answered:
            message = answer.message or "I found nothing about that in the documents."
            return [article(0, message, answer.question, esc(message))]
        head = answer_head(answer)
        line = plain_answer_line(answer)
        question = f"<i>{esc(cut(answer.question, 200))}</i>"
        out = []
        for i, p in enumerate(answer.passages):
            if i == 0 and line is not None:
                title, description = line
            else:
                title, description = p.highlight.sentence, short_citation(p.hit.chunk,
                                                                           cited_as=p.cited_as)
            body = (head + "\n\n") if i == 0 and head else ""
            out.append(article(i, title, description,
                               f"{question}\n{body}{passage_html(p, 600, 160)}"))
        return out

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
                await context.bot.send_message(update.effective_chat.id, APOLOGY,
                                               message_thread_id=thread_of(update.effective_message))
        except TelegramError as e:
            log.warning("could not apologise in chat: %s", e)

    async def post_init(self, app: Application) -> None:
        """Set the command menus (private chats and groups), learn whether Telegram shows the
        bot all group messages, and start watching the data folder."""
        if self.settings.reload_seconds > 0:
            # a plain task: it lives as long as the application's event loop
            self._watch = asyncio.get_running_loop().create_task(
                self.watch_data(self.settings.reload_seconds))
        menu = lambda items: [BotCommand(name, text[:256]) for name, text in items]  # noqa: E731
        await app.bot.set_my_commands(menu(PRIVATE_MENU), scope=BotCommandScopeDefault())
        await app.bot.set_my_commands(menu(PRIVATE_MENU), scope=BotCommandScopeAllPrivateChats())
        await app.bot.set_my_commands(menu(GROUP_MENU), scope=BotCommandScopeAllGroupChats())
        me = await app.bot.get_me()
        self.reads_all = bool(me.can_read_all_group_messages)
        self._username = me.username or ""
        self.examples = await asyncio.to_thread(self._locked, self.make_examples)
        log.info("docbot is online as @%s: %d documents, %d passages, %d facts", me.username,
                 len(self.answerer.index.documents), len(self.answerer.index.chunks),
                 len(self.answerer.facts.facts))
        if not self.reads_all:
            log.info("privacy mode is on: in groups @%s sees commands and replies to its "
                     "messages only (not @mentions)", me.username)

    async def post_stop(self, app: Application) -> None:
        """Stop watching the data folder."""
        watch = getattr(self, "_watch", None)
        if watch is not None:
            watch.cancel()

    async def watch_data(self, every: float) -> None:
        """Serve changed documents or facts once they index cleanly; while they do not, keep
        serving the last good index. When the updates have filled a tier of the merge
        policy, merge it in the background and serve the merged index once it is written."""
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
                self.serve(new)
                log.info("reloaded: %d documents, %d passages, %d facts",
                         len(new.index.documents), len(new.index.chunks), len(new.facts.facts))
            current = self.answerer
            if (current.source is not None and current is not self._unmerged
                    and merge_due(current.index)):
                if not await self.merge_segments():
                    self._unmerged = current  # tried once: again when the index changes

    def serve(self, new: Answerer) -> None:
        """Answer from `new` from now on: every chat at once, between two questions."""
        with self._engine:
            self.answerer = new
            self._new_session = lambda: Session(new)
            for state in self.chats.values():
                for session in state.sessions.values():
                    session.answerer = new

    async def merge_segments(self) -> bool:
        """Merge the index's full tiers in a child process while the current index answers,
        then open the merged generation (off the event loop) and serve it. False when the
        merge failed (the current index serves on)."""
        data_dir, index_dir, _ = self.answerer.source
        index_dir = index_dir or default_index_dir(data_dir)
        before = segment_count(self.answerer.index)
        log.info("merging segments in the background (%d segments); answering from the "
                 "current index meanwhile", before)
        t0 = time.monotonic()
        merging = BackgroundMerge(data_dir, index_dir)
        try:
            done = await asyncio.to_thread(merging.wait)
            merged = await asyncio.to_thread(Answerer.open, data_dir, index_dir,
                                             lambda m: log.info("reload: %s", m))
        except asyncio.CancelledError:
            merging.stop()
            raise
        except DocbotError as e:
            log.warning("merge failed, still serving the current index: %s", e)
            return False
        except Exception:
            log.exception("merge failed, still serving the current index")
            return False
        if not done.get("merges"):
            log.info("merge: another writer changed the index meanwhile; merging again later")
        self.serve(merged)
        log.info("merged: %d segments -> %d in %.1f s; serving the merged index", before,
                 segment_count(merged.index), time.monotonic() - t0)
        return True


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
    new = filters.UpdateType.MESSAGE
    app.add_handlers([
        MessageHandler(filters.UpdateType.EDITED_MESSAGE & filters.TEXT, docbot.edited),
        CommandHandler("start", docbot.start, filters=new),
        CommandHandler("help", docbot.help, filters=new),
        CommandHandler("ask", docbot.ask, filters=new),
        CommandHandler(list(SHARED_COMMANDS), docbot.command, filters=new),
        MessageHandler(new & filters.COMMAND, docbot.unknown_command),
        MessageHandler(new & filters.TEXT & ~filters.COMMAND & docbot.addressed, docbot.question),
        MessageHandler(new & private & ~filters.TEXT, docbot.not_text),
        CallbackQueryHandler(docbot.page_button, pattern=r"^g:"),
        CallbackQueryHandler(docbot.full_text_button, pattern=r"^s:"),
        CallbackQueryHandler(docbot.page_image_button, pattern=r"^p:"),
        CallbackQueryHandler(docbot.facts_button, pattern=r"^f:"),
        CallbackQueryHandler(docbot.timeline_button, pattern=r"^t:"),
        CallbackQueryHandler(docbot.example_button, pattern=r"^x:"),
        CallbackQueryHandler(docbot.expired),
        InlineQueryHandler(docbot.inline),
    ])
    app.add_error_handler(docbot.error)
    return app


# -- running -------------------------------------------------------------------------------------


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
        app.run_polling(timeout=int(settings.poll_timeout), **kwargs)  # PTB: int or timedelta


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
