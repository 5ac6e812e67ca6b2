"""When an incoming update cannot be stored: logged, refused for a retry, and admins told."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sqlite3
import time
from collections.abc import Awaitable, Callable

logger = logging.getLogger(__name__)

# What committing to the inbox raises when the database cannot be written: a disk I/O
# error, a full disk, a read-only file, a lock held past the busy timeout (all
# OperationalError), or a damaged file (DatabaseError). All are sqlite3.Error.
STORE_FAILURES: tuple[type[Exception], ...] = (sqlite3.Error,)
ALERT_EVERY = 10 * 60.0  # seconds between two alerts to admins
ALERT_TEXT = (
    "⚠️ データベースに書き込めません（{error}）。受信したメッセージを保存できないため、"
    "メッセンジャーに再送を求めています。ディスクの空き容量と権限を確認してください。"
)

Send = Callable[[str], Awaitable[None]]  # tells admins, without the database


class StoreAlarm:
    """Logs each failure to store an update; tells admins at most once per `every` seconds."""

    def __init__(
        self, *, every: float = ALERT_EVERY, now: Callable[[], float] = time.monotonic
    ) -> None:
        self._every = every
        self._now = now
        self._last: float | None = None
        self.senders: list[Send] = []  # added by the channels that can reach admins
        self._tasks: set[asyncio.Task[None]] = set()

    def failed(self, where: str, error: Exception) -> None:
        """An update from `where` was not stored; the caller refuses it so it is sent again."""
        # The error's text only ("database or disk is full"): never the update's body.
        logger.error("%s: update not stored, asked for a retry: %s", where, error)
        now = self._now()
        if self._last is not None and now - self._last < self._every:
            return
        self._last = now
        text = ALERT_TEXT.replace("{error}", str(error))
        for send in self.senders:
            # In the background: the messenger gets its 503 at once, not after the alert.
            task = asyncio.create_task(self._send(send, text))
            self._tasks.add(task)  # kept: a task nobody references may be collected
            task.add_done_callback(self._tasks.discard)

    async def close(self) -> None:
        """Stop alerts still being sent."""
        for task in list(self._tasks):
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    @staticmethod
    async def _send(send: Send, text: str) -> None:
        try:
            await send(text)
        except Exception:
            logger.exception("the alert about the database could not be sent")
