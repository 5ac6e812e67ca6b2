"""A three-entry knowledge base built in memory, for the baselines and the bench's figures."""

from __future__ import annotations

import pytest
import yaml

from faq.model import Entry, KnowledgeBase, Texts
from tests.faq.conftest import TEXTS

ENTRIES = (
    Entry(
        id="alcohol",
        category="生活",
        question="お酒を飲んでもいいですか",
        phrasings=("飲酒はできますか",),
        keywords=("お酒",),
        answer="控えてください。",
    ),
    Entry(
        id="beer",
        category="生活",
        question="ビールは何杯まで？",
        keywords=("ビールとお酒",),
        answer="お酒と同じです。",
    ),
    Entry(
        id="sun",
        category="生活",
        question="ｻﾝｽｸﾘｰﾝは必要ですか",
        keywords=("日焼け",),
        answer="必要です。",
    ),
)


@pytest.fixture
def small_kb() -> KnowledgeBase:
    texts = Texts.model_validate(yaml.safe_load(TEXTS)["texts"])
    return KnowledgeBase(entries=ENTRIES, texts=texts)
