"""Load with faults: patients in bursts while the fake Bot API answers 429, 500 and timeouts.

The suite runs 30 patients × 10 messages with 6 s of faults. The full run, 100 patients ×
20 messages with 20 s of faults:

    FAQBOT_FULL_FAULTS=1 .venv/bin/pytest tests/faults/test_load_faults.py
    .venv/bin/python -m tests.faults.load --patients 100 --messages 20 [--seed N]

The seed is printed (and named in any failure); FAQBOT_FAULTS_SEED=N repeats a run.
"""

from __future__ import annotations

import asyncio
import os
import random

import pytest

from tests.faults.load import LoadPlan, LoadResult, load_with_faults

FULL = os.environ.get("FAQBOT_FULL_FAULTS") == "1"
SEED = int(os.environ.get("FAQBOT_FAULTS_SEED") or random.randrange(2**32))
PLAN = (
    LoadPlan(100, 20, SEED, fault_seconds=20.0, timeout=600.0) if FULL else LoadPlan(30, 10, SEED)
)
RSS_MARGIN_KIB = 16 * 1024  # allocator noise on top of the 30 % allowed growth
# The run happens in the fixture of whichever test comes first.
pytestmark = pytest.mark.timeout(3600 if FULL else 150)


@pytest.fixture(scope="module")
def result(tmp_path_factory: pytest.TempPathFactory) -> LoadResult:
    """One run for the whole module (its own event loop): the tests read its outcome."""
    return asyncio.run(load_with_faults(tmp_path_factory.mktemp("load"), PLAN))


def test_every_message_is_answered_once_and_the_outbox_drains(result: LoadResult) -> None:
    assert result.problems == [], result.summary()
    assert result.answered == PLAN.patients * PLAN.messages, result.summary()


def test_the_fake_failed_sends_with_429_500_and_timeouts(result: LoadResult) -> None:
    kinds = {kind for (method, kind), n in result.injected.items() if method == "sendMessage"}
    assert kinds == {"retry_after", "server_error", "timeout"}, result.summary()


def test_memory_stays_flat(result: LoadResult) -> None:
    assert len(result.rss_kib) >= 12, result.summary()  # enough samples for thirds
    limit = result.first_third_peak * 1.3 + RSS_MARGIN_KIB
    assert result.last_third_peak < limit, result.summary()
