"""Platforms, the roster and the outbox on SQLite or PostgreSQL.

The outbox is shared among nodes: ``due_commands`` claims with ``SELECT … FOR UPDATE SKIP
LOCKED`` on PostgreSQL (each node gets other commands; a node that crashes holding a claim lets
it go when its lease runs out) and inside a ``BEGIN IMMEDIATE`` transaction on SQLite (one
writer at a time). ``enqueue`` inserts in batches with ``ON CONFLICT DO NOTHING``, so a command
whose idempotency key is stored already is left as it was. Long lists of resource ids or hosts are
asked for in chunks, to stay inside the databases' limits on parameters.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import psycopg
from sqlalchemy import ColumnElement, Engine, bindparam, func, or_, select, text, update
from sqlalchemy.orm import Session as OrmSession

from remit.enforcement._activation import REFUSED
from remit.enforcement._interface import EnforcementStore
from remit.enforcement._memory import (
    DEFAULT_LEASE,
    MemoryEnforcementStore,
    applies,
    attempt,
    aware,
    command_fields,
    command_status,
    ended_status,
    json_data,
    lease_length,
    maybe_aware,
    page_size,
    session_in_utc,
    session_status,
    sorted_sessions,
)
from remit.enforcement._model import (
    Attempt,
    Command,
    CommandStatus,
    Platform,
    Session,
    SessionStatus,
)
from remit.enforcement._retention import ENDED, FINISHED, KEPT_DATA, PURGED_PARTICIPANT, Purged
from remit.errors import Conflict, InvalidInput, NotFound
from remit.location import Location
from remit.policy import Resource
from remit.store._enforcement_models import (
    SESSION_HOLDS_DATA,
    CommandRow,
    PlatformRow,
    SessionRow,
)
from remit.store._interface import Store
from remit.store._sql_engine import WRITE, create, is_postgres, parse_url, translated
from remit.store._sql_migrate import check_migrated
from remit.store._sql_models import UTCDateTime
from remit.store._sql_store import SqlStore

#: Resource ids or hosts per query (an IN list of bound parameters).
CHUNK = 500

_LIVE = SessionStatus.LIVE.value
_PENDING = CommandStatus.PENDING.value
_SESSION_STATUS = {status.value: status for status in SessionStatus}

_SESSION_COLUMNS = (
    SessionRow.id,
    SessionRow.platform,
    SessionRow.resource_type,
    SessionRow.resource_id,
    SessionRow.resource_host,
    SessionRow.participant,
    SessionRow.country,
    SessionRow.subdivision,
    SessionRow.location_source,
    SessionRow.location_evidence,
    SessionRow.joined_at,
    SessionRow.status,
    SessionRow.ip,
    SessionRow.phone,
    SessionRow.language,
    SessionRow.ended_at,
)


class _Sessions:
    """Rows of ``_SESSION_COLUMNS`` to sessions. Sessions of one meeting share its resource and
    most share a few locations, so each is made (and checked) once per read: a read of a
    million sessions spends its time in the database, not in building values."""

    def __init__(self) -> None:
        self._resources: dict[tuple[str, str, str | None], Resource] = {}
        self._locations: dict[tuple[str | None, str | None, str, str | None], Location] = {}

    def __call__(self, row: Sequence[Any]) -> Session:
        (sid, platform, rtype, rid, host, who, country, subdivision, source, evidence, joined,
         status, ip, phone, language, ended) = row  # fmt: skip
        resource = self._resources.get((rtype, rid, host))
        if resource is None:
            resource = self._resources[rtype, rid, host] = Resource(rtype, rid, host)
        key = (country, subdivision, source, evidence)
        location = self._locations.get(key)
        if location is None:
            location = self._locations[key] = location_of(country, subdivision, source, evidence)
        return Session(
            id=sid,
            platform=platform,
            resource=resource,
            participant=who,
            location=location,
            joined_at=joined,
            status=_SESSION_STATUS[status],
            ip=ip,
            phone=phone,
            language=language,
            ended_at=ended,
        )


def _session(row: Sequence[Any]) -> Session:
    return _Sessions()(row)


def _session_row(session: Session) -> dict[str, Any]:
    return {
        "id": session.id,
        "platform": session.platform,
        "resource_type": session.resource.type,
        "resource_id": session.resource.id,
        "resource_host": session.resource.host,
        "participant": session.participant,
        "country": session.location.country,
        "subdivision": session.location.subdivision,
        "location_source": session.location.source,
        "location_evidence": evidence_of(session.location),
        "ip": session.ip,
        "phone": session.phone,
        "language": session.language,
        "joined_at": session.joined_at,
        "status": session.status.value,
        "ended_at": session.ended_at,
    }


def _command(row: CommandRow) -> Command:
    return Command(
        key=row.key,
        platform=row.platform,
        type=row.type,
        data=row.data,
        order_id=row.order_id,
        session_id=row.session_id,
        status=CommandStatus(row.status),
        created_at=row.created_at,
        next_attempt_at=row.next_attempt_at,
        deadline=row.deadline,
        attempts=row.attempts,
        delivered_at=row.delivered_at,
        last_error=row.last_error,
    )


def _platform(row: PlatformRow) -> Platform:
    return Platform(
        name=row.name,
        connector=row.connector,
        settings=dict(row.settings),
        created_at=row.created_at,
    )


_COMMAND_COLUMNS = (
    "key, platform, type, data, order_id, session_id, status, created_at, next_attempt_at, "
    "deadline, attempts, delivered_at, last_error"
)
_SQLITE_ENQUEUE = (
    f"INSERT INTO commands ({_COMMAND_COLUMNS}) VALUES ({', '.join('?' * 13)}) "
    "ON CONFLICT (key) DO NOTHING"
)


def sqlite_time(value: datetime) -> str:
    """A UTC time as SQLAlchemy's SQLite ``DateTime`` writes it (``UTCDateTime`` stores it so):
    ``YYYY-MM-DD HH:MM:SS.ffffff``, which sorts and compares as text."""
    return value.astimezone(UTC).replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds")


class _DriverTimes:
    """Times as the driver takes them for our columns (aware UTC on PostgreSQL, text on SQLite:
    see :func:`sqlite_time`), each checked. A batch shares a few times: each is converted once."""

    def __init__(self, postgres: bool) -> None:
        self._postgres = postgres
        self._converted: dict[datetime, Any] = {}

    def __call__(self, value: datetime, name: str) -> Any:
        found = self._converted.get(value)
        if found is None:
            utc = aware(value, name)
            found = self._converted[value] = utc if self._postgres else sqlite_time(utc)
        return found


def _command_values(commands: Sequence[Command], *, postgres: bool) -> list[tuple[Any, ...]]:
    """Each key's first command as a row of ``_COMMAND_COLUMNS`` for the driver, checked."""

    when = _DriverTimes(postgres)
    seen: set[str] = set()
    rows: list[tuple[Any, ...]] = []
    for c in commands:
        if command_fields(c).key in seen:
            continue
        seen.add(c.key)
        delivered = None if c.delivered_at is None else when(c.delivered_at, "delivered_at")
        rows.append(
            (
                c.key,
                c.platform,
                c.type,
                json_data(c.data, c.key),
                c.order_id,
                c.session_id,
                command_status(c.status).value,
                when(c.created_at, "created_at"),
                when(c.next_attempt_at, "next_attempt_at"),
                when(c.deadline, "deadline"),
                c.attempts,
                delivered,
                c.last_error,
            )
        )
    return rows


