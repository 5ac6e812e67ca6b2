"""`faqbot run` with short timings, for the load test: `python -m tests.faults.bot_main --config X`.

The same composition root (`App`) and signal handling as `faqbot run`; only the waits are
shortened so that a test with injected 429s, 5xx and client timeouts ends in seconds. The
Bot API rate limiter stays on, as in production.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys
from pathlib import Path

from bot.app import App, Tuning
from bot.channels.telegram.channel import Timing
from bot.config import load_config
from bot.logsafety import install as install_redaction

REQUEST_TIMEOUT = 1.5  # seconds; the fake's "timeout" failures hold a call longer than this
TUNING = Tuning(
    telegram=Timing(
        request_timeout=REQUEST_TIMEOUT,
        send_retry_delays=(0.1, 0.3, 0.6),
        courier_interval=0.2,
        poll_retry_delay=0.2,
    ),
    outbox_retry_delays=(0.2, 0.5, 1.0),
    reminder_interval=5.0,
)


async def _serve(config: Path) -> None:
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stopping.set)
    async with await App.open(load_config(config), tuning=TUNING) as app:
        await app.wait(stopping)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--config", type=Path, required=True)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    logging.getLogger("httpx").setLevel(logging.WARNING)
    install_redaction()
    asyncio.run(_serve(args.config))
    return 0


if __name__ == "__main__":
    sys.exit(main())
