"""The composition root: every object of `faqbot run` is built and wired here, and only here."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Coroutine
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any

from aiohttp import web

from bot.attachments import FileData
from bot.channels import ChannelError
from bot.channels.line.channel import LineChannel, LineHosts, LineTiming
from bot.channels.line.client import CHANNEL as LINE
from bot.channels.telegram.channel import Parts, TelegramChannel, Timing
from bot.channels.telegram.client import PATIENTS, STAFF
from bot.channels.telegram.files import download
from bot.channels.telegram.webhook import WebhookServer
from bot.clock import Clock, utc_now
from bot.config import Config, ConsoleConfig, LineConfig, TelegramConfig
from bot.console.auth import Auth
from bot.console.routes import ConsoleContext, FetchThreadFile, StaffNotice, no_staff_notice
from bot.console.server import ConsoleServer
from bot.core import Conversation
from bot.decisions import Decider
from bot.failsafe import open_holder
from bot.kb_watch import Reloader, reload_report
from bot.logsafety import install as install_redaction
from bot.messages import Attachment
from bot.outbox import RETRY_DELAYS, Outbox
from bot.records import ThreadFile
from bot.reminders import remind_waiting
from bot.retention import retention_loop
from bot.staff_feed import StaffFeed
from bot.store import Store
from bot.store_alarm import StoreAlarm
from bot.urgent_realert import realert_urgent

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Tuning:
    """Timings of the whole app; production uses the defaults, tests shorten them."""

    telegram: Timing = field(default_factory=Timing)
    line: LineTiming = field(default_factory=LineTiming)
    outbox_retry_delays: tuple[float, ...] = RETRY_DELAYS
    reminder_interval: float = 60.0


def _secret(value: str | None, key: str, env: str, what: str) -> str:
    if value is None:
        raise ChannelError(f"{key}: the environment variable {env} is not set (it holds {what})")
    return value


class App:
    """The running bot: `async with await App.open(config) as app: await app.wait()`."""

    def __init__(
        self,
        config: Config,
        store: Store,
        reloader: Reloader,
        telegram: TelegramChannel | None,
        line: LineChannel | None,
        parts: Parts,
        tuning: Tuning,
    ) -> None:
        self.config = config
        self.store = store
        self.reloader = reloader
        self.conversation = parts.conversation
        self.outbox = parts.outbox
        self.telegram = telegram
        self.line = line
        self.feed = parts.feed
        self._clock = parts.clock
        self._tuning = tuning
        self._tasks: set[asyncio.Task[None]] = set()
        self.kb_problems: list[Any] = []  # why the fail-safe knowledge base is in use, if it is
        self.line_webhook: WebhookServer | None = None  # None also when shared with Telegram's
        self.console: ConsoleServer | None = None
        if telegram is not None and line is not None:
            # Staff replies in Telegram go out on LINE; LINE patients' messages reach staff.
            telegram.also_kick.append(line.courier.kick)
            line.also_kick.extend(courier.kick for courier in telegram.couriers)

    @classmethod
    async def open(
        cls, config: Config, *, clock: Clock = utc_now, tuning: Tuning = Tuning()
    ) -> App:
        """Build everything; raises StoreError or ChannelError.

        A knowledge base that does not load does not stop the bot: it starts with the
        fail-safe one (bot/failsafe.py), and admins are told why.
        """
        tg, ln = config.telegram, config.line
        if tg is None and ln is None and config.console is None:
            raise ChannelError("no messenger and no console is configured")
        token = None
        if tg is not None:
            token = _secret(tg.token(), "telegram.token_env", tg.token_env, "the bot token")
        line_secrets = _line_secrets(ln) if ln is not None else None
        # Whatever any library logs, these never reach a log line (bot/logsafety.py).
        install_redaction(
            token,
            tg.webhook.secret() if tg is not None else None,
            *(line_secrets or ()),
        )
        holder, kb_problems = await asyncio.to_thread(open_holder, config.faq.path)
        store = await Store.open(config.storage.path)
        feed = StaffFeed(store, STAFF, config.clinic, clock)
        outbox = Outbox(
            store, clock, on_failed=feed.delivery_failed, retry_delays=tuning.outbox_retry_delays
        )
        has_staff = tg is not None and tg.staff_chat_id is not None
        decider = Decider(worker=config.faq.matcher_process and (tg or ln) is not None)
        conversation = (
            Conversation(
                holder,
                store,
                config,
                clock=clock,
                alerts=feed.alert,
                staff_channel=STAFF,
                decider=decider,
            )
            if has_staff
            else Conversation(holder, store, config, clock=clock, decider=decider)
        )
        reloader = Reloader(holder)
        alarm = StoreAlarm()  # Telegram's channel adds a way to alert admins
        parts = Parts(store, outbox, conversation, feed, reloader, clock, alarm)
        line = None
        if ln is not None and line_secrets is not None:
            line = LineChannel(
                channel_secret=line_secrets[0],
                access_token=line_secrets[1],
                store=store,
                outbox=outbox,
                conversation=conversation,
                clock=clock,
                hosts=LineHosts(api=ln.api_url, data=ln.data_api_url),
                timing=tuning.line,
                alarm=alarm,
            )
        telegram = None
        if tg is not None and token is not None:
            beside = (line, ln) if line is not None and ln is not None else None
            telegram = _telegram(tg, token, parts, tuning, beside)
        app = cls(config, store, reloader, telegram, line, parts, tuning)
        app.kb_problems = kb_problems
        return app

    async def start(self) -> None:
        await self.conversation.start_matcher()
        if self.line is not None:
            await self.line.start()
            if not self._line_shares_telegrams_server():
                self.line_webhook = _line_server(self.line, self._line_settings())
                await self.line_webhook.start()
        if self.telegram is not None:
            await self.telegram.start()
        interval = self.config.faq.reload_check_seconds
        if interval > 0:
            self._spawn(self.reloader.watch(interval, self._reload_failed))
        if self._has_staff_room():
            self._spawn(self._remind())
        self._spawn(self._record_held_urgent())
        if self.kb_problems:
            self._spawn(self._reload_failed(self.kb_problems))
        self._spawn(retention_loop(self.store, self.config, self._clock))
        if self.config.console is not None:
            self.console = ConsoleServer(self._console_context(self.config.console))
            await self.console.start()

    async def stop(self) -> None:
        if self.console is not None:
            await self.console.stop()  # no more staff actions while the rest stops
        if self.line_webhook is not None:
            await self.line_webhook.stop()  # stop receiving first
        for task in self._tasks:
            task.cancel()
        for task in list(self._tasks):
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if self.telegram is not None:
            await self.telegram.stop()
        if self.line is not None:
            await self.line.stop()
        await self.conversation.decider.close()
        await self.store.close()

    async def wait(self, stopping: asyncio.Event) -> None:
        """Until `stopping` is set; raises ChannelError if a channel's task dies."""
        stop = asyncio.create_task(stopping.wait())
        channels: dict[asyncio.Task[Any], str] = {
            task: name
            for name, channel in (("telegram", self.telegram), ("line", self.line))
            if channel is not None
            for task in channel.tasks
        }
        try:
            done, _ = await asyncio.wait({stop, *channels}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            stop.cancel()
        for task in done:
            if task is not stop and task.exception() is not None:
                raise ChannelError(f"{channels[task]} stopped: {task.exception()!r}")

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

    def kick(self) -> None:
        """New outbox items for anyone: every channel delivers now."""
        if self.telegram is not None:
            self.telegram.kick()
        if self.line is not None:
            self.line.kick()

    def _has_staff_room(self) -> bool:
        return self.config.telegram is not None and self.config.telegram.staff_chat_id is not None

    def _console_context(self, settings: ConsoleConfig) -> ConsoleContext:
        """What the console works with: the same core, store and outbox as the messengers."""
        notice: StaffNotice = self.feed.notice if self._has_staff_room() else no_staff_notice
        return ConsoleContext(
            store=self.store,
            desk=self.conversation.desk,
            kb=self.conversation.kb,
            clock=self._clock,
            config=self.config,
            settings=settings,
            auth=Auth(
                self.store,
                self._clock,
                session_hours=settings.session_hours,
                login_attempts=settings.login_attempts,
            ),
            reloader=self.reloader,
            kick=self.kick,
            fetch=_file_fetcher(self.telegram, self.line),
            notice=notice,
        )

    def _line_settings(self) -> LineConfig:
        assert self.config.line is not None  # only called with a LINE channel
        return self.config.line

    def _line_shares_telegrams_server(self) -> bool:
        return self.telegram is not None and _shares_server(
            self.telegram.settings, self._line_settings()
        )

    async def _reload_failed(self, problems: list[Any]) -> None:
        if self.telegram is not None:
            await self.telegram.notify_admins(reload_report(problems, self.reloader.entries))
        else:
            logger.error("knowledge base reload failed: %d problems", len(problems))

    async def _remind(self) -> None:
        while True:
            try:
                if await remind_waiting(self.store, self.feed, self.config.clinic, self._clock):
                    self.kick()
                if await realert_urgent(self.store, self.feed, self.config.safety, self._clock):
                    self.kick()
            except Exception:
                logger.exception("ticket reminders failed; trying again later")
            await asyncio.sleep(self._tuning.reminder_interval)

    async def _record_held_urgent(self) -> None:
        """Urgent messages answered from memory while the store was down: recorded once it
        works again (bot/failsafe.py)."""
        while True:
            try:
                if await self.conversation.record_held_urgent():
                    self.kick()
            except Exception:
                logger.exception("recording held urgent messages failed; trying again later")
            await asyncio.sleep(self._tuning.reminder_interval)

    def _spawn(self, work: Coroutine[Any, Any, None]) -> None:
        self._tasks.add(asyncio.create_task(work))


def _file_fetcher(telegram: TelegramChannel | None, line: LineChannel | None) -> FetchThreadFile:
    """The console's way to a patient's file: from the messenger they sent it on."""

    async def fetch(file: ThreadFile) -> FileData | None:
        if file.channel == PATIENTS and telegram is not None:
            return await download(telegram.bot, file.attachment)
        if file.channel == LINE and line is not None:
            return await line.content.fetch(file.attachment)
        return None

    return fetch


def _line_secrets(settings: LineConfig) -> tuple[str, str]:
    """(channel secret, access token); a ChannelError naming the key if one is not set."""
    return (
        _secret(
            settings.channel_secret(),
            "line.channel_secret_env",
            settings.channel_secret_env,
            "the channel secret",
        ),
        _secret(
            settings.access_token(),
            "line.access_token_env",
            settings.access_token_env,
            "the channel access token",
        ),
    )


def _telegram(
    settings: TelegramConfig,
    token: str,
    parts: Parts,
    tuning: Tuning,
    line: tuple[LineChannel, LineConfig] | None,
) -> TelegramChannel:
    """The Telegram channel; with LINE beside it, it relays LINE patients' files to staff
    and, on the same address, serves LINE's webhook too."""

    async def fetch(attachment: Attachment) -> FileData | None:
        return await line[0].content.fetch(attachment) if line is not None else None

    telegram = TelegramChannel(
        settings,
        parts,
        token=token,
        webhook_secret=settings.webhook.secret(),
        timing=tuning.telegram,
        fetch=fetch,
    )
    if line is not None and _shares_server(settings, line[1]):
        telegram.extra_routes.append((line[1].webhook.path, line[0].webhook))
    return telegram


def _shares_server(telegram: TelegramConfig, line: LineConfig) -> bool:
    """Both webhooks on one address: one server with both routes (port 0 is never shared)."""
    hook = telegram.webhook
    return (
        telegram.mode == "webhook"
        and hook.port != 0
        and (hook.listen, hook.port) == (line.webhook.listen, line.webhook.port)
    )


def _line_server(line: LineChannel, settings: LineConfig) -> WebhookServer:
    app = web.Application()
    app.router.add_post(settings.webhook.path, line.webhook)
    return WebhookServer(app, listen=settings.webhook.listen, port=settings.webhook.port)
