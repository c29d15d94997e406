"""Fixtures for the transparency tests: a migrated database on SQLite and on PostgreSQL."""

from __future__ import annotations

import pytest


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest) -> str:
    """A migrated database of the test's own, on each backend."""
    return str(request.getfixturevalue(f"migrated_{request.param}_url"))
