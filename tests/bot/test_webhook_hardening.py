"""Both webhooks refuse bad requests with 4xx before anything is stored or handled."""

from __future__ import annotations

import io
import json
from collections.abc import AsyncIterator, Sequence

import aiohttp
import pytest
from aiohttp import web

from bot.channels.line.webhook import SIGNATURE_HEADER, signature, webhook_handler
from bot.channels.telegram.webhook import SECRET_HEADER, WebhookServer, webhook_app
from bot.inbox import Inbox
from bot.store import Store
from tests.bot.conftest import Clock

SECRET = "webhook-secret-0123456789"
TEN_MB = b"{" + b" " * (10 * 1024 * 1024) + b"}"
UPDATE = json.dumps({"update_id": 1, "message": {"text": "hi"}}).encode()
EVENTS = json.dumps({"events": [{"webhookEventId": "E1", "type": "follow"}]}).encode()


async def _serve(app: web.Application) -> AsyncIterator[str]:
    server = WebhookServer(app, listen="127.0.0.1", port=0)
    await server.start()
    yield f"http://127.0.0.1:{server.port}/hook"
    await server.stop()


@pytest.fixture
async def telegram_url(store: Store, clock: Clock) -> AsyncIterator[str]:
    async for url in _serve(
        webhook_app(Inbox(store, "telegram", clock), path="/hook", secret=SECRET)
    ):
        yield url


@pytest.fixture
async def line_url(store: Store, clock: Clock) -> AsyncIterator[str]:
    inbox = Inbox(store, "line", clock)

    async def receive(events: Sequence[tuple[str, str]]) -> int:
        return await inbox.receive(events)

    app = web.Application()
    app.router.add_post("/hook", webhook_handler(channel_secret=SECRET, receive=receive))
    async for url in _serve(app):
        yield url


async def post(url: str, body: bytes, headers: dict[str, str]) -> int:
    async with (
        aiohttp.ClientSession() as http,
        http.post(url, data=io.BytesIO(body), headers=headers) as r,
    ):
        return r.status


async def stored(store: Store, channel: str) -> list[tuple[str, str]]:
    async with store.transaction(write=False) as tx:
        return await tx.inbox.statuses(channel)


TELEGRAM_CASES = [
    pytest.param(UPDATE, {SECRET_HEADER: "wrong"}, 403, id="wrong secret"),
    pytest.param(UPDATE, {}, 403, id="missing secret"),
    pytest.param(b"not json", {SECRET_HEADER: SECRET}, 400, id="not JSON"),
    pytest.param(b"[1, 2]", {SECRET_HEADER: SECRET}, 400, id="JSON but no update"),
    pytest.param(TEN_MB, {SECRET_HEADER: SECRET}, 413, id="10 MB"),
]


@pytest.mark.parametrize(("body", "headers", "status"), TELEGRAM_CASES)
async def test_telegram_webhook_refuses_and_stores_nothing(
    telegram_url: str, store: Store, body: bytes, headers: dict[str, str], status: int
) -> None:
    assert await post(telegram_url, body, headers) == status
    assert await stored(store, "telegram") == []


async def test_telegram_webhook_stores_a_proper_update(telegram_url: str, store: Store) -> None:
    assert await post(telegram_url, UPDATE, {SECRET_HEADER: SECRET}) == 200
    assert await stored(store, "telegram") == [("1", "pending")]


def signed(body: bytes) -> dict[str, str]:
    return {SIGNATURE_HEADER: signature(body, SECRET).decode()}


LINE_CASES = [
    pytest.param(EVENTS, {SIGNATURE_HEADER: "d3Jvbmc="}, 400, id="wrong signature"),
    pytest.param(EVENTS, {}, 400, id="missing signature"),
    pytest.param(b"not json", signed(b"not json"), 400, id="not JSON, signed"),
    pytest.param(b'{"events": 1}', signed(b'{"events": 1}'), 400, id="no events list"),
    pytest.param(TEN_MB, signed(TEN_MB), 413, id="10 MB, signed"),
]


@pytest.mark.parametrize(("body", "headers", "status"), LINE_CASES)
async def test_line_webhook_refuses_and_stores_nothing(
    line_url: str, store: Store, body: bytes, headers: dict[str, str], status: int
) -> None:
    assert await post(line_url, body, headers) == status
    assert await stored(store, "line") == []


async def test_line_webhook_stores_properly_signed_events(line_url: str, store: Store) -> None:
    assert await post(line_url, EVENTS, signed(EVENTS)) == 200
    assert await stored(store, "line") == [("E1", "pending")]
