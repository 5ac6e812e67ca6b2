"""The staff group: a patient's topic relays staff messages to them; commands act on tickets."""

from __future__ import annotations

import logging
from collections.abc import Callable

from telegram import Message, User

from bot.channels.telegram.membership import (
    CHECK_FAILED,
    NOT_A_MEMBER,
    StaffMembership,
    refusal,
)
from bot.channels.telegram.patients import attachment_of, command_of
from bot.clock import Clock
from bot.inbox import AfterCommit
from bot.kb_holder import KbSource
from bot.records import Author, Ticket
from bot.staff_feed import STAFF_HELP, StaffFeed
from bot.store import Store
from bot.tickets import TicketDesk, TicketError

logger = logging.getLogger(__name__)

Reload = Callable[[int | None], AfterCommit]  # reload, then report in the ticket or the room
NEEDS_TICKET = frozenset({"note", "close", "reopen", "faq", "learn"})
CLOSED = "チケット #{id} は終了しているため、患者には送っていません。/reopen で再開してから送ってください。"


def staff_name(user: User) -> str:
    return user.full_name or str(user.id)


class StaffRoom:
    """Everything said in the staff group; its members are the clinic's staff."""

    def __init__(
        self,
        *,
        chat_id: int,
        desk: TicketDesk,
        feed: StaffFeed,
        store: Store,
        kb: KbSource,
        admin_ids: frozenset[int],
        reload: Reload,
        clock: Clock,
        membership: StaffMembership,
    ) -> None:
        self._chat = str(chat_id)
        self._desk = desk
        self._feed = feed
        self._store = store
        self._kb = kb
        self._admins = admin_ids
        self._reload = reload
        self._clock = clock
        self._membership = membership

    def member_changed(self, user_id: int) -> None:
        """Someone joined, left, was removed or promoted: their next message is checked anew."""
        self._membership.forget(user_id)

    async def on_message(self, message: Message) -> list[AfterCommit]:
        for joined in message.new_chat_members or ():
            self.member_changed(joined.id)
        if message.left_chat_member is not None:
            self.member_changed(message.left_chat_member.id)
        ticket = await self._ticket(message)
        command = command_of(message)
        if command is None and ticket is None:
            return []  # talk in the main thread stays among staff
        user = await self._staff_member(message, ticket)
        if user is None:
            return []
        if command is not None:
            argument = (message.text or "").partition(" ")[2].strip()
            try:
                return await self._command(command, argument, ticket, user)
            except TicketError as exc:
                await self._feed.notice(ticket.id if ticket else None, f"⚠️ {exc}")
                return []
        if ticket is not None:
            await self._relay(ticket, message, user)
        return []

    async def _staff_member(self, message: Message, ticket: Ticket | None) -> User | None:
        """The sender, if a current member writing as themselves; else refused and logged.

        The answer must come before the relay, which commits with the update: it is asked
        of Telegram before the inbox's transaction opens (bot/channels/telegram/head_start.py)
        or, failing that, here; the cache keeps such calls rare.
        """
        refused = refusal(message)
        user = message.from_user
        if refused is None and user is not None:
            member = await self._membership.check(user.id)
            if member:
                return user
            refused = (
                ("not a member", NOT_A_MEMBER) if member is False else ("unknown", CHECK_FAILED)
            )
        reason, told = refused or ("no sender", None)
        logger.warning(  # never the text: it may be about a patient
            "staff room: message %d from user %s refused: %s",
            message.message_id,
            user.id if user is not None else "-",
            reason,
        )
        if told is not None:
            await self._feed.notice(ticket.id if ticket is not None else None, told)
        return None

    async def _ticket(self, message: Message) -> Ticket | None:
        """The ticket of the patient whose topic this is, or whose message is replied to."""
        async with self._store.transaction(write=False) as tx:
            if message.is_topic_message and message.message_thread_id is not None:
                patient = await tx.staff.patient_for_topic(self._chat, message.message_thread_id)
                if patient is not None:
                    return await tx.tickets.active_for(patient) or await tx.tickets.latest_for(
                        patient
                    )
            replied = message.reply_to_message
            if replied is not None:
                ticket_id = await tx.staff.ticket_for_post(self._chat, replied.message_id)
                if ticket_id is not None:
                    return await tx.tickets.get(ticket_id)
        return None

    async def _relay(self, ticket: Ticket, message: Message, user: User) -> None:
        """A staff member's words or file go to the patient under the clinic's name."""
        if not ticket.active:
            await self._feed.notice(ticket.id, CLOSED.replace("{id}", str(ticket.id)))
            return
        attachment = attachment_of(message)
        text = message.text or message.caption or ""
        if not text and attachment is None:
            await self._feed.notice(
                ticket.id,
                "この種類のメッセージは患者に送れません（文字・写真・ファイル・音声・動画のみ）。",
            )
            return
        await self._desk.reply(ticket.id, text, staff_name(user), attachment=attachment)

    async def _command(
        self, name: str, argument: str, ticket: Ticket | None, user: User
    ) -> list[AfterCommit]:
        where = ticket.id if ticket is not None else None
        if name == "reload":
            if user.id not in self._admins:
                await self._feed.notice(where, "ナレッジベースの再読み込みは管理者だけができます。")
                return []
            return [self._reload(where)]
        if name == "pending":
            await self._feed.notice(where, await self._feed.pending())
            return []
        if name not in NEEDS_TICKET:
            await self._feed.notice(where, STAFF_HELP)
            return []
        if ticket is None:
            await self._feed.notice(
                None,
                "このコマンドは患者のトピック内（またはボットの投稿への返信）で使ってください。",
            )
            return []
        await self._ticket_command(name, argument, ticket, staff_name(user))
        return []

    async def _ticket_command(self, name: str, argument: str, ticket: Ticket, staff: str) -> None:
        notice = self._feed.notice
        if name == "note":
            if not argument:
                raise TicketError("/note のあとにメモを書いてください")
            await self._desk.note(ticket.id, argument, staff)
            await notice(ticket.id, "📝 メモを記録しました（患者には送られません）。")
        elif name == "close":
            await self._desk.close(ticket.id)
            await notice(ticket.id, f"✅ チケット #{ticket.id} を終了しました。患者に伝えました。")
        elif name == "reopen":
            await self._desk.reopen(ticket.id)
            await notice(ticket.id, f"↩️ チケット #{ticket.id} を再開しました。")
        elif name == "faq":
            if not ticket.active:  # as for a relay: nothing reaches the patient of a closed one
                raise TicketError(CLOSED.replace("{id}", str(ticket.id)))
            kb = self._kb.current.kb
            entry = kb.entry(argument)
            if entry is None:
                raise TicketError(f"FAQ「{argument}」はありません")
            await self._desk.reply(
                ticket.id, f"{kb.answer_text(entry)}\n\n{kb.texts.disclaimer.strip()}", staff
            )
            await notice(ticket.id, f"📤 FAQ「{entry.question}」の回答を送りました。")
        elif name == "learn":
            await self._learn(argument, ticket, staff)

    async def _learn(self, faq_id: str, ticket: Ticket, staff: str) -> None:
        """Keep the patient's question as a proposed phrasing of the entry, for an admin."""
        entry = self._kb.current.kb.entry(faq_id)
        if entry is None:
            raise TicketError(f"FAQ「{faq_id}」はありません")
        async with self._store.transaction() as tx:
            question = await tx.questions.get(ticket.question_id) if ticket.question_id else None
            thread = await tx.tickets.messages(ticket.id)
            said = [m.text for m in thread if m.author is Author.PATIENT]
            text = question.text if question is not None else (said[0] if said else "")
            if not text:
                raise TicketError("記録する患者の質問がありません")
            await tx.staff.propose(
                entry.id, text, ticket_id=ticket.id, staff_name=staff, now=self._clock()
            )
        await self._feed.notice(
            ticket.id,
            f"📚 「{text}」を FAQ「{entry.id}」の言い換え候補として記録しました（管理者の確認待ち）。",
        )
