"""Admins edit the knowledge base in a real browser; `faqbot ask` sees the change at once."""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Page, expect

from tests.console.conftest import ADMIN_NAME, PASSWORD, STAFF_NAME, Console, screenshot

pytestmark = pytest.mark.asyncio(loop_scope="module")

FAQBOT = Path(sys.executable).parent / "faqbot"
PHRASING = "ビールは大丈夫？"  # the test KB escalates it: no entry comes close


async def ask(kb: Path, text: str) -> dict[str, Any]:
    """What `faqbot ask --json` decides, run as an admin would in a terminal."""
    process = await asyncio.create_subprocess_exec(
        str(FAQBOT),
        "ask",
        "--kb",
        str(kb),
        "--json",
        text,
        cwd=kb.parent,  # no ./config.yaml there: only --kb counts
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await process.communicate()
    assert process.returncode == 0, err.decode()
    decision: dict[str, Any] = json.loads(out)
    return decision


async def sign_in(page: Page, name: str, path: str = "/admin/faq") -> None:
    """Open `path` signed out, sign in on the login form it leads to, land on `path`."""
    await page.goto(path)
    await page.get_by_label("ユーザー名").fill(name)
    await page.get_by_label("パスワード").fill(PASSWORD)
    await page.get_by_role("button", name="ログイン").click()
    await page.wait_for_url(f"**{path}")


def kb_of(console: Console) -> Path:
    path = console.config.faq.path
    assert path is not None  # the harness' copy in tmp_path
    return path


async def test_an_added_phrasing_changes_what_faqbot_ask_decides(
    page: Page, browser_console: Console
) -> None:
    kb = kb_of(browser_console)
    before = await ask(kb, PHRASING)
    assert (before["action"], before["faq_id"]) == ("escalate", None)

    await sign_in(page, ADMIN_NAME)
    await expect(page.get_by_role("heading", name="FAQ 項目")).to_be_visible()
    await page.get_by_role("link", name="お酒を飲んでもいいですか？").click()
    await expect(page.get_by_role("heading", name="FAQ 項目の編集: alcohol")).to_be_visible()
    phrasings = page.get_by_label("言い換え（1行に1つ）")
    await expect(phrasings).to_have_value("飲酒はできますか")
    await phrasings.fill(f"飲酒はできますか\n{PHRASING}")
    await page.get_by_role("button", name="保存する").click()

    await expect(page.get_by_role("status")).to_contain_text("保存しました。")
    await expect(page.get_by_role("status")).to_contain_text("kb.yaml.")  # the backup's name
    await expect(page.get_by_label("言い換え（1行に1つ）")).to_have_value(
        f"飲酒はできますか\n{PHRASING}"
    )
    await screenshot(page, "faq_edit")
    after = await ask(kb, PHRASING)
    assert (after["action"], after["faq_id"]) == ("answer", "alcohol")


async def test_an_unknown_related_id_is_shown_next_to_its_field(
    page: Page, browser_console: Console
) -> None:
    kb = kb_of(browser_console)
    before = kb.read_bytes()
    await sign_in(page, ADMIN_NAME, "/admin/faq/entries/alcohol")
    related = page.get_by_label("関連項目の ID（カンマ区切り）")
    await related.fill("blood_donation, no_such_entry")
    await page.get_by_role("button", name="保存する").click()

    message = page.locator('[data-field="related"] .field-error')
    await expect(message).to_contain_text("unknown entry id 'no_such_entry'")
    await expect(related).to_have_attribute("aria-invalid", "true")
    await expect(related).to_have_value("blood_donation, no_such_entry")  # the input is kept
    await screenshot(page, "faq_edit_error")
    assert kb.read_bytes() == before


async def test_staff_are_denied_the_faq_pages(page: Page, browser_console: Console) -> None:
    await sign_in(page, STAFF_NAME)
    await expect(page.get_by_text("このページは管理者のみ使えます。")).to_be_visible()
    response = await page.goto("/admin/faq/entries/alcohol")
    assert response is not None and response.status == 403
    await expect(page.get_by_role("link", name="FAQ")).to_have_count(0)
