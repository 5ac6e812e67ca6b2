"""A small knowledge base written to disk, for tests that need exact control."""

from pathlib import Path

import pytest

TEXTS = """\
texts:
  welcome: ようこそ
  disclaimer: 一般的な情報です。
  clarify: もしかして
  escalation: スタッフが{eta}お答えします。
  handover: スタッフにおつなぎします。{eta}
  ticket_followup: スタッフに伝えました。
  ticket_closed: 終了しました。
  staff_reply_header: "{clinic}からの返信です"
  feedback_thanks: ありがとうございます。
  not_understood: もう一度お願いします。
  feedback_prompt: 役に立ちましたか？
  button_helpful: はい
  button_not_helpful: いいえ
  button_ask_staff: スタッフに相談
  button_none_of_these: どれも違う
  menu_prompt: テーマを選んでください。
  category_prompt: "{category}の質問です。"
  help: コマンドの説明
  forget_confirm: 削除しますか？
  button_forget_yes: 削除する
  button_forget_no: やめる
  forget_done: 削除しました。
  forget_cancelled: やめました。
"""

ENTRIES = """\
entries:
  - id: alcohol
    category: 生活
    question: お酒を飲んでもいいですか？
    phrasings:
      - 飲酒はできますか
    keywords: [お酒, 飲酒, アルコール]
    answer: 控えてください。
    related: [blood_donation]
  - id: blood_donation
    category: 生活
    question: 献血はできますか？
    phrasings: [献血していい？]
    keywords: [献血]
    answer: 服用中と服用後1ヶ月はできません。
"""

TRIAGE = """\
red_flags:
  - id: chest
    label: 胸の痛み
    message: すぐに119番へ。
    any: [胸が痛, 胸痛, むねがいた]
  - id: headache
    label: 頭痛と視覚
    message: 服用を中止してください。
    all: [[頭痛, 頭が痛], [見え, 吐]]
synonyms:
  - [飲酒, お酒, アルコール]
handover:
  - id: person
    reason: 人と話したい
    any: [スタッフと話, 有人]
"""


@pytest.fixture
def kb_dir(tmp_path: Path) -> Path:
    """A valid three-file knowledge base; tests break one file at a time."""
    root = tmp_path / "kb"
    root.mkdir()
    (root / "texts.yaml").write_text(TEXTS, encoding="utf-8")
    (root / "entries.yaml").write_text(ENTRIES, encoding="utf-8")
    (root / "triage.yaml").write_text(TRIAGE, encoding="utf-8")
    return root
