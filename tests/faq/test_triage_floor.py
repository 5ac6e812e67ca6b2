"""The triage floor: every knowledge base triages with the bundled red flags, and a
clinic switches one off only by naming it."""

from pathlib import Path

import pytest

from faq.decision import Action
from faq.loader import KnowledgeBaseError, load_kb, validate
from faq.matcher import Matcher


@pytest.fixture
def clinic_kb(kb_dir: Path) -> Path:
    """A clinic's own knowledge base with no red-flag rules of its own (as an import is)."""
    (kb_dir / "triage.yaml").unlink()
    return kb_dir


def test_knowledge_base_without_red_flags_still_triages(clinic_kb: Path) -> None:
    decision = Matcher(load_kb(clinic_kb)).decide("妊娠したかもしれない")
    assert decision.action is Action.URGENT


def test_every_bundled_rule_is_loaded_into_a_clinic_knowledge_base(clinic_kb: Path) -> None:
    bundled = {flag.id for flag in load_kb().red_flags}
    assert {flag.id for flag in load_kb(clinic_kb).red_flags} == bundled


def test_switching_a_rule_off_by_name_is_reported(clinic_kb: Path) -> None:
    (clinic_kb / "local.yaml").write_text("red_flags_off: [hearing_loss]\n", encoding="utf-8")
    kb = load_kb(clinic_kb)
    assert kb.red_flags_off == ("hearing_loss",)
    assert "hearing_loss" not in {flag.id for flag in kb.red_flags}
    warnings = [str(p) for p in validate(clinic_kb) if p.level == "warning"]
    assert any("hearing_loss" in w and "switched off" in w for w in warnings)


def test_switching_off_an_unknown_rule_is_an_error(clinic_kb: Path) -> None:
    (clinic_kb / "local.yaml").write_text("red_flags_off: [no_such_rule]\n", encoding="utf-8")
    with pytest.raises(KnowledgeBaseError, match="no_such_rule"):
        load_kb(clinic_kb)


def test_a_bundled_rule_replaced_by_name_is_reported(clinic_kb: Path) -> None:
    (clinic_kb / "rules.yaml").write_text(
        "red_flags:\n  - id: chest_pain\n    label: x\n    message: y\n    any: [胸]\n",
        encoding="utf-8",
    )
    (rule,) = [r for r in load_kb(clinic_kb).red_flags if r.id == "chest_pain"]
    assert rule.any == ("胸",)
    warnings = [str(p) for p in validate(clinic_kb) if p.level == "warning"]
    assert any("chest_pain" in w and "replaces the bundled rule" in w for w in warnings)


def test_a_copy_of_the_bundle_loads_as_the_bundle(tmp_path: Path) -> None:
    bundled = Path(load_kb().sources[0]).parent
    copy = tmp_path / "copy"
    copy.mkdir()
    for file in bundled.glob("*.yaml"):
        (copy / file.name).write_bytes(file.read_bytes())
    assert load_kb(copy).red_flags == load_kb().red_flags
