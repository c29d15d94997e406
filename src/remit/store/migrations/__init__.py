"""Alembic migration scripts for remit's schema, run by :func:`remit.store.upgrade`."""
