"""The LINE channel: its client, webhook, inbox worker and courier, started and stopped."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from bot.channels import ChannelError
from bot.channels.line.client import CHANNEL, LineApi, LineError
from bot.channels.line.content import LineContent
from bot.channels.line.events import replyable
from bot.channels.line.patients import LinePatients, OnUnfollow, log_unfollow, patient_text
from bot.channels.line.sender import LineSender, OnQuota, log_quota
from bot.channels.line.tokens import LIFETIME, ReplyTokens
from bot.channels.line.webhook import Handler, webhook_handler
from bot.clock import Clock
from bot.core import Conversation
from bot.inbox import AfterCommit, Inbox
from bot.outbox import Courier, Outbox, wind_down
from bot.store import Store
from bot.store_alarm import StoreAlarm

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class LineTiming:
    """How long to wait for what; tests shorten these."""

    request_timeout: float = 10.0
    courier_interval: float = 1.0
    stop_drain: float = 10.0  # a clean stop waits this long for sends under way to finish
    loading_seconds: int = 20  # 5 to 60, a multiple of 5; it ends when our answer arrives
    reply_token_seconds: float = LIFETIME.total_seconds()
    process_updates: bool = True  # False: receive and store only (for crash tests)


@dataclass(frozen=True, slots=True)
class LineHosts:
    """Where the Messaging API is; None: LINE's own hosts (tests give a local fake)."""

    api: str | None = None
    data: str | None = None


class LineChannel:
    """Patients on a LINE official account; staff see them in the staff channel's tickets."""

    def __init__(
        self,
        *,
        channel_secret: str,
        access_token: str,
        store: Store,
        outbox: Outbox,
        conversation: Conversation,
        clock: Clock,
        hosts: LineHosts = LineHosts(),
        timing: LineTiming = LineTiming(),
        on_quota: OnQuota = log_quota,
        on_unfollow: OnUnfollow = log_unfollow,
        alarm: StoreAlarm | None = None,
    ) -> None:
        self._timing = timing
        self.api = LineApi(
            access_token, host=hosts.api, data_host=hosts.data, timeout=timing.request_timeout
        )
        self.tokens = ReplyTokens(clock, lifetime=timedelta(seconds=timing.reply_token_seconds))
        self.sender = LineSender(self.api, store, self.tokens, on_quota=on_quota)
        self.content = LineContent(self.api)
        self.courier = Courier(outbox, CHANNEL, self.sender.send, interval=timing.courier_interval)
        self.patients = LinePatients(conversation, store, clock, on_unfollow=on_unfollow)
        ahead = conversation.match_ahead(patient_text)
        self.inbox = Inbox(store, CHANNEL, clock, head_start=ahead)
        self.alarm = alarm or StoreAlarm()  # the app's: it alerts admins on Telegram
        self.webhook: Handler = webhook_handler(
            channel_secret=channel_secret, receive=self.receive, alarm=self.alarm
        )
        self.tasks: set[asyncio.Task[None]] = set()
        self._courier_tasks: dict[asyncio.Task[None], Courier] = {}
        # The staff channel's couriers: a LINE patient's message may be queued for staff.
        self.also_kick: list[Callable[[], None]] = []
        self._loading: set[asyncio.Task[None]] = set()

    async def start(self) -> None:
        try:
            name = await self.api.bot_name()
        except LineError as exc:
            raise ChannelError(f"line: the Messaging API refused us ({exc})") from None
        if self._timing.process_updates:
            self._spawn(self.inbox.run(self.handle))
        self._courier_tasks[self._spawn(self.courier.run())] = self.courier
        logger.info("line: started as %s", name)

    async def stop(self) -> None:
        """Stop working; events not yet processed stay in the inbox for next time."""
        for task in self._loading:
            task.cancel()
        for task in list(self._loading):
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await wind_down(self.tasks, self._courier_tasks, drain=self._timing.stop_drain)
        await self.alarm.close()
        await self.api.close()

    def kick(self) -> None:
        """New outbox items for LINE (or for staff): deliver them now."""
        self.courier.kick()
        for kick in self.also_kick:
            kick()

    async def receive(self, events: Sequence[tuple[str, str]]) -> None:
        """The webhook's events: committed (redeliveries dropped), then worked on apart.

        Reply tokens are kept from now: LINE's minute runs from the webhook's delivery.
        """
        await self.inbox.receive(events)
        for _, payload in events:
            event = replyable(payload)
            if event is None:
                continue
            self.tokens.offer(event.user_id, event.reply_token)
            if not event.redelivery:
                task = asyncio.create_task(self._show_loading(event.user_id))
                self._loading.add(task)  # kept: a task nobody references may be collected
                task.add_done_callback(self._loading.discard)

    async def handle(self, payload: str) -> list[AfterCommit]:
        """The inbox handler: the core's answer queued, then the courier kicked."""
        return [*await self.patients.handle(payload), self._kick_after]

    async def _kick_after(self) -> None:
        self.kick()

    async def _show_loading(self, user_id: str) -> None:
        try:
            await self.api.show_loading(user_id, self._timing.loading_seconds)
        except LineError as exc:  # only a courtesy; the answer comes all the same
            logger.info("LINE loading animation not shown: %s", exc)

    def _spawn(self, work: Coroutine[Any, Any, None]) -> asyncio.Task[None]:
        task = asyncio.create_task(work)
        self.tasks.add(task)  # kept: a task nobody references may be collected mid-way
        return task
