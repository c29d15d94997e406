"""The console: users' password hashes and signed-in browser sessions.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

NAME = 200


def upgrade() -> None:
    op.create_table(
        "console_passwords",
        sa.Column("user_name", sa.String(NAME), nullable=False),
        sa.Column("hash", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_name"], ["users.name"], name="fk_console_passwords_user_name_users"
        ),
        sa.PrimaryKeyConstraint("user_name", name="pk_console_passwords"),
    )
    op.create_table(
        "console_sessions",
        sa.Column("id_hash", sa.String(64), nullable=False),
        sa.Column("user_name", sa.String(NAME), nullable=False),
        sa.Column("csrf", sa.String(NAME), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_name"], ["users.name"], name="fk_console_sessions_user_name_users"
        ),
        sa.PrimaryKeyConstraint("id_hash", name="pk_console_sessions"),
    )
    op.create_index("ix_console_sessions_user_name", "console_sessions", ["user_name"])
    op.create_index("ix_console_sessions_expires_at", "console_sessions", ["expires_at"])


def downgrade() -> None:
    op.drop_table("console_sessions")
    op.drop_table("console_passwords")
