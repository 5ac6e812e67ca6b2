"""Files patients send on LINE: referenced as `line:<message id>`, fetched when staff need them.

LINE keeps a message's content on its data host for a while, so the core and the outbox
carry only the reference; the staff channel fetches the bytes when it posts the file.
"""

from __future__ import annotations

from bot.channels.line.client import Content, LineApi
from bot.messages import Attachment, AttachmentKind

REF_PREFIX = "line:"
# LINE's message types that carry a file, as the core's attachment kinds.
KINDS: dict[str, AttachmentKind] = {
    "image": "photo",
    "video": "video",
    "audio": "voice",
    "file": "document",
}


def content_ref(message_id: str) -> str:
    return f"{REF_PREFIX}{message_id}"


def message_id_of(ref: str) -> str | None:
    """The LINE message a reference names; None if it is no LINE reference."""
    rest = ref.removeprefix(REF_PREFIX)
    return rest if rest != ref and rest.isdigit() else None


class LineContent:
    """Fetches the content of a patient's file from LINE's data host."""

    def __init__(self, api: LineApi) -> None:
        self._api = api

    async def fetch(self, attachment: Attachment) -> Content | None:
        """The file's bytes; None if the attachment is not a LINE file (raises LineError)."""
        message_id = message_id_of(attachment.ref)
        if message_id is None:
            return None
        return await self._api.content(message_id)
