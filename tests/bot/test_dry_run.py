"""The dry run: what a knowledge-base change would do to the questions patients asked."""

from __future__ import annotations

import asyncio
import shutil
from datetime import timedelta
from pathlib import Path

import pytest

from bot.config import Config
from bot.core import Conversation
from bot.dry_run import DryRunReport, PastQuestion, dry_run, past_questions, preview
from bot.kb_holder import KbHolder, Loaded
from bot.store import Store
from faq.decision import Action
from faq.loader import DEFAULT_KB_DIR, load_kb
from faq.matcher import Matcher
from faq.model import KnowledgeBase
from tests.bot.conftest import KB_YAML, Alerts, Chat, Clock

NEW_PHRASING = "ピアスを開けてもいいですか"


@pytest.fixture(scope="module")
def bundled() -> Loaded:
    kb = load_kb()
    return Loaded(kb, Matcher(kb))


@pytest.fixture
def clinic(bundled: Loaded, store: Store, config: Config, clock: Clock) -> Conversation:
    return Conversation(KbHolder(bundled), store, config, clock=clock, alerts=Alerts())


@pytest.fixture
async def asked(clinic: Conversation, clock: Clock) -> None:
    """Patients asked these through the bot on the bundled knowledge base."""
    for user, text in [
        ("p1", NEW_PHRASING),  # escalated: no entry covers piercings
        ("p2", "献血できる？"),  # answered (blood_donation)
        ("p3", "温泉に入ってもいいですか"),  # escalated
        ("p4", "ピアスを開けたら息が苦しいです"),  # a red flag
        ("p5", NEW_PHRASING),
        ("p6", "お酒飲んでいい？"),  # answered (alcohol)
    ]:
        clock.now += timedelta(minutes=1)
        chat = Chat(clinic, user)
        await chat.push(text)
        chat.pop()


@pytest.fixture
def with_piercing(tmp_path: Path) -> KnowledgeBase:
    """A copy of the bundled knowledge base where laser_cosmetic also covers piercings."""
    kb_dir = tmp_path / "kb"
    shutil.copytree(DEFAULT_KB_DIR, kb_dir)
    entries = kb_dir / "entries.yaml"
    lines = entries.read_text(encoding="utf-8").splitlines(keepends=True)
    start = lines.index("  - id: laser_cosmetic\n")
    at = lines.index("    phrasings:\n", start) + 1
    lines.insert(at, f"      - {NEW_PHRASING}\n")
    entries.write_text("".join(lines), encoding="utf-8")
    return load_kb(kb_dir)


def small_kb(tmp_path: Path, *replacements: tuple[str, str]) -> KnowledgeBase:
    """The test knowledge base with some text replaced."""
    text = KB_YAML
    for old, new in replacements:
        assert old in text
        text = text.replace(old, new)
    path = tmp_path / "candidate.yaml"
    path.write_text(text, encoding="utf-8")
    return load_kb(path)


def past(*texts: str) -> list[PastQuestion]:
    """Past questions, as `past_questions` gives them (what was decided then unused)."""
    when = Clock().now
    return [PastQuestion(t, "answer", None, 1, when) for t in texts]


@pytest.mark.usefixtures("asked")
async def test_past_questions_are_distinct_newest_first_with_how_often(store: Store) -> None:
    questions = await past_questions(store)
    assert [(q.text, q.asked, q.action) for q in questions] == [
        ("お酒飲んでいい？", 1, "answer"),
        (NEW_PHRASING, 2, "escalate"),
        ("ピアスを開けたら息が苦しいです", 1, "urgent"),
        ("温泉に入ってもいいですか", 1, "escalate"),
        ("献血できる？", 1, "answer"),
    ]


@pytest.mark.usefixtures("asked")
async def test_past_questions_keep_the_newest_limit(store: Store) -> None:
    questions = await past_questions(store, limit=2)
    assert [q.text for q in questions] == ["お酒飲んでいい？", NEW_PHRASING]


