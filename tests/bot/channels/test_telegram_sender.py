"""How one reply becomes Telegram messages: split at 4096, buttons last, captions, data ≤ 64 bytes."""

from __future__ import annotations

from bot.channels.telegram.sender import keyboard, parts
from bot.messages import Attachment, Choice

PHOTO = Attachment("photo", "file-1")


def test_a_short_reply_is_one_message_with_its_buttons() -> None:
    [part] = parts("こんにちは", [Choice("はい", "faq:yes")], None)
    assert part.text == "こんにちは"
    assert part.markup is not None
    assert part.markup == {"inline_keyboard": [[{"text": "はい", "callback_data": "faq:yes"}]]}


def test_a_long_reply_is_split_and_the_buttons_go_under_the_last_piece() -> None:
    text = "一行の説明です。\n" * 1000
    planned = parts(text, [Choice("はい", "faq:yes")], None)
    assert len(planned) == 3
    assert "".join(p.text or "" for p in planned) == text
    assert [p.markup is not None for p in planned] == [False, False, True]


def test_a_photo_carries_a_short_text_as_its_caption() -> None:
    [part] = parts("右頬です", [], PHOTO)
    assert (part.text, part.attachment) == ("右頬です", PHOTO)


def test_a_text_too_long_for_a_caption_goes_first_and_the_photo_after() -> None:
    planned = parts("あ" * 2000, [], PHOTO)
    assert [(p.text is not None, p.attachment) for p in planned] == [(True, None), (False, PHOTO)]


def test_buttons_whose_data_exceeds_64_bytes_are_left_out() -> None:
    markup = keyboard([Choice("短い", "faq:ok"), Choice("長い", "faq:" + "x" * 61)])
    assert markup is not None
    assert [row[0]["callback_data"] for row in markup["inline_keyboard"]] == ["faq:ok"]
