"""Faults and load: the real bot as a separate process against the fake Bot API in this one.

The fake Telegram server, the patients and the staff member live in the test's event loop;
the bot is `faqbot run --config` (or `tests.faults.bot_main`, the same app with short
timings) in a child process that can be killed at any moment. Every message the bot sends
is recorded by the fake with the time it arrived, so a test can tell which process sent it.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from aiohttp import web

from tests.fakes.telegram_api import FailureKind, FakeTelegram, Sent
from tests.fakes.telegram_updates import User
from tests.faults.bot_process import BotProcess

STAFF_CHAT = -1001000
STAFF_MEMBER = User(700, "佐藤")
FIRST_PATIENT = 20_000
CLINIC = "障害試験皮膚科"
DISCLAIMER = "※一般的な情報です。"

# (entry id, the patient's question, a keyword only it has); each answer is `回答:<id>`.
TOPICS = (
    ("alcohol", "お酒を飲んでもいいですか？", "お酒"),
    ("blood", "献血はできますか？", "献血"),
    ("sun", "日焼け止めは使えますか？", "日焼け"),
    ("pregnancy", "妊娠しても大丈夫ですか？", "妊娠"),
    ("lips", "唇が乾燥するのはなぜですか？", "唇"),
    ("sport", "運動してもいいですか？", "運動"),
    ("contacts", "コンタクトレンズは使えますか？", "コンタクト"),
    ("vitamin", "ビタミン剤を飲んでもいいですか？", "ビタミン"),
)
HANDOVER = "スタッフと話したいです"  # the handover rule matches「スタッフと話」


def answer_label(index: int) -> str:
    """How the bot's answer to TOPICS[index % len(TOPICS)] begins."""
    return f"回答:{TOPICS[index % len(TOPICS)][0]}"


def question(index: int) -> str:
    return TOPICS[index % len(TOPICS)][1]


def kb_yaml() -> str:
    """A knowledge base whose answers are told apart by their first line."""
    texts = {
        "welcome": "こんにちは。",
        "disclaimer": DISCLAIMER,
        "clarify": "どの質問に近いですか？",
        "escalation": "担当スタッフが{eta}お返事します。",
        "handover": "スタッフにおつなぎします。{eta}ご連絡します。",
        "ticket_followup": "スタッフに伝えました。",
        "ticket_closed": "お問い合わせを終了しました。",
        "staff_reply_header": "【{clinic}より】",
        "feedback_thanks": "ご回答ありがとうございます。",
        "not_understood": "もう一度お書きください。",
        "feedback_prompt": "役に立ちましたか？",
        "button_helpful": "役に立った",
        "button_not_helpful": "役に立たなかった",
        "button_ask_staff": "スタッフに相談する",
        "button_none_of_these": "どれも違う",
        "menu_prompt": "テーマを選んでください。",
        "category_prompt": "「{category}」についてのよくあるご質問です。",
        "help": "/menu テーマから選ぶ /staff スタッフに相談",
        "forget_confirm": "削除しますか？",
        "button_forget_yes": "削除する",
        "button_forget_no": "やめる",
        "forget_done": "削除しました。",
        "forget_cancelled": "やめました。",
    }
    entries = [
        {
            "id": entry_id,
            "category": "生活",
            "question": text,
            "keywords": [keyword],
            "answer": f"回答:{entry_id}\n服用中の注意です。",
        }
        for entry_id, text, keyword in TOPICS
    ]
    handover = [{"id": "person", "reason": "スタッフと話したい", "any": ["スタッフと話"]}]
    document = {"texts": texts, "entries": entries, "red_flags": [], "handover": handover}
    return yaml.safe_dump(document, allow_unicode=True, sort_keys=False)


def label(sent: Sent) -> str:
    """What a message is, for comparing: its first line (after the clinic's header)."""
    lines = (sent.text or "").splitlines() or [""]
    if lines[0] == f"【{CLINIC}より】" and len(lines) > 1:
        return lines[1]
    return lines[0]


@dataclass(frozen=True, slots=True)
class Chaos:
    """Random failures the fake answers with, while `FaultyTelegram.chaos` is set."""

    rng: random.Random
    rate: float  # the share of calls that fail
    methods: frozenset[str]
    kinds: tuple[FailureKind, ...] = ("retry_after", "server_error", "timeout")
    timeouts: dict[str, float] = field(default_factory=dict)  # seconds a "timeout" holds, by method


