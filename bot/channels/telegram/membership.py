"""Who may speak for the clinic: current human members of the staff group, checked briefly cached."""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import Callable

from telegram import ChatMember, ChatMemberRestricted, Message
from telegram.error import TelegramError

from bot.channels.telegram.client import TelegramBot

logger = logging.getLogger(__name__)

AHEAD_SECONDS = 30.0  # an answer asked ahead for a waiting message is used this long
MEMBER_STATUSES = frozenset({"creator", "administrator", "member"})
NOT_A_MEMBER = "スタッフグループのメンバーではないため送信できません。"
CHECK_FAILED = (
    "メンバー確認ができなかったため送信していません。少し待ってからもう一度送ってください。"
)
# Why a message in the staff group is not taken as a staff member's: (reason for the log,
# what the room is told; None: nobody to tell, e.g. another bot).
ANONYMOUS = (
    "sent as a chat",
    "匿名の管理者やチャンネルとしての投稿は受け付けません。ご自身のアカウントで送ってください。",
)
FORWARDED = ("forwarded", "転送されたメッセージは患者に送れません。ご自身で書いて送ってください。")
VIA_BOT = ("sent via a bot", "インラインボット経由のメッセージは患者に送れません。")
AUTO_FORWARD = ("automatic forward from a channel", None)
FROM_BOT = ("from a bot", None)


def refusal(message: Message) -> tuple[str, str | None] | None:
    """Why this message cannot be a staff member's own words; None if it can."""
    user = message.from_user
    if message.is_automatic_forward:
        return AUTO_FORWARD
    if message.sender_chat is not None:  # an anonymous admin, or on behalf of a channel
        return ANONYMOUS
    if user is None or user.is_bot:
        return FROM_BOT
    if message.forward_origin is not None:
        return FORWARDED
    if message.via_bot is not None:
        return VIA_BOT
    return None


def is_member(member: ChatMember) -> bool:
    """In the group now: a restricted user counts only while still a member."""
    if isinstance(member, ChatMemberRestricted):
        return member.is_member
    return member.status in MEMBER_STATUSES


class StaffMembership:
    """Asks Telegram whether a user is in the staff group; remembers the answer briefly."""

    def __init__(
        self,
        bot: TelegramBot,
        chat_id: int,
        *,
        cache_seconds: float,
        now: Callable[[], float] = time.monotonic,
    ) -> None:
        self._bot = bot
        self._chat_id = chat_id
        self._cache_seconds = cache_seconds
        self._now = now
        self._known: dict[int, tuple[bool, float]] = {}  # user id: (member, checked at)
        # Answers asked ahead, one per message waiting in the inbox: (answer, asked at);
        # one not taken within AHEAD_SECONDS is dropped (its message was never checked).
        self._ahead: dict[int, deque[tuple[bool | None, float]]] = {}
        self._asking: dict[int, asyncio.Task[bool | None]] = {}  # one question at a time

    async def ask_ahead(self, user_id: int) -> None:
        """Ask now, before the inbox's transaction, for one message of this user waiting
        in the inbox; that message's `check` takes this answer (a failure included)
        instead of asking while the store is locked."""
        answer = await self._asked(user_id)
        self._ahead.setdefault(user_id, deque()).append((answer, self._now()))

    async def check(self, user_id: int) -> bool | None:
        """Whether the user is a member now; None if Telegram could not be asked."""
        ahead = self._ahead.get(user_id)
        while ahead:
            answer, asked_at = ahead.popleft()
            if self._now() - asked_at < AHEAD_SECONDS:
                return answer
        self._ahead.pop(user_id, None)
        return await self._asked(user_id)

    async def _asked(self, user_id: int) -> bool | None:
        """The cached answer, or Telegram's (messages asking at once share one call)."""
        known = self._known.get(user_id)
        if known is not None and self._now() - known[1] < self._cache_seconds:
            return known[0]
        asking = self._asking.get(user_id)
        if asking is None:
            asking = self._asking[user_id] = asyncio.create_task(self._ask(user_id))
            asking.add_done_callback(lambda _: self._asking.pop(user_id, None))
        return await asyncio.shield(asking)

    async def _ask(self, user_id: int) -> bool | None:
        self._known.pop(user_id, None)
        try:
            member = await self._bot.get_chat_member(self._chat_id, user_id)
        except TelegramError as exc:
            logger.warning("staff membership of user %d not checked: %s", user_id, exc)
            return None
        answer = is_member(member)
        self._known[user_id] = (answer, self._now())
        return answer

    def forget(self, user_id: int) -> None:
        """Joined, left, promoted or removed: ask again next time."""
        self._known.pop(user_id, None)
        self._ahead.pop(user_id, None)
