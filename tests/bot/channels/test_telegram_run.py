"""`faqbot run --config PATH` as a real process: it answers, and SIGTERM stops it cleanly."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

import yaml

from tests.bot.channels.conftest import ALICE, STAFF_CHAT
from tests.fakes.telegram_api import TOKEN, FakeTelegram


async def test_run_serves_patients_until_terminated(
    fake: FakeTelegram, tmp_path: Path, kb_file: Path
) -> None:
    config = tmp_path / "config.yaml"
    settings = {
        "faq": {"path": str(kb_file)},
        "storage": {"path": "bot.sqlite3"},
        "telegram": {
            "base_url": fake.base_url,
            "staff_chat_id": STAFF_CHAT,
            "poll_timeout": 1,
        },
    }
    config.write_text(yaml.safe_dump(settings), encoding="utf-8")
    env = {**os.environ, "TELEGRAM_BOT_TOKEN": TOKEN, "PYTHONIOENCODING": "utf-8"}
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot.cli", "-v", "run", "--config", str(config),
        cwd=tmp_path, env=env, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    try:
        await fake.push(fake.message_update(ALICE, ALICE.id, text="お酒を飲んでもいいですか？"))
        await fake.wait_until(lambda: bool(fake.sent_to(ALICE.id)), timeout=30)
        notice = fake.sent_to(ALICE.id)[0]  # what is stored and why: agreed, then answered
        await fake.push(fake.callback_update(ALICE, notice, "consent:yes"))
        await fake.wait_until(lambda: len(fake.sent_to(ALICE.id)) >= 3, timeout=30)
    finally:
        process.send_signal(signal.SIGTERM)
        _, stderr = await asyncio.wait_for(process.communicate(), 30)
    assert (fake.sent_to(ALICE.id)[2].text or "").startswith("服用中の飲酒は控えてください。")
    assert process.returncode == 0, stderr.decode()
    log = stderr.decode()
    assert TOKEN not in log and "お酒" not in log  # no token, no patient text in the log
    assert "telegram: started in polling mode as @clinic_faq_bot" in log
