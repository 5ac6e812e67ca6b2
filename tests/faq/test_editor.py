"""Admins' edits of the knowledge-base YAML: validated, round-trip, backed up, never half-done."""

import dataclasses
import shutil
import threading
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from faq.decision import Action
from faq.editor import EntryDraft, KbEditor, SaveResult
from faq.loader import load_kb
from faq.matcher import Matcher
from faq.model import Entry, KnowledgeBase
from tests.faq.conftest import TEXTS

DATA = Path(__file__).parent / "data" / "editor_kb"
ORIGINAL_ENTRIES = (DATA / "entries.yaml").read_text(encoding="utf-8")
ORIGINAL_LEXICON = (DATA / "lexicon.yaml").read_text(encoding="utf-8")
T0 = datetime(2026, 11, 25, 17, 45, 0, tzinfo=UTC)


class StepClock:
    """A clock that moves one second each time it is read."""

    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        current, self.now = self.now, self.now + timedelta(seconds=1)
        return current


@pytest.fixture
def kb(tmp_path: Path) -> Path:
    """A small knowledge base with admins' comments, copied so tests may write it."""
    root = tmp_path / "kb"
    shutil.copytree(DATA, root)
    (root / "texts.yaml").write_text(TEXTS, encoding="utf-8")
    return root


@pytest.fixture
def editor(kb: Path) -> KbEditor:
    return KbEditor(kb, clock=StepClock())


def snapshot(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()
    }


def draft_of(editor: KbEditor, entry_id: str) -> EntryDraft:
    listed = editor.entry(entry_id)
    assert listed is not None
    return listed.draft


# ------------------------------------------------------------------ reading


def test_entries_are_listed_with_their_file_and_line(editor: KbEditor, kb: Path) -> None:
    listed = editor.entries()
    assert [(e.draft.id, e.file, e.line) for e in listed] == [
        ("alcohol", kb / "entries.yaml", 5),
        ("blood_donation", kb / "entries.yaml", 20),
        ("sunscreen", kb / "entries.yaml", 28),
    ]
    assert listed[0].draft == EntryDraft(
        id="alcohol",
        category="生活",
        question="お酒を飲んでもいいですか？",
        answer="服用中の飲酒は控えてください。\n肝臓の検査値に影響することがあります。",
        phrasings=("飲酒はできますか", "晩酌してもいい？"),
        keywords=("お酒", "飲酒", "アルコール"),
        related=("blood_donation",),
    )


def test_draft_has_every_field_of_the_model() -> None:
    assert {f.name for f in dataclasses.fields(EntryDraft)} == set(Entry.model_fields)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("ｱﾙｺｰﾙ", ["alcohol"]),  # half-width kana in a keyword
        ("SUNSCREEN", ["sunscreen"]),  # the id, any case
        ("献血", ["blood_donation"]),
        ("検査値", ["alcohol"]),  # inside the answer
        ("晩酌", ["alcohol"]),  # a phrasing
        ("存在しない語", []),
    ],
    ids=["half-width", "id-case", "question", "answer", "phrasing", "nothing"],
)
def test_search_folds_width_and_case(editor: KbEditor, query: str, expected: list[str]) -> None:
    assert [e.draft.id for e in editor.search(query)] == expected


def test_synonym_groups_are_read_in_order(editor: KbEditor) -> None:
    assert editor.synonym_groups() == [
        ("飲酒", "お酒", "アルコール"),
        ("日焼け止め", "サンスクリーン", "sunscreen"),
    ]


# ------------------------------------------------------------------ editing


def test_edit_changes_only_the_edited_lines(editor: KbEditor, kb: Path) -> None:
    draft = draft_of(editor, "sunscreen")
    result = editor.save_entry(
        replace(draft, answer="毎朝、日焼け止めを塗ってください。"),
        original_id="sunscreen",
        author="admin",
    )
    assert result.ok
    expected = ORIGINAL_ENTRIES.replace(
        '"毎日、日焼け止めを塗ってください。"', '"毎朝、日焼け止めを塗ってください。"'
    )
    # comments above, inside and after entries, quotes and key order are all kept
    assert (kb / "entries.yaml").read_text(encoding="utf-8") == expected


