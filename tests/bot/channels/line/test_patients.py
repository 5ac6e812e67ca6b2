"""Patients on LINE, end to end: signed webhooks in, what LINE delivered to them out."""

from __future__ import annotations

import pytest

from bot.kb_holder import Loaded
from faq.model import KnowledgeBase
from tests.bot.channels.line.conftest import Line


@pytest.fixture
def kb(bundled: Loaded) -> KnowledgeBase:
    return bundled.kb


def answer_text(kb: KnowledgeBase, faq_id: str) -> str:
    """An FAQ answer as the patient sees it: the answer, the disclaimer, the feedback prompt."""
    entry = kb.entry(faq_id)
    assert entry is not None
    return f"{entry.answer}\n\n{kb.texts.disclaimer}\n{kb.texts.feedback_prompt}"


async def test_follow_greets_with_the_disclaimer_and_the_topic_menu(
    line: Line, kb: KnowledgeBase
) -> None:
    alice = line.patient()
    await alice.follows()
    welcome = await alice.receives()
    assert (welcome.via, welcome.text) == (
        "reply",
        f"{kb.texts.welcome.strip()}\n\n{kb.texts.disclaimer.strip()}",
    )
    assert welcome.labels == [
        "治療の経過",
        "生活上の注意",
        "副作用",
        "薬について",
        "費用・制度",
        "検査",
        "治療の対象",
    ]
    alice.assert_quiet()


async def test_the_topic_menu_leads_to_an_answer(line: Line, kb: KnowledgeBase) -> None:
    alice = line.patient()
    await alice.follows()
    await alice.receives()
    await alice.presses("副作用")
    topic = await alice.receives()
    assert topic.labels[0] == "どんな副作用がありますか？"
    await alice.presses("どんな副作用がありますか？")
    assert await alice.receives_text() == answer_text(kb, "side_effects")


async def test_a_question_is_answered_by_reply_with_related_questions_and_feedback(
    line: Line, kb: KnowledgeBase
) -> None:
    alice = line.patient()
    await alice.says("お酒を飲んでもいいですか？")
    answer = await alice.receives()
    assert (answer.via, answer.text) == ("reply", answer_text(kb, "alcohol"))
    assert answer.labels == [
        "血液検査は必要ですか？",
        "サプリメントや他の薬と一緒に飲んでも…",
        "どんな副作用がありますか？",
        "👍 役に立った",
        "👎 役に立たなかった",
    ]
    # A cut label still shows the whole question in the chat once pressed.
    assert answer.buttons[1]["displayText"] == "サプリメントや他の薬と一緒に飲んでも大丈夫ですか？"
    alice.assert_quiet()


async def test_the_loading_animation_shows_while_the_bot_works(line: Line) -> None:
    alice = line.patient()
    await alice.says("お酒を飲んでもいいですか？")
    await alice.receives()
    await line.fake.wait_until(lambda: bool(line.fake.loading))
    assert line.fake.loading == [(alice.user_id, 20)]


async def test_clarify_buttons_answer_the_chosen_question(line: Line, kb: KnowledgeBase) -> None:
    alice = line.patient()
    await alice.says("飲み薬")
    clarify = await alice.receives()
    assert (clarify.text, clarify.labels) == (
        kb.texts.clarify,
        [
            "イソトレチノインはなぜニキビに効くので…",
            "サプリメントや他の薬と一緒に飲んでも…",
            "どの薬（製品）を取り扱っていますか？",
            "どれも違う（スタッフへ）",
        ],
    )
    await alice.presses("サプリメントや他の薬と一緒に飲んでも…")
    answer = await alice.receives()
    assert (answer.via, answer.text) == ("reply", answer_text(kb, "supplements"))


async def test_not_helpful_feedback_is_thanked_and_offers_staff(
    line: Line, kb: KnowledgeBase
) -> None:
    alice = line.patient()
    await alice.says("お酒を飲んでもいいですか？")
    await alice.receives()
    await alice.presses("👎 役に立たなかった")
    thanks = await alice.receives()
    assert (thanks.text, thanks.labels) == (kb.texts.feedback_thanks, ["スタッフに相談する"])
    async with line.store.transaction(write=False) as tx:
        assert await tx.questions.feedback(1) is False
    await alice.presses("スタッフに相談する")
    assert (await alice.receives_text()).startswith("かしこまりました。")
    assert (await line.staff_notes())[0].startswith("📩 新しいチケット #1")


async def test_a_redelivered_event_is_answered_once(line: Line, kb: KnowledgeBase) -> None:
    alice = line.patient()
    first = await alice.says("お酒を飲んでもいいですか？")
    await alice.receives()
    await alice.post({**first, "deliveryContext": {"isRedelivery": True}})
    await alice.says("どんな副作用がありますか？")  # processed after the redelivery
    assert await alice.receives_text() == answer_text(kb, "side_effects")
    alice.assert_quiet()
    assert [status for _, status in await line.inbox()] == ["done", "done"]
    assert len(line.fake.loading) == 2  # none for the redelivery


async def test_a_sticker_gets_a_polite_reply(line: Line, kb: KnowledgeBase) -> None:
    alice = line.patient()
    await alice.sends_sticker()
    assert await alice.receives_text() == kb.texts.not_understood


async def test_unfollow_is_reported_and_answered_with_nothing(line: Line) -> None:
    alice = line.patient()
    await alice.unfollows()
    await line.processed(1)
    assert line.unfollowed == [alice.user_id]
    alice.assert_quiet()


async def test_a_patient_who_blocks_the_account_is_inactive_until_they_write_again(
    line: Line,
) -> None:
    alice = line.patient()
    await alice.says("お酒を飲んでもいいですか？")
    await alice.receives()
    await alice.unfollows()
    await line.processed(2)
    async with line.store.transaction(write=False) as tx:
        blocked = await tx.patients.find("line", alice.user_id)
    assert blocked is not None and blocked.inactive_since is not None
    await alice.says("日焼け止めは？")
    await alice.receives()
    async with line.store.transaction(write=False) as tx:
        back = await tx.patients.find("line", alice.user_id)
    assert back is not None and back.inactive_since is None
