"""The retention purge: an index of the ended sessions that still hold personal data.

A partial index on status and ``ended_at`` of the sessions that have ended and still name someone
(or keep an address, a number or a language): the purge reads what ended before its cut-off as a
range of it, per ended status, instead of the whole roster. A live session is not in it, and a
session leaves it once purged, so a purge never reads again what it purged before.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-12
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

#: As ``remit.store._enforcement_models.SESSION_HOLDS_DATA`` (a purged participant is '').
HOLDS_DATA = (
    "ended_at IS NOT NULL AND "
    "(participant <> '' OR ip IS NOT NULL OR phone IS NOT NULL OR language IS NOT NULL)"
)


def upgrade() -> None:
    op.create_index(
        "ix_sessions_status_ended_at_unpurged",
        "sessions",
        ["status", "ended_at"],
        sqlite_where=sa.text(HOLDS_DATA),
        postgresql_where=sa.text(HOLDS_DATA),
    )


def downgrade() -> None:
    op.drop_index("ix_sessions_status_ended_at_unpurged", table_name="sessions")
