"""The rich menu the README tells clinics to upload: valid for LINE, understood by the bot."""

from __future__ import annotations

import json
from pathlib import Path

from linebot.v3.messaging import RichMenuRequest

from tests.bot.channels.line.conftest import Line

RICH_MENU = Path(__file__).parents[4] / "line-rich-menu.json"


def test_the_rich_menu_is_a_valid_rich_menu_request() -> None:
    menu = RichMenuRequest.from_dict(json.loads(RICH_MENU.read_text(encoding="utf-8")))
    assert [area.action.data for area in menu.areas] == ["/menu", "/staff", "/help"]


async def test_the_staff_button_hands_the_patient_to_staff(line: Line) -> None:
    alice = line.patient()
    await alice.post(alice.event("postback", postback={"data": "/staff"}))
    assert (await alice.receives_text()).startswith("かしこまりました。")
    assert (await line.staff_notes())[0].startswith("📩 新しいチケット #1")


async def test_the_rich_menus_menu_button_shows_the_topics(line: Line) -> None:
    alice = line.patient()
    await alice.post(alice.event("postback", postback={"data": "/menu"}))
    menu = await alice.receives()
    assert (menu.text, menu.labels[:2]) == (
        "ご質問のテーマを選んでください。",
        ["治療の経過", "生活上の注意"],
    )
