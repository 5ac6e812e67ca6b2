"""Webhook bodies as LINE sends them: event JSON, and the X-Line-Signature over the raw body.

Written from LINE's Messaging API reference, independently of the bot's own code, so a
mistake in the bot's signature check or event parsing is not mirrored here.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import itertools
import json
from typing import Any

JSON = dict[str, Any]

CHANNEL_SECRET = "0123456789abcdef0123456789abcdef"
ACCESS_TOKEN = "fake-line-channel-access-token"
BOT_USER_ID = "U00000000000000000000000000000b0t"

_ids = itertools.count(1)


def sign(body: bytes, channel_secret: str = CHANNEL_SECRET) -> str:
    """X-Line-Signature: base64 of HMAC-SHA256 over the raw body, keyed by the channel secret."""
    digest = hmac.new(channel_secret.encode("utf-8"), body, hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii")


def webhook_body(events: list[JSON], destination: str = BOT_USER_ID) -> bytes:
    """The request body LINE posts: compact JSON, non-ASCII as is (signatures cover bytes)."""
    return json.dumps(
        {"destination": destination, "events": events}, ensure_ascii=False, separators=(",", ":")
    ).encode("utf-8")


def event_id() -> str:
    """A fresh webhookEventId (LINE uses ULIDs: 26 characters)."""
    return f"01FAKE{next(_ids):020d}"


def message_id() -> str:
    return str(470_000_000_000_000 + next(_ids))


def event(
    kind: str,
    user_id: str,
    *,
    timestamp_ms: int,
    reply_token: str | None = None,
    redelivery: bool = False,
    webhook_event_id: str | None = None,
    **fields: Any,
) -> JSON:
    """One webhook event from a user in a one-to-one chat."""
    out: JSON = {
        "type": kind,
        "mode": "active",
        "timestamp": timestamp_ms,
        "source": {"type": "user", "userId": user_id},
        "webhookEventId": webhook_event_id or event_id(),
        "deliveryContext": {"isRedelivery": redelivery},
        **fields,
    }
    if reply_token is not None:
        out["replyToken"] = reply_token
    return out


def text_message(text: str) -> JSON:
    return {"type": "text", "id": message_id(), "quoteToken": f"q-{next(_ids)}", "text": text}


def image_message(message_id_: str) -> JSON:
    return {
        "type": "image",
        "id": message_id_,
        "quoteToken": f"q-{next(_ids)}",
        "contentProvider": {"type": "line"},
    }


def sticker_message() -> JSON:
    return {
        "type": "sticker",
        "id": message_id(),
        "quoteToken": f"q-{next(_ids)}",
        "packageId": "446",
        "stickerId": "1988",
        "stickerResourceType": "STATIC",
    }
