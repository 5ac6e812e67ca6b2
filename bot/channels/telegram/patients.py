"""Patients' private chats: Telegram messages and button presses in, the core's replies out."""

from __future__ import annotations

from typing import Any

from telegram import CallbackQuery, InlineKeyboardMarkup, Message

from bot.channels.telegram.client import PATIENTS, TelegramBot
from bot.clock import Clock
from bot.core import Conversation
from bot.inbox import AfterCommit
from bot.messages import Attachment, IncomingMessage, Reply
from bot.store import Store

# Buttons that make no sense pressed twice: taken away once pressed.
ONE_SHOT = ("feedback:", "forget:")


def command_of(message: Message) -> str | None:
    """The command name of "/start" or "/Menu@clinic_bot …", lower case; None if no command."""
    text = message.text or ""
    if not text.startswith("/") or len(text) < 2:
        return None
    return text[1:].split(maxsplit=1)[0].split("@", 1)[0].lower()


def attachment_of(message: Message) -> Attachment | None:
    """A photo (its largest size), document, voice or video message; None for anything else."""
    if message.photo:
        return Attachment("photo", message.photo[-1].file_id)
    if message.document is not None:
        return Attachment("document", message.document.file_id)
    if message.voice is not None:
        return Attachment("voice", message.voice.file_id)
    if message.video is not None:
        return Attachment("video", message.video.file_id)
    return None


def incoming(message: Message) -> IncomingMessage:
    """The neutral message; stickers, locations and the like arrive as an empty text."""
    assert message.from_user is not None
    user_id, chat_id = str(message.from_user.id), str(message.chat.id)
    number = str(message.message_id)
    command = command_of(message)
    if command is not None:
        return IncomingMessage(PATIENTS, user_id, chat_id, command, number, kind="command")
    text = message.text or message.caption or ""
    return IncomingMessage(
        PATIENTS, user_id, chat_id, text, number, attachment=attachment_of(message)
    )


def plain_text(update: dict[str, Any]) -> IncomingMessage | None:
    """`incoming()` read straight from the Bot API's JSON, for the commonest update: a
    patient's private text message that is not a command. None for anything else (which
    goes through PTB's `Update`). Building an `Update` was ~0.4 ms of the bot's ~5 ms a
    message under load (`python -m bench telegram`)."""
    message = update.get("message")
    if update.keys() != {"update_id", "message"} or not isinstance(message, dict):
        return None
    chat, sender, text = message.get("chat"), message.get("from"), message.get("text")
    if not isinstance(chat, dict) or chat.get("type") != "private" or not isinstance(sender, dict):
        return None
    if not isinstance(text, str) or text.startswith("/"):
        return None
    user_id, chat_id = str(sender["id"]), str(chat["id"])
    return IncomingMessage(PATIENTS, user_id, chat_id, text, str(message["message_id"]))


class PatientChats:
    """Hands patients' messages to the core and queues its replies (inside the inbox's commit)."""

    def __init__(
        self, bot: TelegramBot, conversation: Conversation, store: Store, clock: Clock
    ) -> None:
        self._bot = bot
        self._conv = conversation
        self._store = store
        self._clock = clock

    async def on_message(self, message: Message) -> list[AfterCommit]:
        return await self.on_incoming(incoming(message))

    async def on_incoming(self, msg: IncomingMessage) -> list[AfterCommit]:
        await self._queue(int(msg.chat_id), await self._conv.handle(msg))
        return []

    async def on_callback(self, query: CallbackQuery) -> list[AfterCommit]:
        message = query.message
        chat_id = message.chat.id if message is not None else query.from_user.id
        data = query.data or ""
        pressed = IncomingMessage(
            PATIENTS, str(query.from_user.id), str(chat_id), data, query.id, kind="choice"
        )
        await self._queue(chat_id, await self._conv.handle(pressed))
        actions = [self._answer(query.id)]
        if isinstance(message, Message) and data.startswith(ONE_SHOT):
            actions.append(self._take_away(message))
        return actions

    async def _queue(self, chat_id: int, replies: list[Reply]) -> None:
        async with self._store.transaction() as tx:
            now = self._clock()
            for reply in replies:
                await tx.outbox.enqueue(PATIENTS, str(chat_id), reply, now)

    def _answer(self, query_id: str) -> AfterCommit:
        async def answer() -> None:  # stops the button's spinner; nothing to retry
            await self._bot.answer_callback_query(query_id)

        return answer

    def _take_away(self, message: Message) -> AfterCommit:
        markup = message.reply_markup
        rows = [
            [b for b in row if not str(b.callback_data or "").startswith(ONE_SHOT)]
            for row in (markup.inline_keyboard if markup is not None else ())
        ]
        kept = InlineKeyboardMarkup([row for row in rows if row]) if any(rows) else None

        async def edit() -> None:
            await self._bot.edit_message_reply_markup(
                message.chat.id, message.message_id, reply_markup=kept
            )

        return edit
