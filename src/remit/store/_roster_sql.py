"""The roster's group commit on SQLite and PostgreSQL: many joins, leaves and moves, one
transaction, past the ORM.

On SQLite each write is one statement on the driver's connection: an ``INSERT … ON CONFLICT
(id) DO NOTHING`` for a join (no row inserted: the id is taken), an ``UPDATE … WHERE status =
'live' RETURNING`` for a leave or a move. On PostgreSQL, where each statement is a round trip,
each kind of write is one statement for the whole batch, over arrays (``unnest``), so a batch
costs three round trips at most and one commit. A leave or move that changed no row is
explained by a read afterwards (no such session, another platform's, or one that has ended).
Sessions that ended are counted, and their rows deleted unless removals, in the same
transaction (:func:`~remit.store._attendance_sql.settle`). The transaction commits once for the
whole batch; a write refused alone is answered alone,
and anything that fails the transaction fails the batch (the caller,
:class:`~remit.enforcement.RosterWriter`, then writes each again on its own).
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import suppress
from datetime import UTC, datetime
from typing import Any

from remit._checks import aware
from remit.enforcement._checks import ended_status, session_in_utc
from remit.enforcement._model import Session
from remit.enforcement._roster import End, Join, Move, Outcome, RosterWrite
from remit.errors import Conflict, InvalidInput, NotFound
from remit.store._attendance_sql import settle
from remit.store._enforcement_bulk import refused
from remit.store._enforcement_codec import (
    ROSTER_COLUMNS,
    SessionReader,
    evidence_of,
    session_values,
    sqlite_time,
)
from remit.store._sql_database import Database
from remit.store._sql_engine import translated

#: The columns a session is read back with, in :class:`SessionReader`'s order.
_READ = (
    "id, platform, resource_type, resource_id, resource_host, participant, country, subdivision, "
    "location_source, location_evidence, joined_at, status, language, ended_at"
)
_LIVE = "'live'"


class _Sql:
    """The statements, with the driver's placeholder."""

    def __init__(self, p: str) -> None:
        width = len(ROSTER_COLUMNS.split(","))
        self.join = (
            f"INSERT INTO sessions ({ROSTER_COLUMNS}) VALUES ({', '.join([p] * width)}) "
            "ON CONFLICT (id) DO NOTHING"
        )
        live = f"WHERE id = {p} AND status = {_LIVE}"
        end = f"UPDATE sessions SET status = {p}, ended_at = {p} {live}"
        move = (
            f"UPDATE sessions SET country = {p}, subdivision = {p}, location_source = {p}, "
            f"location_evidence = {p} {live}"
        )
        mine = f" AND platform = {p}"
        back = f" RETURNING {_READ}"
        self.end, self.end_mine = end + back, end + mine + back
        self.move, self.move_mine = move + back, move + mine + back
        self.read = f"SELECT {_READ} FROM sessions WHERE id = {p}"


_SQLITE = _Sql("?")
_POSTGRES = _Sql("%s")


def _statement(
    sql: _Sql, write: RosterWrite, row: tuple[Any, ...] | None, when: Any
) -> tuple[str, tuple[Any, ...]]:
    """The statement and parameters of one (checked) write."""
    if isinstance(write, Join):
        assert row is not None
        return sql.join, row
    mine = () if write.platform is None else (write.platform,)
    if isinstance(write, End):
        query = sql.end if write.platform is None else sql.end_mine
        return query, (ended_status(write.status).value, when, write.session_id, *mine)
    loc = write.location
    query = sql.move if write.platform is None else sql.move_mine
    values = (loc.country, loc.subdivision, loc.source, evidence_of(loc))
    return query, (*values, write.session_id, *mine)


def _checked(write: RosterWrite, postgres: bool) -> tuple[tuple[Any, ...] | None, Any]:
    """The row of a join (and the session as checked), or the driver's time of a leave:
    ``InvalidInput`` for a bad value."""
    if isinstance(write, Join):
        session = session_in_utc(write.session)
        return session_values([session], postgres=postgres)[0], session
    if isinstance(write, End):
        ended_status(write.status)
        at = aware(write.at, "at")
        return None, at if postgres else sqlite_time(at)
    return None, None


class _Reader:
    """Driver rows of ``_READ`` as sessions, with times read as the driver gives them."""

    def __init__(self, postgres: bool) -> None:
        self._postgres = postgres
        self._read = SessionReader()

    def _time(self, value: Any) -> datetime | None:
        if value is None:
            return None
        if isinstance(value, datetime):
            return value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)
        return datetime.fromisoformat(value).replace(tzinfo=UTC)

    def __call__(self, row: Sequence[Any]) -> Session:
        values = list(row)
        values[10], values[13] = self._time(values[10]), self._time(values[13])
        return self._read(values)


