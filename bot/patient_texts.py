"""Patient-facing sentences the knowledge base's texts.yaml does not have yet.

They belong in faq/kb/texts.yaml (owned by the knowledge-base maintainers); until the
`Texts` model has these keys, the bot uses them from here.
"""

from __future__ import annotations

from bot.messages import AttachmentKind

MENU_PROMPT = "ご質問のテーマを選んでください。"
CATEGORY_PROMPT = "「{category}」についてのよくあるご質問です。"
HELP_COMMANDS = (
    "メッセージでご質問を送るか、次のコマンドをお使いください。\n"
    "/menu テーマからご質問を選ぶ\n"
    "/staff クリニックのスタッフに相談する\n"
    "/forget 保存されているあなたのデータを削除する"
)
FORGET_CONFIRM = (
    "このチャットで保存しているあなたのデータ（ご質問、スタッフとのやりとり）をすべて削除します。"
    "よろしいですか？削除すると元に戻せません。"
)
BUTTON_FORGET_YES = "削除する"
BUTTON_FORGET_NO = "やめる"
FORGET_DONE = "あなたのデータを削除しました。ご利用ありがとうございました。"
FORGET_CANCELLED = "削除を取りやめました。"

# How a file the patient sent appears in the ticket's thread (staff see the file itself).
ATTACHMENT_LABELS: dict[AttachmentKind, str] = {
    "photo": "［写真］",
    "document": "［ファイル］",
    "voice": "［音声］",
    "video": "［動画］",
}
