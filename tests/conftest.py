"""Suite-wide settings."""

from __future__ import annotations

import os

# python-telegram-bot 22 warns unless one opts in to `timedelta` for durations such as
# RetryAfter.retry_after; the bot's Telegram adapter opts in too (bot/channels/telegram).
os.environ.setdefault("PTB_TIMEDELTA", "1")

# The matcher's trained models are cached by the knowledge base's hash: one cache for the
# whole run (bot processes the tests start inherit it), never the user's ~/.cache.
if "FAQBOT_TEST_CACHE" not in os.environ:
    import tempfile

    os.environ["FAQBOT_TEST_CACHE"] = tempfile.mkdtemp(prefix="faqbot-test-cache-")
    os.environ["XDG_CACHE_HOME"] = os.environ["FAQBOT_TEST_CACHE"]
