"""The admin FAQ pages against the running bot: browse, search, edit, add, the lexicon.

The App runs on a copy of the test knowledge base in tmp_path; every save must leave the
YAML valid (or untouched, byte for byte), write an audit row and reload the bot at once.
"""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from bot.store_console import AuditEntry
from tests.console.conftest import ADMIN_NAME, Browserless, Console
from tests.fakes.telegram_updates import User

BOB = User(502, "Bob")
NEW_PHRASING = "ワインを少しだけ飲みたい"  # escalates with the test KB as it is
ADMIN_ONLY = "このページは管理者のみ使えます。"


class FormFields(HTMLParser):
    """The named fields of a page's forms, with the values a browser would send."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.fields: dict[str, str] = {}
        self._textarea: str | None = None
        self._select: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = {key: value or "" for key, value in attrs}
        name = found.get("name", "")
        if tag == "input" and name:
            self.fields[name] = found.get("value", "")
        elif tag == "textarea":
            self._textarea = name
            self.fields[name] = ""
        elif tag == "select":
            self._select = name
        elif (
            tag == "option"
            and self._select is not None
            and (self._select not in self.fields or "selected" in found)
        ):
            self.fields[self._select] = found.get("value", "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "textarea":
            self._textarea = None
        elif tag == "select":
            self._select = None

    def handle_data(self, data: str) -> None:
        if self._textarea is not None:
            self.fields[self._textarea] += data


async def opened_form(client: Browserless, path: str) -> dict[str, str]:
    """The form on `path` as the admin sees it when it opens."""
    response = await client.get(path)
    assert response.status == 200, await response.text()
    reader = FormFields()
    reader.feed(await response.text())
    return reader.fields


def field_messages(page: str, name: str) -> list[str]:
    """The messages shown next to field `name`."""
    found = re.search(rf'<ul class="field-error" id="{name}-error">(.*?)</ul>', page, re.S)
    if found is None:
        return []
    return [html.unescape(m) for m in re.findall(r"<li>(.*?)</li>", found.group(1), re.S)]


def listed_ids(page: str) -> list[str]:
    return re.findall(r'<tr data-entry="([^"]+)">', page)


async def audit_rows(console: Console) -> list[AuditEntry]:
    """The audit log's rows about the knowledge base (accounts are audited too)."""
    async with console.app.store.transaction(write=False) as tx:
        return [row for row in await tx.audit.recent() if row.action.startswith("faq.")]


def kb_file(console: Console) -> Path:
    path = console.config.faq.path
    assert path is not None and path.is_file()  # the harness' copy in tmp_path
    return path


# ------------------------------------------------------------------ browsing


async def test_list_shows_every_entry_with_its_phrasing_count(console: Console) -> None:
    async with console.client(ADMIN_NAME) as admin:
        page = await (await admin.get("/admin/faq")).text()
    assert listed_ids(page) == ["alcohol", "blood_donation", "greeting"]
    assert '<a href="/admin/faq/entries/alcohol">お酒を飲んでもいいですか？</a>' in page
    assert re.findall(r'<td class="count">(\d+)</td>', page) == ["1", "1", "0"]
    assert 'href="/admin/faq/new">新しい項目</a>' in page
    assert "準備中" not in page  # the navigation's FAQ link is this page, not a placeholder


@pytest.mark.parametrize(
    ("query", "expected"),
    [("献血", ["blood_donation"]), ("ｵｻｹ", []), ("お酒", ["alcohol"]), ("GREETING", ["greeting"])],
    ids=["question", "no-match", "keyword", "id-any-case"],
)
async def test_search_narrows_the_list(console: Console, query: str, expected: list[str]) -> None:
    async with console.client(ADMIN_NAME) as admin:
        page = await (await admin.get("/admin/faq", params={"q": query})).text()
    assert listed_ids(page) == expected
    assert f'name="q" value="{query}"' in page


async def test_edit_form_holds_every_field_of_the_entry(console: Console) -> None:
    async with console.client(ADMIN_NAME) as admin:
        fields = await opened_form(admin, "/admin/faq/entries/alcohol")
    assert {k: v for k, v in fields.items() if k not in ("csrf_token", "base")} == {
        "id": "alcohol",
        "category": "生活",
        "question": "お酒を飲んでもいいですか？",
        "phrasings": "飲酒はできますか",
        "keywords": "お酒\n飲酒",
        "related": "blood_donation",
        "answer": "服用中の飲酒は控えてください。",
        "kind": "faq",
        "advertising": "",
        "reviewed_by": "",
        "reviewed_on": "",
    }
    assert len(fields["base"]) == 32


