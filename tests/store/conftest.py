"""Every store test runs on each backend: in memory, on a SQLite file, on PostgreSQL.

A backend can open more than one store on the same data (two nodes sharing one database); the
memory backend hands out the same store, as one process would.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from store_builders import Backend

from remit.store import MemoryStore, Store, open_store


def sqlite_backend(template: Path, folder: Path) -> Backend:
    path = folder / "remit.sqlite3"
    shutil.copyfile(template, path)
    url = f"sqlite:///{path}"
    return Backend("sqlite", url, lambda: open_store(url))


def postgres_backend(url: str) -> Backend:
    return Backend("postgres", url, lambda: open_store(url))


@pytest.fixture(params=["memory", "sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Backend]:
    if request.param == "memory":
        memory = MemoryStore()
        chosen = Backend("memory", None, lambda: memory)
    elif request.param == "sqlite":
        chosen = sqlite_backend(request.getfixturevalue("sqlite_template"), tmp_path)
    else:
        chosen = postgres_backend(request.getfixturevalue("migrated_postgres_url"))
    try:
        yield chosen
    finally:
        chosen.close()


@pytest.fixture
def store(backend: Backend) -> Store:
    return backend.open()
