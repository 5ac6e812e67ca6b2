"""Any Unicode a patient or an admin can send yields a decision or a clear problem, never a crash."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from faq.compliance import find_claims
from faq.decision import Action
from faq.loader import Problem, load_kb, validate
from faq.matcher import Matcher
from faq.model import KnowledgeBase
from faq.normalize import Normalizer, fold
from tests.faq.conftest import ENTRIES, TEXTS, TRIAGE

# Printable text, plus what careless or hostile input carries: controls, lone
# surrogates, combining marks, bidi overrides, zero-width and emoji joiners.
HOSTILE = "\x00\x07\x1b\x7f\u0085\u200b\u200d\u202e\u2066\ufeff\ufffd\u0301\u0308\u3099"
CHARS = st.one_of(
    st.characters(),
    st.integers(0xD800, 0xDFFF).map(chr),
    st.sampled_from(HOSTILE),
    st.sampled_from("妊娠副作用お酒献血ｲｿﾄﾚ胸が痛い最高絶対円%"),
)
TEXT = st.text(CHARS, max_size=300)
LONG = "妊娠中に飲んでもいいですか" * 7_693  # 100,009 characters
ODD = [
    "\u202eتسيلا ؟ةيودلا\u202c",  # right-to-left with an override
    "e\u0301" * 2_000,  # a combining mark on every letter
    "\ud800\udfff\udc00",  # lone surrogates, which cannot be UTF-8 encoded
    "\x00\x01\x02\x1b[31m",
    "",
]
# No example database: nothing is written into the working tree.
BOUNDED = settings(
    max_examples=40, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow]
)


@pytest.fixture(scope="module")
def kb() -> KnowledgeBase:
    return load_kb()


@pytest.fixture(scope="module")
def matcher(kb: KnowledgeBase) -> Matcher:
    return Matcher(kb)


@pytest.fixture(scope="module")
def normalizer(kb: KnowledgeBase) -> Normalizer:
    return Normalizer(kb.synonyms)


@pytest.fixture(scope="module")
def kb_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small valid knowledge base; each example rewrites one file of it."""
    root = tmp_path_factory.mktemp("kb")
    (root / "texts.yaml").write_text(TEXTS, encoding="utf-8")
    (root / "triage.yaml").write_text(TRIAGE, encoding="utf-8")
    return root


@BOUNDED
@given(text=TEXT)
@example(text=LONG)
@example(text=ODD[0])
@example(text=ODD[1])
@example(text=ODD[2])
@example(text=ODD[3])
def test_fold_gives_single_spaced_text(text: str) -> None:
    folded = fold(text)
    assert folded == " ".join(folded.split())


@BOUNDED
@given(text=TEXT)
@example(text=LONG)
@example(text=ODD[1])
@example(text=ODD[2])
def test_analysis_is_consistent_for_any_text(normalizer: Normalizer, text: str) -> None:
    analysis = normalizer.analyse(text)
    assert analysis.compact == analysis.surface.replace(" ", "")
    assert " " not in analysis.reading


@BOUNDED
@given(text=TEXT)
@example(text=LONG)
@example(text=ODD[0])
@example(text=ODD[1])
@example(text=ODD[2])
@example(text=ODD[3])
@example(text=ODD[4])
def test_matcher_decides_on_any_text(matcher: Matcher, kb: KnowledgeBase, text: str) -> None:
    decision = matcher.decide(text)
    assert decision.action in set(Action)
    assert 0.0 <= decision.score <= 1.0
    if decision.action is Action.ANSWER:
        assert kb.entry(decision.faq_id or "") is not None
    if decision.action is Action.URGENT:  # a rule by its id, or the detector
        rule = decision.rule_id in {r.id for r in kb.red_flags}
        assert rule or decision.reason.startswith("red-flag detector ")


def test_a_long_message_still_finds_a_red_flag(matcher: Matcher) -> None:
    message = "こんにちは。" * 20_000 + "胸が痛い"
    assert matcher.decide(message).action is Action.URGENT


@BOUNDED
@given(text=TEXT)
@example(text="絶対" * 50_000)
def test_claim_check_gives_located_labels(text: str) -> None:
    lines = max(1, len(text.splitlines()))
    for offset, label in find_claims(text):
        assert 0 <= offset < lines
        assert label


@BOUNDED
@given(content=TEXT)
@example(content="a: &x [*x]")
@example(content="entries: [" * 1_000)
@example(content="!!python/name:os.system")
@example(content="\ud800: 1")
def test_validator_reports_any_file_content(kb_root: Path, content: str) -> None:
    file = kb_root / "entries.yaml"
    file.write_bytes(content.encode("utf-8", "surrogatepass"))
    problems = validate(kb_root)
    assert all(isinstance(p, Problem) and str(p) for p in problems)
    assert any(p.level == "error" for p in problems) or load_kb(kb_root).entries


@BOUNDED
@given(answer=TEXT)
@example(answer=LONG[:4_000])
@example(answer=ODD[2])
@example(answer="当院は日本一です")
def test_validator_reports_or_keeps_any_answer(kb_root: Path, answer: str) -> None:
    entries = yaml.safe_load(ENTRIES)
    entries["entries"][0]["answer"] = answer
    (kb_root / "entries.yaml").write_text(json.dumps(entries), encoding="utf-8")
    problems = validate(kb_root)
    errors = [p for p in problems if p.level == "error"]
    if errors:
        assert all(p.file.endswith(".yaml") for p in errors)
    else:
        loaded = load_kb(kb_root).entry("alcohol")
        assert loaded is not None and loaded.answer == answer.strip()