async def test_an_unknown_entry_is_not_found(console: Console) -> None:
    async with console.client(ADMIN_NAME) as admin:
        response = await admin.get("/admin/faq/entries/nothing_here")
    assert response.status == 404
    assert "項目 nothing_here はありません" in await response.text()


# ------------------------------------------------------------------ saving


async def test_a_saved_phrasing_is_answered_by_the_running_bot_at_once(console: Console) -> None:
    bob = console.patient(BOB)
    await bob.says(NEW_PHRASING)
    assert "担当スタッフが" in await bob.receives_text()  # before: escalated to staff

    async with console.client(ADMIN_NAME) as admin:
        form = await opened_form(admin, "/admin/faq/entries/alcohol")
        form["phrasings"] += f"\n{NEW_PHRASING}"
        response = await admin.post_raw("/admin/faq/entries/alcohol", form)
        page = await response.text()

    assert response.status == 200, page
    assert "保存しました。ボットは新しい内容で動いています。" in page
    assert re.search(r"<code>kb\.yaml\.\d{8}T\d{6}Z</code>", page)
    alice = console.patient()
    await alice.says(NEW_PHRASING)
    assert "服用中の飲酒は控えてください。" in await alice.receives_text()  # after: answered
    assert f"phrasings: [飲酒はできますか, {NEW_PHRASING}]" in kb_file(console).read_text("utf-8")


async def test_a_save_writes_who_changed_what_to_the_audit_log(console: Console) -> None:
    async with console.client(ADMIN_NAME) as admin:
        form = await opened_form(admin, "/admin/faq/entries/blood_donation")
        form["answer"] = "服用中と服用後1ヶ月は献血できません。ご注意ください。"
        assert (await admin.post_raw("/admin/faq/entries/blood_donation", form)).status == 200
    [row] = await audit_rows(console)
    assert (row.user_name, row.action, row.target) == (ADMIN_NAME, "faq.edit", "blood_donation")
    assert "+    answer: 服用中と服用後1ヶ月は献血できません。ご注意ください。" in row.detail
    assert row.detail.startswith("kb.yaml (backup kb.yaml.")


async def test_a_new_entry_is_added_and_listed(console: Console) -> None:
    async with console.client(ADMIN_NAME) as admin:
        form = await opened_form(admin, "/admin/faq/new")
        assert form["id"] == "" and form["kind"] == "faq"
        form |= {
            "id": "tattoo",
            "category": "生活",
            "question": "タトゥーを入れてもいいですか？",
            "phrasings": "刺青は大丈夫？\n\n",  # a blank line is no phrasing
            "keywords": "タトゥー\n刺青",
            "answer": "服用中は控えてください。",
            "related": "alcohol、 blood_donation",
        }
        response = await admin.post_raw("/admin/faq/new", form)
        page = await response.text()
        listing = await (await admin.get("/admin/faq")).text()
    assert response.status == 200, page
    assert 'action="/admin/faq/entries/tattoo"' in page  # further saves edit the new entry
    assert listed_ids(listing) == ["alcohol", "blood_donation", "greeting", "tattoo"]
    assert console.app.conversation.kb.current.kb.entry("tattoo") is not None  # reloaded
    [row] = await audit_rows(console)
    assert (row.action, row.target) == ("faq.add", "tattoo")
    assert "    related: [alcohol, blood_donation]\n" in kb_file(console).read_text("utf-8")


# ------------------------------------------------------------------ refused saves


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"related": "blood_donation, nonexistent"}, "related", "unknown entry id 'nonexistent'"),
        ({"answer": "   "}, "answer", "must not be empty"),
        ({"id": "Alcohol"}, "id", "should match pattern"),
        ({"phrasings": "献血はできますか？"}, "phrasings", "collides with"),
        ({"reviewed_on": "2026-13-45"}, "reviewed_on", "date"),
    ],
    ids=["unknown-related", "empty-answer", "bad-id", "colliding-phrasing", "bad-date"],
)
async def test_an_invalid_edit_is_refused_next_to_its_field(
    console: Console, change: dict[str, str], field: str, message: str
) -> None:
    before = kb_file(console).read_bytes()
    async with console.client(ADMIN_NAME) as admin:
        form = await opened_form(admin, "/admin/faq/entries/alcohol")
        form |= change
        response = await admin.post_raw("/admin/faq/entries/alcohol", form)
        page = await response.text()
    assert response.status == 422
    assert any(message in m for m in field_messages(page, field)), field_messages(page, field)
    reader = FormFields()
    reader.feed(page)
    assert {k: reader.fields[k] for k in change} == {k: v.strip() for k, v in change.items()}
    assert kb_file(console).read_bytes() == before  # byte for byte
    assert not (kb_file(console).parent / ".backups").exists()
    assert await audit_rows(console) == []


