"""The core's replies as LINE message objects: LINE's limits on texts, buttons and labels."""

from __future__ import annotations

import pytest

from bot.channels.line.outgoing import compose, label
from bot.messages import Attachment, Choice, Reply


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("どんな副作用がありますか？", "どんな副作用がありますか？"),
        (
            "サプリメントや他の薬と一緒に飲んでも大丈夫ですか？",
            "サプリメントや他の薬と一緒に飲んでも…",
        ),
        (
            "飲み始めてからニキビが悪化しました。好転反応ですか？",
            "飲み始めてからニキビが悪化しました…",
        ),
        ("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "ABCDEFGHIJKLMNOPQRS…"),
        ("😀" * 12, "😀" * 9 + "…"),
        ("  役に立った \n", "役に立った"),
    ],
    ids=[
        "fits",
        "cut after a particle",
        "cut at a full stop",
        "latin",
        "emoji count double",
        "spaces",
    ],
)
def test_button_labels_fit_in_twenty_characters(text: str, expected: str) -> None:
    assert label(text) == expected


def test_a_long_text_is_split_into_messages_of_at_most_5000_characters() -> None:
    text = "。".join(["ニキビ" * 300] * 12)
    messages = compose(Reply(text, (Choice("役に立った", "feedback:1:helpful"),)))
    assert [len(m.text) for m in messages] == [4505, 4505, 1801]  # cut after 。
    assert "".join(m.text for m in messages) == text
    assert [m.quick_reply is None for m in messages] == [True, True, False]  # buttons last


def test_at_most_thirteen_buttons_are_offered() -> None:
    choices = tuple(Choice(f"質問{n}", f"faq:q{n}") for n in range(20))
    [message] = compose(Reply("どれですか？", choices))
    assert [item.action.data for item in message.quick_reply.items] == [
        f"faq:q{n}" for n in range(13)
    ]


def test_a_photo_with_an_https_url_is_sent_as_an_image_with_the_buttons() -> None:
    reply = Reply(
        "写真です",
        (Choice("はい", "faq:yes"),),
        attachment=Attachment("photo", "https://example.jp/a.jpg"),
    )
    text, image = compose(reply)
    assert (text.text, text.quick_reply) == ("写真です", None)
    assert (image.original_content_url, image.quick_reply.items[0].action.data) == (
        "https://example.jp/a.jpg",
        "faq:yes",
    )


def test_a_file_line_cannot_fetch_is_left_out_and_the_text_kept() -> None:
    reply = Reply("【テスト皮膚科より】", attachment=Attachment("document", "BQACAgIAAxkBAAI"))
    assert [m.text for m in compose(reply)] == ["【テスト皮膚科より】"]
