"""The transparency log: its entries, the counter that numbers them, and signed checkpoints.

Revision ID: 0002
Revises: 0001
Create Date: 2025-01-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

KEY = 400
CODE = 32


def upgrade() -> None:
    op.create_table(
        "log_entries",
        sa.Column("idx", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("key", sa.String(KEY), nullable=False),
        sa.Column("kind", sa.String(CODE), nullable=False),
        sa.Column("leaf_hash", sa.LargeBinary(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("idx", name="pk_log_entries"),
        sa.UniqueConstraint("key", name="uq_log_entries_key"),
    )
    op.create_index("ix_log_entries_kind", "log_entries", ["kind"])

    sequence = op.create_table(
        "log_sequence",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("value", sa.BigInteger(), nullable=False),
        sa.CheckConstraint("id = 1", name="ck_log_sequence_single_row"),
        sa.PrimaryKeyConstraint("id", name="pk_log_sequence"),
    )
    op.bulk_insert(sequence, [{"id": 1, "value": 0}])

    op.create_table(
        "log_checkpoints",
        sa.Column("size", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("size", name="pk_log_checkpoints"),
    )


def downgrade() -> None:
    for table in ("log_checkpoints", "log_sequence", "log_entries"):
        op.drop_table(table)
