"""The learning loop: questions the bot could not help with, grouped, from a real store."""

from __future__ import annotations

from dataclasses import fields
from datetime import timedelta

import pytest

from bot.config import Config
from bot.core import Conversation
from bot.kb_holder import KbHolder, Loaded
from bot.learning import (
    Member,
    ProposalError,
    QuestionGroup,
    group_members,
    resolve_proposal,
    unresolved_groups,
)
from bot.store import Store
from faq.loader import load_kb
from faq.matcher import Matcher
from faq.normalize import Normalizer
from faq.risk import Bands
from tests.bot.conftest import Alerts, Chat, Clock

# Questions on other topics, asked beside the ones a test is about: word rarity is
# measured on the questions grouped, and a real list always holds many topics.
BACKGROUND = [
    "髪を染めてもいいですか",
    "コンタクトレンズは使えますか",
    "ジムで筋トレしても平気？",
    "まつげパーマはできますか",
    "イソトレチノインを飲んでいる間に歯医者に行ってもいいですか",
    "イソトレ飲んでるけど予防接種は受けられる？",
    "イソトレチノイン服用中にヨガをしても問題ないですか",
]


@pytest.fixture(scope="module")
def bundled() -> Loaded:
    """The bundled knowledge base and its matcher, built once for the module; without a
    clarify band (a question is answered or goes to staff), so that what the learning
    loop groups does not hang on how unsure the model is of an unknown topic."""
    kb = load_kb()
    bands = Matcher(kb).thresholds
    return Loaded(kb, Matcher(kb, thresholds=Bands(bands.answer, bands.answer, bands.urgent)))


@pytest.fixture(scope="module")
def normalizer(bundled: Loaded) -> Normalizer:
    assert isinstance(bundled.matcher, Matcher)
    return bundled.matcher.normalizer


@pytest.fixture
def clinic(bundled: Loaded, store: Store, config: Config, clock: Clock) -> Conversation:
    """The real core on the bundled knowledge base."""
    return Conversation(KbHolder(bundled), store, config, clock=clock, alerts=Alerts())


async def ask(clinic: Conversation, clock: Clock, user: str, text: str) -> Chat:
    """A new patient asks one question, a minute after the previous one."""
    clock.now += timedelta(minutes=1)
    chat = Chat(clinic, user)
    await chat.push(text)
    chat.pop()
    return chat


def grouped(texts: list[str], normalizer: Normalizer) -> list[set[str]]:
    """The groups these texts form (beside BACKGROUND), as sets of texts."""
    clock = Clock()
    members = []
    for n, text in enumerate([*BACKGROUND, *texts]):
        asked = clock.now + timedelta(minutes=n)
        members.append(Member(text, asked, n + 1, True, False, (), (), None))
    return [{m.text for m in g.members} for g in group_members(members, normalizer)]


@pytest.mark.parametrize(
    "variants",
    [
        ["イソトレチノインって献血できる？", "いそとれちのいんってけんけつできますか"],
        ["イソトレ飲んでるけど献血できる？", "イソトレチノインを飲んでいても献血はできますか？"],
        ["ピアスを開けてもいいですか", "ぴあす開けても大丈夫？", "ピアスあけていい？"],
        ["日サロに行ってもいい？", "ひやけさろんはだめですか"],
        ["駐車場はありますか", "ちゅうしゃじょうありますか？"],
    ],
    ids=["kana-vs-kanji", "casual-vs-polite", "three-ways", "synonym", "split-reading"],
)
def test_variants_written_differently_form_one_group(
    variants: list[str], normalizer: Normalizer
) -> None:
    assert set(variants) in grouped(variants, normalizer)


@pytest.mark.parametrize(
    ("one", "other"),
    [
        ("イソトレ飲んでるけど献血できる？", "イソトレ飲んでるけどお酒飲める？"),
        ("治療中に日焼けサロンに行ってもいい？", "治療中にタトゥーを入れてもいい？"),
        ("イソトレチノインって献血できる？", "イソトレチノインって脱毛できる？"),
    ],
    ids=["same-drug-other-topic", "same-frame-other-topic", "same-ending-other-topic"],
)
def test_different_questions_sharing_words_stay_apart(
    one: str, other: str, normalizer: Normalizer
) -> None:
    groups = grouped([one, other], normalizer)
    assert {one} in groups
    assert {other} in groups


async def test_groups_come_most_frequent_first(
    clinic: Conversation, clock: Clock, store: Store, normalizer: Normalizer
) -> None:
    await ask(clinic, clock, "p1", "ピアスを開けてもいいですか")
    await ask(clinic, clock, "p2", "温泉に入ってもいいですか")
    await ask(clinic, clock, "p3", "ぴあす開けても大丈夫？")
    await ask(clinic, clock, "p4", "おんせんに入っても大丈夫？")
    await ask(clinic, clock, "p5", "ピアスあけていい？")
    groups = await unresolved_groups(store, normalizer)
    assert [(g.size, g.escalated, g.representative) for g in groups] == [
        (3, 3, "ピアスあけていい？"),
        (2, 2, "おんせんに入っても大丈夫？"),
    ]


