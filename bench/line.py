"""The LINE channel end to end: the real app and line-bot-sdk's HTTP stack against the fake
LINE API, with signed webhook requests posted as LINE posts them.

The fake and the requests run in a separate process (see bench/line_fake.py); this process
runs only the bot, with its SQLite store on disk, as `faqbot run` would. The loaded row
posts every request with a few in flight, as fast as the webhook accepts them; the solo
row posts one event at a time and waits for its reply: the latency of an idle bot.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import random
import statistics
import tempfile
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path

from bench.line_fake import LoadResult, Request, serve
from bench.table import markdown
from bench.telegram import plan_chats
from bench.timing import Timing, median_timing
from bot.app import App, Tuning
from bot.channels.line.channel import LineTiming
from bot.config import Config
from bot.kb_holder import DecisionMaker
from tests.fakes.line_events import ACCESS_TOKEN, CHANNEL_SECRET

SECRET_ENV, TOKEN_ENV = "FAQBOT_BENCH_LINE_SECRET", "FAQBOT_BENCH_LINE_TOKEN"
LOAD_TIMEOUT = 600.0  # seconds: a run that takes longer has lost events
SOLO_EVENTS = 50  # the unloaded row: one patient, one event at a time
IN_FLIGHT = 8  # webhook requests LINE has open at once in the loaded row
BATCH = (1, 5)  # events per webhook request, drawn uniformly


@dataclass(frozen=True, slots=True)
class LineRun:
    """One run: end-to-end timing plus the webhook's acceptance rate."""

    handled: Timing  # per event: POST to the reply call; rate over first POST to last reply
    requests_per_second: float  # accepted (the 200 back)
    events_per_second: float  # accepted
    pushes: int


@dataclass(frozen=True, slots=True)
class LineResult:
    rows: dict[str, LineRun]  # medians over runs
    patients: int
    requests: int
    kinds: dict[str, int]  # the decisions behind the loaded row's events


def plan_requests(
    chats: Sequence[Sequence[str]], *, seed: int = 0, batch: tuple[int, int] = BATCH
) -> list[Request]:
    """Patients take turns; consecutive events are cut into requests of `batch` events."""
    rng = random.Random(seed)
    events = [
        (patient_id(p), chat[turn])
        for turn in range(max(map(len, chats), default=0))
        for p, chat in enumerate(chats)
        if turn < len(chat)
    ]
    requests: list[Request] = []
    while events:
        size = rng.randint(*batch)
        requests.append(events[:size])
        events = events[size:]
    return requests


def patient_id(n: int) -> str:
    """A LINE user id: U and 32 hex digits."""
    return f"U{n:032x}"


def bench_config(folder: Path, api_url: str, data_url: str, kb: Path | None) -> Config:
    return Config.model_validate(
        {
            "faq": {"path": str(kb) if kb else None, "reload_check_seconds": 0},
            "storage": {"path": str(folder / "faqbot.sqlite3")},
            "clinic": {"name": "ベンチ皮膚科"},
            # Patients in the steady state agreed long ago (one button, once per patient);
            # the idle-latency row sends 50 messages from one patient in a few seconds,
            # which the flood limit would rightly cut short.
            "safety": {"consent": False, "rate_per_minute": 100_000, "rate_per_hour": 100_000},
            "line": {
                "channel_secret_env": SECRET_ENV,
                "access_token_env": TOKEN_ENV,
                "api_url": api_url,
                "data_api_url": data_url,
                "webhook": {"port": 0},
            },
        }
    )


