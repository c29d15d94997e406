"""Database URLs, engines, and the translation of database errors into remit's.

Two databases are supported: SQLite (a file; WAL journal, foreign keys on, a busy timeout) and
PostgreSQL through psycopg 3. Every SQLAlchemy, psycopg or sqlite3 error that reaches the store
is translated here into ``StoreError`` (or ``Conflict`` for a duplicate) with a short message.
"""

from __future__ import annotations

import logging
import re
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psycopg
from alembic.util.exc import CommandError
from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import (
    ArgumentError,
    DataError,
    DBAPIError,
    IntegrityError,
    SQLAlchemyError,
    StatementError,
)

from remit._files import create_private, loose_mode, open_folder
from remit.errors import Conflict, InvalidConfiguration, InvalidInput, RemitError, StoreError

#: A file ``remit.sqlite3`` in the working folder.
DEFAULT_URL = "sqlite:///remit.sqlite3"

#: How long a SQLite writer waits for another one before giving up, in milliseconds.
BUSY_TIMEOUT_MS = 10_000
#: How long to wait for PostgreSQL to answer a connection attempt, in seconds.
CONNECT_TIMEOUT_S = 10

#: Execution option that makes a SQLite transaction start with ``BEGIN IMMEDIATE``.
WRITE = "remit_write"

_HELP = "use sqlite:///path/to/remit.sqlite3 or postgresql+psycopg://user@host:port/database"
_SQLITE = {"sqlite", "sqlite+pysqlite"}
_POSTGRES = {"postgresql", "postgresql+psycopg", "postgres"}
_DATABASE_ERRORS = (SQLAlchemyError, psycopg.Error, sqlite3.Error, CommandError)

logger = logging.getLogger("remit.store")


def masked(url: str) -> str:
    """The URL with any password replaced by ``***``, for messages."""
    return re.sub(r"(://[^/:@]*:)[^@/]*@", r"\1***@", url)


def parse_url(url: str) -> URL:
    """A supported database URL, normalised to its driver, or ``InvalidConfiguration``."""
    try:
        parsed = make_url(url)
    except (ArgumentError, ValueError, TypeError) as exc:
        raise InvalidConfiguration(
            f"database URL {masked(str(url))!r} is malformed: {_HELP}", field="url"
        ) from exc
    shown = masked(str(url))
    if parsed.drivername in _SQLITE:
        if (
            not parsed.database
            or parsed.database == ":memory:"
            or parsed.database.startswith("file:")
        ):
            raise InvalidConfiguration(
                f"database URL {shown!r} names no file: a SQLite database must be a file "
                "(use MemoryStore for a store in memory)",
                field="url",
            )
        return parsed.set(drivername="sqlite+pysqlite")
    if parsed.drivername in _POSTGRES:
        if not parsed.database:
            raise InvalidConfiguration(f"database URL {shown!r} names no database", field="url")
        return parsed.set(drivername="postgresql+psycopg")
    raise InvalidConfiguration(f"database URL {shown!r} is not supported: {_HELP}", field="url")


def is_postgres(engine: Engine) -> bool:
    return engine.dialect.name == "postgresql"


def libpq_conninfo(url: URL) -> str:
    """The URL as psycopg itself takes it (for the LISTEN connection)."""
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


def _sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
    # Let SQLAlchemy emit BEGIN itself (see _sqlite_begin): sqlite3's legacy transaction control
    # would start transactions late and make concurrent writers fail instead of waiting.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    finally:
        cursor.close()


def _sqlite_begin(connection: Connection) -> None:
    # A writer takes the write lock at BEGIN: it waits (busy_timeout) for another writer, and
    # never fails half-way when upgrading a read lock. Readers begin deferred, on a snapshot.
    write = connection.get_execution_options().get(WRITE, False)
    connection.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")


def create(url: URL) -> Engine:
    """An engine for a URL from :func:`parse_url`."""
    with translated("open the database"):
        if url.get_backend_name() == "sqlite":
            engine = create_engine(
                url,
                connect_args={"check_same_thread": False, "timeout": BUSY_TIMEOUT_MS / 1000},
            )
            event.listen(engine, "connect", _sqlite_connect)
            event.listen(engine, "begin", _sqlite_begin)
            return engine
        return create_engine(
            url,
            pool_pre_ping=True,
            connect_args={"connect_timeout": CONNECT_TIMEOUT_S, "application_name": "remit"},
        )


def prepare_sqlite_file(url: URL) -> None:
    """Before a SQLite database is created: create its file with mode 0600 (SQLite gives its
    ``-wal`` and ``-shm`` files the database file's mode), and warn about an existing file open
    to other users or a folder others may write to. The database holds platforms' secrets."""
    if url.get_backend_name() != "sqlite" or not url.database:
        return
    path = Path(url.database)
    try:
        create_private(path)
    except OSError:
        return  # a missing folder or no permission: SQLite says why, translated, when it opens
    for warning in (
        open_folder(path.resolve().parent),
        *(loose_mode(f"{path}{suffix}") for suffix in ("", "-wal", "-shm")),
    ):
        if warning is not None:
            logger.warning("%s", warning)


def _reason(exc: BaseException) -> str:
    cause = exc.orig if isinstance(exc, DBAPIError) and exc.orig is not None else exc
    lines = str(cause).strip().splitlines()
    text = lines[0] if lines else type(cause).__name__
    return text if len(text) <= 200 else text[:197] + "..."


@contextmanager
def translated(action: str) -> Iterator[None]:
    """Translate database errors raised inside into remit's: ``could not <action>: <why>``."""
    try:
        yield
    except RemitError:
        raise
    except IntegrityError as exc:
        raise Conflict(f"could not {action}: a record with the same key exists") from exc
    except DataError as exc:
        # A value the database refuses: too long for its column, a NUL character in text.
        raise InvalidInput(f"could not {action}: {_reason(exc)}") from exc
    except DBAPIError as exc:
        raise StoreError(f"could not {action}: {_reason(exc)}") from exc
    except StatementError as exc:
        # A value the database driver could not take (such as a naive datetime).
        if isinstance(exc.orig, ValueError | TypeError):
            raise InvalidInput(f"could not {action}: {_reason(exc.orig)}") from exc
        raise StoreError(f"could not {action}: {_reason(exc)}") from exc
    except _DATABASE_ERRORS as exc:
        raise StoreError(f"could not {action}: {_reason(exc)}") from exc
    except (ValueError, KeyError, TypeError) as exc:
        # A stored row that no longer reads as a domain value (edited by hand, say).
        raise StoreError(f"could not {action}: a stored record is unreadable ({exc!r})") from exc