def test_comments_survive_an_edit_of_every_list(editor: KbEditor, kb: Path) -> None:
    draft = draft_of(editor, "alcohol")
    edited = replace(
        draft,
        phrasings=("飲酒はできますか", "ビールは？"),
        keywords=("お酒", "飲酒"),
        answer="服用中の飲酒は控えてください。",
    )
    assert editor.save_entry(edited, original_id="alcohol", author="admin").ok
    text = (kb / "entries.yaml").read_text(encoding="utf-8")

    def comments(text: str) -> list[str]:
        return [line[line.index("#") :] for line in text.splitlines() if "#" in line]

    assert comments(text) == comments(ORIGINAL_ENTRIES)
    assert "      - ビールは？" in text  # replaced in place: its end-of-line comment stays
    assert draft_of(editor, "alcohol") == edited
    assert "    answer: |\n      服用中の飲酒は控えてください。\n    related:" in text


def test_new_phrasing_makes_the_matcher_answer(editor: KbEditor, kb: Path) -> None:
    question = "ハイボールは大丈夫？"
    assert Matcher(load_kb(kb)).decide(question).faq_id is None

    result = editor.add_phrasing("alcohol", question, author="learning")

    assert result.ok
    [change] = result.changes
    assert (change.action, change.entry_id, change.author) == ("phrasing", "alcohol", "learning")
    assert "+      - ハイボールは大丈夫？" in change.diff
    decision = Matcher(load_kb(kb)).decide(question)
    assert (decision.action, decision.faq_id) == (Action.ANSWER, "alcohol")


def test_appended_phrasing_goes_above_the_comment_on_the_next_key(
    editor: KbEditor, kb: Path
) -> None:
    assert editor.add_phrasing("alcohol", "ワインは？", author="learning").ok
    last = "      - 晩酌してもいい？  # 行末のコメント\n"
    expected = ORIGINAL_ENTRIES.replace(last, last + "      - ワインは？\n")
    assert (kb / "entries.yaml").read_text(encoding="utf-8") == expected


def test_known_phrasing_is_not_added_twice(editor: KbEditor, kb: Path) -> None:
    before = snapshot(kb)
    result = editor.add_phrasing("alcohol", "飲酒はできますか", author="learning")
    assert (result.ok, result.changes) == (True, ())
    assert snapshot(kb) == before


def test_new_entry_is_appended_after_the_last(editor: KbEditor, kb: Path) -> None:
    new = EntryDraft(
        id="tattoo",
        category="生活",
        question="タトゥーを入れてもいいですか？",
        answer="服用中と服用後6ヶ月は控えてください。\n医師にご相談ください。",
        phrasings=("刺青は大丈夫？",),
        keywords=("タトゥー", "刺青"),
        related=("alcohol",),
    )
    result = editor.save_entry(new, author="admin")
    assert result.ok
    assert result.changes[0].action == "add"
    text = (kb / "entries.yaml").read_text(encoding="utf-8")
    assert text.startswith(ORIGINAL_ENTRIES)
    assert text[len(ORIGINAL_ENTRIES) :] == (
        "  - id: tattoo\n"
        "    category: 生活\n"
        "    question: タトゥーを入れてもいいですか？\n"
        "    phrasings:\n"
        "      - 刺青は大丈夫？\n"
        "    keywords: [タトゥー, 刺青]\n"
        "    answer: |\n"
        "      服用中と服用後6ヶ月は控えてください。\n"
        "      医師にご相談ください。\n"
        "    related: [alcohol]\n"
    )
    assert load_kb(kb).entry("tattoo") is not None


