"""`faqbot chat`: the terminal as a patient's channel ("local"), through the real core."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import sys
import threading
import unicodedata
from typing import Literal, TextIO

from bot.clock import utc_now
from bot.commands.common import kb_path, load_settings, opened_store
from bot.config import Config
from bot.core import Conversation
from bot.kb_holder import KbHolder
from bot.messages import Choice, IncomingMessage, Reply, StaffAlert
from bot.outbox import Outbox
from bot.records import OutboxItem

CHANNEL = "local"
QUIT = frozenset({"/quit", "/exit"})


def run(args: argparse.Namespace) -> int:
    config = load_settings(args)
    holder = KbHolder.from_path(kb_path(args, config))
    asyncio.run(_chat(holder, config, user=args.user, poll=args.poll))
    return 0


class Screen:
    """Prints replies as the patient sees them and remembers the numbered choices."""

    def __init__(self, out: TextIO) -> None:
        self._out = out
        self._choices: tuple[Choice, ...] = ()

    async def show(self, item: OutboxItem) -> None:
        self.print_reply(item.reply)

    def print_reply(self, reply: Reply) -> None:
        lines = reply.text.splitlines() or [""]
        text = "\n".join([f"bot> {lines[0]}", *(f"     {line}" for line in lines[1:])])
        numbered = [f"     [{n}] {c.label}" for n, c in enumerate(reply.choices, start=1)]
        print("\n".join([text, *numbered]), file=self._out, flush=True)
        # Only the newest message's buttons are on screen, so only they can be picked.
        self._choices = reply.choices

    def payload_for(self, typed: str) -> str | None:
        """The payload of the choice whose number was typed (full-width digits too)."""
        number = unicodedata.normalize("NFKC", typed)
        if number.isdigit() and 1 <= int(number) <= len(self._choices):
            return self._choices[int(number) - 1].payload
        return None


async def _chat(holder: KbHolder, config: Config, *, user: str, poll: float) -> None:
    async with opened_store(config) as store:
        screen = Screen(sys.stdout)
        outbox = Outbox(store, utc_now)
        conv = Conversation(holder, store, config, alerts=_print_alert)
        await outbox.recover(CHANNEL, chat_id=user)
        await outbox.send_replies(CHANNEL, user, [conv.welcome()], screen.show)
        poller = asyncio.create_task(_poll(outbox, user, screen, poll))
        try:
            await _read_loop(conv, outbox, screen, user)
        finally:
            poller.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await poller


async def _read_loop(conv: Conversation, outbox: Outbox, screen: Screen, user: str) -> None:
    lines = _stdin_reader()
    number = 0
    while True:
        if sys.stdin.isatty():
            print("you> ", end="", flush=True)
        line = await lines.get()
        if not line or line.strip() in QUIT:  # "" is end of input
            return
        text = line.strip()
        if not text:
            continue
        number += 1
        payload = screen.payload_for(text)
        kind: Literal["text", "choice", "command"]
        if payload is not None:
            kind, text = "choice", payload
        elif text.startswith("/") and len(text) > 1 and " " not in text:
            kind, text = "command", text[1:].lower()  # /menu, /help, /staff, /forget
        else:
            kind = "text"
        msg = IncomingMessage(
            channel=CHANNEL,
            user_id=user,
            chat_id=user,
            text=text,
            message_id=str(number),
            kind=kind,
        )
        replies = await conv.handle(msg)
        await outbox.send_replies(CHANNEL, user, replies, screen.show)


async def _poll(outbox: Outbox, user: str, screen: Screen, interval: float) -> None:
    """Show staff replies queued by `faqbot tickets reply` from another terminal."""
    while True:
        await asyncio.sleep(interval)
        await outbox.deliver(CHANNEL, screen.show, chat_id=user)


async def _print_alert(alert: StaffAlert) -> None:
    # Staff see this, not the patient: stderr keeps the patient's view on stdout clean.
    kind = "緊急" if alert.urgent else "通知"
    print(f"[スタッフ{kind}] チケット #{alert.ticket_id}", file=sys.stderr, flush=True)


def _stdin_reader() -> asyncio.Queue[str]:
    """Lines from stdin ("" at the end), read by a daemon thread.

    A daemon thread rather than `asyncio.to_thread`: a read blocked on the terminal
    must not keep the process alive after Ctrl-C.
    """
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[str] = asyncio.Queue()

    def read() -> None:
        try:
            for line in sys.stdin:
                loop.call_soon_threadsafe(queue.put_nowait, line)
            loop.call_soon_threadsafe(queue.put_nowait, "")
        except RuntimeError:  # the chat ended (/quit) and closed its loop first
            return

    threading.Thread(target=read, name="stdin", daemon=True).start()
    return queue
