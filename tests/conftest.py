"""Suite-wide settings."""

from __future__ import annotations

import os

# python-telegram-bot 22 warns unless one opts in to `timedelta` for durations such as
# RetryAfter.retry_after; the bot's Telegram adapter opts in too (bot/channels/telegram).
os.environ.setdefault("PTB_TIMEDELTA", "1")
