"""Who changed the knowledge base from the console: one audit row per changed file."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from bot.store import Session
from faq.editor import Change

MAX_AUDIT_DIFF = 4000  # characters of the diff kept in an audit row


async def audit_changes(
    tx: Session, user: str, changes: Iterable[Change], *, source: str, now: datetime
) -> None:
    """Record each change as "<source>.<action>" (faq.edit, kb.phrasing …) with its diff."""
    for change in changes:
        backup = change.backup.name if change.backup is not None else "（なし）"
        diff = change.diff
        if len(diff) > MAX_AUDIT_DIFF:
            diff = diff[:MAX_AUDIT_DIFF] + "\n…（以下省略）"
        await tx.audit.add(
            user,
            f"{source}.{change.action}",
            change.entry_id or "lexicon",
            detail=f"{change.file.name} (backup {backup})\n{diff}",
            now=now,
        )
