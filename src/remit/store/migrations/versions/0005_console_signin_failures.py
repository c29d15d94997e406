"""The console: failed sign-ins, counted per user name and per client address for throttling.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "console_signin_failures",
        sa.Column("attempt", sa.String(64), nullable=False),
        sa.Column("key_hash", sa.String(64), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("attempt", "key_hash", name="pk_console_signin_failures"),
    )
    op.create_index(
        "ix_console_signin_failures_key_hash_at", "console_signin_failures", ["key_hash", "at"]
    )
    op.create_index("ix_console_signin_failures_at", "console_signin_failures", ["at"])


def downgrade() -> None:
    op.drop_table("console_signin_failures")
