"""Bot API JSON for the fake server: users, chats, messages and updates as Telegram sends them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

JSON = dict[str, Any]
DATE = 1_795_000_000  # a fixed Unix time; the bot uses its own clock, not Telegram's


@dataclass(frozen=True, slots=True)
class User:
    id: int
    first_name: str
    is_bot: bool = False

    def json(self) -> JSON:
        return {"id": self.id, "is_bot": self.is_bot, "first_name": self.first_name}


def chat_json(chat_id: int, *, title: str = "スタッフ", forum: bool = False) -> JSON:
    if chat_id > 0:
        return {"id": chat_id, "type": "private", "first_name": "患者"}
    chat: JSON = {"id": chat_id, "type": "supergroup", "title": title}
    if forum:
        chat["is_forum"] = True
    return chat


FILE_FIELDS = {
    "photo": lambda file_id: [
        {"file_id": file_id, "file_unique_id": f"u-{file_id}", "width": 90, "height": 90},
        {"file_id": file_id, "file_unique_id": f"u-{file_id}", "width": 800, "height": 800},
    ],
    "document": lambda file_id: {"file_id": file_id, "file_unique_id": f"u-{file_id}"},
    "voice": lambda file_id: {"file_id": file_id, "file_unique_id": f"u-{file_id}", "duration": 3},
    "video": lambda file_id: {
        "file_id": file_id,
        "file_unique_id": f"u-{file_id}",
        "width": 640,
        "height": 480,
        "duration": 3,
    },
    "sticker": lambda file_id: {
        "file_id": file_id,
        "file_unique_id": f"u-{file_id}",
        "type": "regular",
        "width": 512,
        "height": 512,
        "is_animated": False,
        "is_video": False,
    },
}


def message_json(
    message_id: int,
    chat: JSON,
    sender: JSON,
    *,
    text: str | None = None,
    caption: str | None = None,
    file: tuple[str, str] | None = None,
    thread_id: int | None = None,
    reply_to: JSON | None = None,
    reply_markup: JSON | None = None,
) -> JSON:
    """A Message object; `file` is (kind, file_id) for photo, document, voice, video, sticker."""
    message: JSON = {"message_id": message_id, "date": DATE, "chat": chat, "from": sender}
    if text is not None:
        message["text"] = text
        if text.startswith("/"):
            command = text.split()[0]
            message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(command)}]
    if caption is not None:
        message["caption"] = caption
    if file is not None:
        kind, file_id = file
        message[kind] = FILE_FIELDS[kind](file_id)
    if thread_id is not None:
        message["message_thread_id"] = thread_id
        message["is_topic_message"] = True
    if reply_to is not None:
        message["reply_to_message"] = reply_to
    if reply_markup is not None:
        message["reply_markup"] = reply_markup
    return message


def callback_json(query_id: str, user: User, message: JSON, data: str) -> JSON:
    return {
        "id": query_id,
        "from": user.json(),
        "message": message,
        "chat_instance": f"ci-{user.id}",
        "data": data,
    }


RESTRICTED_RIGHTS = (
    "can_change_info can_invite_users can_pin_messages can_send_messages can_send_polls"
    " can_send_other_messages can_add_web_page_previews can_manage_topics can_send_audios"
    " can_send_documents can_send_photos can_send_videos can_send_video_notes"
    " can_send_voice_notes can_edit_tag can_react_to_messages"
).split()


def chat_member_json(user: JSON, status: str, *, is_member: bool = True) -> JSON:
    """A ChatMember; a "restricted" one is in the group or not as `is_member` says."""
    if status == "restricted":
        denied = dict.fromkeys(RESTRICTED_RIGHTS, False)
        return {"status": status, "user": user, "is_member": is_member, "until_date": 0, **denied}
    if status == "creator":
        return {"status": status, "user": user, "is_anonymous": False}
    if status == "kicked":
        return {"status": status, "user": user, "until_date": 0}
    if status != "administrator":
        return {"status": status, "user": user}
    rights = (
        "can_manage_chat can_delete_messages can_manage_video_chats can_restrict_members"
        " can_change_info can_invite_users can_post_stories can_edit_stories"
        " can_delete_stories can_pin_messages can_manage_topics"
    ).split()
    return {
        "status": "administrator",
        "user": user,
        "can_be_edited": False,
        "is_anonymous": False,
        "can_promote_members": False,
        **dict.fromkeys(rights, True),
    }


def full_chat_json(chat: JSON) -> JSON:
    gifts = "unlimited_gifts limited_gifts unique_gifts premium_subscription gifts_from_channels"
    return {
        **chat,
        "accent_color_id": 0,
        "max_reaction_count": 11,
        "accepted_gift_types": dict.fromkeys(gifts.split(), False),
    }


def chat_member_update_json(chat: JSON, user: JSON, old: str, new: str) -> JSON:
    """A chat_member update: `user`'s status in `chat` changed from `old` to `new`."""
    return {
        "chat_member": {
            "chat": chat,
            "from": user,
            "date": DATE,
            "old_chat_member": chat_member_json(user, old),
            "new_chat_member": chat_member_json(user, new),
        }
    }
