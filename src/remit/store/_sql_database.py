"""One SQL database as remit's stores use it: its engine, its transactions, whether it is closed.

Every SQL store works through a :class:`Database`: :class:`~remit.store.SqlStore`,
:class:`~remit.store.SqlLogStore`, :class:`~remit.store.SqlEnforcementStore` and
:class:`~remit.store.SqlConsoleStore`. A store made beside a ``SqlStore``
(``log_store_for(store)`` and the like) shares its ``Database``, so closing the ``SqlStore``
closes them all; a store opened on its own (``open_log_store(url)``) has its own.

Transactions are the same for every store (:meth:`Database.transaction`):

- A **write** takes SQLite's write lock at ``BEGIN IMMEDIATE``: it waits (the busy timeout) for
  another writer, and never fails half-way when upgrading a read lock. On PostgreSQL it runs at
  ``READ COMMITTED``, the server's default, which ``FOR UPDATE SKIP LOCKED`` (the outbox's claims,
  the purge's batches) and the row locks that serialise the stores' sequences need.
- A **read** begins deferred on SQLite, whose readers see one snapshot anyway. On PostgreSQL a
  read runs at ``READ COMMITTED`` (each statement sees what was committed when it began), or with
  ``snapshot=True`` at ``REPEATABLE READ``: every statement of the transaction sees one
  snapshot, for reads of several statements that must agree. Each store says which it needs.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from remit.errors import StoreError
from remit.store._sql_engine import WRITE, create, is_postgres, parse_url, translated
from remit.store._sql_migrate import NOT_MIGRATED, check_migrated

_SNAPSHOT: dict[str, Any] = {"isolation_level": "REPEATABLE READ"}
_READ_COMMITTED: dict[str, Any] = {}
_SQLITE_WRITE: dict[str, Any] = {WRITE: True}
_SQLITE_READ: dict[str, Any] = {}


class Database:
    """An engine, the transactions on it, and a closed flag (see the module's description)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.postgres = is_postgres(engine)
        self.dialect = "postgresql" if self.postgres else "sqlite"
        self._closed = False

    @classmethod
    def open(cls, url: str) -> Database:
        """The migrated database at ``url``. ``InvalidConfiguration`` for a URL remit cannot use;
        ``StoreError`` when it cannot be reached or its schema is not the newest."""
        parsed = parse_url(url)
        if parsed.get_backend_name() == "sqlite" and not Path(str(parsed.database)).is_file():
            # Not even created: say so rather than leave an empty file behind.
            raise StoreError(f"{NOT_MIGRATED} (there is no file {parsed.database})")
        engine = create(parsed)
        try:
            check_migrated(engine)
        except BaseException:
            engine.dispose()
            raise
        return cls(engine)

    @property
    def closed(self) -> bool:
        return self._closed

    def check_open(self) -> None:
        """``StoreError`` once the database is closed."""
        if self._closed:
            raise StoreError("the store is closed")

    @contextmanager
    def transaction(
        self, action: str, *, write: bool = False, snapshot: bool = False
    ) -> Iterator[Session]:
        """An ORM session in one transaction, committed at the end (rolled back on an error);
        database errors inside are remit's, ``could not <action>: …`` (see ``translated``)."""
        self.check_open()
        if self.postgres:
            options = _SNAPSHOT if snapshot and not write else _READ_COMMITTED
        else:
            options = _SQLITE_WRITE if write else _SQLITE_READ
        with (
            translated(action),
            Session(self.engine, expire_on_commit=False) as session,
            session.begin(),
        ):
            session.connection(execution_options=options)
            yield session

    def close(self) -> None:
        """Close every connection; the database cannot be used again."""
        self._closed = True
        self.engine.dispose()
