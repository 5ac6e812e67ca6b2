"""The bot as a child process that a test can start, stop, kill -9 and restart."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from tests.fakes.telegram_api import TOKEN

REPO = Path(__file__).resolve().parents[2]


FAQBOT_RUN = ("-m", "bot.cli", "run")  # the real `faqbot run`
SHORT_TIMINGS = ("-m", "tests.faults.bot_main")  # the same app with the tests' timings


class BotProcess:
    """The bot in a child process; each start is a new incarnation on the same database."""

    def __init__(self, config: Path, *, command: Sequence[str] = FAQBOT_RUN) -> None:
        self.config = config
        self.command = tuple(command)
        self.log = config.parent / "bot.log"
        self.process: asyncio.subprocess.Process | None = None
        self.started_at: list[float] = []  # time.monotonic() of each start

    async def start(self) -> None:
        env = {**os.environ, "TELEGRAM_BOT_TOKEN": TOKEN, "PYTHONIOENCODING": "utf-8"}
        self.started_at.append(time.monotonic())
        # A file, not a pipe: a full pipe nobody reads would stall the bot.
        with self.log.open("ab") as log:
            self.process = await asyncio.create_subprocess_exec(
                sys.executable, *self.command, "--config", str(self.config),
                cwd=REPO, env=env, stdin=asyncio.subprocess.DEVNULL,
                stdout=asyncio.subprocess.DEVNULL, stderr=log,
            )  # fmt: skip

    async def kill(self) -> None:
        """SIGKILL: no clean-up of any kind, as in a power cut of the process."""
        assert self.process is not None
        if self.process.returncode is None:
            self.process.kill()
        await self.process.wait()

    async def stop(self, timeout: float = 30.0) -> int:
        """SIGTERM and wait; the exit status."""
        assert self.process is not None
        if self.process.returncode is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            return await asyncio.wait_for(self.process.wait(), timeout)
        except TimeoutError:
            await self.kill()
            raise

    @property
    def alive(self) -> bool:
        return self.process is not None and self.process.returncode is None

    def rss_kib(self) -> int | None:
        """The process's resident memory (VmRSS), None once it has gone."""
        if self.process is None:
            return None
        try:
            status = Path(f"/proc/{self.process.pid}/status").read_text(encoding="ascii")
        except OSError:
            return None
        for line in status.splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
        return None

    def incarnation_at(self, moment: float) -> int:
        """Which start (0, 1, …) was running at `moment`."""
        return max(0, sum(1 for t in self.started_at if t <= moment) - 1)

    def log_tail(self, lines: int = 40) -> str:
        if not self.log.exists():
            return ""
        return "\n".join(
            self.log.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:]
        )
