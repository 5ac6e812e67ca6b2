"""SQL for patients and their questions and feedback, and forgetting a patient."""

from __future__ import annotations

import json
from datetime import datetime

import aiosqlite

from bot.records import (
    Patient,
    QuestionRecord,
    patient_from_row,
    question_from_row,
    to_db_time,
)
from bot.store_privacy import Erased, PrivacyRepo
from faq.decision import Decision


class PatientRepo:
    def __init__(self, conn: aiosqlite.Connection) -> None:
        self._conn = conn

    async def seen(self, channel: str, user_id: str, chat_id: str, now: datetime) -> Patient:
        """The patient, created on first contact; `last_seen_at` and `chat_id` refreshed.

        A patient who had blocked the bot and writes again is active again.
        """
        stamp = to_db_time(now)
        await self._conn.execute(
            "INSERT INTO patients (channel, user_id, chat_id, created_at, last_seen_at)"
            " VALUES (?, ?, ?, ?, ?)"
            " ON CONFLICT (channel, user_id)"
            " DO UPDATE SET chat_id = excluded.chat_id, last_seen_at = excluded.last_seen_at,"
            " inactive_since = NULL",
            (channel, user_id, chat_id, stamp, stamp),
        )
        async with self._conn.execute(
            "SELECT * FROM patients WHERE channel = ? AND user_id = ?", (channel, user_id)
        ) as cursor:
            row = await cursor.fetchone()
        assert row is not None  # just upserted
        return patient_from_row(row)

    async def set_inactive(self, channel: str, user_id: str, now: datetime) -> bool:
        """Mark the patient as having blocked the bot; False if there is no such patient.

        An earlier `inactive_since` is kept: it says since when.
        """
        cursor = await self._conn.execute(
            "UPDATE patients SET inactive_since = COALESCE(inactive_since, ?)"
            " WHERE channel = ? AND user_id = ?",
            (to_db_time(now), channel, user_id),
        )
        return cursor.rowcount > 0

    async def find(self, channel: str, user_id: str) -> Patient | None:
        async with self._conn.execute(
            "SELECT * FROM patients WHERE channel = ? AND user_id = ?", (channel, user_id)
        ) as cursor:
            row = await cursor.fetchone()
        return patient_from_row(row) if row is not None else None

    async def by_chat(self, channel: str, chat_id: str) -> Patient | None:
        async with self._conn.execute(
            "SELECT * FROM patients WHERE channel = ? AND chat_id = ?", (channel, chat_id)
        ) as cursor:
            row = await cursor.fetchone()
        return patient_from_row(row) if row is not None else None

    async def forget(self, patient: Patient) -> Erased:
        """Delete everything stored about the patient (bot/store_privacy.py says what)."""
        return await PrivacyRepo(self._conn).erase(patient)


class QuestionRepo:
    def __init__(self, conn: aiosqlite.Connection) -> None:
        self._conn = conn

    async def add(
        self, patient_id: int, text: str, decision: Decision, *, via: str, now: datetime
    ) -> int:
        """Record a question with the matcher's decision; return its id."""
        candidates = json.dumps([[c.id, round(c.score, 4)] for c in decision.candidates])
        cursor = await self._conn.execute(
            "INSERT INTO questions (patient_id, text, via, action, faq_id, score, rule_id,"
            " reason, candidates, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                patient_id,
                text,
                via,
                decision.action.value,
                decision.faq_id,
                decision.score,
                decision.rule_id,
                decision.reason,
                candidates,
                to_db_time(now),
            ),
        )
        assert cursor.lastrowid is not None
        return cursor.lastrowid

    async def get(self, question_id: int) -> QuestionRecord | None:
        async with self._conn.execute(
            "SELECT * FROM questions WHERE id = ?", (question_id,)
        ) as cursor:
            row = await cursor.fetchone()
        return question_from_row(row) if row is not None else None

    async def latest(self, patient_id: int) -> QuestionRecord | None:
        async with self._conn.execute(
            "SELECT * FROM questions WHERE patient_id = ? ORDER BY id DESC LIMIT 1",
            (patient_id,),
        ) as cursor:
            row = await cursor.fetchone()
        return question_from_row(row) if row is not None else None

    async def set_feedback(self, question_id: int, *, helpful: bool, now: datetime) -> None:
        """Record feedback; pressing the other button later changes it."""
        await self._conn.execute(
            "INSERT INTO feedback (question_id, helpful, created_at) VALUES (?, ?, ?)"
            " ON CONFLICT (question_id)"
            " DO UPDATE SET helpful = excluded.helpful, created_at = excluded.created_at",
            (question_id, int(helpful), to_db_time(now)),
        )

    async def recent(self, patient_id: int, *, limit: int) -> list[QuestionRecord]:
        """The patient's latest questions, oldest first."""
        async with self._conn.execute(
            "SELECT * FROM questions WHERE patient_id = ? ORDER BY id DESC LIMIT ?",
            (patient_id, limit),
        ) as cursor:
            rows = await cursor.fetchall()
        return [question_from_row(row) for row in reversed(list(rows))]

    async def feedback(self, question_id: int) -> bool | None:
        async with self._conn.execute(
            "SELECT helpful FROM feedback WHERE question_id = ?", (question_id,)
        ) as cursor:
            row = await cursor.fetchone()
        return bool(row["helpful"]) if row is not None else None
