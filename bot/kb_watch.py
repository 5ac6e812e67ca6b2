"""Reloading the knowledge base on request and when its files change (validated first)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING

from bot.kb_holder import KbHolder

if TYPE_CHECKING:
    from faq.loader import Problem

logger = logging.getLogger(__name__)

Stamp = tuple[tuple[str, int, int], ...]
OnFailed = Callable[[list["Problem"]], Awaitable[None]]


def stamp(path: Path | None) -> Stamp:
    """Name, modification time and size of every knowledge-base file: changes on any edit."""
    from faq.loader import kb_files

    found = []
    for file in kb_files(path):
        try:
            info = file.stat()
        except OSError:  # being replaced right now; the next look sees it
            continue
        found.append((str(file), info.st_mtime_ns, info.st_size))
    return tuple(found)


class Reloader:
    """One reload at a time; remembers which files it loaded, to notice changes."""

    def __init__(self, holder: KbHolder) -> None:
        self._holder = holder
        self._lock = asyncio.Lock()
        self._stamp = stamp(holder.path)

    async def reload(self) -> list[Problem]:
        """Validate and swap in the files as they are now; on problems keep the old one."""
        async with self._lock:
            self._stamp = await asyncio.to_thread(stamp, self._holder.path)
            return await asyncio.to_thread(self._holder.reload)

    @property
    def entries(self) -> int:
        return len(self._holder.current.kb.entries)

    async def watch(self, interval: float, on_failed: OnFailed) -> None:
        """Reload whenever the files change, until cancelled; report broken files."""
        while True:
            await asyncio.sleep(interval)
            if await asyncio.to_thread(stamp, self._holder.path) == self._stamp:
                continue
            logger.info("knowledge base files changed; reloading")
            problems = await self.reload()
            if problems:
                await on_failed(problems)


def reload_report(problems: list[Problem], entries: int, *, shown: int = 20) -> str:
    """What an admin is told after a reload."""
    if not problems:
        return f"✅ ナレッジベースを再読み込みしました（{entries}件）。"
    lines = [str(problem) for problem in problems[:shown]]
    if len(problems) > shown:
        lines.append(f"…ほか{len(problems) - shown}件")
    head = "❌ ナレッジベースに問題があるため、以前の内容のまま動いています:"
    return "\n".join([head, *lines])