def test_long_answer_is_not_wrapped(editor: KbEditor, kb: Path) -> None:
    answer = "とても長い回答です。" * 60
    draft = replace(draft_of(editor, "blood_donation"), answer=answer)
    assert editor.save_entry(draft, original_id="blood_donation", author="admin").ok
    assert f"    answer: {answer}\n" in (kb / "entries.yaml").read_text(encoding="utf-8")


def test_rename_rewrites_related_references(editor: KbEditor, kb: Path) -> None:
    draft = replace(draft_of(editor, "blood_donation"), id="donation")
    result = editor.save_entry(draft, original_id="blood_donation", author="admin")
    assert result.ok
    assert result.changes[0].action == "rename"
    loaded = load_kb(kb)
    assert [e.id for e in loaded.entries] == ["alcohol", "donation", "sunscreen"]
    alcohol = loaded.entry("alcohol")
    assert alcohol is not None and alcohol.related == ("donation",)


def test_delete_is_refused_while_another_entry_relates_to_it(editor: KbEditor, kb: Path) -> None:
    before = snapshot(kb)
    refused = editor.delete_entry("blood_donation", author="admin")
    assert not refused.ok
    assert any("unknown entry id 'blood_donation'" in p.message for p in refused.problems)
    assert snapshot(kb) == before

    assert editor.delete_entry("sunscreen", author="admin").ok
    assert [e.id for e in load_kb(kb).entries] == ["alcohol", "blood_donation"]


def test_deleted_entry_leaves_the_section_comment_above_it(editor: KbEditor, kb: Path) -> None:
    alcohol = replace(draft_of(editor, "alcohol"), related=())
    assert editor.save_entry(alcohol, original_id="alcohol", author="admin").ok
    assert editor.delete_entry("blood_donation", author="admin").ok
    text = (kb / "entries.yaml").read_text(encoding="utf-8")
    assert "  # ------------------------------------------------ 献血\n" in text
    assert "blood_donation" not in text


def test_bundled_entry_edit_changes_one_line(tmp_path: Path) -> None:
    from faq.loader import DEFAULT_KB_DIR

    root = tmp_path / "bundled"
    shutil.copytree(DEFAULT_KB_DIR, root)
    before = {p.name: p.read_text(encoding="utf-8") for p in root.glob("*.yaml")}

    result = KbEditor(root, clock=StepClock()).add_phrasing(
        "alcohol", "ハイボールなら平気？", author="a"
    )

    assert result.ok, result
    after = {p.name: p.read_text(encoding="utf-8") for p in root.glob("*.yaml")}
    assert {n for n in after if after[n] != before[n]} == {"entries.yaml"}
    added = set(after["entries.yaml"].splitlines()) - set(before["entries.yaml"].splitlines())
    assert added == {"      - ハイボールなら平気？"}
    assert len(after["entries.yaml"].splitlines()) == len(before["entries.yaml"].splitlines()) + 1


# ------------------------------------------------------------------ rejected edits


@pytest.mark.parametrize(
    ("entry_id", "change", "field", "message"),
    [
        ("blood_donation", {"id": "alcohol"}, "id", "duplicate id"),
        ("alcohol", {"id": "Alcohol-1"}, "id", "should match pattern"),
        ("alcohol", {"answer": "   "}, "answer", "must not be empty"),
        ("alcohol", {"related": ("nonexistent",)}, "related", "unknown entry id 'nonexistent'"),
        ("alcohol", {"phrasings": ("献血はできますか？",)}, "phrasings", "collides with"),
        ("blood_donation", {"question": "飲酒はできますか"}, "question", "collides with"),
        ("alcohol", {"phrasings": ("飲酒はできますか", "")}, "phrasings", "empty items"),
        ("alcohol", {"answer": "あ" * 5000}, "answer", "too long"),
    ],
    ids=[
        "duplicate-id",
        "bad-id",
        "empty-answer",
        "unknown-related",
        "phrasing-collides",
        "question-collides-earlier-entry",
        "blank-phrasing",
        "answer-too-long",
    ],
)
def test_invalid_edit_is_refused_on_its_field(
    editor: KbEditor, kb: Path, entry_id: str, change: dict[str, object], field: str, message: str
) -> None:
    before = snapshot(kb)
    draft = replace(draft_of(editor, entry_id), **change)  # type: ignore[arg-type]

    result = editor.save_entry(draft, original_id=entry_id, author="admin")

    assert not result.ok
    assert any(message in m for m in result.field_errors.get(field, [])), result
    assert result.changes == ()
    assert snapshot(kb) == before  # byte for byte, and no backup either


