"""The staff pages against the running bot: the queue, a ticket's thread and its actions.

Patients write through the fake Telegram; what staff do in the console must reach them
there, through the outbox, and show in the Telegram staff topic too.
"""

from __future__ import annotations

import re

from tests.bot.channels.conftest import STAFF_CHAT, Patient, Reader
from tests.console.conftest import STAFF_NAME, Browserless, Console
from tests.fakes.telegram_updates import User

BOB, CAROL = User(502, "Bob"), User(503, "Carol")
ESCALATE = "スタッフと話したい"  # the test KB's handover rule
URGENT = "胸が痛いです"  # the test KB's red flag
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(64))


def ticket_order(fragment: str) -> list[int]:
    return [int(found) for found in re.findall(r'data-ticket="(\d+)"', fragment)]


async def ticket_of(console: Console, user: User) -> int:
    async with console.app.store.transaction(write=False) as tx:
        patient = await tx.patients.by_chat("telegram", str(user.id))
        assert patient is not None
        ticket = await tx.tickets.latest_for(patient.id)
    assert ticket is not None
    return ticket.id


async def escalated(console: Console, patient: Patient, text: str = ESCALATE) -> int:
    """The patient writes, the bot answers (a ticket is open); the ticket's id."""
    await patient.says(text)
    await patient.receives()
    return await ticket_of(console, patient.user)


async def act(client: Browserless, ticket_id: int, action: str, **form: str) -> int:
    response = await client.post(
        f"/tickets/{ticket_id}/{action}", form, page=f"/tickets/{ticket_id}"
    )
    return response.status


async def test_queue_lists_waiting_tickets_first_with_urgent_on_top(console: Console) -> None:
    alice = await escalated(console, console.patient())
    bob = await escalated(console, console.patient(BOB))
    carol = await escalated(console, console.patient(CAROL), URGENT)
    async with console.client() as client:
        assert await act(client, bob, "reply", text="確認します") == 200
        fragment = await (await client.get("/queue/rows")).text()
    assert ticket_order(fragment) == [carol, alice, bob]
    assert fragment.count("緊急") == 1 and "返信済み" in fragment
    assert "Telegram" in fragment and ESCALATE in fragment


async def test_the_queue_page_shows_the_bots_best_guesses(console: Console) -> None:
    await escalated(console, console.patient(), "お酒についてスタッフと話したい")
    async with console.client() as client:
        page = await (await client.get("/")).text()
    assert 'data-refresh-url="/queue/rows"' in page
    assert '<span class="guess">お酒を飲んでもいいですか？ <small>1.00</small>' in page


async def test_a_console_reply_reaches_the_patient_through_the_outbox(console: Console) -> None:
    patient = console.patient()
    ticket_id = await escalated(console, patient)
    async with console.client() as client:
        assert await act(client, ticket_id, "reply", text="本日中にお電話します。") == 200
        page = await (await client.get(f"/tickets/{ticket_id}")).text()
    received = await patient.receives_text()
    assert "本日中にお電話します。" in received and "テスト皮膚科" in received
    assert f"スタッフ（{STAFF_NAME}）" in page and "返信済み" in page
    async with console.app.store.transaction(write=False) as tx:
        ticket = await tx.tickets.get(ticket_id)
    assert ticket is not None and ticket.first_response_at is not None


async def test_console_actions_are_told_in_the_telegram_staff_topic(console: Console) -> None:
    ticket_id = await escalated(console, console.patient())
    room = Reader(console.fake, STAFF_CHAT)
    async with console.client() as client:
        await act(client, ticket_id, "reply", text="折り返します")
    await console.fake.wait_until(
        lambda: any("コンソールから返信" in (s.text or "") for s in room.fake.sent_to(STAFF_CHAT))
    )
    notice = [s for s in console.fake.sent_to(STAFF_CHAT) if "コンソールから返信" in (s.text or "")]
    assert notice[0].text == f"💻 コンソールから返信: {STAFF_NAME}\n折り返します"
    assert notice[0].thread_id is not None  # in the patient's topic, not the general room


