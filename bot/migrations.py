"""Numbered schema migrations; `PRAGMA user_version` records how many have run.

Append new migrations to MIGRATIONS; never edit one that has shipped.
"""

from __future__ import annotations

from collections.abc import Sequence

import aiosqlite

Migration = tuple[str, ...]  # statements, run in one transaction with the version bump

_INITIAL: Migration = (
    """CREATE TABLE patients (
        id INTEGER PRIMARY KEY,
        channel TEXT NOT NULL,
        user_id TEXT NOT NULL,
        chat_id TEXT NOT NULL,
        created_at TEXT NOT NULL,
        last_seen_at TEXT NOT NULL,
        UNIQUE (channel, user_id)
    )""",
    """CREATE TABLE questions (
        id INTEGER PRIMARY KEY,
        patient_id INTEGER NOT NULL REFERENCES patients (id),
        text TEXT NOT NULL,
        via TEXT NOT NULL CHECK (via IN ('text', 'choice')),
        action TEXT NOT NULL CHECK (action IN ('urgent', 'answer', 'clarify', 'escalate')),
        faq_id TEXT,
        score REAL NOT NULL,
        rule_id TEXT,
        reason TEXT NOT NULL DEFAULT '',
        candidates TEXT NOT NULL DEFAULT '[]',
        created_at TEXT NOT NULL
    )""",
    "CREATE INDEX questions_by_patient ON questions (patient_id, id)",
    """CREATE TABLE feedback (
        id INTEGER PRIMARY KEY,
        question_id INTEGER NOT NULL UNIQUE REFERENCES questions (id),
        helpful INTEGER NOT NULL CHECK (helpful IN (0, 1)),
        created_at TEXT NOT NULL
    )""",
    """CREATE TABLE tickets (
        id INTEGER PRIMARY KEY,
        patient_id INTEGER NOT NULL REFERENCES patients (id),
        question_id INTEGER REFERENCES questions (id),
        status TEXT NOT NULL CHECK (status IN ('open', 'answered', 'closed')),
        urgent INTEGER NOT NULL CHECK (urgent IN (0, 1)),
        reason TEXT NOT NULL,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        first_response_at TEXT,
        closed_at TEXT
    )""",
    # A patient has at most one ticket that is not closed: follow-ups know where to go.
    "CREATE UNIQUE INDEX one_active_ticket ON tickets (patient_id) WHERE status != 'closed'",
    "CREATE INDEX tickets_by_status ON tickets (status, id)",
    """CREATE TABLE ticket_messages (
        id INTEGER PRIMARY KEY,
        ticket_id INTEGER NOT NULL REFERENCES tickets (id),
        author TEXT NOT NULL CHECK (author IN ('patient', 'staff', 'bot', 'note')),
        staff_name TEXT,
        text TEXT NOT NULL,
        created_at TEXT NOT NULL
    )""",
    "CREATE INDEX ticket_messages_by_ticket ON ticket_messages (ticket_id, id)",
    # 'sending' marks an item one deliverer has claimed, so no other sends it too.
    """CREATE TABLE outbox (
        id INTEGER PRIMARY KEY,
        channel TEXT NOT NULL,
        chat_id TEXT NOT NULL,
        text TEXT NOT NULL,
        payload TEXT NOT NULL DEFAULT '{}',
        status TEXT NOT NULL CHECK (status IN ('pending', 'sending', 'sent', 'failed')),
        attempts INTEGER NOT NULL DEFAULT 0,
        created_at TEXT NOT NULL,
        sent_at TEXT
    )""",
    "CREATE INDEX outbox_by_status ON outbox (status, channel, chat_id, id)",
)

# Messengers: updates kept until processed, staff topics, and what staff propose to learn.
_MESSENGERS: Migration = (
    # Every update is committed here before the messenger is told it arrived; the payload
    # is dropped once processed (it holds names and messages), the key stays for dedup.
    """CREATE TABLE inbox (
        id INTEGER PRIMARY KEY,
        channel TEXT NOT NULL,
        update_id TEXT NOT NULL,
        payload TEXT,
        status TEXT NOT NULL CHECK (status IN ('pending', 'done', 'failed')),
        received_at TEXT NOT NULL,
        processed_at TEXT,
        UNIQUE (channel, update_id)
    )""",
    "CREATE INDEX inbox_by_status ON inbox (status, channel, id)",
    # One staff topic per patient, created once and reused for later tickets.
    """CREATE TABLE staff_topics (
        patient_id INTEGER PRIMARY KEY REFERENCES patients (id),
        chat_id TEXT NOT NULL,
        thread_id INTEGER NOT NULL,
        created_at TEXT NOT NULL
    )""",
    # Every message the bot posted for a ticket, so a staff reply to one finds its ticket.
    """CREATE TABLE staff_posts (
        chat_id TEXT NOT NULL,
        message_id INTEGER NOT NULL,
        ticket_id INTEGER NOT NULL REFERENCES tickets (id),
        PRIMARY KEY (chat_id, message_id)
    )""",
    "CREATE INDEX staff_posts_by_ticket ON staff_posts (ticket_id, message_id)",
    # A patient's question staff proposed as another phrasing of an entry (/learn).
    """CREATE TABLE proposed_phrasings (
        id INTEGER PRIMARY KEY,
        faq_id TEXT NOT NULL,
        text TEXT NOT NULL,
        ticket_id INTEGER REFERENCES tickets (id),
        staff_name TEXT,
        status TEXT NOT NULL DEFAULT 'proposed'
            CHECK (status IN ('proposed', 'accepted', 'rejected')),
        created_at TEXT NOT NULL
    )""",
    "ALTER TABLE tickets ADD COLUMN reminded_at TEXT",
    # How many parts of a long message were sent, so a retry does not repeat them.
    "ALTER TABLE outbox ADD COLUMN progress INTEGER NOT NULL DEFAULT 0",
    # After a failed attempt an item waits (back-off) until this time.
    "ALTER TABLE outbox ADD COLUMN not_before TEXT",
)

