"""Choice payloads: what we issue parses back; anything else is None."""

from __future__ import annotations

import pytest

from bot.messages import (
    FaqChoice,
    FeedbackChoice,
    HandoverChoice,
    IncomingMessage,
    Payload,
    faq_payload,
    feedback_payload,
    handover_payload,
    parse_payload,
)


@pytest.mark.parametrize(
    ("payload", "expected"),
    [
        (faq_payload("alcohol"), FaqChoice("alcohol")),
        (feedback_payload(12, helpful=True), FeedbackChoice(12, helpful=True)),
        (feedback_payload(12, helpful=False), FeedbackChoice(12, helpful=False)),
        (handover_payload(), HandoverChoice(None)),
        (handover_payload(5), HandoverChoice(5)),
    ],
    ids=["faq", "helpful", "not-helpful", "handover", "handover-question"],
)
def test_issued_payloads_parse_back(payload: str, expected: Payload) -> None:
    assert parse_payload(payload) == expected


@pytest.mark.parametrize(
    "payload",
    ["faq:", "feedback:x:helpful", "feedback:3:maybe", "handover:me", "hello", ""],
)
def test_other_payloads_are_none(payload: str) -> None:
    assert parse_payload(payload) is None


def test_payloads_fit_telegram_callback_data() -> None:
    assert len(feedback_payload(10**12, helpful=False).encode()) <= 64


def test_message_repr_leaves_out_what_the_patient_wrote() -> None:
    msg = IncomingMessage("test", "u1", "c1", "妊娠しています", "m1", display_name="山田花子")
    assert "妊娠" not in repr(msg)
    assert "山田" not in repr(msg)
