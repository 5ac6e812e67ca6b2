"""Reply tokens: each answers one event, once, for free, within about a minute."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.clock import Clock

# LINE guarantees a reply token for one minute after it delivered the webhook; the margin
# covers the time between our check and LINE receiving the reply.
LIFETIME = timedelta(seconds=50)


@dataclass(frozen=True, slots=True)
class _Token:
    value: str
    received_at: datetime


class ReplyTokens:
    """Each chat's unused reply tokens, oldest first (in memory: they live a minute).

    Times are our own clock's at receipt, never LINE's event timestamps, so a server
    clock that is off does not turn free replies into pushes.
    """

    def __init__(self, clock: Clock, *, lifetime: timedelta = LIFETIME) -> None:
        self._clock = clock
        self._lifetime = lifetime
        self._tokens: dict[str, deque[_Token]] = {}

    def offer(self, chat_id: str, token: str) -> None:
        """A token that just arrived with a webhook event of the chat."""
        self._forget_expired()
        self._tokens.setdefault(chat_id, deque()).append(_Token(token, self._clock()))

    def take(self, chat_id: str) -> str | None:
        """The chat's oldest fresh token, or None; it is used up, whatever comes of it."""
        held = self._tokens.get(chat_id, deque())
        found = None
        while held and found is None:
            token = held.popleft()
            found = token.value if self._fresh(token) else None
        if not held:
            self._tokens.pop(chat_id, None)
        return found

    def _fresh(self, token: _Token) -> bool:
        return self._clock() - token.received_at < self._lifetime

    def _forget_expired(self) -> None:
        for chat_id, held in list(self._tokens.items()):
            while held and not self._fresh(held[0]):
                held.popleft()
            if not held:
                del self._tokens[chat_id]
