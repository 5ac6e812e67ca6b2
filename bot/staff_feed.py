"""What staff are told, queued in the staff channel's outbox and addressed to tickets.

The staff channel's "chats" are tickets (`ticket:<id>`) plus the staff room itself
(`general`); the channel adapter turns a ticket into its topic or thread.
"""

from __future__ import annotations

import logging
from datetime import datetime

from bot.attachments import ATTACHMENT_LABELS
from bot.clock import Clock
from bot.config import Clinic
from bot.messages import AlertEvent, Reply, ReplyKind, StaffAlert
from bot.outbox import QuotaFailure
from bot.records import STAFF_GENERAL, STAFF_TICKET_PREFIX, OutboxItem, Ticket, TicketStatus
from bot.store import Session, Store
from bot.tickets import evidence_note

logger = logging.getLogger(__name__)

RECENT_QUESTIONS = 5
STAFF_HELP = (
    "このトピックに書いたメッセージ（文字・写真）は、クリニック名で患者に届きます。\n"
    "/note … 患者には送らないメモ\n"
    "/faq ID … FAQの回答を送る\n"
    "/learn ID … 患者の質問をFAQ IDの言い換え候補として記録\n"
    "/close 終了（患者に通知） · /reopen 再開 · /pending 対応待ちの一覧"
)
UNDELIVERED_NOTICE = (
    "⚠️ 患者にメッセージを届けられませんでした（ボットがブロックされた可能性があります）。\n"
    "届かなかった内容: {preview}"
)
QUOTA_NOTICE = (
    "⚠️ {channel}の今月のメッセージ送信数の上限に達したため、患者にメッセージを届けられませんでした。"
    "患者から次にメッセージが届けば、それへの返信は届きます（返信は上限に数えられません）。\n"
    "届かなかった内容: {preview}"
)
# How staff see a patient's messenger, e.g. in topic names: 「患者 #3（LINE）」.
CHANNEL_LABELS = {"line": "LINE", "telegram": "Telegram"}


def channel_label(channel: str) -> str:
    return CHANNEL_LABELS.get(channel, channel)


def ticket_key(ticket_id: int) -> str:
    return f"{STAFF_TICKET_PREFIX}{ticket_id}"


def ticket_of(key: str) -> int | None:
    """The ticket an item for staff is about; None for the staff room itself."""
    rest = key.removeprefix(STAFF_TICKET_PREFIX)
    return int(rest) if rest != key and rest.isdigit() else None


