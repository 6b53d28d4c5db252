"""A small Bot API server on 127.0.0.1 for end-to-end tests of the Telegram bot.

It speaks the wire format (POST /bot<TOKEN>/<method>, form or JSON bodies, {"ok": …} replies)
for the methods docbot uses, delivers queued updates by real long polling (getUpdates waits
until an update arrives or its timeout passes), records every call, validates what Telegram
validates (HTML entities, text length after parsing, callback_data size, non-empty text …)
and answers 400 like Telegram when a request breaks the rules. fail_next() makes the next call
of a method answer 429 with retry_after, an error status (Telegram's JSON error with a
description, or a proxy's HTML page), drop the connection without an answer, or answer only
after a delay (past the client's timeout); block() makes a chat answer 403 like a user who
blocked the bot.

    with FakeTelegram() as tg:
        app = build_application(answerer, Settings(token=tg.token, api_base_url=tg.url))
        …
        tg.push_message(chat_id=1, text="/start")
        tg.wait_for(lambda c: c.method == "sendMessage" and c.chat_id == 1)
"""
from __future__ import annotations

import email.parser
import email.policy
import itertools
import json
import re
import socket
import struct
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable
from urllib.parse import parse_qs, urlparse

TOKEN = "123456789:AAFakeTokenForTests_abcdefghijklmnopq"
BOT_ID = 123456789
BOT_USERNAME = "docbot_test_bot"
MAX_TEXT = 4096
MAX_CALLBACK_DATA = 64
MAX_CALLBACK_ANSWER = 200
MAX_CAPTION = 1024
MAX_PHOTO_BYTES = 10 << 20  # a photo sent by upload: at most 10 MB, width + height at most
MAX_PHOTO_SIDES = 10000     # 10000, the ratio of its sides at most 20
CHAT_ACTIONS = {"typing", "upload_photo", "record_video", "upload_video", "record_voice",
                "upload_voice", "upload_document", "choose_sticker", "find_location",
                "record_video_note", "upload_video_note"}

# Telegram's HTML parse mode: these tags (and attributes) only.
ENTITY_TYPES = {
    "b": "bold", "strong": "bold", "i": "italic", "em": "italic", "u": "underline",
    "ins": "underline", "s": "strikethrough", "strike": "strikethrough", "del": "strikethrough",
    "tg-spoiler": "spoiler", "span": "spoiler", "a": "text_link", "code": "code", "pre": "pre",
    "blockquote": "blockquote", "tg-emoji": "custom_emoji",
}
ALLOWED_ATTRS = {"a": {"href"}, "span": {"class"}, "code": {"class"}, "blockquote": {"expandable"},
                 "tg-emoji": {"emoji-id"}}
NAMED_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_ATTR_RE = re.compile(r'\s*([a-zA-Z][\w-]*)(?:\s*=\s*(?:"([^"]*)"|\'([^\']*)\'|([^\s"\'>]+)))?')


