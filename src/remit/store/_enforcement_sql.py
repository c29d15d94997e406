"""Platforms, the roster and the outbox on SQLite or PostgreSQL.

The outbox is shared among nodes: ``due_commands`` claims with ``SELECT … FOR UPDATE SKIP
LOCKED`` on PostgreSQL (each node gets other commands; a node that crashes holding a claim lets
it go when its lease runs out) and inside a ``BEGIN IMMEDIATE`` transaction on SQLite (one
writer at a time). ``enqueue`` and ``add_sessions`` take the bulk path
(:mod:`~remit.store._enforcement_bulk`), so a command whose idempotency key is stored already is
left as it was. Long lists of resource ids or hosts are asked for in chunks, to stay inside the
databases' limits on parameters. Rows become values in :mod:`~remit.store._enforcement_codec`;
the retention purge's SQL is :mod:`~remit.store._enforcement_purge`'s.

Why one class of some 400 lines: it is one implementation of the ``EnforcementStore`` protocol,
method for method, over parts that live elsewhere (codec, bulk paths, purge, the shared
``Database``); splitting the protocol's methods across modules would hide which SQL serves which
contract test.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager
from dataclasses import replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import ColumnElement, bindparam, func, or_, select, update
from sqlalchemy.orm import Session as OrmSession

from remit._checks import aware, page_size
from remit.enforcement._activation import REMOVE
from remit.enforcement._attendance import Attendance
from remit.enforcement._checks import (
    DEFAULT_LEASE,
    applies,
    attempt,
    command_status,
    ended_status,
    lease_length,
    session_in_utc,
    sorted_sessions,
)
from remit.enforcement._interface import EnforcementStore
from remit.enforcement._memory import MemoryEnforcementStore
from remit.enforcement._model import (
    Attempt,
    Command,
    CommandStatus,
    Platform,
    Session,
    SessionStatus,
)
from remit.enforcement._retention import Purged
from remit.enforcement._roster import Outcome, RosterWrite
from remit.errors import Conflict, NotFound
from remit.location import Location
from remit.store import _enforcement_codec as codec
from remit.store import _sealed_sql as sealing
from remit.store._attendance_sql import add_ended, attendance_of, settle
from remit.store._enforcement_bulk import COMMANDS, SESSIONS, insert_new
from remit.store._enforcement_models import CommandRow, PlatformRow, SessionRow
from remit.store._enforcement_purge import purge
from remit.store._interface import Store
from remit.store._roster_sql import write_roster
from remit.store._sealed import Sealer, open_plain
from remit.store._sql_database import Database
from remit.store._sql_models import UTCDateTime
from remit.store._sql_store import SqlStore

#: Resource ids or hosts per query (an IN list of bound parameters).
CHUNK = 500

_LIVE = SessionStatus.LIVE.value
_PENDING = CommandStatus.PENDING.value

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


def _first(row: tuple[Any, ...]) -> Any:
    return row[0]


def _raw(db: OrmSession) -> Any:
    """The driver's connection under an ORM session's transaction."""
    return db.connection().connection.driver_connection


def _chunks(values: Sequence[str]) -> Iterator[list[str]]:
    unique = sorted(set(values))
    for start in range(0, len(unique), CHUNK):
        yield unique[start : start + CHUNK]


class SqlEnforcementStore:
    """An :class:`~remit.enforcement._interface.EnforcementStore` on the store's database.

    Made by :func:`enforcement_store_for` (sharing a :class:`SqlStore`'s database) or
    :func:`open_enforcement_store` (its own, released by :meth:`close`). ``lease`` is how
    long a command handed out by :meth:`due_commands` stays claimed. ``sealer`` seals platforms'
    settings before they are stored and opens them on read (:mod:`~remit.store._sealed`);
    without one (tests, tools) settings are stored plain and a sealed one cannot be read.
    """

    def __init__(
        self,
        database: Database,
        *,
        owns_database: bool = False,
        lease: timedelta = DEFAULT_LEASE,
        sealer: Sealer | None = None,
    ) -> None:
        self._db = database
        self._owns_database = owns_database
        self._lease = lease_length(lease)
        self._postgres = database.postgres
        self._sealer = sealer

    def close(self) -> None:
        """Release the database when this store opened it."""
        if self._owns_database:
            self._db.close()

    def _transaction(
        self, action: str, *, write: bool = False
    ) -> AbstractContextManager[OrmSession]:
        # Reads are snapshots (on PostgreSQL REPEATABLE READ): a roster read in many chunks
        # sees one roster.
        return self._db.transaction(action, write=write, snapshot=True)

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
                    settings=self._sealed(platform.name, platform.settings),
                    created_at=created,
                )
            )

    def get_platform(self, name: str) -> Platform:
        with self._transaction(f"read platform {name}") as session:
            row = session.get(PlatformRow, name)
            if row is None:
                raise NotFound(f"no platform {name}")
            return self._platform(row)

    def save_platform_settings(self, name: str, settings: dict[str, str]) -> None:
        with self._transaction(f"save the settings of platform {name}", write=True) as session:
            row = session.get(PlatformRow, name)
            if row is None:
                raise NotFound(f"no platform {name}")
            row.settings = self._sealed(name, settings)

    def list_platforms(self) -> list[Platform]:
        with self._transaction("list platforms") as session:
            rows = session.scalars(select(PlatformRow).order_by(PlatformRow.name))
            return [self._platform(row) for row in rows]

    def _sealed(self, name: str, settings: dict[str, str]) -> dict[str, str]:
        return dict(settings) if self._sealer is None else self._sealer.seal_all(name, settings)

    def _platform(self, row: PlatformRow) -> Platform:
        found = codec.platform(row)
        if self._sealer is None:
            return replace(found, settings=open_plain(row.name, found.settings))
        return replace(found, settings=self._sealer.open_all(row.name, found.settings))

    # Sealing at rest ---------------------------------------------------------------------------
    def sealed_key_ids(self) -> set[str]:
        """The ids of the secrets keys the stored settings were sealed with."""
        return sealing.sealed_key_ids(self._db)

    def reseal(self, opener: Sealer, sealer: Sealer, *, every: bool) -> int:
        """See :func:`remit.store._sealed_sql.reseal`."""
        return sealing.reseal(self._db, opener, sealer, every=every)

    # Roster ----------------------------------------------------------------------------------
    def add_session(self, session: Session) -> None:
        values = codec.session_row(session_in_utc(session))
        with self._transaction(f"add session {session.id}", write=True) as db:
            if db.get(SessionRow, session.id) is not None:
                raise Conflict(f"session {session.id} already exists")
            db.add(SessionRow(**values))
            db.flush()
            settle(_raw(db), self._postgres, [session_in_utc(session)])

    def add_sessions(self, sessions: Sequence[Session]) -> int:
        rows = codec.session_values(sessions, postgres=self._postgres)
        if all(s.status is SessionStatus.LIVE for s in sessions):
            return insert_new(self._db, SESSIONS, rows, "sessions")
        return add_ended(self._db, sessions, rows)  # counted as they are added

    def get_session(self, session_id: str) -> Session:
        with self._transaction(f"read session {session_id}") as db:
            row = db.execute(
                select(*codec.SESSION_COLUMNS).where(SessionRow.id == session_id)
            ).first()
            if row is None:
                raise NotFound(f"no session {session_id}")
            return codec.session(row)

    def end_session(self, session_id: str, status: SessionStatus, at: datetime) -> Session:
        ended, when = ended_status(status), aware(at, "at")
        with self._transaction(f"end session {session_id}", write=True) as db:
            row = db.execute(
                update(SessionRow)
                .where(SessionRow.id == session_id, SessionRow.status == _LIVE)
                .values(status=ended.value, ended_at=when)
                .returning(*codec.SESSION_COLUMNS)
            ).first()
            if row is None:  # absent, or ended already: the first end wins
                row = db.execute(
                    select(*codec.SESSION_COLUMNS).where(SessionRow.id == session_id)
                ).first()
                if row is None:
                    raise NotFound(f"no session {session_id}")
                return codec.session(row)
            ended_now = codec.session(row)
            settle(_raw(db), self._postgres, [ended_now])
            return ended_now

    def move_session(self, session_id: str, location: Location) -> Session:
        with self._transaction(f"move session {session_id}", write=True) as db:
            row = db.execute(
                update(SessionRow)
                .where(SessionRow.id == session_id, SessionRow.status == _LIVE)
                .values(
                    country=location.country,
                    subdivision=location.subdivision,
                    location_source=location.source,
                    location_evidence=codec.evidence_of(location),
                )
                .returning(*codec.SESSION_COLUMNS)
            ).first()
            if row is None:
                status = db.scalar(select(SessionRow.status).where(SessionRow.id == session_id))
                if status is None:
                    raise NotFound(f"no session {session_id}")
                raise Conflict(f"session {session_id} has ended ({status})")
            return codec.session(row)

    def write_roster(self, writes: Sequence[RosterWrite]) -> list[Outcome]:
        return write_roster(self._db, writes)  # one transaction: see _roster_sql

    def live_sessions(
        self,
        *,
        resource_type: str | None = None,
        resource_ids: Sequence[str] = (),
        hosts: Sequence[str] = (),
        places: Sequence[str] = (),
    ) -> list[Session]:
        live = select(*codec.SESSION_COLUMNS).where(SessionRow.status == _LIVE)
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
        recent = select(*codec.SESSION_COLUMNS).where(
            or_(SessionRow.status == _LIVE, SessionRow.ended_at >= after)
        )
        queries = [recent.where(SessionRow.resource_id.in_(c)) for c in _chunks(resource_ids)]
        queries += [recent.where(SessionRow.resource_host.in_(c)) for c in _chunks(hosts)]
        return self._sessions("list recent sessions", queries)

    def attendance_of(
        self, resource_ids: Sequence[str], hosts: Sequence[str], since: datetime
    ) -> list[Attendance]:
        with self._transaction("read recent attendance") as db:
            return attendance_of(db, resource_ids, hosts, since)

    def _sessions(self, action: str, queries: Sequence[Any]) -> list[Session]:
        found: dict[str, Session] = {}
        read = codec.SessionReader()
        with self._transaction(action) as db:
            connection = db.connection()  # Core rows: the ORM adds nothing to plain columns
            for query in queries:
                for row in connection.execute(query).all():  # fetchall: fewer round trips
                    if row[0] not in found:
                        found[row[0]] = read(row)
        return sorted_sessions(found.values())

    # Outbox ----------------------------------------------------------------------------------
    def enqueue(self, commands: Sequence[Command]) -> int:
        rows = codec.command_values(commands, postgres=self._postgres)
        if not self._postgres:
            rows.sort(key=_first)  # in key order: the primary key's B-tree takes them faster
        return insert_new(self._db, COMMANDS, rows, "commands")

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
            return [replace(codec.command(row), next_attempt_at=until) for row in rows]

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
            return codec.command(row)

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
            return [codec.command(row) for row in db.scalars(query.where(*conditions))]

    def removals_of(
        self, order_id: str, *, after: str | None = None, limit: int = 1000
    ) -> list[Command]:
        # A range of ix_commands_order_id_type_key: each page costs its own rows only.
        query = (
            select(CommandRow)
            .where(CommandRow.order_id == order_id, CommandRow.type == REMOVE)
            .order_by(CommandRow.key)
            .limit(page_size(limit))
        )
        if after is not None:
            query = query.where(CommandRow.key > after)
        with self._transaction(f"read the removals of order {order_id}") as db:
            return [codec.command(row) for row in db.scalars(query)]

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
            return [codec.command(row) for row in db.scalars(query)]

    # Retention -------------------------------------------------------------------------------
    def purge(
        self, before: datetime, *, since: datetime | None = None, dry_run: bool = False
    ) -> Purged:
        return purge(self._db, before, since=since, dry_run=dry_run)


def open_enforcement_store(
    url: str, *, lease: timedelta = DEFAULT_LEASE, sealer: Sealer | None = None
) -> SqlEnforcementStore:
    """An enforcement store on the (migrated) database at ``url``, with its own engine."""
    return SqlEnforcementStore(Database.open(url), owns_database=True, lease=lease, sealer=sealer)


def enforcement_store_for(
    store: Store, *, lease: timedelta = DEFAULT_LEASE, sealer: Sealer | None = None
) -> EnforcementStore:
    """The enforcement store beside ``store``: on the same database (and engine) for a
    :class:`SqlStore`, in memory for any other store (a :class:`~remit.store.MemoryStore`)."""
    if isinstance(store, SqlStore):
        return SqlEnforcementStore(store._db, lease=lease, sealer=sealer)  # same package, database
    return MemoryEnforcementStore(lease=lease)


if TYPE_CHECKING:

    def _is_an_enforcement_store(store: SqlEnforcementStore) -> EnforcementStore:
        return store  # mypy checks that the class implements the protocol