@pytest.mark.usefixtures("asked")
async def test_new_phrasing_answers_the_escalated_question_and_nothing_else_changes(
    store: Store, bundled: Loaded, with_piercing: KnowledgeBase
) -> None:
    assert isinstance(bundled.matcher, Matcher)
    report = await preview(store, bundled.matcher, with_piercing)
    [change] = report.now_answered
    assert (change.text, change.asked) == (NEW_PHRASING, 2)
    assert (change.before.action, change.after.action) == (Action.ESCALATE, Action.ANSWER)
    assert change.after.faq_id == "laser_cosmetic"
    assert report.counts == {
        "now_answered": 1,
        "changed": 0,
        "no_longer_answered": 0,
        "unchanged": 4,
        "checked": 5,
    }


def test_the_same_knowledge_base_changes_nothing(kb: KnowledgeBase) -> None:
    report = dry_run(kb, kb, past("献血していい？", "駐車場はありますか", "胸が痛いです"))
    assert report == DryRunReport((), (), (), unchanged=3, checked=3)


def test_answer_moving_to_another_entry_is_reported_before_and_after(
    kb: KnowledgeBase, tmp_path: Path
) -> None:
    candidate = small_kb(
        tmp_path,
        ("id: blood_donation", "id: donation"),
        ("related: [blood_donation]", "related: [donation]"),
    )
    report = dry_run(kb, candidate, past("献血していい？", "お酒を飲んでもいいですか？"))
    assert [(c.text, c.before.faq_id, c.after.faq_id) for c in report.changed] == [
        ("献血していい？", "blood_donation", "donation")
    ]
    assert (report.now_answered, report.no_longer_answered, report.unchanged) == ((), (), 1)


def test_question_no_longer_answered_is_reported(kb: KnowledgeBase, tmp_path: Path) -> None:
    candidate = small_kb(
        tmp_path,
        ("question: お酒を飲んでもいいですか？", "question: サウナに入ってもいいですか？"),
        ("phrasings: [飲酒はできますか]", "phrasings: [サウナは大丈夫？]"),
        ("keywords: [お酒, 飲酒]", "keywords: [サウナ]"),
    )
    report = dry_run(kb, candidate, past("お酒を飲んでもいいですか？", "献血していい？"))
    [lost] = report.no_longer_answered
    assert (lost.text, lost.before.faq_id, lost.after.action) == (
        "お酒を飲んでもいいですか？",
        "alcohol",
        Action.ESCALATE,
    )
    assert (report.now_answered, report.changed, report.unchanged) == ((), (), 1)


def test_most_asked_questions_come_first(kb: KnowledgeBase, tmp_path: Path) -> None:
    candidate = small_kb(
        tmp_path, ("phrasings: [献血していい？]", "phrasings: [献血していい？, 駐車場は？]")
    )
    questions = [
        PastQuestion("駐車場は？", "escalate", None, 1, Clock().now),
        PastQuestion("駐車場ありますか", "escalate", None, 5, Clock().now),
    ]
    report = dry_run(kb, candidate, questions)
    assert [c.text for c in report.now_answered] == ["駐車場ありますか", "駐車場は？"]


async def test_dry_run_in_a_thread_leaves_the_loop_free_to_match(
    bundled: Loaded, with_piercing: KnowledgeBase
) -> None:
    """SudachiPy refuses a tokenizer used by two threads at once: each thread has its own."""
    assert isinstance(bundled.matcher, Matcher)
    live = bundled.matcher
    questions = past(*[f"{NEW_PHRASING}{n}" for n in range(20)])
    running = asyncio.create_task(asyncio.to_thread(dry_run, live, with_piercing, questions))
    decided = []
    while not running.done():
        decided.append(live.decide("献血できる？").faq_id)
        await asyncio.sleep(0)
    report = await running
    assert report.checked == 20
    assert set(decided) == {"blood_donation"}