class StaffFeed:
    """Queues messages for staff: ticket alerts, notices, reminders, failure reports."""

    def __init__(self, store: Store, channel: str, clinic: Clinic, clock: Clock) -> None:
        self._store = store
        self.channel = channel
        self._clinic = clinic
        self._clock = clock

    @staticmethod
    def key(ticket_id: int | None) -> str:
        """The outbox chat of a ticket, or of the staff room itself."""
        return ticket_key(ticket_id) if ticket_id is not None else STAFF_GENERAL

    async def alert(self, alert: StaffAlert) -> None:
        """The conversation core's alert sink: a new ticket, a red flag, a patient message."""
        async with self._store.transaction() as tx:
            ticket = await tx.tickets.get(alert.ticket_id)
            if ticket is None:
                return
            if alert.event is AlertEvent.OPENED:
                text = await self._opening(tx, ticket, alert)
            elif alert.event is AlertEvent.URGENT:
                text = f"🚨【緊急】チケット #{ticket.id}\n{alert.text}"
            else:
                label = ATTACHMENT_LABELS[alert.attachment.kind] if alert.attachment else ""
                text = f"💬 患者:\n{alert.text or label}"
            loud = alert.urgent and alert.event is not AlertEvent.MESSAGE
            kind = ReplyKind.STAFF_URGENT if loud else ReplyKind.STAFF_NOTICE
            reply = Reply(text, kind=kind, attachment=alert.attachment)
            await tx.outbox.enqueue(self.channel, ticket_key(ticket.id), reply, self._clock())

    async def notice(self, ticket_id: int | None, text: str) -> None:
        """A message in the ticket's topic (or, with None, in the staff room)."""
        async with self._store.transaction() as tx:
            reply = Reply(text, kind=ReplyKind.STAFF_NOTICE)
            await tx.outbox.enqueue(self.channel, self.key(ticket_id), reply, self._clock())

    async def pending(self) -> str:
        """/pending: open tickets, urgent first, with how long they have been open."""
        now = self._clock()
        async with self._store.transaction(write=False) as tx:
            tickets = await tx.tickets.in_status([TicketStatus.OPEN, TicketStatus.ANSWERED])
        if not tickets:
            return "対応待ちのチケットはありません。"
        lines = [f"対応中のチケット: {len(tickets)}件"]
        for t in tickets:
            state = "未返信" if t.status is TicketStatus.OPEN else "返信済み"
            flag = "🚨 " if t.urgent else ""
            waited = age(t.created_at, now)
            lines.append(f"{flag}#{t.id} 患者 #{t.patient_id} · {state} · {waited}前 · {t.reason}")
        return "\n".join(lines)

    async def delivery_failed(self, item: OutboxItem, error: Exception) -> None:
        """The outbox's `on_failed`: an undeliverable message told in the patient's ticket.

        A used-up quota is said as such; with no ticket, in the staff room.
        """
        if item.channel == self.channel:
            logger.error("staff message %d could not be delivered", item.id)
            return
        quota = isinstance(error, QuotaFailure)
        async with self._store.transaction(write=False) as tx:
            patient = await tx.patients.by_chat(item.channel, item.chat_id)
            ticket = await tx.tickets.latest_for(patient.id) if patient is not None else None
        if ticket is None and not quota:
            logger.warning("outbox %d: undeliverable, and no ticket to report it in", item.id)
            return
        template = QUOTA_NOTICE if quota else UNDELIVERED_NOTICE
        preview = " ".join(item.reply.text.split())[:80]
        text = template.replace("{channel}", channel_label(item.channel))
        await self.notice(ticket.id if ticket else None, text.replace("{preview}", preview))

    async def _opening(self, tx: Session, ticket: Ticket, alert: StaffAlert) -> str:
        head = (
            f"🚨【緊急】チケット #{ticket.id}"
            if ticket.urgent
            else f"📩 新しいチケット #{ticket.id}"
        )
        lines = [
            head,
            f"患者 #{ticket.patient_id}（{channel_label(ticket.channel)}） · 理由: {ticket.reason}",
        ]
        question = await tx.questions.get(ticket.question_id) if ticket.question_id else None
        if question is not None:
            lines += ["", f"質問: {question.text}", evidence_note(question)]
        earlier = [
            q
            for q in await tx.questions.recent(ticket.patient_id, limit=RECENT_QUESTIONS + 1)
            if question is None or q.id != question.id
        ][-RECENT_QUESTIONS:]
        if earlier:
            lines += ["", "最近の会話:"]
            tz = self._clinic.tz
            for q in earlier:
                when = q.created_at.astimezone(tz).strftime("%m/%d %H:%M")
                answered = f" → {q.faq_id}" if q.faq_id else f" → {q.action}"
                lines.append(f"・{when} {q.text}{answered}")
        lines += ["", "返信はこのスレッドに書いてください（/note でメモ、/close で終了）。"]
        return "\n".join(lines)


def age(since: datetime, now: datetime) -> str:
    """How long ago, in the words staff use: 5分, 2時間10分, 3日."""
    minutes = max(0, int((now - since).total_seconds() // 60))
    if minutes < 60:
        return f"{minutes}分"
    if minutes < 24 * 60:
        return f"{minutes // 60}時間{minutes % 60}分"
    return f"{minutes // (24 * 60)}日"
