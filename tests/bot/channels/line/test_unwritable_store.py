"""A database that cannot be written: LINE's webhook answers 503 and keeps nothing; LINE's
redelivery, once the database works again, is stored and answered once.

Another connection holds SQLite's write lock, so the bot's commit fails with "database is
locked" after its busy timeout (chmod would not do: the tests may run as root).
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3

import pytest

from tests.bot.channels.line.conftest import Line
from tests.bot.channels.test_unwritable_store import settled

QUESTION = "お酒を飲んでもいいですか？"


async def test_a_webhook_not_stored_is_refused_and_its_redelivery_answered_once(
    line: Line, caplog: pytest.LogCaptureFixture
) -> None:
    await settled(line.store)
    alice = line.patient()
    event = alice.text(QUESTION)
    holder = sqlite3.connect(line.store.path, isolation_level=None, check_same_thread=False)
    await asyncio.to_thread(holder.execute, "BEGIN EXCLUSIVE")
    try:
        assert await line.fake.post_webhook(line.webhook_url, [event]) == 503
        assert await line.inbox() == []
    finally:
        await asyncio.to_thread(holder.execute, "ROLLBACK")
        holder.close()
    alice.assert_quiet()
    [error] = [r for r in caplog.records if r.name == "bot.store_alarm"]
    assert error.levelno == logging.ERROR
    assert error.getMessage() == "LINE webhook: update not stored, asked for a retry: " + (
        "database is locked"
    )
    assert QUESTION not in caplog.text
    redelivery = {**event, "deliveryContext": {"isRedelivery": True}}
    assert await line.fake.post_webhook(line.webhook_url, [redelivery]) == 200
    await alice.receives()
    assert await line.fake.post_webhook(line.webhook_url, [redelivery]) == 200  # once more
    await line.processed(1)
    assert await line.inbox() == [(event["webhookEventId"], "done")]
    alice.assert_quiet()
