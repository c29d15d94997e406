"""The SQL store's edges: URLs, SQLite settings, and database failures turned into remit errors."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from store_builders import NOW, T0, document_for, new_order

from remit.errors import InvalidConfiguration, RemitError, StoreError
from remit.orders import Status, start_review
from remit.store import (
    DEFAULT_URL,
    AuditEntry,
    Role,
    SqlStore,
    Store,
    User,
    console_store_for,
    enforcement_store_for,
    log_store_for,
    open_log_store,
    open_store,
    upgrade,
)
from remit.store._sql_engine import create, parse_url

UNREACHABLE = "postgresql+psycopg://postgres@127.0.0.1:1/remit"


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'remit.sqlite3'}"
    upgrade(url)
    return url


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A migrated database."""
    if request.param == "sqlite":
        chosen = f"sqlite:///{tmp_path / 'remit.sqlite3'}"
    else:
        chosen = str(request.getfixturevalue("postgres_url"))
    upgrade(chosen)
    return chosen


def _execute(url: str, *statements: str) -> None:
    engine = create(parse_url(url))
    try:
        with engine.begin() as connection:
            for statement in statements:
                connection.execute(sa.text(statement))
    finally:
        engine.dispose()


# URLs --------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "bad",
    [
        "",
        "remit.sqlite3",
        "mysql://remit@localhost/remit",
        "sqlite://",
        "sqlite:///:memory:",
        "postgresql+psycopg2://remit@localhost/remit",
        "postgresql+psycopg://remit@localhost:port/remit",
        "postgresql+psycopg://remit@localhost:5432",
    ],
)
@pytest.mark.parametrize("use", [open_store, upgrade])
def test_an_unusable_url_is_named_in_an_invalid_configuration(
    bad: str, use: Callable[[str], object]
) -> None:
    with pytest.raises(InvalidConfiguration) as raised:
        use(bad)
    assert repr(bad) in str(raised.value)
    assert raised.value.field == "url"


def test_a_password_is_not_repeated_in_errors() -> None:
    with pytest.raises(InvalidConfiguration) as raised:
        open_store("postgresql+psycopg://remit:hunter2@localhost:port/remit")
    assert "hunter2" not in str(raised.value)
    assert "remit:***@localhost" in str(raised.value)


def test_the_default_is_a_sqlite_file_in_the_working_folder() -> None:
    assert DEFAULT_URL == "sqlite:///remit.sqlite3"
    assert parse_url(DEFAULT_URL).database == "remit.sqlite3"


def test_sqlite_runs_in_wal_mode_with_foreign_keys_and_a_busy_timeout(sqlite_url: str) -> None:
    engine = create(parse_url(sqlite_url))
    try:
        with engine.connect() as connection:
            assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() == 10_000
    finally:
        engine.dispose()


def test_sqlite_stores_utc(sqlite_url: str) -> None:
    with open_store(sqlite_url) as store:
        store.add_order(new_order())
    engine = create(parse_url(sqlite_url))
    try:
        with engine.connect() as connection:
            raw = connection.exec_driver_sql("SELECT received_at FROM orders").scalar()
    finally:
        engine.dispose()
    assert str(raw).startswith("2020-06-01 01:00:00")  # 09:00 in Beijing


# Failures ----------------------------------------------------------------------------------------
def test_an_unreachable_database_is_a_store_error() -> None:
    with pytest.raises(StoreError, match="could not"):
        open_store(UNREACHABLE)
    with pytest.raises(StoreError, match="could not migrate"):
        upgrade(UNREACHABLE)


def test_a_sqlite_file_in_a_missing_folder_is_a_store_error(tmp_path: Path) -> None:
    with pytest.raises(StoreError):
        upgrade(f"sqlite:///{tmp_path / 'missing' / 'remit.sqlite3'}")


def test_a_corrupt_document_is_a_store_error(url: str) -> None:
    content = b"the demand"
    with open_store(url) as store:
        store.add_order(new_order(document=document_for(content)), content)
        _execute(url, "UPDATE documents SET sha256 = '" + "0" * 64 + "'")
        with pytest.raises(StoreError, match="corrupt"):
            store.get_document("ord-0001")


