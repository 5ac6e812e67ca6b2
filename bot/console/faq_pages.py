"""Admin pages: browse, search, add and edit FAQ entries and the synonym lexicon.

Every save goes through `faq.editor.KbEditor` (the validator of `faqbot faq validate`,
round-trip YAML, a timestamped backup), is written to the audit log and reloads the
running bot's knowledge base at once.
"""

from __future__ import annotations

import asyncio
import logging
from functools import partial
from typing import Any
from urllib.parse import quote

from aiohttp import web

from bot.console.faq_forms import (
    ADVERTISING,
    KINDS,
    draft_from_form,
    entry_form,
    fingerprint,
    lexicon_errors_by_line,
    lexicon_lines,
    lexicon_text,
)
from bot.console.kb_audit import audit_changes
from bot.console.routes import CONTEXT, Console, ConsoleContext, render, session_of
from faq.editor import KbEditor, SaveResult
from faq.kb_documents import EntryDraft
from faq.loader import Problem

logger = logging.getLogger(__name__)

LIST = "/admin/faq"
NEW = "/admin/faq/new"
LEXICON = "/admin/faq/lexicon"
ENTRY = "/admin/faq/entries/{entry_id}"  # not /admin/faq/{id}: "new" is a valid entry id
CHANGED_SINCE_OPENED = (
    "この項目は開いた後にファイルで変更されました。上書きしないよう保存を中止しました。"
    "ページを開き直してから編集してください。"
)
BLANK = EntryDraft(id="", category="", question="", answer="")


def setup(console: Console) -> None:
    console.get(LIST, faq_list, access="admin")
    console.get(NEW, new_entry, access="admin")
    console.post(NEW, create_entry, access="admin")
    console.get(LEXICON, lexicon_page, access="admin")
    console.post(LEXICON, save_lexicon, access="admin")
    console.get(ENTRY, edit_entry, access="admin")
    console.post(ENTRY, save_entry, access="admin")


def editor_of(context: ConsoleContext) -> KbEditor:
    """The editor of the knowledge base the bot runs on (None in the config: the bundled one)."""
    return KbEditor(context.config.faq.path, clock=context.clock)


def entry_url(entry_id: str) -> str:
    return ENTRY.replace("{entry_id}", quote(entry_id, safe=""))


async def faq_list(request: web.Request) -> web.Response:
    editor = editor_of(request.app[CONTEXT])
    query = request.query.get("q", "").strip()
    if query:
        listed = await asyncio.to_thread(editor.search, query)
    else:
        listed = await asyncio.to_thread(editor.entries)
    return render(request, "faq_list.html", {"entries": listed, "query": query})


async def new_entry(request: web.Request) -> web.Response:
    return _entry_page(request, form=entry_form(BLANK), original_id=None, base="")


async def edit_entry(request: web.Request) -> web.Response:
    entry_id = request.match_info["entry_id"]
    listed = await asyncio.to_thread(editor_of(request.app[CONTEXT]).entry, entry_id)
    if listed is None:
        message = f"項目 {entry_id} はありません（削除されたか、IDが変更された可能性があります）。"
        return render(request, "error.html", {"message": message}, status=404)
    draft = listed.draft
    return _entry_page(
        request, form=entry_form(draft), original_id=draft.id, base=fingerprint(draft)
    )


async def create_entry(request: web.Request) -> web.Response:
    form = await _form(request)
    draft = draft_from_form(form)
    editor = editor_of(request.app[CONTEXT])
    save = partial(editor.save_entry, draft, author=session_of(request).user.name)
    result = await asyncio.to_thread(save)
    return await _after_entry_save(request, result, form, original_id=None)


async def save_entry(request: web.Request) -> web.Response:
    """Save an edit, unless the entry changed on disk since the admin opened it."""
    form = await _form(request)
    draft = draft_from_form(form)
    original_id = request.match_info["entry_id"]
    editor = editor_of(request.app[CONTEXT])
    opened = await asyncio.to_thread(editor.entry, original_id)
    if opened is not None and fingerprint(opened.draft) != form.get("base", ""):
        result = SaveResult(draft.id, field_errors={"id": [CHANGED_SINCE_OPENED]})
    else:
        # `base`: the editor checks again under its lock, so a change in between is caught too.
        base = opened.draft if opened is not None else None
        save = partial(
            editor.save_entry,
            draft,
            original_id=original_id,
            author=session_of(request).user.name,
            base=base,
        )
        result = await asyncio.to_thread(save)
    return await _after_entry_save(request, result, form, original_id=original_id)


