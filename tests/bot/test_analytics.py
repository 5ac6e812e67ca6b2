"""The dashboard's numbers, from conversations run through the real core into SQLite."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from bot.analytics import AgeBucket, DayCounts, EntryStats, age_buckets, dashboard
from bot.config import Config
from bot.core import Conversation
from bot.store import Store
from tests.bot.conftest import JST, Chat, Clock

HELPFUL, NOT_HELPFUL = "役に立った", "役に立たなかった"
ALCOHOL = "お酒って飲んでもいいですか"


async def ask(chat: Chat, text: str) -> None:
    await chat.push(text)
    chat.pop()


async def test_questions_are_counted_per_local_day_by_decision_with_empty_days_zero(
    conv: Conversation, store: Store, clock: Clock
) -> None:
    clock.now = datetime(2026, 11, 23, 23, 30, tzinfo=JST)  # 14:30 UTC: still the 23rd here
    await ask(Chat(conv, "alice"), ALCOHOL)
    clock.now = datetime(2026, 11, 24, 0, 10, tzinfo=JST)  # 15:10 UTC on the 23rd
    await ask(Chat(conv, "bob"), "胸が痛いです")
    await ask(Chat(conv, "carol"), "飲酒とけんけつはできますか？")
    clock.now = datetime(2026, 11, 26, 9, 0, tzinfo=JST)
    await ask(Chat(conv, "dave"), "駐車場はありますか？")

    board = await dashboard(store, clinic_tz=JST, now=clock.now, days=4)

    assert board.days == (
        DayCounts(date(2026, 11, 23), answer=1),
        DayCounts(date(2026, 11, 24), clarify=1, urgent=1),
        DayCounts(date(2026, 11, 25)),
        DayCounts(date(2026, 11, 26), escalate=1),
    )
    assert board.questions == 4
    assert board.since == datetime(2026, 11, 23, tzinfo=JST)


async def test_questions_before_the_window_are_left_out(
    conv: Conversation, store: Store, clock: Clock
) -> None:
    clock.now = datetime(2026, 11, 24, 23, 59, tzinfo=JST)
    await ask(Chat(conv, "alice"), ALCOHOL)
    clock.now = datetime(2026, 11, 25, 0, 0, tzinfo=JST)
    await ask(Chat(conv, "bob"), ALCOHOL)

    board = await dashboard(store, clinic_tz=JST, now=clock.now, days=1)

    assert board.days == (DayCounts(date(2026, 11, 25), answer=1),)


async def test_each_entry_has_answers_feedback_and_rates(
    conv: Conversation, store: Store, clock: Clock
) -> None:
    alice, bob, carol, dave = (Chat(conv, name) for name in ("alice", "bob", "carol", "dave"))
    await alice.push(ALCOHOL)
    alice.pop()
    await alice.press(NOT_HELPFUL)
    await bob.push(ALCOHOL)
    bob.pop()
    await bob.press(HELPFUL)
    await ask(carol, ALCOHOL)
    # clarified between alcohol and blood_donation; dave picks blood_donation and likes it
    await dave.push("飲酒とけんけつはできますか？")
    dave.pop()
    await dave.press("献血はできますか？")
    dave.pop()
    await dave.press(HELPFUL)

    board = await dashboard(store, clinic_tz=JST, now=clock.now)

    assert board.entries == (
        EntryStats("alcohol", answered=3, direct=3, offered=4, feedback=2, not_helpful=1),
        EntryStats("blood_donation", answered=1, direct=0, offered=1, feedback=1, not_helpful=0),
    )
    alcohol = board.entries[0]
    assert (alcohol.answer_rate, alcohol.not_helpful_rate) == (0.75, 0.5)
    assert (board.entries[1].answer_rate, board.entries[1].not_helpful_rate) == (0.0, 0.0)
    # 4 typed questions (3 answered, 1 clarified); dave's button press is not one of them
    assert (board.typed_questions, board.typed_answered, board.answer_rate) == (4, 3, 0.75)


async def test_rates_are_none_without_anything_to_divide_by(store: Store, clock: Clock) -> None:
    board = await dashboard(store, clinic_tz=JST, now=clock.now)

    assert (board.answer_rate, board.entries, board.median_first_response) == (None, (), None)
    assert EntryStats("x", 1, 0, 0, 0, 0).not_helpful_rate is None
    assert EntryStats("x", 1, 0, 0, 0, 0).answer_rate is None


async def test_median_first_response_in_wall_clock_and_business_time(
    conv: Conversation, store: Store, clock: Clock, config: Config
) -> None:
    # Wednesday 2026-11-25; the clinic is open 9:00-18:00 on weekdays
    opened_and_answered = [
        ((10, 0), (10, 10), 0),  # 10 min, 10 business min
        ((11, 0), (12, 0), 0),  # 60 min, 60 business min
        ((17, 50), (9, 20), 1),  # overnight: 930 min, 10 + 20 business min
    ]
    for n, ((oh, om), (ah, am), next_day) in enumerate(opened_and_answered, start=1):
        clock.now = datetime(2026, 11, 25, oh, om, tzinfo=JST)
        await ask(Chat(conv, f"patient{n}"), "スタッフと話したいです")
        clock.now = datetime(2026, 11, 25 + next_day, ah, am, tzinfo=JST)
        await conv.staff_reply(n, "お答えします。", "佐藤")
    clock.now = datetime(2026, 11, 26, 10, 0, tzinfo=JST)
    await ask(Chat(conv, "unanswered"), "スタッフと話したいです")

    board = await dashboard(store, clinic_tz=JST, now=clock.now, clinic=config.clinic)

    assert board.responded == 3
    assert board.median_first_response == timedelta(minutes=60)
    assert board.median_first_response_business_minutes == 30.0


async def test_business_time_median_needs_the_clinic(
    conv: Conversation, store: Store, clock: Clock
) -> None:
    await ask(Chat(conv, "alice"), "スタッフと話したいです")
    clock.now += timedelta(minutes=5)
    await conv.staff_reply(1, "お答えします。", "佐藤")

    board = await dashboard(store, clinic_tz=JST, now=clock.now)

    assert board.median_first_response == timedelta(minutes=5)
    assert board.median_first_response_business_minutes is None


async def test_open_tickets_by_age_and_counts(
    conv: Conversation, store: Store, clock: Clock
) -> None:
    start = clock.now
    for name, hours_ago in (("a", 0.5), ("b", 2), ("c", 3.9), ("d", 30), ("e", 100)):
        clock.now = start - timedelta(hours=hours_ago)
        await ask(Chat(conv, name), "スタッフと話したいです")
    clock.now = start - timedelta(hours=1)
    await ask(Chat(conv, "urgent"), "胸が痛いです")  # ticket 6, open and urgent
    await ask(Chat(conv, "answered"), "スタッフと話したいです")  # ticket 7
    await conv.staff_reply(7, "お答えします。", "佐藤")
    await ask(Chat(conv, "closed"), "スタッフと話したいです")  # ticket 8
    await conv.close_ticket(8)
    clock.now = start

    board = await dashboard(store, clinic_tz=JST, now=start, days=1)

    assert [(b.label, b.count) for b in board.ticket_ages] == [
        ("1時間未満", 1),
        ("1〜4時間", 3),  # b, c and the urgent one opened exactly an hour ago
        ("4〜24時間", 0),
        ("1〜3日", 1),
        ("3日以上", 1),
    ]
    assert (board.open_tickets, board.answered_tickets, board.urgent_tickets) == (6, 1, 1)


@pytest.mark.parametrize(
    ("age", "bucket"),
    [
        (timedelta(0), "1時間未満"),
        (timedelta(minutes=59, seconds=59), "1時間未満"),
        (timedelta(hours=1), "1〜4時間"),
        (timedelta(hours=4), "4〜24時間"),
        (timedelta(hours=24), "1〜3日"),
        (timedelta(days=3) - timedelta(seconds=1), "1〜3日"),
        (timedelta(days=3), "3日以上"),
        (timedelta(days=400), "3日以上"),
        (-timedelta(minutes=5), "1時間未満"),  # a clock a little behind the database
    ],
    ids=["new", "just-under-1h", "1h", "4h", "1d", "just-under-3d", "3d", "400d", "future"],
)
def test_age_bucket_bounds(age: timedelta, bucket: str) -> None:
    now = datetime(2026, 11, 25, 10, 0, tzinfo=JST)

    buckets = age_buckets([now - age], now)

    assert [b.label for b in buckets if b.count] == [bucket]
    assert sum(b.count for b in buckets) == 1


def test_age_buckets_are_listed_even_when_empty() -> None:
    buckets = age_buckets([], datetime(2026, 11, 25, tzinfo=JST))

    assert buckets[0] == AgeBucket("1時間未満", timedelta(0), timedelta(hours=1), 0)
    assert [b.count for b in buckets] == [0, 0, 0, 0, 0]


async def test_a_window_of_no_days_is_refused(store: Store, clock: Clock) -> None:
    with pytest.raises(ValueError, match="days"):
        await dashboard(store, clinic_tz=JST, now=clock.now, days=0)
