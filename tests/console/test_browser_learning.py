"""An admin in a real browser teaches the bot a question it escalated: 学習, a group, the
dry run, the save; the running bot answers that question afterwards."""

from __future__ import annotations

import pytest
from playwright.async_api import Page, expect

from tests.console.conftest import ADMIN_NAME, PASSWORD, Console, screenshot
from tests.fakes.telegram_updates import User

pytestmark = pytest.mark.asyncio(loop_scope="module")

BOB, CAROL, DAVE, EVE = User(502, "Bob"), User(503, "Carol"), User(504, "Dave"), User(505, "Eve")
BEER, BEER_POLITE = "ビール飲めますか", "ビールは飲めますか？"


async def asks(console: Console, user: User, text: str) -> str:
    patient = console.patient(user)
    await patient.says(text)
    return (await patient.receives()).text or ""


async def test_an_admin_learns_a_group_after_a_dry_run(
    page: Page, browser_console: Console
) -> None:
    console = browser_console
    for user, text in [(BOB, BEER), (CAROL, "駐車場はありますか"), (DAVE, BEER_POLITE)]:
        await asks(console, user, text)
    await page.goto("/")
    await page.get_by_label("ユーザー名").fill(ADMIN_NAME)
    await page.get_by_label("パスワード").fill(PASSWORD)
    await page.get_by_role("button", name="ログイン").click()
    await page.get_by_role("link", name="学習").click()

    groups = page.locator("li.group")
    await expect(groups).to_have_count(2)
    await expect(groups.first).to_contain_text("スタッフへ 2")
    await screenshot(page, "learning")

    await groups.first.get_by_role("link", name=BEER_POLITE).click()
    phrasing = page.locator("#learn-phrasing")
    await expect(page.locator("#learn-entry").get_by_label("質問")).to_have_value(BEER_POLITE)
    await screenshot(page, "learning_group")
    await phrasing.get_by_label("質問文").fill(BEER)
    await phrasing.get_by_label("エントリ").select_option("alcohol")
    await phrasing.get_by_role("button", name="ドライラン").click()

    now_answered = page.locator("#now-answered")
    await expect(now_answered).to_contain_text(BEER)
    await expect(now_answered).to_contain_text("alcohol")
    await screenshot(page, "learning_dry_run")
    await page.get_by_role("button", name="この変更を保存").click()

    await expect(page.locator("#learn-result")).to_contain_text(
        "ナレッジベースを再読み込みしました"
    )
    assert "服用中の飲酒は控えてください。" in await asks(console, EVE, BEER)
