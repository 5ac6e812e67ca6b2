"""Jinja filters of the console: clinic-local times, ages, channel and author labels."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import jinja2

from bot.clock import Clock
from bot.records import Author

CHANNELS = {"telegram": "Telegram", "line": "LINE", "local": "ローカル"}
AUTHORS = {
    Author.PATIENT: "患者",
    Author.STAFF: "スタッフ",
    Author.BOT: "ボット",
    Author.NOTE: "メモ",
}


def age(since: datetime, now: datetime) -> str:
    """How long ago, in the words staff use: 5分, 2時間10分, 3日."""
    minutes = max(0, int((now - since).total_seconds() // 60))
    if minutes < 60:
        return f"{minutes}分"
    if minutes < 24 * 60:
        return f"{minutes // 60}時間{minutes % 60}分"
    return f"{minutes // (24 * 60)}日"


def install(env: jinja2.Environment, tz: ZoneInfo, clock: Clock) -> None:
    env.filters["local"] = lambda moment: moment.astimezone(tz).strftime("%m/%d %H:%M")
    env.filters["age"] = lambda since: age(since, clock())
    env.filters["channel"] = lambda name: CHANNELS.get(name, name)
    env.filters["author"] = lambda author: AUTHORS.get(author, str(author))
