"""The bench's command line.

python -m bench [--eval FILE ...] [--sizes 25,250,2500,25000] [--repeat 3] …
python -m bench retrieval --kb KB --queries FILE
python -m bench scale --size N --queries FILE   (one size as JSON; `run` uses it)
python -m bench telegram [--messages 1000 --patients 200]   (the Telegram adapter end to end)
python -m bench line [--events 1000 --patients 200]   (the LINE webhook end to end)
"""

from __future__ import annotations

import argparse
import json
import shlex
import sys
from collections.abc import Sequence
from pathlib import Path

from bench.report import SECTIONS, Options, run_all
from bench.scale import Growth
from bench.synthetic import COPY_KEYWORDS, COPY_PHRASINGS
from bot.evaluate import EvalFileError
from faq.model import KnowledgeBase

REPO = Path(__file__).resolve().parent.parent
# Used when no --eval is given and they exist: the official dev set, then the blind one.
DEFAULT_EVALS = (REPO.parent / "shared" / "eval" / "dev.jsonl", REPO / "tests/data/holdout.jsonl")
DEFAULT_SIZES = "25,250,2500,25000"


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] not in ("run", "retrieval", "scale", "profile", "telegram", "line"):
        args.insert(0, "run")
    parsed = _parser().parse_args(args)
    code: int = parsed.handler(parsed)
    return code


def _run(args: argparse.Namespace) -> int:
    evals = tuple(args.eval) if args.eval else tuple(p for p in DEFAULT_EVALS if p.is_file())
    options = Options(
        evals=evals,
        tune_file=args.tune,
        kb=args.kb,
        sizes=tuple(int(s) for s in args.sizes.split(",") if s),
        growth=_growth(args),
        repeat=args.repeat,
        budget=args.budget,
        patients=args.patients,
        per_patient=args.messages,
        startup_runs=args.startup_runs,
        skip=frozenset(args.skip),
        command=f"python -m bench {shlex.join(sys.argv[1:])}".strip(),
    )
    try:
        run_all(options, lambda text: print(text, flush=True))
    except EvalFileError as exc:
        print(f"bench: {exc}", file=sys.stderr)
        return 2
    return 0


def _retrieval(args: argparse.Namespace) -> int:
    from bench.retrieval import QueriesFileError, run_retrieval
    from faq.importer import FaqImportError
    from faq.loader import KnowledgeBaseError

    try:
        print(run_retrieval(args.kb, args.queries))
    except (QueriesFileError, FaqImportError, KnowledgeBaseError) as exc:
        print(f"bench: {exc}", file=sys.stderr)
        return 2
    return 0


def _scale(args: argparse.Namespace) -> int:
    from bench.scale import Thresholds, as_json, measure_size

    lines = args.queries.read_text(encoding="utf-8").splitlines()
    texts = [json.loads(line)["text"] for line in lines if line.strip()]
    result = measure_size(
        args.size,
        texts,
        Thresholds(args.rapidfuzz_threshold, args.bm25_threshold),
        kb_path=args.kb,
        growth=_growth(args),
        repeat=args.repeat,
        budget=args.budget,
    )
    print(as_json(result))
    return 0


def _profile(args: argparse.Namespace) -> int:
    from bench.profiling import profile_matcher
    from bot.evaluate import load_labelled

    texts = [row.text for row in load_labelled(args.queries)]
    print(profile_matcher(args.size, texts, growth=_growth(args), kb_path=args.kb, top=args.top))
    return 0


def _telegram(args: argparse.Namespace) -> int:
    from bench.conversation import pools_of
    from bench.machine import describe_machine
    from bench.telegram import measure_telegram, plan_chats, profile_telegram, telegram_table
    from faq.matcher import Matcher

    kb, candidates = _patient_messages(args.kb)
    matcher = Matcher(kb)
    if args.profile:
        chats = plan_chats(pools_of(matcher, candidates), args.messages, args.patients)
        print(profile_telegram(chats, kb=args.kb, top=args.profile))
        return 0
    result = measure_telegram(
        matcher,
        candidates,
        messages=args.messages,
        patients=args.patients,
        repeat=args.repeat,
        kb=args.kb,
    )
    print("## Telegram adapter, fake Bot API in another process, SQLite on disk\n")
    print(f"{describe_machine()}; medians of {args.repeat} runs\n")
    print(telegram_table(result))
    return 0


def _line(args: argparse.Namespace) -> int:
    from bench.line import line_table, measure_line
    from bench.machine import describe_machine
    from faq.matcher import Matcher

    kb, candidates = _patient_messages(args.kb)
    result = measure_line(
        Matcher(kb),
        candidates,
        events=args.events,
        patients=args.patients,
        repeat=args.repeat,
        kb=args.kb,
    )
    print("## LINE webhook, fake LINE API in another process, SQLite on disk\n")
    print(f"{describe_machine()}; medians of {args.repeat} runs\n")
    print(line_table(result))
    return 0


