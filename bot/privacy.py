"""/forget: a patient's stored data deleted, after they confirm."""

from __future__ import annotations

from bot import patient_texts
from bot.messages import Choice, Reply, ReplyKind, forget_payload
from bot.records import Patient
from bot.store import Store


def confirm() -> Reply:
    """Ask before deleting: it cannot be undone."""
    choices = (
        Choice(patient_texts.BUTTON_FORGET_YES, forget_payload(confirmed=True)),
        Choice(patient_texts.BUTTON_FORGET_NO, forget_payload(confirmed=False)),
    )
    return Reply(patient_texts.FORGET_CONFIRM, choices, ReplyKind.FORGET)


async def forget(store: Store, patient: Patient, *, confirmed: bool) -> Reply:
    """Delete everything about the patient if they confirmed; say what happened."""
    if not confirmed:
        return Reply(patient_texts.FORGET_CANCELLED, kind=ReplyKind.FORGET)
    async with store.transaction() as tx:
        await tx.patients.forget(patient)
    return Reply(patient_texts.FORGET_DONE, kind=ReplyKind.FORGET)
