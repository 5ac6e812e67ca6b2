"""The Telegram channel: its client, inbox worker, couriers and receiver, started and stopped."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from telegram.error import InvalidToken, TelegramError

from bot.attachments import FetchFile, no_files
from bot.channels import ChannelError
from bot.channels.telegram.admin_alert import direct_alert
from bot.channels.telegram.client import ALLOWED_UPDATES, PATIENTS, STAFF, build_bot
from bot.channels.telegram.dispatch import Dispatcher, patient_text
from bot.channels.telegram.head_start import TelegramHeadStart
from bot.channels.telegram.membership import StaffMembership
from bot.channels.telegram.patients import PatientChats
from bot.channels.telegram.polling import poll
from bot.channels.telegram.sender import TelegramSender
from bot.channels.telegram.staff import StaffRoom
from bot.channels.telegram.webhook import WebhookServer, webhook_app
from bot.clock import Clock
from bot.config import TelegramConfig
from bot.core import Conversation
from bot.inbox import AfterCommit, Inbox
from bot.kb_watch import Reloader, reload_report
from bot.messages import Reply, ReplyKind
from bot.outbox import Courier, Outbox, wind_down
from bot.staff_feed import StaffFeed
from bot.store import Store
from bot.store_alarm import StoreAlarm

logger = logging.getLogger(__name__)

Route = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass(frozen=True, slots=True)
class Timing:
    """How long to wait for what; tests shorten these."""

    request_timeout: float = 10.0
    send_retry_delays: tuple[float, ...] = (0.5, 2.0, 5.0)
    courier_interval: float = 1.0
    stop_drain: float = 10.0  # a clean stop waits this long for sends under way to finish
    poll_retry_delay: float = 5.0
    rate_limit: bool = True
    process_updates: bool = True  # False: receive and store only (for crash tests)


@dataclass(frozen=True, slots=True)
class Parts:
    """The channel-agnostic objects the Telegram channel works with."""

    store: Store
    outbox: Outbox
    conversation: Conversation
    feed: StaffFeed
    reloader: Reloader
    clock: Clock
    alarm: StoreAlarm = field(default_factory=StoreAlarm)  # shared with LINE's webhook


class TelegramChannel:
    def __init__(
        self,
        settings: TelegramConfig,
        parts: Parts,
        *,
        token: str,
        webhook_secret: str | None = None,
        timing: Timing = Timing(),
        fetch: FetchFile = no_files,
    ) -> None:
        self.settings = settings
        self._parts = parts
        self._secret = webhook_secret
        self._timing = timing
        self.bot = build_bot(
            settings, token, timeout=timing.request_timeout, rate_limit=timing.rate_limit
        )
        self.sender = TelegramSender(
            self.bot,
            parts.store,
            parts.clock,
            staff_chat_id=settings.staff_chat_id,
            urgent_pin=settings.urgent_pin,
            urgent_mention=settings.urgent_mention,
            retry_delays=timing.send_retry_delays,
            fetch=fetch,
        )
        interval = timing.courier_interval
        self.couriers = (
            Courier(parts.outbox, PATIENTS, self.sender.to_patient, interval=interval),
            Courier(parts.outbox, STAFF, self.sender.to_staff, interval=interval),
        )
        admins = frozenset(settings.admin_ids)
        staff_room = () if settings.staff_chat_id is None else (settings.staff_chat_id,)
        parts.alarm.senders.append(direct_alert(self.bot, [*settings.admin_ids, *staff_room]))
        staff = None
        membership = None
        if settings.staff_chat_id is not None:
            membership = StaffMembership(
                self.bot,
                settings.staff_chat_id,
                cache_seconds=settings.staff_member_cache_seconds,
            )
            staff = StaffRoom(
                chat_id=settings.staff_chat_id,
                desk=parts.conversation.desk,
                feed=parts.feed,
                store=parts.store,
                kb=parts.conversation.kb,
                admin_ids=admins,
                reload=lambda ticket_id: self._reload_then_tell(STAFF, parts.feed.key(ticket_id)),
                clock=parts.clock,
                membership=membership,
            )
        self.dispatcher = Dispatcher(
            self.bot,
            patients=PatientChats(self.bot, parts.conversation, parts.store, parts.clock),
            staff=staff,
            staff_chat_id=settings.staff_chat_id,
            admin_ids=admins,
            reload_for=lambda chat_id: self._reload_then_tell(PATIENTS, str(chat_id)),
            after_each=self._kick_after,
        )
        match = parts.conversation.match_ahead(patient_text)
        ahead = TelegramHeadStart(match, membership, settings.staff_chat_id)
        self.inbox = Inbox(parts.store, PATIENTS, parts.clock, head_start=ahead)
        self.webhook: WebhookServer | None = None
        self.tasks: set[asyncio.Task[None]] = set()
        self._courier_tasks: dict[asyncio.Task[None], Courier] = {}
        self._drain = timing.stop_drain
        # Other channels' couriers: staff replies here may be queued for their patients.
        self.also_kick: list[Callable[[], None]] = []
        # Other webhooks served on this channel's webhook server (LINE's, on the same port).
        self.extra_routes: list[tuple[str, Route]] = []

    def kick(self) -> None:
        """New outbox items: deliver them now."""
        for courier in self.couriers:
            courier.kick()
        for kick in self.also_kick:
            kick()

    async def start(self) -> None:
        try:
            await self.bot.initialize()  # getMe: a wrong token fails here
        except InvalidToken as exc:
            raise ChannelError(f"telegram: the bot token was refused ({exc})") from None
        await self._check_staff_chat()
        if self.settings.mode == "webhook":
            await self._start_webhook()
        else:
            await self.bot.delete_webhook()  # getUpdates refuses to work while one is set
            self._spawn(
                poll(
                    self.bot,
                    self.inbox,
                    timeout=self.settings.poll_timeout,
                    retry_delay=self._timing.poll_retry_delay,
                    alarm=self._parts.alarm,
                    read_timeout=self._timing.request_timeout,
                )
            )
        if self._timing.process_updates:
            self._spawn(self.inbox.run(self.dispatcher.handle))
        for courier in self.couriers:
            self._courier_tasks[self._spawn(courier.run())] = courier
        logger.info("telegram: started in %s mode as @%s", self.settings.mode, self.bot.username)

    async def stop(self) -> None:
        """Stop receiving first; updates not yet processed stay in the inbox for next time."""
        if self.webhook is not None:
            await self.webhook.stop()
        await wind_down(self.tasks, self._courier_tasks, drain=self._drain)
        await self._parts.alarm.close()
        with contextlib.suppress(TelegramError):
            await self.bot.shutdown()

    async def notify_admins(self, text: str) -> None:
        for admin in self.settings.admin_ids:
            await self._parts.outbox.enqueue(PATIENTS, str(admin), [Reply(text)])
        self.kick()

    async def _kick_after(self) -> None:
        self.kick()

    def _reload_then_tell(self, channel: str, chat_key: str) -> AfterCommit:
        async def reload() -> None:
            problems = await self._parts.reloader.reload()
            text = reload_report(problems, self._parts.reloader.entries)
            kind = ReplyKind.STAFF_NOTICE if channel == STAFF else ReplyKind.ANSWER
            await self._parts.outbox.enqueue(channel, chat_key, [Reply(text, kind=kind)])
            self.kick()

        return reload

    async def _start_webhook(self) -> None:
        hook = self.settings.webhook
        if self._secret is None:
            raise ChannelError(f"telegram.webhook.secret_env: {hook.secret_env} is not set")
        app = webhook_app(self.inbox, path=hook.path, secret=self._secret, alarm=self._parts.alarm)
        for path, route in self.extra_routes:
            app.router.add_post(path, route)
        self.webhook = WebhookServer(app, listen=hook.listen, port=hook.port)
        await self.webhook.start()
        if hook.url is not None:
            await self.bot.set_webhook(
                hook.url, secret_token=self._secret, allowed_updates=ALLOWED_UPDATES
            )

    async def _check_staff_chat(self) -> None:
        chat_id = self.settings.staff_chat_id
        if chat_id is None:
            logger.warning("telegram.staff_chat_id is not set: tickets only via `faqbot tickets`")
            return
        try:
            chat = await self.bot.get_chat(chat_id)
            member = await self.bot.get_chat_member(chat_id, self.bot.id)
        except TelegramError as exc:
            logger.error(
                "telegram: cannot see the staff chat (%s); is the bot in it?", type(exc).__name__
            )
            return
        self.sender.staff_is_forum = bool(chat.is_forum)
        if not chat.is_forum:
            logger.warning("telegram: the staff chat has no topics; tickets thread by replies")
        if member.status != "administrator":
            logger.warning("telegram: the bot is no admin of the staff chat: no topics, no pins")

    def _spawn(self, work: Coroutine[Any, Any, None]) -> asyncio.Task[None]:
        task = asyncio.create_task(work)
        self.tasks.add(task)  # kept: a task nobody references may be collected mid-way
        return task
