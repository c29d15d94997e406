"""The migrations build exactly the models' schema, and a store refuses an unmigrated database."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

import remit.store
from remit.errors import StoreError
from remit.store import open_enforcement_store, open_log_store, open_store, upgrade
from remit.store._sql_engine import create, parse_url
from remit.store._sql_migrate import MIGRATIONS, NOT_MIGRATED, config
from remit.store._sql_models import Base


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def empty_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A database with no tables at all."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'remit.sqlite3'}"
    return str(request.getfixturevalue("postgres_url"))


def _differences(url: str) -> list[object]:
    engine = create(parse_url(url))
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            return list(compare_metadata(context, Base.metadata))
    finally:
        engine.dispose()


def test_the_migrated_schema_matches_the_models(empty_url: str) -> None:
    upgrade(empty_url)
    assert _differences(empty_url) == []


def test_upgrade_can_run_again(empty_url: str) -> None:
    upgrade(empty_url)
    upgrade(empty_url)
    with open_store(empty_url) as store:
        assert store.list_orders() == []


def test_a_store_refuses_an_unmigrated_database(empty_url: str) -> None:
    if empty_url.startswith("sqlite"):
        sa_engine = sa.create_engine(empty_url)  # an empty file that exists
        with sa_engine.connect():
            pass
        sa_engine.dispose()
    with pytest.raises(StoreError) as raised:
        open_store(empty_url)
    message = str(raised.value)
    assert message.startswith(NOT_MIGRATED)
    assert "holds no remit schema" in message
    assert "--db" in message
    where = empty_url if empty_url.startswith("postgresql") else "sqlite:///"
    assert where.split("?")[0] in message  # names the database it opened


def test_a_missing_sqlite_file_is_named_with_its_full_path_and_not_created(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # As a command run from another folder than remit serve sees it: the default relative URL.
    monkeypatch.chdir(tmp_path)
    for opener in (open_store, open_enforcement_store, open_log_store):
        with pytest.raises(StoreError) as raised:
            opener("sqlite:///remit.sqlite3")
        message = str(raised.value)
        assert f"sqlite:///{tmp_path / 'remit.sqlite3'}" in message
        assert "--db" in message
        assert "db upgrade" not in message  # that would make a second, empty database
        assert not (tmp_path / "remit.sqlite3").exists()


def test_an_older_schema_is_told_to_upgrade_that_very_database(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'remit.sqlite3'}"
    cfg = config()
    engine = create(parse_url(url))
    try:
        with engine.begin() as connection:
            cfg.attributes["connection"] = connection
            command.upgrade(cfg, "0001")
    finally:
        engine.dispose()
    with pytest.raises(StoreError) as raised:
        open_store(url)
    assert f"remit db upgrade --db sqlite:///{tmp_path / 'remit.sqlite3'}" in str(raised.value)
    assert "at schema 0001" in str(raised.value)


def test_a_database_from_a_newer_remit_is_refused(empty_url: str) -> None:
    upgrade(empty_url)
    engine = create(parse_url(empty_url))
    try:
        with engine.begin() as connection:
            connection.execute(sa.text("UPDATE alembic_version SET version_num = '9999'"))
    finally:
        engine.dispose()
    with pytest.raises(StoreError, match="newer than this remit"):
        open_store(empty_url)


def test_the_migrations_go_down_as_well(empty_url: str) -> None:
    upgrade(empty_url)
    engine = create(parse_url(empty_url))
    try:
        with engine.begin() as connection:
            command.downgrade(config(connection), "base")
        assert set(sa.inspect(engine).get_table_names()) <= {"alembic_version"}
    finally:
        engine.dispose()


def test_the_migration_scripts_ship_inside_the_package() -> None:
    package = Path(remit.store.__file__).parent
    assert package / "migrations" == MIGRATIONS
    # setuptools' find_packages only takes folders that are packages.
    assert (MIGRATIONS / "__init__.py").is_file()
    assert (MIGRATIONS / "versions" / "__init__.py").is_file()
    assert (MIGRATIONS / "env.py").is_file()
    assert sorted(p.name for p in (MIGRATIONS / "versions").glob("0*.py"))[:2] == [
        "0001_initial.py",
        "0002_transparency_log.py",
    ]


def test_0011_counts_the_sessions_that_ended_and_keeps_only_the_removals(empty_url: str) -> None:
    engine = create(parse_url(empty_url))
    row = (
        "INSERT INTO sessions (id, platform, resource_type, resource_id, resource_host, "
        "participant, country, subdivision, location_source, location_evidence, language, "
        "joined_at, status, ended_at) VALUES (:id, 'meet', 'meeting', 'june4-a', 'host-1', :who, "
        ":country, NULL, 'static', NULL, NULL, '2026-06-01 10:00:00', :status, :ended)"
    )
    sessions = [
        ("left", "ann", "CN", "left", "2026-06-01 11:00:00"),
        ("removed", "bo", "CN", "removed", "2026-06-01 11:30:00"),
        ("told", "chen", "HK", "left", "2026-06-02 09:00:00"),  # left once a removal named it
        ("purged", "", "US", "left", "2026-06-02 09:00:00"),
        ("live", "dai", "CN", "live", None),
    ]
    try:
        with engine.begin() as connection:
            command.upgrade(config(connection), "0010")
        with engine.begin() as connection:
            for sid, who, country, status, ended in sessions:
                connection.execute(sa.text(row), {"id": sid, "who": who, "country": country,
                                                  "status": status, "ended": ended})  # fmt: skip
            connection.execute(
                sa.text(
                    "INSERT INTO commands (key, platform, type, data, order_id, session_id, "
                    "status, created_at, next_attempt_at, deadline, attempts) VALUES "
                    "('remove/o/told', 'meet', 'participant.remove', '{}', 'o', 'told', "
                    "'delivered', '2026-06-01 10:00:00', '2026-06-01 10:00:00', "
                    "'2026-06-01 10:00:00', 1)"
                )
            )
        upgrade(empty_url)
        with engine.connect() as connection:
            kept = sorted(r[0] for r in connection.execute(sa.text("SELECT id FROM sessions")))
            counts = sorted(
                tuple(r)
                for r in connection.execute(sa.text("SELECT day, country, count FROM attendance"))
            )
    finally:
        engine.dispose()
    assert kept == ["live", "removed", "told"]
    assert counts == [("2026-06-01", "CN", 2), ("2026-06-02", "HK", 1), ("2026-06-02", "US", 1)]
