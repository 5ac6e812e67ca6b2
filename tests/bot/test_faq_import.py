"""`faqbot faq import` as an admin runs it: a JSONL file in, a knowledge base the bot uses out."""

from __future__ import annotations

import json
from pathlib import Path

from tests.bot.test_cli import BUNDLED_RED_FLAGS, faqbot

FAQ = [
    {"id": "parking", "question": "駐車場はありますか？", "answer": "はい、10台分あります。"},
    {
        "id": "Hours-1",
        "question": "診療時間は何時までですか？",
        "answer": "18時までです。",
        "phrasings": ["何時まで開いてますか"],
        "category": "受付",
    },
]


def write_faq(tmp_path: Path, rows: list[object]) -> Path:
    path = tmp_path / "faq.jsonl"
    path.write_text(
        "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows), encoding="utf-8"
    )
    return path


def test_imported_knowledge_base_validates_and_answers(tmp_path: Path) -> None:
    source, out = write_faq(tmp_path, FAQ), tmp_path / "kb.yaml"
    imported = faqbot("faq", "import", source, "--out", out, "--map-ids", cwd=tmp_path)
    assert (imported.returncode, imported.stdout) == (
        0,
        f"id 'Hours-1' → 'hours_1'\nwrote {out}: 2 entries (1 ids mapped);"
        " 0 error(s) from `faqbot faq validate`\n",
    )
    validated = faqbot("faq", "validate", out, cwd=tmp_path)
    assert validated.stdout == (
        f"OK: 2 entries, {BUNDLED_RED_FLAGS} red flags, 0 handover rules; 0 warning(s)\n"
    )
    asked = faqbot("ask", "何時まで開いてますか？", "--json", "--kb", out, cwd=tmp_path)
    assert json.loads(asked.stdout)["faq_id"] == "hours_1"


def test_errors_name_file_and_line_and_nothing_is_written(tmp_path: Path) -> None:
    source = write_faq(tmp_path, [FAQ[0], {"id": "price", "question": "料金は？"}, FAQ[1]])
    out = tmp_path / "kb.yaml"
    result = faqbot("faq", "import", source, "--out", out, cwd=tmp_path)
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        f"{source}:2: missing answer",
        f"{source}:3: id 'Hours-1' is not lower-case letters, digits and _ starting with a"
        " letter; rename it, or import with --map-ids to map such ids",
        "2 error(s); nothing written",
    ]
    assert not out.exists()


def test_an_existing_knowledge_base_is_not_overwritten_without_force(tmp_path: Path) -> None:
    source, out = write_faq(tmp_path, FAQ[:1]), tmp_path / "kb.yaml"
    out.write_text("entries: []\n", encoding="utf-8")
    refused = faqbot("faq", "import", source, "--out", out, cwd=tmp_path)
    assert (refused.returncode, refused.stderr) == (
        2,
        f"faqbot: faq import: {out} exists; use --force to overwrite it\n",
    )
    forced = faqbot("faq", "import", source, "--out", out, "--force", cwd=tmp_path)
    assert forced.returncode == 0, forced.stderr
    assert "parking" in out.read_text(encoding="utf-8")


def test_phrasings_that_collide_are_written_but_reported(tmp_path: Path) -> None:
    twins = [FAQ[0], {**FAQ[0], "id": "parking_lot", "question": "駐車場はありますか"}]
    source, out = write_faq(tmp_path, twins), tmp_path / "kb.yaml"
    result = faqbot("faq", "import", source, "--out", out, cwd=tmp_path)
    assert result.returncode == 1
    assert "[parking_lot] error: phrasing '駐車場はありますか' collides with" in result.stdout
    assert result.stdout.endswith("1 error(s) from `faqbot faq validate`\n")
    assert out.exists()
