"""A whole conversation logged at DEBUG by every library: no token, secret or patient words."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest

from bot.channels.telegram.client import PATIENTS
from bot.logsafety import REDACTED, RedactingFilter, install, uninstall
from tests.bot.channels.conftest import Telegram, fake, tg  # noqa: F401 (fixtures)
from tests.bot.conftest import agreed
from tests.fakes.telegram_api import TOKEN
from tests.fakes.telegram_updates import User

WEBHOOK_SECRET = "log-privacy-webhook-secret"
HANAKO = User(98765432, "花子")
LAST_NAME, USERNAME = "田中", "hanako_tanaka_77"
PHONE = "090-1234-5678"
QUESTION = f"田中花子です。電話は{PHONE}、ニキビ跡の相談をしたいです"
STAFF_REPLY = "花子様、ニキビ跡の治療は来週から可能です"
LIBRARIES = ("httpx", "httpcore", "telegram", "aiohttp", "asyncio", "linebot", "urllib3")


@pytest.fixture
def logs(caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Everything at DEBUG, through the redacting filter as the app installs it."""
    monkeypatch.setenv("TELEGRAM_WEBHOOK_SECRET", WEBHOOK_SECRET)
    caplog.set_level(0)
    for name in LIBRARIES:
        caplog.set_level(0, logger=name)
    redactor = install(TOKEN, WEBHOOK_SECRET)
    yield
    uninstall(redactor)


async def test_a_conversation_with_staff_logs_nothing_private(
    logs: None,
    tg: Telegram,  # noqa: F811
    caplog: pytest.LogCaptureFixture,
) -> None:
    redactor = install(TOKEN, WEBHOOK_SECRET)  # the call phase has its own capture handler
    hanako = tg.patient(HANAKO)
    uid = str(HANAKO.id)
    await agreed(tg.app.store, PATIENTS, uid, uid, tg.clock())  # consent is not under test
    update = tg.fake.message_update(HANAKO, HANAKO.id, text=QUESTION)
    update["message"]["from"].update(last_name=LAST_NAME, username=USERNAME)
    await tg.fake.push(update)
    assert (await hanako.receives_text()).startswith("担当スタッフが")
    topic = await tg.staff_room().receives()
    await tg.staff().says(STAFF_REPLY, topic=topic)
    assert STAFF_REPLY in await hanako.receives_text()
    uninstall(redactor)

    records = caplog.get_records("setup") + caplog.get_records("call")
    assert any(r.name.startswith("telegram") and r.levelno == logging.DEBUG for r in records)
    # every Bot API call was logged with its parameters (the patient's words among them)
    assert any(str(r.msg).startswith("Calling Bot API endpoint") for r in records)
    private = (TOKEN, "TEST-fake-token", WEBHOOK_SECRET, QUESTION, PHONE, "花子", LAST_NAME)
    leaks = [
        (r.name, r.levelname, word)
        for r in records
        if r.levelno <= logging.INFO
        for word in (*private, USERNAME, STAFF_REPLY)
        if word in r.getMessage() + (r.exc_text or "")
    ]
    assert leaks == []


def test_tokens_in_urls_bearer_tokens_and_secrets_are_redacted() -> None:
    redactor = RedactingFilter(["channel-secret-xyz"])
    record = logging.LogRecord(
        "httpx",
        logging.WARNING,
        __file__,
        1,
        "POST %s failed: %s",
        ("https://api.telegram.org/bot123:AAF-x_y/sendMessage", "channel-secret-xyz"),
        None,
    )
    assert redactor.filter(record)
    assert (
        record.getMessage()
        == f"POST https://api.telegram.org/bot{REDACTED}/sendMessage failed: {REDACTED}"
    )
    assert (
        redactor.redact("Authorization: Bearer abc.DEF-123") == f"Authorization: Bearer {REDACTED}"
    )


def test_library_debug_records_keep_their_template_only() -> None:
    record = logging.LogRecord(
        "telegram.Bot",
        logging.DEBUG,
        __file__,
        1,
        "Calling `%s` with `%s`",
        ("sendMessage", {"text": QUESTION}),
        None,
    )
    RedactingFilter().filter(record)
    assert record.getMessage() == "Calling `%s` with `%s`"


def test_our_own_records_keep_their_arguments() -> None:
    record = logging.LogRecord("bot.inbox", logging.INFO, __file__, 1, "ticket %d", (7,), None)
    RedactingFilter().filter(record)
    assert record.getMessage() == "ticket 7"
