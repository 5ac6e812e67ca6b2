"""The dispatcher's fast path reads a plain private text message exactly as PTB's
`Update` path does, and leaves everything else to that path."""

from __future__ import annotations

from typing import Any

import pytest
from telegram import Update

from bot.channels.telegram.patients import incoming, plain_text
from tests.fakes.telegram_api import FakeTelegram
from tests.fakes.telegram_updates import User

ALICE = User(501, "Alice")
STAFF_CHAT = -1001000


def _update(fake: FakeTelegram, chat_id: int = ALICE.id, **message: Any) -> dict[str, Any]:
    return {"update_id": 7, **fake.message_update(ALICE, chat_id, **message)}


@pytest.mark.parametrize("text", ["日焼け止めは必要？", "  空白つき  ", "文中の/スラッシュ", "😀"])
def test_a_private_text_reads_as_ptb_reads_it(text: str) -> None:
    update = _update(FakeTelegram(staff_chat_id=STAFF_CHAT), text=text)
    message = Update.de_json(update, None).message
    assert message is not None
    assert plain_text(update) == incoming(message)


@pytest.mark.parametrize(
    "other",
    [
        {"text": "/start"},  # a command
        {"caption": "写真です", "file": ("photo", "file-1")},  # a photo
        {"text": "スタッフの発言", "chat_id": STAFF_CHAT},  # the staff group
    ],
)
def test_anything_else_goes_through_ptb(other: dict[str, Any]) -> None:
    update = _update(FakeTelegram(staff_chat_id=STAFF_CHAT), **other)
    assert plain_text(update) is None


def test_an_edited_message_or_a_button_is_not_a_plain_text() -> None:
    fake = FakeTelegram(staff_chat_id=STAFF_CHAT)
    update = _update(fake, text="質問")
    assert plain_text({"update_id": 8, "edited_message": update["message"]}) is None
    assert plain_text({**update, "callback_query": {"id": "1"}}) is None
