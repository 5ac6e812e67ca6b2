"""LINE's webhook: the signature checked on the raw body, events stored, then 200 at once."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import secrets
from collections.abc import Awaitable, Callable, Sequence

from aiohttp import web

from bot.channels.line.events import event_key
from bot.store_alarm import STORE_FAILURES, StoreAlarm

logger = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-Line-Signature"
# LINE's webhook bodies are a few kilobytes; larger ones are refused (413).
MAX_BODY = 1024 * 1024

# Commits (webhookEventId, event JSON) pairs; the webhook answers once it returns.
Receive = Callable[[Sequence[tuple[str, str]]], Awaitable[object]]
Handler = Callable[[web.Request], Awaitable[web.Response]]


def signature(body: bytes, channel_secret: str) -> bytes:
    """What LINE puts in X-Line-Signature: base64 of the body's HMAC-SHA256."""
    digest = hmac.new(channel_secret.encode(), body, hashlib.sha256).digest()
    return base64.b64encode(digest)


def events_of(body: bytes) -> list[tuple[str, str]]:
    """Each event of a webhook body with its key; raises ValueError if the body is no such."""
    parsed = json.loads(body)
    if not isinstance(parsed, dict) or not isinstance(parsed.get("events"), list):
        raise ValueError("no events list")
    try:
        return [(event_key(e), json.dumps(e, ensure_ascii=False)) for e in parsed["events"]]
    except (KeyError, TypeError) as exc:
        raise ValueError("an event without webhookEventId") from exc


def webhook_handler(
    *, channel_secret: str, receive: Receive, alarm: StoreAlarm | None = None
) -> Handler:
    """The aiohttp handler for the webhook URL registered in the LINE Developers console.

    Events that cannot be committed are answered 503; LINE redelivers them (if the
    console's "Webhook redelivery" is on) with the same webhookEventId.
    """
    alarm = alarm or StoreAlarm()

    async def handle(request: web.Request) -> web.Response:
        if (request.content_length or 0) > MAX_BODY:  # refused unread, whatever app serves us
            return web.Response(status=413)
        body = await request.read()  # without a length, the app's client_max_size bounds it
        given = request.headers.get(SIGNATURE_HEADER, "").encode()
        if not secrets.compare_digest(given, signature(body, channel_secret)):
            # Never the body: it may be a patient's message (or an attacker's payload).
            logger.warning(
                "LINE webhook: %s signature refused (%d bytes)",
                "wrong" if given else "missing",
                len(body),
            )
            return web.Response(status=400)
        try:
            events = events_of(body)
        except ValueError:
            logger.warning(
                "LINE webhook: signed body is not a webhook payload (%d bytes)", len(body)
            )
            return web.Response(status=400)
        if events:  # the console's "Verify" button sends none
            try:
                await receive(events)
            except STORE_FAILURES as exc:
                alarm.failed("LINE webhook", exc)
                return web.Response(status=503)
        return web.Response(status=200)

    return handle
