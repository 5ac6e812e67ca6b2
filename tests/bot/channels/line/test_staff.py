"""LINE patients and the staff side: tickets, files for staff, staff replies pushed."""

from __future__ import annotations

from bot.channels.line.client import Content
from bot.channels.line.content import content_ref
from bot.channels.telegram.client import STAFF
from bot.messages import Attachment
from tests.bot.channels.line.conftest import Line

PHOTO = b"\xff\xd8\xff\xe0 a photo of a rash \xff\xd9"


async def test_an_image_during_an_open_ticket_reaches_staff_fetched_from_the_content_api(
    line: Line,
) -> None:
    alice = line.patient()
    await alice.says("駐車場はありますか？")  # ticket #1
    await alice.receives()
    message_id = await alice.sends_image(PHOTO)
    assert (await alice.receives_text()).startswith(
        "メッセージをスタッフとのやりとりに追加しました"
    )
    for_staff = [item for item in await line.queued(STAFF) if item.reply.attachment is not None]
    [photo] = for_staff
    assert (photo.chat_id, photo.reply.attachment) == (
        "ticket:1",
        Attachment("photo", content_ref(message_id)),
    )
    assert await line.channel.content.fetch(photo.reply.attachment) == Content(PHOTO, "image/jpeg")
    [call] = line.fake.calls_to(f"/v2/bot/message/{message_id}/content")
    assert call.host == "data"


async def test_an_image_without_a_ticket_asks_for_words(line: Line) -> None:
    alice = line.patient()
    await alice.sends_image(PHOTO)
    reply = await alice.receives()
    assert reply.labels == ["スタッフに相談する"]
    assert await line.queued(STAFF) == []
    assert [call for call in line.fake.calls if call.host == "data"] == []  # nothing fetched


async def test_a_staff_ticket_names_the_line_channel(line: Line) -> None:
    alice = line.patient()
    await alice.says("胸が痛いです")
    assert (await alice.receives()).via == "reply"
    [opening] = await line.staff_notes()
    assert opening.startswith("🚨【緊急】チケット #1\n患者 #1（LINE）")
