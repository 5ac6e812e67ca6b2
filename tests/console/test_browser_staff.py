"""Staff in a real browser: sign in, see a new ticket arrive without reloading, answer it."""

from __future__ import annotations

import struct
import zlib

import pytest
from playwright.async_api import Page, expect

from tests.console.conftest import PASSWORD, STAFF_NAME, Console, screenshot

pytestmark = pytest.mark.asyncio(loop_scope="module")


def png(width: int, height: int, rgb: tuple[int, int, int]) -> bytes:
    """A small one-colour PNG, as a patient's photo of their skin would be a real image."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    row = b"\x00" + bytes(rgb) * width
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    pixels = zlib.compress(row * height)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


async def sign_in(page: Page, name: str = STAFF_NAME) -> None:
    await page.goto("/")  # not signed in: the login form
    await page.get_by_label("ユーザー名").fill(name)
    await page.get_by_label("パスワード").fill(PASSWORD)
    await page.get_by_role("button", name="ログイン").click()
    await expect(page.get_by_role("heading", name="チケット キュー")).to_be_visible()


async def test_staff_sign_in_to_an_empty_queue(page: Page, browser_console: Console) -> None:
    await sign_in(page)
    await expect(page.get_by_text("対応待ちのチケットはありません。")).to_be_visible()
    await expect(page.get_by_role("link", name="FAQ")).to_have_count(0)  # admin only


async def test_a_new_ticket_appears_live_and_the_reply_reaches_the_patient(
    page: Page, browser_console: Console
) -> None:
    console = browser_console
    await sign_in(page)
    await page.evaluate("window.stillTheSamePage = true")
    console.fake.files["files/rash-1"] = png(160, 120, (214, 120, 110))
    patient = console.patient()
    await patient.sends("photo", "rash-1", caption="顔の赤みがひどいのでスタッフと話したい")
    await patient.receives()

    row = page.locator("tr[data-ticket]")
    await expect(row).to_have_count(1)  # polled in: the page was not reloaded
    assert await page.evaluate("window.stillTheSamePage") is True
    await expect(row).to_contain_text("顔の赤みがひどいのでスタッフと話したい")
    await expect(row).to_contain_text("Telegram")
    await screenshot(page, "queue")

    await row.get_by_role("link").first.click()
    await expect(page.get_by_role("heading", name="チケット #1")).to_be_visible()
    photo = page.get_by_alt_text("患者が送った写真")
    await expect(photo).to_be_visible()
    assert await photo.evaluate("img => img.naturalWidth") == 160  # fetched from Telegram
    await page.get_by_label("返信（患者に送られます）").fill(
        "写真を確認しました。本日中にお電話します。"
    )
    await page.get_by_role("button", name="返信を送る").click()
    await expect(page.locator("li.msg.staff")).to_contain_text("本日中にお電話します。")
    await screenshot(page, "ticket")

    received = await patient.receives_text()
    assert "写真を確認しました。本日中にお電話します。" in received
