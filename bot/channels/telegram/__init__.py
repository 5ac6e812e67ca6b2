"""The Telegram channel on python-telegram-bot: the only package that imports `telegram`."""

from __future__ import annotations

import os

# Opt in to python-telegram-bot 23's `timedelta` durations (RetryAfter.retry_after);
# without it every 429 raises a deprecation warning.
os.environ.setdefault("PTB_TIMEDELTA", "1")