class _Batch:
    """The writes of one transaction: each checked (a bad value is answered alone, at once),
    then their statements run on a driver connection inside a transaction."""

    def __init__(self, writes: Sequence[RosterWrite], postgres: bool) -> None:
        self.writes, self.postgres = writes, postgres
        self.sql = _POSTGRES if postgres else _SQLITE
        self.outcomes: list[Outcome | None] = [None] * len(writes)
        self.statements: list[tuple[int, str, tuple[Any, ...]]] = []
        self._checked: dict[int, Session] = {}  # each join's session, as checked once
        for n, write in enumerate(writes):
            try:
                row, when = _checked(write, postgres)
            except InvalidInput as exc:
                self.outcomes[n] = exc
                continue
            if isinstance(write, Join):
                self._checked[n], when = when, None
            self.statements.append((n, *_statement(self.sql, write, row, when)))

    @property
    def action(self) -> str:
        return f"write {len(self.statements)} roster changes"

    def run(self, raw: Any) -> None:
        """Every statement on ``raw`` (a driver connection in a transaction), and the counts
        of the sessions that ended."""
        writes, sql, read = self.writes, self.sql, _Reader(self.postgres)
        statements = self.statements
        results = (
            _run_postgres(raw, writes, statements)
            if self.postgres
            else _run_sqlite(raw, statements)
        )
        ended: list[Session] = []
        for (n, _, _), (count, found) in zip(statements, results, strict=True):
            write = writes[n]
            if isinstance(write, Join):
                self.outcomes[n] = (
                    self._checked[n]
                    if count
                    else Conflict(f"session {write.session.id} already exists")
                )
            elif found is not None:
                self.outcomes[n] = session = read(found)
                if isinstance(write, End):
                    ended.append(session)
            else:
                self.outcomes[n] = _explain(raw, sql, read, write)
        settle(raw, self.postgres, ended)  # counted; rows deleted unless removals

    def answered(self) -> list[Outcome]:
        return _all(self.outcomes)


def write_roster(database: Database, writes: Sequence[RosterWrite]) -> list[Outcome]:
    """Apply ``writes`` in one transaction (see the module's description)."""
    batch = _Batch(writes, database.postgres)
    if batch.statements:
        with (
            database.transaction(batch.action, write=True) as db,
            refused("write the roster"),
        ):
            batch.run(db.connection().connection.driver_connection)
    return batch.answered()


class RawRoster:
    """:func:`write_roster` on a driver connection of its own, held from one batch to the
    next: no ORM session, pool checkout or SQLAlchemy transaction per batch, which cost as much
    as the writes (the roster's process, :mod:`~remit.store._roster_process`, writes through
    this). The same statements, the same transaction (``BEGIN IMMEDIATE`` on SQLite, as every
    write of :class:`Database` takes), the same errors; a connection that failed is dropped and
    the next batch opens another."""

    def __init__(self, database: Database) -> None:
        self._db = database
        self._raw: Any = None  # the pool's connection, its driver connection inside

    def __call__(self, writes: Sequence[RosterWrite]) -> list[Outcome]:
        batch = _Batch(writes, self._db.postgres)
        if not batch.statements:
            return batch.answered()
        with translated(batch.action), refused("write the roster"):
            self._db.check_open()
            if self._raw is None:
                self._raw = self._db.engine.raw_connection()
            raw = self._raw.driver_connection
            try:
                if not self._db.postgres:
                    raw.execute("BEGIN IMMEDIATE")  # psycopg begins at the first statement
                batch.run(raw)
                if self._db.postgres:
                    raw.commit()
                else:
                    raw.execute("COMMIT")
            except BaseException:
                self._drop()
                raise
        return batch.answered()

    def _drop(self) -> None:
        """Roll back and let go of the connection (the next batch opens another)."""
        raw, self._raw = self._raw, None
        with suppress(Exception):
            raw.driver_connection.rollback()
        with suppress(Exception):
            raw.invalidate()

    def close(self) -> None:
        if self._raw is not None:
            self._raw.close()
            self._raw = None


def _all(outcomes: list[Outcome | None]) -> list[Outcome]:
    answered = [o for o in outcomes if o is not None]
    assert len(answered) == len(outcomes), "every write is answered"
    return answered


