"""A console on a real SQLite store: one browser (TestClient with its own cookies) per person.

``db_site`` is the same console on SQLite and on PostgreSQL, for what several nodes share.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from console_helpers import Site, open_site


@pytest.fixture
def site(tmp_path: Path) -> Iterator[Site]:
    with open_site(f"sqlite:///{tmp_path / 'remit.sqlite3'}") as found:
        yield found


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_site(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Site]:
    """The console on SQLite, then on PostgreSQL."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'remit.sqlite3'}"
    else:
        url = str(request.getfixturevalue("postgres_url"))
    with open_site(url) as found:
        yield found
