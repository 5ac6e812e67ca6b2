"""The replies the bot sends, built from the knowledge base's texts and entries."""

from __future__ import annotations

from collections.abc import Iterable

from bot.messages import (
    Attachment,
    Choice,
    Reply,
    ReplyKind,
    faq_payload,
    feedback_payload,
    handover_payload,
)
from faq.model import MAX_ANSWER_CHARS, Entry, KnowledgeBase, RedFlag, Texts


def fill(template: str, **values: str) -> str:
    """Fill `{name}` placeholders; other braces in admin-written text stay as they are."""
    for name, value in values.items():
        template = template.replace("{" + name + "}", value)
    return template


def answer(
    kb: KnowledgeBase, entry: Entry, question_id: int, *, also: Iterable[str] = ()
) -> list[Reply]:
    """An FAQ answer with the disclaimer, buttons for `also` (other entries the message
    matched well) and the related questions, and feedback buttons.

    Smalltalk (greetings, thanks) gets neither disclaimer nor buttons.
    """
    if entry.kind == "smalltalk":
        return [Reply(entry.answer, kind=ReplyKind.ANSWER)]
    choices = (
        *_entry_choices(kb, dict.fromkeys(i for i in (*also, *entry.related) if i != entry.id)),
        Choice(kb.texts.button_helpful, feedback_payload(question_id, helpful=True)),
        Choice(kb.texts.button_not_helpful, feedback_payload(question_id, helpful=False)),
    )
    text = kb.answer_text(entry)  # with the advertising disclosures where required
    combined = f"{text}\n\n{kb.texts.disclaimer}\n{kb.texts.feedback_prompt}"
    if len(combined) <= MAX_ANSWER_CHARS:
        return [Reply(combined, choices, ReplyKind.ANSWER)]
    # Too long for one message on every channel: the disclaimer follows on its own.
    footer = f"{kb.texts.disclaimer}\n{kb.texts.feedback_prompt}"
    return [Reply(text), Reply(footer, choices, ReplyKind.ANSWER)]


def clarify(kb: KnowledgeBase, entry_ids: Iterable[str], question_id: int) -> Reply | None:
    """Which of these did you mean? None when no offered id is a known FAQ entry."""
    choices = _entry_choices(kb, entry_ids)
    if not choices:
        return None
    choices += (Choice(kb.texts.button_none_of_these, handover_payload(question_id)),)
    return Reply(kb.texts.clarify, choices, ReplyKind.CLARIFY)


def urgent(texts: Texts, flag: RedFlag | None, eta: str) -> Reply:
    """The red flag's fixed safety message (the escalation text if the flag is unknown)."""
    text = flag.message if flag is not None else fill(texts.escalation, eta=eta)
    return Reply(text, kind=ReplyKind.URGENT)


def escalation(texts: Texts, eta: str, *, handover: bool) -> Reply:
    """Staff will answer: `handover` when the patient asked for staff, else no answer found."""
    if handover:
        return Reply(fill(texts.handover, eta=eta), kind=ReplyKind.HANDOVER)
    return Reply(fill(texts.escalation, eta=eta), kind=ReplyKind.ESCALATION)


def followup(texts: Texts) -> Reply:
    return Reply(texts.ticket_followup, kind=ReplyKind.FOLLOWUP)


def feedback_thanks(texts: Texts, *, offer_handover_for: int | None) -> Reply:
    """Thanks; after "not helpful", a button to ask staff about that question."""
    if offer_handover_for is None:
        return Reply(texts.feedback_thanks, kind=ReplyKind.FEEDBACK)
    choice = Choice(texts.button_ask_staff, handover_payload(offer_handover_for))
    return Reply(texts.feedback_thanks, (choice,), ReplyKind.FEEDBACK)


def not_understood(texts: Texts) -> Reply:
    return Reply(texts.not_understood, kind=ReplyKind.NOT_UNDERSTOOD)


def file_without_ticket(texts: Texts) -> Reply:
    """A photo or file the bot cannot read, outside a ticket: ask for words, or for staff."""
    choice = Choice(texts.button_ask_staff, handover_payload())
    return Reply(texts.not_understood, (choice,), ReplyKind.NOT_UNDERSTOOD)


def welcome(texts: Texts) -> Reply:
    return Reply(texts.welcome, kind=ReplyKind.WELCOME)


def staff_reply(
    texts: Texts, clinic: str, text: str, attachment: Attachment | None = None
) -> Reply:
    """A staff member's words (or file) under the clinic's name, never the staff member's."""
    header = fill(texts.staff_reply_header, clinic=clinic)
    body = f"{header}\n{text}" if text else header
    return Reply(body, kind=ReplyKind.STAFF_REPLY, attachment=attachment)


def ticket_closed(texts: Texts) -> Reply:
    return Reply(texts.ticket_closed, kind=ReplyKind.TICKET_CLOSED)


def _entry_choices(kb: KnowledgeBase, entry_ids: Iterable[str]) -> tuple[Choice, ...]:
    entries = (kb.entry(entry_id) for entry_id in entry_ids)
    return tuple(
        Choice(e.question, faq_payload(e.id)) for e in entries if e is not None and e.kind == "faq"
    )
