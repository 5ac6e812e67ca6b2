"""The composition root: every object of `faqbot run` is built and wired here, and only here."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Coroutine
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any

from bot.channels import ChannelError
from bot.channels.telegram.channel import Parts, TelegramChannel, Timing
from bot.channels.telegram.client import STAFF
from bot.clock import Clock, utc_now
from bot.config import Config
from bot.core import Conversation
from bot.kb_holder import KbHolder
from bot.kb_watch import Reloader, reload_report
from bot.outbox import RETRY_DELAYS, Outbox
from bot.reminders import remind_waiting
from bot.staff_feed import StaffFeed
from bot.store import Store

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Tuning:
    """Timings of the whole app; production uses the defaults, tests shorten them."""

    telegram: Timing = field(default_factory=Timing)
    outbox_retry_delays: tuple[float, ...] = RETRY_DELAYS
    reminder_interval: float = 60.0


class App:
    """The running bot: `async with await App.open(config) as app: await app.wait()`."""

    def __init__(
        self,
        config: Config,
        store: Store,
        reloader: Reloader,
        telegram: TelegramChannel,
        feed: StaffFeed,
        clock: Clock,
        tuning: Tuning,
    ) -> None:
        self.config = config
        self.store = store
        self.reloader = reloader
        self.telegram = telegram
        self.feed = feed
        self._clock = clock
        self._tuning = tuning
        self._tasks: set[asyncio.Task[None]] = set()

    @classmethod
    async def open(
        cls, config: Config, *, clock: Clock = utc_now, tuning: Tuning = Tuning()
    ) -> App:
        """Build everything; raises KnowledgeBaseError, StoreError or ChannelError."""
        telegram_settings = config.telegram
        token = telegram_settings.token() if telegram_settings is not None else None
        if telegram_settings is None or token is None:
            raise ChannelError("no messenger is configured")
        holder = await asyncio.to_thread(KbHolder.from_path, config.faq.path)
        store = await Store.open(config.storage.path)
        feed = StaffFeed(store, STAFF, config.clinic, clock)
        outbox = Outbox(
            store, clock, on_failed=feed.delivery_failed, retry_delays=tuning.outbox_retry_delays
        )
        has_staff = telegram_settings.staff_chat_id is not None
        conversation = (
            Conversation(holder, store, config, clock=clock, alerts=feed.alert)
            if has_staff
            else Conversation(holder, store, config, clock=clock)
        )
        reloader = Reloader(holder)
        parts = Parts(store, outbox, conversation, feed, reloader, clock)
        telegram = TelegramChannel(
            telegram_settings,
            parts,
            token=token,
            webhook_secret=telegram_settings.webhook.secret(),
            timing=tuning.telegram,
        )
        return cls(config, store, reloader, telegram, feed, clock, tuning)

    async def start(self) -> None:
        await self.telegram.start()
        interval = self.config.faq.reload_check_seconds
        if interval > 0:
            self._spawn(self.reloader.watch(interval, self._reload_failed))
        if self.config.telegram is not None and self.config.telegram.staff_chat_id is not None:
            self._spawn(self._remind())

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in list(self._tasks):
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await self.telegram.stop()
        await self.store.close()

    async def wait(self, stopping: asyncio.Event) -> None:
        """Until `stopping` is set; raises ChannelError if a channel's task dies."""
        stop = asyncio.create_task(stopping.wait())
        try:
            done, _ = await asyncio.wait(
                {stop, *self.telegram.tasks}, return_when=asyncio.FIRST_COMPLETED
            )
        finally:
            stop.cancel()
        for task in done:
            if task is not stop and task.exception() is not None:
                raise ChannelError(f"telegram stopped: {task.exception()!r}")

    async def __aenter__(self) -> App:
        try:
            await self.start()
        except BaseException:
            await self.stop()
            raise
        return self

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        await self.stop()

    async def _reload_failed(self, problems: list[Any]) -> None:
        await self.telegram.notify_admins(reload_report(problems, self.reloader.entries))

    async def _remind(self) -> None:
        while True:
            try:
                if await remind_waiting(self.store, self.feed, self.config.clinic, self._clock):
                    self.telegram.kick()
            except Exception:
                logger.exception("ticket reminders failed; trying again later")
            await asyncio.sleep(self._tuning.reminder_interval)

    def _spawn(self, work: Coroutine[Any, Any, None]) -> None:
        self._tasks.add(asyncio.create_task(work))
