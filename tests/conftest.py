"""Fixtures shared by every test folder.

``postgres_url``: an empty PostgreSQL schema of its own for one test, as a SQLAlchemy URL, on the
server at 127.0.0.1:5432 (user ``postgres``). Each test session creates one database
``remit_test_<hex>`` and drops it at the end; each test gets a fresh schema in it (the URL sets
``search_path``), which is much faster than a database per test and just as empty. Without
that server the tests that ask for it are skipped, with the reason shown; in CI (``CI=true``)
they fail instead, because CI must test PostgreSQL for real.

``migrated_sqlite_url`` and ``migrated_postgres_url``: the same, already migrated. Migrating takes
~0.1 s on SQLite and ~0.4 s on PostgreSQL, so each test session migrates once, into a template,
and each test gets a copy: the SQLite file copied, the PostgreSQL schema replayed from a
``pg_dump`` of the template schema in one transaction (or migrated, where pg_dump is missing).
"""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
import pytest
from psycopg import sql

from remit.store import upgrade

#: The secrets key of every test's commands and servers (``REMIT_SECRETS_KEY`` wins over a key
#: file): ``remit platform add`` in the test's process and ``remit serve`` in a child seal with
#: one key, and no key file is written into the working folder. Tests of the key file unset it.
TEST_SECRETS_KEY = "5e" * 32


@pytest.fixture(autouse=True, scope="session")
def _secrets_key() -> Iterator[None]:
    """Session-wide, so that module-scoped fixtures (a Jitsi deployment adding its platform,
    then starting remit serve) see it too; a test that needs it unset uses monkeypatch."""
    before = os.environ.get("REMIT_SECRETS_KEY")
    os.environ["REMIT_SECRETS_KEY"] = TEST_SECRETS_KEY
    yield
    if before is None:
        del os.environ["REMIT_SECRETS_KEY"]
    else:
        os.environ["REMIT_SECRETS_KEY"] = before


@pytest.fixture(autouse=True, scope="session")
def _location_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """remit's cache (the DB-IP tables as built) in a folder of the test session's, not the
    user's: built by the first test that loads the data, read by every later one and by every
    remit serve the tests start. Tests of the cache itself point it elsewhere."""
    before = os.environ.get("REMIT_CACHE_DIR")
    folder = tmp_path_factory.mktemp("remit-cache")
    os.environ["REMIT_CACHE_DIR"] = str(folder)
    yield folder
    if before is None:
        del os.environ["REMIT_CACHE_DIR"]
    else:
        os.environ["REMIT_CACHE_DIR"] = before


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


@contextmanager
def _schema(database: str) -> Iterator[tuple[str, str]]:
    """A fresh, empty schema in ``database``: its name and the SQLAlchemy URL that works in it."""
    schema = f"test_{secrets.token_hex(6)}"
    with _admin(database) as admin:
        admin.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(schema)))
    try:
        yield (
            schema,
            (
                f"postgresql+psycopg://postgres@{POSTGRES_HOST}/{database}"
                f"?options=-csearch_path%3D{schema}"
            ),
        )
    finally:
        with _admin(database) as admin:
            # Whatever the test left connected would hold locks the DROP must wait for.
            _disconnect_others(admin, database)
            admin.execute(sql.SQL("DROP SCHEMA {} CASCADE").format(sql.Identifier(schema)))


@pytest.fixture
def postgres_url(postgres_database: str) -> Iterator[str]:
    """A fresh, empty schema for this test: the SQLAlchemy URL that works in it."""
    with _schema(postgres_database) as (_, url):
        yield url


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file migrated once in this test session."""
    path = tmp_path_factory.mktemp("template") / "remit.sqlite3"
    upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture
def migrated_sqlite_url(sqlite_template: Path, tmp_path: Path) -> str:
    """A migrated SQLite database of this test's own, copied from the template."""
    path = tmp_path / "remit.sqlite3"
    shutil.copyfile(sqlite_template, path)
    return f"sqlite:///{path}"


@pytest.fixture(scope="session")
def postgres_template(postgres_database: str) -> Iterator[tuple[str, str] | None]:
    """A schema migrated once in this test session and the SQL that rebuilds it (``pg_dump``,
    psql's meta-commands left out), or None when pg_dump is not installed."""
    with _schema(postgres_database) as (schema, url):
        upgrade(url)
        pg_dump = shutil.which("pg_dump")
        if pg_dump is None:
            yield None
            return
        database = f"postgresql://postgres@{POSTGRES_HOST}/{postgres_database}"
        dump = subprocess.run(
            [pg_dump, "--schema", schema, "--inserts", "--no-owner", "--no-privileges", database],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        lines = [line for line in dump.splitlines() if not line.startswith("\\")]
        yield schema, "\n".join(line for line in lines if line != f"CREATE SCHEMA {schema};")


@pytest.fixture
def migrated_postgres_url(
    postgres_database: str, postgres_template: tuple[str, str] | None
) -> Iterator[str]:
    """A migrated schema of this test's own, rebuilt from the template's dump."""
    with _schema(postgres_database) as (schema, url):
        if postgres_template is None:
            upgrade(url)
        else:
            template, script = postgres_template
            with psycopg.connect(
                f"postgresql://postgres@{POSTGRES_HOST}/{postgres_database}"
            ) as connection:
                connection.execute(script.replace(template, schema))
        yield url
