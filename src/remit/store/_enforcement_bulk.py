"""The outbox's and the roster's bulk path: many new rows in one transaction, past the ORM.

Fast for 100,000 commands or a million sessions: rows (from
:func:`~remit.store._enforcement_codec.command_values` and ``session_values``) go to the driver
as they are. SQLite takes them in one ``executemany`` of ``INSERT … ON CONFLICT DO NOTHING``;
PostgreSQL ``COPY``s them into a temporary table and inserts from it with ``ON CONFLICT DO
NOTHING``. Either way a row whose key is stored already is left as it was, and the count of new
rows comes back.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import psycopg

from remit.errors import InvalidInput
from remit.store._enforcement_codec import COMMAND_COLUMNS, ROSTER_COLUMNS
from remit.store._sql_database import Database


@dataclass(frozen=True)
class Table:
    """A table the bulk path inserts into: its name, the columns of the rows, its key."""

    name: str
    columns: str
    key: str

    @property
    def sqlite_insert(self) -> str:
        width = len(self.columns.split(","))
        return (
            f"INSERT INTO {self.name} ({self.columns}) VALUES ({', '.join('?' * width)}) "
            f"ON CONFLICT ({self.key}) DO NOTHING"
        )


COMMANDS = Table("commands", COMMAND_COLUMNS, "key")
SESSIONS = Table("sessions", ROSTER_COLUMNS, "id")


def insert_new(database: Database, table: Table, rows: list[tuple[Any, ...]], what: str) -> int:
    """Insert the rows whose key is new, in one transaction; how many were new."""
    if not rows:
        return 0
    with (
        database.transaction(f"add {len(rows)} {what}", write=True) as db,
        refused(f"add {what}"),
    ):
        raw: Any = db.connection().connection.driver_connection
        if database.postgres:
            return _copy_new(raw, table, rows)
        cursor = raw.cursor()
        try:
            cursor.executemany(table.sqlite_insert, rows)
            return int(cursor.rowcount)
        finally:
            cursor.close()


def _copy_new(
    connection: psycopg.Connection[Any], table: Table, rows: list[tuple[Any, ...]]
) -> int:
    """PostgreSQL: COPY into a temporary table, then INSERT … ON CONFLICT (key) DO NOTHING."""
    staging = f"remit_staging_{table.name}"
    columns = table.columns
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE TEMPORARY TABLE {staging} (LIKE {table.name}) ON COMMIT DROP")
        with cursor.copy(f"COPY {staging} ({columns}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        cursor.execute(
            f"INSERT INTO {table.name} ({columns}) SELECT {columns} "
            f"FROM {staging} ON CONFLICT ({table.key}) DO NOTHING"
        )
        new = cursor.rowcount
        cursor.execute(f"DROP TABLE {staging}")
    return new


@contextmanager
def refused(action: str) -> Iterator[None]:
    """The driver's own errors for a value the database refuses (a missing or too long field)
    are the caller's: ``InvalidInput``, as :func:`translated` makes SQLAlchemy's."""
    try:
        yield
    except (sqlite3.IntegrityError, psycopg.IntegrityError, psycopg.DataError) as exc:
        raise InvalidInput(f"could not {action}: {_driver_reason(exc)}") from exc


def _driver_reason(exc: Exception) -> str:
    lines = str(exc).strip().splitlines()
    return lines[0] if lines else type(exc).__name__
