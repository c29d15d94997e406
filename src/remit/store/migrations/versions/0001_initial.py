"""The initial schema: orders and their transitions, documents, users, tokens, audit.

Revision ID: 0001
Revises:
Create Date: 2025-01-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

NAME = 200
CODE = 32


def _when(name: str) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=False)


def upgrade() -> None:
    op.create_table(
        "orders",
        sa.Column("id", sa.String(NAME), nullable=False),
        sa.Column("status", sa.String(CODE), nullable=False),
        sa.Column("jurisdiction", sa.String(CODE), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("change_seq", sa.BigInteger(), nullable=False),
        _when("received_at"),
        _when("created_at"),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_orders"),
        sa.UniqueConstraint("change_seq", name="uq_orders_change_seq"),
    )
    op.create_index("ix_orders_status", "orders", ["status"])
    op.create_index("ix_orders_jurisdiction", "orders", ["jurisdiction"])

    op.create_table(
        "order_transitions",
        sa.Column("order_id", sa.String(NAME), nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(CODE), nullable=False),
        sa.Column("from_status", sa.String(CODE), nullable=True),
        sa.Column("to_status", sa.String(CODE), nullable=False),
        sa.Column("actor", sa.String(NAME), nullable=False),
        _when("at"),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("checklist", sa.JSON(), nullable=True),
        sa.Column("scope", sa.JSON(), nullable=True),
        sa.ForeignKeyConstraint(
            ["order_id"], ["orders.id"], name="fk_order_transitions_order_id_orders"
        ),
        sa.PrimaryKeyConstraint("order_id", "sequence", name="pk_order_transitions"),
    )

    op.create_table(
        "documents",
        sa.Column("order_id", sa.String(NAME), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(["order_id"], ["orders.id"], name="fk_documents_order_id_orders"),
        sa.PrimaryKeyConstraint("order_id", name="pk_documents"),
    )

    op.create_table(
        "users",
        sa.Column("name", sa.String(NAME), nullable=False),
        sa.Column("roles", sa.JSON(), nullable=False),
        _when("created_at"),
        sa.Column("disabled", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("name", name="pk_users"),
    )

    op.create_table(
        "tokens",
        sa.Column("hash", sa.String(64), nullable=False),
        sa.Column("user_name", sa.String(NAME), nullable=False),
        sa.ForeignKeyConstraint(["user_name"], ["users.name"], name="fk_tokens_user_name_users"),
        sa.PrimaryKeyConstraint("hash", name="pk_tokens"),
    )
    op.create_index("ix_tokens_user_name", "tokens", ["user_name"])

    op.create_table(
        "audit",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("actor", sa.String(NAME), nullable=False),
        sa.Column("action", sa.String(NAME), nullable=False),
        sa.Column("subject", sa.Text(), nullable=False),
        _when("at"),
        sa.Column("outcome", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_audit"),
    )

    sequence = op.create_table(
        "order_sequence",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("value", sa.BigInteger(), nullable=False),
        sa.CheckConstraint("id = 1", name="ck_order_sequence_single_row"),
        sa.PrimaryKeyConstraint("id", name="pk_order_sequence"),
    )
    op.bulk_insert(sequence, [{"id": 1, "value": 0}])


def downgrade() -> None:
    for table in (
        "order_sequence",
        "audit",
        "tokens",
        "users",
        "documents",
        "order_transitions",
        "orders",
    ):
        op.drop_table(table)
