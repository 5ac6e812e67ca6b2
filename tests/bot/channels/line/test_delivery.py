"""Getting messages to LINE patients: the free reply token first, pushes that arrive once."""

from __future__ import annotations

import asyncio

from bot.channels.line.client import CHANNEL
from bot.messages import Reply
from bot.staff_feed import QUOTA_NOTICE
from tests.bot.channels.line.conftest import Line, LinePatient, eventually

PUSH = "/v2/bot/message/push"
PARKING = "駐車場はありますか？"  # no FAQ answers it: a ticket for staff


async def with_ticket(line: Line) -> LinePatient:
    """A patient who asked something only staff can answer (ticket #1), and got the notice."""
    alice = line.patient()
    await alice.says(PARKING)
    assert (await alice.receives()).via == "reply"
    return alice


async def statuses(line: Line) -> list[str]:
    """The state of every message queued for LINE patients, oldest first."""
    return [item.status for item in await line.queued(CHANNEL)]


async def delivered(line: Line, count: int) -> bool:
    return await statuses(line) == ["sent"] * count


async def staff_told(line: Line, text: str) -> bool:
    return text in await line.staff_notes()


async def test_two_messages_in_one_webhook_are_both_answered_by_reply(line: Line) -> None:
    alice = line.patient()
    await alice.post(alice.text("お酒を飲んでもいいですか？"), alice.text("日焼け止めは？"))
    first, second = await alice.receives(), await alice.receives()
    assert (first.via, second.via) == ("reply", "reply")
    assert line.fake.calls_to(PUSH) == []


async def test_an_expired_reply_token_falls_back_to_a_push(paused_line: Line) -> None:
    line = paused_line
    alice = line.patient()
    await alice.says("お酒を飲んでもいいですか？")
    line.clock.skip(60)  # answered over a minute after LINE delivered the event
    await line.channel.inbox.process_pending(line.channel.handle)
    answer = await alice.receives()
    assert answer.via == "push"
    assert answer.retry_key is not None
    assert line.fake.calls_to("/v2/bot/message/reply") == []


async def test_a_reply_token_line_refuses_falls_back_to_a_push(line: Line) -> None:
    alice = line.patient()
    refused = line.fake.issue_reply_token(alice.user_id, expired=True)
    await alice.says("お酒を飲んでもいいですか？", token=refused)
    assert (await alice.receives()).via == "push"
    assert len(line.fake.calls_to("/v2/bot/message/reply")) == 1


async def test_a_staff_reply_is_pushed_to_the_patient(line: Line) -> None:
    alice = await with_ticket(line)
    await line.conversation.staff_reply(1, "駐車場は2台分ございます。", "佐藤")
    reply = await alice.receives()
    assert (reply.via, reply.text) == (
        "push",
        "テスト皮膚科からの返信です\n駐車場は2台分ございます。",
    )


async def test_a_retried_push_is_delivered_once(line: Line) -> None:
    alice = await with_ticket(line)
    line.fake.fail("push", "lost_response")  # delivered, but the bot sees a 500
    await line.conversation.staff_reply(1, "駐車場は2台分ございます。", "佐藤")
    await alice.receives()
    await line.fake.wait_until(lambda: len(line.fake.calls_to(PUSH)) == 2)
    first, retry = line.fake.calls_to(PUSH)
    assert first.retry_key is not None and retry.retry_key == first.retry_key  # LINE said 409
    await eventually(lambda: delivered(line, 2))
    alice.assert_quiet()


async def test_the_monthly_quota_is_reported_to_staff_never_as_sent(line: Line) -> None:
    alice = await with_ticket(line)
    line.fake.fail("push", "quota")
    await line.conversation.staff_reply(1, "駐車場は2台分ございます。", "佐藤")
    notice = QUOTA_NOTICE.replace("{channel}", "LINE").replace(
        "{preview}", "テスト皮膚科からの返信です 駐車場は2台分ございます。"
    )
    await eventually(lambda: staff_told(line, notice))
    assert await statuses(line) == ["sent", "failed"]
    assert (await line.queued(CHANNEL))[-1].failure == "quota"
    assert len(line.fake.calls_to(PUSH)) == 1  # no use trying again this month
    await asyncio.sleep(0.1)  # time for a second notice, were there one
    assert [n for n in await line.staff_notes() if n.startswith("⚠️")] == [notice]
    alice.assert_quiet()


async def test_a_rate_limited_push_is_tried_again(line: Line) -> None:
    alice = await with_ticket(line)
    line.fake.fail("push", "rate_limit")
    await line.conversation.staff_reply(1, "駐車場は2台分ございます。", "佐藤")
    assert (await alice.receives()).via == "push"
    assert len(line.fake.calls_to(PUSH)) == 2
    alice.assert_quiet()


async def test_a_long_message_is_split_to_lines_limits(line: Line) -> None:
    alice = line.patient()
    paragraph = "あ" * 4000 + "\n\n"
    long = Reply(paragraph * 6 + "おわり")  # six texts of LINE's 5,000: one more than a call takes
    line.channel.tokens.offer(alice.user_id, line.fake.issue_reply_token(alice.user_id))
    await line.outbox.enqueue(CHANNEL, alice.user_id, [long])
    line.channel.kick()
    texts = [await alice.receives() for _ in range(6)]
    assert [t.via for t in texts] == ["reply"] * 5 + ["push"]
    assert "".join(t.text for t in texts) == long.text
    assert all(len(t.text) <= 5000 for t in texts)
    alice.assert_quiet()
