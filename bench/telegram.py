"""The Telegram adapter end to end: the real app and PTB's HTTP stack against the fake Bot API.

The fake server and the simulated patients run in a separate process (see
bench/telegram_fake.py); this process runs only the bot, with its SQLite store on disk, as
`faqbot run` would, except that the client's rate limiter is off: it holds sends to
Telegram's 30 messages/s, and the point is the headroom above that.

Patients answered or clarified ask again; an escalated patient waits for staff, so a
patient's escalation is its last message.
"""

from __future__ import annotations

import asyncio
import cProfile
import io
import multiprocessing
import os
import pstats
import random
import statistics
import tempfile
import time
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path

from bench.conversation import MIX
from bench.table import markdown
from bench.telegram_fake import FIRST_PATIENT, STAFF_CHAT, LoadResult, Turn, serve
from bench.timing import Timing, median_timing
from bot.app import App, Tuning
from bot.channels.telegram.channel import Timing as ChannelTiming
from bot.channels.telegram.client import PATIENTS
from bot.channels.telegram.sender import parts
from bot.config import Config
from bot.core import Conversation
from bot.kb_holder import DecisionMaker, KbHolder
from bot.messages import IncomingMessage
from bot.store import Store
from faq.decision import Action
from tests.fakes.telegram_api import TOKEN

TOKEN_ENV = "FAQBOT_BENCH_TELEGRAM_TOKEN"
LOAD_TIMEOUT = 600.0  # seconds: a run that takes longer has lost messages
SOLO_MESSAGES = 50  # the unloaded row: one patient, one message at a time


@dataclass(frozen=True, slots=True)
class TelegramResult:
    rows: dict[str, Timing]  # medians over runs
    cpu_ms: dict[str, float]  # the bot process's CPU time per message (all threads), median
    patients: int
    kinds: dict[str, int]  # the decisions behind the loaded row's messages


def plan_chats(
    pools: dict[Action, list[str]], messages: int, patients: int, *, seed: int = 0
) -> list[list[tuple[Action, str]]]:
    """Each patient's messages, `messages` in all: the conversation bench's mix, escalation last."""
    rng = random.Random(seed)
    kinds = [k for k in MIX if pools.get(k)]
    weights = [MIX[k] for k in kinds]
    chats = []
    for p in range(patients):
        count = messages // patients + (p < messages % patients)
        drawn = rng.choices(kinds, weights, k=count)
        asked: list[Action] = [k for k in drawn if k is not Action.ESCALATE]
        if len(asked) < count:  # at least one escalation: it ends the chat
            asked.append(Action.ESCALATE)
            refill: list[Action] = [k for k in kinds if k is not Action.ESCALATE]
            while len(asked) < count:
                asked.insert(len(asked) - 1, rng.choice(refill or [Action.ESCALATE]))
        chats.append([(kind, rng.choice(pools[kind])) for kind in asked])
    return chats


async def expected_replies(
    holder: KbHolder, config: Config, chats: Sequence[Sequence[str]], folder: Path
) -> list[list[Turn]]:
    """How many Telegram messages each patient message gets: the core on a scratch store."""
    store = await Store.open(folder / "expected.sqlite3")
    try:
        conversation = Conversation(holder, store, config)
        planned = []
        for n, texts in enumerate(chats):
            chat = str(FIRST_PATIENT + n)
            turns = []
            for number, text in enumerate(texts):
                msg = IncomingMessage(PATIENTS, chat, chat, text, str(number))
                replies = await conversation.handle(msg)
                count = sum(len(parts(r.text, r.choices, r.attachment)) for r in replies)
                turns.append(Turn(text, count))
            planned.append(turns)
        return planned
    finally:
        await store.close()


def bench_config(folder: Path, base_url: str, base_file_url: str, kb: Path | None) -> Config:
    return Config.model_validate(
        {
            "faq": {"path": str(kb) if kb else None, "reload_check_seconds": 0},
            "storage": {"path": str(folder / "faqbot.sqlite3")},
            "clinic": {"name": "ベンチ皮膚科"},
            # Patients in the steady state agreed long ago (one button, once per patient);
            # the idle-latency row sends 50 messages from one patient in a few seconds,
            # which the flood limit would rightly cut short.
            "safety": {"consent": False, "rate_per_minute": 100_000, "rate_per_hour": 100_000},
            "telegram": {
                "token_env": TOKEN_ENV,
                "base_url": base_url,
                "base_file_url": base_file_url,
                "staff_chat_id": STAFF_CHAT,
                "poll_timeout": 1,
            },
        }
    )


