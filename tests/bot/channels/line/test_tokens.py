"""Reply tokens: each chat's oldest fresh token, each used once."""

from __future__ import annotations

from bot.channels.line.tokens import ReplyTokens
from tests.bot.channels.line.conftest import RunningClock


def test_a_token_is_taken_once() -> None:
    tokens = ReplyTokens(RunningClock())
    tokens.offer("alice", "rt-1")
    assert (tokens.take("alice"), tokens.take("alice")) == ("rt-1", None)


def test_tokens_are_taken_oldest_first_each_chat_its_own() -> None:
    tokens = ReplyTokens(RunningClock())
    tokens.offer("alice", "rt-1")
    tokens.offer("bob", "rt-2")
    tokens.offer("alice", "rt-3")
    assert [tokens.take("alice"), tokens.take("alice"), tokens.take("bob")] == [
        "rt-1",
        "rt-3",
        "rt-2",
    ]


def test_a_token_older_than_fifty_seconds_is_not_used() -> None:
    clock = RunningClock()
    tokens = ReplyTokens(clock)
    tokens.offer("alice", "rt-1")
    clock.skip(40)
    tokens.offer("alice", "rt-2")
    clock.skip(15)
    assert (tokens.take("alice"), tokens.take("alice")) == ("rt-2", None)