def run_once(
    requests: Sequence[Request], *, in_flight: int = IN_FLIGHT, kb: Path | None = None
) -> LineRun:
    """One run on a fresh database: the fake in a child process, the bot here."""
    os.environ[SECRET_ENV], os.environ[TOKEN_ENV] = CHANNEL_SECRET, ACCESS_TOKEN
    context = multiprocessing.get_context("spawn")
    ours, theirs = context.Pipe()
    child = context.Process(target=serve, args=(theirs,), daemon=True)
    child.start()
    try:
        api_url, data_url = ours.recv()
        with tempfile.TemporaryDirectory() as folder:
            config = bench_config(Path(folder), api_url, data_url, kb)
            result = asyncio.run(_run(config, requests, in_flight, ours))
    finally:
        child.join(timeout=10)
        if child.is_alive():
            child.kill()
    if result is None:
        raise RuntimeError(f"line bench: replies missing after {LOAD_TIMEOUT:g} s")
    events = len(result.latencies)
    return LineRun(
        Timing.of(result.latencies, result.handled),
        result.requests / result.accepted,
        events / result.accepted,
        result.pushes,
    )


async def _run(
    config: Config, requests: Sequence[Request], in_flight: int, conn: Connection
) -> LoadResult | None:
    app = await App.open(config, tuning=Tuning(line=LineTiming(courier_interval=0.1)))
    try:
        await app.start()
        assert app.line_webhook is not None
        url = f"http://127.0.0.1:{app.line_webhook.port}/line"
        conn.send((url, list(requests), in_flight, LOAD_TIMEOUT))
        result: LoadResult | None = await asyncio.to_thread(conn.recv)
    finally:
        await app.stop()
        conn.send("stopped")
    return result


def measure_line(
    matcher: DecisionMaker,
    candidates: Iterable[str],
    *,
    events: int,
    patients: int,
    repeat: int,
    kb: Path | None = None,
) -> LineResult:
    """The loaded row (`patients`, batched) and the solo one, alternating, `repeat` times."""
    from bench.conversation import pools_of

    pools = pools_of(matcher, candidates)
    chats = plan_chats(pools, events, patients)
    loaded = plan_requests([[t for _, t in c] for c in chats])
    solo_chat = plan_chats(pools, min(events, SOLO_EVENTS), 1, seed=1)
    solo = plan_requests([[t for _, t in c] for c in solo_chat], batch=(1, 1))
    names = (f"{events:,} events, {patients:,} patients", "1 event at a time")
    plans = ((loaded, IN_FLIGHT), (solo, 1))
    runs: dict[str, list[LineRun]] = {name: [] for name in names}
    for _ in range(repeat):
        for name, (requests, in_flight) in zip(names, plans, strict=True):
            runs[name].append(run_once(requests, in_flight=in_flight, kb=kb))
    kinds = Counter(kind.value for chat in chats for kind, _ in chat)
    return LineResult(
        {name: _median(r) for name, r in runs.items()}, patients, len(loaded), dict(kinds)
    )


def _median(runs: Sequence[LineRun]) -> LineRun:
    return LineRun(
        median_timing([r.handled for r in runs]),
        statistics.median(r.requests_per_second for r in runs),
        statistics.median(r.events_per_second for r in runs),
        max(r.pushes for r in runs),
    )


def line_table(result: LineResult) -> str:
    rows = [
        [
            name,
            f"{r.requests_per_second:,.0f}",
            f"{r.events_per_second:,.0f}",
            f"{r.handled.per_second:,.0f}",
            f"{r.handled.p50 * 1000:.1f}",
            f"{r.handled.p99 * 1000:.1f}",
            str(r.handled.calls),
        ]
        for name, r in result.rows.items()
    ]
    headers = [
        "LINE webhook",
        "requests/s accepted",
        "events/s accepted",
        "events/s handled",
        "p50 ms",
        "p99 ms",
        "events",
    ]
    kinds = ", ".join(f"{kind} {count:,}" for kind, count in sorted(Counter(result.kinds).items()))
    pushes = max(r.pushes for r in result.rows.values())
    return (
        f"{markdown(headers, rows)}\n\n"
        f"{result.requests:,} webhook requests of 1–5 events, {IN_FLIGHT} in flight; "
        f"events of the loaded run by the matcher's decision: {kinds}; "
        f"answered by push instead of reply: {pushes}"
    )
