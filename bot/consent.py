"""Consent: before a patient's first question is stored, they see what is kept and agree.

The question that triggered the notice is not stored: it waits in memory (one per
patient, for a while) and is answered once the patient presses the button. After a
restart it is gone and the patient is simply thanked; they ask again.

Red flags are triaged before consent: the safety message goes out at once, and the
urgent ticket is stored without consent, to protect the patient's vital interests.
A patient with such a ticket keeps writing into it; other questions wait for consent.
"""

from __future__ import annotations

from collections import OrderedDict
from datetime import datetime, timedelta

from bot.messages import Choice, IncomingMessage, Reply, ReplyKind
from bot.records import Patient
from bot.replies import fill
from faq.model import Texts

PAYLOAD = "consent:yes"
# A held question older than this is not answered after the button: the moment passed.
HOLD_FOR = timedelta(hours=1)
# Patients whose question waits; beyond this the oldest is dropped (memory stays bounded).
MAX_HELD = 1000


def retention(days: int) -> str:
    """How long patients' words are kept, as said in the notice."""
    return f"{days}日間" if days > 0 else "削除のご依頼（/forget）があるまで"


def notice(texts: Texts, retention_days: int) -> Reply:
    """What is stored, why, for how long, how to delete it; and the button to agree."""
    text = fill(texts.consent_notice, retention=retention(retention_days))
    return Reply(text, (Choice(texts.button_consent, PAYLOAD),), ReplyKind.CONSENT)


def thanks(texts: Texts) -> Reply:
    return Reply(texts.consent_thanks, kind=ReplyKind.CONSENT)


class ConsentDesk:
    """Who still has to agree, and the one message each is holding until they do."""

    def __init__(self, *, enabled: bool, retention_days: int) -> None:
        self.enabled = enabled
        self.retention_days = retention_days
        self._held: OrderedDict[tuple[str, str], tuple[IncomingMessage, datetime]] = OrderedDict()

    def needed(self, patient: Patient) -> bool:
        return self.enabled and patient.consented_at is None

    def ask(self, texts: Texts, msg: IncomingMessage, now: datetime) -> Reply:
        """Hold the message (only the latest one) and ask for consent."""
        key = (msg.channel, msg.user_id)
        self._held.pop(key, None)
        self._held[key] = (msg, now)
        while len(self._held) > MAX_HELD:
            self._held.popitem(last=False)
        return notice(texts, self.retention_days)

    def take(self, patient: Patient, now: datetime) -> IncomingMessage | None:
        """The message the patient sent before agreeing, if still fresh; forgotten here."""
        held = self._held.pop((patient.channel, patient.user_id), None)
        if held is None or now - held[1] > HOLD_FOR:
            return None
        return held[0]
