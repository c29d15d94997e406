"""Fixtures for the transparency tests: a migrated database on SQLite and on PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pytest

from remit.store import upgrade


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A migrated database, on each backend."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'remit.sqlite3'}"
    else:
        url = str(request.getfixturevalue("postgres_url"))
    upgrade(url)
    return url
