"""Platforms, the roster and the outbox in dictionaries: the same answers as the SQL store.

What it holds is never shared with callers: datetimes are kept in UTC, a platform's settings and a
command's data are copied in and out (a command's data through JSON, as a database keeps it). One
lock makes every method atomic across threads.

It makes the checks of :mod:`~remit.enforcement._checks`, as the SQL store does, so that both
refuse the same inputs and answer alike.

Why one class of some 430 lines: it is one implementation of the ``EnforcementStore`` protocol,
method for method, beside the SQL store's; the rules it shares with it live elsewhere (checks,
retention, attendance), and splitting it would hide which dictionary serves which contract.
"""

from __future__ import annotations

import json
import secrets
import threading
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from remit._checks import aware, maybe_aware, page_size
from remit.enforcement._activation import REMOVE
from remit.enforcement._attendance import (
    Attendance,
    attendance_order,
    counted,
    first_day,
    keeps_row,
    last_purged_day,
)
from remit.enforcement._checks import (
    DEFAULT_LEASE,
    applies,
    attempt,
    command_status,
    ended_status,
    json_data,
    lease_length,
    session_in_utc,
    sorted_sessions,
    unique_by_key,
)
from remit.enforcement._model import (
    Attempt,
    Command,
    CommandStatus,
    Platform,
    Session,
    SessionStatus,
)
from remit.enforcement._retention import (
    ENDED,
    Purged,
    command_is_purgeable,
    purged_data,
    purged_key,
    session_is_purgeable,
)
from remit.enforcement._roster import End, Join, Outcome, RosterWrite
from remit.errors import Conflict, InvalidInput, NotFound
from remit.location import Location

if TYPE_CHECKING:
    from remit.enforcement._interface import EnforcementStore


@dataclass
class _Stored:
    """A command as kept: its data as JSON text, so nobody shares the caller's dict."""

    command: Command
    data: str

    def out(self) -> Command:
        return replace(self.command, data=json.loads(self.data))