def _first(row: tuple[Any, ...]) -> Any:
    return row[0]


def _copy_new(table: str, columns: str, key: str) -> Callable[[Any, list[Any]], int]:
    """A PostgreSQL bulk insert of new rows into ``table``: COPY into a temporary table, then
    INSERT … ON CONFLICT (``key``) DO NOTHING; it returns how many rows were new."""
    staging = f"remit_staging_{table}"

    def copy_new(connection: psycopg.Connection[Any], rows: list[tuple[Any, ...]]) -> int:
        with connection.cursor() as cursor:
            cursor.execute(f"CREATE TEMPORARY TABLE {staging} (LIKE {table}) ON COMMIT DROP")
            with cursor.copy(f"COPY {staging} ({columns}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            cursor.execute(
                f"INSERT INTO {table} ({columns}) SELECT {columns} "
                f"FROM {staging} ON CONFLICT ({key}) DO NOTHING"
            )
            new = cursor.rowcount
            cursor.execute(f"DROP TABLE {staging}")
        return new

    return copy_new


_ROSTER_COLUMNS = (
    "id, platform, resource_type, resource_id, resource_host, participant, country, subdivision, "
    "location_source, location_evidence, ip, phone, language, joined_at, status, ended_at"
)
_SQLITE_ADD_SESSIONS = (
    f"INSERT INTO sessions ({_ROSTER_COLUMNS}) VALUES ({', '.join('?' * 16)}) "
    "ON CONFLICT (id) DO NOTHING"
)

