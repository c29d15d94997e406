"""Fixtures shared by every test folder.

``postgres_url``: an empty PostgreSQL schema of its own for one test, as a SQLAlchemy URL, on the
server at 127.0.0.1:5432 (user ``postgres``). Each test session creates one database
``remit_test_<hex>`` and drops it at the end; each test gets a fresh schema in it (the URL sets
``search_path``), which is much faster than a database per test and just as empty. Without
that server the tests that ask for it are skipped, with the reason shown; in CI (``CI=true``)
they fail instead, because CI must test PostgreSQL for real.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator

import psycopg
import pytest
from psycopg import sql

POSTGRES_HOST = "127.0.0.1:5432"
#: The maintenance database, in the form psycopg takes.
POSTGRES_ADMIN = f"postgresql://postgres@{POSTGRES_HOST}/postgres"


def _admin(database: str = "postgres") -> psycopg.Connection[tuple[object, ...]]:
    return psycopg.connect(f"postgresql://postgres@{POSTGRES_HOST}/{database}", autocommit=True)


def _disconnect_others(admin: psycopg.Connection[tuple[object, ...]], database: str) -> None:
    admin.execute(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
        "WHERE datname = %s AND pid <> pg_backend_pid()",
        (database,),
    )


@pytest.fixture(scope="session")
def postgres_server() -> str:
    """The maintenance database's URL (psycopg form), once the server has answered."""
    try:
        with psycopg.connect(POSTGRES_ADMIN, connect_timeout=3):
            pass
    except psycopg.Error as exc:
        why = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        reason = f"PostgreSQL must be running on {POSTGRES_HOST} (user postgres): {why}"
        if os.environ.get("CI") == "true":
            pytest.fail(reason, pytrace=False)
        pytest.skip(reason)
    return POSTGRES_ADMIN


@pytest.fixture(scope="session")
def postgres_database(postgres_server: str) -> Iterator[str]:
    """The name of a database created for this test session, dropped at its end."""
    name = f"remit_test_{secrets.token_hex(6)}"
    with _admin() as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield name
    finally:
        with _admin() as admin:
            _disconnect_others(admin, name)
            admin.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name)))


@pytest.fixture
def postgres_url(postgres_database: str) -> Iterator[str]:
    """A fresh, empty schema for this test: the SQLAlchemy URL that works in it."""
    schema = f"test_{secrets.token_hex(6)}"
    with _admin(postgres_database) as admin:
        admin.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(schema)))
    try:
        yield (
            f"postgresql+psycopg://postgres@{POSTGRES_HOST}/{postgres_database}"
            f"?options=-csearch_path%3D{schema}"
        )
    finally:
        with _admin(postgres_database) as admin:
            # Whatever the test left connected would hold locks the DROP must wait for.
            _disconnect_others(admin, postgres_database)
            admin.execute(sql.SQL("DROP SCHEMA {} CASCADE").format(sql.Identifier(schema)))
