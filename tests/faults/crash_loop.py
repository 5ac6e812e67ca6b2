"""The crash loop: SIGKILL `faqbot run` at random moments while patients and staff talk.

Run the full version with `python -m tests.faults.crash_loop --kills 100 [--seed N]`
(or `FAQBOT_FULL_FAULTS=1 pytest tests/faults`); the suite runs a short one.

Patients keep asking FAQ questions (each waits for its answer before the next); a few ask
for staff, and a staff member keeps replying in their topics. The bot is killed, then
started again on the same database, over and over. After each kill, the database is
opened as the next start would open it: it must pass `PRAGMA integrity_check`, and hold
every update the fake saw confirmed (a later getUpdates offset passed it) exactly once.
At the end every question has its answer and every staff reply reached its patient, each
once; a message sent again is forgiven only when the kill interrupted its first send.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from tests.faults.bot_process import FAQBOT_RUN, BotProcess
from tests.faults.db_state import outbox_settled, read_db
from tests.faults.harness import (
    HANDOVER,
    STAFF_CHAT,
    STAFF_MEMBER,
    ChatReport,
    FaultyTelegram,
    Patient,
    compare,
    write_config,
)

REPLY_TIMEOUT = 60.0  # seconds the end waits for replies still owed
STARTUP_TIMEOUT = 60.0  # seconds a start may take before it polls (a loaded CI machine)


@dataclass(frozen=True, slots=True)
class CrashPlan:
    kills: int
    seed: int
    patients: int = 10
    escalating: int = 3  # of the patients, those who ask for staff after two questions
    max_uptime: float = 1.5  # seconds a started bot runs at most before the kill
    startup_kills: float = 0.2  # the share of kills that come while the bot is starting


@dataclass(slots=True)
class CrashResult:
    plan: CrashPlan
    problems: list[str] = field(default_factory=list)  # after kills and at the end
    reports: dict[int, ChatReport] = field(default_factory=dict)  # by patient chat
    questions: int = 0
    staff_replies: int = 0
    confirmed_checked: int = 0  # (update, kill) pairs checked against the inbox
    seconds: float = 0.0

    @property
    def resent(self) -> int:
        return sum(len(r.resent) for r in self.reports.values())

    def summary(self) -> str:
        return (
            f"seed {self.plan.seed}: {self.plan.kills} kills, {self.questions} patient"
            f" messages, {self.staff_replies} staff replies, {self.resent} resent after a"
            f" kill, {len(self.problems)} problems in {self.seconds:.0f} s"
        )


class Traffic:
    """Patients and one staff member talking until told to stop."""

    def __init__(self, fake: FaultyTelegram, plan: CrashPlan, rng: random.Random) -> None:
        self.fake = fake
        self.rng = rng
        self.patients = [Patient(fake, n) for n in range(plan.patients)]
        self.escalating = self.patients[: plan.escalating]
        self.staff_updates: list[int] = []
        self.staff_replies = 0
        self.stopping = asyncio.Event()
        fake.members[STAFF_MEMBER.id] = "member"

    def update_ids(self) -> list[int]:
        return [u for p in self.patients for u in p.update_ids] + self.staff_updates

    async def run(self) -> None:
        await asyncio.gather(
            *(self._asks_questions(p) for p in self.patients[len(self.escalating) :]),
            *(self._asks_for_staff(p) for p in self.escalating),
        )

    async def _asks_questions(self, patient: Patient) -> None:
        while not self.stopping.is_set():
            await patient.asks_next()
            await self._answered(patient)

    async def _asks_for_staff(self, patient: Patient) -> None:
        for _ in range(2):
            await patient.asks_next()
            await self._answered(patient)
        handover = f"{HANDOVER}（{patient.user.first_name}）"
        await patient.says(handover, reply="スタッフにおつなぎします。")
        topic = await self._topic_of(f"質問: {handover}")
        number = 0
        while topic is not None and not self.stopping.is_set():
            number += 1
            text = f"返信{patient.chat_id}-{number}です"
            patient.expected.append(text)
            update = self.fake.message_update(STAFF_MEMBER, STAFF_CHAT, text=text, thread_id=topic)
            self.staff_updates.append(await self.fake.push(update))
            self.staff_replies += 1
            await self._answered(patient)

    async def _answered(self, patient: Patient) -> None:
        """Until the patient has every reply (or the end), then a short pause."""
        while not await patient.gets_replies(1.0) and not self.stopping.is_set():
            pass
        await asyncio.sleep(self.rng.uniform(0.0, 0.3))

    async def _topic_of(self, question: str) -> int | None:
        """The staff topic the bot opened for this question (None if the end came first)."""

        def posted() -> bool:
            return any(question in (s.text or "") for s, _ in self.fake.chats[STAFF_CHAT])

        while not posted():
            if self.stopping.is_set():
                return None
            await self.fake.wait_for(posted, 1.0)
        [thread, *_] = [
            s.thread_id for s, _ in self.fake.chats[STAFF_CHAT] if question in (s.text or "")
        ]
        return thread


async def _wait_until_polling(fake: FaultyTelegram, polls_before: int) -> bool:
    return await fake.wait_for(
        lambda: len(fake.calls_of("getUpdates")) > polls_before, STARTUP_TIMEOUT
    )


def _check_after_kill(
    db: Path, fake: FaultyTelegram, traffic: Traffic, kill: int, result: CrashResult
) -> None:
    state = read_db(db) if db.exists() else None
    if state is None:
        return  # killed before the database was made: nothing was confirmed either
    if state.integrity != "ok":
        result.problems.append(f"kill {kill}: integrity_check says {state.integrity!r}")
    for update_id in traffic.update_ids():
        if fake.confirmed(update_id):
            result.confirmed_checked += 1
            rows = state.inbox[str(update_id)]
            if rows != 1:
                result.problems.append(
                    f"kill {kill}: confirmed update {update_id} in inbox {rows}×"
                )


async def crash_loop(
    folder: Path, plan: CrashPlan, *, say: Callable[[str], None] = print
) -> CrashResult:
    """Run the plan in `folder` (config, knowledge base, database, the bot's log)."""
    say(f"crash loop: seed {plan.seed}, {plan.kills} kills")
    started = time.monotonic()
    result = CrashResult(plan)
    rng = random.Random(plan.seed)
    fake = FaultyTelegram()
    await fake.start()
    bot = BotProcess(write_config(folder, fake), command=FAQBOT_RUN)
    db = folder / "faqbot.sqlite3"
    traffic = Traffic(fake, plan, random.Random(rng.random()))
    talking = asyncio.create_task(traffic.run())
    try:
        for kill in range(1, plan.kills + 1):
            polls = len(fake.calls_of("getUpdates"))
            await bot.start()
            if rng.random() < plan.startup_kills:
                await asyncio.sleep(rng.uniform(0.1, 3.0))  # importing, migrating, getMe…
            elif await _wait_until_polling(fake, polls):
                await asyncio.sleep(rng.uniform(0.0, plan.max_uptime))
            else:
                result.problems.append(f"kill {kill}: the bot did not start\n{bot.log_tail()}")
            await bot.kill()
            _check_after_kill(db, fake, traffic, kill, result)
        polls = len(fake.calls_of("getUpdates"))
        await bot.start()
        traffic.stopping.set()
        await talking
        # Stopped only once up: a SIGTERM while Python is still importing ends any
        # program at once (its handler is not installed yet), which is not what is tested.
        if not await _wait_until_polling(fake, polls):
            result.problems.append(f"the last start did not start\n{bot.log_tail()}")
        await _finish(fake, bot, traffic, result)
    finally:
        traffic.stopping.set()
        if not talking.done():
            talking.cancel()
        if bot.alive:
            await bot.kill()
        await fake.stop()
    result.seconds = time.monotonic() - started
    say(result.summary())
    return result


async def _finish(
    fake: FaultyTelegram, bot: BotProcess, traffic: Traffic, result: CrashResult
) -> None:
    """Every reply owed comes, the bot stops cleanly, and the database holds it all once."""
    for patient in traffic.patients:
        if not await patient.gets_replies(REPLY_TIMEOUT):
            break  # the comparison below names what is missing
    # The clean stop has its own test (test_a_clean_stop_resends_nothing); this is about kills.
    await outbox_settled(bot.config.parent / "faqbot.sqlite3", timeout=10.0)
    code = await bot.stop()
    if code != 0:
        result.problems.append(f"the last start exited with {code}\n{bot.log_tail()}")
    state = read_db(bot.config.parent / "faqbot.sqlite3")
    if state.integrity != "ok":
        result.problems.append(f"at the end: integrity_check says {state.integrity!r}")
    for update_id in traffic.update_ids():
        if state.inbox[str(update_id)] != 1:
            result.problems.append(
                f"at the end: update {update_id} in inbox {state.inbox[str(update_id)]}×"
            )
    if set(state.inbox_status) != {"done"}:
        result.problems.append(f"at the end: inbox statuses {dict(state.inbox_status)}")
    if set(state.outbox_status) != {"sent"}:
        result.problems.append(f"at the end: outbox rows not sent {state.unsent}")
    for patient in traffic.patients:
        report = compare(fake, patient.chat_id, patient.expected, bot)
        result.reports[patient.chat_id] = report
        if report.missing or report.extra or report.doubled:
            result.problems.append(f"chat {patient.chat_id}: {report}")
    result.questions = sum(len(p.update_ids) for p in traffic.patients)
    result.staff_replies = traffic.staff_replies


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--kills", type=int, default=100)
    parser.add_argument("--seed", type=int, default=None, help="default: a random one (printed)")
    parser.add_argument("--patients", type=int, default=10)
    args = parser.parse_args()
    seed = args.seed if args.seed is not None else random.randrange(2**32)
    plan = CrashPlan(kills=args.kills, seed=seed, patients=args.patients)
    with tempfile.TemporaryDirectory() as folder:
        result = asyncio.run(crash_loop(Path(folder), plan))
    for problem in result.problems:
        print(problem)
    raise SystemExit(1 if result.problems else 0)


if __name__ == "__main__":
    main()
