"""The outbox's `send` for Telegram: patients' chats and the staff group's topics."""

from __future__ import annotations

import asyncio
import logging
import mimetypes
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any, TypeVar

from telegram import InlineKeyboardMarkup, InputFile, Message, ReplyParameters
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter

from bot.attachments import FetchFile, no_files
from bot.channels.telegram.client import (
    CALLBACK_DATA_BYTES,
    CAPTION_CHARS,
    MESSAGE_CHARS,
    PATIENTS,
    TelegramBot,
)
from bot.channels.telegram.forgotten import mark_forgotten
from bot.clock import Clock
from bot.forgetting import topic_of
from bot.messages import Attachment, Choice, ReplyKind
from bot.outbox import PermanentFailure
from bot.records import OutboxItem
from bot.staff_feed import channel_label, ticket_of
from bot.store import Store
from bot.text_split import split_text, utf16_len

logger = logging.getLogger(__name__)
T = TypeVar("T")


class ThreadGone(PermanentFailure):
    """Staff deleted the patient's topic; a new one is made."""


@dataclass(frozen=True, slots=True)
class Part:
    """One Telegram message of an outbox item."""

    text: str | None
    attachment: Attachment | None = None
    markup: dict[str, Any] | None = None  # an InlineKeyboardMarkup as the Bot API's JSON


def keyboard(choices: Sequence[Choice]) -> dict[str, Any] | None:
    """One button per row (labels are whole questions); payloads over 64 bytes are left out.

    The Bot API's JSON rather than PTB's objects: a hot path (most answers carry buttons),
    and building the objects for PTB to turn back into JSON cost more than the send."""
    rows = []
    for choice in choices:
        if len(choice.payload.encode()) > CALLBACK_DATA_BYTES:
            logger.warning("button payload over %d bytes left out", CALLBACK_DATA_BYTES)
            continue
        rows.append([{"text": choice.label, "callback_data": choice.payload}])
    return {"inline_keyboard": rows} if rows else None


def parts(text: str, choices: Sequence[Choice], attachment: Attachment | None) -> list[Part]:
    """The messages for one reply: long text split, the buttons under the last one."""
    markup = keyboard(choices)
    if attachment is not None and utf16_len(text) <= CAPTION_CHARS:
        return [Part(text or None, attachment, markup)]
    pieces = [Part(piece) for piece in split_text(text, MESSAGE_CHARS)] if text else []
    if attachment is not None:
        pieces.append(Part(None, attachment))
    if markup is not None and pieces:
        pieces[-1] = Part(pieces[-1].text, pieces[-1].attachment, markup)
    return pieces


