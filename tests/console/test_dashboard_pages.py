"""The dashboard and the CSV exports over HTTP, on numbers made by patients on the fake Telegram."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta

import aiohttp
import pytest

from bot.console.dashboard_pages import duration_text, minutes_text
from bot.export import BOM, QUESTION_COLUMNS, TEXT_COLUMN, TICKET_COLUMNS, scrub
from bot.store import Session
from bot.store_console import AuditEntry
from tests.console.conftest import ADMIN_NAME, STAFF_NAME, Browserless, Console
from tests.fakes.telegram_updates import User

# Ids and names long enough that no score, date or pseudonym in a CSV holds them by chance.
HANAKO, JIRO = User(7654321, "Hanako"), User(7654322, "Jiro")
SABURO, SHIRO = User(7654323, "Saburo"), User(7654324, "Shiro")
PATIENTS = (HANAKO, JIRO, SABURO, SHIRO)
ALCOHOL = "お酒って飲んでもいいですか"  # answered from the test KB
VAGUE = "飲酒とけんけつはできますか？"  # two entries fit: the bot asks back
ESCALATE = "スタッフと話したい"  # the handover rule: a ticket
URGENT = "胸が痛いです"  # the red flag: an urgent ticket
DASHBOARD = "/admin/dashboard"
TODAY = "2026-11-25"  # the console's RunningClock starts on this day in Tokyo


async def one_of_each(console: Console) -> None:
    """Four patients: one answered, one asked back, one to staff, one urgent."""
    for user, text in zip(PATIENTS, (ALCOHOL, VAGUE, ESCALATE, URGENT), strict=True):
        patient = console.patient(user)
        await patient.says(text)
        await patient.receives()


def stat(page: str, name: str) -> str:
    found = re.search(rf'id="stat-{name}"><dt>[^<]*</dt><dd>([^<]*)<', page)
    assert found is not None, f"no figure {name}"
    return found.group(1)


async def exports_audited(tx: Session) -> list[AuditEntry]:
    """The audit log's export rows, newest first (adding the test accounts is audited too)."""
    return [e for e in await tx.audit.recent() if e.action.startswith("export.")]


def csv_rows(body: str) -> list[list[str]]:
    assert body.startswith(BOM)
    return list(csv.reader(io.StringIO(body.removeprefix(BOM))))


async def export(
    client: Browserless, kind: str, *, since: str = TODAY, until: str = TODAY, **form: str
) -> aiohttp.ClientResponse:
    fields = {"since": since, "until": until, **form}
    return await client.post(f"/admin/export/{kind}.csv", fields, page=DASHBOARD)


async def test_the_dashboard_counts_what_patients_asked(console: Console) -> None:
    await one_of_each(console)
    async with console.client(ADMIN_NAME) as client:
        response = await client.get(DASHBOARD)
        page = await response.text()
    assert response.status == 200
    assert "30日間、合計4件（回答 1件、聞き返し 1件、スタッフへ 1件、緊急 1件）" in page
    assert (stat(page, "questions"), stat(page, "answer-rate")) == ("4", "25%")
    assert (stat(page, "open"), stat(page, "urgent"), stat(page, "answered")) == ("2", "1", "0")
    assert '<tr data-entry="alcohol">' in page and "お酒を飲んでもいいですか？" in page
    assert page.count('<svg xmlns="http://www.w3.org/2000/svg"') == 3


async def test_the_first_response_time_appears_once_staff_answered(console: Console) -> None:
    patient = console.patient(SABURO)
    await patient.says(ESCALATE)
    await patient.receives()
    async with console.client(ADMIN_NAME) as client:
        before = await (await client.get(DASHBOARD)).text()
        await client.post("/tickets/1/reply", {"text": "確認します"}, page="/tickets/1")
        after = await (await client.get(DASHBOARD)).text()
    assert stat(before, "first-response") == "—"
    assert stat(after, "first-response").endswith("秒")  # the reply came within the minute
    assert "診療時間内 0分・1件" in after  # Wednesday 10:00 is within business hours


@pytest.mark.parametrize(("query", "days"), [("?days=7", 7), ("?days=90", 90), ("?days=5", 30)])
async def test_the_period_is_one_of_the_offered_ones(
    console: Console, query: str, days: int
) -> None:
    async with console.client(ADMIN_NAME) as client:
        page = await (await client.get(DASHBOARD + query)).text()
    assert f"の{days}日間、合計0件" in page
    assert f'<a href="/admin/dashboard?days={days}" aria-current="true">' in page


async def test_staff_may_neither_see_the_dashboard_nor_export(console: Console) -> None:
    async with console.client(STAFF_NAME) as client:
        page = await client.get(DASHBOARD)
        download = await export(client, "questions", page="/")
    assert (page.status, download.status) == (403, 403)
    assert "管理者のみ" in await download.text()


