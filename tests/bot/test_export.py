"""CSV exports: what a clinic may share, with the patients' identifiers gone."""

from __future__ import annotations

import csv
import io
from datetime import datetime, timedelta

import pytest

from bot.core import Conversation
from bot.export import BOM, questions_csv, scrub, tickets_csv
from bot.store import Store
from tests.bot.conftest import JST, Chat, Clock

LINE_USER = "U4af4980629d7e8f0a1b2c3d4e5f60718"
PERSONAL = "電話は090-1234-5678、メールはtaro.yamada@example.jp、https://example.jp/me?id=42 です"
SINCE = datetime(2026, 11, 25, tzinfo=JST)
UNTIL = datetime(2026, 11, 26, tzinfo=JST)


def rows(text: str) -> list[dict[str, str]]:
    assert text.startswith(BOM)
    return list(csv.DictReader(io.StringIO(text.removeprefix(BOM))))


@pytest.fixture
async def history(conv: Conversation, clock: Clock) -> None:
    """A LINE patient asks with personal details and is answered by staff; another asks too."""
    patient = Chat(conv, LINE_USER, channel="line")
    await patient.push(PERSONAL)  # nothing in the KB: a ticket
    patient.pop()
    clock.now += timedelta(minutes=12)
    await conv.staff_reply(1, "山田様、折り返しお電話します。", "佐藤花子")
    other = Chat(conv, "bob")
    await other.push("お酒って飲んでもいいですか")
    other.pop()
    await other.press("役に立たなかった")


@pytest.mark.usefixtures("history")
async def test_questions_csv_has_no_ids_and_scrubbed_text(store: Store) -> None:
    exported = await questions_csv(store, SINCE, UNTIL, clinic_tz=JST)

    # (short digit strings could occur by chance in a pseudonym's hex, so whole ones)
    for identifier in (LINE_USER, f"chat-{LINE_USER}", "chat-bob", "1234-5678", "taro.yamada"):
        assert identifier not in exported
    assert "example.jp" not in exported
    [first, second] = rows(exported)
    assert first["質問"] == "電話は[番号]、メールは[メール]、[URL] です"
    assert (first["日時"], first["チャネル"], first["判定"]) == (
        "2026-11-25 10:00",
        "line",
        "スタッフへ",
    )
    assert (second["FAQ ID"], second["評価"], second["入力方法"]) == (
        "alcohol",
        "役に立たなかった",
        "入力",
    )
    assert first["相談者"] != second["相談者"]
    assert first["相談者"].startswith("P-")


@pytest.mark.usefixtures("history")
async def test_questions_csv_can_leave_the_text_out(store: Store) -> None:
    exported = await questions_csv(store, SINCE, UNTIL, clinic_tz=JST, include_text=False)

    assert "質問" not in exported.splitlines()[0]
    assert "電話" not in exported
    assert len(rows(exported)) == 2


@pytest.mark.usefixtures("history")
async def test_pseudonyms_group_within_an_export_and_differ_between_exports(
    conv: Conversation, store: Store
) -> None:
    again = Chat(conv, "bob")
    await again.push("献血はできますか？")

    one = [r["相談者"] for r in rows(await questions_csv(store, SINCE, UNTIL, clinic_tz=JST))]
    two = [r["相談者"] for r in rows(await questions_csv(store, SINCE, UNTIL, clinic_tz=JST))]

    assert one[1] == one[2]  # bob twice
    assert one[0] != one[1]
    assert set(one).isdisjoint(two)


@pytest.mark.usefixtures("history")
async def test_a_shared_key_makes_question_and_ticket_pseudonyms_match(store: Store) -> None:
    key = b"k" * 32
    questions = rows(await questions_csv(store, SINCE, UNTIL, clinic_tz=JST, key=key))
    tickets = rows(await tickets_csv(store, SINCE, UNTIL, clinic_tz=JST, key=key))

    assert tickets[0]["相談者"] == questions[0]["相談者"]


@pytest.mark.usefixtures("history")
async def test_tickets_csv_has_times_but_no_ids_thread_or_staff_names(store: Store) -> None:
    exported = await tickets_csv(store, SINCE, UNTIL, clinic_tz=JST)

    for secret in (LINE_USER, "佐藤", "山田", "1234-5678", "折り返し"):
        assert secret not in exported
    [ticket] = rows(exported)
    assert ticket == {
        "受付日時": "2026-11-25 10:00",
        "相談者": ticket["相談者"],
        "チャネル": "line",
        "状態": "返信済み",
        "緊急": "いいえ",
        "理由": "ナレッジベースに該当なし",
        "きっかけの判定": "スタッフへ",
        "FAQ ID": "",
        "患者メッセージ数": "1",
        "スタッフ返信数": "1",
        "初回返信まで(分)": "12.0",
        "初回返信日時": "2026-11-25 10:12",
        "終了日時": "",
    }


@pytest.mark.usefixtures("history")
async def test_exports_keep_to_the_window(store: Store) -> None:
    later = UNTIL + timedelta(days=1)

    assert rows(await questions_csv(store, UNTIL, later, clinic_tz=JST)) == []
    assert rows(await tickets_csv(store, UNTIL, later, clinic_tz=JST)) == []


async def test_text_excel_would_run_as_a_formula_stays_text(
    conv: Conversation, store: Store
) -> None:
    await Chat(conv, "mallory").push('=HYPERLINK("x","クリック")')

    [row] = rows(await questions_csv(store, SINCE, UNTIL, clinic_tz=JST))

    assert row["質問"] == '\'=HYPERLINK("x","クリック")'


@pytest.mark.parametrize(
    ("text", "scrubbed"),
    [
        ("090-1234-5678に電話ください", "[番号]に電話ください"),
        ("０９０ー１２３４ー５６７８です", "[番号]です"),
        ("+81 90 1234 5678", "+[番号]"),
        ("03(1234)5678", "[番号]"),
        ("診察券番号は123456", "診察券番号は[番号]"),
        ("〒150-0001", "〒[番号]"),
        ("ｔａｒｏ＠ｅｘａｍｐｌｅ．ｃｏｍまで", "[メール]まで"),
        ("see www.example.com/a?b=1 ok", "see [URL] ok"),
        ("20mgを1日2回、2026年に", "20mgを1日2回、2026年に"),
        ("1234", "1234"),
    ],
    ids=[
        "mobile",
        "full-width-with-choon",
        "international",
        "brackets",
        "patient-number",
        "postal-code",
        "full-width-email",
        "bare-www",
        "doses-and-years-kept",
        "four-digits-kept",
    ],
)
def test_scrub(text: str, scrubbed: str) -> None:
    assert scrub(text) == scrubbed
