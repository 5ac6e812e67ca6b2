"""The core's replies as LINE messages: texts within LINE's limits, choices as quick replies."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from linebot.v3.messaging import (
    ImageMessage,
    PostbackAction,
    QuickReply,
    QuickReplyItem,
    TextMessage,
)

from bot.channels.line.client import (
    DATA_CHARS,
    LABEL_CHARS,
    QUICK_REPLY_ITEMS,
    TEXT_CHARS,
    Message,
)
from bot.messages import Attachment, Choice, Reply
from bot.text_split import split_text, utf16_len

logger = logging.getLogger(__name__)

ELLIPSIS = "…"
# A cut reads best after a particle or punctuation: "一緒に飲んでも…" rather than "…飲んでも大…".
_BREAKS = frozenset("、。・）」 をにはがでともへやの")
_TRAILING = " 　、。，．・？！?!"  # left at a cut, these read like a typo: "献血、…"


def label(text: str, limit: int = LABEL_CHARS) -> str:
    """A button label within LINE's limit: whole if it fits, else cut with an ellipsis."""
    text = " ".join(text.split())
    if utf16_len(text) <= limit:
        return text
    head = text
    while head and utf16_len(head) > limit - len(ELLIPSIS):
        head = head[:-1]
    breaks = [i + 1 for i, char in enumerate(head) if char in _BREAKS]
    if breaks and breaks[-1] >= len(head) * 2 // 3:  # not at the cost of most of the label
        head = head[: breaks[-1]]
    return head.rstrip(_TRAILING) + ELLIPSIS


def quick_reply(choices: Sequence[Choice]) -> QuickReply | None:
    """Postback buttons; pressing one shows its whole label in the chat as the user's words."""
    items = []
    for choice in choices:
        if len(choice.payload) > DATA_CHARS:
            logger.warning("button payload over %d characters left out", DATA_CHARS)
            continue
        action = PostbackAction(
            label=label(choice.label),
            data=choice.payload,
            display_text=label(choice.label, DATA_CHARS),
        )
        items.append(QuickReplyItem(action=action))
    if len(items) > QUICK_REPLY_ITEMS:
        logger.warning("%d buttons: LINE shows %d", len(items), QUICK_REPLY_ITEMS)
        items = items[:QUICK_REPLY_ITEMS]
    return QuickReply(items=items) if items else None


def media(attachment: Attachment, buttons: QuickReply | None = None) -> Message | None:
    """An image LINE can fetch itself (an https URL); other files cannot be sent on LINE."""
    if attachment.kind == "photo" and attachment.ref.startswith("https://"):
        return ImageMessage(
            original_content_url=attachment.ref,
            preview_image_url=attachment.ref,
            quick_reply=buttons,
        )
    logger.warning("a %s cannot be sent on LINE (no https URL): left out", attachment.kind)
    return None


def compose(reply: Reply) -> list[Message]:
    """The LINE messages for one reply, in order; its buttons come with the last one.

    The same reply always gives the same messages, so a retry can skip those already sent.
    """
    texts = split_text(reply.text, TEXT_CHARS) if reply.text.strip() else []
    buttons = quick_reply(reply.choices)
    extra = media(reply.attachment, buttons) if reply.attachment is not None else None
    messages: list[Message] = [TextMessage(text=text) for text in texts]
    if extra is not None:
        messages.append(extra)
    elif messages and buttons is not None:
        messages[-1] = TextMessage(text=texts[-1], quick_reply=buttons)
    return messages