class TelegramSender:
    """Sends outbox items, retrying network errors, 5xx and 429 with back-off."""

    def __init__(
        self,
        bot: TelegramBot,
        store: Store,
        clock: Clock,
        *,
        staff_chat_id: int | None,
        urgent_pin: bool,
        urgent_mention: str | None,
        retry_delays: Sequence[float],
        fetch: FetchFile = no_files,
    ) -> None:
        self._bot = bot
        self._fetch = fetch  # files patients sent on other messengers, relayed to staff
        self._store = store
        self._clock = clock
        self._staff_chat_id = staff_chat_id
        self._urgent_pin = urgent_pin
        self._urgent_mention = urgent_mention
        self._retry_delays = tuple(retry_delays)
        self.staff_is_forum: bool | None = None  # learnt from getChat

    async def to_patient(self, item: OutboxItem) -> None:
        await self._deliver(int(item.chat_id), item, thread=None, reply_to=None)

    async def to_staff(self, item: OutboxItem) -> None:
        chat = self._staff_chat_id
        if chat is None:
            raise PermanentFailure("no staff chat is configured")
        forgotten = topic_of(item.chat_id)
        if forgotten is not None:
            try:
                await mark_forgotten(self._bot, forgotten, item.reply.text, self._call)
            except ThreadGone:  # staff deleted the topic themselves: nothing left to mark
                logger.info("a forgotten patient's staff topic was already deleted")
            return
        ticket_id = ticket_of(item.chat_id)
        text = item.reply.text
        loud = item.reply.kind is ReplyKind.STAFF_URGENT
        if loud and self._urgent_mention:
            text = f"{text}\n{self._urgent_mention}"
        for _ in range(2):  # a second time only if the topic was deleted
            thread, reply_to = await self._staff_place(chat, ticket_id)
            try:
                sent = await self._deliver(chat, item, thread=thread, reply_to=reply_to, text=text)
            except ThreadGone:
                await self._forget_topic(ticket_id)
                continue
            break
        else:
            raise PermanentFailure("the staff topic could not be made again")
        if ticket_id is not None:
            # not durable, like the outbox's marks (bot/store.py: Store.transaction)
            async with self._store.transaction(durable=False) as tx:
                for message_id in sent:
                    await tx.staff.add_post(str(chat), message_id, ticket_id)
        if loud and self._urgent_pin and sent:
            await self._pin(chat, sent[0])

    async def is_forum(self) -> bool:
        if self.staff_is_forum is None and self._staff_chat_id is not None:
            chat = await self._call(lambda: self._bot.get_chat(self._staff_chat_id or 0))
            self.staff_is_forum = bool(chat.is_forum)
        return bool(self.staff_is_forum)

    async def _staff_place(self, chat: int, ticket_id: int | None) -> tuple[int | None, int | None]:
        """(topic thread, message to reply to) for a ticket: its topic, or its first post."""
        if ticket_id is None:
            return None, None
        async with self._store.transaction(write=False) as tx:
            ticket = await tx.tickets.get(ticket_id)
            if ticket is None:
                raise PermanentFailure(f"ticket #{ticket_id} no longer exists")
            thread = await tx.staff.topic(ticket.patient_id, str(chat))
            first = await tx.staff.first_post(str(chat), ticket_id)
        if not await self.is_forum():
            return None, first  # a group without topics: replies thread on the first post
        if thread is None:
            name = f"患者 #{ticket.patient_id}"
            if ticket.channel != PATIENTS:  # staff should know where their reply goes
                name += f"（{channel_label(ticket.channel)}）"
            topic = await self._call(lambda: self._bot.create_forum_topic(chat, name))
            thread = topic.message_thread_id
            async with self._store.transaction() as tx:
                await tx.staff.set_topic(ticket.patient_id, str(chat), thread, self._clock())
        return thread, None

    async def _forget_topic(self, ticket_id: int | None) -> None:
        async with self._store.transaction() as tx:
            ticket = await tx.tickets.get(ticket_id) if ticket_id is not None else None
            if ticket is not None:
                await tx.staff.drop_topic(ticket.patient_id)

    async def _deliver(
        self,
        chat: int,
        item: OutboxItem,
        *,
        thread: int | None,
        reply_to: int | None,
        text: str | None = None,
    ) -> list[int]:
        """Send the item's parts not yet sent, recording progress after each; their ids."""
        reply = item.reply
        planned = parts(reply.text if text is None else text, reply.choices, reply.attachment)
        sent: list[int] = []
        for number, part in enumerate(planned):
            if number < item.progress:
                continue
            sent.append(await self._call(partial(self._send_part, chat, part, thread, reply_to)))
            if number + 1 < len(planned):
                async with self._store.transaction(durable=False) as tx:
                    await tx.outbox.set_progress(item.id, number + 1)
        return sent

    async def _send_part(
        self, chat: int, part: Part, thread: int | None, reply_to: int | None
    ) -> int:
        """Send one part; the sent message's id."""
        if part.attachment is None:
            # Raw: only the id is needed, and a `Message` object costs more than the send.
            message: dict[str, Any] = await self._bot.call(
                "sendMessage",
                {
                    "chat_id": chat,
                    "text": part.text or "",
                    "message_thread_id": thread,
                    "reply_parameters": _reply_to(reply_to),
                    "reply_markup": part.markup,
                },
            )
            return int(message["message_id"])
        return (await self._send_file(chat, part, thread, reply_to)).message_id

    async def _send_file(
        self, chat: int, part: Part, thread: int | None, reply_to: int | None
    ) -> Message:
        markup = part.markup and InlineKeyboardMarkup.de_json(part.markup, self._bot)
        where = {
            "message_thread_id": thread,
            "reply_parameters": _reply_to(reply_to),
            "reply_markup": markup,
        }
        file = part.attachment
        assert file is not None
        caption = part.text
        fetched = await self._fetch(file)
        if fetched is not None:  # bytes from another messenger: upload them
            if file.kind == "photo":
                return await self._bot.send_photo(chat, fetched.data, caption=caption, **where)  # type: ignore[arg-type]
            extension = mimetypes.guess_extension(fetched.content_type) or ""
            upload = InputFile(fetched.data, filename=f"{file.kind}{extension}")
            return await self._bot.send_document(chat, upload, caption=caption, **where)  # type: ignore[arg-type]
        if file.kind == "photo":
            return await self._bot.send_photo(chat, file.ref, caption=caption, **where)  # type: ignore[arg-type]
        if file.kind == "voice":
            return await self._bot.send_voice(chat, file.ref, caption=caption, **where)  # type: ignore[arg-type]
        if file.kind == "video":
            return await self._bot.send_video(chat, file.ref, caption=caption, **where)  # type: ignore[arg-type]
        return await self._bot.send_document(chat, file.ref, caption=caption, **where)  # type: ignore[arg-type]

    async def _pin(self, chat: int, message_id: int) -> None:
        try:
            await self._call(lambda: self._bot.pin_chat_message(chat, message_id))
        except Exception:  # the alert itself is out; a missing pin is no reason to resend
            logger.warning("could not pin the urgent message in the staff chat", exc_info=True)

    async def _call(self, request: Callable[[], Awaitable[T]]) -> T:
        """Make a Bot API call, retrying what may pass: network errors, 5xx, 429."""
        attempts = len(self._retry_delays) + 1
        for attempt in range(attempts):
            try:
                return await request()
            except Forbidden as exc:  # blocked by the patient, removed from the group
                raise PermanentFailure(str(exc)) from exc
            except BadRequest as exc:  # the same request would be refused again
                if "thread not found" in str(exc).lower():
                    raise ThreadGone(str(exc)) from exc
                raise PermanentFailure(str(exc)) from exc
            except RetryAfter as exc:
                if attempt + 1 == attempts:
                    raise
                wait = _seconds(exc.retry_after)
            except NetworkError:  # also TimedOut and HTTP 5xx
                if attempt + 1 == attempts:
                    raise
                wait = self._retry_delays[attempt]
            logger.info("Bot API call failed; retrying in %.1f s", wait)
            await asyncio.sleep(wait)
        raise AssertionError("unreachable")


def _reply_to(message_id: int | None) -> ReplyParameters | None:
    """In a group without topics, staff posts thread on the ticket's first post."""
    if message_id is None:
        return None
    return ReplyParameters(message_id, allow_sending_without_reply=True)


def _seconds(value: object) -> float:
    from datetime import timedelta

    return value.total_seconds() if isinstance(value, timedelta) else float(value)  # type: ignore[arg-type]
