"""Loading and validating knowledge bases: every problem named by file, line and entry."""

from pathlib import Path

import pytest
import yaml

from faq.loader import KnowledgeBaseError, Problem, load_kb, validate
from tests.faq.conftest import ENTRIES


def errors(path: Path) -> list[Problem]:
    return [p for p in validate(path) if p.level == "error"]


def test_valid_knowledge_base_loads(kb_dir: Path) -> None:
    kb = load_kb(kb_dir)
    assert [e.id for e in kb.entries] == ["alcohol", "blood_donation"]
    assert kb.entry("alcohol") is not None
    assert errors(kb_dir) == []


def test_yaml_syntax_error_names_file_and_line(kb_dir: Path) -> None:
    broken = kb_dir / "entries.yaml"
    broken.write_text(ENTRIES.replace("    category: 生活\n", "    category: [生活\n", 1))
    [problem] = errors(kb_dir)
    assert problem.file == str(broken)
    assert problem.line == 4
    assert "YAML syntax error" in problem.message


def test_missing_field_names_entry_and_field(kb_dir: Path) -> None:
    (kb_dir / "entries.yaml").write_text(ENTRIES.replace("    answer: 控えてください。\n", ""))
    [problem] = errors(kb_dir)
    assert (problem.entry_id, problem.line) == ("alcohol", 2)
    assert problem.message == "answer: required field is missing"


def test_empty_answer_is_reported_at_its_line(kb_dir: Path) -> None:
    (kb_dir / "entries.yaml").write_text(
        ENTRIES.replace("答えます", "").replace("控えてください。", '""')
    )
    [problem] = errors(kb_dir)
    assert (problem.entry_id, problem.line, problem.message) == (
        "alcohol",
        8,
        "answer: must not be empty",
    )


def test_answer_over_telegram_limit(kb_dir: Path) -> None:
    (kb_dir / "entries.yaml").write_text(ENTRIES.replace("控えてください。", "あ" * 4097))
    [problem] = errors(kb_dir)
    assert problem.entry_id == "alcohol"
    assert "4096" in problem.message


def test_duplicate_id_points_to_the_first(kb_dir: Path) -> None:
    (kb_dir / "entries.yaml").write_text(ENTRIES.replace("id: blood_donation", "id: alcohol"))
    [problem] = [p for p in errors(kb_dir) if "duplicate" in p.message]
    assert (problem.entry_id, problem.line) == ("alcohol", 10)
    assert f"{kb_dir / 'entries.yaml'}:2" in problem.message


def test_unknown_related_id(kb_dir: Path) -> None:
    (kb_dir / "entries.yaml").write_text(
        ENTRIES.replace("related: [blood_donation]", "related: [blod]")
    )
    [problem] = errors(kb_dir)
    assert (problem.entry_id, problem.line) == ("alcohol", 9)
    assert problem.message == "related: unknown entry id 'blod'"


def test_colliding_phrasings_in_two_entries(kb_dir: Path) -> None:
    (kb_dir / "entries.yaml").write_text(
        ENTRIES.replace("[献血していい？]", "[いんしゅはできますか]")
    )
    [problem] = errors(kb_dir)
    assert (problem.entry_id, problem.line) == ("blood_donation", 13)
    assert "collides with '飲酒はできますか' of entry 'alcohol'" in problem.message


def test_missing_bot_text_is_named(kb_dir: Path) -> None:
    texts = kb_dir / "texts.yaml"
    texts.write_text(texts.read_text().replace("  clarify: もしかして\n", ""))
    [problem] = errors(kb_dir)
    assert problem.message == "texts.clarify: required field is missing"


def test_unknown_section_and_misspelt_field(kb_dir: Path) -> None:
    (kb_dir / "extra.yaml").write_text("entrys: []\n")
    (kb_dir / "entries.yaml").write_text(ENTRIES.replace("keywords: [献血]", "keyword: [献血]"))
    messages = sorted(p.message for p in errors(kb_dir))
    assert messages == ["keyword: unknown field (misspelt?)", "unknown section 'entrys'"]


def test_every_problem_is_reported_at_once(kb_dir: Path) -> None:
    broken = ENTRIES.replace("related: [blood_donation]", "related: [nope]").replace(
        "    category: 生活\n    question: 献血", "    question: 献血"
    )
    (kb_dir / "entries.yaml").write_text(broken)
    assert len(errors(kb_dir)) == 2


def test_load_raises_with_a_readable_report(kb_dir: Path) -> None:
    (kb_dir / "entries.yaml").write_text(
        ENTRIES.replace("related: [blood_donation]", "related: [x]")
    )
    with pytest.raises(KnowledgeBaseError) as raised:
        load_kb(kb_dir)
    assert (
        str(raised.value)
        == f"{kb_dir / 'entries.yaml'}:9: [alcohol] error: related: unknown entry id 'x'"
    )


def test_missing_path_is_an_error_not_a_crash(tmp_path: Path) -> None:
    [problem] = validate(tmp_path / "nope.yaml")
    assert "cannot read" in problem.message


def test_bundled_knowledge_base_is_clean_and_covers_every_topic() -> None:
    topics = yaml.safe_load(Path("tests/data/topics.yaml").read_text(encoding="utf-8"))
    kb = load_kb()
    assert set(yaml.safe_load(Path("faq/kb/entries.yaml").read_text())["entries"][0]) >= {"id"}
    assert {e.id for e in kb.entries} >= set(topics["topics"])
    assert errors(None) == []  # type: ignore[arg-type]
