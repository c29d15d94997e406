"""Alembic's entry point: migrate the connection :func:`remit.store.upgrade` passes in.

To write a new revision, run Alembic against a scratch database from Python::

    from alembic import command
    from remit.store._sql_migrate import config
    command.revision(config(), message="what changes")
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from remit.store._sql_models import Base

connection = context.config.attributes.get("connection")
if not isinstance(connection, Connection):
    raise RuntimeError("remit's migrations run through remit.store.upgrade(url), not alembic's CLI")

context.configure(connection=connection, target_metadata=Base.metadata, compare_type=True)
with context.begin_transaction():
    context.run_migrations()