class EntityError(ValueError):
    """The text is not valid Telegram HTML; the message is Telegram's description."""


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def parse_html(text: str) -> tuple[str, list[dict]]:
    """(plain text, entities) of a Telegram HTML text, or EntityError like Telegram's 400."""
    out: list[str] = []
    entities: list[dict] = []
    stack: list[tuple[str, int, dict]] = []  # (tag, utf16 offset, attrs)
    pos16 = 0
    i = 0
    raw = text.encode("utf-8")

    def byte_offset(index: int) -> int:
        return len(text[:index].encode("utf-8"))

    while i < len(text):
        ch = text[i]
        if ch == "<":
            end = text.find(">", i)
            if end < 0:
                raise EntityError(f"Can't parse entities: unclosed start tag at byte offset {byte_offset(i)}")
            inner = text[i + 1 : end]
            if inner.startswith("/"):
                name = inner[1:].strip().lower()
                if not stack:
                    raise EntityError(f"Can't parse entities: unexpected end tag at byte offset {byte_offset(i)}")
                top, start16, attrs = stack.pop()
                if name != top:
                    raise EntityError(f'Can\'t parse entities: unmatched end tag at byte offset '
                                      f'{byte_offset(i)}, expected "</{top}>", found "</{name}>"')
                if pos16 > start16:
                    kind = ENTITY_TYPES[top]
                    if top == "blockquote" and "expandable" in attrs:
                        kind = "expandable_blockquote"
                    entity = {"type": kind, "offset": start16, "length": pos16 - start16}
                    if top == "a":
                        entity["url"] = attrs.get("href", "")
                    entities.append(entity)
            else:
                m = re.match(r"([a-zA-Z][\w-]*)", inner)
                if not m:
                    raise EntityError(f"Can't parse entities: unsupported start tag at byte offset {byte_offset(i)}")
                name = m.group(1).lower()
                if name not in ENTITY_TYPES:
                    raise EntityError(f'Can\'t parse entities: unsupported start tag "{name}" at '
                                      f"byte offset {byte_offset(i)}")
                attrs = {}
                rest = inner[m.end():].rstrip("/ ")
                while rest.strip():
                    am = _ATTR_RE.match(rest)
                    if not am or not am.group(0).strip():
                        raise EntityError(f"Can't parse entities: bad attributes of tag \"{name}\" at byte offset {byte_offset(i)}")
                    key = am.group(1).lower()
                    if key not in ALLOWED_ATTRS.get(name, set()):
                        raise EntityError(f'Can\'t parse entities: unsupported attribute "{key}" of tag "{name}"')
                    attrs[key] = next((g for g in am.groups()[1:] if g is not None), "")
                    rest = rest[am.end():]
                if name == "span" and attrs.get("class") != "tg-spoiler":
                    raise EntityError("Can't parse entities: tag \"span\" must have class \"tg-spoiler\"")
                stack.append((name, pos16, attrs))
            i = end + 1
            continue
        if ch == "&":
            m = re.match(r"&(#x[0-9a-fA-F]+|#\d+|[a-zA-Z]+);", text[i:])
            if not m:
                raise EntityError(f"Can't parse entities: character '&' is reserved and must be "
                                  f"escaped at byte offset {byte_offset(i)}")
            ref = m.group(1)
            if ref.startswith("#x"):
                value = chr(int(ref[2:], 16))
            elif ref.startswith("#"):
                value = chr(int(ref[1:]))
            elif ref in NAMED_ENTITIES:
                value = NAMED_ENTITIES[ref]
            else:
                raise EntityError(f'Can\'t parse entities: unsupported HTML entity "&{ref};" at '
                                  f"byte offset {byte_offset(i)}")
            out.append(value)
            pos16 += utf16_len(value)
            i += m.end()
            continue
        if ch == ">":
            raise EntityError(f"Can't parse entities: character '>' is reserved and must be "
                              f"escaped at byte offset {byte_offset(i)}")
        out.append(ch)
        pos16 += utf16_len(ch)
        i += 1
    if stack:
        raise EntityError(f'Can\'t parse entities: can\'t find end tag corresponding to start tag "{stack[-1][0]}"')
    del raw
    return "".join(out), sorted(entities, key=lambda e: (e["offset"], -e["length"]))


def check_text(text: Any, parse_mode: str | None) -> tuple[str, list[dict]]:
    """Telegram's checks of a message text: (plain text, entities) or EntityError."""
    if not isinstance(text, str) or not text.strip():
        raise EntityError("message text is empty")
    if parse_mode and parse_mode.upper() == "HTML":
        plain, entities = parse_html(text)
    elif parse_mode:
        raise EntityError(f"unsupported parse_mode {parse_mode!r} in this fake server")
    else:
        plain, entities = text, []
    if not plain.strip():
        raise EntityError("message text is empty")
    if utf16_len(plain) > MAX_TEXT:
        raise EntityError("message is too long")
    return plain, entities


def check_markup(markup: Any) -> None:
    if markup is None:
        return
    if isinstance(markup, str):
        markup = json.loads(markup)
    rows = markup.get("inline_keyboard") if isinstance(markup, dict) else None
    if rows is None:
        return
    for row in rows:
        for button in row:
            if not str(button.get("text", "")).strip():
                raise EntityError("BUTTON_TEXT_INVALID")  # Telegram: text buttons are non-empty
            data = button.get("callback_data")
            if data is not None and not 1 <= len(str(data).encode("utf-8")) <= MAX_CALLBACK_DATA:
                raise EntityError("BUTTON_DATA_INVALID")


