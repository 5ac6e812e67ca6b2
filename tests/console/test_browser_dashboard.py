"""The admin's dashboard in a real browser: charts drawn under the CSP, a download, a forged form."""

from __future__ import annotations

import pytest
from playwright.async_api import ConsoleMessage, Page, expect

from tests.console.conftest import ADMIN_NAME, PASSWORD, Console, screenshot
from tests.fakes.telegram_updates import User

pytestmark = pytest.mark.asyncio(loop_scope="module")

QUESTIONS = (
    (User(7654331, "Hanako"), "お酒って飲んでもいいですか"),  # answered
    (User(7654332, "Jiro"), "飲酒とけんけつはできますか？"),  # asked back
    (User(7654333, "Saburo"), "スタッフと話したい"),  # to staff
    (User(7654334, "Shiro"), "胸が痛いです"),  # urgent
)
CHARTS = ("questions-per-day", "entries", "ticket-ages")


async def sign_in_as_admin(page: Page) -> None:
    await page.goto("/admin/dashboard")  # not signed in: the login form, then back here
    await page.get_by_label("ユーザー名").fill(ADMIN_NAME)
    await page.get_by_label("パスワード").fill(PASSWORD)
    await page.get_by_role("button", name="ログイン").click()
    await expect(page.get_by_role("heading", name="ダッシュボード", exact=True)).to_be_visible()


async def test_the_admin_sees_the_charts_and_downloads_a_csv(
    page: Page, browser_console: Console
) -> None:
    for user, text in QUESTIONS:
        patient = browser_console.patient(user)
        await patient.says(text)
        await patient.receives()
    refused: list[str] = []

    def watch(message: ConsoleMessage) -> None:
        if "Content Security Policy" in message.text:
            refused.append(message.text)

    page.on("console", watch)
    await sign_in_as_admin(page)

    for chart_id in CHARTS:
        chart = page.locator(f"svg#{chart_id}")
        await expect(chart).to_be_visible()
        box = await chart.bounding_box()
        assert box is not None and box["width"] > 200 and box["height"] > 50, chart_id
    bars = page.locator("svg#questions-per-day rect[fill='#D55E00']")  # urgent, not legend
    await expect(bars).to_have_count(2)  # the legend's swatch and today's urgent question
    await expect(page.locator("#stat-open dd")).to_have_text("2")
    await screenshot(page, "dashboard")
    assert refused == []  # the inline SVG needs no inline style or script

    form = page.locator("form[action='/admin/export/tickets.csv']")
    async with page.expect_download() as info:
        await form.get_by_role("button", name="チケットCSV").click()
    download = await info.value
    assert download.suggested_filename.startswith("tickets-") and await download.failure() is None
    await expect(form.get_by_role("button", name="チケットCSV")).to_be_enabled()  # again


async def test_a_form_with_a_forged_csrf_token_gets_the_403_page(
    page: Page, browser_console: Console
) -> None:
    await sign_in_as_admin(page)
    form = page.locator("form[action='/admin/export/questions.csv']")
    await form.locator("input[name=csrf_token]").evaluate("input => { input.value = 'forged' }")
    await form.get_by_role("button", name="質問CSV").click()
    await expect(page.get_by_role("alert")).to_have_text(
        "フォームの有効期限が切れました。ページを開き直してください。"
    )
    async with browser_console.app.store.transaction(write=False) as tx:
        audited = [e for e in await tx.audit.recent() if e.action.startswith("export.")]
    assert audited == []
