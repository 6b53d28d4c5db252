"""Telegram text: what a message says (entities, lone surrogates), whether it is addressed to
the bot, and the payload of a /start deep link."""
from __future__ import annotations

import re

from telegram import Message, MessageEntity
from telegram.constants import ChatType
from telegram.error import TelegramError
from telegram.ext import filters

DEEP_LINK = 64  # characters Telegram allows in a /start payload ([A-Za-z0-9_-])
_LINK_STOPWORDS = set("""a an the of to in on at for by with and or did does do was were is are
has have had be been""".split())


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


class AddressedToMe(filters.MessageFilter):
    """Messages meant for the bot: all in a private chat; in a group its commands, messages
    that mention it and replies to its messages."""

    def __init__(self, commands: set[str]) -> None:
        super().__init__()
        self.commands = commands

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
                return at.lower() == me if at else name.lower() in self.commands
        return False


def deep_link_payload(question: str) -> str | None:
    """'q_When_did_Mongolia_…' for a /start deep link that asks the question: its words joined
    by '_', without small words when the whole does not fit 64 characters; None when no
    word is left (only [A-Za-z0-9] words can travel)."""
    words = re.findall(r"[A-Za-z0-9]+", question)
    for keep in (words, [w for w in words if w.lower() not in _LINK_STOPWORDS]):
        payload = "q_" + "_".join(keep)
        if len(payload) <= DEEP_LINK and keep:
            return payload
    payload = "q_"
    for w in (w for w in words if w.lower() not in _LINK_STOPWORDS):
        if len(payload) + len(w) + 1 > DEEP_LINK:
            break
        payload += ("_" if payload != "q_" else "") + w
    return payload if payload != "q_" else None


def deep_link_question(payload: str) -> str | None:
    """The question a /start payload asks ('q_When_did_…' -> 'When did …?'), else None."""
    if not payload.startswith("q_") or not re.fullmatch(r"[A-Za-z0-9_-]{3,64}", payload):
        return None
    words = [w for w in payload[2:].replace("-", "_").split("_") if w]
    return " ".join(words) + "?" if words else None
