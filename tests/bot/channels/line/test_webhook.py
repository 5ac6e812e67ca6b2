"""The webhook: only requests LINE signed are stored; anything else is refused unread."""

from __future__ import annotations

import logging

import pytest

from tests.bot.channels.line.conftest import Line
from tests.fakes import line_events
from tests.fakes.line_events import sign

SECRET_QUESTION = "妊娠しているかもしれません"


def text_event(line: Line, text: str = SECRET_QUESTION) -> line_events.JSON:
    user = "U0000000000000000000000000000a11ce"
    return line_events.event(
        "message",
        user,
        timestamp_ms=line.clock.ms(),
        reply_token=line.fake.issue_reply_token(user),
        message=line_events.text_message(text),
    )


async def test_a_signed_request_is_stored_and_answered_200(line: Line) -> None:
    event = text_event(line, "お酒を飲んでもいいですか？")
    assert await line.fake.post_webhook(line.webhook_url, [event]) == 200
    assert [key for key, _ in await line.inbox()] == [event["webhookEventId"]]


@pytest.mark.parametrize(
    "signature",
    [
        "",
        sign(b'{"destination":"U1","events":[]}'),
        sign(line_events.webhook_body([]), "another channel's secret"),
    ],
    ids=["missing", "for another body", "with another secret"],
)
async def test_an_unsigned_or_forged_request_is_refused_and_logged_without_its_body(
    line: Line, signature: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    status = await line.fake.post_webhook(line.webhook_url, [text_event(line)], signature=signature)
    assert status == 400
    assert await line.inbox() == []
    assert "signature refused" in caplog.text
    assert SECRET_QUESTION not in caplog.text


async def test_a_body_changed_after_signing_is_refused(line: Line) -> None:
    body = line_events.webhook_body([text_event(line)])
    status = await line.fake.post_webhook(
        line.webhook_url, [], body=body.replace(b"U0000", b"U9999"), signature=sign(body)
    )
    assert status == 400
    assert await line.inbox() == []


async def test_a_signed_body_that_is_no_webhook_payload_is_refused(line: Line) -> None:
    body = b"not json"
    assert await line.fake.post_webhook(line.webhook_url, [], body=body) == 400


async def test_the_consoles_verify_request_without_events_is_answered_200(line: Line) -> None:
    assert await line.fake.post_webhook(line.webhook_url, []) == 200
    assert await line.inbox() == []