async def test_equally_frequent_groups_come_most_recent_first(
    clinic: Conversation, clock: Clock, store: Store, normalizer: Normalizer
) -> None:
    await ask(clinic, clock, "p1", "温泉に入ってもいいですか")
    await ask(clinic, clock, "p2", "コンタクトレンズは使えますか")
    groups = await unresolved_groups(store, normalizer)
    assert [g.representative for g in groups] == [
        "コンタクトレンズは使えますか",
        "温泉に入ってもいいですか",
    ]


async def test_urgent_reports_and_handover_requests_are_left_out(
    clinic: Conversation, clock: Clock, store: Store, normalizer: Normalizer
) -> None:
    await ask(clinic, clock, "p1", "ピアスを開けたら息が苦しいです")  # a red flag
    await ask(clinic, clock, "p2", "予約を変更したい")  # staff work, no entry can answer it
    await ask(clinic, clock, "p3", "ピアスを開けてもいいですか")
    groups = await unresolved_groups(store, normalizer)
    assert [[m.text for m in g.members] for g in groups] == [["ピアスを開けてもいいですか"]]


async def test_answers_marked_not_helpful_are_included(
    clinic: Conversation, clock: Clock, store: Store, bundled: Loaded, normalizer: Normalizer
) -> None:
    texts = bundled.kb.texts
    unhappy = await ask(clinic, clock, "p1", "献血ってしてもいいですか")
    await unhappy.press(texts.button_not_helpful)
    happy = await ask(clinic, clock, "p2", "お酒飲んでいい？")
    await happy.press(texts.button_helpful)
    groups = await unresolved_groups(store, normalizer)
    assert [(g.representative, g.not_helpful, g.escalated) for g in groups] == [
        ("献血ってしてもいいですか", 1, 0)
    ]
    assert groups[0].suggested[0].faq_id == "blood_donation"


async def test_staff_reply_that_resolved_a_ticket_prefills_the_answer(
    clinic: Conversation, clock: Clock, store: Store, normalizer: Normalizer
) -> None:
    await ask(clinic, clock, "p1", "ピアスを開けてもいいですか")
    await ask(clinic, clock, "p2", "ピアスあけていい？")
    await clinic.staff_reply(1, "傷が治りにくいので服用中は控えてください。", "佐藤")
    await clinic.staff_reply(1, "ほかにご不明点があればどうぞ。", "佐藤")
    [group] = await unresolved_groups(store, normalizer)
    assert group.staff_replies == ("傷が治りにくいので服用中は控えてください。",)


async def test_staff_proposal_joins_its_question_and_settles_it_once_accepted(
    clinic: Conversation, clock: Clock, store: Store, normalizer: Normalizer
) -> None:
    await ask(clinic, clock, "p1", "ピアスを開けてもいいですか")
    async with store.transaction() as tx:
        proposal = await tx.staff.propose(
            "laser_cosmetic",
            "ピアスを開けてもいいですか",
            ticket_id=1,
            staff_name="佐藤",
            now=clock(),
        )
    [group] = await unresolved_groups(store, normalizer)
    assert (group.size, group.escalated, group.proposed) == (1, 1, 1)
    assert (group.proposed_faq_ids, group.proposal_ids) == (("laser_cosmetic",), (proposal,))
    await resolve_proposal(store, proposal, "accepted")
    assert await unresolved_groups(store, normalizer) == []


async def test_resolving_an_unknown_proposal_or_status_is_refused(store: Store) -> None:
    with pytest.raises(ProposalError, match="no proposal #7"):
        await resolve_proposal(store, 7, "accepted")
    with pytest.raises(ProposalError, match="'accepted' or 'rejected'"):
        await resolve_proposal(store, 7, "maybe")


async def test_since_leaves_out_older_questions(
    clinic: Conversation, clock: Clock, store: Store, normalizer: Normalizer
) -> None:
    await ask(clinic, clock, "p1", "温泉に入ってもいいですか")
    clock.now += timedelta(days=30)
    await ask(clinic, clock, "p2", "ピアスを開けてもいいですか")
    since = clock.now - timedelta(days=7)
    groups = await unresolved_groups(store, normalizer, since=since)
    assert [g.representative for g in groups] == ["ピアスを開けてもいいですか"]


def test_groups_say_nothing_about_who_asked() -> None:
    names = {f.name for cls in (Member, QuestionGroup) for f in fields(cls)}
    assert not {n for n in names if "patient" in n or "user" in n or "chat" in n}
