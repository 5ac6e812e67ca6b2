"""`faqbot faq validate`: every problem in a knowledge base, located."""

from __future__ import annotations

import argparse

from bot.commands.common import load_settings
from faq.loader import load_kb, validate

EXIT_INVALID = 1


def run(args: argparse.Namespace) -> int:
    path = args.path if args.path is not None else load_settings(args).faq.path
    problems = validate(path)
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