@dataclass
class Call:
    method: str
    params: dict
    status: int
    response: dict | None
    at: float = field(default_factory=time.monotonic)
    injected: bool = False  # a failure the test asked for (fail_next, block)

    @property
    def ok(self) -> bool:
        return self.status == 200

    @property
    def chat_id(self) -> int | None:
        cid = self.params.get("chat_id")
        try:
            return int(cid) if cid is not None else None
        except (TypeError, ValueError):
            return None

    @property
    def text(self) -> str:
        """The sent text as the user sees it (entities parsed), for sendMessage/editMessageText;
        the caption for sendPhoto."""
        if self.response and isinstance(self.response.get("result"), dict):
            result = self.response["result"]
            return result.get("text", result.get("caption", ""))
        return ""

    @property
    def thread_id(self) -> int | None:
        """The forum topic the message was sent to."""
        t = self.params.get("message_thread_id")
        return int(t) if t is not None else None

    @property
    def buttons(self) -> list[dict]:
        markup = self.params.get("reply_markup")
        if isinstance(markup, str):
            markup = json.loads(markup)
        return [b for row in (markup or {}).get("inline_keyboard", []) for b in row]


class FakeTelegram:
    """A Bot API server on 127.0.0.1:PORT for one bot (token TOKEN)."""

    def __init__(self, token: str = TOKEN, username: str = BOT_USERNAME,
                 reads_all: bool = False, inline: bool = True) -> None:
        """reads_all: privacy mode off (getMe's can_read_all_group_messages); inline: inline
        mode enabled with @BotFather /setinline."""
        self.token = token
        self.bot = {"id": int(token.split(":")[0]), "is_bot": True, "first_name": "Docbot",
                    "username": username, "can_join_groups": True,
                    "can_read_all_group_messages": reads_all, "supports_inline_queries": inline}
        self.menus: dict[str, list[dict]] = {}  # setMyCommands' scope type -> commands
        self.inline_answers: dict[str, list[dict]] = {}  # inline query id -> results
        self.calls: list[Call] = []
        self.cond = threading.Condition()
        self.updates: list[dict] = []
        self.webhook: tuple[str, str | None] | None = None  # (url, secret) once set
        self.webhook_statuses: list[int] = []  # what the bot answered each delivery
        self.messages: dict[tuple[int, int], dict] = {}  # (chat id, message id) -> message
        self.photos: list[bytes] = []  # the images of sendPhoto, as uploaded
        self.chats: dict[int, dict] = {}
        self.callback_queries: dict[str, bool] = {}  # id -> answered
        self.commands: list[dict] = []
        self._failures: dict[str, list[tuple]] = {}
        self.blocked: set[int] = set()  # chats whose user blocked the bot: 403 to every message
        self._update_ids = itertools.count(1)
        self._message_ids = itertools.count(1)
        self._query_ids = itertools.count(1)
        self._closed = False
        self.listeners: list[Callable[[Call], None]] = []  # called with each call as it is recorded
        self.server: ThreadingHTTPServer | None = None
        self.thread: threading.Thread | None = None

    # -- running ---------------------------------------------------------------------------------
    def start(self) -> "FakeTelegram":
        fake = self

        class Handler(_Handler):
            server_fake = fake

        self.server = _Server(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, name="fake-telegram",
                                       kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()
        return self

    def stop(self) -> None:
        with self.cond:
            self._closed = True
            self.cond.notify_all()
        if self.server:
            self.server.shutdown()
            self.server.server_close()

    def __enter__(self) -> "FakeTelegram":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    @property
    def url(self) -> str:
        """The server's root URL (what --api-base-url takes)."""
        assert self.server is not None
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    # -- what users do -------------------------------------------------------------------------
    def user(self, user_id: int, name: str | None = None) -> dict:
        return {"id": user_id, "is_bot": False, "first_name": name or f"User{user_id}",
                "language_code": "en"}

    def chat(self, chat_id: int, chat_type: str | None = None) -> dict:
        if chat_id not in self.chats:
            kind = chat_type or ("private" if chat_id > 0 else "supergroup")
            chat = {"id": chat_id, "type": kind}
            if kind == "private":
                chat["first_name"] = f"User{chat_id}"
            else:
                chat["title"] = f"Group {chat_id}"
            self.chats[chat_id] = chat
        return self.chats[chat_id]

    def push_message(self, chat_id: int, text: str, user_id: int | None = None,
                     chat_type: str | None = None, reply_to: int | None = None,
                     thread_id: int | None = None) -> dict:
        """Queue a text message from a user (bot_command and mention entities included);
        thread_id: sent in that topic of a forum supergroup."""
        user_id = user_id if user_id is not None else abs(chat_id)
        with self.cond:
            chat = self.chat(chat_id, chat_type)
            message = {"message_id": next(self._message_ids), "date": int(time.time()),
                       "chat": chat, "from": self.user(user_id), "text": text}
            if thread_id is not None:
                chat["is_forum"] = True
                message.update(message_thread_id=thread_id, is_topic_message=True)
            entities = _entities_of(text)
            if entities:
                message["entities"] = entities
            if reply_to is not None:
                message["reply_to_message"] = self.messages[(chat_id, reply_to)]
            self.messages[(chat_id, message["message_id"])] = message
            self._queue({"message": message})
        return message

    def push_edit(self, chat_id: int, message_id: int, text: str) -> dict:
        """Queue an edited_message: the user changed the text of one of their messages."""
        with self.cond:
            message = dict(self.messages[(chat_id, message_id)], text=text,
                           edit_date=int(time.time()))
            entities = _entities_of(text)
            message.pop("entities", None)
            if entities:
                message["entities"] = entities
            self.messages[(chat_id, message_id)] = message
            self._queue({"edited_message": message})
        return message

    def push_inline(self, user_id: int, query: str, chat_type: str = "sender") -> str:
        """Queue an inline query (@bot QUERY typed in any chat); returns its id."""
        with self.cond:
            qid = f"iq{next(self._query_ids)}"
            self._queue({"inline_query": {"id": qid, "from": self.user(user_id), "query": query,
                                          "offset": "", "chat_type": chat_type}})
        return qid

    def push_callback(self, chat_id: int, message_id: int, data: str,
                      user_id: int | None = None) -> str:
        """Queue a press of an inline button under a message; returns the query id."""
        user_id = user_id if user_id is not None else abs(chat_id)
        with self.cond:
            qid = f"q{next(self._query_ids)}"
            self.callback_queries[qid] = False
            message = self.messages.get((chat_id, message_id)) or {
                "message_id": message_id, "date": int(time.time()),
                "chat": self.chat(chat_id), "from": self.bot, "text": "(an old message)"}
            self._queue({"callback_query": {"id": qid, "from": self.user(user_id),
                                            "chat_instance": f"ci{chat_id}", "data": data,
                                            "message": message}})
        return qid

    def _record(self, call: Call) -> None:
        with self.cond:
            self.calls.append(call)
            for listener in self.listeners:
                listener(call)
            self.cond.notify_all()

    def _queue(self, update: dict) -> None:
        update["update_id"] = next(self._update_ids)
        if self.webhook is not None:  # as Telegram does: POST it to the bot, with the secret
            threading.Thread(target=self._deliver, args=(update, *self.webhook), daemon=True).start()
            return
        self.updates.append(update)
        self.cond.notify_all()

    def _deliver(self, update: dict, url: str, secret: str | None) -> None:
        headers = {"Content-Type": "application/json"}
        if secret:
            headers["X-Telegram-Bot-Api-Secret-Token"] = secret
        request = urllib.request.Request(url, json.dumps(update).encode(), headers)
        for _ in range(50):
            try:
                with urllib.request.urlopen(request, timeout=10) as response:
                    self.webhook_statuses.append(response.status)
                    return
            except urllib.error.HTTPError as e:
                self.webhook_statuses.append(e.code)
                return
            except OSError:  # the bot's server is not listening yet
                time.sleep(0.2)

    def fail_next(self, method: str, status: int = 502, retry_after: int | None = None,
                  drop: bool = False, description: str | None = None, delay: float = 0.0) -> None:
        """The next call of method fails: 429 with retry_after; another status, answered as
        Telegram answers errors ({"ok": false, "error_code", "description"}) when description
        is given, else with an HTML error page as a proxy would; or a dropped connection
        (closed without an answer). delay: seconds to wait before failing (a delay past the
        client's read timeout makes the call time out on the client's side; the call is never
        carried out)."""
        with self.cond:
            self._failures.setdefault(method, []).append(
                (status, retry_after, drop, description, delay))

    def block(self, chat_id: int) -> None:
        """The chat's user blocks the bot: every message or chat action to it gets Telegram's
        403 "Forbidden: bot was blocked by the user"."""
        with self.cond:
            self.blocked.add(chat_id)

    # -- what tests look at -------------------------------------------------------------------------
    def calls_of(self, method: str | None = None, chat_id: int | None = None,
                 ok: bool | None = None) -> list[Call]:
        with self.cond:
            calls = list(self.calls)
        return [c for c in calls if (method is None or c.method == method)
                and (chat_id is None or c.chat_id == chat_id) and (ok is None or c.ok == ok)]

    def wait_for(self, predicate: Callable[[list[Call]], Any], timeout: float = 20.0) -> Any:
        """Wait until predicate(calls) is truthy; return its value (AssertionError on timeout)."""
        deadline = time.monotonic() + timeout
        with self.cond:
            while True:
                value = predicate(list(self.calls))
                if value:
                    return value
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"timed out after {timeout} s; last calls: "
                                         f"{[(c.method, c.status, c.params) for c in self.calls[-8:]]}")
                self.cond.wait(min(left, 0.5))

    def sent(self, chat_id: int, since: int = 0) -> list[Call]:
        """Successful sendMessage calls to a chat, after the first `since` calls."""
        with self.cond:
            calls = self.calls[since:]
        return [c for c in calls if c.method == "sendMessage" and c.ok and c.chat_id == chat_id]

    def errors(self) -> list[Call]:
        """Calls answered with a 4xx that the bot caused (not the injected failures)."""
        return [c for c in self.calls_of() if 400 <= c.status < 500 and c.status != 429
                and not c.injected]

    # -- the API -----------------------------------------------------------------------------------
    def handle(self, method: str, params: dict, poll: bool = True) -> tuple[int, dict]:
        """Run one Bot API method: (HTTP status, JSON answer)."""
        fn = getattr(self, "api_" + method, None)
        if fn is None:
            return 404, {"ok": False, "error_code": 404, "description": "Not Found"}
        try:
            return 200, {"ok": True, "result": fn(params)}
        except EntityError as e:
            return 400, {"ok": False, "error_code": 400, "description": f"Bad Request: {e}"}
        except _ApiError as e:
            return e.status, {"ok": False, "error_code": e.status, "description": e.description}

    def api_getMe(self, p: dict) -> dict:
        return self.bot

    def api_deleteWebhook(self, p: dict) -> bool:
        self.webhook = None
        return True

    def api_setWebhook(self, p: dict) -> bool:
        if not str(p.get("url", "")).startswith(("https://", "http://127.0.0.1")):
            raise _ApiError(400, "Bad Request: bad webhook: An HTTPS URL must be provided")
        self.webhook = (p["url"], p.get("secret_token"))
        return True

    def api_getWebhookInfo(self, p: dict) -> dict:
        return {"url": "", "has_custom_certificate": False, "pending_update_count": 0}

    def api_setMyCommands(self, p: dict) -> bool:
        commands = _json(p.get("commands"))
        if not isinstance(commands, list) or len(commands) > 100:
            raise EntityError("commands must be a list of at most 100 commands")
        for c in commands:
            if not re.fullmatch(r"[a-z0-9_]{1,32}", str(c.get("command", ""))):
                raise EntityError("BOT_COMMAND_INVALID")
            if not 1 <= len(str(c.get("description", "")).strip()) <= 256:
                raise EntityError("BOT_COMMAND_DESCRIPTION_INVALID")
        scope = _json(p.get("scope")) or {"type": "default"}
        self.menus[scope.get("type", "default")] = commands
        self.commands = commands
        return True

    def api_answerInlineQuery(self, p: dict) -> bool:
        if not self.bot["supports_inline_queries"]:
            raise EntityError("inline mode is disabled for this bot")
        results = _json(p.get("results"))
        if not isinstance(results, list) or len(results) > 50:
            raise EntityError("RESULTS_TOO_MUCH")
        ids = set()
        for r in results:
            rid = str(r.get("id", ""))
            if not 1 <= len(rid.encode()) <= 64 or rid in ids:
                raise EntityError("RESULT_ID_INVALID")
            ids.add(rid)
            if r.get("type") != "article" or not str(r.get("title", "")).strip():
                raise EntityError("RESULT_TITLE_EMPTY")
            content = r.get("input_message_content") or {}
            check_text(content.get("message_text"), content.get("parse_mode"))
            check_markup(r.get("reply_markup"))
        self.inline_answers[str(p.get("inline_query_id"))] = results
        return True

    def api_getUpdates(self, p: dict) -> list[dict]:
        offset = int(p.get("offset") or 0)
        limit = max(1, min(100, int(p.get("limit") or 100)))
        timeout = float(p.get("timeout") or 0)
        deadline = time.monotonic() + timeout
        with self.cond:
            if offset:
                self.updates = [u for u in self.updates if u["update_id"] >= offset]
            while not self.updates and not self._closed:
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                self.cond.wait(left)
            return [dict(u) for u in self.updates[:limit]]

    def api_sendChatAction(self, p: dict) -> bool:
        self._known_chat(p)
        if p.get("action") not in CHAT_ACTIONS:
            raise EntityError("wrong parameter action in request")
        return True

    def api_sendMessage(self, p: dict) -> dict:
        chat = self._known_chat(p)
        plain, entities = check_text(p.get("text"), p.get("parse_mode"))
        check_markup(p.get("reply_markup"))
        reply = _json(p.get("reply_parameters")) or {}
        reply_to = reply.get("message_id") or p.get("reply_to_message_id")
        allow = reply.get("allow_sending_without_reply") or p.get("allow_sending_without_reply")
        message = {"message_id": next(self._message_ids), "date": int(time.time()),
                   "chat": chat, "from": self.bot, "text": plain}
        thread = p.get("message_thread_id")
        if thread is not None:
            if not chat.get("is_forum"):
                raise EntityError("message thread not found")
            message.update(message_thread_id=int(thread), is_topic_message=True)
        if entities:
            message["entities"] = entities
        markup = _json(p.get("reply_markup"))
        if markup:
            message["reply_markup"] = markup
        if reply_to is not None:
            original = self.messages.get((chat["id"], int(reply_to)))
            if original is None and not allow:
                raise EntityError("message to be replied not found")
            if original is not None:
                message["reply_to_message"] = original
        self.messages[(chat["id"], message["message_id"])] = message
        return message

    def api_sendPhoto(self, p: dict) -> dict:
        """A photo uploaded in the request (multipart): a PNG or JPEG within Telegram's limits;
        the message holds its size (as Telegram's PhotoSize) and the parsed caption."""
        chat = self._known_chat(p)
        photo = p.get("photo")
        if not isinstance(photo, bytes) or not photo:
            raise EntityError("there is no photo in the request")
        if len(photo) > MAX_PHOTO_BYTES:
            raise EntityError("PHOTO_INVALID_DIMENSIONS")  # Telegram: too big to be a photo
        size = _image_size(photo)
        if size is None:
            raise EntityError("IMAGE_PROCESS_FAILED")
        w, h = size
        if w + h > MAX_PHOTO_SIDES or max(w, h) > 20 * min(w, h):
            raise EntityError("PHOTO_INVALID_DIMENSIONS")
        caption, entities = ("", [])
        if p.get("caption"):
            caption, entities = _parse_caption(p.get("caption"), p.get("parse_mode"))
        check_markup(p.get("reply_markup"))
        message = {"message_id": next(self._message_ids), "date": int(time.time()),
                   "chat": chat, "from": self.bot,
                   "photo": [{"file_id": f"photo{len(self.photos)}", "file_unique_id":
                              f"u{len(self.photos)}", "width": w, "height": h,
                              "file_size": len(photo)}]}
        self.photos.append(photo)
        if caption:
            message["caption"] = caption
        if entities:
            message["caption_entities"] = entities
        thread = p.get("message_thread_id")
        if thread is not None:
            if not chat.get("is_forum"):
                raise EntityError("message thread not found")
            message.update(message_thread_id=int(thread), is_topic_message=True)
        reply = _json(p.get("reply_parameters")) or {}
        reply_to = reply.get("message_id") or p.get("reply_to_message_id")
        if reply_to is not None:
            original = self.messages.get((chat["id"], int(reply_to)))
            if original is None and not reply.get("allow_sending_without_reply"):
                raise EntityError("message to be replied not found")
            if original is not None:
                message["reply_to_message"] = original
        self.messages[(chat["id"], message["message_id"])] = message
        return message

    def api_editMessageText(self, p: dict) -> dict:
        chat = self._known_chat(p)
        message = self.messages.get((chat["id"], int(p.get("message_id") or 0)))
        if message is None or message["from"]["id"] != self.bot["id"]:
            raise EntityError("message to edit not found")
        plain, entities = check_text(p.get("text"), p.get("parse_mode"))
        check_markup(p.get("reply_markup"))
        markup = _json(p.get("reply_markup"))
        if plain == message["text"] and entities == message.get("entities", []) and \
                markup == message.get("reply_markup"):
            raise EntityError("message is not modified: specified new message content and reply "
                              "markup are exactly the same as a current content and reply markup "
                              "of the message")
        message.update(text=plain, edit_date=int(time.time()))
        message["entities"] = entities
        if markup:
            message["reply_markup"] = markup
        else:
            message.pop("reply_markup", None)
        return json.loads(json.dumps(message))  # as sent: later edits do not change it

    def api_answerCallbackQuery(self, p: dict) -> bool:
        qid = str(p.get("callback_query_id", ""))
        if self.callback_queries.get(qid) is not False:
            raise EntityError("query is too old and response timeout expired or query ID is invalid")
        if len(str(p.get("text") or "")) > MAX_CALLBACK_ANSWER:
            raise EntityError("MESSAGE_TOO_LONG")
        self.callback_queries[qid] = True
        return True

    def _known_chat(self, p: dict) -> dict:
        try:
            chat_id = int(p.get("chat_id"))
        except (TypeError, ValueError):
            raise EntityError("chat_id is empty") from None
        if chat_id not in self.chats:
            raise EntityError("chat not found")
        if chat_id in self.blocked:
            raise _ApiError(403, "Forbidden: bot was blocked by the user")
        return self.chats[chat_id]