async def export_as_admin(console: Console, kind: str, **form: str) -> aiohttp.ClientResponse:
    await one_of_each(console)
    async with console.client(ADMIN_NAME) as client:
        return await export(client, kind, **form)


async def test_the_questions_csv_is_a_download_without_patient_ids(console: Console) -> None:
    response = await export_as_admin(console, "questions", text="include")
    body = await response.text()
    assert response.status == 200
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert response.headers["Content-Disposition"] == (
        'attachment; filename="questions-20261125-20261125.csv"'
    )
    header, *rows = csv_rows(body)
    assert header == [*QUESTION_COLUMNS, TEXT_COLUMN]
    assert sorted(row[-1] for row in rows) == sorted(
        scrub(t) for t in (ALCOHOL, VAGUE, ESCALATE, URGENT)
    )  # NFKC
    for user in PATIENTS:
        assert str(user.id) not in body and user.first_name not in body


async def test_question_text_is_left_out_unless_asked_for(console: Console) -> None:
    response = await export_as_admin(console, "questions")
    header, *rows = csv_rows(await response.text())
    assert header == list(QUESTION_COLUMNS)
    assert len(rows) == 4 and ALCOHOL not in await response.text()


async def test_the_tickets_csv_has_the_tickets_and_no_patient_ids(console: Console) -> None:
    response = await export_as_admin(console, "tickets")
    body = await response.text()
    header, *rows = csv_rows(body)
    assert header == list(TICKET_COLUMNS)
    assert sorted(row[TICKET_COLUMNS.index("緊急")] for row in rows) == ["いいえ", "はい"]
    for user in PATIENTS:
        assert str(user.id) not in body and user.first_name not in body


async def test_every_export_is_written_to_the_audit_log(console: Console) -> None:
    async with console.client(ADMIN_NAME) as client:
        await export(client, "questions", since="2026-11-01", text="include")
        await export(client, "tickets", since="2026-11-20")
    async with console.app.store.transaction(write=False) as tx:
        entries = await exports_audited(tx)
    assert [(e.user_name, e.action, e.target, e.detail) for e in entries] == [
        (ADMIN_NAME, "export.tickets", f"2026-11-20..{TODAY}", ""),
        (ADMIN_NAME, "export.questions", f"2026-11-01..{TODAY}", "質問文あり"),
    ]


async def test_the_range_selects_the_days_exported(console: Console) -> None:
    response = await export_as_admin(console, "questions", since="2026-11-01", until="2026-11-24")
    assert csv_rows(await response.text()) == [list(QUESTION_COLUMNS)]


@pytest.mark.parametrize(
    ("since", "until"),
    [("2026-11-25", "2026-11-01"), ("yesterday", TODAY), ("2020-01-01", TODAY)],
    ids=["backwards", "not-a-date", "too-long"],
)
async def test_a_range_that_makes_no_sense_is_refused_unaudited(
    console: Console, since: str, until: str
) -> None:
    async with console.client(ADMIN_NAME) as client:
        response = await export(client, "questions", since=since, until=until)
    assert response.status == 400 and "期間が正しくありません" in await response.text()
    async with console.app.store.transaction(write=False) as tx:
        assert await exports_audited(tx) == []


async def test_an_export_with_a_forged_csrf_token_is_refused(console: Console) -> None:
    async with console.client(ADMIN_NAME) as client:
        form = {"csrf_token": "forged", "since": TODAY, "until": TODAY}
        response = await client.post_raw("/admin/export/questions.csv", form)
    assert response.status == 403
    assert response.headers["Content-Type"].startswith("text/html")
    async with console.app.store.transaction(write=False) as tx:
        assert await exports_audited(tx) == []


async def test_the_dashboard_form_defaults_to_the_last_thirty_days(console: Console) -> None:
    async with console.client(ADMIN_NAME) as client:
        page = await (await client.get(DASHBOARD)).text()
    assert page.count('name="since" value="2026-10-27"') == 2
    assert page.count(f'name="until" value="{TODAY}"') == 2
    assert '<option value="omit" selected>' in page


@pytest.mark.parametrize(
    ("minutes", "text"),
    [
        (None, "—"),
        (0.4, "0分"),
        (59.6, "1時間0分"),
        (125, "2時間5分"),
        (3 * 1440 + 250, "3日4時間"),
    ],
)
def test_minutes_read_the_way_staff_say_them(minutes: float | None, text: str) -> None:
    assert minutes_text(minutes) == text


def test_a_wait_under_a_minute_is_in_seconds() -> None:
    assert (duration_text(timedelta(seconds=42)), duration_text(None)) == ("42秒", "—")
