"""Tokens that end: a replaced token may keep working until ``expires_at`` (a platform's grace
period), and every revocation is a row that every node counts, so that none keeps a revoked
token in its cache.

``token_revocations`` holds one row per revocation, with when it takes effect: at once for a
removed user or a replaced token, at the end of the grace period for a rotated platform token.
Each node counts the rows in effect every second; a change makes it drop its token cache.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("tokens") as tokens:
        tokens.add_column(sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True))
    op.create_table(
        "token_revocations",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("user_name", sa.String(200), nullable=False),
        sa.Column("effective_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_token_revocations"),
    )
    op.create_index("ix_token_revocations_effective_at", "token_revocations", ["effective_at"])


def downgrade() -> None:
    op.drop_table("token_revocations")
    with op.batch_alter_table("tokens") as tokens:
        tokens.drop_column("expires_at")
