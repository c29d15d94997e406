"""The transparency log's entries and checkpoints on SQLite or PostgreSQL.

Appends are serialised by the single row of ``log_sequence``: each append locks it (``SELECT …
FOR UPDATE`` on PostgreSQL; SQLite writers begin ``IMMEDIATE``), skips the keys already stored,
numbers the new entries from the row's value and raises it, all in one transaction. So indexes have
no gaps, each key is stored once, and appends commit in index order: a reader that sees entry
``n`` sees every entry before it.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from contextlib import AbstractContextManager
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from remit.errors import Conflict, StoreError
from remit.store._interface import Store
from remit.store._log_models import LogCheckpointRow, LogEntryRow, LogSequenceRow
from remit.store._sql_database import Database
from remit.store._sql_store import SqlStore
from remit.transparency import Leaf, LogRecord, LogStore, MemoryLogStore
from remit.transparency._logstore import check_range

_CHUNK = 500
_ENTRIES = LogEntryRow.metadata.tables[LogEntryRow.__tablename__]


class SqlLogStore:
    """A :class:`~remit.transparency.LogStore` on the store's database.

    Made by :func:`log_store_for` (sharing a :class:`SqlStore`'s database) or
    :func:`open_log_store` (its own, released by :meth:`close`). Reads need no snapshot (on
    PostgreSQL ``READ COMMITTED``): each is one statement, but for :meth:`entries`, which checks
    the entries it read against the size it read.
    """

    def __init__(self, database: Database, *, owns_database: bool = False) -> None:
        self._db = database
        self._owns_database = owns_database

    def close(self) -> None:
        """Release the database when this store opened it."""
        if self._owns_database:
            self._db.close()

    def _session(self, action: str, *, write: bool = False) -> AbstractContextManager[Session]:
        return self._db.transaction(action, write=write)

    def append(self, records: Sequence[LogRecord]) -> list[int]:
        if not records:
            return []
        with self._session(f"append {len(records)} log entries", write=True) as session:
            size = session.scalar(
                select(LogSequenceRow.value).where(LogSequenceRow.id == 1).with_for_update()
            )
            if size is None:
                raise StoreError("the log_sequence table is empty: run `remit db upgrade`")
            keys = list(dict.fromkeys(r.key for r in records))
            known: dict[str, int] = {}
            for start in range(0, len(keys), _CHUNK):
                chunk = keys[start : start + _CHUNK]
                query = select(LogEntryRow.key, LogEntryRow.idx).where(LogEntryRow.key.in_(chunk))
                known.update((key, int(idx)) for key, idx in session.execute(query))
            rows: list[dict[str, Any]] = []
            indexes: list[int] = []
            for record in records:
                index = known.get(record.key)
                if index is None:
                    index = size + len(rows)
                    known[record.key] = index
                    rows.append(
                        {
                            "idx": index,
                            "key": record.key,
                            "kind": record.kind,
                            "leaf_hash": record.leaf_hash,
                            "data": record.data,
                        }
                    )
                indexes.append(index)
            if rows:
                # Core, not the ORM's bulk path: an executemany of plain rows.
                session.connection().execute(insert(_ENTRIES), rows)
                session.execute(
                    update(LogSequenceRow)
                    .where(LogSequenceRow.id == 1)
                    .values(value=size + len(rows))
                )
        return indexes

    def size(self) -> int:
        with self._session("read the log's size") as session:
            value = session.scalar(select(LogSequenceRow.value).where(LogSequenceRow.id == 1))
        if value is None:
            raise StoreError("the log_sequence table is empty: run `remit db upgrade`")
        return int(value)

    def leaves(self, start: int, end: int) -> list[Leaf]:
        check_range(start, end)
        query = (
            select(LogEntryRow.idx, LogEntryRow.key, LogEntryRow.leaf_hash)
            .where(LogEntryRow.idx >= start, LogEntryRow.idx < end)
            .order_by(LogEntryRow.idx)
        )
        with self._session("read log leaves") as session:
            return [Leaf(int(i), k, bytes(h)) for i, k, h in session.execute(query)]

    def entries(self, start: int, end: int) -> list[bytes]:
        check_range(start, end)
        query = (
            select(LogEntryRow.idx, LogEntryRow.data)
            .where(LogEntryRow.idx >= start, LogEntryRow.idx < end)
            .order_by(LogEntryRow.idx)
        )
        with self._session("read log entries") as session:
            size = session.scalar(select(LogSequenceRow.value).where(LogSequenceRow.id == 1))
            found = list(session.execute(query))
        expected = max(0, min(end, int(size or 0)) - start)
        for n, (index, _) in enumerate(found):
            if index != start + n:
                raise StoreError(f"log entry {start + n} is missing from the store")
        if len(found) < expected:
            raise StoreError(f"log entry {start + len(found)} is missing from the store")
        return [bytes(data) for _, data in found]

    def entries_of_kind(self, kinds: Collection[str]) -> list[bytes]:
        wanted = sorted(set(kinds))
        if not wanted:
            return []
        query = (
            select(LogEntryRow.data).where(LogEntryRow.kind.in_(wanted)).order_by(LogEntryRow.idx)
        )
        with self._session("read log entries") as session:
            return [bytes(data) for data in session.scalars(query)]

    def save_checkpoint(self, size: int, note: str) -> None:
        try:
            with self._session("store a log checkpoint", write=True) as session:
                if session.get(LogCheckpointRow, size) is None:
                    session.add(LogCheckpointRow(size=size, note=note))
        except Conflict:
            pass  # another node stored its checkpoint of this size first: the same tree head

    def latest_checkpoint(self) -> str | None:
        query = select(LogCheckpointRow.note).order_by(LogCheckpointRow.size.desc()).limit(1)
        with self._session("read the latest log checkpoint") as session:
            return session.scalar(query)


def open_log_store(url: str) -> SqlLogStore:
    """A log store on the (migrated) database at ``url``, with its own engine."""
    return SqlLogStore(Database.open(url), owns_database=True)


def log_store_for(store: Store) -> LogStore:
    """The log store beside ``store``: on the same database for a :class:`SqlStore`, in memory
    for any other store (a :class:`~remit.store.MemoryStore` in tests)."""
    if isinstance(store, SqlStore):
        return SqlLogStore(store._db)  # same package, same database
    return MemoryLogStore()
