"""`faqbot faq validate`: every problem in a knowledge base, located."""

from __future__ import annotations

import argparse

from bot.commands.common import load_settings
from faq.loader import DEFAULT_REVIEW_MAX_DAYS, load_kb, validate

EXIT_INVALID = 1


def run(args: argparse.Namespace) -> int:
    path = args.path if args.path is not None else load_settings(args).faq.path
    max_days = getattr(args, "review_max_days", None)
    if max_days is not None and max_days < 1:
        print("--review-max-days: expected a whole number of days, 1 or more")
        return EXIT_INVALID
    problems = validate(
        path, review_max_days=max_days if max_days is not None else DEFAULT_REVIEW_MAX_DAYS
    )
    for problem in problems:
        print(problem)
    errors = sum(1 for p in problems if p.level == "error")
    warnings = len(problems) - errors
    if errors:
        print(f"{errors} error(s), {warnings} warning(s)")
        return EXIT_INVALID
    kb = load_kb(path)
    print(
        f"OK: {len(kb.entries)} entries, {len(kb.red_flags)} red flags,"
        f" {len(kb.handover)} handover rules; {warnings} warning(s)"
    )
    return 0
