"""The event loop `faqbot run` serves on: uvloop where it is installed, else asyncio's own.

uvloop (libuv under asyncio's interface) does the same work as asyncio's default loop with
less CPU per socket event, and the bot is mostly socket events under load (BENCHMARKS.md,
"Telegram adapter"). It is a dependency except on Windows, which it does not support.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any, TypeVar

T = TypeVar("T")


def name() -> str:
    """The loop `run` uses here: "uvloop" or "asyncio"."""
    try:
        import uvloop  # noqa: F401
    except ImportError:
        return "asyncio"
    return "uvloop"


def run(main: Coroutine[Any, Any, T]) -> T:
    """`asyncio.run(main)` on the best loop this machine has."""
    try:
        import uvloop
    except ImportError:
        return asyncio.run(main)
    return uvloop.run(main)
