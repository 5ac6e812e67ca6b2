"""Files patients sent on Telegram, downloaded when staff open them in the console."""

from __future__ import annotations

import logging
import mimetypes
from dataclasses import dataclass

from telegram.error import BadRequest

from bot.channels.telegram.client import TelegramBot
from bot.messages import Attachment

logger = logging.getLogger(__name__)

# Telegram's file paths usually end in an extension; without one, what the kind implies.
_BY_KIND = {"photo": "image/jpeg", "voice": "audio/ogg", "video": "video/mp4"}


@dataclass(frozen=True, slots=True)
class TelegramFile:
    data: bytes
    content_type: str


async def download(bot: TelegramBot, attachment: Attachment) -> TelegramFile | None:
    """The file's bytes (getFile, then the download); None if Telegram no longer has it."""
    try:
        file = await bot.get_file(attachment.ref)
        data = await file.download_as_bytearray()
    except BadRequest as exc:
        logger.warning("telegram: a patient's file cannot be downloaded (%s)", exc.message)
        return None
    guessed, _ = mimetypes.guess_type(file.file_path or "")
    kind = guessed or _BY_KIND.get(attachment.kind, "application/octet-stream")
    return TelegramFile(bytes(data), kind)
