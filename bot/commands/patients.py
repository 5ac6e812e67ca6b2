"""`faqbot patients forget`: an admin erases everything about one patient."""

from __future__ import annotations

import argparse
import asyncio
import sys

from bot.clock import utc_now
from bot.commands.common import UsageError, load_settings, opened_store
from bot.config import Config
from bot.forgetting import forget_patient
from bot.records import Patient
from bot.store import Store

EXIT_NOT_FOUND = 1


def run(args: argparse.Namespace) -> int:
    config = load_settings(args)
    if (args.ticket is None) == (args.user is None):
        raise UsageError("patients forget: give --channel and --user, or --ticket")
    if args.user is not None and args.channel is None:
        raise UsageError("patients forget: --user needs --channel (telegram, line or local)")
    return asyncio.run(_forget(args, config))


async def _forget(args: argparse.Namespace, config: Config) -> int:
    async with opened_store(config) as store:
        patient = await _find(store, args)
        if patient is None:
            print("faqbot: no such patient", file=sys.stderr)
            return EXIT_NOT_FOUND
        who = f"patient #{patient.id} ({patient.channel} user {patient.user_id})"
        if not args.yes and not _confirmed(f"Delete everything about {who}? [y/N] "):
            print("nothing deleted")
            return 0
        async with store.transaction() as tx:
            erased = await forget_patient(
                tx, patient, staff_channel=_staff_channel(config), now=utc_now()
            )
    print(
        f"{who} forgotten: {erased.tickets} tickets, {erased.questions} questions deleted;"
        f" {len(erased.topics)} staff topics to be marked deleted by the running bot"
    )
    return 0


async def _find(store: Store, args: argparse.Namespace) -> Patient | None:
    async with store.transaction(write=False) as tx:
        if args.ticket is None:
            return await tx.patients.find(args.channel, args.user)
        ticket = await tx.tickets.get(args.ticket)
        if ticket is None:
            return None
        return await tx.patients.by_chat(ticket.channel, ticket.chat_id)


def _staff_channel(config: Config) -> str | None:
    """The outbox channel of the staff chat, where the patient's topics are marked."""
    if config.telegram is None or config.telegram.staff_chat_id is None:
        return None
    from bot.channels.telegram.client import STAFF  # the Telegram library loads only here

    return STAFF


def _confirmed(question: str) -> bool:
    try:
        answer = input(question)
    except EOFError:
        return False
    return answer.strip().lower() in ("y", "yes")