async def test_an_entry_changed_on_disk_since_opened_is_not_overwritten(console: Console) -> None:
    file = kb_file(console)
    async with console.client(ADMIN_NAME) as admin:
        form = await opened_form(admin, "/admin/faq/entries/alcohol")
        by_hand = file.read_text("utf-8").replace("控えてください。", "控えましょう。")
        file.write_text(by_hand, encoding="utf-8")  # someone edits the YAML meanwhile
        form["category"] = "飲酒"
        response = await admin.post_raw("/admin/faq/entries/alcohol", form)
        page = await response.text()
    assert response.status == 422
    assert "この項目は開いた後にファイルで変更されました。" in field_messages(page, "id")[0]
    assert file.read_text("utf-8") == by_hand


# ------------------------------------------------------------------ the lexicon


async def test_the_lexicon_is_saved_and_the_bot_uses_it(console: Console) -> None:
    async with console.client(ADMIN_NAME) as admin:
        form = await opened_form(admin, "/admin/faq/lexicon")
        assert form["groups"] == ""  # the test KB has no lexicon yet
        form["groups"] = "飲酒, 晩酌\n\n献血、ドネーション"
        response = await admin.post_raw("/admin/faq/lexicon", form)
        page = await response.text()
        shown = await opened_form(admin, "/admin/faq/lexicon")
    assert response.status == 200, page
    assert "保存しました。" in page
    assert shown["groups"] == "飲酒, 晩酌\n献血, ドネーション"
    kb = console.app.conversation.kb.current.kb
    assert kb.synonyms == (("飲酒", "晩酌"), ("献血", "ドネーション"))
    [row] = await audit_rows(console)
    assert (row.action, row.target) == ("faq.synonyms", "lexicon")


async def test_an_invalid_lexicon_group_is_refused_with_its_line(console: Console) -> None:
    before = kb_file(console).read_bytes()
    async with console.client(ADMIN_NAME) as admin:
        form = await opened_form(admin, "/admin/faq/lexicon")
        form["groups"] = "飲酒, 晩酌\n\nビール"
        response = await admin.post_raw("/admin/faq/lexicon", form)
        page = await response.text()
    assert response.status == 422
    assert field_messages(page, "groups") == ["3行目: each group is a list of 2+ words"]
    assert "飲酒, 晩酌\n\nビール</textarea>" in page  # the admin's input is kept
    assert kb_file(console).read_bytes() == before


# ------------------------------------------------------------------ access


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/admin/faq"),
        ("GET", "/admin/faq/new"),
        ("GET", "/admin/faq/entries/alcohol"),
        ("GET", "/admin/faq/lexicon"),
        ("POST", "/admin/faq/new"),
        ("POST", "/admin/faq/entries/alcohol"),
        ("POST", "/admin/faq/lexicon"),
    ],
)
async def test_staff_are_denied_every_faq_page(console: Console, method: str, path: str) -> None:
    before = kb_file(console).read_bytes()
    async with console.client() as staff:
        if method == "GET":
            response = await staff.get(path)
        else:
            form = {"id": "alcohol", "answer": "", "groups": "a, b"}
            response = await staff.post(path, form)
        page = await response.text()
    assert response.status == 403
    assert ADMIN_ONLY in page
    assert kb_file(console).read_bytes() == before


async def test_a_kb_file_broken_by_hand_is_named_and_left_alone(console: Console) -> None:
    path = kb_file(console)
    path.write_text(path.read_text(encoding="utf-8") + "\nentries: [ broken\n", encoding="utf-8")
    broken = path.read_bytes()
    async with console.client(ADMIN_NAME) as client:
        response = await client.get("/admin/faq")
        page = html.unescape(await response.text())
    assert response.status == 409
    assert f"{path}:" in page and "YAML syntax error" in page
    assert path.read_bytes() == broken
