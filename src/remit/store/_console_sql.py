"""The console's passwords, sessions and failed sign-ins on the store's database (SQLite or
PostgreSQL)."""

from __future__ import annotations

from collections.abc import Mapping
from contextlib import AbstractContextManager
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from remit._checks import aware
from remit.errors import Conflict, NotFound
from remit.store._console import (
    ConsoleSession,
    ConsoleStore,
    MemoryConsoleStore,
    checked,
    checked_attempt,
    signin_key,
)
from remit.store._console_models import (
    ConsolePasswordRow,
    ConsoleSessionRow,
    ConsoleSigninFailureRow,
)
from remit.store._interface import Store
from remit.store._sql_database import Database
from remit.store._sql_models import UserRow
from remit.store._sql_store import SqlStore


class SqlConsoleStore:
    """A :class:`~remit.store.ConsoleStore` sharing a :class:`SqlStore`'s database. Reads need
    no snapshot (on PostgreSQL ``READ COMMITTED``): each is one statement."""

    def __init__(self, database: Database) -> None:
        self._db = database

    def _transaction(self, action: str, *, write: bool = False) -> AbstractContextManager[Session]:
        return self._db.transaction(action, write=write)

    def set_password(self, name: str, password_hash: str, at: datetime) -> None:
        aware(at, "at")
        with self._transaction(f"set the password of {name}", write=True) as db:
            if db.get(UserRow, name) is None:
                raise NotFound(f"no user {name}")
            row = db.get(ConsolePasswordRow, name)
            if row is None:
                db.add(ConsolePasswordRow(user_name=name, hash=password_hash, updated_at=at))
            else:
                row.hash, row.updated_at = password_hash, at
            db.execute(delete(ConsoleSessionRow).where(ConsoleSessionRow.user_name == name))
            user_key = signin_key("user", name)
            db.execute(
                delete(ConsoleSigninFailureRow).where(ConsoleSigninFailureRow.key_hash == user_key)
            )

    def password_hash(self, name: str) -> str | None:
        with self._transaction(f"read the password of {name}") as db:
            row = db.get(ConsolePasswordRow, name)
            return None if row is None else row.hash

    def add_session(self, session: ConsoleSession) -> None:
        checked(session)
        with self._transaction(f"start a console session of {session.user}", write=True) as db:
            if db.get(ConsoleSessionRow, session.id_hash) is not None:
                raise Conflict("that session id is already in use")
            db.add(
                ConsoleSessionRow(
                    id_hash=session.id_hash,
                    user_name=session.user,
                    csrf=session.csrf,
                    created_at=session.created_at,
                    expires_at=session.expires_at,
                )
            )

    def get_session(self, id_hash: str) -> ConsoleSession | None:
        with self._transaction("read a console session") as db:
            row = db.get(ConsoleSessionRow, id_hash)
            if row is None:
                return None
            return ConsoleSession(
                row.id_hash, row.user_name, row.csrf, row.created_at, row.expires_at
            )

    def end_session(self, id_hash: str) -> None:
        with self._transaction("end a console session", write=True) as db:
            db.execute(delete(ConsoleSessionRow).where(ConsoleSessionRow.id_hash == id_hash))

    def end_expired(self, now: datetime) -> int:
        aware(now, "now")
        with self._transaction("end expired console sessions", write=True) as db:
            result = db.execute(delete(ConsoleSessionRow).where(ConsoleSessionRow.expires_at < now))
            return int(getattr(result, "rowcount", 0) or 0)

    def add_signin_attempt(self, attempt: str, keys: Mapping[str, str], at: datetime) -> None:
        found = checked_attempt(attempt, keys, at)
        with self._transaction("count a console sign-in attempt", write=True) as db:
            if db.scalar(
                select(ConsoleSigninFailureRow.attempt)
                .where(ConsoleSigninFailureRow.attempt == attempt)
                .limit(1)
            ):
                raise Conflict("that sign-in attempt is already counted")
            db.add_all(
                ConsoleSigninFailureRow(attempt=attempt, key_hash=key, at=at) for key in found
            )

    def forget_signin_attempt(self, attempt: str) -> None:
        with self._transaction("forget a console sign-in attempt", write=True) as db:
            db.execute(
                delete(ConsoleSigninFailureRow).where(ConsoleSigninFailureRow.attempt == attempt)
            )

    def signin_failures(self, kind: str, value: str, since: datetime) -> list[tuple[str, datetime]]:
        key = signin_key(kind, value)
        aware(since, "since")
        with self._transaction("read failed console sign-ins") as db:
            rows = db.execute(
                select(ConsoleSigninFailureRow.attempt, ConsoleSigninFailureRow.at)
                .where(ConsoleSigninFailureRow.key_hash == key)
                .where(ConsoleSigninFailureRow.at >= since)
                .order_by(ConsoleSigninFailureRow.at, ConsoleSigninFailureRow.attempt)
            )
            return [(attempt, at) for attempt, at in rows]

    def clear_signin_failures(self, kind: str, value: str) -> None:
        key = signin_key(kind, value)
        with self._transaction("clear failed console sign-ins", write=True) as db:
            db.execute(
                delete(ConsoleSigninFailureRow).where(ConsoleSigninFailureRow.key_hash == key)
            )

    def end_signin_failures(self, before: datetime) -> int:
        aware(before, "before")
        with self._transaction("forget old failed console sign-ins", write=True) as db:
            result = db.execute(
                delete(ConsoleSigninFailureRow).where(ConsoleSigninFailureRow.at < before)
            )
            return int(getattr(result, "rowcount", 0) or 0)


def console_store_for(store: Store) -> ConsoleStore:
    """The console store beside ``store``: on its database for a :class:`SqlStore`, else in
    memory (beside a :class:`~remit.store.MemoryStore`)."""
    if isinstance(store, SqlStore):
        return SqlConsoleStore(store._db)  # same package, same database
    return MemoryConsoleStore(store)


if TYPE_CHECKING:

    def _is_a_console_store(store: SqlConsoleStore) -> ConsoleStore:
        return store
