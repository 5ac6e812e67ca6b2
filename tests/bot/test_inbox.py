"""The inbox: updates kept once, processed in order with their effects, failures undone alone."""

from __future__ import annotations

import json
from collections.abc import Sequence

import pytest

from bot.inbox import AfterCommit, Inbox
from bot.store import Store
from tests.bot.conftest import Clock


class Handler:
    """Records each update as a patient row (an effect), fails on "boom", notes follow-ups."""

    def __init__(self, store: Store, clock: Clock) -> None:
        self.store = store
        self.clock = clock
        self.followed: list[str] = []

    async def __call__(self, payload: str) -> Sequence[AfterCommit]:
        text = json.loads(payload)["text"]
        async with self.store.transaction() as tx:
            await tx.patients.seen("test", text, text, self.clock())
        if text == "boom":
            raise RuntimeError("a bug")

        async def follow() -> None:
            self.followed.append(text)

        return [follow]


async def test_updates_are_processed_once_in_order_and_a_failure_alone_is_undone(
    store: Store, clock: Clock, caplog: pytest.LogCaptureFixture
) -> None:
    inbox, handler = Inbox(store, "test", clock), Handler(store, clock)
    updates = [(str(n), json.dumps({"text": t})) for n, t in enumerate(["a", "boom", "c"])]
    assert await inbox.receive(updates) == 3
    assert await inbox.receive(updates[:1]) == 0  # redelivered: kept once
    assert await inbox.process_pending(handler) == 3
    assert await inbox.process_pending(handler) == 0
    assert handler.followed == ["a", "c"]
    async with store.transaction(write=False) as tx:
        assert await tx.inbox.statuses("test") == [("0", "done"), ("1", "failed"), ("2", "done")]
        assert await tx.patients.find("test", "boom") is None  # its effect was undone
        assert await tx.patients.find("test", "c") is not None
    assert "test update 1: processing failed" in caplog.text