def _run_sqlite(
    raw: Any, statements: list[tuple[int, str, tuple[Any, ...]]]
) -> list[tuple[int, Any]]:
    cursor = raw.cursor()
    try:
        results = []
        for _, query, params in statements:
            cursor.execute(query, params)
            found = cursor.fetchone() if query is not _SQLITE.join else None
            results.append((cursor.rowcount, found))
        return results
    finally:
        cursor.close()


#: The types of ``ROSTER_COLUMNS``, for ``unnest``.
_TYPES = (
    "text, text, text, text, text, text, text, text, text, text, text, timestamptz, text, "
    "timestamptz"
)
_PG_JOIN = (
    f"INSERT INTO sessions ({ROSTER_COLUMNS}) SELECT * FROM unnest("
    + ", ".join(f"%s::{t.strip()}[]" for t in _TYPES.split(","))
    + ") ON CONFLICT (id) DO NOTHING RETURNING id"
)
_S_READ = ", ".join(f"s.{c.strip()}" for c in _READ.split(","))
_PG_END = (
    "UPDATE sessions AS s SET status = v.status, ended_at = v.at "
    "FROM unnest(%s::text[], %s::text[], %s::timestamptz[], %s::text[]) "
    "AS v(id, status, at, platform) "
    f"WHERE s.id = v.id AND s.status = {_LIVE} AND (v.platform IS NULL OR s.platform = v.platform) "
    f"RETURNING {_S_READ}"
)
_PG_MOVE = (
    "UPDATE sessions AS s SET country = v.country, subdivision = v.subdivision, "
    "location_source = v.source, location_evidence = v.evidence "
    "FROM unnest(%s::text[], %s::text[], %s::text[], %s::text[], %s::text[], %s::text[]) "
    "AS v(id, country, subdivision, source, evidence, platform) "
    f"WHERE s.id = v.id AND s.status = {_LIVE} AND (v.platform IS NULL OR s.platform = v.platform) "
    f"RETURNING {_S_READ}"
)


def _columns(rows: list[tuple[Any, ...]], width: int) -> list[list[Any]]:
    """Rows as one array per column, for ``unnest``."""
    return [[row[k] for row in rows] for k in range(width)]


def _run_postgres(
    raw: Any, writes: Sequence[RosterWrite], statements: list[tuple[int, str, tuple[Any, ...]]]
) -> list[tuple[int, Any]]:
    """One statement per kind of write for the whole batch (``unnest`` of arrays): joins,
    then leaves, then moves; each write's result picked out of what came back by its id."""
    joins, ends, moves = [], [], []
    for n, _, params in statements:
        write = writes[n]
        if isinstance(write, Join):
            joins.append(params)
        elif isinstance(write, End):
            ends.append((write.session_id, params[0], params[1], write.platform))
        else:
            assert isinstance(write, Move)
            moves.append((write.session_id, *params[:4], write.platform))
    inserted: set[str] = set()
    changed: dict[str, Any] = {}
    moved: dict[str, Any] = {}
    with raw.cursor() as cursor:
        if joins:
            cursor.execute(_PG_JOIN, _columns(joins, len(_TYPES.split(","))))
            inserted = {row[0] for row in cursor.fetchall()}
        if ends:
            cursor.execute(_PG_END, _columns(ends, 4))
            changed.update((row[0], row) for row in cursor.fetchall())
        if moves:
            cursor.execute(_PG_MOVE, _columns(moves, 6))
            moved.update((row[0], row) for row in cursor.fetchall())
    results: list[tuple[int, Any]] = []
    for n, _, _ in statements:
        write = writes[n]
        if isinstance(write, Join):
            sid = write.session.id
            results.append((1 if sid in inserted else 0, None))
            inserted.discard(sid)  # a second join with the same id: taken
        else:
            found = (changed if isinstance(write, End) else moved).pop(write.session_id, None)
            results.append((0 if found is None else 1, found))
    return results


def _explain(raw: Any, sql: _Sql, read: _Reader, write: End | Move) -> Outcome:
    """Why a leave or a move changed nothing: the session ended already, or is not there."""
    cursor = raw.cursor()
    try:
        cursor.execute(sql.read, (write.session_id,))
        row = cursor.fetchone()
    finally:
        cursor.close()
    if row is None or write.platform not in (None, row[1]):
        return NotFound(f"no session {write.session_id}")
    session = read(row)
    if isinstance(write, End):
        return session  # the first end wins
    return Conflict(f"session {write.session_id} has ended ({session.status.value})")
