"""The fake LINE API speaks well enough for line-bot-sdk's real async client."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from linebot.v3 import WebhookParser
from linebot.v3.messaging import (
    AsyncApiClient,
    AsyncMessagingApi,
    Configuration,
    PushMessageRequest,
    ReplyMessageRequest,
    TextMessage,
)
from linebot.v3.messaging.exceptions import ApiException
from linebot.v3.webhooks import MessageEvent

from tests.fakes import line_events
from tests.fakes.line_api import FailureKind, FakeLine, Profile
from tests.fakes.line_events import ACCESS_TOKEN, CHANNEL_SECRET, sign

ALICE = "U0000000000000000000000000000a11ce"
KEY = "123e4567-e89b-12d3-a456-426614174000"


@pytest.fixture
async def fake() -> AsyncIterator[FakeLine]:
    server = FakeLine()
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
async def api(fake: FakeLine) -> AsyncIterator[AsyncMessagingApi]:
    async with AsyncApiClient(Configuration(host=fake.api_url, access_token=ACCESS_TOKEN)) as c:
        yield AsyncMessagingApi(c)


def hello() -> list[TextMessage]:
    return [TextMessage(text="こんにちは")]


def test_webhook_bodies_are_signed_as_the_sdk_checks_them() -> None:
    event = line_events.event(
        "message", ALICE, timestamp_ms=1, reply_token="rt", message=line_events.text_message("やあ")
    )
    body = line_events.webhook_body([event])
    [parsed] = WebhookParser(CHANNEL_SECRET).parse(body.decode(), sign(body))
    assert isinstance(parsed, MessageEvent)
    assert (parsed.source.user_id, parsed.message.text) == (ALICE, "やあ")


async def test_a_reply_token_works_once(api: AsyncMessagingApi, fake: FakeLine) -> None:
    token = fake.issue_reply_token(ALICE)
    await api.reply_message(ReplyMessageRequest(reply_token=token, messages=hello()))
    with pytest.raises(ApiException) as refused:
        await api.reply_message(ReplyMessageRequest(reply_token=token, messages=hello()))
    assert (refused.value.status, "Invalid reply token" in refused.value.body) == (400, True)
    assert [(d.via, d.text) for d in fake.sent_to(ALICE)] == [("reply", "こんにちは")]


async def test_a_retry_key_is_accepted_once(api: AsyncMessagingApi, fake: FakeLine) -> None:
    request = PushMessageRequest(to=ALICE, messages=hello())
    await api.push_message(request, x_line_retry_key=KEY)
    with pytest.raises(ApiException) as repeated:
        await api.push_message(request, x_line_retry_key=KEY)
    assert repeated.value.status == 409
    assert len(fake.sent_to(ALICE)) == 1


@pytest.mark.parametrize(
    ("kind", "status", "message"),
    [
        ("quota", 429, "You have reached your monthly limit."),
        ("rate_limit", 429, "Too Many Requests"),
        ("server_error", 500, "Internal Server Error"),
    ],
    ids=["quota", "rate limit", "server error"],
)
async def test_pushes_fail_as_told(
    api: AsyncMessagingApi, fake: FakeLine, kind: FailureKind, status: int, message: str
) -> None:
    fake.fail("push", kind)
    with pytest.raises(ApiException) as failed:
        await api.push_message(PushMessageRequest(to=ALICE, messages=hello()))
    assert (failed.value.status, message in failed.value.body) == (status, True)
    assert fake.sent_to(ALICE) == []


async def test_a_profile_is_served(api: AsyncMessagingApi, fake: FakeLine) -> None:
    fake.profiles[ALICE] = Profile("山田花子")
    profile = await api.get_profile(ALICE)
    assert (profile.user_id, profile.display_name) == (ALICE, "山田花子")


async def test_a_wrong_access_token_is_refused(fake: FakeLine) -> None:
    async with AsyncApiClient(Configuration(host=fake.api_url, access_token="wrong")) as client:
        with pytest.raises(ApiException) as refused:
            await AsyncMessagingApi(client).get_bot_info()
    assert refused.value.status == 401