async def test_close_tells_the_patient_and_reopen_opens_again(console: Console) -> None:
    patient = console.patient()
    ticket_id = await escalated(console, patient)
    async with console.client() as client:
        assert await act(client, ticket_id, "close") == 200
        closed_page = await (await client.get(f"/tickets/{ticket_id}")).text()
        assert "お問い合わせを終了しました。" in await patient.receives_text()
        assert await act(client, ticket_id, "reopen") == 200
        reopened = await (await client.get("/queue/rows")).text()
    assert "再開する" in closed_page and "返信を送る" not in closed_page
    assert ticket_order(reopened) == [ticket_id]


async def test_a_reply_to_a_closed_ticket_is_refused_with_the_reason(console: Console) -> None:
    ticket_id = await escalated(console, console.patient())
    async with console.client() as client:
        await act(client, ticket_id, "close")
        response = await client.http.post(
            f"/tickets/{ticket_id}/reply",
            data={"csrf_token": await client.csrf(), "text": "まだありますか"},
        )
        assert response.status == 409
        assert "reopen it first" in await response.text()


async def test_an_faq_answer_is_sent_with_one_click(console: Console) -> None:
    patient = console.patient()
    ticket_id = await escalated(console, patient, "お酒についてスタッフと話したい")
    async with console.client() as client:
        page = await (await client.get(f"/tickets/{ticket_id}")).text()
        assert 'value="alcohol"' in page and "この回答を送る" in page
        assert await act(client, ticket_id, "faq", faq_id="alcohol") == 200
    received = await patient.receives_text()
    assert "服用中の飲酒は控えてください。" in received and "※一般的な情報です。" in received


async def test_a_note_stays_out_of_the_patients_chat(console: Console) -> None:
    patient = console.patient()
    ticket_id = await escalated(console, patient)
    sent_before = len(console.fake.sent_to(patient.user.id))
    async with console.client() as client:
        assert await act(client, ticket_id, "note", text="電話番号を確認中") == 200
        thread = await (await client.get(f"/tickets/{ticket_id}/thread")).text()
    assert 'class="msg note"' in thread and "電話番号を確認中" in thread
    assert len(console.fake.sent_to(patient.user.id)) == sent_before


async def test_a_patients_photo_is_shown_from_telegram_without_a_copy(console: Console) -> None:
    console.fake.files["files/photo-1"] = PNG
    console.fake.files["files/photo-2"] = PNG[::-1]
    patient = console.patient()
    await patient.sends("photo", "photo-1", caption=ESCALATE)
    await patient.receives()
    await patient.sends("photo", "photo-2")  # a photo without words joins the open ticket
    await patient.receives()
    ticket_id = await ticket_of(console, patient.user)
    async with console.client() as client:
        page = await (await client.get(f"/tickets/{ticket_id}")).text()
        sources = re.findall(r'<img src="([^"]+)"', page)
        assert len(sources) == 2
        first, second = [await client.get(src) for src in sources]
        assert (await first.read(), await second.read()) == (PNG, PNG[::-1])
    assert first.headers["Cache-Control"] == "no-store"
    assert first.headers["Content-Type"] == "image/jpeg"


async def test_a_file_the_messenger_no_longer_has_is_a_clear_404(console: Console) -> None:
    patient = console.patient()
    await patient.sends("photo", "gone", caption=ESCALATE)
    await patient.receives()
    ticket_id = await ticket_of(console, patient.user)
    async with console.client() as client:
        page = await (await client.get(f"/tickets/{ticket_id}")).text()
        [src] = re.findall(r'<img src="([^"]+)"', page)
        response = await client.get(src)
        assert response.status == 404
        assert "ファイルを取得できませんでした" in await response.text()


async def test_an_unknown_ticket_is_not_found(console: Console) -> None:
    async with console.client() as client:
        assert (await client.get("/tickets/999")).status == 404
