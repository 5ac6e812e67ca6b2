"""Forgetting a patient leaves nothing about them in any table; other patients keep theirs."""

from __future__ import annotations

import asyncio
import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from bot.channels.telegram.client import STAFF
from bot.config import Config
from bot.core import Conversation
from bot.forgetting import FORGOTTEN_NOTICE, FORGOTTEN_TOPIC_NAME, topic_key, topic_of
from bot.inbox import Inbox
from bot.kb_holder import KbHolder, Loaded
from bot.messages import Reply
from bot.outbox import Outbox
from bot.records import OutboxItem
from bot.staff_feed import StaffFeed
from bot.store import Store
from bot.store_privacy import StaffTopic, mentions_sender
from faq.matcher import Matcher
from faq.model import KnowledgeBase
from tests.bot.channels.conftest import STAFF_CHAT, Telegram, fake, tg  # noqa: F401 (fixtures)
from tests.bot.conftest import Chat, Clock
from tests.fakes.telegram_updates import User

HANAKO, TARO = "7770001", "7770002"
HANAKO_SAYS = (
    "駐車場はありますか？田中花子 090-1234-5678",
    "追加で写真も送れますか、花子より",
    "まだ処理されていない花子のメッセージ",
)
STAFF_ABOUT_HANAKO = ("田中様、駐車場は10台分あります", "花子さんは常連のかた")
TARO_SAYS = "駐車場の予約方法を教えて、山田太郎"


def leftovers(db: Path, needles: list[str]) -> list[tuple[str, str, str]]:
    """(table, column, needle) for every column of every table where a needle occurs."""
    found = []
    with sqlite3.connect(db) as conn:
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        for table in tables:
            columns = [r[1] for r in conn.execute(f'PRAGMA table_info("{table}")')]
            for column in columns:
                for needle in needles:
                    query = (
                        f'SELECT COUNT(*) FROM "{table}" WHERE instr(CAST("{column}" AS TEXT), ?)'
                    )
                    if conn.execute(query, (needle,)).fetchone()[0]:
                        found.append((table, column, needle))
    return found


def update_from(user_id: str, text: str) -> str:
    """A Telegram update as the inbox keeps it until it is processed."""
    sender = {"id": int(user_id), "is_bot": False, "first_name": "花子"}
    chat = {"id": int(user_id), "type": "private"}
    message = {"message_id": 9, "date": 0, "chat": chat, "from": sender, "text": text}
    return json.dumps({"update_id": int(user_id) + 1, "message": message}, ensure_ascii=False)


@pytest.fixture
def feed(store: Store, config: Config, clock: Clock) -> StaffFeed:
    return StaffFeed(store, STAFF, config.clinic, clock)


@pytest.fixture
def staffed(
    kb: KnowledgeBase, matcher: Matcher, store: Store, config: Config, clock: Clock, feed: StaffFeed
) -> Conversation:
    holder = KbHolder(Loaded(kb, matcher))
    return Conversation(holder, store, config, clock=clock, alerts=feed.alert, staff_channel=STAFF)


async def say(chat: Chat, outbox: Outbox, text: str, **kind: str) -> list[Reply]:
    """The patient says something; the replies are queued as a channel adapter does."""
    await chat.push(text, **kind)  # type: ignore[arg-type]
    replies = list(chat.replies)
    chat.replies.clear()
    await outbox.enqueue(chat.channel, f"chat-{chat.user_id}", replies)
    return replies


async def test_nothing_about_a_forgotten_patient_remains_in_any_table(
    staffed: Conversation, store: Store, clock: Clock, tmp_path: Path
) -> None:
    outbox, inbox = Outbox(store, clock), Inbox(store, "telegram", clock)
    hanako, taro = Chat(staffed, HANAKO, "telegram"), Chat(staffed, TARO, "telegram")
    said = await say(hanako, outbox, "飲酒はできますか")
    [helpful] = [c for r in said for c in r.choices if c.payload.endswith(":helpful")]
    await say(hanako, outbox, helpful.payload, kind="choice")
    await say(hanako, outbox, HANAKO_SAYS[0])  # no entry fits: a ticket for staff
    await say(hanako, outbox, HANAKO_SAYS[1])  # joins the ticket
    await say(taro, outbox, TARO_SAYS)
    await staffed.staff_reply(1, STAFF_ABOUT_HANAKO[0], "佐藤")
    await staffed.desk.note(1, STAFF_ABOUT_HANAKO[1], "佐藤")
    async with store.transaction() as tx:
        hanako_id = (await tx.patients.find("telegram", HANAKO)).id  # type: ignore[union-attr]
        await tx.staff.propose(
            "alcohol", HANAKO_SAYS[0], ticket_id=1, staff_name="佐藤", now=clock()
        )
        await tx.staff.set_topic(hanako_id, str(STAFF_CHAT), 100, clock())
        await tx.staff.add_post(str(STAFF_CHAT), 55, 1)
        await tx.staff.set_topic(hanako_id + 1, str(STAFF_CHAT), 101, clock())
    await inbox.receive(
        [("u1", update_from(HANAKO, HANAKO_SAYS[2])), ("u2", update_from(TARO, "太郎の未処理"))]
    )
    needles = [HANAKO, f"chat-{HANAKO}", *HANAKO_SAYS, *STAFF_ABOUT_HANAKO]
    db = tmp_path / "faqbot.sqlite3"
    assert {needle for _, _, needle in leftovers(db, needles)} == set(needles)  # all were kept

    await say(hanako, outbox, "forget", kind="command")
    [goodbye] = await say(hanako, outbox, "forget:yes", kind="choice")
    assert goodbye.text == "あなたのデータを削除しました。ご利用ありがとうございました。"
    delivered: list[OutboxItem] = []

    async def send(item: OutboxItem) -> None:
        delivered.append(item)

    await outbox.deliver("telegram", send, chat_id=f"chat-{HANAKO}")

    assert [item.reply.text for item in delivered][-1].startswith("あなたのデータを削除しました")
    assert leftovers(db, needles) == []
    assert {needle for _, _, needle in leftovers(db, [TARO, TARO_SAYS, "太郎の未処理"])} == {
        TARO,
        TARO_SAYS,
        "太郎の未処理",
    }
    async with store.transaction(write=False) as tx:
        staff_items = await tx.outbox.items(channel=STAFF)
        assert await tx.staff.topic(hanako_id + 1, str(STAFF_CHAT)) == 101
    marker = StaffTopic(str(STAFF_CHAT), 100)
    assert [(i.chat_id, i.reply.text) for i in staff_items if topic_of(i.chat_id)] == [
        (topic_key(marker), FORGOTTEN_NOTICE)
    ]


