"""Live enforcement's tables, declared on the store's ``Base`` so migrations cover them.

``platforms`` holds each platform a connector delivers to; ``sessions`` is the roster (a row per
participant per resource, kept after it ends only when it is a removal); ``attendance`` counts the
sessions that ended, for the impact preview's recent attendance
(:mod:`remit.enforcement._attendance`); ``commands`` is the transactional outbox, one row per
idempotency key.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from remit.enforcement._retention import PURGED_PARTICIPANT
from remit.store._sql_models import CODE, NAME, Base, UTCDateTime

ID = 512  # a platform's ids: sessions, resources, hosts, participants (as remit.policy allows)
KEY = 1024  # idempotency keys: "remove/<order>/<session>" and the like
LANGUAGE = 64  # a language tag

#: A session that still holds personal data, which a purge takes away: written out the same in
#: the purge's queries, so that SQLite and PostgreSQL both see that they read only rows of the
#: partial index ``ix_sessions_status_ended_at_unpurged`` (a literal: PostgreSQL's generic plans
#: cannot tell that ``participant <> $1`` implies ``participant <> ''``).
SESSION_HOLDS_DATA = f"participant <> '{PURGED_PARTICIPANT}' OR language IS NOT NULL"
#: The ended sessions that still hold personal data: the partial index's rows.
_ENDED_HOLDING_DATA = text(f"ended_at IS NOT NULL AND ({SESSION_HOLDS_DATA})")
#: The removals among commands, which keep an ended session's row.
REMOVALS = "type = 'participant.remove'"
_REMOVALS = text(REMOVALS)


class PlatformRow(Base):
    __tablename__ = "platforms"

    name: Mapped[str] = mapped_column(String(NAME), primary_key=True)
    connector: Mapped[str] = mapped_column(String(NAME))
    settings: Mapped[dict[str, str]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class SessionRow(Base):
    """One participant in one resource: live, or ended (left or removed) at ``ended_at``."""

    __tablename__ = "sessions"
    __table_args__ = (
        # live_sessions by resource (of a type) and by host
        Index("ix_sessions_status_resource", "status", "resource_type", "resource_id"),
        Index("ix_sessions_status_host", "status", "resource_host"),
        # purge: ended (left or removed) before the cut-off, not purged yet (migrations 0006, 0010)
        Index(
            "ix_sessions_status_ended_at_unpurged",
            "status",
            "ended_at",
            sqlite_where=_ENDED_HOLDING_DATA,
            postgresql_where=_ENDED_HOLDING_DATA,
        ),
    )

    id: Mapped[str] = mapped_column(String(ID), primary_key=True)
    platform: Mapped[str] = mapped_column(String(NAME))
    resource_type: Mapped[str] = mapped_column(String(ID))
    resource_id: Mapped[str] = mapped_column(String(ID), index=True)  # sessions_of
    resource_host: Mapped[str | None] = mapped_column(String(ID), index=True)  # sessions_of
    participant: Mapped[str] = mapped_column(String(ID))
    country: Mapped[str | None] = mapped_column(String(CODE))
    subdivision: Mapped[str | None] = mapped_column(String(CODE))
    location_source: Mapped[str] = mapped_column(String(CODE))
    #: The rest of the location as JSON (every source's answer, a dispute): see migration 0009.
    location_evidence: Mapped[str | None] = mapped_column(Text)
    language: Mapped[str | None] = mapped_column(String(LANGUAGE))
    joined_at: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(CODE))
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class AttendanceRow(Base):
    """How many sessions of one resource, placed alike, ended on one UTC day (migration 0011)."""

    __tablename__ = "attendance"
    __table_args__ = (
        # attendance_of by resource and by host, from a day; the purge by day
        Index("ix_attendance_resource_id_day", "resource_id", "day"),
        Index("ix_attendance_resource_host_day", "resource_host", "day"),
        Index("ix_attendance_day", "day"),
    )

    #: SHA-256 hex of what the row counts by (``remit.enforcement._attendance.count_key``).
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    platform: Mapped[str] = mapped_column(String(NAME))
    resource_type: Mapped[str] = mapped_column(String(ID))
    resource_id: Mapped[str] = mapped_column(String(ID))
    resource_host: Mapped[str | None] = mapped_column(String(ID))
    #: The UTC day the sessions ended, ``YYYY-MM-DD``.
    day: Mapped[str] = mapped_column(String(10))
    country: Mapped[str | None] = mapped_column(String(CODE))
    subdivision: Mapped[str | None] = mapped_column(String(CODE))
    location_source: Mapped[str] = mapped_column(String(CODE))
    location_evidence: Mapped[str | None] = mapped_column(Text)
    count: Mapped[int] = mapped_column(Integer)


class CommandRow(Base):
    """One command in the outbox, by its idempotency key."""

    __tablename__ = "commands"
    __table_args__ = (
        # due_commands: pending, oldest next_attempt_at first
        Index("ix_commands_status_next_attempt_at", "status", "next_attempt_at"),
        # list_commands of an order; removals_of, an order's removals in pages by key
        Index("ix_commands_order_id_type_key", "order_id", "type", "key"),
        # an ended session keeps its row when a removal names it (migration 0011)
        Index(
            "ix_commands_session_id_removals",
            "session_id",
            sqlite_where=_REMOVALS,
            postgresql_where=_REMOVALS,
        ),
    )

    key: Mapped[str] = mapped_column(String(KEY), primary_key=True)
    platform: Mapped[str] = mapped_column(String(NAME))
    type: Mapped[str] = mapped_column(String(NAME))
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    order_id: Mapped[str] = mapped_column(String(NAME))
    session_id: Mapped[str | None] = mapped_column(String(ID))
    status: Mapped[str] = mapped_column(String(CODE))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime)
    deadline: Mapped[datetime] = mapped_column(UTCDateTime)
    attempts: Mapped[int] = mapped_column(Integer)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