async def lexicon_page(request: web.Request) -> web.Response:
    groups = await asyncio.to_thread(editor_of(request.app[CONTEXT]).synonym_groups)
    return render(request, "lexicon.html", _lexicon_values(lexicon_text(groups)))


async def save_lexicon(request: web.Request) -> web.Response:
    form = await _form(request)
    text = form.get("groups", "")
    typed = lexicon_lines(text)
    editor = editor_of(request.app[CONTEXT])
    groups = [line.words for line in typed]
    save = partial(editor.save_synonyms, groups, author=session_of(request).user.name)
    result = await asyncio.to_thread(save)
    values = _lexicon_values(text, result)
    if not result.ok:
        values["errors"] = lexicon_errors_by_line(result.field_errors, typed)
        return render(request, "lexicon.html", values, status=422)
    values.update(await _record(request, result))
    values["text"] = lexicon_text(await asyncio.to_thread(editor.synonym_groups))
    return render(request, "lexicon.html", values)


def _lexicon_values(text: str, result: SaveResult | None = None) -> dict[str, Any]:
    return {
        "text": text,
        "errors": [],
        "problems": list(result.problems) if result else [],
        "warnings": list(result.warnings) if result else [],
        "saved": None,
        "reload_problems": [],
    }


async def _after_entry_save(
    request: web.Request, result: SaveResult, form: dict[str, str], *, original_id: str | None
) -> web.Response:
    """The form again: with the errors and the admin's input, or saved and reloaded."""
    values: dict[str, Any] = {
        "errors": result.field_errors,
        "problems": list(result.problems),
        "warnings": list(result.warnings),
    }
    if not result.ok:
        return _entry_page(
            request,
            form=entry_form(draft_from_form(form)),
            original_id=original_id,
            base=form.get("base", ""),
            status=422,
            **values,
        )
    values.update(await _record(request, result))
    entry_id = result.entry_id or ""
    listed = await asyncio.to_thread(editor_of(request.app[CONTEXT]).entry, entry_id)
    draft = listed.draft if listed is not None else draft_from_form(form)
    return _entry_page(
        request, form=entry_form(draft), original_id=draft.id, base=fingerprint(draft), **values
    )


async def _record(request: web.Request, result: SaveResult) -> dict[str, Any]:
    """Audit every changed file and reload the bot; what the confirmation shows."""
    if not result.changes:
        return {"saved": {"backups": [], "unchanged": True}, "reload_problems": []}
    context = request.app[CONTEXT]
    user = session_of(request).user
    async with context.store.transaction() as tx:
        await audit_changes(tx, user.name, result.changes, source="faq", now=context.clock())
    problems: list[Problem] = []
    if context.reloader is not None:
        problems = await context.reloader.reload()
    if problems:
        logger.warning(
            "console: reload after a save by %s failed: %d problems", user.name, len(problems)
        )
    backups = [c.backup.name for c in result.changes if c.backup is not None]
    return {"saved": {"backups": backups, "unchanged": False}, "reload_problems": problems}


def _entry_page(
    request: web.Request,
    *,
    form: dict[str, str],
    original_id: str | None,
    base: str,
    status: int = 200,
    **values: Any,
) -> web.Response:
    page = {
        "title": f"FAQ {original_id}" if original_id else "新しい項目",
        "form": form,
        "base": base,
        "original_id": original_id,
        "action": entry_url(original_id) if original_id else NEW,
        "advertising_choices": ADVERTISING,
        "kind_choices": KINDS,
        "errors": {},
        "problems": [],
        "warnings": [],
        "saved": None,
        "reload_problems": [],
        **values,
    }
    return render(request, "faq_edit.html", page, status=status)


async def _form(request: web.Request) -> dict[str, str]:
    return {key: value for key, value in (await request.post()).items() if isinstance(value, str)}
