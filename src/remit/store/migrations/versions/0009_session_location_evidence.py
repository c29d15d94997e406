"""Sessions keep the evidence of their location: every IP source's answer and its data's date.

A nullable text column of JSON (the parts of ``Location.to_dict()`` beyond country, subdivision
and source: ``evidence``, ``dispute``, ``contested``, ``embedded``), NULL for a location without
them (a dial-in number, an unknown one, or a session recorded before this revision). It holds no
address: the place and the evidence for it, as invariant 6 allows.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("sessions") as batch:
        batch.add_column(sa.Column("location_evidence", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("sessions") as batch:
        batch.drop_column("location_evidence")
