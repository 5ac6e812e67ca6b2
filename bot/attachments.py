"""How a file a patient sent appears in a ticket's thread, for staff (who see the file)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Protocol

from bot.messages import Attachment, AttachmentKind

ATTACHMENT_LABELS: dict[AttachmentKind, str] = {
    "photo": "［写真］",
    "document": "［ファイル］",
    "voice": "［音声］",
    "video": "［動画］",
}


class FileData(Protocol):
    """A file's bytes, fetched from the messenger the patient sent it on."""

    @property
    def data(self) -> bytes: ...

    @property
    def content_type(self) -> str: ...


# The file an attachment from another messenger names; None: the reference is no such.
FetchFile = Callable[[Attachment], Awaitable[FileData | None]]


async def no_files(attachment: Attachment) -> FileData | None:
    return None
