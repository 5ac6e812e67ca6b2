"""The knowledge base reloads itself when its file changes; a broken change is reported."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable
from pathlib import Path

from bot.kb_holder import KbHolder
from bot.kb_watch import Reloader, reload_report
from tests.bot.conftest import KB_YAML


def touch_with(path: Path, text: str) -> None:
    before = path.stat().st_mtime_ns
    path.write_text(text, encoding="utf-8")
    os.utime(path, ns=(before + 10**9, before + 10**9))  # a clearly later modification time


async def watch_once(
    reloader: Reloader, reported: list[str], done: Callable[[], bool] = lambda: False
) -> None:
    """Watch until `done` (or a report), then 0.3 s more for anything else to happen.
    A reload trains the matcher's models in a thread: seconds, not milliseconds."""

    async def report(problems: list[object]) -> None:
        reported.append(reload_report(problems, reloader.entries))  # type: ignore[arg-type]

    watcher = asyncio.create_task(reloader.watch(0.01, report))
    for _ in range(1200):
        if done() or reported:
            break
        await asyncio.sleep(0.05)
    await asyncio.sleep(0.3)
    watcher.cancel()


async def test_a_changed_file_is_reloaded(kb_file: Path) -> None:
    holder = KbHolder.from_path(kb_file)
    reloader, reported = Reloader(holder), []
    touch_with(kb_file, KB_YAML.replace("服用中の飲酒は控えてください。", "飲酒は控えめに。"))
    before = holder.current
    await watch_once(reloader, reported, lambda: holder.current is not before)
    entry = holder.current.kb.entry("alcohol")
    assert entry is not None and entry.answer == "飲酒は控えめに。"
    assert reported == []


async def test_a_broken_change_keeps_the_old_one_and_is_reported_once(kb_file: Path) -> None:
    holder = KbHolder.from_path(kb_file)
    before = holder.current
    reloader, reported = Reloader(holder), []
    touch_with(kb_file, KB_YAML.replace("related: [blood_donation]", "related: [x]"))
    await watch_once(reloader, reported)
    assert holder.current is before
    [report] = reported
    assert report.startswith("❌ ナレッジベースに問題があるため、以前の内容のまま動いています:")
    assert "related: unknown entry id 'x'" in report
