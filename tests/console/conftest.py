"""A console on a real SQLite store: one browser (TestClient with its own cookies) per person.

``db_site`` is the same console on SQLite and on PostgreSQL, for what several nodes share.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from console_helpers import Site, open_site

#: The scrypt cost of the passwords these tests set: remit's (2**17, 128 MiB, about a second
#: here) would make every sign-in of every test that slow. ``remit.console._passwords.COST``
#: itself is checked against a real ``remit user passwd``, and the rehash at sign-in with it.
TEST_COST = (2**10, 8, 1)


@pytest.fixture(autouse=True)
def _cheap_passwords(monkeypatch: pytest.MonkeyPatch) -> None:
    from remit.console import _passwords

    monkeypatch.setattr(_passwords, "COST", TEST_COST)


@pytest.fixture
def site(migrated_sqlite_url: str) -> Iterator[Site]:
    with open_site(migrated_sqlite_url) as found:
        yield found


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_site(request: pytest.FixtureRequest) -> Iterator[Site]:
    """The console on SQLite, then on PostgreSQL."""
    with open_site(str(request.getfixturevalue(f"migrated_{request.param}_url"))) as found:
        yield found