def test_new_entry_with_a_taken_id_is_refused(editor: KbEditor, kb: Path) -> None:
    before = snapshot(kb)
    draft = EntryDraft(id="alcohol", category="生活", question="新しい質問です", answer="回答")
    result = editor.save_entry(draft, author="admin")
    assert list(result.field_errors) == ["id"]
    assert snapshot(kb) == before


def test_preview_gives_the_candidate_without_writing(editor: KbEditor, kb: Path) -> None:
    before = snapshot(kb)
    draft = replace(draft_of(editor, "alcohol"), answer="新しい回答です。")

    candidate = editor.preview_entry(draft, original_id="alcohol")

    assert isinstance(candidate, KnowledgeBase)
    entry = candidate.entry("alcohol")
    assert entry is not None and entry.answer == "新しい回答です。"
    assert snapshot(kb) == before
    refused = editor.preview_entry(replace(draft, answer=""), original_id="alcohol")
    assert isinstance(refused, SaveResult)
    assert refused.field_errors == {"answer": ["must not be empty"]}


def test_warnings_do_not_block_a_save(editor: KbEditor) -> None:
    draft = replace(draft_of(editor, "alcohol"), reviewed_by="山田", reviewed_on="2020-01-01")
    result = editor.save_entry(draft, original_id="alcohol", author="admin")
    assert result.ok
    assert [w.entry_id for w in result.warnings] == ["alcohol"]
    assert "reviewed_on: 2020-01-01\n" in result.changes[0].diff  # a YAML date, not a string


# ------------------------------------------------------------------ backups, hand edits, locks


def test_backup_is_timestamped_and_pruned(kb: Path) -> None:
    editor = KbEditor(kb, keep_backups=2, clock=StepClock())
    originals = []
    for n in range(3):
        originals.append((kb / "entries.yaml").read_text(encoding="utf-8"))
        assert editor.add_phrasing("alcohol", f"お酒の質問その{n + 1}です", author="admin").ok
    backups = sorted((kb / ".backups").iterdir())
    assert [b.name for b in backups] == [
        "entries.yaml.20261125T174501Z",
        "entries.yaml.20261125T174502Z",
    ]
    assert [b.read_text(encoding="utf-8") for b in backups] == originals[1:]


def test_backups_dir_can_be_chosen(kb: Path, tmp_path: Path) -> None:
    editor = KbEditor(kb, backups_dir=tmp_path / "elsewhere", clock=StepClock())
    result = editor.add_phrasing("alcohol", "ワインは？", author="admin")
    assert result.changes[0].backup == tmp_path / "elsewhere" / "entries.yaml.20261125T174500Z"
    assert result.changes[0].backup.read_text(encoding="utf-8") == ORIGINAL_ENTRIES


def test_hand_edit_between_read_and_save_is_kept(editor: KbEditor, kb: Path) -> None:
    draft = draft_of(editor, "alcohol")  # the admin opens the form …
    file = kb / "entries.yaml"
    by_hand = file.read_text(encoding="utf-8").replace(
        "献血できません。", "献血できません。\n    # 手で足したコメント"
    )
    file.write_text(by_hand, encoding="utf-8")  # … someone edits the file in an editor …

    result = editor.save_entry(replace(draft, category="飲酒"), original_id="alcohol", author="a")

    assert result.ok  # … and the form's save keeps both changes
    text = file.read_text(encoding="utf-8")
    assert "    # 手で足したコメント\n" in text
    assert text == by_hand.replace("    category: 生活\n", "    category: 飲酒\n", 1)


