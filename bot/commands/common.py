"""What the commands share: finding the config, the knowledge base and the database."""

from __future__ import annotations

import argparse
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from bot.config import Config, load_config, with_database
from bot.store import Store

DEFAULT_CONFIG = Path("config.yaml")


class UsageError(Exception):
    """The command cannot run as asked; the message says why."""


def load_settings(args: argparse.Namespace) -> Config:
    """The config named by --config (or ./config.yaml, or defaults), with --db applied."""
    path: Path | None = args.config
    if path is None and DEFAULT_CONFIG.is_file():
        path = DEFAULT_CONFIG
    config = load_config(path)
    if args.db is not None:
        config = with_database(config, args.db)
    return config


def kb_path(args: argparse.Namespace, config: Config) -> Path | None:
    """--kb if given, else the config's knowledge base (None: the bundled one)."""
    given: Path | None = getattr(args, "kb", None)
    return given if given is not None else config.faq.path


@asynccontextmanager
async def opened_store(config: Config) -> AsyncIterator[Store]:
    store = await Store.open(config.storage.path)
    try:
        yield store
    finally:
        await store.close()
