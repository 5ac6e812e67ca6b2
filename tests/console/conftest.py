"""The console harness: the real App with its console and the fake Telegram, staff accounts,
signed-in HTTP clients, and a Playwright page on Debian's Chromium.

HTTP tests use `console` (a fresh App per test). Browser tests use `browser_console` and
`page`, which share one Chromium per module: such a module runs its tests in the module's
event loop with `pytestmark = pytest.mark.asyncio(loop_scope="module")`.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import pytest_asyncio
from playwright.async_api import Browser, Page, async_playwright

from bot.app import App
from bot.channels.telegram.client import PATIENTS
from bot.clock import utc_now
from bot.config import Config, ConsoleConfig
from bot.console.accounts import add_user
from tests.bot.channels.conftest import FAST, STAFF_CHAT, Patient, RunningClock, telegram_config
from tests.bot.conftest import KB_YAML, agreed
from tests.fakes.telegram_api import TOKEN, FakeTelegram
from tests.fakes.telegram_updates import User

REPO = Path(__file__).resolve().parents[2]
SCREENSHOTS = REPO / "artifacts" / "screenshots"
CHROMIUM = "/usr/bin/chromium"
STAFF_NAME, ADMIN_NAME = "sato", "admin"
PASSWORD = "correct horse battery"
LOGIN_ATTEMPTS = 3
ALICE = User(501, "Alice")
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@dataclass
class Console:
    """The running bot with its console; `client()` gives a signed-in HTTP session."""

    fake: FakeTelegram
    app: App
    config: Config
    clock: RunningClock
    url: str

    def patient(self, user: User = ALICE) -> Patient:
        """A patient who has agreed to what is stored (consent is not under test here)."""

        async def agree() -> None:
            uid = str(user.id)
            await agreed(self.app.store, PATIENTS, uid, uid, self.clock())

        return Patient(self.fake, user, agree)

    @asynccontextmanager
    async def client(self, name: str | None = STAFF_NAME) -> AsyncIterator[Browserless]:
        """An HTTP client with its own cookies, signed in as `name` (None: signed out)."""
        jar = aiohttp.CookieJar(unsafe=True)  # unsafe: keep cookies of an IP address
        async with aiohttp.ClientSession(self.url, cookie_jar=jar) as http:
            client = Browserless(http)
            if name is not None:
                response = await client.login(name, PASSWORD)
                assert response.status == 200, await response.text()
            yield client


class Browserless:
    """Forms as a browser sends them: the page's CSRF token is found and posted along."""

    def __init__(self, http: aiohttp.ClientSession) -> None:
        self.http = http

    async def get(self, path: str, **options: Any) -> aiohttp.ClientResponse:
        response = await self.http.get(path, **options)
        await response.read()
        return response

    async def csrf(self, path: str = "/") -> str:
        page = await (await self.get(path)).text()
        found = _CSRF.search(page)
        assert found is not None, f"no CSRF token on {path}"
        return found.group(1)

    async def login(self, name: str, password: str) -> aiohttp.ClientResponse:
        token = await self.csrf("/login")
        form = {"csrf_token": token, "name": name, "password": password, "next": "/"}
        return await self.post_raw("/login", form)

    async def post(
        self, path: str, form: dict[str, str], *, page: str = "/"
    ) -> aiohttp.ClientResponse:
        """Post a form with the CSRF token of `page`."""
        return await self.post_raw(path, {"csrf_token": await self.csrf(page), **form})

    async def post_raw(self, path: str, form: dict[str, str]) -> aiohttp.ClientResponse:
        response = await self.http.post(path, data=form)
        await response.read()
        return response


def console_config(fake: FakeTelegram, tmp_path: Path) -> Config:
    kb_file = tmp_path / "kb.yaml"
    kb_file.write_text(KB_YAML, encoding="utf-8")
    config = telegram_config(fake, tmp_path, kb_file)
    console = ConsoleConfig(
        port=0, secure_cookies=False, login_attempts=LOGIN_ATTEMPTS, refresh_seconds=1
    )
    return config.model_copy(update={"console": console})


@asynccontextmanager
async def running_console(tmp_path: Path) -> AsyncIterator[Console]:
    """Fake Telegram, the App with its console on a free port, a staff and an admin account."""
    fake = FakeTelegram(staff_chat_id=STAFF_CHAT)
    await fake.start()
    try:
        config = console_config(fake, tmp_path)
        clock = RunningClock()
        app = await App.open(config, clock=clock, tuning=replace(FAST))
        async with app:
            await add_user(app.store, STAFF_NAME, "staff", PASSWORD, utc_now)
            await add_user(app.store, ADMIN_NAME, "admin", PASSWORD, utc_now)
            assert app.console is not None
            yield Console(fake, app, config, clock, f"http://127.0.0.1:{app.console.port}")
    finally:
        await fake.stop()


@pytest.fixture
async def console(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Console]:
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", TOKEN)
    async with running_console(tmp_path) as running:
        yield running


@pytest_asyncio.fixture(loop_scope="module")
async def browser_console(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[Console]:
    """`console` for browser tests (in the module's event loop, beside its browser)."""
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", TOKEN)
    async with running_console(tmp_path) as running:
        yield running


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def browser() -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        chromium = await playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=["--no-sandbox"]
        )
        yield chromium
        await chromium.close()


@pytest_asyncio.fixture(loop_scope="module")
async def page(browser: Browser, browser_console: Console) -> AsyncIterator[Page]:
    """A fresh browser context (no cookies) on the console, 1280×800, Japanese locale."""
    context = await browser.new_context(
        base_url=browser_console.url, viewport={"width": 1280, "height": 800}, locale="ja-JP"
    )
    context.set_default_timeout(10_000)
    tab = await context.new_page()
    yield tab
    await context.close()


async def screenshot(page: Page, name: str) -> Path:
    """Save the whole page as artifacts/screenshots/NAME.png (for people to look at)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    await page.screenshot(path=str(path), full_page=True)
    return path
