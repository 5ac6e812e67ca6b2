"""How a file a patient sent appears in a ticket's thread, for staff (who see the file)."""

from __future__ import annotations

from bot.messages import AttachmentKind

ATTACHMENT_LABELS: dict[AttachmentKind, str] = {
    "photo": "［写真］",
    "document": "［ファイル］",
    "voice": "［音声］",
    "video": "［動画］",
}
