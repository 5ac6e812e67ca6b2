"""The conversation core: a patient's message in, replies out; no channel knowledge here."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

from bot import consent, menu, privacy, replies, turns
from bot.attachments import ATTACHMENT_LABELS
from bot.clock import Clock, utc_now
from bot.config import Config
from bot.decisions import Decider, MatchAhead, TextOf
from bot.failsafe import STORE_ERRORS, HeldUrgent, HeldUrgents, TriageCache
from bot.flood import FloodGate, Verdict
from bot.hours import eta_text
from bot.kb_holder import KbSource, Loaded
from bot.messages import (
    AlertEvent,
    Attachment,
    FaqChoice,
    FeedbackChoice,
    ForgetChoice,
    HandoverChoice,
    IncomingMessage,
    MenuChoice,
    Reply,
    ReplyKind,
    StaffAlert,
    parse_payload,
)
from bot.records import Author, Patient, TicketStatus
from bot.store import Store
from bot.tickets import TicketDesk, open_ticket
from faq.decision import Action, Decision
from faq.model import KnowledgeBase

logger = logging.getLogger(__name__)

AlertSink = Callable[[StaffAlert], Awaitable[None]]


async def _no_alerts(alert: StaffAlert) -> None:
    """Without a staff channel, tickets are seen with `faqbot tickets list`."""


class Conversation:
    """Handles patients' messages; staff actions are on `desk` (a TicketDesk)."""

    def __init__(
        self,
        kb: KbSource,
        store: Store,
        config: Config,
        *,
        clock: Clock = utc_now,
        alerts: AlertSink = _no_alerts,
        top: int = 3,
        staff_channel: str | None = None,
        decider: Decider | None = None,
    ) -> None:
        self.kb = kb
        self.decider = decider or Decider(worker=False)
        self._store = store
        self._config = config
        self._clock = clock
        self._alerts = alerts
        self._top = top
        # The outbox channel of the staff chat: a forgotten patient's topics are marked there.
        self.staff_channel = staff_channel
        self.desk = TicketDesk(store, lambda: kb.current.kb.texts, config.clinic.name, clock)
        safety = config.safety
        self.flood = FloodGate(safety.rate_per_minute, safety.rate_per_hour)
        self.consent = consent.ConsentDesk(
            enabled=safety.consent, retention_days=config.privacy.retention_days
        )
        self._triage = TriageCache()
        self._held = HeldUrgents()  # urgent messages answered while the store was down

    async def start_matcher(self) -> None:
        """Start the matcher's worker process, if any, so the first message need not wait."""
        await self.decider.start(self.kb.current, top=self._top)

    def match_ahead(self, text_of: TextOf) -> MatchAhead:
        """An inbox's head start: messages matched as they arrive (bot/decisions.py)."""
        return MatchAhead(self.decider, self.kb, self._top, text_of)

    def welcome(self) -> Reply:
        return replies.welcome(self.kb.current.kb.texts)

    async def handle(self, msg: IncomingMessage) -> list[Reply]:
        """The replies to one patient message, after everything it changed is committed.

        Raises the store's error if it cannot be recorded (the messenger sends it again),
        except for a red flag: its safety message is answered from memory regardless.
        """
        loaded = self.kb.current  # one KB for the whole message, even if a reload swaps it
        verdict = self.flood.check(msg.channel, msg.user_id, self._clock())
        if verdict is not Verdict.PASS:
            return await self._flooded(loaded, msg, verdict)
        return await self._safely(loaded, msg)

    async def record_held_urgent(self) -> int:
        """Record urgent messages answered from memory while the store was down: their
        tickets and staff alerts. Returns how many; those the store still refuses wait."""
        held = self._held.take_all()
        for n, item in enumerate(held):
            try:
                async with self._store.transaction() as tx:
                    patient = await tx.patients.seen(
                        item.msg.channel, item.msg.user_id, item.msg.chat_id, item.at
                    )
                msg = item.msg
                await self._route(
                    item.kb,
                    patient,
                    msg.text.strip(),
                    item.decision,
                    "text",
                    msg.attachment,
                    now=item.at,
                )
            except STORE_ERRORS:
                for rest in held[n:]:
                    self._held.hold(rest)
                return n
            logger.warning("urgent message held during a store failure is now recorded")
        return len(held)

    async def _safely(self, loaded: Loaded, msg: IncomingMessage) -> list[Reply]:
        """Handle the message; if the store fails, a red flag still gets its safety message."""
        held = self._held.take(msg)  # a redelivery: handled now, or held again below
        try:
            return await self._handle(loaded, msg)
        except STORE_ERRORS:
            text = msg.text.strip() if msg.kind == "text" else ""
            decision = held.decision if held else self._triage.of(loaded).red_flag(text)
            if decision is None:
                raise  # not urgent: unacknowledged, the messenger delivers it again
            now = self._clock()
            self._held.hold(HeldUrgent(msg, loaded.kb, decision, held.at if held else now))
            logger.exception("store unavailable: urgent message answered from memory, held")
            flag = turns.red_flag(loaded.kb, decision.rule_id)
            return [replies.urgent(loaded.kb.texts, flag, self._eta(now))]

    async def _flooded(self, loaded: Loaded, msg: IncomingMessage, verdict: Verdict) -> list[Reply]:
        """Over the rate limit: one notice, then nothing, except for red flags (rarely)."""
        out: list[Reply] = []
        now = self._clock()
        text = msg.text.strip() if msg.kind == "text" else ""
        urgent = bool(text) and self._triage.of(loaded).red_flag(text) is not None
        every = timedelta(minutes=self._config.safety.flood_safety_minutes)
        if urgent and self.flood.safety_due(msg.channel, msg.user_id, now, every):
            out += await self._safely(loaded, msg)
        if verdict is Verdict.NOTICE:
            logger.warning("a %s patient is over the rate limit; dropping messages", msg.channel)
            out.append(Reply(loaded.kb.texts.flood_notice, kind=ReplyKind.FLOOD))
        return out

    async def _handle(self, loaded: Loaded, msg: IncomingMessage) -> list[Reply]:
        text = msg.text.strip()
        if not text and msg.attachment is None:
            return [replies.not_understood(loaded.kb.texts)]
        async with self._store.transaction() as tx:
            patient = await tx.patients.seen(msg.channel, msg.user_id, msg.chat_id, self._clock())
        if msg.kind == "command":
            return await self._command(loaded.kb, patient, msg)
        if msg.kind == "choice":
            return await self._choice(loaded, patient, msg)
        if not text:
            assert msg.attachment is not None
            return await self._file_only(loaded.kb, patient, msg.attachment)
        # Triage first (decide checks red flags before matching): safety before consent.
        decision = self.decider.decide(loaded, text, top=self._top)
        if decision.action is not Action.URGENT and await self._must_agree(patient):
            return [self.consent.ask(loaded.kb.texts, msg, self._clock())]
        return await self._route(loaded.kb, patient, text, decision, "text", msg.attachment)

    async def _must_agree(self, patient: Patient) -> bool:
        """Consent is needed before storing, unless an urgent ticket (vital interest) is open."""
        if not self.consent.needed(patient):
            return False
        async with self._store.transaction(write=False) as tx:
            return await tx.tickets.active_for(patient.id) is None

    async def _agreed(self, loaded: Loaded, patient: Patient) -> list[Reply]:
        """The consent button: recorded; the question that waited for it is answered now."""
        now = self._clock()
        async with self._store.transaction() as tx:
            await tx.safety.consent(patient.id, now)
        held = self.consent.take(patient, now)
        out = [consent.thanks(loaded.kb.texts)]
        return out + (await self._handle(self.kb.current, held) if held is not None else [])

    async def staff_reply(self, ticket_id: int, text: str, staff_name: str) -> int:
        return await self.desk.reply(ticket_id, text, staff_name)

    async def close_ticket(self, ticket_id: int) -> int:
        return await self.desk.close(ticket_id)

    async def reopen(self, ticket_id: int) -> None:
        await self.desk.reopen(ticket_id)

    async def _command(
        self, kb: KnowledgeBase, patient: Patient, msg: IncomingMessage
    ) -> list[Reply]:
        """/start, /help, /menu, /staff, /forget; anything else is not understood."""
        name = msg.text.strip()
        if name == "start":
            if self.consent.needed(patient):
                return [menu.welcome(kb), consent.notice(kb.texts, self.consent.retention_days)]
            return [menu.welcome(kb)]
        if name == "help":
            return [menu.help_reply(kb)]
        if name == "menu":
            return [menu.menu(kb)]
        if name == "staff":
            if await self._must_agree(patient):
                return [self.consent.ask(kb.texts, msg, self._clock())]
            return await self._handover(kb, patient, None)
        if name == "forget":
            return [privacy.confirm(kb.texts)]
        return [replies.not_understood(kb.texts)]

    async def _choice(self, loaded: Loaded, patient: Patient, msg: IncomingMessage) -> list[Reply]:
        texts = loaded.kb.texts
        payload = msg.text.strip()
        if payload == consent.PAYLOAD:
            return await self._agreed(loaded, patient)
        choice = parse_payload(payload)
        # An FAQ button or a handover stores a question or a ticket: consent comes first.
        if isinstance(choice, FaqChoice | HandoverChoice) and await self._must_agree(patient):
            return [self.consent.ask(texts, msg, self._clock())]
        match choice:
            case FaqChoice(faq_id):
                entry = loaded.kb.entry(faq_id)
                if entry is None:  # a button from before a reload removed the entry
                    return [replies.not_understood(texts)]
                decision = Decision(Action.ANSWER, entry.id, 1.0, reason="chosen by the patient")
                return await self._route(loaded.kb, patient, entry.question, decision, "choice")
            case FeedbackChoice(question_id, helpful):
                return await self._feedback(loaded.kb, patient, question_id, helpful=helpful)
            case HandoverChoice(question_id):
                return await self._handover(loaded.kb, patient, question_id)
            case MenuChoice(index):
                reply = menu.category(loaded.kb, index)
                return [reply if reply is not None else menu.menu(loaded.kb)]
            case ForgetChoice(confirmed):
                if confirmed:
                    self.consent.take(patient, self._clock())  # nothing of theirs kept here
                forgotten = await privacy.forget(
                    self._store,
                    loaded.kb.texts,
                    patient,
                    confirmed=confirmed,
                    staff_channel=self.staff_channel,
                    clock=self._clock,
                )
                return [forgotten]
        return [replies.not_understood(texts)]

    async def _file_only(
        self, kb: KnowledgeBase, patient: Patient, attachment: Attachment
    ) -> list[Reply]:
        """A photo, file or voice without words: staff get it if the patient is with them."""
        now = self._clock()
        async with self._store.transaction() as tx:
            ticket = await tx.tickets.active_for(patient.id)
            if ticket is None:
                return [replies.file_without_ticket(kb.texts)]
            label = ATTACHMENT_LABELS[attachment.kind]
            await tx.tickets.add_message(
                ticket.id, Author.PATIENT, label, now=now, attachment=attachment
            )
            if ticket.status is TicketStatus.ANSWERED:
                await tx.tickets.set_status(ticket.id, TicketStatus.OPEN, now)
        alert = StaffAlert(ticket.id, ticket.urgent, "", attachment=attachment)
        await self._send_alerts([alert])
        return [replies.followup(kb.texts)]

    async def _route(
        self,
        kb: KnowledgeBase,
        patient: Patient,
        text: str,
        decision: Decision,
        via: str,
        attachment: Attachment | None = None,
        *,
        now: datetime | None = None,
    ) -> list[Reply]:
        """Record the question, then follow the decision (or join the open ticket)."""
        now = now or self._clock()
        async with self._store.transaction() as tx:
            question_id = await tx.questions.add(patient.id, text, decision, via=via, now=now)
            question = await tx.questions.get(question_id)
            assert question is not None
            clinic = self._config.clinic
            turn = turns.Turn(tx, kb, patient, question, decision, now, clinic, attachment)
            ticket = await tx.tickets.active_for(patient.id)
            if ticket is not None:
                await turns.join_ticket(turn, ticket)
            else:
                await turns.follow(turn)
        await self._send_alerts(turn.alerts)
        return turn.replies

    async def _feedback(
        self, kb: KnowledgeBase, patient: Patient, question_id: int, *, helpful: bool
    ) -> list[Reply]:
        async with self._store.transaction() as tx:
            question = await tx.questions.get(question_id)
            if question is None or question.patient_id != patient.id:
                return [replies.not_understood(kb.texts)]
            await tx.questions.set_feedback(question_id, helpful=helpful, now=self._clock())
        offer = None if helpful else question_id
        return [replies.feedback_thanks(kb.texts, offer_handover_for=offer)]

    async def _handover(
        self, kb: KnowledgeBase, patient: Patient, question_id: int | None
    ) -> list[Reply]:
        """The patient asked for staff about a question (by default their latest)."""
        now = self._clock()
        async with self._store.transaction() as tx:
            if await tx.tickets.active_for(patient.id) is not None:
                return [replies.followup(kb.texts)]
            if question_id is None:
                question = await tx.questions.latest(patient.id)
            else:
                question = await tx.questions.get(question_id)
            if question is not None and question.patient_id != patient.id:
                return [replies.not_understood(kb.texts)]
            reason = "患者がスタッフへの相談を希望"
            ticket_id = await open_ticket(
                tx, patient.id, question, reason=reason, urgent=False, now=now
            )
        text = question.text if question is not None else ""
        alert = StaffAlert(ticket_id, False, f"{reason}\n{text}".strip(), AlertEvent.OPENED)
        await self._send_alerts([alert])
        return [replies.escalation(kb.texts, self._eta(now), handover=True)]

    def _eta(self, now: datetime) -> str:
        return eta_text(self._config.clinic, now)

    async def _send_alerts(self, alerts: list[StaffAlert]) -> None:
        for alert in alerts:
            try:
                await self._alerts(alert)
            except Exception:
                # The ticket is committed and listed for staff; the patient still gets a reply.
                logger.exception("staff alert for ticket %d failed", alert.ticket_id)
