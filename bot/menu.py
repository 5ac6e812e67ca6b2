"""The topic menu: the knowledge base's categories as buttons, then a category's questions."""

from __future__ import annotations

from bot.messages import Choice, Reply, ReplyKind, faq_payload, menu_payload
from bot.replies import fill
from faq.model import KnowledgeBase


def categories(kb: KnowledgeBase) -> list[str]:
    """FAQ categories in the order the knowledge base first uses them (smalltalk left out)."""
    seen: dict[str, None] = {}
    for entry in kb.entries:
        if entry.kind == "faq":
            seen.setdefault(entry.category, None)
    return list(seen)


def menu_choices(kb: KnowledgeBase) -> tuple[Choice, ...]:
    return tuple(Choice(name, menu_payload(n)) for n, name in enumerate(categories(kb)))


def menu(kb: KnowledgeBase, text: str | None = None) -> Reply:
    return Reply(text or kb.texts.menu_prompt, menu_choices(kb), ReplyKind.MENU)


def category(kb: KnowledgeBase, index: int) -> Reply | None:
    """The questions of the index-th category as buttons; None if there is no such category."""
    names = categories(kb)
    if not 0 <= index < len(names):
        return None
    name = names[index]
    choices = tuple(
        Choice(e.question, faq_payload(e.id))
        for e in kb.entries
        if e.kind == "faq" and e.category == name
    )
    return Reply(fill(kb.texts.category_prompt, category=name), choices, ReplyKind.MENU)


def welcome(kb: KnowledgeBase) -> Reply:
    """/start: the welcome, the disclaimer and the menu."""
    texts = kb.texts
    text = f"{texts.welcome.strip()}\n\n{texts.disclaimer.strip()}"
    return Reply(text, menu_choices(kb), ReplyKind.WELCOME)


def help_reply(kb: KnowledgeBase) -> Reply:
    return Reply(
        f"{kb.texts.welcome.strip()}\n\n{kb.texts.help.strip()}",
        menu_choices(kb),
        ReplyKind.WELCOME,
    )
