"""The matcher's worker process: the same decisions as the bot's own matcher, kept in step
with reloads, and replaced when it dies."""

from __future__ import annotations

import multiprocessing
import os
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.decisions import Decider
from bot.kb_holder import KbHolder
from faq.decision import Action
from tests.bot.conftest import KB_YAML

TOP = 3
REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
async def decider() -> AsyncIterator[Decider]:
    worker = Decider(worker=True)
    yield worker
    await worker.close()


async def _decide_ahead(decider: Decider, holder: KbHolder, texts: list[str]) -> list[object]:
    loaded = holder.current
    decider.prepare(loaded, texts, top=TOP)
    await decider.finished(loaded, texts, top=TOP)
    return [decider.decide(loaded, text, top=TOP) for text in texts]


async def test_the_workers_decisions_are_the_bots_own(decider: Decider) -> None:
    holder = KbHolder.from_path(None)  # the bundled knowledge base
    kb = holder.current.kb
    texts = [e.question for e in kb.entries] + [p for e in kb.entries for p in e.phrasings[:2]]
    texts += ["ひやけどめ　いる？", "妊娠したかもしれません", "ラーメン屋のおすすめは", "ｱｷｭﾀﾝ"]
    await decider.start(holder.current, top=TOP)

    decisions = await _decide_ahead(decider, holder, texts)

    assert decisions == [holder.current.matcher.decide(text, top=TOP) for text in texts]
    assert decider.from_worker == len(set(texts))  # each made by the worker, none inline
    assert {d.action for d in decisions} >= {Action.ANSWER, Action.URGENT, Action.ESCALATE}


async def test_a_reloaded_knowledge_base_reaches_the_worker(
    decider: Decider, kb_file: Path
) -> None:
    holder = KbHolder.from_path(kb_file)
    question = "晩酌はやめた方がいい？"
    [before] = await _decide_ahead(decider, holder, [question])
    kb_file.write_text(
        KB_YAML.replace("お酒を飲んでもいいですか？", "晩酌はやめた方がいい？"), encoding="utf-8"
    )
    assert holder.reload() == []

    [after] = await _decide_ahead(decider, holder, [question])

    assert after == holder.current.matcher.decide(question, top=TOP)
    assert (after.action, after.faq_id) == (Action.ANSWER, "alcohol")
    assert after != before
    assert decider.from_worker == 2


async def test_a_killed_worker_is_replaced_and_nothing_is_decided_wrongly(
    decider: Decider,
) -> None:
    holder = KbHolder.from_path(None)
    await decider.start(holder.current, top=TOP)
    [worker] = multiprocessing.active_children()
    os.kill(worker.pid or 0, signal.SIGKILL)
    worker.join(10)

    texts = ["日焼け止めは必要ですか", "献血できますか"]
    decisions = await _decide_ahead(decider, holder, texts)  # the dead worker: inline
    again = await _decide_ahead(decider, holder, ["お酒は飲めますか"])  # a new worker

    expected = [holder.current.matcher.decide(t, top=TOP) for t in [*texts, "お酒は飲めますか"]]
    assert [*decisions, *again] == expected
    assert decider.from_worker == 1  # the new worker's; the dead one's batch went inline
    assert [p.pid for p in multiprocessing.active_children()] != [worker.pid]


async def test_without_a_worker_everything_is_decided_inline() -> None:
    decider = Decider(worker=False)
    holder = KbHolder.from_path(None)
    [decision] = await _decide_ahead(decider, holder, ["日焼け止めは必要ですか"])
    assert decision == holder.current.matcher.decide("日焼け止めは必要ですか", top=TOP)
    assert decider.from_worker == 0
    assert multiprocessing.active_children() == []


ORPHAN = """
import asyncio, multiprocessing, os, signal
from bot.decisions import Decider
from bot.kb_holder import KbHolder

async def main():
    decider, holder = Decider(worker=True), KbHolder.from_path(None)
    await decider.start(holder.current, top=3)
    [worker] = multiprocessing.active_children()
    print(worker.pid, flush=True)
    os.kill(os.getpid(), signal.SIGKILL)

asyncio.run(main())
"""


def test_the_worker_ends_when_the_bot_is_killed() -> None:
    bot = subprocess.run(
        [sys.executable, "-c", ORPHAN], cwd=REPO, capture_output=True, text=True, timeout=60
    )
    assert bot.returncode == -signal.SIGKILL, bot.stderr
    worker = int(bot.stdout)
    deadline = time.monotonic() + 10
    while _alive(worker) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _alive(worker)


def _alive(pid: int) -> bool:
    """Running (a zombie has ended: it only waits for init to reap it)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"
