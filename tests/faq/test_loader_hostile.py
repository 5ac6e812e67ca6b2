"""Hostile or careless YAML: refused with file and line, and the running bot keeps the last good KB."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from bot.kb_holder import KbHolder
from faq.decision import Action
from faq.loader import Problem, load_kb, validate
from faq.safe_yaml import MAX_FILE_BYTES
from tests.faq.conftest import ENTRIES, TRIAGE

BILLION_LAUGHS = """\
a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]
b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]
c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]
d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]
e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d]
f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e]
g: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f]
h: &h [*g, *g, *g, *g, *g, *g, *g, *g, *g]
i: &i [*h, *h, *h, *h, *h, *h, *h, *h, *h]
"""


def errors(path: Path) -> list[Problem]:
    return [p for p in validate(path) if p.level == "error"]


def test_duplicate_key_in_an_entry_is_named_with_both_lines(kb_dir: Path) -> None:
    entries = kb_dir / "entries.yaml"
    entries.write_text(
        ENTRIES.replace(
            "    answer: 控えてください。\n",
            "    answer: 控えてください。\n    answer: 飲めます。\n",
        ),
        encoding="utf-8",
    )
    [problem] = errors(kb_dir)
    assert (problem.file, problem.line) == (str(entries), 9)
    assert problem.message == "duplicate key 'answer' (first at line 8)"


def test_duplicate_section_across_one_file_is_named(kb_dir: Path) -> None:
    triage = kb_dir / "triage.yaml"
    triage.write_text(TRIAGE + "synonyms:\n  - [献血, けんけつ]\n", encoding="utf-8")
    [problem] = errors(kb_dir)
    assert (problem.file, problem.line, problem.message) == (
        str(triage),
        16,
        "duplicate key 'synonyms' (first at line 10)",
    )


def test_duplicate_key_in_a_flow_mapping_on_one_line(kb_dir: Path) -> None:
    (kb_dir / "extra.yaml").write_text("texts: {welcome: a, welcome: b}\n", encoding="utf-8")
    [problem] = errors(kb_dir)
    assert (problem.line, problem.message) == (1, "duplicate key 'welcome' (first at line 1)")


def test_anchor_and_alias_are_refused_at_their_lines(kb_dir: Path) -> None:
    entries = kb_dir / "entries.yaml"
    entries.write_text(
        ENTRIES.replace("answer: 控えてください。", "answer: &same 控えてください。").replace(
            "answer: 服用中と服用後1ヶ月はできません。", "answer: *same"
        ),
        encoding="utf-8",
    )
    problems = errors(kb_dir)
    assert [(p.file, p.line) for p in problems] == [(str(entries), 8), (str(entries), 15)]
    assert problems[0].message.startswith("YAML anchor &same is not allowed")
    assert problems[1].message.startswith("YAML alias *same is not allowed")


def test_entity_expansion_bomb_is_refused_without_expanding(kb_dir: Path) -> None:
    bomb = kb_dir / "bomb.yaml"
    bomb.write_text(BILLION_LAUGHS, encoding="utf-8")
    started = time.perf_counter()
    problems = errors(kb_dir)
    assert time.perf_counter() - started < 5  # expanded, it would be 387 million strings
    assert {p.file for p in problems} == {str(bomb)}
    assert problems[0].line == 1
    assert problems[-1].message == "76 more anchors/aliases"  # 9 anchors, 72 aliases


def test_oversized_file_is_refused_before_reading(kb_dir: Path) -> None:
    big = kb_dir / "big.yaml"
    big.write_bytes(b"# " + b"x" * MAX_FILE_BYTES + b"\n")
    [problem] = errors(kb_dir)
    assert (problem.file, problem.line) == (str(big), None)
    assert (
        problem.message == f"file too large ({MAX_FILE_BYTES + 3:,} bytes; the limit is 1,000,000)"
    )


def test_non_utf8_bytes_are_named_with_their_line(kb_dir: Path) -> None:
    entries = kb_dir / "entries.yaml"
    entries.write_bytes(
        ENTRIES.replace("控えてください。", "控え\udcffてください。").encode(
            "utf-8", "surrogateescape"
        )
    )
    [problem] = errors(kb_dir)
    assert (problem.file, problem.line) == (str(entries), 8)
    assert problem.message == "not UTF-8 text (byte 0xff); save the file as UTF-8"


def test_shift_jis_file_is_refused(kb_dir: Path) -> None:
    entries = kb_dir / "entries.yaml"
    entries.write_bytes(ENTRIES.encode("shift_jis"))
    [problem] = errors(kb_dir)
    assert problem.file == str(entries)
    assert problem.message.startswith("not UTF-8 text")


def test_deep_nesting_is_an_error_not_a_crash(kb_dir: Path) -> None:
    (kb_dir / "deep.yaml").write_text("x: " + "[" * 50_000 + "]" * 50_000 + "\n")
    started = time.perf_counter()
    [problem] = errors(kb_dir)
    assert time.perf_counter() - started < 5
    assert (problem.line, problem.message) == (1, "nested too deeply")


def test_python_tags_are_refused(kb_dir: Path) -> None:
    (kb_dir / "evil.yaml").write_text("x: !!python/object/apply:os.system ['true']\n")
    [problem] = errors(kb_dir)
    assert problem.line == 1
    assert "could not determine a constructor" in problem.message


def test_a_byte_order_mark_is_accepted(kb_dir: Path) -> None:
    (kb_dir / "entries.yaml").write_text("\ufeff" + ENTRIES, encoding="utf-8")
    assert errors(kb_dir) == []


def test_shared_text_is_used_where_a_rule_names_it(kb_dir: Path) -> None:
    (kb_dir / "triage.yaml").write_text(
        TRIAGE.replace("message: すぐに119番へ。", "message: {shared: call_119}")
        + "shared:\n  call_119: すぐに119番へ。\n",
        encoding="utf-8",
    )
    [chest] = [r for r in load_kb(kb_dir).red_flags if r.id == "chest"]
    assert chest.message == "すぐに119番へ。"


def test_unknown_shared_name_is_an_error_at_its_line(kb_dir: Path) -> None:
    triage = kb_dir / "triage.yaml"
    triage.write_text(
        TRIAGE.replace("message: すぐに119番へ。", "message: {shared: call_911}"), encoding="utf-8"
    )
    [problem] = errors(kb_dir)
    assert (problem.file, problem.line, problem.entry_id) == (str(triage), 4, "chest")
    assert problem.message == "message: no 'call_911' under `shared:`"


def test_bundled_red_flags_use_no_anchors() -> None:
    text = Path("faq/kb/red_flags.yaml").read_text(encoding="utf-8")
    assert "{shared: general_question}" in text
    assert load_kb().red_flags[0].unless  # the shared list reached the first rule


# ---------------------------------------------------------------- the running bot


@pytest.mark.parametrize(
    "hostile",
    [
        b"texts: {welcome: a, welcome: b}\n",
        BILLION_LAUGHS.encode(),
        b"# " + b"x" * MAX_FILE_BYTES,
        b"texts:\n  welcome: \xff\n",
        "entries:\n  - id: x\n    category: c\n    question: q\n    answer: 絶対に治ります\n".encode(),
    ],
    ids=["duplicate key", "anchors", "oversized", "not utf-8", "sales claim"],
)
def test_running_bot_keeps_the_last_good_kb_when_a_bad_file_appears(
    kb_dir: Path, hostile: bytes
) -> None:
    holder = KbHolder.from_path(kb_dir)
    before = holder.current
    (kb_dir / "new.yaml").write_bytes(hostile)
    problems = holder.reload()
    assert problems != []
    assert {p.file for p in problems} == {str(kb_dir / "new.yaml")}
    assert holder.current is before
    assert holder.current.matcher.decide("胸が痛い").action is Action.URGENT
