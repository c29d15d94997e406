"""An order's removals in pages: the outbox indexed by order, type and key.

A reversed appeal readmits every participant the order removed, reading its removals a page at a
time in key order (``removals_of``). The index on ``order_id`` alone made each page sort all of
the order's commands; this one (``order_id``, ``type``, ``key``) finds a page as a range, and
still serves every query by order, so it replaces the old one.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-14
"""

from __future__ import annotations

from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_commands_order_id_type_key", "commands", ["order_id", "type", "key"])
    op.drop_index("ix_commands_order_id", table_name="commands")


def downgrade() -> None:
    op.create_index("ix_commands_order_id", "commands", ["order_id"])
    op.drop_index("ix_commands_order_id_type_key", table_name="commands")
