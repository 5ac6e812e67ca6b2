"""The `faqbot` command line. Commands import what they need when run, so startup is fast."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from bot.logsafety import install as install_redaction

# Exit codes: 1 = the command ran and found a problem (invalid KB, unknown ticket);
# 2 = it could not run (bad config, unusable KB or database, bad arguments).
EXIT_FAILED = 1
EXIT_UNUSABLE = 2


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    # httpx logs each request URL at INFO, and Telegram's URLs contain the bot token.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    install_redaction()  # and whatever logs anyway (a traceback's URL) is redacted
    try:
        code: int = args.run(args)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # `faqbot eval … | head`: the reader has all it wanted
        sys.stderr.close()
        return 0
    except Exception as exc:
        lines = _user_error_lines(exc)
        if lines is None:
            raise
        for line in lines:
            print(f"faqbot: {line}", file=sys.stderr)
        return EXIT_UNUSABLE
    return code


def _user_error_lines(exc: Exception) -> list[str] | None:
    """The message for an error the user can fix, or None for a bug (keep the traceback)."""
    from bot.commands.common import UsageError
    from bot.config import ConfigError
    from bot.store import StoreError
    from faq.loader import KnowledgeBaseError

    if isinstance(exc, ConfigError):
        return exc.lines()
    if isinstance(exc, KnowledgeBaseError):
        first = f" (first: {exc.problems[0]})" if exc.problems else ""
        return [
            f"the knowledge base has {len(exc.problems)} error(s){first};"
            " run `faqbot faq validate` for all"
        ]
    if isinstance(exc, StoreError | UsageError):
        return [str(exc)]
    return None


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="faqbot", description=__doc__)
    parser.add_argument(
        "--config", type=Path, help="configuration file (default: config.yaml if it exists)"
    )
    parser.add_argument("--db", type=Path, help="SQLite database (overrides the config)")
    parser.add_argument("-v", "--verbose", action="store_true", help="log at INFO level")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    _add_chat(commands)
    _add_run(commands)
    _add_tickets(commands)
    _add_ask(commands)
    _add_eval(commands)
    _add_faq(commands)
    _add_patients(commands)
    _add_users(commands)
    return parser


# argparse's type for `add_subparsers()`; private in name only, typeshed exports it.
Commands = argparse._SubParsersAction


def _add_chat(commands: Commands[argparse.ArgumentParser]) -> None:
    chat = commands.add_parser("chat", help="talk to the bot in the terminal as a patient")
    chat.add_argument("--user", default="local", help="local patient id (default: local)")
    chat.add_argument("--poll", type=float, default=1.0, help="seconds between outbox checks")
    chat.add_argument("--kb", type=Path, help="knowledge base file or directory")
    chat.set_defaults(run=_lazy("bot.commands.chat"))


def _add_run(commands: Commands[argparse.ArgumentParser]) -> None:
    run = commands.add_parser("run", help="start the messengers the config enables (Telegram)")
    # `faqbot run --config PATH` as deployment scripts write it (SUPPRESS keeps a global one).
    run.add_argument("--config", type=Path, default=argparse.SUPPRESS, help="configuration file")
    run.set_defaults(run=_lazy("bot.commands.run"))


def _add_tickets(commands: Commands[argparse.ArgumentParser]) -> None:
    tickets = commands.add_parser("tickets", help="staff: list, show, reply to, close tickets")
    tickets.add_argument("--kb", type=Path, help="knowledge base (for texts sent to patients)")
    actions = tickets.add_subparsers(dest="action", required=True, metavar="ACTION")
    listing = actions.add_parser("list", help="open tickets, urgent first")
    listing.add_argument("--all", action="store_true", help="include closed tickets")
    show = actions.add_parser("show", help="a ticket's thread and the matcher's evidence")
    show.add_argument("id", type=int)
    reply = actions.add_parser("reply", help="reply to the patient (sent via the outbox)")
    reply.add_argument("id", type=int)
    reply.add_argument("text")
    reply.add_argument("--as", dest="staff", help="staff name (default: your login name)")
    for name, help_text in (("close", "close and tell the patient"), ("reopen", "reopen")):
        action = actions.add_parser(name, help=help_text)
        action.add_argument("id", type=int)
    tickets.set_defaults(run=_lazy("bot.commands.tickets"))


def _add_ask(commands: Commands[argparse.ArgumentParser]) -> None:
    ask = commands.add_parser("ask", help="what the matcher decides for a question")
    ask.add_argument("text", nargs="?", help="the question")
    ask.add_argument("--json", action="store_true", help="print the decision as JSON")
    ask.add_argument(
        "--jsonl", action="store_true", help='read {"text": ...} lines on stdin, write decisions'
    )
    ask.add_argument("--kb", type=Path, help="knowledge base file or directory")
    ask.add_argument("--top", type=int, default=3, help="candidates to report (default 3)")
    ask.set_defaults(run=_lazy("bot.commands.ask"))


def _add_eval(commands: Commands[argparse.ArgumentParser]) -> None:
    ev = commands.add_parser("eval", help="score the matcher on labelled questions")
    ev.add_argument("file", type=Path, help="JSONL file of labelled questions")
    ev.add_argument("--show-misses", action="store_true", help="list every wrong decision")
    ev.add_argument("--kb", type=Path, help="knowledge base file or directory")
    ev.set_defaults(run=_lazy("bot.commands.evaluate"))


def _add_faq(commands: Commands[argparse.ArgumentParser]) -> None:
    faq = commands.add_parser("faq", help="knowledge base tools")
    actions = faq.add_subparsers(dest="action", required=True, metavar="ACTION")
    validate = actions.add_parser("validate", help="check a knowledge base, listing problems")
    validate.add_argument("path", nargs="?", type=Path, help="file or directory (default: in use)")
    validate.add_argument(
        "--review-max-days",
        type=int,
        metavar="DAYS",
        help="warn about entries last reviewed more than DAYS ago (default: 365)",
    )
    faq.set_defaults(run=_lazy("bot.commands.faq"))
    imports = actions.add_parser(
        "import", help='turn JSON lines of {"id", "question", "answer"} into a knowledge base'
    )
    imports.add_argument("file", type=Path, help="JSONL file, one FAQ entry per line")
    imports.add_argument("--out", type=Path, required=True, help="knowledge base YAML to write")
    imports.add_argument(
        "--map-ids", action="store_true", help="map ids that are not [a-z][a-z0-9_]* (Q-1 → q_1)"
    )
    imports.add_argument("--force", action="store_true", help="overwrite --out if it exists")
    imports.set_defaults(run=_lazy("bot.commands.faq_import"))


def _add_patients(commands: Commands[argparse.ArgumentParser]) -> None:
    patients = commands.add_parser("patients", help="admin: erase a patient's data")
    actions = patients.add_subparsers(dest="action", required=True, metavar="ACTION")
    forget = actions.add_parser("forget", help="delete everything about one patient")
    forget.add_argument("--channel", choices=("telegram", "line", "local"), help="messenger")
    forget.add_argument("--user", help="the patient's user id on that messenger")
    forget.add_argument("--ticket", type=int, help="or: the patient of this ticket")
    forget.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    patients.set_defaults(run=_lazy("bot.commands.patients"))


def _add_users(commands: Commands[argparse.ArgumentParser]) -> None:
    users = commands.add_parser("users", help="web console accounts: add, list, disable")
    actions = users.add_subparsers(dest="action", required=True, metavar="ACTION")
    add = actions.add_parser("add", help="create an account (asks for its password)")
    add.add_argument("name")
    add.add_argument("--role", choices=("staff", "admin"), required=True)
    add.add_argument(
        "--password-stdin", action="store_true", help="read the password from stdin (scripts)"
    )
    actions.add_parser("list", help="accounts with their role and state")
    disable = actions.add_parser("disable", help="disable an account and end its sessions")
    disable.add_argument("name")
    users.set_defaults(run=_lazy("bot.commands.users"))


def _lazy(module: str) -> Callable[[argparse.Namespace], int]:
    """A runner that imports the command's module only when that command runs."""

    def run(args: argparse.Namespace) -> int:
        import importlib

        code: int = importlib.import_module(module).run(args)
        return code

    return run


if __name__ == "__main__":
    sys.exit(main())
