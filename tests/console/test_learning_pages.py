"""The learning pages against the running bot: patients' questions the bot could not help
with, grouped; a dry run of teaching it one; the save, after which the bot answers it.

Questions come from patients on the fake Telegram; staff proposals from /learn in the
staff topic. The knowledge base is the test one, a file in tmp_path.
"""

from __future__ import annotations

import html
import re

from bot.kb_holder import Loaded
from tests.bot.channels.conftest import NURSE, STAFF_CHAT, Reader, StaffMember
from tests.console.conftest import ADMIN_NAME, STAFF_NAME, Browserless, Console
from tests.fakes.telegram_api import Sent
from tests.fakes.telegram_updates import User

BOB, CAROL, DAVE, EVE = User(502, "Bob"), User(503, "Carol"), User(504, "Dave"), User(505, "Eve")
BEER = "ビール飲めますか"
BEER_POLITE = "ビールは飲めますか？"
PARKING = "駐車場はありますか"
DONATION = "献血ってしてもいいですか"  # answered by blood_donation
ALCOHOL_ANSWER = "服用中の飲酒は控えてください。"
LIST = "/admin/learning"


async def asks(console: Console, user: User, text: str) -> Sent:
    """A patient asks; the bot's answer (or its word that staff will reply)."""
    patient = console.patient(user)
    await patient.says(text)
    return await patient.receives()


async def escalated_ticket(console: Console, user: User, text: str) -> Sent:
    """A patient's question the bot hands to staff; the ticket's topic in the staff room."""
    room = Reader(console.fake, STAFF_CHAT)
    room.seen = len(console.fake.sent_to(STAFF_CHAT))
    await asks(console, user, text)
    return await room.receives()


async def proposed_by_staff(console: Console, topic: Sent, faq_id: str) -> None:
    """A nurse in the patient's topic says /learn; the bot confirms it."""
    console.fake.members[NURSE.id] = "member"
    room = Reader(console.fake, STAFF_CHAT)
    room.seen = len(console.fake.sent_to(STAFF_CHAT))
    await StaffMember(console.fake, NURSE).says(f"/learn {faq_id}", topic=topic)
    assert (await room.receives_text()).startswith("📚")


def groups_on(page: str) -> list[tuple[str, str]]:
    """(key, representative) of each group listed, in order."""
    found = re.findall(r'data-group="([qp]\d+)">\s*<h2><a href="[^"]+">([^<]+)</a>', page)
    return [(key, html.unescape(text)) for key, text in found]


def form_value(page: str, form_id: str, name: str) -> str:
    """A field's value in one form of the page (input value or textarea text)."""
    form = re.search(rf'<form[^>]*id="{form_id}".*?</form>', page, re.S)
    assert form is not None, f"no form {form_id}"
    body = form.group(0)
    found = re.search(rf'<input[^>]* name="{name}" value="([^"]*)"', body) or re.search(
        rf'<textarea name="{name}"[^>]*>(.*?)</textarea>', body, re.S
    )
    if found is None:
        found = re.search(rf'<select name="{name}".*?<option value="([^"]+)" selected>', body, re.S)
    assert found is not None, f"no field {name} in {form_id}"
    return html.unescape(found.group(1))


def section(page: str, section_id: str) -> str:
    found = re.search(rf'<section class="card report" id="{section_id}">.*?</section>', page, re.S)
    assert found is not None
    return html.unescape(found.group(0))


async def first_group(admin: Browserless) -> str:
    page = await (await admin.get(LIST)).text()
    return groups_on(page)[0][0]


async def dry_run(admin: Browserless, **form: str) -> tuple[int, str]:
    response = await admin.post(f"{LIST}/dry-run", form, page=LIST)
    return response.status, await response.text()


async def save(admin: Browserless, dry_run_page: str) -> tuple[int, str]:
    """Press この変更を保存 with the fields the dry-run page carries."""
    form = re.search(r'<form[^>]*id="learn-save".*?</form>', dry_run_page, re.S)
    assert form is not None
    fields = {
        name: html.unescape(value)
        for name, value in re.findall(r'name="([^"]+)" value="([^"]*)"', form.group(0))
    }
    response = await admin.post_raw(f"{LIST}/save", fields)
    return response.status, await response.text()


def live(console: Console) -> Loaded:
    return console.app.conversation.kb.current


def kb_text(console: Console) -> str:
    """The knowledge-base file the running bot reads (a copy in tmp_path)."""
    assert console.config.faq.path is not None
    return console.config.faq.path.read_text(encoding="utf-8")


async def test_escalated_and_not_helpful_questions_are_listed_grouped(console: Console) -> None:
    await asks(console, BOB, BEER)
    await asks(console, CAROL, PARKING)
    await asks(console, DAVE, BEER_POLITE)
    answered = console.patient(EVE)
    await answered.says(DONATION)
    await answered.receives()
    await answered.presses("役に立たなかった")
    await answered.receives()
    async with console.client(ADMIN_NAME) as admin:
        page = await (await admin.get(LIST)).text()
    assert [text for _, text in groups_on(page)] == [BEER_POLITE, DONATION, PARKING]
    assert "スタッフへ 2" in page and "役に立たなかった 1" in page


