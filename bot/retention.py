"""Retention: patients' words older than `privacy.retention_days` are removed, periodically.

What goes, once older than the period:
- questions: the text is emptied (anonymised); the matcher's decision, the entry it chose
  and the patient's feedback stay, so the dashboard keeps its history;
- closed tickets: their messages (and file references) and the bot's staff posts; the
  ticket row itself (reason, status, times) stays, as a fact without words;
- proposed phrasings (a patient's question staff wanted to learn from);
- sent and failed outbox messages (what patients were told, what staff were shown);
- processed inbox rows (their payloads are already gone; the keys go too).
Open tickets keep everything: staff are still working on them.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timedelta

from bot.clock import Clock
from bot.config import Config
from bot.store import Store
from bot.store_privacy import PurgeReport

logger = logging.getLogger(__name__)

DAILY = 24 * 60 * 60.0


async def purge_old(store: Store, *, older_than: datetime) -> PurgeReport:
    """Remove (or anonymise) personal data from before `older_than`, in one transaction."""
    async with store.transaction() as tx:
        return await tx.privacy.purge(older_than=older_than)


def cutoff(config: Config, now: datetime) -> datetime | None:
    """The moment before which data goes; None when retention is off (0 days)."""
    days = config.privacy.retention_days
    return now - timedelta(days=days) if days > 0 else None


async def retention_loop(
    store: Store, config: Config, clock: Clock, interval: float = DAILY
) -> None:
    """Purge now and then every `interval` seconds, until cancelled."""
    while True:
        older_than = cutoff(config, clock())
        if older_than is not None:
            try:
                report = await purge_old(store, older_than=older_than)
            except Exception:  # the database is busy or gone: try again next time
                logger.exception("retention: purge failed; trying again later")
            else:
                if report.total:
                    logger.info(
                        "retention: %d question texts emptied; deleted %d ticket messages,"
                        " %d staff posts, %d proposals, %d outbox and %d inbox rows",
                        report.questions,
                        report.ticket_messages,
                        report.staff_posts,
                        report.proposals,
                        report.outbox,
                        report.inbox,
                    )
        await asyncio.sleep(interval)
