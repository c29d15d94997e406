"""Live enforcement: platforms, the roster of sessions, and the outbox of commands.

Revision ID: 0003
Revises: 0002
Create Date: 2025-01-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

NAME = 200
CODE = 32
ID = 512
KEY = 1024
ADDRESS = 64


def _when(name: str, *, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "platforms",
        sa.Column("name", sa.String(NAME), nullable=False),
        sa.Column("connector", sa.String(NAME), nullable=False),
        sa.Column("settings", sa.JSON(), nullable=False),
        _when("created_at"),
        sa.PrimaryKeyConstraint("name", name="pk_platforms"),
    )

    op.create_table(
        "sessions",
        sa.Column("id", sa.String(ID), nullable=False),
        sa.Column("platform", sa.String(NAME), nullable=False),
        sa.Column("resource_type", sa.String(ID), nullable=False),
        sa.Column("resource_id", sa.String(ID), nullable=False),
        sa.Column("resource_host", sa.String(ID), nullable=True),
        sa.Column("participant", sa.String(ID), nullable=False),
        sa.Column("country", sa.String(CODE), nullable=True),
        sa.Column("subdivision", sa.String(CODE), nullable=True),
        sa.Column("location_source", sa.String(CODE), nullable=False),
        sa.Column("ip", sa.String(ADDRESS), nullable=True),
        sa.Column("phone", sa.String(ADDRESS), nullable=True),
        sa.Column("language", sa.String(ADDRESS), nullable=True),
        _when("joined_at"),
        sa.Column("status", sa.String(CODE), nullable=False),
        _when("ended_at", nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_sessions"),
    )
    op.create_index(
        "ix_sessions_status_resource", "sessions", ["status", "resource_type", "resource_id"]
    )
    op.create_index("ix_sessions_status_host", "sessions", ["status", "resource_host"])
    op.create_index("ix_sessions_resource_id", "sessions", ["resource_id"])
    op.create_index("ix_sessions_resource_host", "sessions", ["resource_host"])

    op.create_table(
        "commands",
        sa.Column("key", sa.String(KEY), nullable=False),
        sa.Column("platform", sa.String(NAME), nullable=False),
        sa.Column("type", sa.String(NAME), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("order_id", sa.String(NAME), nullable=False),
        sa.Column("session_id", sa.String(ID), nullable=True),
        sa.Column("status", sa.String(CODE), nullable=False),
        _when("created_at"),
        _when("next_attempt_at"),
        _when("deadline"),
        sa.Column("attempts", sa.Integer(), nullable=False),
        _when("delivered_at", nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("key", name="pk_commands"),
    )
    op.create_index("ix_commands_status_next_attempt_at", "commands", ["status", "next_attempt_at"])
    op.create_index("ix_commands_order_id", "commands", ["order_id"])


def downgrade() -> None:
    for table in ("commands", "sessions", "platforms"):
        op.drop_table(table)