async def test_an_update_is_the_patients_only_by_who_sent_it() -> None:
    assert mentions_sender(update_from(HANAKO, "こんにちは"), [HANAKO])
    assert not mentions_sender(update_from(TARO, f"{HANAKO}番です"), [HANAKO])
    assert mentions_sender('{"source": {"type": "user", "userId": "U1"}}', ["U1"])
    assert not mentions_sender("not json", [HANAKO])


async def test_a_topic_key_names_the_chat_and_thread() -> None:
    topic = StaffTopic("-1001000", 42)
    assert topic_of(topic_key(topic)) == topic
    assert topic_of("ticket:4") is None
    assert topic_of("topic:-1001000:x") is None


async def test_forgetting_on_telegram_marks_the_staff_topic_deleted(tg: Telegram) -> None:  # noqa: F811
    tg.app.conversation.staff_channel = STAFF  # the app's wiring (see the report to the lead)
    hanako = tg.patient(User(98765432, "花子"))
    room = tg.staff_room()
    await hanako.says(HANAKO_SAYS[0])
    await hanako.receives()
    topic = await room.receives()
    assert topic.thread_id is not None
    await tg.staff().says(STAFF_ABOUT_HANAKO[0], topic=topic)
    assert await hanako.receives_text() != ""
    await hanako.says("/forget")
    await hanako.receives()
    await hanako.presses("削除する")
    assert (await hanako.receives_text()).startswith("あなたのデータを削除しました")

    notice = await room.receives()
    assert (notice.text, notice.thread_id) == (FORGOTTEN_NOTICE, topic.thread_id)
    await tg.fake.wait_until(lambda: topic.thread_id in tg.fake.closed_topics)
    assert tg.fake.topics[topic.thread_id] == FORGOTTEN_TOPIC_NAME
    db = Path(tg.config.storage.path)
    await tg.fake.wait_until(lambda: not leftovers(db, ["98765432"]))
    assert leftovers(db, ["98765432", HANAKO_SAYS[0], STAFF_ABOUT_HANAKO[0]]) == []


def faqbot(db: Path, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", "--db", str(db), *args],
        cwd=db.parent,
        input=stdin,
        capture_output=True,
        text=True,
        encoding="utf-8",
        env={**os.environ, "PYTHONIOENCODING": "utf-8"},
        timeout=60,
    )


async def test_an_admin_forgets_the_patient_of_a_ticket_after_confirming(
    conv: Conversation, store: Store, tmp_path: Path
) -> None:
    hanako = Chat(conv, HANAKO, "local")
    await hanako.push(HANAKO_SAYS[0])
    db = tmp_path / "faqbot.sqlite3"
    forget = ("patients", "forget", "--ticket", "1")

    refused = await asyncio.to_thread(faqbot, db, *forget, stdin="n\n")
    assert refused.returncode == 0
    assert refused.stdout == (
        f"Delete everything about patient #1 (local user {HANAKO})? [y/N] nothing deleted\n"
    )
    assert leftovers(db, [HANAKO_SAYS[0]]) != []

    done = await asyncio.to_thread(faqbot, db, *forget, stdin="y\n")
    assert done.returncode == 0, done.stderr
    assert "forgotten: 1 tickets, 1 questions deleted" in done.stdout
    assert leftovers(db, [HANAKO, HANAKO_SAYS[0]]) == []


async def test_an_admin_forgets_a_patient_by_user_id_without_asking(
    conv: Conversation, store: Store, tmp_path: Path
) -> None:
    await Chat(conv, HANAKO, "line").push("飲酒はできますか")
    await Chat(conv, TARO, "line").push("献血はできますか")
    db = tmp_path / "faqbot.sqlite3"
    args = ("patients", "forget", "--channel", "line", "--user", HANAKO, "--yes")

    done = await asyncio.to_thread(faqbot, db, *args)

    assert done.returncode == 0, done.stderr
    assert leftovers(db, [HANAKO]) == []
    assert leftovers(db, [TARO]) != []
    again = await asyncio.to_thread(faqbot, db, *args)
    assert (again.returncode, again.stderr) == (1, "faqbot: no such patient\n")


async def test_an_admin_must_say_whom_to_forget(tmp_path: Path) -> None:
    done = await asyncio.to_thread(faqbot, tmp_path / "faqbot.sqlite3", "patients", "forget")
    assert done.returncode == 2
    assert "give --channel and --user, or --ticket" in done.stderr
