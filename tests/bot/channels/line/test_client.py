"""LINE's error answers as the channel's errors: what is retried, what is given up."""

from __future__ import annotations

import pytest

from bot.channels.line.client import (
    AlreadyAccepted,
    InvalidReplyToken,
    LineError,
    LineRefused,
    QuotaExceeded,
    error_of,
)
from bot.outbox import PermanentFailure


@pytest.mark.parametrize(
    ("status", "body", "expected", "permanent"),
    [
        (429, '{"message":"You have reached your monthly limit."}', QuotaExceeded, True),
        (429, '{"message":"Too Many Requests"}', LineError, False),
        (409, '{"message":"The retry key is already accepted"}', AlreadyAccepted, False),
        (400, '{"message":"Invalid reply token"}', InvalidReplyToken, True),
        (400, '{"message":"The request body has 1 error(s)"}', LineRefused, True),
        (401, '{"message":"Authentication failed."}', LineError, False),
        (500, "<html>Internal Server Error</html>", LineError, False),
    ],
    ids=[
        "quota",
        "rate limit",
        "retry key used",
        "reply token",
        "bad request",
        "access token",
        "server error",
    ],
)
def test_errors_are_classified(
    status: int, body: str, expected: type[LineError], permanent: bool
) -> None:
    error = error_of(status, body)
    assert type(error) is expected
    assert isinstance(error, PermanentFailure) is permanent
