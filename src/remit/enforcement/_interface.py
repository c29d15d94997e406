"""What live enforcement needs from storage: platforms, the roster and the outbox."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from remit.enforcement._attendance import Attendance
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
from remit.location import Location


class EnforcementStore(Protocol):
    """Platforms, live sessions and commands. Raises only remit errors (NotFound, Conflict,
    StoreError, InvalidInput)."""

    # Platforms -------------------------------------------------------------------------------
    def add_platform(self, platform: Platform) -> None:
        """Store a platform (``Conflict`` when the name exists)."""

    def get_platform(self, name: str) -> Platform:
        """A platform by name, or ``NotFound``."""

    def list_platforms(self) -> list[Platform]:
        """Every platform, by name."""

    def save_platform_settings(self, name: str, settings: dict[str, str]) -> None:
        """Replace a platform's settings (a rotated secret); ``NotFound`` when there is none.
        Enforcers read them again within ``PLATFORM_REFRESH_S``."""

    # Roster ----------------------------------------------------------------------------------
    def add_session(self, session: Session) -> None:
        """Put a live session on the roster (``Conflict`` when the id exists)."""

    def add_sessions(self, sessions: Sequence[Session]) -> int:
        """Put many sessions on the roster in one transaction, fast (loading a roster in bulk);
        returns how many were new. A session whose id is stored already is left as it is, and
        within one batch the first session with an id wins. A batch with a session the store
        refuses (a naive time, a status that is not one) stores nothing."""

    def get_session(self, session_id: str) -> Session:
        """A session by id, or ``NotFound``."""

    def end_session(self, session_id: str, status: SessionStatus, at: datetime) -> Session:
        """Mark a session left or removed; returns it. ``NotFound`` when absent. The session is
        counted in its resource's attendance, and unless it is a removal its row is deleted
        (:mod:`remit.enforcement._attendance`)."""

    def move_session(self, session_id: str, location: Location) -> Session:
        """Record a live session's new location (the new address placed it); returns it."""

    def write_roster(self, writes: Sequence[RosterWrite]) -> list[Outcome]:
        """Joins, leaves and moves in one transaction, in order (the roster's group commit).

        Returns, for each write, the session as written, or the error that refused that write
        alone (``NotFound``, ``Conflict``, ``InvalidInput``): the others are written all the
        same. When the batch fails as a whole (``StoreError``; a value the database refuses),
        it raises and nothing of it is written."""

    def live_sessions(
        self,
        *,
        resource_type: str | None = None,
        resource_ids: Sequence[str] = (),
        hosts: Sequence[str] = (),
        places: Sequence[str] = (),
    ) -> list[Session]:
        """Live sessions in any of ``resource_ids`` (of ``resource_type``) or hosted by any of
        ``hosts``; with neither given, every live session. With ``places`` (country or
        subdivision codes, such as the places an order's scope covers), only the sessions whose
        location's country or subdivision is one of them: a session of unknown location is in
        none."""

    def sessions_of(
        self, resource_ids: Sequence[str], hosts: Sequence[str], since: datetime
    ) -> list[Session]:
        """Sessions (live, or ended since ``since`` and kept: removals) in those resources or
        of those hosts: the live view's meetings."""

    def attendance_of(
        self, resource_ids: Sequence[str], hosts: Sequence[str], since: datetime
    ) -> list[Attendance]:
        """The counts of sessions that ended on ``since``'s UTC day or later, in those resources
        (of any type) or of those hosts: with the live sessions, the recent attendance the impact
        preview counts (:mod:`remit.enforcement._attendance`). By day, platform, resource and
        place."""

    # Outbox ----------------------------------------------------------------------------------
    def enqueue(self, commands: Sequence[Command]) -> int:
        """Add commands whose key is not there yet, in one transaction; returns how many were
        new. A key already present is left as it is (idempotency)."""

    def due_commands(self, now: datetime, limit: int) -> list[Command]:
        """Pending commands whose ``next_attempt_at`` has come, oldest first, claimed for this
        caller: on PostgreSQL with ``FOR UPDATE SKIP LOCKED`` so that each goes to one node.
        A claim lasts until :meth:`record_attempt`; a crashed claimer's commands come due again
        (the claim moves ``next_attempt_at`` forward by a lease)."""

    def record_attempt(
        self,
        key: str,
        *,
        status: CommandStatus,
        at: datetime,
        next_attempt_at: datetime | None = None,
        error: str | None = None,
    ) -> None:
        """After a delivery attempt: delivered, failed, or pending until ``next_attempt_at``."""

    def record_attempts(self, attempts: Sequence[Attempt]) -> None:
        """:meth:`record_attempt` for each of ``attempts``, in order, in one transaction: the
        outcomes of one round of deliveries. An unknown key is ``NotFound`` and records none."""

    def get_command(self, key: str) -> Command:
        """A command by key, or ``NotFound``."""

    def list_commands(
        self,
        *,
        status: CommandStatus | None = None,
        order_id: str | None = None,
        platform: str | None = None,
        limit: int = 100,
    ) -> list[Command]:
        """Commands, newest first, filtered (``platform``: only that platform's)."""

    def removals_of(
        self, order_id: str, *, after: str | None = None, limit: int = 1000
    ) -> list[Command]:
        """A page of the order's removals (``participant.remove``), by key: the first ``limit``
        whose key is after ``after`` (from the first with None). The next page starts after the
        last key of this one; a page shorter than ``limit`` is the last."""

    def commands_between(
        self, since: datetime, until: datetime, types: Sequence[str]
    ) -> list[Command]:
        """Commands of ``types`` created in ``[since, until)``, oldest first (daily counts)."""

    # Retention -------------------------------------------------------------------------------
    def purge(
        self, before: datetime, *, since: datetime | None = None, dry_run: bool = False
    ) -> Purged:
        """Remove the personal data of what finished before ``before`` (see
        :mod:`remit.enforcement._retention`): sessions that ended, commands delivered or failed.
        Live sessions and pending commands are never touched. With ``since``, only what finished
        at or after it (a node that purged up to ``since`` already reads less). Returns how many
        sessions and commands lost personal data; with ``dry_run``, how many would, changing
        nothing. Long purges are done in batches, each its own transaction."""

    def close(self) -> None:
        """Release connections."""
