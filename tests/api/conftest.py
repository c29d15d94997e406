"""An API on a real store: every test here runs on SQLite and on PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from api_helpers import PLACES, Api, enforcement_store, running_api

from remit.location import DbipSource, IptoccSource, Locator, StaticSource
from remit.store import open_store


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest) -> str:
    """A migrated database of the test's own, on each backend."""
    return str(request.getfixturevalue(f"migrated_{request.param}_url"))


@pytest.fixture
def api(database_url: str) -> Iterator[Api]:
    # The shipped data sets, which must agree, behind the operator's table, as remit serve has.
    locator = Locator(ip_sources=[StaticSource(PLACES), DbipSource(), IptoccSource()])
    store, roster = open_store(database_url), enforcement_store(database_url)
    with running_api(store, roster, locator) as running:
        yield running