def test_an_unreadable_stored_record_is_a_store_error(url: str) -> None:
    with open_store(url) as store:
        store.add_user(User("alice", frozenset({Role.ADMIN}), NOW), "a" * 64)
        _execute(url, """UPDATE users SET roles = '["emperor"]'""")
        with pytest.raises(StoreError, match="unreadable"):
            store.get_user("alice")


def _every_call(store: Store) -> list[Callable[[], object]]:
    order = new_order()
    user = User("alice", frozenset({Role.ADMIN}), NOW)
    return [
        lambda: store.add_order(order, b"x"),
        lambda: store.save_order(order),
        lambda: store.get_order(order.id),
        lambda: store.list_orders(status=Status.ACTIVE, jurisdiction="CN", after="a"),
        lambda: store.orders_in([Status.ACTIVE]),
        lambda: store.changes_since(0),
        lambda: store.get_document(order.id),
        lambda: store.count_orders_by_status(),
        lambda: store.add_user(user, "a" * 64),
        lambda: store.add_token("alice", "b" * 64),
        lambda: store.user_for_token("a" * 64),
        lambda: store.get_user("alice"),
        lambda: store.list_users(),
        lambda: store.audit(AuditEntry("alice", "x", "y", T0, "ok")),
        lambda: store.audit_trail(),
    ]


def test_no_database_error_escapes_untranslated(url: str) -> None:
    store = open_store(url)
    try:
        tables = ["console_sessions", "console_passwords", "order_transitions", "documents"]
        tables += ["tokens", "orders", "users", "audit"]
        _execute(url, *(f"DROP TABLE {table}" for table in tables))
        for call in _every_call(store):
            with pytest.raises(StoreError) as raised:
                call()
            assert isinstance(raised.value, RemitError)
            assert raised.value.__cause__ is not None
            assert "Traceback" not in str(raised.value)
            assert len(str(raised.value)) < 300
    finally:
        store.close()


def test_every_call_on_a_closed_store_is_a_store_error(url: str) -> None:
    store = open_store(url)
    store.close()
    for call in _every_call(store):
        with pytest.raises(StoreError, match="closed"):
            call()
    with pytest.raises(StoreError, match="closed"):
        store.listen(print)


def test_closing_a_store_closes_the_stores_beside_it(url: str) -> None:
    # One database, one closed flag: the log, the roster and the console's sessions kept on the
    # store's database end with it, rather than open new connections behind its back.
    store = open_store(url)
    log, enforcement, console = (
        log_store_for(store),
        enforcement_store_for(store),
        console_store_for(store),
    )
    assert log.size() == 0
    assert enforcement.list_platforms() == []
    assert console.password_hash("nobody") is None
    store.close()
    for call in (log.size, enforcement.list_platforms, lambda: console.password_hash("nobody")):
        with pytest.raises(StoreError, match="closed"):
            call()


def test_a_store_opened_on_its_own_closes_only_itself(url: str) -> None:
    first, second = open_log_store(url), open_log_store(url)
    first.close()
    with pytest.raises(StoreError, match="closed"):
        first.size()
    assert second.size() == 0
    second.close()


def test_a_store_is_a_context_manager(url: str) -> None:
    with open_store(url) as store:
        assert isinstance(store, SqlStore)
        store.add_order(new_order())
    with pytest.raises(StoreError):
        store.get_order("ord-0001")


def test_saving_appends_rows_and_never_updates_transitions(url: str) -> None:
    with open_store(url) as store:
        order = new_order(effective_until=NOW + timedelta(days=9))
        store.add_order(order)
        # Mark the stored row: a save that rewrote old transitions would erase the mark.
        _execute(url, "UPDATE order_transitions SET reason = 'as stored'")
        store.save_order(start_review(order, actor="reviewer", now=NOW))
        reasons = [t.reason for t in store.get_order(order.id).transitions]
    assert reasons == ["as stored", "review started"]