# LINE: patients who blocked the account, and why an outbox item failed for good.
_LINE: Migration = (
    # Set when a patient blocks (unfollows) the bot; cleared when they come back.
    "ALTER TABLE patients ADD COLUMN inactive_since TEXT",
    # 'quota' when the messenger's monthly quota was used up, else the error's type name.
    "ALTER TABLE outbox ADD COLUMN failure TEXT",
)

# The web console: accounts, sessions, who changed the knowledge base, files in threads.
_CONSOLE: Migration = (
    """CREATE TABLE console_users (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL UNIQUE,
        role TEXT NOT NULL CHECK (role IN ('staff', 'admin')),
        password_hash TEXT NOT NULL,
        created_at TEXT NOT NULL,
        disabled_at TEXT
    )""",
    # Only a hash of the session token is kept: a copy of the database signs nobody in.
    """CREATE TABLE console_sessions (
        token_hash TEXT PRIMARY KEY,
        user_id INTEGER NOT NULL REFERENCES console_users (id) ON DELETE CASCADE,
        csrf_token TEXT NOT NULL,
        created_at TEXT NOT NULL,
        expires_at TEXT NOT NULL
    )""",
    "CREATE INDEX console_sessions_by_user ON console_sessions (user_id)",
    # Who changed what in the knowledge base (and other admin actions), newest last.
    """CREATE TABLE audit_log (
        id INTEGER PRIMARY KEY,
        user_name TEXT NOT NULL,
        action TEXT NOT NULL,
        target TEXT NOT NULL,
        detail TEXT NOT NULL DEFAULT '',
        created_at TEXT NOT NULL
    )""",
    # A file the patient sent, as JSON {"channel", "kind", "ref"}: the console fetches it
    # from the messenger when staff open the thread; the bot stores no copy.
    "ALTER TABLE ticket_messages ADD COLUMN attachment TEXT",
)

# Safety and privacy duties: consent, and urgent tickets re-alerted until staff open them.
_SAFETY: Migration = (
    # When the patient agreed to what is stored; NULL: not (yet). /forget deletes the row.
    "ALTER TABLE patients ADD COLUMN consented_at TEXT",
    # When an open ticket became urgent (NULL: urgent from its creation, or not urgent).
    "ALTER TABLE tickets ADD COLUMN urgent_at TEXT",
    # When staff first opened the ticket in the console (staff messages count as opened too).
    "ALTER TABLE tickets ADD COLUMN seen_at TEXT",
    # The last re-alert of an unopened urgent ticket, and how many were sent.
    "ALTER TABLE tickets ADD COLUMN realerted_at TEXT",
    "ALTER TABLE tickets ADD COLUMN realerts INTEGER NOT NULL DEFAULT 0",
)

MIGRATIONS: tuple[Migration, ...] = (_INITIAL, _MESSENGERS, _LINE, _CONSOLE, _SAFETY)


class SchemaTooNewError(Exception):
    """The database was written by a newer faqbot than this one."""


async def schema_version(conn: aiosqlite.Connection) -> int:
    async with conn.execute("PRAGMA user_version") as cursor:
        row = await cursor.fetchone()
    return int(row[0]) if row is not None else 0


async def migrate(conn: aiosqlite.Connection, migrations: Sequence[Migration] = MIGRATIONS) -> int:
    """Run the migrations the database has not seen; return the schema version.

    `conn` must be in autocommit mode (isolation_level=None).
    """
    target = len(migrations)
    if await schema_version(conn) == target:
        return target
    # The write lock first, then re-read: another process may have migrated meanwhile.
    await conn.execute("BEGIN IMMEDIATE")
    try:
        current = await schema_version(conn)
        if current > target:
            raise SchemaTooNewError(
                f"database schema version {current} is newer than this faqbot's ({target})"
            )
        for migration in migrations[current:]:
            for statement in migration:
                await conn.execute(statement)
        # PRAGMA takes no parameters; target is our own integer.
        await conn.execute(f"PRAGMA user_version = {int(target)}")
    except BaseException:
        await conn.execute("ROLLBACK")
        raise
    await conn.execute("COMMIT")
    return target
