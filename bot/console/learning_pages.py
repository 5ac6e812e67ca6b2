"""Admin pages of the learning loop: grouped questions the bot could not help with, a dry
run of teaching it one of them, the save, and staff proposals accepted or rejected."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from aiohttp import web

from bot.console.kb_audit import audit_changes
from bot.console.learning_forms import (
    ACTION_LABELS,
    GROUP_KEY,
    BadForm,
    Learn,
    candidate_kb,
    decisions,
    defaults,
    find_group,
    group_key,
    learnt,
    new_entry_defaults,
    parse_learn,
    save_learn,
)
from bot.console.routes import CONTEXT, Console, ConsoleContext, render, session_of
from bot.dry_run import preview
from bot.kb_holder import Loaded
from bot.kb_watch import reload_report
from bot.learning import QuestionGroup, unresolved_groups
from faq.editor import KbEditor, SaveResult
from faq.matcher import Matcher
from faq.model import KnowledgeBase
from faq.normalize import Normalizer

logger = logging.getLogger(__name__)

LIST = "/admin/learning"
# Groups read for the list; those the bot now answers are left out of the SHOWN.
SCAN, SHOWN = 100, 50
# Rows of each dry-run list on the page; the counts tell the rest.
REPORT_ROWS = 50
FIELD_LABELS = {
    "id": "ID",
    "category": "カテゴリ",
    "question": "質問",
    "phrasings": "言い換え",
    "answer": "回答",
    "faq_id": "エントリ",
    "text": "質問文",
}


def setup(console: Console) -> None:
    console.get(LIST, learning_list, access="admin")
    console.get(LIST + r"/{key:[qp]\d+}", group_page, access="admin")
    console.post(LIST + "/dry-run", dry_run_page, access="admin")
    console.post(LIST + "/save", save_change, access="admin")
    console.post(LIST + r"/proposals/{proposal_id:\d+}/reject", reject_proposal, access="admin")


async def learning_list(request: web.Request) -> web.Response:
    """The groups, most frequent first, without those the bot answers by now."""
    loaded = request.app[CONTEXT].kb.current
    groups = await _groups(request, loaded)
    now = await asyncio.to_thread(
        decisions, loaded.matcher, [m.text for g in groups for m in g.members]
    )
    shown = [g for g in groups if not learnt(g, now)]
    values = {
        "title": "学習",
        "groups": [(group_key(g), g) for g in shown[:SHOWN]],
        "hidden": len(groups) - len(shown),
    }
    return render(request, "learning.html", values)


async def group_page(request: web.Request) -> web.Response:
    """One group with its two actions, pre-filled."""
    loaded = request.app[CONTEXT].kb.current
    key = request.match_info["key"]
    group = find_group(await _groups(request, loaded), key)
    if group is None:
        message = "このグループはもう一覧にありません（解決済みの可能性があります）。"
        return render(request, "error.html", {"message": message}, status=404)
    phrasing = defaults(group, loaded.kb)
    entry = new_entry_defaults(group, loaded.kb, phrasing.faq_id)
    return await _group_view(request, loaded, key, group, phrasing, entry)


async def dry_run_page(request: web.Request) -> web.Response:
    """What the change would do to past questions, and the button that saves it."""
    context = request.app[CONTEXT]
    learn = await _learn(request)
    candidate = await asyncio.to_thread(candidate_kb, _editor(context), learn)
    if isinstance(candidate, SaveResult):
        return await _refused(request, learn, candidate)
    loaded = context.kb.current
    current: KnowledgeBase | Matcher = (
        loaded.matcher if isinstance(loaded.matcher, Matcher) else loaded.kb
    )
    report = await preview(context.store, current, candidate)
    titles = {e.id: e.question for kb in (loaded.kb, candidate) for e in kb.entries}
    values = {
        "title": "ドライラン",
        "learn": learn,
        "fields": learn.fields(),
        "report": report,
        "rows": REPORT_ROWS,
        "titles": titles,
        "actions": ACTION_LABELS,
    }
    return render(request, "learning_dry_run.html", values)


async def save_change(request: web.Request) -> web.Response:
    """Save through the editor (validated again), audit, accept the proposals, reload."""
    context = request.app[CONTEXT]
    learn = await _learn(request)
    user = session_of(request).user.name
    result = await asyncio.to_thread(save_learn, _editor(context), learn, user)
    if not result.ok:
        return await _refused(request, learn, result)
    now = context.clock()
    async with context.store.transaction() as tx:
        await audit_changes(tx, user, result.changes, source="kb", now=now)
        accepted = []
        for proposal_id in learn.proposals:
            if await tx.learning.set_proposal_status(proposal_id, "accepted"):
                await tx.audit.add(user, "learning.accept", f"proposal #{proposal_id}", now=now)
                accepted.append(proposal_id)
    reloaded = None
    if result.changes and context.reloader is not None:
        problems = await context.reloader.reload()
        reloaded = reload_report(problems, context.reloader.entries)
    logger.info(
        "console: %s learnt for %s by %s (%d proposals accepted)",
        learn.kind,
        learn.entry_id,
        user,
        len(accepted),
    )
    values = {
        "title": "保存しました",
        "learn": learn,
        "result": result,
        "accepted": accepted,
        "reloaded": reloaded,
    }
    return render(request, "learning_saved.html", values)


async def reject_proposal(request: web.Request) -> web.StreamResponse:
    """A staff proposal an admin declined: its question leaves the list."""
    context = request.app[CONTEXT]
    proposal_id = int(request.match_info["proposal_id"])
    user = session_of(request).user.name
    async with context.store.transaction() as tx:
        found = await tx.learning.set_proposal_status(proposal_id, "rejected")
        if found:
            target = f"proposal #{proposal_id}"
            await tx.audit.add(user, "learning.reject", target, now=context.clock())
    if not found:
        message = "その提案はありません。"
        return render(request, "error.html", {"message": message}, status=404)
    logger.info("console: proposal %d rejected by %s", proposal_id, user)
    raise web.HTTPSeeOther(LIST)


async def _groups(request: web.Request, loaded: Loaded) -> list[QuestionGroup]:
    normalizer = (
        loaded.matcher.normalizer
        if isinstance(loaded.matcher, Matcher)
        else await asyncio.to_thread(Normalizer, loaded.kb.synonyms)
    )
    return await unresolved_groups(request.app[CONTEXT].store, normalizer, limit=SCAN)


async def _learn(request: web.Request) -> Learn:
    form = {key: str(value) for key, value in (await request.post()).items()}
    try:
        return parse_learn(form)
    except BadForm as exc:
        logger.warning("console: learning form refused: %s", exc)
        raise web.HTTPBadRequest(text="bad form") from None


def _editor(context: ConsoleContext) -> KbEditor:
    return KbEditor(context.config.faq.path)


async def _refused(request: web.Request, learn: Learn, result: SaveResult) -> web.Response:
    """The group page again, the admin's input kept, the validator's errors beside it."""
    loaded = request.app[CONTEXT].kb.current
    group = None
    if GROUP_KEY.fullmatch(learn.group):
        group = find_group(await _groups(request, loaded), learn.group)
    phrasing: Learn | None = learn
    entry: Learn | None = learn
    if learn.kind == "phrasing":  # the other form as first offered (if the group is still there)
        entry = new_entry_defaults(group, loaded.kb, learn.faq_id) if group else None
    else:
        phrasing = defaults(group, loaded.kb) if group else None
    errors = {
        FIELD_LABELS.get(name, name): messages for name, messages in result.field_errors.items()
    }
    if result.problems:
        errors[""] = [str(p) for p in result.problems]
    return await _group_view(
        request, loaded, learn.group, group, phrasing, entry, errors=errors, failed=learn.kind
    )


async def _group_view(
    request: web.Request,
    loaded: Loaded,
    key: str,
    group: QuestionGroup | None,
    phrasing: Learn | None,
    entry: Learn | None,
    *,
    errors: dict[str, list[str]] | None = None,
    failed: str = "",
) -> web.Response:
    texts = [m.text for m in group.members] if group is not None else []
    now = await asyncio.to_thread(decisions, loaded.matcher, texts)
    entries = [e for e in loaded.kb.entries if e.kind == "faq"]
    values: dict[str, Any] = {
        "title": "学習: グループ",
        "key": key,
        "group": group,
        "now": now,
        "actions": ACTION_LABELS,
        "entries": entries,
        "categories": sorted({e.category for e in loaded.kb.entries}),
        "suggested": [s for s in group.suggested if loaded.kb.entry(s.faq_id)] if group else [],
        "phrasing": phrasing.fields() if phrasing is not None else None,
        "entry": entry.fields() if entry is not None else None,
        "errors": errors or {},
        "failed": failed,
    }
    return render(request, "learning_group.html", values, status=422 if errors else 200)
