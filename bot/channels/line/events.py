"""LINE webhook events as the core's neutral messages (or as a user leaving)."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field

from linebot.v3.webhooks import (
    Event,
    FollowEvent,
    MessageEvent,
    PostbackEvent,
    TextMessageContent,
    UnfollowEvent,
    UserSource,
)

from bot.channels.line.client import CHANNEL
from bot.channels.line.content import KINDS, content_ref
from bot.messages import Attachment, IncomingMessage

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Replyable:
    """An event that came with a reply token (a message, a button, a follow)."""

    user_id: str
    reply_token: str = field(repr=False)
    redelivery: bool  # LINE sent it again: long after the fact, nobody watches a spinner


@dataclass(frozen=True, slots=True)
class Unfollowed:
    """The user blocked the account: pushes to them no longer arrive."""

    user_id: str


def event_key(event: dict[str, object]) -> str:
    """What makes an event unique across redeliveries: its webhookEventId."""
    return str(event["webhookEventId"])


def parse(payload: str) -> Event | None:
    """A stored event; None for event types this SDK does not know."""
    try:
        return Event.from_dict(json.loads(payload))
    except ValueError:
        return None


def translate(event: Event) -> IncomingMessage | Unfollowed | None:
    """What an event means for the core; None for events in groups and events we ignore."""
    source = event.source
    if not isinstance(source, UserSource) or not source.user_id:
        return None  # the bot talks to patients one to one only
    user = str(source.user_id)
    if isinstance(event, UnfollowEvent):
        return Unfollowed(user)
    key = str(event.webhook_event_id)
    if isinstance(event, FollowEvent):  # added as a friend, or unblocked: greet
        return IncomingMessage(CHANNEL, user, user, "start", key, kind="command")
    if isinstance(event, PostbackEvent):
        return _postback(user, str(event.postback.data), key)
    if isinstance(event, MessageEvent):
        return _message(user, event)
    logger.debug("LINE %s event ignored", event.type)
    return None


def replyable(payload: str) -> Replyable | None:
    """The reply token of an event in a one-to-one chat; None if it has none."""
    event = json.loads(payload)
    source = event.get("source") or {}
    user, token = source.get("userId"), event.get("replyToken")
    if source.get("type") != "user" or not user or not token:
        return None
    redelivery = bool((event.get("deliveryContext") or {}).get("isRedelivery"))
    return Replyable(str(user), str(token), redelivery)


def _postback(user: str, data: str, key: str) -> IncomingMessage:
    """A quick reply or rich menu button; rich menu data "/menu" etc. are commands."""
    if data.startswith("/") and len(data) > 1:
        return IncomingMessage(CHANNEL, user, user, data[1:].lower(), key, kind="command")
    return IncomingMessage(CHANNEL, user, user, data, key, kind="choice")


def _message(user: str, event: MessageEvent) -> IncomingMessage:
    """Text, a file (fetched later by reference), or anything else as an empty text."""
    content = event.message
    message_id = str(content.id)
    if isinstance(content, TextMessageContent):
        text = str(content.text)
        command = _command(text)
        if command is not None:
            return IncomingMessage(CHANNEL, user, user, command, message_id, kind="command")
        return IncomingMessage(CHANNEL, user, user, text, message_id)
    kind = KINDS.get(str(content.type))
    if kind is None:  # a sticker, a location: the core asks for words
        return IncomingMessage(CHANNEL, user, user, "", message_id)
    return IncomingMessage(
        CHANNEL, user, user, "", message_id, attachment=Attachment(kind, _ref(content))
    )


def _ref(content: object) -> str:
    """`line:<id>` for content on LINE's servers; the URL for content sent from elsewhere."""
    provider = getattr(content, "content_provider", None)
    url = getattr(provider, "original_content_url", None)
    if getattr(provider, "type", "line") == "external" and url:
        return str(url)
    return content_ref(str(getattr(content, "id", "")))


def _command(text: str) -> str | None:
    """A typed command ("/menu", or the text a rich menu button sends); None for other text."""
    stripped = text.strip()
    if not stripped.startswith("/") or len(stripped) < 2 or " " in stripped:
        return None
    return stripped[1:].lower()