def _patient_messages(kb_path: Path | None) -> tuple[KnowledgeBase, list[str]]:
    """The knowledge base and the messages simulated patients send: every labelled
    question found, then every question and phrasing of the knowledge base."""
    from bot.evaluate import load_labelled
    from faq.loader import load_kb

    kb = load_kb(kb_path)
    evals = [row.text for path in DEFAULT_EVALS if path.is_file() for row in load_labelled(path)]
    return kb, [*evals, *(p for e in kb.entries for p in (e.question, *e.phrasings))]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    modes = parser.add_subparsers(dest="mode", required=True)
    run = modes.add_parser("run", help="everything (the default)")
    run.add_argument(
        "--eval",
        type=Path,
        action="append",
        help="labelled JSONL file (repeatable; default: shared dev set and tests/data/holdout.jsonl)",
    )
    run.add_argument(
        "--tune", type=Path, help="tune baseline thresholds here (default: 1st --eval)"
    )
    run.add_argument("--kb", type=Path, help="knowledge base (default: the bundled one)")
    run.add_argument("--sizes", default=DEFAULT_SIZES, help=f"KB sizes (default {DEFAULT_SIZES})")
    run.add_argument("--repeat", type=_positive, default=3, help="runs per figure (default 3)")
    run.add_argument(
        "--budget", type=float, default=4.0, help="seconds of questions per matcher and run"
    )
    _add_growth(run)
    run.add_argument("--patients", type=_positive, default=1000, help="simulated patients")
    run.add_argument("--messages", type=_positive, default=3, help="messages per patient")
    run.add_argument("--startup-runs", type=_positive, default=5, help="faqbot ask start-ups")
    run.add_argument("--skip", action="append", default=[], choices=SECTIONS, help="skip a section")
    run.set_defaults(handler=_run)
    retrieval = modes.add_parser("retrieval", help="SR@1, SR@5, MRR, MAP on any FAQ collection")
    retrieval.add_argument("--kb", type=Path, required=True, help="KB YAML/dir, or FAQ .jsonl")
    retrieval.add_argument("--queries", type=Path, required=True, help='{"text", "relevant"} lines')
    retrieval.set_defaults(handler=_retrieval)
    scale = modes.add_parser("scale", help="one knowledge-base size, as JSON")
    scale.add_argument("--size", type=_positive, required=True)
    scale.add_argument("--queries", type=Path, required=True, help='{"text"} lines')
    scale.add_argument("--kb", type=Path)
    scale.add_argument("--repeat", type=_positive, default=3)
    scale.add_argument("--budget", type=float, default=4.0)
    scale.add_argument("--rapidfuzz-threshold", type=float, default=80.0)
    scale.add_argument("--bm25-threshold", type=float, default=10.0)
    _add_growth(scale)
    scale.set_defaults(handler=_scale)
    profile = modes.add_parser("profile", help="cProfile our matcher at one size")
    profile.add_argument("--size", type=_positive, default=2500)
    profile.add_argument(
        "--queries", type=Path, default=DEFAULT_EVALS[1], help="labelled JSONL (default holdout)"
    )
    profile.add_argument("--kb", type=Path)
    profile.add_argument("--top", type=_positive, default=20, help="functions to list")
    _add_growth(profile)
    profile.set_defaults(handler=_profile)
    telegram = modes.add_parser("telegram", help="the Telegram adapter against the fake Bot API")
    telegram.add_argument("--messages", type=_positive, default=1000, help="patient messages")
    telegram.add_argument("--patients", type=_positive, default=200, help="patients at once")
    telegram.add_argument("--repeat", type=_positive, default=3, help="runs per figure")
    telegram.add_argument("--kb", type=Path, help="knowledge base (default: the bundled one)")
    telegram.add_argument(
        "--profile", type=_positive, metavar="TOP", help="cProfile the bot in one run instead"
    )
    telegram.set_defaults(handler=_telegram)
    line = modes.add_parser("line", help="the LINE webhook against the fake LINE API")
    line.add_argument("--events", type=_positive, default=1000, help="webhook events")
    line.add_argument("--patients", type=_positive, default=200, help="patients at once")
    line.add_argument("--repeat", type=_positive, default=3, help="runs per figure")
    line.add_argument("--kb", type=Path, help="knowledge base (default: the bundled one)")
    line.set_defaults(handler=_line)
    return parser


def _add_growth(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--copy-phrasings",
        type=_limit,
        default=COPY_PHRASINGS,
        help=f"phrasings per synthetic entry, or all (default {COPY_PHRASINGS})",
    )
    parser.add_argument(
        "--copy-keywords",
        type=_limit,
        default=COPY_KEYWORDS,
        help=f"keywords per synthetic entry, or all (default {COPY_KEYWORDS})",
    )


def _growth(args: argparse.Namespace) -> Growth:
    return Growth(args.copy_phrasings, args.copy_keywords)


def _limit(text: str) -> int | None:
    return None if text == "all" else _positive(text)


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value
