"""Forgetting a patient: every row about them erased, their staff topics marked deleted.

The staff topic cannot be looked up once the patient's tickets are gone, so the notice
for it is addressed to the topic itself (`topic:<chat id>:<thread id>`) on the staff
channel; the staff channel's sender posts it there and closes the topic.
"""

from __future__ import annotations

import logging
from datetime import datetime

from bot.messages import Reply, ReplyKind
from bot.records import Patient
from bot.store import Session
from bot.store_privacy import Erased, StaffTopic

logger = logging.getLogger(__name__)

TOPIC_PREFIX = "topic:"
FORGOTTEN_NOTICE = "🗑 この患者のデータは削除されました。"
FORGOTTEN_TOPIC_NAME = "🗑 削除済み"


def topic_key(topic: StaffTopic) -> str:
    return f"{TOPIC_PREFIX}{topic.chat_id}:{topic.thread_id}"


def topic_of(key: str) -> StaffTopic | None:
    """The staff topic an outbox item marks as forgotten; None for other items."""
    rest = key.removeprefix(TOPIC_PREFIX)
    chat, _, thread = rest.rpartition(":")
    if rest == key or not chat or not thread.isdigit():
        return None
    return StaffTopic(chat, int(thread))


async def forget_patient(
    tx: Session, patient: Patient, *, staff_channel: str | None, now: datetime
) -> Erased:
    """Erase the patient; queue a notice for each of their staff topics on `staff_channel`."""
    erased = await tx.privacy.erase(patient)
    if staff_channel is not None:
        notice = Reply(FORGOTTEN_NOTICE, kind=ReplyKind.STAFF_NOTICE)
        for topic in erased.topics:
            await tx.outbox.enqueue(staff_channel, topic_key(topic), notice, now)
    elif erased.topics:
        logger.warning("no staff channel: %d staff topics not marked deleted", len(erased.topics))
    logger.info(
        "patient #%d forgotten: %d tickets, %d questions, %d staff topics",
        erased.patient_id,
        erased.tickets,
        erased.questions,
        len(erased.topics),
    )
    return erased
