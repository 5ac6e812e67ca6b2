"""`faqbot faq import`: an existing FAQ (JSON lines) as a knowledge base file."""

from __future__ import annotations

import argparse
import sys

from bot.commands.common import UsageError
from faq.importer import FaqImportError, import_faq
from faq.loader import validate

EXIT_INVALID = 1


def run(args: argparse.Namespace) -> int:
    if args.out.exists() and not args.force:
        raise UsageError(f"faq import: {args.out} exists; use --force to overwrite it")
    try:
        imported = import_faq(args.file, args.out, map_ids=args.map_ids)
    except FaqImportError as exc:
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        print(f"{len(exc.problems)} error(s); nothing written", file=sys.stderr)
        return EXIT_INVALID
    for original, entry_id in imported.renamed.items():
        print(f"id {original!r} → {entry_id!r}")
    problems = validate(args.out)
    for found in problems:
        print(found)
    errors = sum(1 for p in problems if p.level == "error")
    print(
        f"wrote {args.out}: {len(imported.entries)} entries"
        f" ({len(imported.renamed)} ids mapped); {errors} error(s) from `faqbot faq validate`"
    )
    return EXIT_INVALID if errors else 0