#: One attempt's outcome, executed for many (``record_attempts``): see ``record_attempt``.
_RECORD_ATTEMPT = (
    update(CommandRow)
    .where(CommandRow.key == bindparam("k"))
    .values(
        status=bindparam("s"),
        attempts=CommandRow.attempts + 1,
        last_error=bindparam("e"),
        delivered_at=func.coalesce(bindparam("d", type_=UTCDateTime()), CommandRow.delivered_at),
        next_attempt_at=func.coalesce(
            bindparam("n", type_=UTCDateTime()), CommandRow.next_attempt_at
        ),
    )
)


def _session_values(sessions: Sequence[Session], *, postgres: bool) -> list[tuple[Any, ...]]:
    """Each id's first session as a row of ``_ROSTER_COLUMNS`` for the driver, checked."""
    when = _DriverTimes(postgres)
    seen: set[str] = set()
    rows: list[tuple[Any, ...]] = []
    encoded: dict[int, tuple[Location, str | None]] = {}

    def evidence(location: Location) -> str | None:  # sessions share a few locations
        found = encoded.get(id(location))
        if found is None or found[0] is not location:
            found = encoded[id(location)] = (location, evidence_of(location))
        return found[1]

    for s in sessions:
        if s.id in seen:
            continue
        seen.add(s.id)
        r, loc = s.resource, s.location
        rows.append(
            (
                s.id, s.platform, r.type, r.id, r.host, s.participant, loc.country,
                loc.subdivision, loc.source, evidence(loc), s.ip, s.phone, s.language,
                when(s.joined_at, "joined_at"), session_status(s.status).value,
                None if s.ended_at is None else when(s.ended_at, "ended_at"),
            )
        )  # fmt: skip
    return rows


#: Rows one purge transaction changes: short transactions, so that on SQLite (one writer at a
#: time) admissions and deliveries never wait long for a purge.
PURGE_BATCH = 2000

_ENDED_SQL = ", ".join(f"'{status.value}'" for status in ENDED)
_KEPT_SQL = ", ".join(f"'{name}'" for name in KEPT_DATA)

#: Sessions still holding personal data that ended in [since, before): a range per ended status of
#: the partial index ``ix_sessions_status_ended_at_unpurged``, which holds only such sessions
#: (``ended_at < :before`` implies its ``ended_at IS NOT NULL``, and its test of the data is
#: repeated word for word). A batch is the first rows of the range: purged, they leave the index.
_SESSIONS_TO_PURGE = (
    f"status IN ({_ENDED_SQL}) AND ended_at < :before{{since}} AND ({SESSION_HOLDS_DATA})"
)
#: The batch's ids are looked up on the primary key: on PostgreSQL as an array, because an
#: ``IN (SELECT …)`` may be planned as a join that reads the whole table.
_SESSIONS_BATCH = "SELECT id FROM sessions WHERE {where} LIMIT :batch{lock}"
_PURGE_SESSIONS = (
    "UPDATE sessions SET participant = :purged, ip = NULL, phone = NULL, language = NULL "
    "WHERE {ids}"
)
_IN_BATCH = {"sqlite": "id IN ({batch})", "postgresql": "id = ANY(ARRAY({batch}))"}

