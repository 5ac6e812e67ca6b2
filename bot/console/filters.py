"""Jinja filters of the console: clinic-local times, ages, channel and author labels."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import jinja2

from bot.clock import Clock
from bot.records import Author
from bot.staff_feed import CHANNEL_LABELS, age

CHANNELS = {**CHANNEL_LABELS, "local": "ローカル"}
AUTHORS = {
    Author.PATIENT: "患者",
    Author.STAFF: "スタッフ",
    Author.BOT: "ボット",
    Author.NOTE: "メモ",
}


def install(env: jinja2.Environment, tz: ZoneInfo, clock: Clock) -> None:
    env.filters["local"] = lambda moment: moment.astimezone(tz).strftime("%m/%d %H:%M")
    env.filters["age"] = lambda since: age(since, clock())
    env.filters["channel"] = lambda name: CHANNELS.get(name, name)
    env.filters["author"] = lambda author: AUTHORS.get(author, str(author))
