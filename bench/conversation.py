"""The conversation core with its SQLite store on disk, under many simulated patients.

Each patient sends a few messages, drawn from texts our matcher answers, clarifies or
escalates; patients take turns, as their messages would arrive. The same messages are
then replayed with every decision made in advance, which leaves the core and the store
alone: the difference is the matcher's share.
"""

from __future__ import annotations

import asyncio
import random
import tempfile
import time
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from bench.table import markdown, ratio
from bench.timing import Timing, median_timing
from bot.config import Config
from bot.core import Conversation
from bot.kb_holder import DecisionMaker, KbHolder, Loaded
from bot.messages import IncomingMessage
from bot.store import Store
from faq.decision import Action, Decision
from faq.model import KnowledgeBase

# The share of each kind of message in the mix.
MIX = {Action.ANSWER: 0.6, Action.CLARIFY: 0.2, Action.ESCALATE: 0.2}
LIVE, REPLAYED = "matcher deciding", "decisions replayed"


@dataclass(frozen=True, slots=True)
class ConversationResult:
    timings: dict[str, Timing]  # LIVE and REPLAYED, medians over runs
    patients: int
    replies: dict[str, int]  # reply kinds of one run, e.g. answer: 1,800


def plan(
    pools: dict[Action, list[str]], patients: int, per_patient: int, *, seed: int = 0
) -> list[tuple[str, str]]:
    """(patient, text) in arrival order: patients take turns, each sending `per_patient`."""
    rng = random.Random(seed)
    kinds = [k for k in MIX if pools.get(k)]
    weights = [MIX[k] for k in kinds]
    return [
        (f"p{p}", rng.choice(pools[rng.choices(kinds, weights)[0]]))
        for _ in range(per_patient)
        for p in range(patients)
    ]


def pools_of(matcher: DecisionMaker, texts: Iterable[str]) -> dict[Action, list[str]]:
    """The texts sorted by what the matcher does with them (urgent ones left out)."""
    pools: dict[Action, list[str]] = {action: [] for action in MIX}
    for text in dict.fromkeys(texts):
        action = matcher.decide(text).action
        if action in pools:
            pools[action].append(text)
    return pools


class Replay:
    """A matcher that gives back decisions made in advance: the core and store alone."""

    def __init__(self, matcher: DecisionMaker, texts: Iterable[str]) -> None:
        self._decisions = {text: matcher.decide(text) for text in set(texts)}

    def decide(self, text: str, *, top: int = 3) -> Decision:
        return self._decisions[text]


def measure_conversation(
    kb: KnowledgeBase,
    matcher: DecisionMaker,
    messages: Sequence[tuple[str, str]],
    *,
    repeat: int,
) -> ConversationResult:
    """Both variants on fresh databases, alternating, `repeat` times each."""
    replay = Replay(matcher, (text for _, text in messages))
    runs: dict[str, list[Timing]] = {LIVE: [], REPLAYED: []}
    replies: Counter[str] = Counter()
    for _ in range(repeat):
        for name, decider in ((LIVE, matcher), (REPLAYED, replay)):
            timing, kinds = asyncio.run(_run(Loaded(kb, decider), messages))
            runs[name].append(timing)
            replies = kinds
    patients = len({patient for patient, _ in messages})
    return ConversationResult(
        {name: median_timing(t) for name, t in runs.items()}, patients, dict(replies)
    )


async def _run(loaded: Loaded, messages: Sequence[tuple[str, str]]) -> tuple[Timing, Counter[str]]:
    config = Config.model_validate(
        # Patients in the steady state agreed long ago (one button, once per patient).
        {"clinic": {"name": "ベンチ皮膚科"}, "safety": {"consent": False}}
    )
    kinds: Counter[str] = Counter()
    with tempfile.TemporaryDirectory() as folder:
        store = await Store.open(Path(folder) / "bench.sqlite3")
        try:
            conversation = Conversation(KbHolder(loaded), store, config)
            latencies = []
            started = time.perf_counter()
            for number, (patient, text) in enumerate(messages):
                msg = IncomingMessage("bench", patient, patient, text, str(number))
                before = time.perf_counter()
                replies = await conversation.handle(msg)
                latencies.append(time.perf_counter() - before)
                kinds.update(reply.kind.value for reply in replies)
            elapsed = time.perf_counter() - started
        finally:
            await store.close()
    return Timing.of(latencies, elapsed), kinds


def conversation_table(result: ConversationResult) -> str:
    live, replayed = result.timings[LIVE], result.timings[REPLAYED]
    rows = [
        [name, f"{t.per_second:,.0f}", f"{t.p50 * 1000:.2f}", f"{t.p99 * 1000:.2f}", str(t.calls)]
        for name, t in result.timings.items()
    ]
    rows.append(
        [
            "live / replayed",
            ratio(live.per_second, replayed.per_second),
            ratio(live.p50, replayed.p50),
            ratio(live.p99, replayed.p99),
            "",
        ]
    )
    table = markdown(["conversation core", "messages/s", "p50 ms", "p99 ms", "messages"], rows)
    kinds = ", ".join(f"{kind} {count:,}" for kind, count in sorted(result.replies.items()))
    return f"{table}\n\n{result.patients:,} patients; replies of one run: {kinds}"
