"""Importing an existing FAQ (JSON lines) as a knowledge base: ids kept, errors located."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from faq.importer import (
    FaqImportError,
    bundled_texts,
    import_faq,
    read_faq,
    sanitise_id,
    to_knowledge_base,
)
from faq.loader import load_kb, validate
from faq.matcher import Matcher
from faq.model import MAX_ANSWER_CHARS

PARKING = {
    "id": "parking",
    "question": "駐車場はありますか？",
    "answer": "はい、10台分あります。\n近くにコインパーキングもあります。",
    "phrasings": ["車で行けますか"],
    "category": "アクセス",
}
HOURS = {"id": "hours", "question": "診療時間は何時までですか？", "answer": "18時までです。"}


def faq_file(tmp_path: Path, *rows: object, name: str = "faq.jsonl") -> Path:
    path = tmp_path / name
    path.write_text(
        "".join(
            (row if isinstance(row, str) else json.dumps(row, ensure_ascii=False)) + "\n"
            for row in rows
        ),
        encoding="utf-8",
    )
    return path


def test_written_file_loads_back_to_the_same_entries(tmp_path: Path) -> None:
    out = tmp_path / "kb.yaml"
    import_faq(faq_file(tmp_path, PARKING, HOURS), out)
    kb = load_kb(out)
    parking, hours = kb.entries
    assert (parking.id, parking.category, parking.question) == (
        "parking",
        "アクセス",
        "駐車場はありますか？",
    )
    assert parking.phrasings == ("車で行けますか",)
    assert parking.answer == "はい、10台分あります。\n近くにコインパーキングもあります。"
    assert (hours.id, hours.category, hours.phrasings) == ("hours", "その他", ())


def test_written_file_has_the_bundled_texts_and_validates(tmp_path: Path) -> None:
    out = tmp_path / "kb.yaml"
    import_faq(faq_file(tmp_path, PARKING, HOURS), out)
    assert load_kb(out).texts == load_kb().texts  # the bundled knowledge base's
    assert validate(out) == []


def test_answers_are_written_as_blocks_an_admin_can_edit(tmp_path: Path) -> None:
    out = tmp_path / "kb.yaml"
    import_faq(faq_file(tmp_path, PARKING), out)
    assert (
        "    answer: |-\n      はい、10台分あります。\n      近くにコインパーキングもあります。\n"
        in out.read_text(encoding="utf-8")
    )


def test_the_matcher_answers_from_an_imported_knowledge_base(tmp_path: Path) -> None:
    imported = read_faq(faq_file(tmp_path, PARKING, HOURS))
    matcher = Matcher(to_knowledge_base(imported, bundled_texts()))
    assert matcher.decide("車で行けますか？").faq_id == "parking"


def test_invalid_id_is_an_error_naming_file_and_line(tmp_path: Path) -> None:
    path = faq_file(tmp_path, HOURS, {**PARKING, "id": "Q-1"})
    with pytest.raises(FaqImportError) as caught:
        read_faq(path)
    assert caught.value.problems == [
        f"{path}:2: id 'Q-1' is not lower-case letters, digits and _ starting with a letter;"
        " rename it, or import with --map-ids to map such ids"
    ]


def test_mapped_ids_are_reported(tmp_path: Path) -> None:
    imported = read_faq(
        faq_file(tmp_path, {**PARKING, "id": "Q-1"}, {**HOURS, "id": 12}, HOURS | {"id": "ok"}),
        map_ids=True,
    )
    assert [e.id for e in imported.entries] == ["q_1", "q_12", "ok"]
    assert imported.renamed == {"Q-1": "q_1", "12": "q_12"}


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Q-1", "q_1"),
        ("12", "q_12"),
        ("FAQ 3.2", "faq_3_2"),
        ("ｆａｑ１", "faq1"),
        ("よくある", "q"),
    ],
    ids=["dash", "digits", "spaces-and-dots", "full-width", "no-latin"],
)
def test_sanitised_ids_are_valid(raw: str, expected: str) -> None:
    assert sanitise_id(raw) == expected


def test_ids_that_map_to_the_same_id_are_an_error(tmp_path: Path) -> None:
    path = faq_file(tmp_path, {**PARKING, "id": "Q-1"}, {**HOURS, "id": "q 1"})
    with pytest.raises(FaqImportError) as caught:
        read_faq(path, map_ids=True)
    assert caught.value.problems == [
        f"{path}:2: duplicate id 'q_1' (mapped from 'q 1'), first on line 1"
    ]


def test_every_bad_line_is_reported_at_once(tmp_path: Path) -> None:
    path = faq_file(
        tmp_path,
        PARKING,
        "not json",
        "",
        ["a list"],
        {"id": "price", "question": "料金は？"},
        {**HOURS, "phrasing": ["typo"]},
        {**HOURS, "answer": "x" * (MAX_ANSWER_CHARS + 1)},
        {**HOURS, "question": " "},
        PARKING,
    )
    with pytest.raises(FaqImportError) as caught:
        read_faq(path)
    assert caught.value.problems == [
        f"{path}:2: not JSON (Expecting value)",
        f"{path}:4: expected a JSON object",
        f"{path}:5: missing answer",
        f"{path}:6: unknown field(s) phrasing (known: id, question, answer, phrasings,"
        " keywords, category)",
        f"{path}:7: answer: too long (over 4096 characters, Telegram's limit)",
        f"{path}:8: duplicate id 'hours', first on line 7",
        f"{path}:9: duplicate id 'parking', first on line 1",
    ]


def test_an_empty_question_is_an_error(tmp_path: Path) -> None:
    path = faq_file(tmp_path, {**HOURS, "question": " "})
    with pytest.raises(FaqImportError) as caught:
        read_faq(path)
    assert caught.value.problems == [f"{path}:1: question: must not be empty"]


def test_a_file_without_entries_is_an_error(tmp_path: Path) -> None:
    path = faq_file(tmp_path, "")
    with pytest.raises(FaqImportError) as caught:
        read_faq(path)
    assert caught.value.problems == [f"{path}: no FAQ lines"]