#: Commands still holding personal data (a data key that is not kept, or a last error) that
#: finished in [since, before): one status at a time on ``ix_commands_status_next_attempt_at``,
#: in batches by ``next_attempt_at`` (``>= :after``: rows purged already drop out by the test).
_COMMANDS_TO_PURGE = (
    "c.next_attempt_at < :before AND c.next_attempt_at >= :after "
    "AND (c.delivered_at IS NULL OR c.delivered_at < :before) "
    "AND (c.last_error IS NOT NULL "
    f"OR EXISTS (SELECT 1 FROM json_each(c.data) AS j WHERE j.key NOT IN ({_KEPT_SQL})))"
)
#: A purged command's data, and a refusal's key that names no one: per dialect.
_KEPT_DATA = {
    "sqlite": "(SELECT json_group_object(j.key, j.value) FROM json_each(commands.data) AS j "
    f"WHERE j.key IN ({_KEPT_SQL}))",
    "postgresql": "(SELECT coalesce(json_object_agg(j.key, j.value), '{}'::json) "
    f"FROM json_each(commands.data) AS j WHERE j.key IN ({_KEPT_SQL}))",
}
_RANDOM_HEX = {
    "sqlite": "lower(hex(randomblob(16)))",
    "postgresql": "md5(random()::text || random()::text || clock_timestamp()::text)",
}
_PURGE_COMMANDS = (
    "UPDATE commands SET data = {kept}, last_error = NULL, "
    "key = CASE WHEN commands.type = :refused "
    "THEN 'refused/' || commands.order_id || '/purged-' || {random} ELSE commands.key END "
    "WHERE commands.key IN (SELECT c.key FROM commands AS c WHERE c.status = :status AND {where} "
    "ORDER BY c.next_attempt_at LIMIT :batch{lock}) RETURNING next_attempt_at"
)


@contextmanager
def _refused(action: str) -> Iterator[None]:
    """The driver's own errors for a value the database refuses (a missing or too long field)
    are the caller's: ``InvalidInput``, as :func:`translated` makes SQLAlchemy's."""
    try:
        yield
    except (sqlite3.IntegrityError, psycopg.IntegrityError, psycopg.DataError) as exc:
        raise InvalidInput(f"could not {action}: {_driver_reason(exc)}") from exc


def _driver_reason(exc: Exception) -> str:
    lines = str(exc).strip().splitlines()
    return lines[0] if lines else type(exc).__name__


def _chunks(values: Sequence[str]) -> Iterator[list[str]]:
    unique = sorted(set(values))
    for start in range(0, len(unique), CHUNK):
        yield unique[start : start + CHUNK]


