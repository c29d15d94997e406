"""The roster keeps no address and no number: ``sessions.ip`` and ``sessions.phone`` go.

An IP address or a dial-in number places a participant (the place, every source's answer and its
data's date are kept: migration 0009) and is then dropped; a move brings the new one with it. The
columns and what they held are removed, and the purge's partial index no longer tests them.

On SQLite the table is rebuilt (a batch alter), so the old values leave the live pages; the freed
pages keep old bytes until SQLite reuses them: ``VACUUM`` the file to be sure (docs/privacy.md).
On PostgreSQL a dropped column's values stay on disk until rows are rewritten: ``VACUUM FULL
sessions`` rewrites them.

A downgrade brings the columns back empty: what was dropped is gone.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

INDEX = "ix_sessions_status_ended_at_unpurged"
#: As ``remit.store._enforcement_models.SESSION_HOLDS_DATA`` (a purged participant is '').
HOLDS_DATA = "ended_at IS NOT NULL AND (participant <> '' OR language IS NOT NULL)"
#: The index's test before this revision (migration 0006).
HELD_DATA = (
    "ended_at IS NOT NULL AND "
    "(participant <> '' OR ip IS NOT NULL OR phone IS NOT NULL OR language IS NOT NULL)"
)


def _index(where: str) -> None:
    op.create_index(
        INDEX,
        "sessions",
        ["status", "ended_at"],
        sqlite_where=sa.text(where),
        postgresql_where=sa.text(where),
    )


def upgrade() -> None:
    op.drop_index(INDEX, table_name="sessions")
    with op.batch_alter_table("sessions") as batch:
        batch.drop_column("ip")
        batch.drop_column("phone")
    _index(HOLDS_DATA)


def downgrade() -> None:
    op.drop_index(INDEX, table_name="sessions")
    with op.batch_alter_table("sessions") as batch:
        batch.add_column(sa.Column("ip", sa.String(64), nullable=True))
        batch.add_column(sa.Column("phone", sa.String(64), nullable=True))
    _index(HELD_DATA)
