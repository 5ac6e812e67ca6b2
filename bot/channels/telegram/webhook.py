"""Webhook mode: Telegram posts updates to our aiohttp route; 200 only after the commit."""

from __future__ import annotations

import json
import logging
import secrets

from aiohttp import web

from bot.inbox import Inbox
from bot.store_alarm import STORE_FAILURES, StoreAlarm

logger = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
# Larger request bodies are refused (413) unread: an update is a few kilobytes.
MAX_BODY = 1024 * 1024


def webhook_app(
    inbox: Inbox, *, path: str, secret: str, alarm: StoreAlarm | None = None
) -> web.Application:
    """The route: check the secret, commit the update, answer; the inbox worker processes it.

    An update that cannot be committed is answered 503, and Telegram sends it again later.
    """
    alarm = alarm or StoreAlarm()
    expected = secret.encode()

    async def receive(request: web.Request) -> web.Response:
        given = request.headers.get(SECRET_HEADER, "").encode()
        if not secrets.compare_digest(given, expected):
            logger.warning("webhook request without the right secret refused")
            return web.Response(status=403)
        try:
            update = await request.json()
            update_id = int(update["update_id"])
        except (ValueError, KeyError, TypeError):
            return web.Response(status=400)
        try:
            await inbox.receive([(str(update_id), json.dumps(update, ensure_ascii=False))])
        except STORE_FAILURES as exc:
            alarm.failed("telegram webhook", exc)
            return web.Response(status=503)
        return web.Response(status=200)

    app = web.Application(client_max_size=MAX_BODY)
    app.router.add_post(path, receive)
    return app


class WebhookServer:
    """The aiohttp server for the webhook route, in the bot's own event loop."""

    def __init__(self, app: web.Application, *, listen: str, port: int) -> None:
        self._runner = web.AppRunner(app, access_log=None)
        self._listen = listen
        self._port = port
        self.port = port  # the bound port (differs when 0 was asked for)

    async def start(self) -> None:
        await self._runner.setup()
        await web.TCPSite(self._runner, self._listen, self._port).start()
        self.port = int(self._runner.addresses[0][1])

    async def stop(self) -> None:
        await self._runner.cleanup()