def test_save_over_a_changed_entry_is_refused(editor: KbEditor, kb: Path) -> None:
    opened = draft_of(editor, "alcohol")
    file = kb / "entries.yaml"
    file.write_text(ORIGINAL_ENTRIES.replace("肝臓の", "肝臓などの"), encoding="utf-8")
    before = snapshot(kb)

    result = editor.save_entry(
        replace(opened, category="飲酒"), original_id="alcohol", author="a", base=opened
    )

    assert "changed in the file" in result.field_errors["id"][0]
    assert snapshot(kb) == before


def test_concurrent_saves_are_serialised(kb: Path) -> None:
    editors = [KbEditor(kb, clock=StepClock()) for _ in range(2)]  # one lock per knowledge base
    texts = [["ワインは？", "日本酒は？"], ["梅酒は？", "焼酎は？"]]
    ids = ["alcohol", "alcohol"]  # the same entry: neither save may undo the other

    def work(n: int) -> None:
        for text in texts[n]:
            assert editors[n].add_phrasing(ids[n], text, author=f"admin{n}").ok

    threads = [threading.Thread(target=work, args=(n,)) for n in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    entry = load_kb(kb).entry("alcohol")
    assert entry is not None
    assert set(entry.phrasings) == {"飲酒はできますか", "晩酌してもいい？", *texts[0], *texts[1]}


# ------------------------------------------------------------------ the lexicon


def test_lexicon_edit_keeps_comments(editor: KbEditor, kb: Path) -> None:
    groups = [
        ("飲酒", "お酒", "アルコール", "晩酌"),
        ("日焼け止め", "サンスクリーン", "sunscreen"),
        ("献血", "けんけつ"),
    ]
    result = editor.save_synonyms(groups, author="admin")
    assert result.ok
    assert (result.changes[0].action, result.changes[0].entry_id) == ("synonyms", None)
    assert (kb / "lexicon.yaml").read_text(encoding="utf-8") == (
        ORIGINAL_LEXICON.replace("アルコール]", "アルコール, 晩酌]") + "  - [献血, けんけつ]\n"
    )
    assert load_kb(kb).synonyms == tuple(groups)


def test_removing_a_group_keeps_the_admins_comments(editor: KbEditor, kb: Path) -> None:
    assert editor.save_synonyms([("日焼け止め", "サンスクリーン")], author="admin").ok
    text = (kb / "lexicon.yaml").read_text(encoding="utf-8")
    assert "  # --- 飲酒\n" in text and "  # --- 日焼け\n" in text
    assert load_kb(kb).synonyms == (("日焼け止め", "サンスクリーン"),)


def test_lexicon_word_in_two_groups_is_refused_on_its_group(editor: KbEditor, kb: Path) -> None:
    before = snapshot(kb)
    groups = [("飲酒", "お酒"), ("日焼け止め", "サンスクリーン"), ("お酒", "アルコール")]
    result = editor.save_synonyms(groups, author="admin")
    assert list(result.field_errors) == ["2"]
    assert "'お酒' is already in the group" in result.field_errors["2"][0]
    assert snapshot(kb) == before


def test_bundled_kb_files_keep_comments_and_order(tmp_path: Path) -> None:
    from faq import yaml_roundtrip as rt
    from faq.loader import DEFAULT_KB_DIR

    for file in sorted(DEFAULT_KB_DIR.glob("*.yaml")):
        text = file.read_text(encoding="utf-8")
        # only spacing inside a `[a, b]` list may change
        assert rt.dump(rt.load(text)).split() == text.split(), file.name