async def test_the_dry_run_lists_a_past_escalated_question_as_now_answered(
    console: Console,
) -> None:
    await asks(console, BOB, BEER)
    async with console.client(ADMIN_NAME) as admin:
        key = await first_group(admin)
        group = await (await admin.get(f"{LIST}/{key}")).text()
        assert form_value(group, "learn-phrasing", "text") == BEER
        # the model is sure this is no FAQ question (escalate 0.99): no entry suggested
        status, page = await dry_run(admin, kind="phrasing", group=key, faq_id="alcohol", text=BEER)
    assert status == 200
    now_answered = section(page, "now-answered")
    assert BEER in now_answered and "alcohol" in now_answered and "スタッフへ" in now_answered
    assert "新たに回答 1" in page and "回答しなくなる 0" in page
    assert BEER not in kb_text(console)  # nothing written yet


async def test_saving_a_phrasing_teaches_the_running_bot_and_accepts_the_proposal(
    console: Console,
) -> None:
    topic = await escalated_ticket(console, BOB, BEER)
    await proposed_by_staff(console, topic, "alcohol")
    async with console.client(ADMIN_NAME) as admin:
        key = await first_group(admin)
        group = await (await admin.get(f"{LIST}/{key}")).text()
        assert form_value(group, "learn-phrasing", "faq_id") == "alcohol"
        status, page = await dry_run(
            admin,
            kind="phrasing",
            group=key,
            faq_id="alcohol",
            text=BEER,
            proposals=form_value(group, "learn-phrasing", "proposals"),
        )
        assert status == 200
        status, result = await save(admin, page)
        listing = await (await admin.get(LIST)).text()
    assert status == 200 and "ナレッジベースを再読み込みしました" in result
    assert f"phrasings: [飲酒はできますか, {BEER}]" in kb_text(console)
    alcohol = live(console).kb.entry("alcohol")
    assert alcohol is not None and alcohol.phrasings[-1] == BEER
    assert ALCOHOL_ANSWER in ((await asks(console, EVE, BEER)).text or "")
    assert groups_on(listing) == []
    async with console.app.store.transaction(write=False) as tx:
        [proposal] = await tx.staff.proposals()
        audit = [(a.user_name, a.action, a.target) for a in await tx.audit.recent()]
    assert proposal.status == "accepted"
    assert (ADMIN_NAME, "kb.phrasing", "alcohol") in audit
    assert (ADMIN_NAME, "learning.accept", f"proposal #{proposal.id}") in audit


async def test_a_new_entry_is_prefilled_with_the_staff_reply_and_saved(console: Console) -> None:
    await asks(console, BOB, PARKING)
    async with console.client() as staff:
        reply = {"text": "2台分あります。"}
        assert (await staff.post("/tickets/1/reply", reply, page="/tickets/1")).status == 200
    async with console.client(ADMIN_NAME) as admin:
        key = await first_group(admin)
        group = await (await admin.get(f"{LIST}/{key}")).text()
        form = {n: form_value(group, "learn-entry", n) for n in ("question", "answer", "group")}
        assert form["question"] == PARKING and form["answer"] == "2台分あります。"
        status, page = await dry_run(admin, kind="entry", id="parking", category="アクセス", **form)
        assert status == 200 and "parking" in section(page, "now-answered")
        status, result = await save(admin, page)
    assert status == 200 and "新しいエントリ parking を追加しました" in result
    assert "2台分あります。" in ((await asks(console, CAROL, PARKING)).text or "")


async def test_an_invalid_change_shows_the_errors_with_the_input_kept(console: Console) -> None:
    await asks(console, BOB, PARKING)
    async with console.client(ADMIN_NAME) as admin:
        key = await first_group(admin)
        form = {"kind": "entry", "group": key, "category": "アクセス", "question": PARKING}
        status, page = await dry_run(admin, **form, id="alcohol", answer="2台分あります。")
        assert status == 422
        assert "duplicate id" in page and "ドライラン" in page
        assert form_value(page, "learn-entry", "id") == "alcohol"
        assert form_value(page, "learn-entry", "answer") == "2台分あります。"
        status, page = await dry_run(
            admin, kind="phrasing", group=key, faq_id="alcohol", text="飲酒はできますか"
        )
    assert status == 422 and "既にこの言い換えがあります" in page
    assert "2台分あります。" not in kb_text(console)


async def test_rejecting_a_staff_proposal_marks_it_and_settles_its_question(
    console: Console,
) -> None:
    topic = await escalated_ticket(console, BOB, BEER)
    await proposed_by_staff(console, topic, "blood_donation")
    async with console.client(ADMIN_NAME) as admin:
        page = await (await admin.get(LIST)).text()
        assert 'action="/admin/learning/proposals/1/reject"' in page
        response = await admin.post(f"{LIST}/proposals/1/reject", {}, page=LIST)
        listing = await (await admin.get(LIST)).text()
        missing = await admin.post(f"{LIST}/proposals/99/reject", {}, page=LIST)
    assert response.status == 200 and str(response.url).endswith(LIST)
    assert groups_on(listing) == [] and missing.status == 404
    async with console.app.store.transaction(write=False) as tx:
        [proposal] = await tx.staff.proposals()
        audit = [(a.action, a.target) for a in await tx.audit.recent()]
    assert proposal.status == "rejected" and ("learning.reject", "proposal #1") in audit


async def test_staff_may_not_use_the_learning_pages(console: Console) -> None:
    await asks(console, BOB, BEER)
    async with console.client(STAFF_NAME) as staff:
        listing = await staff.get(LIST)
        group = await staff.get(f"{LIST}/q1")
        posted = await staff.post(
            f"{LIST}/save", {"kind": "phrasing", "faq_id": "alcohol", "text": BEER}
        )
    assert (listing.status, group.status, posted.status) == (403, 403, 403)
    assert BEER not in kb_text(console)