class SqlEnforcementStore:
    """An :class:`~remit.enforcement._interface.EnforcementStore` on the store's database.

    Made by :func:`enforcement_store_for` (sharing a :class:`SqlStore`'s engine) or
    :func:`open_enforcement_store` (its own engine, released by :meth:`close`). ``lease`` is how
    long a command handed out by :meth:`due_commands` stays claimed.
    """

    def __init__(
        self, engine: Engine, *, owns_engine: bool = False, lease: timedelta = DEFAULT_LEASE
    ) -> None:
        self._engine = engine
        self._owns_engine = owns_engine
        self._lease = lease_length(lease)
        self._postgres = is_postgres(engine)
        # Reads of many chunks see one snapshot on PostgreSQL. Writes stay READ COMMITTED there,
        # which FOR UPDATE SKIP LOCKED needs; SQLite writers begin IMMEDIATE (see _sql_engine).
        self._read_options: dict[str, Any] = (
            {"isolation_level": "REPEATABLE READ"} if self._postgres else {}
        )
        self._write_options: dict[str, Any] = {} if self._postgres else {WRITE: True}

    def close(self) -> None:
        """Release the engine when this store made it."""
        if self._owns_engine:
            self._engine.dispose()

    @contextmanager
    def _transaction(self, action: str, *, write: bool = False) -> Iterator[OrmSession]:
        options = self._write_options if write else self._read_options
        with (
            translated(action),
            OrmSession(self._engine, expire_on_commit=False) as session,
            session.begin(),
        ):
            session.connection(execution_options=options)
            yield session

    # Platforms -------------------------------------------------------------------------------
    def add_platform(self, platform: Platform) -> None:
        created = aware(platform.created_at, "created_at")
        with self._transaction(f"store platform {platform.name}", write=True) as session:
            if session.get(PlatformRow, platform.name) is not None:
                raise Conflict(f"platform {platform.name} already exists")
            session.add(
                PlatformRow(
                    name=platform.name,
                    connector=platform.connector,
                    settings=dict(platform.settings),
                    created_at=created,
                )
            )

    def get_platform(self, name: str) -> Platform:
        with self._transaction(f"read platform {name}") as session:
            row = session.get(PlatformRow, name)
            if row is None:
                raise NotFound(f"no platform {name}")
            return _platform(row)

    def list_platforms(self) -> list[Platform]:
        with self._transaction("list platforms") as session:
            rows = session.scalars(select(PlatformRow).order_by(PlatformRow.name))
            return [_platform(row) for row in rows]

    # Roster ----------------------------------------------------------------------------------
    def add_session(self, session: Session) -> None:
        values = _session_row(session_in_utc(session))
        with self._transaction(f"add session {session.id}", write=True) as db:
            if db.get(SessionRow, session.id) is not None:
                raise Conflict(f"session {session.id} already exists")
            db.add(SessionRow(**values))

    def add_sessions(self, sessions: Sequence[Session]) -> int:
        rows = _session_values(sessions, postgres=self._postgres)
        return self._insert_new(
            "sessions", rows, _copy_new("sessions", _ROSTER_COLUMNS, "id"), _SQLITE_ADD_SESSIONS
        )

    def get_session(self, session_id: str) -> Session:
        with self._transaction(f"read session {session_id}") as db:
            row = db.execute(select(*_SESSION_COLUMNS).where(SessionRow.id == session_id)).first()
            if row is None:
                raise NotFound(f"no session {session_id}")
            return _session(row)

    def end_session(self, session_id: str, status: SessionStatus, at: datetime) -> Session:
        ended, when = ended_status(status), aware(at, "at")
        with self._transaction(f"end session {session_id}", write=True) as db:
            row = db.execute(
                update(SessionRow)
                .where(SessionRow.id == session_id, SessionRow.status == _LIVE)
                .values(status=ended.value, ended_at=when)
                .returning(*_SESSION_COLUMNS)
            ).first()
            if row is None:  # absent, or ended already: the first end wins
                row = db.execute(
                    select(*_SESSION_COLUMNS).where(SessionRow.id == session_id)
                ).first()
                if row is None:
                    raise NotFound(f"no session {session_id}")
            return _session(row)

    def move_session(
        self, session_id: str, location: Location, ip: str | None, phone: str | None
    ) -> Session:
        with self._transaction(f"move session {session_id}", write=True) as db:
            row = db.execute(
                update(SessionRow)
                .where(SessionRow.id == session_id, SessionRow.status == _LIVE)
                .values(
                    country=location.country,
                    subdivision=location.subdivision,
                    location_source=location.source,
                    location_evidence=evidence_of(location),
                    ip=ip,
                    phone=phone,
                )
                .returning(*_SESSION_COLUMNS)
            ).first()
            if row is None:
                status = db.scalar(select(SessionRow.status).where(SessionRow.id == session_id))
                if status is None:
                    raise NotFound(f"no session {session_id}")
                raise Conflict(f"session {session_id} has ended ({status})")
            return _session(row)

    def live_sessions(
        self,
        *,
        resource_type: str | None = None,
        resource_ids: Sequence[str] = (),
        hosts: Sequence[str] = (),
        places: Sequence[str] = (),
    ) -> list[Session]:
        live = select(*_SESSION_COLUMNS).where(SessionRow.status == _LIVE)
        if places:
            where = sorted(set(places))
            live = live.where(or_(SessionRow.country.in_(where), SessionRow.subdivision.in_(where)))
        of_type = (
            live if resource_type is None else live.where(SessionRow.resource_type == resource_type)
        )
        queries = [of_type.where(SessionRow.resource_id.in_(c)) for c in _chunks(resource_ids)]
        queries += [live.where(SessionRow.resource_host.in_(c)) for c in _chunks(hosts)]
        if not resource_ids and not hosts:
            queries = [of_type]
        return self._sessions("list live sessions", queries)

    def sessions_of(
        self, resource_ids: Sequence[str], hosts: Sequence[str], since: datetime
    ) -> list[Session]:
        after = aware(since, "since")
        recent = select(*_SESSION_COLUMNS).where(
            or_(SessionRow.status == _LIVE, SessionRow.ended_at >= after)
        )
        queries = [recent.where(SessionRow.resource_id.in_(c)) for c in _chunks(resource_ids)]
        queries += [recent.where(SessionRow.resource_host.in_(c)) for c in _chunks(hosts)]
        return self._sessions("list recent sessions", queries)

    def _sessions(self, action: str, queries: Sequence[Any]) -> list[Session]:
        found: dict[str, Session] = {}
        read = _Sessions()
        with self._transaction(action) as db:
            connection = db.connection()  # Core rows: the ORM adds nothing to plain columns
            for query in queries:
                for row in connection.execute(query).all():  # fetchall: fewer round trips
                    if row[0] not in found:
                        found[row[0]] = read(row)
        return sorted_sessions(found.values())

    # Outbox ----------------------------------------------------------------------------------
    def enqueue(self, commands: Sequence[Command]) -> int:
        # Fast for 100,000 commands: rows go to the driver as they are, without the ORM. SQLite
        # takes them in one executemany (INSERT … ON CONFLICT DO NOTHING); PostgreSQL COPYs
        # them into a temporary table and inserts from it with ON CONFLICT DO NOTHING.
        rows = _command_values(commands, postgres=self._postgres)
        if not self._postgres:
            rows.sort(key=_first)  # in key order: the primary key's B-tree takes them faster
        return self._insert_new(
            "commands", rows, _copy_new("commands", _COMMAND_COLUMNS, "key"), _SQLITE_ENQUEUE
        )

    def _insert_new(
        self,
        what: str,
        rows: list[Any],
        copy_new: Callable[[Any, list[Any]], int],
        sqlite_insert: str,
    ) -> int:
        """Insert the rows whose key is new, in one transaction, past the ORM; how many were new.

        SQLite takes them in one executemany (INSERT … ON CONFLICT DO NOTHING); PostgreSQL
        COPYs them into a temporary table and inserts from it (``copy_new``).
        """
        if not rows:
            return 0
        with (
            self._transaction(f"add {len(rows)} {what}", write=True) as db,
            _refused(f"add {what}"),
        ):
            raw: Any = db.connection().connection.driver_connection
            if self._postgres:
                return copy_new(raw, rows)
            cursor = raw.cursor()
            try:
                cursor.executemany(sqlite_insert, rows)
                return int(cursor.rowcount)
            finally:
                cursor.close()

    def due_commands(self, now: datetime, limit: int) -> list[Command]:
        when, most = aware(now, "now"), page_size(limit)
        query = (
            select(CommandRow)
            .where(CommandRow.status == _PENDING, CommandRow.next_attempt_at <= when)
            .order_by(CommandRow.next_attempt_at)
            .limit(most)
        )
        if self._postgres:
            query = query.with_for_update(skip_locked=True)
        until = when + self._lease
        with self._transaction("claim due commands", write=True) as db:
            rows = list(db.scalars(query))
            keys = [row.key for row in rows]
            for start in range(0, len(keys), CHUNK):
                db.execute(
                    update(CommandRow)
                    .where(CommandRow.key.in_(keys[start : start + CHUNK]))
                    .values(next_attempt_at=until)
                    .execution_options(synchronize_session=False)
                )
            return [replace(_command(row), next_attempt_at=until) for row in rows]

    def record_attempt(
        self,
        key: str,
        *,
        status: CommandStatus,
        at: datetime,
        next_attempt_at: datetime | None = None,
        error: str | None = None,
    ) -> None:
        self.record_attempts([Attempt(key, status, at, next_attempt_at, error)])

    def record_attempts(self, attempts: Sequence[Attempt]) -> None:
        # One transaction for a round of deliveries: on SQLite, where writers take turns, a
        # transaction per attempt would make the delivery workers queue for the write lock.
        checked = [(a.key, *attempt(a.status, a.next_attempt_at), aware(a.at, "at"), a.error)
                   for a in attempts]  # fmt: skip
        if not checked:
            return
        with self._transaction(f"record {len(checked)} delivery attempts", write=True) as db:
            stored: dict[str, CommandStatus] = {}
            for chunk in _chunks([key for key, *_ in checked]):
                query = select(CommandRow.key, CommandRow.status).where(CommandRow.key.in_(chunk))
                if self._postgres:
                    query = query.with_for_update()
                stored.update((key, CommandStatus(status)) for key, status in db.execute(query))
            rows = []
            for key, outcome, later, when, error in checked:
                status = stored.get(key)
                if status is None:
                    raise NotFound(f"no command {key}")
                if not applies(status, outcome):
                    continue
                stored[key] = outcome
                delivered = when if outcome is CommandStatus.DELIVERED else None
                rows.append({"k": key, "s": outcome.value, "e": error, "d": delivered, "n": later})
            if rows:
                db.connection().execute(_RECORD_ATTEMPT, rows)

    def get_command(self, key: str) -> Command:
        with self._transaction(f"read command {key}") as db:
            row = db.get(CommandRow, key)
            if row is None:
                raise NotFound(f"no command {key}")
            return _command(row)

    def list_commands(
        self,
        *,
        status: CommandStatus | None = None,
        order_id: str | None = None,
        platform: str | None = None,
        limit: int = 100,
    ) -> list[Command]:
        query = (
            select(CommandRow)
            .order_by(CommandRow.created_at.desc(), CommandRow.key.desc())
            .limit(page_size(limit))
        )
        conditions: list[ColumnElement[bool]] = []
        if status is not None:
            conditions.append(CommandRow.status == command_status(status).value)
        if order_id is not None:
            conditions.append(CommandRow.order_id == order_id)
        if platform is not None:
            conditions.append(CommandRow.platform == platform)
        with self._transaction("list commands") as db:
            return [_command(row) for row in db.scalars(query.where(*conditions))]

    def commands_between(
        self, since: datetime, until: datetime, types: Sequence[str]
    ) -> list[Command]:
        query = (
            select(CommandRow)
            .where(
                CommandRow.created_at >= aware(since, "since"),
                CommandRow.created_at < aware(until, "until"),
                CommandRow.type.in_(list(types)),
            )
            .order_by(CommandRow.created_at, CommandRow.key)
        )
        with self._transaction("read commands by day") as db:
            return [_command(row) for row in db.scalars(query)]

    # Retention -------------------------------------------------------------------------------
    def purge(
        self, before: datetime, *, since: datetime | None = None, dry_run: bool = False
    ) -> Purged:
        when = _DriverTimes(self._postgres)
        cutoff, after = aware(before, "before"), maybe_aware(since, "since")
        dialect = "postgresql" if self._postgres else "sqlite"
        lock = " FOR UPDATE SKIP LOCKED" if self._postgres else ""  # nodes share the work
        session_since = "" if after is None else " AND ended_at >= :since"
        sessions_where = _SESSIONS_TO_PURGE.format(since=session_since)
        first = when(after or datetime.min.replace(tzinfo=UTC), "since")
        common: dict[str, Any] = {"before": when(cutoff, "before"), "purged": PURGED_PARTICIPANT}
        if after is not None:
            common["since"] = when(after, "since")
        if dry_run:
            with self._transaction("count what a purge would change") as db:
                sessions = db.scalar(
                    text(f"SELECT count(*) FROM sessions WHERE {sessions_where}"), common
                )
                commands = db.scalar(
                    text(
                        "SELECT count(*) FROM commands AS c "
                        f"WHERE c.status IN (:s1, :s2) AND {_COMMANDS_TO_PURGE}"
                    ),
                    {**common, "after": first, "s1": FINISHED[0].value, "s2": FINISHED[1].value},
                )
            return Purged(sessions=int(sessions or 0), commands=int(commands or 0))

        batch = _SESSIONS_BATCH.format(where=sessions_where, lock=lock)
        purge_sessions = text(_PURGE_SESSIONS.format(ids=_IN_BATCH[dialect].format(batch=batch)))
        sessions = 0
        while True:
            with self._transaction("purge ended sessions", write=True) as db:
                changed = (
                    db.connection()
                    .execute(purge_sessions, {**common, "batch": PURGE_BATCH})
                    .rowcount
                )
            sessions += changed
            if changed < PURGE_BATCH:
                break

        purge_commands = text(
            _PURGE_COMMANDS.format(
                kept=_KEPT_DATA[dialect], random=_RANDOM_HEX[dialect], where=_COMMANDS_TO_PURGE,
                lock=lock,
            )
        )  # fmt: skip
        commands = 0
        for status in FINISHED:
            lowest = first
            while True:
                with self._transaction("purge finished commands", write=True) as db:
                    times = db.connection().execute(
                        purge_commands,
                        {**common, "status": status.value, "after": lowest, "refused": REFUSED,
                         "batch": PURGE_BATCH},
                    ).scalars().all()  # fmt: skip
                commands += len(times)
                if len(times) < PURGE_BATCH:
                    break
                lowest = max(times)
        return Purged(sessions=sessions, commands=commands)


