"""Routing one stored update: patients' private chats, the staff group, admins; nothing else."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable

from telegram import Update
from telegram.constants import ChatType

from bot.channels.telegram.client import TelegramBot
from bot.channels.telegram.patients import PatientChats, command_of, plain_text
from bot.channels.telegram.staff import StaffRoom
from bot.inbox import AfterCommit

logger = logging.getLogger(__name__)

ReloadFor = Callable[[int], AfterCommit]  # reload and report to an admin's private chat


class Dispatcher:
    """The inbox handler of the Telegram channel."""

    def __init__(
        self,
        bot: TelegramBot,
        *,
        patients: PatientChats,
        staff: StaffRoom | None,
        staff_chat_id: int | None,
        admin_ids: frozenset[int],
        reload_for: ReloadFor,
        after_each: AfterCommit,
    ) -> None:
        self._bot = bot
        self._patients = patients
        self._staff = staff
        self._staff_chat_id = staff_chat_id
        self._admins = admin_ids
        self._reload_for = reload_for
        self._after_each = after_each

    async def handle(self, payload: str) -> list[AfterCommit]:
        data = json.loads(payload)
        message = plain_text(data)
        if message is not None:  # the commonest update, without building an Update
            return [*await self._patients.on_incoming(message), self._after_each]
        return [*await self._route(Update.de_json(data, self._bot)), self._after_each]

    async def _route(self, update: Update) -> list[AfterCommit]:
        query = update.callback_query
        if query is not None:
            private = query.message is not None and query.message.chat.type == ChatType.PRIVATE
            return await self._patients.on_callback(query) if private else []
        if update.chat_member is not None:
            changed = update.chat_member
            if self._staff is not None and changed.chat.id == self._staff_chat_id:
                self._staff.member_changed(changed.new_chat_member.user.id)
            return []
        message = update.message
        if message is None:
            return []  # edits and other updates we did not ask for
        if self._staff is not None and message.chat.id == self._staff_chat_id:
            return await self._staff.on_message(message)  # it checks who is speaking
        if message.from_user is None:
            return []
        if message.chat.type == ChatType.PRIVATE:
            if command_of(message) == "reload" and message.from_user.id in self._admins:
                return [self._reload_for(message.chat.id)]
            return await self._patients.on_message(message)
        # a group's id is no patient's data; admins need it for telegram.staff_chat_id
        logger.info(
            "update %d from chat %d, neither private nor the staff group: ignored",
            update.update_id,
            message.chat.id,
        )
        return []


def patient_text(payload: str) -> str | None:
    """The words of a stored update that the core will match: a private message's text or
    caption, not a command (the inbox's head start, bot/decisions.py)."""
    message = json.loads(payload).get("message")
    if not isinstance(message, dict) or message.get("chat", {}).get("type") != "private":
        return None
    text = message.get("text") or message.get("caption")
    return text if isinstance(text, str) and not text.startswith("/") else None
