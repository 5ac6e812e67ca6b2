"""/forget on LINE: typed (or sent by a rich menu button), confirmed, and nothing remains."""

from __future__ import annotations

from bot.kb_holder import Loaded
from tests.bot.channels.line.conftest import Line

ALICE = "U1234567890abcdef1234567890abcdef"


async def _rows_about(line: Line, user_id: str) -> int:
    async with line.store.transaction(write=False) as tx:
        patient = await tx.patients.find("line", user_id)
    return 0 if patient is None else 1


async def test_a_line_patient_forgets_everything_after_confirming(
    line: Line, bundled: Loaded
) -> None:
    texts = bundled.kb.texts
    alice = line.patient(ALICE)
    await alice.says("お酒は飲んでも大丈夫？")
    await alice.receives()
    assert await _rows_about(line, ALICE) == 1

    await alice.says("/forget")
    confirm = await alice.receives()
    assert confirm.text == texts.forget_confirm
    assert confirm.labels == [texts.button_forget_yes, texts.button_forget_no]
    await alice.presses(texts.button_forget_yes)

    assert await alice.receives_text() == texts.forget_done
    assert await _rows_about(line, ALICE) == 0


async def test_a_line_patient_who_cancels_keeps_their_data(line: Line, bundled: Loaded) -> None:
    texts = bundled.kb.texts
    alice = line.patient(ALICE)
    await alice.says("お酒は飲んでも大丈夫？")
    await alice.receives()
    await alice.says("/forget")
    await alice.receives()
    await alice.presses(texts.button_forget_no)

    assert await alice.receives_text() == texts.forget_cancelled
    assert await _rows_about(line, ALICE) == 1
