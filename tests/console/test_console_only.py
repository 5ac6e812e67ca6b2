"""The console without any messenger: staff answer patients of `faqbot chat` on one database."""

from __future__ import annotations

import re
import signal
import subprocess
import time
import urllib.request
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest

from bot.app import App
from bot.clock import utc_now
from bot.config import Config
from bot.console.accounts import add_user
from bot.messages import IncomingMessage
from tests.bot.conftest import KB_YAML, agreed
from tests.bot.test_cli import FAQBOT, env
from tests.console.conftest import PASSWORD, STAFF_NAME, Browserless


@pytest.fixture
async def local_app(tmp_path: Path) -> AsyncIterator[App]:
    (tmp_path / "kb.yaml").write_text(KB_YAML, encoding="utf-8")
    config = Config.model_validate(
        {
            "faq": {
                "path": str(tmp_path / "kb.yaml"),
                "reload_check_seconds": 0,
                "matcher_process": False,
            },
            "storage": {"path": str(tmp_path / "db.sqlite3")},
            "console": {"port": 0, "secure_cookies": False},
        }
    )
    async with await App.open(config) as app:
        await add_user(app.store, STAFF_NAME, "staff", PASSWORD, utc_now)
        yield app


async def test_a_local_patients_ticket_is_answered_through_the_local_outbox(
    local_app: App,
) -> None:
    said = IncomingMessage("local", "local", "local", "スタッフと話したい", "1")
    await agreed(local_app.store, "local", "local", "local", utc_now())  # not under test
    await local_app.conversation.handle(said)
    assert local_app.console is not None
    url = f"http://127.0.0.1:{local_app.console.port}"
    async with aiohttp.ClientSession(url, cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
        client = Browserless(http)
        assert (await client.login(STAFF_NAME, PASSWORD)).status == 200
        queue = await (await client.get("/queue/rows")).text()
        [ticket_id] = re.findall(r'data-ticket="(\d+)"', queue)
        response = await client.post(
            f"/tickets/{ticket_id}/reply", {"text": "お電話します"}, page=f"/tickets/{ticket_id}"
        )
        assert response.status == 200
    assert "ローカル" in queue
    async with local_app.store.transaction(write=False) as tx:
        [item] = await tx.outbox.items(channel="local")
    assert item.chat_id == "local" and "お電話します" in item.reply.text


def test_faqbot_run_serves_the_console_alone(tmp_path: Path) -> None:
    (tmp_path / "config.yaml").write_text(
        "storage:\n  path: db.sqlite3\nconsole:\n  port: 0\n  secure_cookies: false\n",
        encoding="utf-8",
    )
    process = subprocess.Popen(
        [*FAQBOT, "-v", "run"], cwd=tmp_path, env=env(), stderr=subprocess.PIPE, text=True
    )
    try:
        url = _logged_url(process)
        with urllib.request.urlopen(f"{url}login", timeout=10) as response:
            assert response.status == 200
            assert "スタッフ ログイン" in response.read().decode()
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=20) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        assert process.stderr is not None
        process.stderr.close()


def _logged_url(process: subprocess.Popen[str]) -> str:
    """The console's URL from the INFO log line, within 30 s."""
    assert process.stderr is not None
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        line = process.stderr.readline()
        found = re.search(r"console: staff sign in at (http://\S+/)", line)
        if found:
            return found.group(1)
        assert line or process.poll() is None, "faqbot run ended before serving the console"
    raise AssertionError("no console URL logged")