def run_once(
    chats: Sequence[Sequence[str]],
    *,
    kb: Path | None = None,
    profile: cProfile.Profile | None = None,
) -> tuple[Timing, float]:
    """One run on a fresh database, and the bot process's CPU seconds during the load."""
    os.environ[TOKEN_ENV] = TOKEN
    context = multiprocessing.get_context("spawn")
    ours, theirs = context.Pipe()
    child = context.Process(target=serve, args=(theirs,), daemon=True)
    child.start()
    try:
        base_url, base_file_url = ours.recv()
        with tempfile.TemporaryDirectory() as folder:
            config = bench_config(Path(folder), base_url, base_file_url, kb)
            result, cpu = asyncio.run(_run(config, chats, ours, Path(folder), profile))
    finally:
        child.join(timeout=10)
        if child.is_alive():
            child.kill()
    if result is None:
        raise RuntimeError(f"telegram bench: replies missing after {LOAD_TIMEOUT:g} s")
    return Timing.of(result.latencies, result.elapsed), cpu


async def _run(
    config: Config,
    chats: Sequence[Sequence[str]],
    conn: Connection,
    folder: Path,
    profile: cProfile.Profile | None,
) -> tuple[LoadResult | None, float]:
    holder = await asyncio.to_thread(KbHolder.from_path, config.faq.path)
    turns = await expected_replies(holder, config, chats, folder)
    app = await App.open(config, tuning=Tuning(telegram=ChannelTiming(rate_limit=False)))
    try:
        await app.start()
        conn.send((turns, LOAD_TIMEOUT))
        if profile is not None:
            profile.enable()
        started = time.process_time()  # every thread of this process: loop and SQLite's
        result: LoadResult | None = await asyncio.to_thread(conn.recv)
        cpu = time.process_time() - started
        if profile is not None:
            profile.disable()
    finally:
        await app.stop()
        conn.send("stopped")
    return result, cpu


def measure_telegram(
    matcher: DecisionMaker,
    candidates: Iterable[str],
    *,
    messages: int,
    patients: int,
    repeat: int,
    kb: Path | None = None,
) -> TelegramResult:
    """The loaded row (`patients` at once) and the solo one, alternating, `repeat` times."""
    from bench.conversation import pools_of

    pools = pools_of(matcher, candidates)
    loaded = plan_chats(pools, messages, patients)
    solo = plan_chats(pools, min(messages, SOLO_MESSAGES), 1, seed=1)
    names = (f"{patients:,} patients at once", "1 patient at a time")
    runs: dict[str, list[Timing]] = {name: [] for name in names}
    cpu: dict[str, list[float]] = {name: [] for name in names}
    for _ in range(repeat):
        for name, chats in zip(names, (loaded, solo), strict=True):
            timing, seconds = run_once([[t for _, t in c] for c in chats], kb=kb)
            runs[name].append(timing)
            cpu[name].append(seconds * 1000 / max(timing.calls, 1))
    kinds = Counter(kind.value for chat in loaded for kind, _ in chat)
    return TelegramResult(
        {n: median_timing(t) for n, t in runs.items()},
        {n: statistics.median(ms) for n, ms in cpu.items()},
        patients,
        dict(kinds),
    )


def profile_telegram(
    chats: Sequence[Sequence[tuple[Action, str]]], *, kb: Path | None = None, top: int = 25
) -> str:
    """cProfile of the bot's process during one loaded run, by cumulative time."""
    profile = cProfile.Profile()
    timing, _ = run_once([[t for _, t in c] for c in chats], kb=kb, profile=profile)
    out = io.StringIO()
    stats = pstats.Stats(profile, stream=out)
    stats.sort_stats("cumulative").print_stats(top)
    stats.sort_stats("tottime").print_stats(top)
    return f"{timing.per_second:,.0f} messages/s under the profiler\n{out.getvalue()}"


def telegram_table(result: TelegramResult) -> str:
    rows = [
        [
            name,
            f"{t.per_second:,.0f}",
            f"{t.p50 * 1000:.1f}",
            f"{t.p99 * 1000:.1f}",
            f"{result.cpu_ms[name]:.2f}",
            str(t.calls),
        ]
        for name, t in result.rows.items()
    ]
    headers = ["telegram adapter", "messages/s", "p50 ms", "p99 ms", "bot CPU ms/msg", "replied"]
    table = markdown(headers, rows)
    kinds = ", ".join(f"{kind} {count:,}" for kind, count in sorted(result.kinds.items()))
    return f"{table}\n\nmessages of the loaded run by the matcher's decision: {kinds}"
