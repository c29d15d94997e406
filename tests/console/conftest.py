"""A console on a real SQLite store: one browser (TestClient with its own cookies) per person.

``db_site`` is the same console on SQLite and on PostgreSQL, for what several nodes share.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from console_helpers import Site, open_site


@pytest.fixture
def site(migrated_sqlite_url: str) -> Iterator[Site]:
    with open_site(migrated_sqlite_url) as found:
        yield found


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_site(request: pytest.FixtureRequest) -> Iterator[Site]:
    """The console on SQLite, then on PostgreSQL."""
    with open_site(str(request.getfixturevalue(f"migrated_{request.param}_url"))) as found:
        yield found