def _image_size(data: bytes) -> tuple[int, int] | None:
    """(width, height) of a PNG or JPEG, read from its header; None for anything else."""
    if data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR":
        return struct.unpack(">II", data[16:24])
    if data[:2] == b"\xff\xd8":
        i = 2
        while i + 9 < len(data):
            if data[i] != 0xFF:
                return None
            marker, length = data[i + 1], struct.unpack(">H", data[i + 2:i + 4])[0]
            if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
                h, w = struct.unpack(">HH", data[i + 5:i + 9])
                return w, h
            i += 2 + length
    return None


def _parse_caption(caption: Any, parse_mode: str | None) -> tuple[str, list[dict]]:
    plain, entities = check_text(caption, parse_mode)
    if utf16_len(plain) > MAX_CAPTION:
        raise EntityError("message caption is too long")
    return plain, entities


class _ApiError(Exception):
    def __init__(self, status: int, description: str) -> None:
        super().__init__(description)
        self.status, self.description = status, description


def _json(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def _entities_of(text: str) -> list[dict]:
    """bot_command at the start and @mentions, with UTF-16 offsets, as Telegram adds them."""
    entities = []
    for m in re.finditer(r"(?:^/[A-Za-z0-9_]{1,32}(?:@[A-Za-z0-9_]{3,32})?)|(?<![\w@])@[A-Za-z0-9_]{5,32}", text):
        kind = "bot_command" if m.group(0).startswith("/") else "mention"
        entities.append({"type": kind, "offset": utf16_len(text[: m.start()]),
                         "length": utf16_len(m.group(0))})
    return entities


class _Server(ThreadingHTTPServer):
    request_queue_size = 256  # many bots' connections at once (the default backlog is 5)
    daemon_threads = True


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as httpx expects
    server_fake: FakeTelegram

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        pass

    def do_GET(self) -> None:
        self.do_POST()

    def do_POST(self) -> None:
        fake = self.server_fake
        url = urlparse(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        m = re.fullmatch(r"/bot([^/]+)/(\w+)", url.path)
        if not m or m.group(1) != fake.token:
            status = 401 if m else 404
            self._send(status, {"ok": False, "error_code": status,
                                "description": "Unauthorized" if m else "Not Found"})
            return
        method = m.group(2)
        try:
            params = _params(self.headers.get("Content-Type", ""), body, url.query)
        except ValueError as e:
            self._send(400, {"ok": False, "error_code": 400, "description": f"Bad Request: {e}"})
            return
        with fake.cond:
            failures = fake._failures.get(method)
            failure = failures.pop(0) if failures else None
        if failure is not None:
            status, retry_after, drop, description, delay = failure
            answer = None
            if description is not None:
                answer = {"ok": False, "error_code": status, "description": description}
            fake._record(Call(method, params, 0 if drop else status, answer, injected=True))
            if delay:
                time.sleep(delay)
            if drop:  # close without an answer, as a broken proxy or network would
                self.close_connection = True
                try:
                    self.connection.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                return
            if status == 429:
                after = retry_after or 1
                self._send(429, {"ok": False, "error_code": 429,
                                 "description": f"Too Many Requests: retry after {after}",
                                 "parameters": {"retry_after": after}})
            elif answer is not None:
                self._send(status, answer)
            else:
                phrase = HTTPStatus(status).phrase
                self._send(status, f"<html><body><h1>{status} {phrase}</h1></body></html>",
                           "text/html")
            return
        if method == "getUpdates":
            status, answer = fake.handle(method, params)
        else:
            with fake.cond:
                status, answer = fake.handle(method, params)
        blocked = status == 403 and answer.get("description", "").startswith("Forbidden: bot was blocked")
        fake._record(Call(method, params, status, answer, injected=blocked))
        self._send(status, answer)

    def _send(self, status: int, payload: Any, content_type: str = "application/json") -> None:
        data = (payload if isinstance(payload, str) else json.dumps(payload)).encode("utf-8")
        try:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        except OSError:  # the client gave up (e.g. a long poll cancelled at shutdown)
            self.close_connection = True


def _params(content_type: str, body: bytes, query: str) -> dict:
    params: dict[str, Any] = {k: v[-1] for k, v in parse_qs(query).items()}
    ctype = content_type.split(";")[0].strip().lower()
    if not body:
        return params
    if ctype == "application/json":
        data = json.loads(body.decode("utf-8"))
        if not isinstance(data, dict):
            raise ValueError("expected a JSON object")
        params.update(data)
    elif ctype == "application/x-www-form-urlencoded":
        params.update({k: v[-1] for k, v in parse_qs(body.decode("utf-8"),
                                                     keep_blank_values=True).items()})
    elif ctype == "multipart/form-data":
        msg = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
            b"Content-Type: " + content_type.encode() + b"\r\n\r\n" + body)
        for part in msg.iter_parts():
            name = part.get_param("name", header="content-disposition")
            if name:
                params[name] = part.get_content() if part.get_content_maintype() == "text" \
                    else part.get_payload(decode=True)
    else:
        raise ValueError(f"unsupported Content-Type {content_type!r}")
    return params


class AppThread:
    """Run a bot's blocking serve() (e.g. run_polling) in a thread with its own event loop,
    as `docbot telegram` runs it in the main thread; stop() asks it to shut down cleanly."""

    def __init__(self, app: Any, serve: Callable[[], None]) -> None:
        import asyncio

        self.app, self.serve = app, serve
        self.loop = asyncio.new_event_loop()
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._main, name="bot", daemon=True)

    def _main(self) -> None:
        import asyncio

        asyncio.set_event_loop(self.loop)
        try:
            self.serve()
        except BaseException as e:  # noqa: BLE001 - reported by stop()
            self.error = e
        finally:
            self.loop.close()

    def start(self) -> "AppThread":
        self.thread.start()
        return self

    def stop(self, timeout: float = 30.0) -> None:
        if self.thread.is_alive() and not self.loop.is_closed():
            try:
                self.loop.call_soon_threadsafe(self.app.stop_running)
            except RuntimeError:  # the loop closed meanwhile
                pass
        self.thread.join(timeout)
        if self.thread.is_alive():
            raise AssertionError(f"the bot did not stop within {timeout} s")
        if self.error is not None:
            raise self.error
