"""Bot fixtures: a small knowledge base and its real matcher, a real SQLite store, a chat harness."""

from __future__ import annotations

from collections import deque
from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo

import pytest

from bot.config import Config
from bot.consent import PAYLOAD as CONSENT_PAYLOAD
from bot.core import Conversation
from bot.kb_holder import KbHolder, Loaded
from bot.messages import Attachment, IncomingMessage, Reply, ReplyKind, StaffAlert
from bot.store import Store
from faq.loader import load_kb
from faq.matcher import Matcher
from faq.model import KnowledgeBase

JST = ZoneInfo("Asia/Tokyo")

KB_YAML = """\
texts:
  welcome: こんにちは。イソトレチノインの質問にお答えします。
  disclaimer: ※一般的な情報です。
  clarify: どの質問に近いですか？
  escalation: 担当スタッフが{eta}お返事します。
  handover: スタッフにおつなぎします。{eta}ご連絡します。
  ticket_followup: スタッフに伝えました。
  ticket_closed: お問い合わせを終了しました。
  staff_reply_header: "【{clinic}より】"
  feedback_thanks: ご回答ありがとうございます。
  not_understood: もう一度お書きください。
  feedback_prompt: 役に立ちましたか？
  button_helpful: 役に立った
  button_not_helpful: 役に立たなかった
  button_ask_staff: スタッフに相談する
  button_none_of_these: どれも違う
  menu_prompt: テーマを選んでください。
  category_prompt: "「{category}」についてのよくあるご質問です。"
  help: "/menu テーマから選ぶ /staff スタッフに相談 /forget データを削除"
  forget_confirm: 削除しますか？
  button_forget_yes: 削除する
  button_forget_no: やめる
  forget_done: あなたのデータを削除しました。ご利用ありがとうございました。
  forget_cancelled: やめました。
entries:
  - id: alcohol
    category: 生活
    question: お酒を飲んでもいいですか？
    phrasings: [飲酒はできますか]
    keywords: [お酒, 飲酒]
    answer: 服用中の飲酒は控えてください。
    related: [blood_donation]
  - id: blood_donation
    category: 生活
    question: 献血はできますか？
    phrasings: [献血していい？]
    keywords: [献血]
    answer: 服用中と服用後1ヶ月は献血できません。
  - id: greeting
    category: あいさつ
    kind: smalltalk
    question: こんにちは
    answer: こんにちは！ご質問をどうぞ。
red_flags:
  - id: chest
    label: 胸の痛み
    message: 胸の痛みがある場合はすぐに119番に電話してください。
    any: [胸が痛, 胸痛]
handover:
  - id: person
    reason: スタッフと話したい
    any: [スタッフと話]
"""


@pytest.fixture
def kb_file(tmp_path: Path) -> Path:
    path = tmp_path / "kb.yaml"
    path.write_text(KB_YAML, encoding="utf-8")
    return path


@pytest.fixture
def kb(kb_file: Path) -> KnowledgeBase:
    return load_kb(kb_file)


class Clock:
    """A clock tests set by hand; starts on Wednesday 2026-11-25 10:00 in Tokyo."""

    def __init__(self) -> None:
        self.now = datetime(2026, 11, 25, 10, 0, tzinfo=JST)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def matcher(kb: KnowledgeBase, request: pytest.FixtureRequest) -> Matcher:
    """The real matcher on the test knowledge base, as the bot builds it; a test may
    set its thresholds (`indirect` parametrisation with a `Bands`)."""
    return Matcher(kb, thresholds=getattr(request, "param", None))


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[Store]:
    opened = await Store.open(tmp_path / "faqbot.sqlite3")
    yield opened
    await opened.close()


@pytest.fixture
def config() -> Config:
    return Config.model_validate({"clinic": {"name": "テスト皮膚科"}})


class Chat:
    """One patient talking to the core, errbot style: `push` a message, `pop` the replies.

    By default the patient agrees to what is stored (the consent button, pressed before
    their first message; its thanks is not kept); `consented=False` starts without.
    """

    def __init__(
        self,
        conv: Conversation,
        user_id: str = "alice",
        channel: str = "test",
        *,
        consented: bool = True,
    ) -> None:
        self.conv = conv
        self.user_id = user_id
        self.channel = channel
        self.replies: deque[Reply] = deque()
        self.last: Reply | None = None
        self._count = 0
        self._agree_first = consented

    async def push(
        self,
        text: str,
        *,
        kind: Literal["text", "choice", "command"] = "text",
        attachment: Attachment | None = None,
    ) -> None:
        if self._agree_first:
            self._agree_first = False
            await self.push(CONSENT_PAYLOAD, kind="choice")
            assert [r.kind for r in self.replies] == [ReplyKind.CONSENT]
            self.replies.clear()
        self._count += 1
        msg = IncomingMessage(
            channel=self.channel,
            user_id=self.user_id,
            chat_id=f"chat-{self.user_id}",
            text=text,
            message_id=str(self._count),
            kind=kind,
            attachment=attachment,
        )
        self.replies.extend(await self.conv.handle(msg))

    async def command(self, name: str) -> None:
        await self.push(name, kind="command")

    async def press(self, label: str) -> None:
        """Press the button with this label under the last popped reply."""
        assert self.last is not None, "no reply popped yet"
        [choice] = [c for c in self.last.choices if c.label == label]
        await self.push(choice.payload, kind="choice")

    def pop(self) -> Reply:
        assert self.replies, "the bot said nothing more"
        self.last = self.replies.popleft()
        return self.last

    def pop_text(self) -> str:
        return self.pop().text

    def assert_quiet(self) -> None:
        assert not self.replies, f"unexpected replies: {[r.text for r in self.replies]}"


async def agreed(store: Store, channel: str, user_id: str, chat_id: str, now: datetime) -> None:
    """The patient as after pressing the consent button (for tests of other things)."""
    async with store.transaction() as tx:
        if (found := await tx.patients.find(channel, user_id)) is None:
            found = await tx.patients.seen(channel, user_id, chat_id, now)
        await tx.safety.consent(found.id, now)


class Alerts:
    """Collects staff alerts."""

    def __init__(self) -> None:
        self.sent: list[StaffAlert] = []

    async def __call__(self, alert: StaffAlert) -> None:
        self.sent.append(alert)


@pytest.fixture
def alerts() -> Alerts:
    return Alerts()


@pytest.fixture
def conv(
    kb: KnowledgeBase,
    matcher: Matcher,
    store: Store,
    config: Config,
    clock: Clock,
    alerts: Alerts,
) -> Conversation:
    return Conversation(KbHolder(Loaded(kb, matcher)), store, config, clock=clock, alerts=alerts)


@pytest.fixture
def alice(conv: Conversation) -> Chat:
    return Chat(conv, "alice")
