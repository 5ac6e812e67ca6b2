"""The SQLite store on a real file: migrations, pragmas, constraints, reopening."""

from __future__ import annotations

import asyncio
from pathlib import Path

import aiosqlite
import pytest

from bot.migrations import MIGRATIONS, migrate, schema_version
from bot.records import TicketStatus
from bot.store import Store, StoreError
from tests.bot.conftest import Clock


async def schema(path: Path) -> list[str]:
    async with aiosqlite.connect(path) as conn:
        cursor = await conn.execute("SELECT sql FROM sqlite_master ORDER BY name")
        return [row[0] for row in await cursor.fetchall()]


async def test_new_database_gets_every_migration(tmp_path: Path) -> None:
    store = await Store.open(tmp_path / "new.sqlite3")
    await store.close()
    async with aiosqlite.connect(tmp_path / "new.sqlite3") as conn:
        assert await schema_version(conn) == len(MIGRATIONS)


async def test_reopening_runs_no_migration_again(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite3"
    await (await Store.open(path)).close()
    before = await schema(path)
    await (await Store.open(path)).close()
    assert await schema(path) == before


async def test_only_new_migrations_run_on_an_old_database(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite3"
    await (await Store.open(path)).close()
    newer = (*MIGRATIONS, ("CREATE TABLE added_later (id INTEGER PRIMARY KEY)",))
    async with aiosqlite.connect(path, isolation_level=None) as conn:
        assert await migrate(conn, newer) == len(newer)
        assert await migrate(conn, newer) == len(newer)  # nothing left to run
    assert "CREATE TABLE added_later (id INTEGER PRIMARY KEY)" in await schema(path)


async def test_database_from_a_newer_faqbot_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite3"
    async with aiosqlite.connect(path) as conn:
        await conn.execute(f"PRAGMA user_version = {len(MIGRATIONS) + 1}")
    with pytest.raises(StoreError, match="newer than this faqbot"):
        await Store.open(path)


async def test_wal_and_foreign_keys_are_on(store: Store, clock: Clock) -> None:
    async with store.transaction() as tx:
        with pytest.raises(aiosqlite.IntegrityError, match="FOREIGN KEY"):
            await tx.tickets.open(99, reason="x", urgent=False, question_id=None, now=clock())
    async with aiosqlite.connect(store.path) as conn:
        cursor = await conn.execute("PRAGMA journal_mode")
        assert await cursor.fetchone() == ("wal",)


async def _synchronous(store: Store, *, durable: bool) -> int:
    async with (
        store.transaction(durable=durable) as tx,
        tx.patients._conn.execute("PRAGMA synchronous") as cursor,
    ):
        row = await cursor.fetchone()
    assert row is not None
    return int(row[0])


async def test_a_durable_commit_is_synced_and_one_that_can_be_redone_is_not(
    store: Store,
) -> None:
    full, normal = 2, 1  # SQLite's values of PRAGMA synchronous
    assert await _synchronous(store, durable=True) == full
    assert await _synchronous(store, durable=False) == normal
    assert await _synchronous(store, durable=True) == full  # set again, not left behind
    async with store.transaction(durable=False):  # the outermost transaction decides
        assert await _synchronous(store, durable=True) == normal


async def test_a_patient_has_at_most_one_active_ticket(store: Store, clock: Clock) -> None:
    async with store.transaction() as tx:
        patient = await tx.patients.seen("test", "alice", "c1", clock())
        await tx.tickets.open(patient.id, reason="a", urgent=False, question_id=None, now=clock())
    with pytest.raises(aiosqlite.IntegrityError):
        async with store.transaction() as tx:
            await tx.tickets.open(
                patient.id, reason="b", urgent=False, question_id=None, now=clock()
            )
    async with store.transaction() as tx:
        await tx.tickets.set_status(1, TicketStatus.CLOSED, clock())
        assert (
            await tx.tickets.open(
                patient.id, reason="c", urgent=False, question_id=None, now=clock()
            )
            == 2
        )


async def test_a_failed_transaction_leaves_nothing_behind(store: Store, clock: Clock) -> None:
    with pytest.raises(RuntimeError):
        async with store.transaction() as tx:
            await tx.patients.seen("test", "alice", "c1", clock())
            raise RuntimeError("boom")
    async with store.transaction(write=False) as tx:
        assert await tx.tickets.in_status(list(TicketStatus)) == []
    async with aiosqlite.connect(store.path) as conn:
        cursor = await conn.execute("SELECT count(*) FROM patients")
        assert await cursor.fetchone() == (0,)


async def test_patient_is_remembered_with_the_latest_chat(store: Store, clock: Clock) -> None:
    async with store.transaction() as tx:
        first = await tx.patients.seen("test", "alice", "c1", clock())
        again = await tx.patients.seen("test", "alice", "c2", clock())
    assert (again.id, again.chat_id) == (first.id, "c2")


async def test_a_patient_who_blocks_the_bot_is_inactive_until_they_write_again(
    store: Store, clock: Clock
) -> None:
    async with store.transaction() as tx:
        await tx.patients.seen("line", "alice", "alice", clock())
        assert await tx.patients.set_inactive("line", "alice", clock()) is True
        blocked = await tx.patients.find("line", "alice")
        back = await tx.patients.seen("line", "alice", "alice", clock())
    assert blocked is not None and blocked.inactive_since == clock()
    assert back.inactive_since is None


async def test_blocking_by_someone_never_seen_changes_nothing(store: Store, clock: Clock) -> None:
    async with store.transaction() as tx:
        assert await tx.patients.set_inactive("line", "stranger", clock()) is False
        assert await tx.patients.find("line", "stranger") is None


async def test_database_in_a_missing_directory_is_one_clear_error(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match=r"directory .*missing does not exist"):
        await Store.open(tmp_path / "missing" / "db.sqlite3")


async def test_a_file_that_is_not_a_database_is_one_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(StoreError, match="file is not a database"):
        await Store.open(path)


async def patient_count(store: Store) -> int:
    async with aiosqlite.connect(store.path) as conn:
        cursor = await conn.execute("SELECT count(*) FROM patients")
        row = await cursor.fetchone()
    assert row is not None
    return int(row[0])


async def test_a_transaction_inside_another_commits_with_it(store: Store, clock: Clock) -> None:
    async with store.transaction() as outer:
        await outer.patients.seen("test", "alice", "c1", clock())
        async with store.transaction() as inner:
            await inner.patients.seen("test", "bob", "c2", clock())
        assert await patient_count(store) == 0  # nothing visible before the outer commit
    assert await patient_count(store) == 2


async def test_a_failed_inner_transaction_undoes_only_its_own_work(
    store: Store, clock: Clock
) -> None:
    async with store.transaction() as outer:
        await outer.patients.seen("test", "alice", "c1", clock())
        with pytest.raises(RuntimeError):
            async with store.transaction() as inner:
                await inner.patients.seen("test", "bob", "c2", clock())
                raise RuntimeError("boom")
    async with store.transaction(write=False) as tx:
        assert await tx.patients.find("test", "alice") is not None
        assert await tx.patients.find("test", "bob") is None


async def test_another_task_waits_for_the_open_transaction(store: Store, clock: Clock) -> None:
    order: list[str] = []

    async def other() -> None:
        async with store.transaction() as tx:
            await tx.patients.seen("test", "bob", "c2", clock())
            order.append("other")

    async with store.transaction() as tx:
        task = asyncio.create_task(other())  # inherits nothing: it must wait its turn
        await asyncio.sleep(0.01)
        await tx.patients.seen("test", "alice", "c1", clock())
        order.append("first")
    await task
    assert order == ["first", "other"]


async def test_a_redelivered_update_is_kept_once(store: Store, clock: Clock) -> None:
    async with store.transaction() as tx:
        assert await tx.inbox.add("telegram", "7", '{"update_id": 7}', clock())
        assert not await tx.inbox.add("telegram", "7", '{"update_id": 7}', clock())
        assert await tx.inbox.add("line", "7", "{}", clock())  # another channel's 7
        [row] = await tx.inbox.pending("telegram", limit=10)
        await tx.inbox.finish(row.id, failed=False, now=clock())
        assert not await tx.inbox.add("telegram", "7", '{"update_id": 7}', clock())
        assert await tx.inbox.statuses("telegram") == [("7", "done")]
