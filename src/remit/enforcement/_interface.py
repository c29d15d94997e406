"""What live enforcement needs from storage: platforms, the roster and the outbox."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from remit.enforcement._model import Command, CommandStatus, Platform, Session, SessionStatus
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

    # Roster ----------------------------------------------------------------------------------
    def add_session(self, session: Session) -> None:
        """Put a live session on the roster (``Conflict`` when the id exists)."""

    def get_session(self, session_id: str) -> Session:
        """A session by id, or ``NotFound``."""

    def end_session(self, session_id: str, status: SessionStatus, at: datetime) -> Session:
        """Mark a session left or removed; returns it. ``NotFound`` when absent."""

    def move_session(
        self, session_id: str, location: Location, ip: str | None, phone: str | None
    ) -> Session:
        """Record a live session's new address and location; returns it."""

    def live_sessions(
        self,
        *,
        resource_type: str | None = None,
        resource_ids: Sequence[str] = (),
        hosts: Sequence[str] = (),
    ) -> list[Session]:
        """Live sessions in any of ``resource_ids`` (of ``resource_type``) or hosted by any of
        ``hosts``; with neither given, every live session."""

    def sessions_of(
        self, resource_ids: Sequence[str], hosts: Sequence[str], since: datetime
    ) -> list[Session]:
        """Sessions (live or ended since ``since``) in those resources or of those hosts: the
        recent attendance the impact preview counts."""

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

    def get_command(self, key: str) -> Command:
        """A command by key, or ``NotFound``."""

    def list_commands(
        self, *, status: CommandStatus | None = None, order_id: str | None = None, limit: int = 100
    ) -> list[Command]:
        """Commands, newest first, filtered."""

    def close(self) -> None:
        """Release connections."""
