"""`faqbot run`: start the messengers and the console the config enables, until a signal."""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys

from bot.commands.common import UsageError, load_settings
from bot.config import Config

logger = logging.getLogger(__name__)

EXIT_UNUSABLE = 2


def run(args: argparse.Namespace) -> int:
    config = load_settings(args)
    telegram = config.telegram
    if telegram is None and config.line is None and config.console is None:
        print(
            "faqbot: no messenger is configured: add a `telegram:`, `line:` or `console:`"
            " section to the config (see config.example.yaml); `faqbot chat` talks to the bot"
            " in this terminal",
            file=sys.stderr,
        )
        return EXIT_UNUSABLE
    # LINE's secrets are checked when the app opens (a ChannelError naming the key).
    if telegram is not None and telegram.token() is None:
        raise UsageError(
            f"telegram.token_env: the environment variable {telegram.token_env} is not set"
            " (it holds the bot token from @BotFather)"
        )
    if telegram is not None and telegram.mode == "webhook" and telegram.webhook.secret() is None:
        raise UsageError(
            f"telegram.webhook.secret_env: the environment variable"
            f" {telegram.webhook.secret_env} is not set (webhook mode needs a secret)"
        )
    from bot.channels import ChannelError

    try:
        asyncio.run(_serve(config))
    except ChannelError as exc:
        print(f"faqbot: {exc}", file=sys.stderr)
        return EXIT_UNUSABLE
    return 0


async def _serve(config: Config) -> None:
    from bot.app import App

    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stopping.set)
    async with await App.open(config) as app:
        logger.info("faqbot is running; Ctrl-C stops it")
        await app.wait(stopping)
