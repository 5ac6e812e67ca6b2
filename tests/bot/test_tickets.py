"""The staff side of tickets: replies, closing and reopening, and what the patient is sent."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import pytest

from bot.core import Conversation
from bot.records import Author, TicketStatus
from bot.store import Store
from bot.tickets import TicketError
from tests.bot.conftest import Chat, Clock


@pytest.fixture
async def ticket(alice: Chat) -> int:
    await alice.push("駐車場はありますか？")
    alice.pop()
    return 1


async def outbox_texts(store: Store) -> list[str]:
    async with store.transaction(write=False) as tx:
        return [item.reply.text for item in await tx.outbox.items()]


async def test_staff_reply_is_queued_once_and_kept_in_the_thread(
    conv: Conversation, store: Store, ticket: int, clock: Clock
) -> None:
    outbox_id = await conv.staff_reply(ticket, "2台分あります。", "佐藤")
    assert await outbox_texts(store) == ["【テスト皮膚科より】\n2台分あります。"]
    view = await conv.desk.view(ticket)
    assert (view.thread[-1].author, view.thread[-1].staff_name) == (Author.STAFF, "佐藤")
    assert view.ticket.status is TicketStatus.ANSWERED
    assert view.ticket.first_response_at == clock()
    assert outbox_id == 1


async def test_first_response_time_is_kept_from_the_first_reply(
    conv: Conversation, ticket: int, clock: Clock
) -> None:
    first = clock()
    await conv.staff_reply(ticket, "確認します。", "佐藤")
    clock.now = clock.now.replace(hour=15)
    await conv.staff_reply(ticket, "2台分あります。", "佐藤")
    assert (await conv.desk.view(ticket)).ticket.first_response_at == first


async def test_closed_ticket_takes_no_reply_until_reopened(
    conv: Conversation, store: Store, ticket: int
) -> None:
    await conv.close_ticket(ticket)
    with pytest.raises(TicketError, match="closed; reopen it first"):
        await conv.staff_reply(ticket, "遅れてすみません", "佐藤")
    await conv.reopen(ticket)
    await conv.staff_reply(ticket, "遅れてすみません", "佐藤")
    assert await outbox_texts(store) == [
        "お問い合わせを終了しました。",
        "【テスト皮膚科より】\n遅れてすみません",
    ]


async def test_reopen_is_refused_when_the_patient_has_a_newer_ticket(
    conv: Conversation, alice: Chat, ticket: int
) -> None:
    await conv.close_ticket(ticket)
    await alice.push("別の質問です")
    alice.pop()
    with pytest.raises(TicketError, match="already has ticket #2 open"):
        await conv.reopen(ticket)


@pytest.mark.parametrize(
    "act",
    [
        lambda conv: conv.staff_reply(7, "こんにちは", "佐藤"),
        lambda conv: conv.close_ticket(7),
        lambda conv: conv.reopen(7),
    ],
    ids=["reply", "close", "reopen"],
)
async def test_unknown_ticket_is_refused(
    conv: Conversation, act: Callable[[Conversation], Awaitable[object]]
) -> None:
    with pytest.raises(TicketError, match="no ticket #7"):
        await act(conv)


async def test_empty_staff_reply_is_refused(conv: Conversation, ticket: int) -> None:
    with pytest.raises(TicketError, match="empty"):
        await conv.staff_reply(ticket, "   ", "佐藤")


async def test_listing_puts_urgent_first_and_hides_closed(conv: Conversation, ticket: int) -> None:
    await Chat(conv, "bob").push("胸が痛い")
    carol = Chat(conv, "carol")
    await carol.push("駐車場はありますか？")
    await conv.close_ticket(3)
    assert [t.id for t in await conv.desk.tickets()] == [2, 1]
    assert [t.id for t in await conv.desk.tickets(include_closed=True)] == [2, 1, 3]
