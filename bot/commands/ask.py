"""`faqbot ask`: what the matcher decides, for one question or a JSONL stream."""

from __future__ import annotations

import argparse
import json
import sys
from typing import TextIO

from bot.commands.common import UsageError, kb_path, load_settings
from bot.kb_holder import DecisionMaker, KbHolder
from faq.decision import Action, Decision
from faq.model import KnowledgeBase


def run(args: argparse.Namespace) -> int:
    if args.jsonl == (args.text is not None):
        raise UsageError("ask: give a question, or --jsonl to read questions from stdin")
    if args.top < 1:
        raise UsageError("ask: --top must be at least 1")
    config = load_settings(args)
    loaded = KbHolder.from_path(kb_path(args, config)).current
    if args.jsonl:
        answer_stream(loaded.matcher, sys.stdin, sys.stdout, top=args.top)
        return 0
    decision = loaded.matcher.decide(args.text, top=args.top)
    if args.json:
        print(json.dumps(decision.as_json(), ensure_ascii=False))
    else:
        print(describe(loaded.kb, decision))
    return 0


def answer_stream(matcher: DecisionMaker, lines: TextIO, out: TextIO, *, top: int) -> None:
    """One JSON line out per non-blank line in, in order; flushed so pipes see each at once."""
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        text = _text_of(line)
        if text is None:
            result: dict[str, object] = {
                "error": f'line {number}: expected a JSON object with a "text" string'
            }
        else:
            result = matcher.decide(text, top=top).as_json()
        out.write(json.dumps(result, ensure_ascii=False) + "\n")
        out.flush()


def _text_of(line: str) -> str | None:
    try:
        item = json.loads(line)
    except json.JSONDecodeError:
        return None
    text = item.get("text") if isinstance(item, dict) else None
    return text if isinstance(text, str) else None


def describe(kb: KnowledgeBase, decision: Decision) -> str:
    """The decision for a person reading a terminal."""
    rows = [
        ("action", decision.action.value),
        ("faq_id", decision.faq_id or "-"),
        ("score", f"{decision.score:.3f}"),
        ("rule", decision.rule_id or "-"),
        ("reason", decision.reason or "-"),
        ("candidates", ", ".join(f"{c.id} {c.score:.3f}" for c in decision.candidates) or "-"),
    ]
    if decision.choices:
        rows.append(("choices", ", ".join(decision.choices)))
    lines = [f"{name:<11} {value}" for name, value in rows]
    entry = kb.entry(decision.faq_id) if decision.faq_id else None
    if decision.action is Action.ANSWER and entry is not None:
        lines += ["", f"Q: {entry.question}", entry.answer]
    flag = next((f for f in kb.red_flags if f.id == decision.rule_id), None)
    if decision.action is Action.URGENT and flag is not None:
        lines += ["", f"[{flag.label}]", flag.message]
    return "\n".join(lines)
