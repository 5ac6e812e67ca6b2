"""The Telegram inbox's head start (bot.inbox.HeadStart): what needs no store is done as
updates arrive, and awaited before the transaction that handles them opens, so that the
store's lock is never held while waiting on it: patients' words go to the matcher's worker
(bot/decisions.py), and staff senders' membership is asked of Telegram (getChatMember,
when its cache has run out), which used to hold the lock for a whole round trip."""

from __future__ import annotations

import asyncio
import functools
import json
from collections.abc import Sequence

from bot.channels.telegram.membership import StaffMembership
from bot.decisions import MatchAhead

# Messages refused before anyone's membership is asked (bot/channels/telegram/membership.py)
NOT_THEIR_OWN = ("sender_chat", "forward_origin", "via_bot", "is_automatic_forward")
ASK_TIMEOUT = 15.0  # seconds; past it the check asks again inside the transaction


class TelegramHeadStart:
    def __init__(
        self, match: MatchAhead, membership: StaffMembership | None, staff_chat_id: int | None
    ) -> None:
        self._match = match
        self._membership = membership
        self._staff_chat_id = staff_chat_id
        self._asking: dict[str, asyncio.Task[None]] = {}  # payload: its sender's membership

    def start(self, payloads: Sequence[str]) -> None:
        self._match.start(payloads)
        if self._membership is None:
            return
        for payload in payloads:
            sender = self._staff_sender(payload)
            if sender is not None and payload not in self._asking:
                task = asyncio.create_task(self._membership.ask_ahead(sender))
                self._asking[payload] = task
                task.add_done_callback(functools.partial(self._asked, payload))

    def _asked(self, payload: str, task: asyncio.Task[None]) -> None:
        self._asking.pop(payload, None)

    async def finished(self, payloads: Sequence[str]) -> None:
        await self._match.finished(payloads)
        asking = [self._asking[p] for p in payloads if p in self._asking]
        if asking:
            await asyncio.wait(asking, timeout=ASK_TIMEOUT)

    def _staff_sender(self, payload: str) -> int | None:
        """Who wrote this message in the staff group, if it is one whose sender's
        membership will be checked: a person's own command or words in a patient's topic
        (or reply), not forwarded. Whether they may speak is decided when it is handled."""
        message = json.loads(payload).get("message")
        if not isinstance(message, dict) or self._staff_chat_id is None:
            return None
        chat, sender = message.get("chat") or {}, message.get("from") or {}
        if chat.get("id") != self._staff_chat_id or not isinstance(sender.get("id"), int):
            return None
        if sender.get("is_bot") or any(key in message for key in NOT_THEIR_OWN):
            return None
        addressed = "message_thread_id" in message or "reply_to_message" in message
        if not addressed and not str(message.get("text", "")).startswith("/"):
            return None  # talk in the main thread stays among staff
        return int(sender["id"])
