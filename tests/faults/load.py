"""Load with faults: many patients in bursts while the fake Bot API fails at random.

Run the full version with `python -m tests.faults.load --patients 100 --messages 20`
(or `FAQBOT_FULL_FAULTS=1 pytest tests/faults`); the suite runs a smaller one.

Each patient sends its messages in bursts (several at once, then waits for the answers).
For the first seconds the fake answers a share of sendMessage and getUpdates calls with
429 (retry after 1 s), 500, or a delay longer than the bot's client waits (a timeout);
then the faults stop. Every message must be answered once, the outbox must drain, and
the bot's resident memory (VmRSS) is sampled throughout.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from tests.faults.bot_main import REQUEST_TIMEOUT
from tests.faults.bot_process import SHORT_TIMINGS, BotProcess
from tests.faults.db_state import outbox_settled, read_db
from tests.faults.harness import (
    Chaos,
    ChatReport,
    FaultyTelegram,
    Patient,
    compare,
    write_config,
)

POLL_TIMEOUT = 1  # write_config's telegram.poll_timeout


@dataclass(frozen=True, slots=True)
class LoadPlan:
    patients: int
    messages: int  # per patient
    seed: int
    burst: int = 5  # messages a patient sends at once
    fault_seconds: float = 6.0  # how long the fake fails calls at random
    fault_rate: float = 0.2  # the share of calls that fail meanwhile
    timeout: float = 80.0  # seconds for all of it: a run that takes longer lost messages


@dataclass(slots=True)
class LoadResult:
    plan: LoadPlan
    problems: list[str] = field(default_factory=list)
    reports: dict[int, ChatReport] = field(default_factory=dict)
    injected: Counter[tuple[str, str]] = field(default_factory=Counter)
    rss_kib: list[int] = field(default_factory=list)  # samples while patients talk
    answered: int = 0  # messages with every reply they should have
    seconds: float = 0.0

    @property
    def first_third_peak(self) -> int:
        return max(self.rss_kib[: len(self.rss_kib) // 3], default=0)

    @property
    def last_third_peak(self) -> int:
        return max(self.rss_kib[-(len(self.rss_kib) // 3) :], default=0)

    def summary(self) -> str:
        faults = ", ".join(f"{m} {k} {n}" for (m, k), n in sorted(self.injected.items()))
        return (
            f"seed {self.plan.seed}: {self.plan.patients} patients × {self.plan.messages}"
            f" messages in {self.seconds:.0f} s; faults: {faults}; RSS peak first third"
            f" {self.first_third_peak // 1024} MiB, last third {self.last_third_peak // 1024}"
            f" MiB; {len(self.problems)} problems"
        )


async def _patient(patient: Patient, plan: LoadPlan, rng: random.Random) -> None:
    await asyncio.sleep(rng.uniform(0.0, 1.0))
    sent = 0
    while sent < plan.messages:
        for _ in range(min(plan.burst, plan.messages - sent)):
            await patient.asks_next()
            sent += 1
        while not await patient.gets_replies(plan.timeout):
            pass  # the overall timeout ends a wait that never ends
        await asyncio.sleep(rng.uniform(0.0, 0.5))


async def _sample_rss(bot: BotProcess, into: list[int]) -> None:
    while True:
        rss = bot.rss_kib()
        if rss is not None:
            into.append(rss)
        await asyncio.sleep(0.25)


async def _faults(fake: FaultyTelegram, plan: LoadPlan, rng: random.Random) -> None:
    """Fail calls at random for `fault_seconds`, then stop for good."""
    fake.chaos = Chaos(
        rng,
        plan.fault_rate,
        frozenset({"sendMessage", "getUpdates"}),
        # Longer than the client waits: its read timeout (plus the long poll's).
        timeouts={
            "sendMessage": REQUEST_TIMEOUT + 0.5,
            "getUpdates": REQUEST_TIMEOUT + POLL_TIMEOUT + 0.5,
        },
    )
    await asyncio.sleep(plan.fault_seconds)
    fake.chaos = None
    fake.heal()


async def load_with_faults(
    folder: Path, plan: LoadPlan, *, say: Callable[[str], None] = print
) -> LoadResult:
    """Run the plan in `folder` (config, knowledge base, database, the bot's log)."""
    say(f"load with faults: seed {plan.seed}, {plan.patients} patients × {plan.messages}")
    result = LoadResult(plan)
    rng = random.Random(plan.seed)
    fake = FaultyTelegram()
    await fake.start()
    bot = BotProcess(write_config(folder, fake), command=SHORT_TIMINGS)
    db = folder / "faqbot.sqlite3"
    patients = [Patient(fake, n) for n in range(plan.patients)]
    background: list[asyncio.Task[None]] = []
    started = time.monotonic()
    try:
        await bot.start()
        if not await fake.wait_for(lambda: bool(fake.calls_of("getUpdates")), 60.0):
            result.problems.append(f"the bot did not start\n{bot.log_tail()}")
            return result
        background.append(asyncio.create_task(_sample_rss(bot, result.rss_kib)))
        background.append(asyncio.create_task(_faults(fake, plan, random.Random(rng.random()))))
        talks = [_patient(p, plan, random.Random(rng.random())) for p in patients]
        try:
            async with asyncio.timeout(plan.timeout):
                await asyncio.gather(*talks)
        except TimeoutError:
            result.problems.append(f"replies still missing after {plan.timeout:g} s")
        background[0].cancel()
        if not await outbox_settled(db, timeout=15.0):
            result.problems.append("the outbox did not drain after the faults stopped")
        code = await bot.stop()
        if code != 0:
            result.problems.append(f"the bot exited with {code}\n{bot.log_tail()}")
    finally:
        for task in background:
            task.cancel()
        await asyncio.gather(*background, return_exceptions=True)
        if bot.alive:
            await bot.kill()
        await fake.stop()
    result.seconds = time.monotonic() - started
    result.injected = fake.injected
    _check(db, fake, bot, patients, result)
    say(result.summary())
    return result


def _check(
    db: Path, fake: FaultyTelegram, bot: BotProcess, patients: list[Patient], result: LoadResult
) -> None:
    """Every message in the inbox once and done; every reply once, in order; nothing unsent."""
    state = read_db(db)
    if state.integrity != "ok":
        result.problems.append(f"integrity_check says {state.integrity!r}")
    for patient in patients:
        for update_id in patient.update_ids:
            if state.inbox[str(update_id)] != 1:
                result.problems.append(
                    f"update {update_id} in inbox {state.inbox[str(update_id)]}×"
                )
        report = compare(fake, patient.chat_id, patient.expected, bot)
        result.reports[patient.chat_id] = report
        if report.missing or report.extra or report.doubled or report.resent:
            result.problems.append(f"chat {patient.chat_id}: {report}")
        result.answered += len(patient.expected) - len(report.missing)
    if set(state.inbox_status) != {"done"}:
        result.problems.append(f"inbox statuses {dict(state.inbox_status)}")
    if state.unsent:
        result.problems.append(f"outbox rows not sent: {state.unsent[:10]}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--patients", type=int, default=100)
    parser.add_argument("--messages", type=int, default=20)
    parser.add_argument("--fault-seconds", type=float, default=20.0)
    parser.add_argument("--seed", type=int, default=None, help="default: a random one (printed)")
    args = parser.parse_args()
    seed = args.seed if args.seed is not None else random.randrange(2**32)
    plan = LoadPlan(
        args.patients, args.messages, seed, fault_seconds=args.fault_seconds, timeout=600.0
    )
    with tempfile.TemporaryDirectory() as folder:
        result = asyncio.run(load_with_faults(Path(folder), plan))
    for problem in result.problems:
        print(problem)
    raise SystemExit(1 if result.problems else 0)


if __name__ == "__main__":
    main()