def open_enforcement_store(url: str, *, lease: timedelta = DEFAULT_LEASE) -> SqlEnforcementStore:
    """An enforcement store on the (migrated) database at ``url``, with its own engine."""
    engine = create(parse_url(url))
    try:
        check_migrated(engine)
    except BaseException:
        engine.dispose()
        raise
    return SqlEnforcementStore(engine, owns_engine=True, lease=lease)


def enforcement_store_for(store: Store, *, lease: timedelta = DEFAULT_LEASE) -> EnforcementStore:
    """The enforcement store beside ``store``: on the same database (and engine) for a
    :class:`SqlStore`, in memory for any other store (a :class:`~remit.store.MemoryStore`)."""
    if isinstance(store, SqlStore):
        return SqlEnforcementStore(store._engine, lease=lease)  # same package, same database
    return MemoryEnforcementStore(lease=lease)


if TYPE_CHECKING:

    def _is_an_enforcement_store(store: SqlEnforcementStore) -> EnforcementStore:
        return store  # mypy checks that the class implements the protocol


def evidence_of(location: Location) -> str | None:
    """The ``location_evidence`` column of a location: what its other columns do not hold."""
    rest = {
        k: v for k, v in location.to_dict().items() if k not in ("country", "subdivision", "source")
    }
    return json.dumps(rest, sort_keys=True, separators=(",", ":")) if rest else None


def location_of(
    country: str | None, subdivision: str | None, source: str, evidence: str | None
) -> Location:
    """The location the four columns of a session row hold."""
    rest = {} if evidence is None else json.loads(evidence)
    return Location.from_dict(
        {"country": country, "subdivision": subdivision, "source": source, **rest}
    )
