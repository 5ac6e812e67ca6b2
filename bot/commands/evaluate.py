"""`faqbot eval`: score the matcher on a labelled JSONL file."""

from __future__ import annotations

import argparse

from bot.commands.common import UsageError, kb_path, load_settings
from bot.evaluate import EvalFileError, evaluate, format_report, load_labelled
from faq.loader import load_kb
from faq.matcher import Matcher


def run(args: argparse.Namespace) -> int:
    config = load_settings(args)
    try:
        rows = load_labelled(args.file)
    except EvalFileError as exc:
        raise UsageError(f"eval: {exc}") from None
    matcher = Matcher(load_kb(kb_path(args, config)))
    report = evaluate(matcher, rows)
    answer_at = float(matcher.thresholds.answer)
    print(format_report(report, show_misses=args.show_misses, answer_at=answer_at))
    return 0
