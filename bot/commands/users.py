"""`faqbot users`: console accounts (add, list, disable)."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import sys

from bot.clock import utc_now
from bot.commands.common import UsageError, load_settings, opened_store
from bot.config import Config
from bot.console.accounts import AccountError, add_user, check_password, disable_user, users

EXIT_REFUSED = 1


def run(args: argparse.Namespace) -> int:
    config = load_settings(args)
    password = _password(args) if args.action == "add" else ""
    try:
        return asyncio.run(_run(args, config, password))
    except AccountError as exc:
        print(f"faqbot: {exc}", file=sys.stderr)
        return EXIT_REFUSED


async def _run(args: argparse.Namespace, config: Config, password: str) -> int:
    tz = config.clinic.tz
    async with opened_store(config) as store:
        if args.action == "add":
            user = await add_user(store, args.name, args.role, password, utc_now)
            print(f"user {user.name} ({user.role}) added")
        elif args.action == "list":
            found = await users(store)
            for user in found:
                state = (
                    f"disabled {user.disabled_at.astimezone(tz):%Y-%m-%d}"
                    if user.disabled_at
                    else "active"
                )
                print(f"{user.name:<20} {user.role:<6} {state}")
            if not found:
                print("no users (add one with `faqbot users add NAME --role admin`)")
        elif args.action == "disable":
            ended = await disable_user(store, args.name, utc_now)
            print(f"user {args.name} disabled; {ended} session(s) ended")
    return 0


def _password(args: argparse.Namespace) -> str:
    """From stdin's first line with --password-stdin, else asked twice without echo."""
    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = getpass.getpass("password: ")
        if getpass.getpass("again: ") != password:
            raise UsageError("the passwords differ")
    try:
        check_password(password)
    except AccountError as exc:
        raise UsageError(str(exc)) from None
    return password