class MemoryEnforcementStore:
    """An :class:`~remit.enforcement._interface.EnforcementStore` in memory.

    ``due_commands`` claims what it returns by moving ``next_attempt_at`` forward by ``lease``
    (30 s unless told), so a claimed command is not handed out again until the lease runs out or
    :meth:`record_attempt` settles it.
    """

    def __init__(self, *, lease: timedelta = DEFAULT_LEASE) -> None:
        self._lease = lease_length(lease)
        self._lock = threading.Lock()
        self._platforms: dict[str, Platform] = {}
        self._sessions: dict[str, Session] = {}
        self._commands: dict[str, _Stored] = {}
        #: Attendance counts by key: a session standing for them, and how many they are.
        self._counts: dict[str, tuple[Session, int]] = {}
        #: The sessions a removal command names (they keep their rows when they end).
        self._removal_sessions: set[str] = set()

    def close(self) -> None:
        """Nothing to release: here for symmetry with the SQL store."""

    # Platforms -------------------------------------------------------------------------------
    def add_platform(self, platform: Platform) -> None:
        stored = replace(
            platform,
            settings=dict(platform.settings),
            created_at=aware(platform.created_at, "created_at"),
        )
        with self._lock:
            if platform.name in self._platforms:
                raise Conflict(f"platform {platform.name} already exists")
            self._platforms[platform.name] = stored

    def get_platform(self, name: str) -> Platform:
        with self._lock:
            found = self._platforms.get(name)
        if found is None:
            raise NotFound(f"no platform {name}")
        return replace(found, settings=dict(found.settings))

    def save_platform_settings(self, name: str, settings: dict[str, str]) -> None:
        with self._lock:
            found = self._platforms.get(name)
            if found is None:
                raise NotFound(f"no platform {name}")
            self._platforms[name] = replace(found, settings=dict(settings))

    def list_platforms(self) -> list[Platform]:
        with self._lock:
            found = sorted(self._platforms.items())
        return [replace(p, settings=dict(p.settings)) for _, p in found]

    # Roster ----------------------------------------------------------------------------------
    def add_session(self, session: Session) -> None:
        stored = session_in_utc(session)
        with self._lock:
            if session.id in self._sessions:
                raise Conflict(f"session {session.id} already exists")
            self._sessions[session.id] = stored
            self._settle([stored])

    def add_sessions(self, sessions: Sequence[Session]) -> int:
        fresh: dict[str, Session] = {}
        for session in sessions:
            if session.id not in fresh:
                fresh[session.id] = session_in_utc(session)
        with self._lock:
            new = [s for s in fresh.values() if s.id not in self._sessions]
            for session in new:
                self._sessions[session.id] = session
            self._settle(new)
        return len(new)

    def _settle(self, sessions: Sequence[Session]) -> None:
        """Count the ended ones of ``sessions``; drop the rows of those that are no removal.
        Called holding the lock."""
        ended = [s for s in sessions if s.status in ENDED]
        if not ended:
            return
        for key, (first, n) in counted(ended).items():
            self._counts[key] = (first, self._counts.get(key, (first, 0))[1] + n)
        for session in ended:
            if not keeps_row(session, session.id in self._removal_sessions):
                del self._sessions[session.id]

    def get_session(self, session_id: str) -> Session:
        with self._lock:
            found = self._sessions.get(session_id)
        if found is None:
            raise NotFound(f"no session {session_id}")
        return found

    def end_session(self, session_id: str, status: SessionStatus, at: datetime) -> Session:
        ended, when = ended_status(status), aware(at, "at")
        with self._lock:
            found = self._sessions.get(session_id)
            if found is None:
                raise NotFound(f"no session {session_id}")
            if found.status is not SessionStatus.LIVE:
                return found  # the first end wins
            changed = replace(found, status=ended, ended_at=when)
            self._sessions[session_id] = changed
            self._settle([changed])
        return changed

    def move_session(self, session_id: str, location: Location) -> Session:
        with self._lock:
            found = self._sessions.get(session_id)
            if found is None:
                raise NotFound(f"no session {session_id}")
            if found.status is not SessionStatus.LIVE:
                raise Conflict(f"session {session_id} has ended ({found.status.value})")
            changed = replace(found, location=location)
            self._sessions[session_id] = changed
        return changed

    def write_roster(self, writes: Sequence[RosterWrite]) -> list[Outcome]:
        outcomes: list[Outcome] = []
        for write in writes:
            try:
                outcomes.append(self._write(write))
            except (NotFound, Conflict, InvalidInput) as exc:
                outcomes.append(exc)
        return outcomes

    def _write(self, write: RosterWrite) -> Session:
        if isinstance(write, Join):
            self.add_session(write.session)
            return session_in_utc(write.session)
        with self._lock:
            found = self._sessions.get(write.session_id)
        if found is None or write.platform not in (None, found.platform):
            raise NotFound(f"no session {write.session_id}")
        if isinstance(write, End):
            return self.end_session(write.session_id, write.status, write.at)
        return self.move_session(write.session_id, write.location)

    def live_sessions(
        self,
        *,
        resource_type: str | None = None,
        resource_ids: Sequence[str] = (),
        hosts: Sequence[str] = (),
        places: Sequence[str] = (),
    ) -> list[Session]:
        ids, owners, where = set(resource_ids), set(hosts), set(places)
        with self._lock:
            live = [
                s
                for s in self._sessions.values()
                if s.status is SessionStatus.LIVE
                and (not where or s.location.country in where or s.location.subdivision in where)
            ]
        if not ids and not owners:
            found = [s for s in live if resource_type is None or s.resource.type == resource_type]
        else:
            found = [
                s
                for s in live
                if (
                    s.resource.id in ids
                    and (resource_type is None or s.resource.type == resource_type)
                )
                or (s.resource.host is not None and s.resource.host in owners)
            ]
        return sorted_sessions(found)

    def sessions_of(
        self, resource_ids: Sequence[str], hosts: Sequence[str], since: datetime
    ) -> list[Session]:
        ids, owners, after = set(resource_ids), set(hosts), aware(since, "since")
        with self._lock:
            everyone = list(self._sessions.values())
        return sorted_sessions(
            s
            for s in everyone
            if (s.resource.id in ids or (s.resource.host is not None and s.resource.host in owners))
            and (s.status is SessionStatus.LIVE or (s.ended_at is not None and s.ended_at >= after))
        )

    def attendance_of(
        self, resource_ids: Sequence[str], hosts: Sequence[str], since: datetime
    ) -> list[Attendance]:
        ids, owners, first = set(resource_ids), set(hosts), first_day(aware(since, "since"))
        with self._lock:
            counts = list(self._counts.values())
        found = [
            Attendance(s.platform, s.resource, s.ended_at.date(), s.location, n)
            for s, n in counts
            if s.ended_at is not None
            and s.ended_at.date() >= first
            and (
                s.resource.id in ids or (s.resource.host is not None and s.resource.host in owners)
            )
        ]
        return sorted(found, key=attendance_order)

    # Outbox ----------------------------------------------------------------------------------
    def enqueue(self, commands: Sequence[Command]) -> int:
        fresh = [(c, json_data(c.data, c.key)) for c in unique_by_key(commands)]
        with self._lock:
            new = [(c, data) for c, data in fresh if c.key not in self._commands]
            for command, data in new:
                self._commands[command.key] = _Stored(command, data)
                if command.type == REMOVE and command.session_id is not None:
                    self._removal_sessions.add(command.session_id)
        return len(new)

    def due_commands(self, now: datetime, limit: int) -> list[Command]:
        when, most = aware(now, "now"), page_size(limit)
        until = when + self._lease
        with self._lock:
            due = sorted(
                (
                    stored
                    for stored in self._commands.values()
                    if stored.command.status is CommandStatus.PENDING
                    and stored.command.next_attempt_at <= when
                ),
                key=lambda s: (s.command.next_attempt_at, s.command.key),
            )[:most]
            for stored in due:
                stored.command = replace(stored.command, next_attempt_at=until)
            return [stored.out() for stored in due]

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
        checked = [(a.key, *attempt(a.status, a.next_attempt_at), aware(a.at, "at"), a.error)
                   for a in attempts]  # fmt: skip
        with self._lock:
            for key, *_ in checked:
                if key not in self._commands:
                    raise NotFound(f"no command {key}")
            for key, outcome, later, when, error in checked:
                stored = self._commands[key]
                command = stored.command
                if not applies(command.status, outcome):
                    continue
                stored.command = replace(
                    command,
                    status=outcome,
                    attempts=command.attempts + 1,
                    last_error=error,
                    delivered_at=when
                    if outcome is CommandStatus.DELIVERED
                    else command.delivered_at,
                    next_attempt_at=later if later is not None else command.next_attempt_at,
                )

    def get_command(self, key: str) -> Command:
        with self._lock:
            stored = self._commands.get(key)
            if stored is None:
                raise NotFound(f"no command {key}")
            return stored.out()

    def list_commands(
        self,
        *,
        status: CommandStatus | None = None,
        order_id: str | None = None,
        platform: str | None = None,
        limit: int = 100,
    ) -> list[Command]:
        wanted = None if status is None else command_status(status)
        most = page_size(limit)
        with self._lock:
            found = sorted(
                (
                    s
                    for s in self._commands.values()
                    if (wanted is None or s.command.status is wanted)
                    and (order_id is None or s.command.order_id == order_id)
                    and (platform is None or s.command.platform == platform)
                ),
                key=lambda s: (s.command.created_at, s.command.key),
                reverse=True,
            )[:most]
            return [s.out() for s in found]

    def removals_of(
        self, order_id: str, *, after: str | None = None, limit: int = 1000
    ) -> list[Command]:
        most = page_size(limit)
        with self._lock:
            found = sorted(
                (
                    s
                    for s in self._commands.values()
                    if s.command.order_id == order_id
                    and s.command.type == REMOVE
                    and (after is None or s.command.key > after)
                ),
                key=lambda s: s.command.key,
            )[:most]
            return [s.out() for s in found]

    def commands_between(
        self, since: datetime, until: datetime, types: Sequence[str]
    ) -> list[Command]:
        since, until = aware(since, "since"), aware(until, "until")
        with self._lock:
            found = [
                s.command
                for s in self._commands.values()
                if since <= s.command.created_at < until and s.command.type in types
            ]
        return [replace(c) for c in sorted(found, key=lambda c: (c.created_at, c.key))]

    # Retention -------------------------------------------------------------------------------
    def purge(
        self, before: datetime, *, since: datetime | None = None, dry_run: bool = False
    ) -> Purged:
        cutoff, after = aware(before, "before"), maybe_aware(since, "since")
        with self._lock:
            sessions = [
                s for s in self._sessions.values() if session_is_purgeable(s, cutoff, after)
            ]
            commands = [
                stored
                for stored in self._commands.values()
                if command_is_purgeable(stored.out(), cutoff, after)
            ]
            if not dry_run:
                for session in sessions:
                    del self._sessions[session.id]  # counted when it ended
                last = last_purged_day(cutoff)
                for key, (first, _) in list(self._counts.items()):
                    if first.ended_at is not None and first.ended_at.date() <= last:
                        del self._counts[key]
                for stored in commands:
                    del self._commands[stored.command.key]
                    command = stored.out()
                    kept = purged_data(command.data)
                    key = purged_key(command, secrets.token_hex(16))
                    self._commands[key] = _Stored(
                        replace(stored.command, key=key, data=kept, last_error=None),
                        json_data(kept, key),
                    )
        return Purged(sessions=len(sessions), commands=len(commands))


if TYPE_CHECKING:

    def _is_an_enforcement_store(store: MemoryEnforcementStore) -> EnforcementStore:
        return store  # mypy checks that the class implements the protocol
