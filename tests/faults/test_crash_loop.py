"""Crash consistency: `faqbot run` killed with SIGKILL again and again while people talk.

The suite runs 12 kills (about a minute). The full run, 100 kills or more:

    FAQBOT_FULL_FAULTS=1 .venv/bin/pytest tests/faults/test_crash_loop.py
    .venv/bin/python -m tests.faults.crash_loop --kills 100 [--seed N]

The seed is printed (and named in any failure); FAQBOT_FAULTS_SEED=N repeats a run.
"""

from __future__ import annotations

import os
import random
from pathlib import Path

import pytest

from tests.faults.bot_process import BotProcess
from tests.faults.crash_loop import CrashPlan, crash_loop
from tests.faults.db_state import outbox_settled, read_db
from tests.faults.harness import (
    FaultyTelegram,
    Patient,
    compare,
    write_config,
)

FULL = os.environ.get("FAQBOT_FULL_FAULTS") == "1"
KILLS = 100 if FULL else 12
SEED = int(os.environ.get("FAQBOT_FAULTS_SEED") or random.randrange(2**32))


@pytest.mark.timeout(3600 if FULL else 150)
async def test_killed_at_random_the_bot_loses_and_doubles_nothing(tmp_path: Path) -> None:
    result = await crash_loop(tmp_path, CrashPlan(kills=KILLS, seed=SEED))
    assert result.problems == [], result.summary()
    assert result.confirmed_checked > 0, "no update was confirmed before a kill"
    assert result.staff_replies > 0 and result.questions > KILLS
    # A resend needs the kill to land between Telegram's answer and the commit of "sent":
    # at most the chats being served at once (the outbox's 8) per kill, and rare overall.
    messages = result.questions + result.staff_replies
    assert result.resent <= min(8 * KILLS, messages // 10), result.summary()


async def test_a_clean_stop_resends_nothing(tmp_path: Path) -> None:
    """SIGTERM just as answers reach Telegram; after a restart, none of them comes again.

    A graceful stop should finish the sends in hand (and record them) before it exits;
    cancelling them leaves their rows 'sending', and the next start sends them again.
    """
    fake = FaultyTelegram()
    await fake.start()
    bot = BotProcess(write_config(tmp_path, fake))
    patients = [Patient(fake, n) for n in range(20)]
    try:
        await bot.start()
        fake.answer_delay = 1.0  # as a slow network: sent, the bot not yet told so
        await fake.wait_until(lambda: bool(fake.calls_of("getUpdates")), 60)
        for patient in patients:
            await patient.asks_next()
        assert await fake.wait_for(lambda: len(fake.sent) == len(patients), 60)
        assert await bot.stop() == 0, bot.log_tail()  # SIGTERM with the answers in flight
        fake.answer_delay = 0.0
        left = read_db(tmp_path / "faqbot.sqlite3").unsent
        polls = len(fake.calls_of("getUpdates"))
        await bot.start()
        # running (its signal handlers set) once it polls again; then anything left is sent
        assert await fake.wait_for(lambda: len(fake.calls_of("getUpdates")) > polls, 30)
        assert await outbox_settled(tmp_path / "faqbot.sqlite3", timeout=10)
        assert await bot.stop() == 0, bot.log_tail()
    finally:
        if bot.alive:
            await bot.kill()
        await fake.stop()
    reports = [compare(fake, p.chat_id, p.expected, bot) for p in patients]
    again = [text for r in reports for text in r.doubled + r.resent]
    assert (left, again) == ([], [])
