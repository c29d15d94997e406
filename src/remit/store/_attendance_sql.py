"""Attendance counts on SQLite and PostgreSQL: what happens when sessions end.

In the transaction that ends sessions (``end_session``, the roster's group commit, a session
added ended), :func:`settle` adds them to the ``attendance`` counts (``INSERT … ON CONFLICT (key)
DO UPDATE``, in key order so that concurrent transactions take the rows' locks in one order; on
PostgreSQL one statement over arrays) and deletes the rows of those that are no removal: left,
and named by no ``participant.remove`` command (found on ``ix_commands_session_id_removals``).
What is counted and kept is :mod:`remit.enforcement._attendance`'s.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session as OrmSession

from remit._checks import aware
from remit.enforcement._attendance import (
    Attendance,
    attendance_order,
    counted,
    first_day,
    location_rest,
)
from remit.enforcement._checks import session_in_utc
from remit.enforcement._model import Session, SessionStatus
from remit.enforcement._retention import ENDED
from remit.policy import Resource
from remit.store._enforcement_bulk import refused
from remit.store._enforcement_codec import ROSTER_COLUMNS, location_of
from remit.store._enforcement_models import REMOVALS, AttendanceRow
from remit.store._sql_database import Database

COLUMNS = (
    "key, platform, resource_type, resource_id, resource_host, day, country, subdivision, "
    "location_source, location_evidence, count"
)
_LEFT = SessionStatus.LEFT.value


def _upsert(p: str) -> str:
    return (
        f"INSERT INTO attendance ({COLUMNS}) VALUES ({', '.join([p] * 11)}) "
        "ON CONFLICT (key) DO UPDATE SET count = attendance.count + excluded.count"
    )


def _delete(p: str) -> str:
    return (
        f"DELETE FROM sessions WHERE id = {p} AND status = '{_LEFT}' AND NOT EXISTS "
        f"(SELECT 1 FROM commands AS c WHERE c.session_id = sessions.id AND c.{REMOVALS})"
    )


_SQL = {False: (_upsert("?"), _delete("?")), True: (_upsert("%s"), _delete("%s"))}
_PG_UPSERT = (
    f"INSERT INTO attendance ({COLUMNS}) SELECT * FROM unnest("
    + ", ".join(["%s::text[]"] * 10)
    + ", %s::int[]) ON CONFLICT (key) DO UPDATE SET count = attendance.count + excluded.count"
)
_PG_DELETE = (
    f"DELETE FROM sessions WHERE id = ANY(%s::text[]) AND status = '{_LEFT}' AND NOT EXISTS "
    f"(SELECT 1 FROM commands AS c WHERE c.session_id = sessions.id AND c.{REMOVALS})"
)


def settle(raw: Any, postgres: bool, sessions: Sequence[Session]) -> None:
    """Count the ended ones of ``sessions`` and delete the rows of those that are no removal,
    on ``raw`` (the driver's connection, inside the caller's transaction)."""
    ended = [s for s in sessions if s.status in ENDED]
    if not ended:
        return
    upsert, delete = _SQL[postgres]
    rows = []
    for key, (s, n) in sorted(counted(ended).items()):
        loc, r = s.location, s.resource
        assert s.ended_at is not None
        day = s.ended_at.date().isoformat()
        rows.append((key, s.platform, r.type, r.id, r.host, day, loc.country, loc.subdivision,
                     loc.source, location_rest(loc), n))  # fmt: skip
    left = [(s.id,) for s in ended if s.status is SessionStatus.LEFT]
    cursor = raw.cursor()
    try:
        if postgres:  # one statement each, over arrays: a round trip is the cost here
            cursor.execute(_PG_UPSERT, [[row[k] for row in rows] for k in range(11)])
            if left:
                cursor.execute(_PG_DELETE, ([sid for (sid,) in left],))
        else:
            cursor.executemany(upsert, rows)
            if left:
                cursor.executemany(delete, left)
    finally:
        cursor.close()


def add_ended(database: Database, sessions: Sequence[Session], rows: list[tuple[Any, ...]]) -> int:
    """``add_sessions`` of a batch with ended sessions: one transaction, a row at a time (no bulk
    path: loading ended sessions is for imports and tests), the new ended ones settled."""
    p = "%s" if database.postgres else "?"
    insert = (
        f"INSERT INTO sessions ({ROSTER_COLUMNS}) VALUES ({', '.join([p] * len(rows[0]))}) "
        "ON CONFLICT (id) DO NOTHING"
    )
    first = {s.id: s for s in reversed(sessions)}  # each id's first session, as its row
    new: list[Session] = []
    with (
        database.transaction(f"add {len(rows)} sessions", write=True) as db,
        refused("add sessions"),
    ):
        raw: Any = db.connection().connection.driver_connection
        cursor = raw.cursor()
        try:
            for row in rows:
                cursor.execute(insert, row)
                if cursor.rowcount:
                    new.append(session_in_utc(first[row[0]]))
        finally:
            cursor.close()
        settle(raw, database.postgres, new)
    return len(new)


def _chunks(values: Sequence[str], size: int = 500) -> Iterator[list[str]]:
    unique = sorted(set(values))
    for start in range(0, len(unique), size):
        yield unique[start : start + size]


def attendance_of(
    db: OrmSession, resource_ids: Sequence[str], hosts: Sequence[str], since: datetime
) -> list[Attendance]:
    """The counts :meth:`~remit.enforcement.EnforcementStore.attendance_of` returns."""
    first = first_day(aware(since, "since")).isoformat()
    recent = select(AttendanceRow).where(AttendanceRow.day >= first)
    queries = [recent.where(AttendanceRow.resource_id.in_(c)) for c in _chunks(resource_ids)]
    queries += [recent.where(AttendanceRow.resource_host.in_(c)) for c in _chunks(hosts)]
    found: dict[str, Attendance] = {}
    for query in queries:
        for row in db.scalars(query):
            if row.key not in found:
                location = location_of(
                    row.country, row.subdivision, row.location_source, row.location_evidence
                )
                resource = Resource(row.resource_type, row.resource_id, row.resource_host)
                day = date.fromisoformat(row.day)
                found[row.key] = Attendance(row.platform, resource, day, location, row.count)
    return sorted(found.values(), key=attendance_order)


def purge_counts(db: OrmSession, last_day: date) -> int:
    """Delete the counts of ``last_day`` and before; how many were deleted."""
    result = db.execute(delete(AttendanceRow).where(AttendanceRow.day <= last_day.isoformat()))
    return int(getattr(result, "rowcount", 0) or 0)
