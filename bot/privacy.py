"""/forget: a patient's stored data deleted, after they confirm."""

from __future__ import annotations

from bot.clock import Clock, utc_now
from bot.forgetting import forget_patient
from bot.messages import Choice, Reply, ReplyKind, forget_payload
from bot.records import Patient
from bot.store import Store
from faq.model import Texts


def confirm(texts: Texts) -> Reply:
    """Ask before deleting: it cannot be undone."""
    choices = (
        Choice(texts.button_forget_yes, forget_payload(confirmed=True)),
        Choice(texts.button_forget_no, forget_payload(confirmed=False)),
    )
    return Reply(texts.forget_confirm, choices, ReplyKind.FORGET)


async def forget(
    store: Store,
    texts: Texts,
    patient: Patient,
    *,
    confirmed: bool,
    staff_channel: str | None = None,
    clock: Clock = utc_now,
) -> Reply:
    """Delete everything about the patient if they confirmed; say what happened.

    Their staff topics are marked deleted through `staff_channel`'s outbox.
    """
    if not confirmed:
        return Reply(texts.forget_cancelled, kind=ReplyKind.FORGET)
    async with store.transaction() as tx:
        await forget_patient(tx, patient, staff_channel=staff_channel, now=clock())
    return Reply(texts.forget_done, kind=ReplyKind.FORGET)
