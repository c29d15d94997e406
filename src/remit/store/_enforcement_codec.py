"""Rows of the roster and the outbox to domain values and back: the boundary rows never cross.

Two kinds of rows: ORM rows and Core result rows read by the store (:func:`command`,
:func:`platform`, :class:`SessionReader`), and plain tuples handed straight to the database
driver by the bulk inserts (:func:`command_values`, :func:`session_values`), which check every
value as the ORM's path would.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import msgspec

from remit._checks import aware
from remit.enforcement._checks import (
    command_fields,
    command_status,
    command_type,
    json_data,
    session_status,
)
from remit.enforcement._model import (
    Command,
    CommandStatus,
    CommandType,
    Platform,
    Session,
    SessionStatus,
)
from remit.location import Location
from remit.policy import Resource
from remit.store._enforcement_models import CommandRow, PlatformRow, SessionRow

_SESSION_STATUS = {status.value: status for status in SessionStatus}

#: What a session is read as: the columns :class:`SessionReader` takes, in this order.
SESSION_COLUMNS = (
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
    SessionRow.language,
    SessionRow.ended_at,
)

#: The columns of :func:`command_values`' rows and of :func:`session_values`', in their order.
COMMAND_COLUMNS = (
    "key, platform, type, data, order_id, session_id, status, created_at, next_attempt_at, "
    "deadline, attempts, delivered_at, last_error"
)
ROSTER_COLUMNS = (
    "id, platform, resource_type, resource_id, resource_host, participant, country, subdivision, "
    "location_source, location_evidence, language, joined_at, status, ended_at"
)


class SessionReader:
    """Rows of ``SESSION_COLUMNS`` to sessions. Sessions of one meeting share its resource and
    most share a few locations, so each is made (and checked) once per read: a read of a
    million sessions spends its time in the database, not in building values."""

    def __init__(self) -> None:
        self._resources: dict[tuple[str, str, str | None], Resource] = {}
        self._locations: dict[tuple[str | None, str | None, str, str | None], Location] = {}

    def __call__(self, row: Sequence[Any]) -> Session:
        (sid, platform, rtype, rid, host, who, country, subdivision, source, evidence, joined,
         status, language, ended) = row  # fmt: skip
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
            language=language,
            ended_at=ended,
        )


def session(row: Sequence[Any]) -> Session:
    """One row of ``SESSION_COLUMNS`` as a session."""
    return SessionReader()(row)


def session_row(session: Session) -> dict[str, Any]:
    """A session (checked, in UTC) as the values of a ``SessionRow``."""
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
        "language": session.language,
        "joined_at": session.joined_at,
        "status": session.status.value,
        "ended_at": session.ended_at,
    }


def command(row: CommandRow) -> Command:
    return Command(
        key=row.key,
        platform=row.platform,
        type=CommandType(row.type),
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


def platform(row: PlatformRow) -> Platform:
    return Platform(
        name=row.name,
        connector=row.connector,
        settings=dict(row.settings),
        created_at=row.created_at,
    )


def sqlite_time(value: datetime) -> str:
    """A UTC time as SQLAlchemy's SQLite ``DateTime`` writes it (``UTCDateTime`` stores it so):
    ``YYYY-MM-DD HH:MM:SS.ffffff``, which sorts and compares as text."""
    return value.astimezone(UTC).replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds")


class DriverTimes:
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


def command_values(commands: Sequence[Command], *, postgres: bool) -> list[tuple[Any, ...]]:
    """Each key's first command as a row of ``COMMAND_COLUMNS`` for the driver, checked."""

    when = DriverTimes(postgres)
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
                command_type(c.type).value,
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


def session_values(sessions: Sequence[Session], *, postgres: bool) -> list[tuple[Any, ...]]:
    """Each id's first session as a row of ``ROSTER_COLUMNS`` for the driver, checked."""
    when = DriverTimes(postgres)
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
                loc.subdivision, loc.source, evidence(loc), s.language,
                when(s.joined_at, "joined_at"), session_status(s.status).value,
                None if s.ended_at is None else when(s.ended_at, "ended_at"),
            )
        )  # fmt: skip
    return rows


def evidence_of(location: Location) -> str | None:
    """The ``location_evidence`` column of a location: what its other columns do not hold."""
    rest = {
        k: v for k, v in location.to_dict().items() if k not in ("country", "subdivision", "source")
    }
    # msgspec: the same compact, sorted JSON as json.dumps, in a sixth of the time (each join)
    return msgspec.json.encode(rest, order="sorted").decode() if rest else None


def location_of(
    country: str | None, subdivision: str | None, source: str, evidence: str | None
) -> Location:
    """The location the four columns of a session row hold."""
    rest = {} if evidence is None else msgspec.json.decode(evidence)
    return Location.from_dict(
        {"country": country, "subdivision": subdivision, "source": source, **rest}
    )