class FaultyTelegram(FakeTelegram):
    """The fake Bot API, noting when each message arrives; with `chaos`, failing at random."""

    def __init__(self) -> None:
        super().__init__(staff_chat_id=STAFF_CHAT)
        # Each chat's messages with their arrival times, and an event set on each arrival:
        # a hundred patients re-reading every message on every call would eat the CPU.
        self.chats: defaultdict[int, list[tuple[Sent, float]]] = defaultdict(list)
        self.arrived: defaultdict[int, asyncio.Event] = defaultdict(asyncio.Event)
        self.chaos: Chaos | None = None
        self.answer_delay = 0.0  # seconds between delivering a message and answering the call
        self.injected: Counter[tuple[str, str]] = Counter()  # (method, kind) → failures

    async def _api(self, request: web.Request) -> web.Response:
        chaos, method = self.chaos, request.match_info["method"]
        if chaos is not None and method in chaos.methods and chaos.rng.random() < chaos.rate:
            # Kinds in turn, not drawn: a short run still sees each of them.
            done = sum(n for (m, _), n in self.injected.items() if m == method)
            kind = chaos.kinds[done % len(chaos.kinds)]
            self.fail(method, kind=kind, retry_after=1, delay=chaos.timeouts.get(method, 2.0))
            self.injected[method, kind] += 1
        return await super()._api(request)

    async def _send(self, method: str, params: dict[str, str]) -> web.Response:
        response = await super()._send(method, params)
        await asyncio.sleep(self.answer_delay)  # delivered; the answer is still on its way
        return response

    def _record(
        self,
        method: str,
        chat_id: int,
        params: dict[str, str],
        text: str | None,
        file: tuple[str, str] | None,
    ) -> Sent:
        sent = super()._record(method, chat_id, params, text, file)
        now = time.monotonic()
        self.chats[chat_id].append((sent, now))
        self.arrived[chat_id].set()
        return sent

    async def wait_for(self, condition: Callable[[], bool], timeout: float) -> bool:
        """Whether `condition()` came true within `timeout` seconds."""
        try:
            await self.wait_until(condition, timeout)
        except TimeoutError:
            return False
        return True


def write_config(folder: Path, fake: FakeTelegram) -> Path:
    """The bot's config and knowledge base in `folder`: polling the fake, a staff forum."""
    kb = folder / "kb.yaml"
    kb.write_text(kb_yaml(), encoding="utf-8")
    settings = {
        "faq": {"path": str(kb), "reload_check_seconds": 0},
        "storage": {"path": str(folder / "faqbot.sqlite3")},
        "clinic": {"name": CLINIC},
        "telegram": {
            "base_url": fake.base_url,
            "base_file_url": fake.base_file_url,
            "staff_chat_id": STAFF_CHAT,
            "poll_timeout": 1,
        },
        # Consent and flood limits are not under test here: they would hold or drop messages.
        "safety": {"consent": False, "rate_per_minute": 10_000, "rate_per_hour": 100_000},
    }
    path = folder / "config.yaml"
    path.write_text(yaml.safe_dump(settings, allow_unicode=True), encoding="utf-8")
    return path


class Patient:
    """A patient in a private chat with the bot; `expected` is what the bot should send back."""

    def __init__(self, fake: FaultyTelegram, number: int) -> None:
        self.fake = fake
        self.user = User(FIRST_PATIENT + number, f"患者{number}")
        self.expected: list[str] = []
        self.update_ids: list[int] = []
        self.asked = 0

    @property
    def chat_id(self) -> int:
        return self.user.id

    async def says(self, text: str, *, reply: str) -> None:
        """Send `text`; the bot's one message back should begin with `reply`."""
        self.expected.append(reply)
        update = self.fake.message_update(self.user, self.user.id, text=text)
        self.update_ids.append(await self.fake.push(update))

    async def asks_next(self) -> None:
        """The next FAQ question (never the same as the last one, so resends stand out)."""
        await self.says(question(self.asked), reply=answer_label(self.asked))
        self.asked += 1

    def received(self) -> int:
        """Messages received, a resend of the same message counted once."""
        labels = [label(sent) for sent, _ in self.fake.chats[self.chat_id]]
        return sum(1 for i, text in enumerate(labels) if i == 0 or text != labels[i - 1])

    async def gets_replies(self, timeout: float) -> bool:
        """Whether every expected reply has come (resends aside) within `timeout` seconds."""
        arrived = self.fake.arrived[self.chat_id]
        try:
            async with asyncio.timeout(timeout):
                while self.received() < len(self.expected):
                    arrived.clear()
                    await arrived.wait()
        except TimeoutError:
            return False
        return True


@dataclass(frozen=True, slots=True)
class ChatReport:
    """How one chat's messages compare with what it should have received."""

    missing: list[str]  # expected, never received (or received out of order)
    extra: list[str]  # received, never expected
    doubled: list[str]  # sent again although the bot had recorded the first copy as sent
    resent: list[str]  # sent again after a kill interrupted the first send: at least once


def compare(
    fake: FaultyTelegram, chat_id: int, expected: Sequence[str], bot: BotProcess
) -> ChatReport:
    """Compare the chat's messages with `expected` (adjacent expected labels never repeat).

    A message that comes twice in a row is a resend. It is legitimate only if the first
    copy was the last message its process sent to this chat before being killed: the bot
    had not yet recorded it as sent. Any other repeat is a duplicate.
    """
    timed = fake.chats[chat_id]
    runs = [(label(sent), bot.incarnation_at(at)) for sent, at in timed]
    received: list[str] = []
    doubled: list[str] = []
    resent: list[str] = []
    for i, (text, incarnation) in enumerate(runs):
        if i == 0 or text != runs[i - 1][0]:
            received.append(text)
            continue
        first = runs[i - 1][1]
        last_of_first = all(inc != first for _, inc in runs[i + 1 :])
        if incarnation > first and last_of_first:
            resent.append(text)
        else:
            doubled.append(text)
    matched = 0
    missing: list[str] = []
    for want in expected:
        if matched < len(received) and received[matched].startswith(want):
            matched += 1
        else:
            missing.append(want)
    return ChatReport(missing, received[matched:], doubled, resent)
