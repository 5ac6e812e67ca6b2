"""The bot as it runs in production: messages matched in the worker process, ahead of the
transaction that handles them; the answers are the same as without it."""

from __future__ import annotations

from tests.bot.channels.conftest import ALICE, BOB, Telegram
from tests.bot.channels.test_telegram_patients import ALCOHOL_ANSWER


async def test_answers_escalations_and_red_flags_come_from_the_worker(
    tg_with_worker: Telegram,
) -> None:
    tg = tg_with_worker
    alice, bob = tg.patient(ALICE), tg.patient(BOB)
    await alice.says("お酒を飲んでもいいですか？")
    assert (await alice.receives()).text == ALCOHOL_ANSWER
    await bob.says("胸が痛いです")
    assert await bob.receives_text() == "胸の痛みがある場合はすぐに119番に電話してください。"
    await alice.says("駐車場はありますか")
    assert (await alice.receives_text()).startswith("担当スタッフが本日18:00までに")
    assert tg.app.conversation.decider.from_worker == 3


async def test_updates_a_crash_left_pending_are_matched_by_the_worker_too(
    tg_with_worker: Telegram,
) -> None:
    tg = tg_with_worker
    alice = tg.patient(ALICE)
    await tg.restart(process_updates=False)  # commits updates, then "dies"
    update_id = await alice.says("お酒を飲んでもいいですか？")
    await tg.fake.wait_until(lambda: tg.fake.confirmed(update_id))
    await tg.restart()  # a new process: it never received them
    assert (await alice.receives()).text == ALCOHOL_ANSWER
    assert tg.app.conversation.decider.from_worker == 1
