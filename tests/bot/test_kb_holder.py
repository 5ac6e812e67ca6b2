"""Reloading the knowledge base: validate, then swap; a broken file keeps the old one."""

from __future__ import annotations

from pathlib import Path

from bot.kb_holder import KbHolder
from faq.decision import Action
from tests.bot.conftest import KB_YAML


def test_reload_swaps_in_the_new_knowledge_base(kb_file: Path) -> None:
    holder = KbHolder.from_path(kb_file)
    kb_file.write_text(
        KB_YAML.replace("服用中の飲酒は控えてください。", "飲酒は量を控えめに。"), encoding="utf-8"
    )
    assert holder.reload() == []
    entry = holder.current.kb.entry("alcohol")
    assert entry is not None
    assert entry.answer == "飲酒は量を控えめに。"
    assert holder.current.matcher.decide("お酒を飲んでもいいですか？").faq_id == "alcohol"


def test_broken_reload_keeps_the_last_good_one_and_says_why(kb_file: Path) -> None:
    holder = KbHolder.from_path(kb_file)
    before = holder.current
    kb_file.write_text(KB_YAML.replace("related: [blood_donation]", "related: [nothing]"))
    problems = holder.reload()
    assert [(p.entry_id, p.message) for p in problems] == [
        ("alcohol", "related: unknown entry id 'nothing'")
    ]
    assert holder.current is before
    assert holder.current.matcher.decide("胸が痛い").action is Action.URGENT
