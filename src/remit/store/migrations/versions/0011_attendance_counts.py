"""Attendance as counts: ``attendance`` counts the sessions that ended, and an ended session
keeps its row only when it is a removal.

The impact preview's recent attendance needs, of an ended session, its resource, its UTC day
and its place: the new table ``attendance`` counts those (``remit.enforcement._attendance``).
Every session that ended before this revision is counted here, on the day it ended; then the
rows of ended sessions that are no removal (left, and named by no ``participant.remove``
command) are deleted, and so are those the retention purge had emptied already (participant
``''``). What an appeal or a readmission needs stays: a removal's session row until the
retention limit, its command (participant, order, notice) as the purge leaves it.

``ix_commands_session_id_removals`` finds the removal that names a session, for the check made
each time a session ends.

A downgrade drops the counts; the deleted rows are gone.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06
"""

from __future__ import annotations

from datetime import UTC

import sqlalchemy as sa
from alembic import op

from remit.enforcement._attendance import count_key
from remit.store._sql_models import UTCDateTime

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

REMOVALS = "type = 'participant.remove'"
_ENDED = "status IN ('left', 'removed') AND ended_at IS NOT NULL"
_NO_REMOVAL = (
    "NOT EXISTS (SELECT 1 FROM commands AS c WHERE c.session_id = sessions.id "
    "AND c.type = 'participant.remove')"
)

_sessions = sa.table(
    "sessions",
    sa.column("platform", sa.String),
    sa.column("resource_type", sa.String),
    sa.column("resource_id", sa.String),
    sa.column("resource_host", sa.String),
    sa.column("country", sa.String),
    sa.column("subdivision", sa.String),
    sa.column("location_source", sa.String),
    sa.column("location_evidence", sa.Text),
    sa.column("status", sa.String),
    sa.column("ended_at", UTCDateTime()),
)


def upgrade() -> None:
    attendance = op.create_table(
        "attendance",
        sa.Column("key", sa.String(64), nullable=False),
        sa.Column("platform", sa.String(200), nullable=False),
        sa.Column("resource_type", sa.String(512), nullable=False),
        sa.Column("resource_id", sa.String(512), nullable=False),
        sa.Column("resource_host", sa.String(512), nullable=True),
        sa.Column("day", sa.String(10), nullable=False),
        sa.Column("country", sa.String(32), nullable=True),
        sa.Column("subdivision", sa.String(32), nullable=True),
        sa.Column("location_source", sa.String(32), nullable=False),
        sa.Column("location_evidence", sa.Text(), nullable=True),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("key", name="pk_attendance"),
    )
    op.create_index("ix_attendance_resource_id_day", "attendance", ["resource_id", "day"])
    op.create_index("ix_attendance_resource_host_day", "attendance", ["resource_host", "day"])
    op.create_index("ix_attendance_day", "attendance", ["day"])
    op.create_index(
        "ix_commands_session_id_removals",
        "commands",
        ["session_id"],
        sqlite_where=sa.text(REMOVALS),
        postgresql_where=sa.text(REMOVALS),
    )
    bind = op.get_bind()
    counts: dict[str, dict[str, object]] = {}
    ended = sa.select(_sessions).where(sa.text(_ENDED))
    for row in bind.execute(ended.execution_options(yield_per=10_000)):
        day = row.ended_at.astimezone(UTC).date()
        resource = (row.resource_type, row.resource_id, row.resource_host)
        place = (row.country, row.subdivision, row.location_source, row.location_evidence)
        key = count_key(row.platform, resource, day, place)
        found = counts.get(key)
        if found is None:
            counts[key] = {
                "key": key, "platform": row.platform, "resource_type": row.resource_type,
                "resource_id": row.resource_id, "resource_host": row.resource_host,
                "day": day.isoformat(), "country": row.country, "subdivision": row.subdivision,
                "location_source": row.location_source,
                "location_evidence": row.location_evidence, "count": 1,
            }  # fmt: skip
        else:
            found["count"] = int(str(found["count"])) + 1
    if counts:
        op.bulk_insert(attendance, list(counts.values()))
    bind.execute(
        sa.text(
            f"DELETE FROM sessions WHERE {_ENDED} "
            f"AND (participant = '' OR (status = 'left' AND {_NO_REMOVAL}))"
        )
    )


def downgrade() -> None:
    op.drop_index("ix_commands_session_id_removals", table_name="commands")
    op.drop_index("ix_attendance_day", table_name="attendance")
    op.drop_index("ix_attendance_resource_host_day", table_name="attendance")
    op.drop_index("ix_attendance_resource_id_day", table_name="attendance")
    op.drop_table("attendance")
